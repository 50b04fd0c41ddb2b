/**
 * The threshold sweep of `bench:delta` (docs/delta.md, "Benchmark"): for each threshold theta
 * (theta_x = theta_h, real units, every layer) on one model, the built delta datapath generated
 * at that theta (ese, W columns per beat), the fixed-point delta golden model's accuracy on the
 * test set and fired fraction per layer, and the design's cycles per frame from its cycle model
 * (rtl/delta_timing.ts, equal to Verilator cycle for cycle) over every test frame, with the
 * speed-up against the same model without delta, time and effective throughput at the assumed
 * clock. `pickTheta` chooses the largest theta within an accuracy budget.
 *
 * @module
 */

import { summarizeStats } from "../model/delta.ts";
import type { runFixedDelta } from "../model/delta_run.ts";
import { quantizeInputs, toReal } from "../model/fixed.ts";
import { type Head, taskMetrics } from "../model/head.ts";
import type { Labels } from "../model/dataset.ts";
import type { RnnModel } from "../model/model.ts";
import type { AcceleratorConfig } from "../rtl/config.ts";
import { designThresholds } from "../rtl/design_schema.ts";
import { type CycleStats, cycleStats } from "../rtl/delta_cycles.ts";
import {
  deltaRunWithColumns,
  type FiredColumns,
  simulateDeltaTiming,
} from "../rtl/delta_timing.ts";
import { builtDesigns, stepPeriods } from "./delta_built.ts";
import { mapYielding, yieldIfDue } from "../util/event_loop.ts";

/** One threshold of the sweep. */
export interface SweepPoint {
  /** theta_x = theta_h (real units). */
  theta: number;
  /** The same in activation LSBs (per layer, x and h; m with theta_m). */
  thetaFixed: { thetaX: number[]; thetaH: number[]; thetaM?: number[] };
  /** Test accuracy of the fixed-point delta golden model (measured). */
  accuracy: number;
  /** Fired fraction per layer (x, h and m together), x part, h part, m part (computed). */
  fired: { fraction: number[]; fractionX: number[]; fractionH: number[]; fractionM: number[] };
  /** Cycles between consecutive step ends of the delta design (computed, cycle model). */
  cycles: CycleStats;
  /** The same model without delta (ese, its cycle estimate) over `cycles.mean`. */
  speedup: number;
  /** Mean and p99 time per frame at the assumed clock. */
  microseconds: { mean: number; p99: number; worst: number };
  /** Dense operations per frame / mean time. */
  effectiveTops: number;
}

/** The sweep's result. */
export interface DeltaSweep {
  /** How the figures were obtained. */
  label: string;
  /** The model swept (its path). */
  model: string;
  /** Columns per beat of the delta designs. */
  broadcast: number;
  /** The same model without delta: cycles per frame (ese, cycle estimate). */
  denseCyclesPerFrame: number;
  /** One row per threshold. */
  points: SweepPoint[];
}

/** What the sweep takes. */
export interface DeltaSweepOptions {
  /** The model swept (usually BCR + delta) and its path. */
  model: RnnModel;
  /** Its path (reported). */
  path: string;
  /** Thresholds (real units). */
  thetas: number[];
  /** theta_m of every point (real units, one or one per layer; absent: the dense projection). */
  thetaM?: number | number[];
  /** The head and the labelled test sequences. */
  head: Head;
  /** Test inputs. */
  sequences: number[][][];
  /** Their labels. */
  labels: Labels;
  /** The accelerator (PEs, fixed point, clock); format and lanes are set to ese, `lanes`. */
  accelerator: AcceleratorConfig;
  /** Columns per beat. */
  broadcast: number;
  /** MAC lanes per PE (ese lines; default 1). */
  lanes?: number;
  /** Input elements per stream beat of the built delta design (default 1). */
  inWords?: number;
  /** false: the built delta design without the projection's own queue (rtl PQUEUE). */
  projQueue?: boolean;
  /** Dense operations per frame (for the effective throughput). */
  denseOps: number;
  /** Called with a line per point. */
  log?: (line: string) => void;
}

/**
 * Run the golden model once per sequence: outputs (real), fired counts, fired columns (letting
 * an interrupt in between sequences: util/event_loop.ts).
 */
async function goldenRun(
  design: ReturnType<typeof builtDesigns>["delta"],
  sequences: number[][][],
): Promise<{
  outputs: number[][][];
  stats: ReturnType<typeof runFixedDelta>["stats"][];
  fired: FiredColumns[];
}> {
  const quantized = design.quantized;
  const outputs: number[][][] = [];
  const stats = [];
  const fired: FiredColumns[] = [];
  for (const sequence of sequences) {
    await yieldIfDue();
    const inputs = quantizeInputs(sequence, quantized.format);
    const { run, fired: columns } = deltaRunWithColumns(quantized, inputs, design.delta!);
    outputs.push(run.outputs.map((step) => toReal(step, quantized.format)));
    stats.push(run.stats);
    fired.push(columns);
  }
  return { outputs, stats, fired };
}

/** Sweep the thresholds (asynchronous only to let an interrupt in: util/event_loop.ts). */
export async function deltaSweep(options: DeltaSweepOptions): Promise<DeltaSweep> {
  const clock = options.accelerator.clockMhz;
  let denseCycles = 0;
  const points: SweepPoint[] = [];
  for (const theta of options.thetas) {
    const designs = builtDesigns(options.model, options.accelerator, {
      delta: options.thetaM === undefined
        ? { thetaX: theta, thetaH: theta }
        : { thetaX: theta, thetaH: theta, thetaM: options.thetaM },
      broadcast: options.broadcast,
      lanes: options.lanes,
      inWords: options.inWords,
      projQueue: options.projQueue,
    });
    denseCycles = designs.dense.estimate.cyclesPerStep;
    const design = designs.delta;
    const run = await goldenRun(design, options.sequences);
    const accuracy = taskMetrics(options.head, run.outputs, options.labels).accuracy;
    const summary = summarizeStats(run.stats);
    const periods = (await mapYielding(run.fired, (fired) =>
      stepPeriods(
        simulateDeltaTiming({ rtl: design.rtl, image: design.image, delta: design.delta! }, fired)
          .stepEndCycles,
      ))).flat();
    const cycles = cycleStats(periods);
    const point: SweepPoint = {
      theta,
      thetaFixed: designThresholds(design.delta!),
      accuracy,
      fired: {
        fraction: summary.firedFraction,
        fractionX: summary.firedFractionX,
        fractionH: summary.firedFractionH,
        fractionM: summary.firedFractionM,
      },
      cycles,
      speedup: denseCycles / cycles.mean,
      microseconds: {
        mean: cycles.mean / clock,
        p99: cycles.p99 / clock,
        worst: cycles.worst / clock,
      },
      effectiveTops: options.denseOps / (cycles.mean / clock * 1e-6) / 1e12,
    };
    options.log?.(
      `sweep theta ${theta}: accuracy ${(accuracy * 100).toFixed(2)}%, fired ${
        summary.firedFraction.map((f) => `${(f * 100).toFixed(1)}%`).join(" / ")
      }, ${cycles.mean.toFixed(1)} cycles per frame (${point.speedup.toFixed(2)}x)`,
    );
    points.push(point);
  }
  return {
    label: "accuracy measured (fixed-point delta golden model on the test set); fired fractions " +
      "computed by it; cycles computed by the built datapath's cycle model (rtl/delta_timing.ts, " +
      "equal to Verilator); time and TOp/s at the assumed clock",
    model: options.path,
    broadcast: options.broadcast,
    denseCyclesPerFrame: denseCycles,
    points,
  };
}

/** The largest theta whose accuracy is within `budgetPoints` of `reference` (null: none). */
export function pickTheta(
  sweep: DeltaSweep,
  reference: number,
  budgetPoints: number,
): SweepPoint | null {
  const within = sweep.points.filter((p) => (reference - p.accuracy) * 100 <= budgetPoints + 1e-9);
  return within.length === 0 ? null : within.reduce((a, b) => (b.theta > a.theta ? b : a));
}
