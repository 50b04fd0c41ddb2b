/**
 * The cycles of the built delta datapath for `bench:delta` (docs/delta.md, "Hardware"): the model
 * generated for the `ese` format without delta (its cycle estimate, rtl/timing.ts) and with delta
 * (`gen` with the thresholds and W columns per beat); the delta design's cycles per frame over
 * every test frame from its cycle model (rtl/delta_timing.ts, equal to Verilator cycle for cycle
 * in tests/e2e_delta_test.ts), and, for the first sequences, simulated by Verilator
 * (`measureBuiltDelta`).
 *
 * @module
 */

import type { DeltaConfig } from "../model/delta.ts";
import { quantizeInputs } from "../model/fixed.ts";
import type { RnnModel } from "../model/model.ts";
import type { AcceleratorConfig } from "../rtl/config.ts";
import { type CycleStats, cycleStats } from "../rtl/delta_cycles.ts";
import { firedColumnsOf, simulateDeltaTiming } from "../rtl/delta_timing.ts";
import { MAIN_STATES, type TimingRun } from "../rtl/timing.ts";
import { type DesignParams, generateFromModel, writeDesign } from "../rtl/mod.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { yieldIfDue } from "../util/event_loop.ts";

/** The label of the built datapath's computed cycles. */
export const BUILT_DELTA_LABEL = "computed: cycle model of the built delta datapath " +
  "(rtl/delta_timing.ts, equal to Verilator cycle for cycle in tests/e2e_delta_test.ts)";

/** The built datapath's figures. */
export interface BuiltDeltaCycles {
  /** How the delta figures were obtained. */
  label: string;
  /**
   * PEs, format, columns per beat, output elements per beat and MAC lanes per PE of the delta
   * design (no `lanes` in files before session 13: 1).
   */
  design: {
    pes: number;
    format: "ese";
    broadcast: number;
    outWords: number;
    lanes?: number;
    /** Input elements per beat (absent in files before session 18: 1). */
    inWords?: number;
  };
  /** Cycles per frame of the same model generated without delta (ese, its cycle estimate). */
  denseCyclesPerFrame: number;
  /** Frames counted: the step ends after each sequence's first (the start-up is not a frame). */
  frames: number;
  /** Cycles between consecutive step ends of the delta design. */
  delta: CycleStats;
  /** denseCyclesPerFrame / delta.mean. */
  speedup: number;
  /**
   * Cycles per frame of the delta design when no column fires (the cycle model on the first
   * sequence with every fired set empty): what delta cannot remove on this design (the
   * element-wise latency, the output stream, the walk of every column through the encoders).
   */
  idleCyclesPerFrame: number;
  /**
   * Where a frame's cycles go (the cycle model's main states, cycles per step over every step of
   * every sequence): `matvec` the gate phase (ST_A_WAIT: the walk of every column through the
   * encoders and the fired columns' work), `projection` the element-wise issue, its latency and
   * the projection phase (ST_EW, ST_EW_WAIT, ST_C_WAIT; with early input also ST_X,
   * and the next step's input part's work in it), `outputWait` the wait for the previous
   * step's output stream before h is overwritten (ST_D), `other` the phase starts (ST_A).
   */
  phases: DeltaPhases;
  /** The same with no column fired: the floor. */
  idlePhases: DeltaPhases;
  /** Verilator runs of the first sequences, when asked (`measureBuiltDelta`). */
  verilator?: { sequences: number; frames: number; delta: CycleStats; equal: boolean };
}

/** Cycles per step in each part of a delta frame (the cycle model's main states). */
export interface DeltaPhases {
  /** ST_A_WAIT: the gate matrix-vector phase. */
  matvec: number;
  /**
   * ST_EW, ST_EW_WAIT, ST_C_WAIT (ST_X): element-wise issue and latency, the
   * projection phase (with early input, the next step's input part).
   */
  projection: number;
  /** ST_D: the wait for the output stream. */
  outputWait: number;
  /** ST_A: phase starts. */
  other: number;
}

/** The phases of cycle-model runs: main-state cycles summed over the runs, per step. */
export function phasesOf(runs: { stateCycles: number[] }[], steps: number): DeltaPhases {
  const sum = new Array(MAIN_STATES).fill(0);
  for (const run of runs) run.stateCycles.forEach((cycles, i) => sum[i] += cycles);
  const per = (cycles: number) => steps > 0 ? cycles / steps : 0;
  return {
    other: per(sum[0]),
    matvec: per(sum[1]),
    // (7: XEARLY's walk of the next step's input part)
    projection: per(sum[2] + sum[3] + sum[4] + sum[7]),
    outputWait: per(sum[5]),
  };
}

/**
 * The two designs: the model on ese without delta, and with it at W columns per beat and
 * `options.inWords` input elements per stream beat (default 1), both with `options.lanes` MAC
 * lanes per PE (default 1; the accelerator's own lanes are bcr's). The dense design streams one
 * input word a beat (its engines take at most a column a cycle, as that stream brings them).
 */
export function builtDesigns(
  model: RnnModel,
  accelerator: AcceleratorConfig,
  options: BuiltDeltaOptions,
): { dense: DesignParams; delta: DesignParams } {
  const dense = generateFromModel(model, builtDenseConfig(accelerator, options)).design;
  const delta = generateFromModel(model, builtDeltaConfig(accelerator, options)).design;
  return { dense, delta };
}

/** The built delta design's settings beside the accelerator (`builtDesigns`). */
export interface BuiltDeltaOptions {
  delta: DeltaConfig;
  broadcast: number;
  lanes?: number;
  inWords?: number;
  /** false: without the projection's own queue (rtl PQUEUE; default on where it applies). */
  projQueue?: boolean;
}

/** The dense design of `builtDesigns`: ese, the lanes, one column and one input word a beat. */
function builtDenseConfig(accelerator: AcceleratorConfig, options: BuiltDeltaOptions) {
  const lanes = options.lanes ?? 1;
  return { ...accelerator, format: "ese" as const, lanes, broadcast: 1, inWords: 1 };
}

/** The delta design of `builtDesigns`: the dense one with the thresholds, W and input words. */
export function builtDeltaConfig(
  accelerator: AcceleratorConfig,
  options: BuiltDeltaOptions,
): AcceleratorConfig {
  return {
    ...builtDenseConfig(accelerator, options),
    delta: options.delta,
    broadcast: options.broadcast,
    inWords: options.inWords ?? 1,
    projQueue: options.projQueue,
  };
}

/** Cycles between consecutive known step ends. */
export function stepPeriods(ends: (number | null)[]): number[] {
  const known = ends.filter((end): end is number => end !== null);
  return known.slice(1).map((end, t) => end - known[t]);
}

/**
 * The delta design's cycles per frame on every test sequence, from its cycle model (asynchronous
 * only to let an interrupt in between sequences: util/event_loop.ts).
 */
export async function builtDeltaCycles(
  designs: { dense: DesignParams; delta: DesignParams },
  sequences: number[][][],
  broadcast: number,
): Promise<BuiltDeltaCycles> {
  const { dense, delta } = designs;
  const periods: number[] = [];
  const runs: TimingRun[] = [];
  let steps = 0;
  for (const sequence of sequences) {
    await yieldIfDue();
    const inputs = quantizeInputs(sequence, delta.quantized.format);
    const fired = firedColumnsOf(delta.quantized, inputs, delta.delta!);
    const run = simulateDeltaTiming(
      { rtl: delta.rtl, image: delta.image, delta: delta.delta! },
      fired,
    );
    periods.push(...stepPeriods(run.stepEndCycles));
    runs.push(run);
    steps += fired.length;
  }
  const stats = cycleStats(periods);
  const idle = idleCycles(delta, sequences[0]?.length ?? 0);
  return {
    idleCyclesPerFrame: idle.mean,
    phases: phasesOf(runs, steps),
    idlePhases: idle.phases,
    label: BUILT_DELTA_LABEL,
    design: {
      pes: delta.accelerator.pes,
      format: "ese",
      broadcast,
      outWords: delta.accelerator.outWords ?? 1,
      lanes: delta.accelerator.lanes,
      inWords: delta.accelerator.inWords ?? 1,
    },
    denseCyclesPerFrame: dense.estimate.cyclesPerStep,
    frames: periods.length,
    delta: stats,
    speedup: dense.estimate.cyclesPerStep / stats.mean,
  };
}

/** The delta design's mean cycles per frame, and its phases, over `steps` steps of no fire. */
function idleCycles(delta: DesignParams, steps: number): { mean: number; phases: DeltaPhases } {
  if (steps < 2) return { mean: 0, phases: phasesOf([], 0) };
  const none = Array.from({ length: steps }, () => delta.rtl.LAYERS).map((layers) =>
    Array.from({ length: layers }, () => new Set<number>())
  );
  const run = simulateDeltaTiming(
    { rtl: delta.rtl, image: delta.image, delta: delta.delta! },
    none,
  );
  return { mean: cycleStats(stepPeriods(run.stepEndCycles)).mean, phases: phasesOf([run], steps) };
}

/**
 * Simulate the delta design under Verilator on the first `count` sequences (written to `dir`):
 * its cycles per frame, measured, and whether every step end equals the cycle model's.
 */
export async function measureBuiltDelta(
  delta: DesignParams,
  sequences: number[][][],
  dir: string,
): Promise<NonNullable<BuiltDeltaCycles["verilator"]>> {
  await writeDesign(dir, delta);
  const periods: number[] = [];
  let equal = true;
  for (const sequence of sequences) {
    const result = await simulateDesign({ designDir: dir, inputs: sequence, resultPath: null });
    if (!result.bitExact) throw new Error(`bench:delta: the delta design is not bit-exact`);
    const inputs = quantizeInputs(sequence, delta.quantized.format);
    const fired = firedColumnsOf(delta.quantized, inputs, delta.delta!);
    const model = simulateDeltaTiming(
      { rtl: delta.rtl, image: delta.image, delta: delta.delta! },
      fired,
    );
    equal &&= JSON.stringify(model.stepEndCycles) === JSON.stringify(result.stepEndCycles);
    periods.push(...stepPeriods(result.stepEndCycles));
  }
  return { sequences: sequences.length, frames: periods.length, delta: cycleStats(periods), equal };
}
