/**
 * Limits of a simulation run that commands check before any work.
 *
 * @module
 */

import { OptionError } from "../util/errors.ts";

/**
 * Most random input steps of one simulation: the golden outputs and the result file hold every
 * step, so a longer sequence would exhaust memory instead of failing with a clear message.
 */
export const MAX_SIMULATION_STEPS = 100_000;

/** Refuse a random sequence length outside 1..MAX_SIMULATION_STEPS (an OptionError on `steps`). */
export function checkSimulationSteps(steps: number): void {
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > MAX_SIMULATION_STEPS) {
    throw new OptionError(
      "steps",
      `expected an integer in 1..${MAX_SIMULATION_STEPS}, got ${steps}`,
    );
  }
}
