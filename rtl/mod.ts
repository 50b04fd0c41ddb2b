/**
 * The RTL generator: from a float model and an accelerator configuration to a design directory.
 * `generateFromModel` is what `deno task gen` runs; `deriveDesign` (design.ts) is the pure core.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { type FixedFormat, type QuantizedModel, quantizeModel, saturate } from "../model/fixed.ts";
import type { RnnModel } from "../model/model.ts";
import {
  type AcceleratorConfig,
  type AcceleratorSettings,
  parseAcceleratorSettings,
  resolveAcceleratorConfig,
} from "./config.ts";
import { deriveDesign, type DesignParams } from "./design.ts";
import { writeDesign } from "./generate.ts";

export * from "./config.ts";
export * from "./design.ts";
export * from "./design_schema.ts";
export * from "./generate.ts";
export * from "./hardware.ts";
export * from "./timing.ts";
export * from "./testbench.ts";

/** The weight arrays of a model's layers: W_ih, W_hh, W_hr (and the peepholes when asked). */
function weightArrays(
  model: RnnModel | QuantizedModel,
  peepholes: boolean,
): ArrayLike<number>[] {
  return model.layers.flatMap((layer) =>
    [layer.weightIh.data, layer.weightHh.data, layer.weightHr?.data]
      .concat(peepholes ? [layer.peephole] : [])
      .filter((values) => values !== undefined)
  );
}

/** Weights (W_ih, W_hh, W_hr, peepholes) of a float model that saturate in a weight format. */
export function saturatedWeights(model: RnnModel, format: FixedFormat): number {
  const scale = 2 ** format.weightFrac;
  let count = 0;
  for (const values of weightArrays(model, true)) {
    for (const value of Array.from(values)) {
      const raw = Math.floor(value * scale + 0.5);
      if (raw !== saturate(raw, format.weightBits)) count++;
    }
  }
  return count;
}

/** Quantize a float model for the accelerator, rejecting formats too narrow for its weights. */
export function quantizeForAccelerator(
  model: RnnModel,
  config: AcceleratorConfig,
): QuantizedModel {
  let quantized: QuantizedModel;
  try {
    quantized = quantizeModel(model, config.fixed);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const f = quantized.format;
  const countNonZeros = (values: ArrayLike<number>[]) =>
    values.reduce((sum, data) => sum + Array.from(data).filter((v) => v !== 0).length, 0);
  const nonZero = (m: RnnModel | QuantizedModel) => countNonZeros(weightArrays(m, false)) > 0;
  if (nonZero(model) && !nonZero(quantized)) {
    throw new UserError(
      `weight format Q${f.weightBits}.${f.weightFrac} is too narrow: every weight quantizes to 0`,
    );
  }
  const saturated = saturatedWeights(model, quantized.format);
  if (saturated > 0) {
    throw new UserError(
      `weight format Q${f.weightBits}.${f.weightFrac} is too narrow: ${saturated} weights ` +
        "saturate (raise weightBits or lower weightFrac)",
    );
  }
  return quantized;
}

/** A design and what the quantization reported. */
export interface GeneratedModelDesign {
  /** The design. */
  design: DesignParams;
  /** Bias values that saturated when quantizing (weights never do: that is an error). */
  saturatedBiases: number;
}

/** Quantize and derive a design from a float model (no files written). */
export function generateFromModel(
  model: RnnModel,
  config: AcceleratorConfig,
): GeneratedModelDesign {
  const quantized = quantizeForAccelerator(model, config);
  return { design: deriveDesign(quantized, config), saturatedBiases: quantized.saturatedValues };
}

/** A written design: the design, the quantization report and the measured wall time. */
export interface WrittenDesign extends GeneratedModelDesign {
  /** The design directory. */
  dir: string;
  /** Measured: wall seconds to quantize, derive and write it. */
  seconds: number;
}

/**
 * What `deno task gen` does, in process: resolve the settings over the defaults (`source` names
 * them in messages), quantize the model, derive the design and write it to `outDir`.
 */
export async function generateDesignDir(
  model: RnnModel,
  outDir: string,
  settings: AcceleratorSettings = {},
  source = "accelerator settings",
): Promise<WrittenDesign> {
  const started = performance.now();
  const config = resolveAcceleratorConfig([
    { settings: parseAcceleratorSettings(settings, source), source },
  ]);
  const generated = generateFromModel(model, config);
  await writeDesign(outDir, generated.design);
  return { ...generated, dir: outDir, seconds: (performance.now() - started) / 1000 };
}
