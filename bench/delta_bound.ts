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
  };
}

/** One line for the report. */
export function formatDeltaWorkBound(bound: DeltaWorkBound): string {
  const round = (value: number) => Math.round(value).toLocaleString("en-US");
  return `A delta frame leaves ${round(bound.macsPerFrame)} MACs (${
    round(bound.macsPerFrameWithoutDelta)
  } without delta): ${bound.targetMicroseconds} us per frame at ${bound.clockMhz} MHz asks ` +
    `${Math.ceil(bound.lanesForTarget)} MAC lanes busy every cycle; all ${bound.dspBudget} DSPs ` +
    `of the budget as lanes give ${bound.microsecondsAtBudget.toFixed(3)} us at best; ` +
    `${bound.targetTops} TOp/s on this model asks ${bound.microsecondsForTops.toFixed(3)} us ` +
    `per frame (${bound.label}).`;
}
