/**
 * The stated bounds of one simulated sequence (util/limits.ts): checked before any work, so a
 * huge `--steps` is a one-line error instead of an out-of-memory crash minutes later.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { MAX_SIM_OUTPUT_WORDS, MAX_STEPS } from "../util/limits.ts";

/** Refuse a sequence longer than MAX_STEPS or with more than MAX_SIM_OUTPUT_WORDS outputs. */
export function checkSequenceBounds(steps: number, outputSize: number, what = "--steps"): void {
  if (steps > MAX_STEPS) {
    throw new UserError(
      `${what}: expected at most ${MAX_STEPS} time steps (the stated limit), got ${steps}`,
    );
  }
  if (steps * outputSize > MAX_SIM_OUTPUT_WORDS) {
    throw new UserError(
      `${what}: ${steps} steps of ${outputSize} outputs are ${steps * outputSize} words, more ` +
        `than the ${MAX_SIM_OUTPUT_WORDS} one simulation holds (at most ` +
        `${Math.floor(MAX_SIM_OUTPUT_WORDS / outputSize)} steps for this design)`,
    );
  }
}
