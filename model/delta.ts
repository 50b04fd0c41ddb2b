/**
 * Delta activations (docs/delta.md): the config field `"delta": {"thetaX", "thetaH", "thetaM",
 * "units"}`,
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
  /** theta_m: delta-codes the projection input m of an LSTM with projection (absent: dense). */
  thetaM: thresholdSchema.optional(),
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
  /** theta_m of every layer (the projection input m); absent: the dense projection. */
  thetaM?: number[];
}

/** Where thresholds are resolved: the model's layer count and format, and the config's name. */
export interface ThresholdUnits {
  /** Layers of the model. */
  numLayers: number;
  /** Activation fraction bits (fixed units are LSBs of 2^-activationFrac). */
  activationFrac: number;
  /** Where the config came from, for messages. */
  source: string;
  /** Whether the model has a projection (false refuses thetaM; absent: not checked). */
  projection?: boolean;
}

function checkThetaM(config: DeltaConfig, units: ThresholdUnits): void {
  if (config.thetaM !== undefined && units.projection === false) {
    throw new UserError(
      `${units.source}: delta.thetaM: expected no thetaM: it delta-codes the projection input ` +
        "of an LSTM with projection, and this model has no projection",
    );
  }
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
  options: ThresholdUnits,
): DeltaThresholds {
  const { numLayers, activationFrac, source } = options;
  checkThetaM(config, options);
  const convert = (value: number, what: string): number => {
    if (config.units !== "fixed") return Math.floor(value * 2 ** activationFrac);
    if (!Number.isInteger(value)) {
      throw new UserError(
        `${source}: delta.${what}: expected an integer in fixed units (activation LSBs), got ${value}`,
      );
    }
    return value;
  };
  const thresholds: DeltaThresholds = {
    thetaX: perLayer(config.thetaX, numLayers, "thetaX", source).map((v) => convert(v, "thetaX")),
    thetaH: perLayer(config.thetaH, numLayers, "thetaH", source).map((v) => convert(v, "thetaH")),
  };
  if (config.thetaM !== undefined) {
    thresholds.thetaM = perLayer(config.thetaM, numLayers, "thetaM", source)
      .map((v) => convert(v, "thetaM"));
  }
  return thresholds;
}

/** Thresholds of every layer in real units (fixed units are divided by 2^activationFrac). */
export function realThresholds(
  config: DeltaConfig,
  options: ThresholdUnits,
): DeltaThresholds {
  const { numLayers, activationFrac, source } = options;
  const scale = config.units === "fixed" ? 2 ** -activationFrac : 1;
  checkThetaM(config, options);
  if (config.units === "fixed") fixedThresholds(config, options); // integer check
  const thresholds: DeltaThresholds = {
    thetaX: perLayer(config.thetaX, numLayers, "thetaX", source).map((v) => v * scale),
    thetaH: perLayer(config.thetaH, numLayers, "thetaH", source).map((v) => v * scale),
  };
  if (config.thetaM !== undefined) {
    thresholds.thetaM = perLayer(config.thetaM, numLayers, "thetaM", source).map((v) => v * scale);
  }
  return thresholds;
}

/** Fired counts of one run (one sequence) of a delta model. */
export interface DeltaStats {
  /** `firedX[t][l]`: input columns of layer l that fired at step t. */
  firedX: number[][];
  /** `firedH[t][l]`: recurrent columns of layer l that fired at step t. */
  firedH: number[][];
  /** `firedM[t][l]`: projection input columns (m) of layer l that fired at step t (0: dense). */
  firedM: number[][];
  /** Input columns of every layer (its input size). */
  columnsX: number[];
  /** Recurrent columns of every layer (P with a projection, else H). */
  columnsH: number[];
  /** Delta-coded projection input columns of every layer: H with theta_m, else 0. */
  columnsM: number[];
}

/** Empty fired counts for a model (no steps yet); `codedM`: theta_m delta-codes m. */
export function emptyStats(
  model: Pick<RnnModel, "inputSize" | "hiddenSize" | "projSize" | "numLayers">,
  codedM = false,
): DeltaStats {
  const layers = Array.from({ length: model.numLayers }, (_, l) => l);
  return {
    firedX: [],
    firedH: [],
    firedM: [],
    columnsX: layers.map((l) => layerInputSize(model, l)),
    columnsH: layers.map(() => outputSize(model)),
    columnsM: layers.map(() => codedM ? model.hiddenSize : 0),
  };
}

/** Summary of fired counts over one or many runs: per layer, fired columns over all columns. */
export interface DeltaSummary {
  /** Steps counted (over all sequences). */
  steps: number;
  /** Per layer: fired fraction of all columns (x, h and delta-coded m together). */
  firedFraction: number[];
  /** Per layer: fired fraction of the input columns. */
  firedFractionX: number[];
  /** Per layer: fired fraction of the recurrent columns. */
  firedFractionH: number[];
  /** Per layer: fired fraction of the projection input columns (0 where m is not delta-coded). */
  firedFractionM: number[];
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
  const firedFractionM: number[] = [];
  const firedFraction: number[] = [];
  for (let l = 0; l < layers; l++) {
    const x = total((run) => run.firedX, l);
    const h = total((run) => run.firedH, l);
    const m = total((run) => run.firedM, l);
    const [cx, ch, cm] = [runs[0].columnsX[l], runs[0].columnsH[l], runs[0].columnsM[l]];
    firedFractionX.push(fraction(x, cx));
    firedFractionH.push(fraction(h, ch));
    firedFractionM.push(fraction(m, cm));
    firedFraction.push(fraction(x + h + m, cx + ch + cm));
  }
  return { steps, firedFraction, firedFractionX, firedFractionH, firedFractionM };
}
