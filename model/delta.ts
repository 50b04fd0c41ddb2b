/**
 * Delta activations (docs/delta.md): the config field `"delta": {"thetaX", "thetaH", "units"}`,
 * thresholds resolved per layer into real or fixed-point units, and the fired counts the delta
 * models report. The models themselves are in `delta_run.ts`.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { layerInputSize, outputSize, type RnnModel } from "./model.ts";

/** A threshold for every layer (one number) or one per layer (a list). */
const thresholdSchema = z.union([
  z.number().nonnegative({ message: "expected a non-negative threshold" }).finite(),
  z.array(z.number().nonnegative({ message: "expected a non-negative threshold" }).finite())
    .min(1, { message: "expected at least one threshold" }),
], { message: "expected a non-negative number or a list of them, one per layer" });

/** zod schema of the `delta` field of a config file (docs/delta.md). */
export const deltaConfigSchema = z.object({
  thetaX: thresholdSchema,
  thetaH: thresholdSchema,
  units: z.enum(["real", "fixed"], { message: 'units must be "real" or "fixed"' }).optional(),
}).strict();

/** The `delta` field of a config file, as written: real units unless `units` is "fixed". */
export type DeltaConfig = z.infer<typeof deltaConfigSchema>;

/** Thresholds resolved for a model: one per layer, in the units the caller asked for. */
export interface DeltaThresholds {
  /** theta_x of every layer. */
  thetaX: number[];
  /** theta_h of every layer. */
  thetaH: number[];
}

function perLayer(
  value: number | number[],
  layers: number,
  what: string,
  source: string,
): number[] {
  if (typeof value === "number") return Array.from({ length: layers }, () => value);
  if (value.length !== layers) {
    throw new UserError(
      `${source}: delta.${what}: expected one threshold per layer (${layers}), got ${value.length}`,
    );
  }
  return value.slice();
}

/**
 * Thresholds of every layer in fixed-point units (non-negative integers, activation LSBs of
 * 2^-activationFrac): a real threshold theta becomes floor(theta * 2^activationFrac), which fires
 * on exactly the same integer deltas (docs/delta.md). Fixed-unit values must be integers.
 */
export function fixedThresholds(
  config: DeltaConfig,
  options: { numLayers: number; activationFrac: number; source: string },
): DeltaThresholds {
  const { numLayers, activationFrac, source } = options;
  const convert = (value: number, what: string): number => {
    if (config.units !== "fixed") return Math.floor(value * 2 ** activationFrac);
    if (!Number.isInteger(value)) {
      throw new UserError(
        `${source}: delta.${what}: expected an integer in fixed units (activation LSBs), got ${value}`,
      );
    }
    return value;
  };
  return {
    thetaX: perLayer(config.thetaX, numLayers, "thetaX", source).map((v) => convert(v, "thetaX")),
    thetaH: perLayer(config.thetaH, numLayers, "thetaH", source).map((v) => convert(v, "thetaH")),
  };
}

/** Thresholds of every layer in real units (fixed units are divided by 2^activationFrac). */
export function realThresholds(
  config: DeltaConfig,
  options: { numLayers: number; activationFrac: number; source: string },
): DeltaThresholds {
  const { numLayers, activationFrac, source } = options;
  const scale = config.units === "fixed" ? 2 ** -activationFrac : 1;
  if (config.units === "fixed") fixedThresholds(config, options); // integer check
  return {
    thetaX: perLayer(config.thetaX, numLayers, "thetaX", source).map((v) => v * scale),
    thetaH: perLayer(config.thetaH, numLayers, "thetaH", source).map((v) => v * scale),
  };
}

/** Fired counts of one run (one sequence) of a delta model. */
export interface DeltaStats {
  /** `firedX[t][l]`: input columns of layer l that fired at step t. */
  firedX: number[][];
  /** `firedH[t][l]`: recurrent columns of layer l that fired at step t. */
  firedH: number[][];
  /** Input columns of every layer (its input size). */
  columnsX: number[];
  /** Recurrent columns of every layer (P with a projection, else H). */
  columnsH: number[];
}

/** Empty fired counts for a model (no steps yet). */
export function emptyStats(
  model: Pick<RnnModel, "inputSize" | "hiddenSize" | "projSize" | "numLayers">,
): DeltaStats {
  const layers = Array.from({ length: model.numLayers }, (_, l) => l);
  return {
    firedX: [],
    firedH: [],
    columnsX: layers.map((l) => layerInputSize(model, l)),
    columnsH: layers.map(() => outputSize(model)),
  };
}

/** Summary of fired counts over one or many runs: per layer, fired columns over all columns. */
export interface DeltaSummary {
  /** Steps counted (over all sequences). */
  steps: number;
  /** Per layer: fired fraction of all columns (x and h together). */
  firedFraction: number[];
  /** Per layer: fired fraction of the input columns. */
  firedFractionX: number[];
  /** Per layer: fired fraction of the recurrent columns. */
  firedFractionH: number[];
}

/** Fired fractions per layer over runs of the same model. */
export function summarizeStats(runs: DeltaStats[]): DeltaSummary {
  const layers = runs[0]?.columnsX.length ?? 0;
  const steps = runs.reduce((sum, run) => sum + run.firedX.length, 0);
  const total = (pick: (run: DeltaStats) => number[][], l: number) =>
    runs.reduce((sum, run) => sum + pick(run).reduce((s, step) => s + step[l], 0), 0);
  const fraction = (fired: number, columns: number) =>
    steps * columns === 0 ? 0 : fired / (steps * columns);
  const firedFractionX: number[] = [];
  const firedFractionH: number[] = [];
  const firedFraction: number[] = [];
  for (let l = 0; l < layers; l++) {
    const x = total((run) => run.firedX, l);
    const h = total((run) => run.firedH, l);
    const columnsX = runs[0].columnsX[l];
    const columnsH = runs[0].columnsH[l];
    firedFractionX.push(fraction(x, columnsX));
    firedFractionH.push(fraction(h, columnsH));
    firedFraction.push(fraction(x + h, columnsX + columnsH));
  }
  return { steps, firedFraction, firedFractionX, firedFractionH };
}
