/**
 * What issue 19's time targets ask of any datapath, computed from the model and its fired
 * fractions alone (docs/delta.md, "What 1 us per frame asks"): the multiply-accumulates a delta
 * frame leaves (every fired column's non-zero weights), the MAC lanes that would do them within
 * the target time at the clock if every lane were busy every cycle, and the time a DSP budget
 * allows at best. A bound, not a design: no cycle of element-wise work, encoders, load imbalance
 * or control is counted, so a real datapath needs more.
 *
 * @module
 */

import type { DeltaSummary } from "../model/delta.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { countNonZeros } from "../prune/balance.ts";

/** The work of a delta frame against the time targets (every figure computed). */
export interface DeltaWorkBound {
  /** How the figures are obtained. */
  label: string;
  /** Non-zero weights of the model: the MACs of a frame without delta. */
  macsPerFrameWithoutDelta: number;
  /** Expected MACs of a delta frame: each matrix's non-zeros times its input's fired fraction. */
  macsPerFrame: number;
  /** The clock the times assume, MHz. */
  clockMhz: number;
  /** The time target, microseconds per frame. */
  targetMicroseconds: number;
  /** MAC lanes busy every cycle that finish `macsPerFrame` in the target time at the clock. */
  lanesForTarget: number;
  /** DSP slices of the budget. */
  dspBudget: number;
  /** Time per frame with every DSP of the budget a MAC lane busy every cycle (the floor). */
  microsecondsAtBudget: number;
  /** The effective-throughput target, TOp/s. */
  targetTops: number;
  /** Time per frame that target asks on this model: dense operations / target. */
  microsecondsForTops: number;
  /**
   * Fired columns per frame (mean; x, h and the projection input m of every layer, m all of its
   * columns where it is not delta-coded). rnnfab's delta encoders give the PEs one fired column a
   * cycle, so `total` cycles per frame is a floor of the built datapath at any PE or lane count.
   */
  firedColumnsPerFrame: { x: number; h: number; m: number; total: number };
  /** `firedColumnsPerFrame.total` at the clock: the built datapath's floor, microseconds. */
  microsecondsAtIssueFloor: number;
}

/** Options of `deltaWorkBound`. */
export interface DeltaWorkBoundOptions {
  /** The BCR + delta model (its non-zeros). */
  model: RnnModel;
  /** Fired fractions per layer (the fixed-point delta golden model's). */
  fired: Pick<DeltaSummary, "firedFractionX" | "firedFractionH" | "firedFractionM">;
  /** Whether the projection input m is delta-coded (theta_m set); if not it is dense. */
  deltaCodedProjection: boolean;
  /** Dense operations per frame (2 per weight of the dense model). */
  denseOps: number;
  /** Clock, MHz. */
  clockMhz: number;
  /** Time target, microseconds per frame. */
  targetMicroseconds: number;
  /** Throughput target, TOp/s. */
  targetTops: number;
  /** DSP slices of the budget. */
  dspBudget: number;
}

/** The work a delta frame leaves and what the time targets ask (`DeltaWorkBound`). */
export function deltaWorkBound(options: DeltaWorkBoundOptions): DeltaWorkBound {
  const { fired } = options;
  let without = 0;
  let withDelta = 0;
  for (const { name, layer, matrix } of namedMatrices(options.model)) {
    const count = countNonZeros(matrix);
    const fraction = name.startsWith("weight_ih")
      ? fired.firedFractionX[layer]
      : name.startsWith("weight_hh")
      ? fired.firedFractionH[layer]
      : options.deltaCodedProjection
      ? fired.firedFractionM[layer]
      : 1;
    without += count;
    withDelta += count * fraction;
  }
  const cyclesForTarget = options.targetMicroseconds * options.clockMhz;
  const columns = firedColumns(options);
  return {
    label: "computed: non-zero weights of the BCR + delta model times the fired fraction of each " +
      "matrix's input (fixed-point delta golden model on the test set); lanes and times at the " +
      "assumed clock with every lane busy every cycle and nothing else counted (a floor)",
    macsPerFrameWithoutDelta: without,
    macsPerFrame: withDelta,
    clockMhz: options.clockMhz,
    targetMicroseconds: options.targetMicroseconds,
    lanesForTarget: withDelta / cyclesForTarget,
    dspBudget: options.dspBudget,
    microsecondsAtBudget: withDelta / options.dspBudget / options.clockMhz,
    targetTops: options.targetTops,
    microsecondsForTops: options.denseOps / (options.targetTops * 1e12) * 1e6,
    firedColumnsPerFrame: columns,
    microsecondsAtIssueFloor: columns.total / options.clockMhz,
  };
}

/** Fired columns per frame: each layer's input, recurrent and projection-input columns. */
function firedColumns(
  options: DeltaWorkBoundOptions,
): DeltaWorkBound["firedColumnsPerFrame"] {
  const { model, fired } = options;
  const outputs = model.projSize > 0 ? model.projSize : model.hiddenSize;
  let x = 0, h = 0, m = 0;
  for (let l = 0; l < model.numLayers; l++) {
    x += fired.firedFractionX[l] * (l === 0 ? model.inputSize : outputs);
    h += fired.firedFractionH[l] * outputs;
    if (model.projSize > 0) {
      m += (options.deltaCodedProjection ? fired.firedFractionM[l] : 1) * model.hiddenSize;
    }
  }
  return { x, h, m, total: x + h + m };
}

/** One line for the report. */
export function formatDeltaWorkBound(bound: DeltaWorkBound): string {
  const round = (value: number) => Math.round(value).toLocaleString("en-US");
  const c = bound.firedColumnsPerFrame;
  return `A delta frame leaves ${round(bound.macsPerFrame)} MACs (${
    round(bound.macsPerFrameWithoutDelta)
  } without delta): ${bound.targetMicroseconds} us per frame at ${bound.clockMhz} MHz asks ` +
    `${Math.ceil(bound.lanesForTarget)} MAC lanes busy every cycle; all ${bound.dspBudget} DSPs ` +
    `of the budget as lanes give ${bound.microsecondsAtBudget.toFixed(3)} us at best; ` +
    `${bound.targetTops} TOp/s on this model asks ${bound.microsecondsForTops.toFixed(3)} us ` +
    `per frame (${bound.label}). The built datapath's encoders give the PEs one fired column a ` +
    `cycle: the test set fires ${c.total.toFixed(1)} columns a frame (x ${c.x.toFixed(1)}, h ` +
    `${c.h.toFixed(1)}, projection input m ${c.m.toFixed(1)}), so no PE or lane count of it ` +
    `goes below ${c.total.toFixed(1)} cycles, ${bound.microsecondsAtIssueFloor.toFixed(3)} us ` +
    "a frame at that clock (computed; below it takes fewer fired columns or several columns a " +
    "cycle).";
}
