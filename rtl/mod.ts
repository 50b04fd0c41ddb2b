/**
 * The RTL generator: from a float model and an accelerator configuration to a design directory.
 * `generateFromModel` is what `deno task gen` runs; `deriveDesign` (design.ts) is the pure core.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { type FixedFormat, type QuantizedModel, quantizeModel, saturate } from "../model/fixed.ts";
import type { RnnModel } from "../model/model.ts";
import type { AcceleratorConfig } from "./config.ts";
import { deriveDesign, type DesignParams } from "./design.ts";

export * from "./config.ts";
export * from "./design.ts";
export * from "./generate.ts";
export * from "./hardware.ts";
export * from "./timing.ts";
export * from "./block_choice.ts";
export * from "./clock.ts";

/** Weights (W_ih, W_hh, W_hr, peepholes) of a float model that saturate in a weight format. */
export function saturatedWeights(model: RnnModel, format: FixedFormat): number {
  let count = 0;
  const scale = 2 ** format.weightFrac;
  const visit = (values: Float64Array) => {
    for (const value of values) {
      const raw = Math.floor(value * scale + 0.5);
      if (raw !== saturate(raw, format.weightBits)) count++;
    }
  };
  for (const layer of model.layers) {
    visit(layer.weightIh.data);
    visit(layer.weightHh.data);
    if (layer.weightHr) visit(layer.weightHr.data);
    if (layer.peephole) visit(layer.peephole);
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
  const weights = (m: RnnModel | QuantizedModel) =>
    m.layers.flatMap((layer) =>
      [layer.weightIh, layer.weightHh, layer.weightHr].filter((x) => x !== undefined)
        .map((x) => x!.data)
    );
  if (countNonZeros(weights(model)) > 0 && countNonZeros(weights(quantized)) === 0) {
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
