/**
 * The golden outputs a simulation is checked against: the fixed-point model (`runFixed`), or for a
 * delta design (design.json's `delta`, docs/delta.md) the fixed-point delta model with the
 * design's thresholds (`runFixedDelta`).
 *
 * @module
 */

import { type QuantizedModel, runFixed } from "../model/fixed.ts";
import { runFixedDelta } from "../model/delta_run.ts";
import type { DesignJson } from "../rtl/design_schema.ts";

/** The golden outputs of one quantized input sequence on a design. */
export function goldenOutputs(
  design: Pick<DesignJson, "delta">,
  model: QuantizedModel,
  inputs: Int32Array[],
): Int32Array[] {
  if (!design.delta) return runFixed(model, inputs);
  const { thetaX, thetaH } = design.delta;
  return runFixedDelta(model, inputs, { thetaX, thetaH }).outputs;
}
