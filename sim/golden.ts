/**
 * The golden outputs a simulation is checked against: the fixed-point model (`runFixed`), or for a
 * delta design (design.json's `delta`, docs/delta.md) the fixed-point delta model with the
 * design's thresholds (`runFixedDelta`), with the fired fraction of every layer.
 *
 * @module
 */

import { type QuantizedModel, runFixed } from "../model/fixed.ts";
import { runFixedDelta } from "../model/delta_run.ts";
import { summarizeStats } from "../model/delta.ts";
import { type DesignJson, designThresholds } from "../rtl/design_schema.ts";

/** The golden run of one sequence: its outputs and, for a delta design, the fired fractions. */
export interface GoldenRun {
  /** Golden outputs, one activation-format integer per output element and step. */
  outputs: Int32Array[];
  /** Delta designs: fired columns over (steps x columns [x ; h]) of every layer (computed). */
  firedFraction?: number[];
}

/** The golden run of one quantized input sequence on a design. */
export function goldenRun(
  design: Pick<DesignJson, "delta">,
  model: QuantizedModel,
  inputs: Int32Array[],
): GoldenRun {
  if (!design.delta) return { outputs: runFixed(model, inputs) };
  const { outputs, stats } = runFixedDelta(model, inputs, designThresholds(design.delta));
  return { outputs, firedFraction: summarizeStats([stats]).firedFraction };
}

/** The golden outputs of one quantized input sequence on a design. */
export function goldenOutputs(
  design: Pick<DesignJson, "delta">,
  model: QuantizedModel,
  inputs: Int32Array[],
): Int32Array[] {
  return goldenRun(design, model, inputs).outputs;
}
