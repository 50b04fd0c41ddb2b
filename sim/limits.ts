/**
 * Limits of a simulation run that commands check before any work (the stated limits of
 * util/limits.ts, docs/reliability.md): every step's golden and simulated outputs are held, so a
 * longer sequence would exhaust memory instead of failing with a clear message.
 *
 * @module
 */

import { OptionError, UserError } from "../util/errors.ts";
import { MAX_SIM_OUTPUT_WORDS, MAX_STEPS } from "../util/limits.ts";

/** Most input steps of one simulation (util/limits.ts MAX_STEPS). */
export const MAX_SIMULATION_STEPS = MAX_STEPS;

/** Refuse a random sequence length outside 1..MAX_SIMULATION_STEPS (an OptionError on `steps`). */
export function checkSimulationSteps(steps: number): void {
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > MAX_SIMULATION_STEPS) {
    throw new OptionError(
      "steps",
      `expected an integer in 1..${MAX_SIMULATION_STEPS}, got ${steps}`,
    );
  }
}

/**
 * Refuse a sequence of more than MAX_SIMULATION_STEPS steps, or whose outputs (steps x
 * outputSize) exceed MAX_SIM_OUTPUT_WORDS. `inputPath` names the input file the steps came from
 * (then the error names it); else they came from the `steps` option.
 */
export function checkSimulationSize(steps: number, outputSize: number, inputPath?: string): void {
  const fail = (detail: string) => {
    throw inputPath === undefined
      ? new OptionError("steps", detail)
      : new UserError(`${inputPath}: inputs: ${detail}`);
  };
  if (steps > MAX_SIMULATION_STEPS) {
    fail(`expected at most ${MAX_SIMULATION_STEPS} time steps (the stated limit), got ${steps}`);
  }
  if (steps * outputSize > MAX_SIM_OUTPUT_WORDS) {
    fail(
      `${steps} steps of ${outputSize} outputs are ${steps * outputSize} words, more than the ` +
        `${MAX_SIM_OUTPUT_WORDS} one simulation holds (at most ` +
        `${Math.floor(MAX_SIM_OUTPUT_WORDS / outputSize)} steps for this design)`,
    );
  }
}
