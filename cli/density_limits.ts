/**
 * The real lower limit of a pruning density, which depends on the model: a density (or keep
 * fraction product) that keeps less than one of the model's weights is refused before any work,
 * and a BCR pruning that still keeps no weight (blocks keep whole rows and columns, so small
 * rates round to zero) is refused before anything is written. Used by `prune` and `bench`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { type BlockSize, formatBlock } from "../prune/mod.ts";

/** Weights over all weight matrices of a model. */
export function weightCount(model: RnnModel): number {
  return namedMatrices(model).reduce((sum, { matrix }) => sum + matrix.data.length, 0);
}

/** A number for messages: 3 significant digits. */
function short(value: number): string {
  return value < 1e-3 ? value.toExponential(2) : Number(value.toPrecision(3)).toString();
}

/** Which flag set a density, as typed, for messages. */
export interface DensityFlag {
  /** The command, e.g. "deno task prune". */
  command: string;
  /** "density", "compression", "sweep" or "col-keep" (with "row-keep"). */
  flag: "density" | "compression" | "sweep" | "col-keep";
  /** The value as given (the flag's number; for col-keep: "a x b"). */
  given: string;
}

/**
 * Refuse a target density that keeps less than one weight of the model: names the flag and its
 * accepted range for this model ("--density: expected a number in [6.98e-5, 1] for m.json ...").
 */
export function checkDensityRange(
  model: RnnModel,
  modelPath: string,
  density: number,
  source: DensityFlag,
): void {
  const weights = weightCount(model);
  if (density * weights >= 1) return;
  const why = `${modelPath} has ${weights} weights; beyond that no weight is kept`;
  const expected = source.flag === "compression"
    ? `a number in [1, ${weights}]`
    : source.flag === "col-keep"
    ? `--col-keep x --row-keep >= ${short(1 / weights)}`
    : `a number in [${short(1 / weights)}, 1]`;
  const name = source.flag === "col-keep" ? "--col-keep/--row-keep" : `--${source.flag}`;
  throw new UserError(
    `${source.command}: ${name}: expected ${expected} (${why}), got ${source.given}`,
  );
}

/** Refuse a pruning result without any non-zero weight (the density rounded every weight away). */
export function checkKeepsWeights(
  nonZeros: number,
  block: BlockSize,
  source: DensityFlag,
): void {
  if (nonZeros > 0) return;
  const name = source.flag === "col-keep" ? "--col-keep/--row-keep" : `--${source.flag}`;
  throw new UserError(
    `${source.command}: ${name} ${source.given}: BCR pruning with ${
      formatBlock(block)
    } blocks keeps no weight ` +
      `(whole rows and columns are kept per block, so small rates round to zero); expected a ` +
      `larger ${source.flag === "compression" ? "density (smaller compression)" : "density"}`,
  );
}
