/**
 * The delta benchmark (`deno task bench:delta`, docs/delta.md "Benchmark"): on a model trained on
 * the speech set, the accuracy of the dense model, the BCR-pruned model and the BCR + delta model
 * (measured with the fixed-point golden models on the test set), the fired fraction per layer
 * (computed by the delta golden model), the cycles per frame of one design without delta (the
 * cycle model of the generated RTL, rtl/timing.ts) and with delta (modeled, rtl/delta_cycles.ts:
 * the column-skip datapath is not built), microseconds per frame at an assumed clock and the
 * effective throughput, each figure labelled, and the targets of issue 19 with the shortfall.
 *
 * @module
 */

import type { Dataset } from "../model/dataset.ts";
import {
  type DeltaConfig,
  type DeltaSummary,
  fixedThresholds,
  summarizeStats,
} from "../model/delta.ts";
import { runFixedDelta } from "../model/delta_run.ts";
import { runSequences } from "../model/evaluate.ts";
import { type FixedPointConfig, quantizeInputs, toReal } from "../model/fixed.ts";
import { type Head, taskMetrics } from "../model/head.ts";
import { namedMatrices, type RnnModel, weightDensity } from "../model/model.ts";
import type { AcceleratorConfig } from "../rtl/config.ts";
import { generateFromModel } from "../rtl/mod.ts";
import {
  DELTA_CYCLES_LABEL,
  type DeltaCycleReport,
  deltaCycles,
  type FiredStep,
  firedStepCollector,
} from "../rtl/delta_cycles.ts";
import { type DeltaWorkBound, deltaWorkBound } from "./delta_bound.ts";
import { type BuiltDeltaCycles, builtDeltaCycles, builtDesigns } from "./delta_built.ts";
import { type DeltaSweep, deltaSweep, pickTheta, type SweepPoint } from "./delta_sweep.ts";
import {
  cyclesText,
  type DeltaConfigRow,
  type DeltaConfigTable,
  deltaConfigTable,
  type DeltaDesignPoint,
} from "./delta_configs.ts";
import { yieldIfDue } from "../util/event_loop.ts";
import type { CellBalanceSummary } from "./delta_balance.ts";

/** The targets of issue 19. */
export const DELTA_TARGETS = {
  accuracyLossPoints: 1,
  cycleReduction: 5,
  effectiveTops: 9.4,
  microsecondsPerFrame: 1,
  /** ESE's resources on the XCKU060 (../shared/REFERENCE.md; the issue names all but FF). */
  budget: { dsp: 1504, bram36: 947, lut: 294_000, ff: 453_000 },
} as const;

/** What the benchmark takes. */
export interface DeltaBenchOptions {
  /** The three models with the names they are reported under (file paths). */
  models: { dense: RnnModel; bcr: RnnModel; bcrDelta: RnnModel };
  /** Their paths (reported). */
  paths: { dense: string; bcr: string; bcrDelta: string; test: string };
  /** The classification head (shared by the three: fine-tuning keeps it fixed). */
  head: Head;
  /** The test set (labelled). */
  test: Dataset;
  /** Thresholds (real units). */
  delta: DeltaConfig;
  /** The accelerator of the BCR + delta model (its fixed-point formats are the golden models'). */
  accelerator: AcceleratorConfig;
  /** Columns per beat of the built delta datapath (ese; default 1). */
  broadcast?: number;
  /** MAC lanes per PE of the built delta datapath and its sweep (ese lines; default 1). */
  builtLanes?: number;
  /** Input elements per stream beat of the built delta datapath (divides broadcast; default 1). */
  builtInWords?: number;
  /** false: the built delta datapath without the projection's own queue (rtl PQUEUE). */
  builtProjQueue?: boolean;
  /** Thresholds of the sweep on the BCR + delta model (real units; none: no sweep). */
  sweep?: number[];
  /** Designs of the configuration table (PEs, W, output words; none: no table). */
  configs?: DeltaDesignPoint[];
  /**
   * The model the built delta design holds (default `models.bcrDelta`; `--balance-data`: its
   * cells balanced over the PEs, the same function: bench/delta_balance.ts).
   */
  builtModel?: RnnModel;
  /** What the cell balance did (reported in `setup`). */
  cellBalance?: CellBalanceSummary;
  /** Called with progress lines. */
  log?: (line: string) => void;
}

/** One accuracy row. */
export interface AccuracyFigure {
  /** Model and mode. */
  name: string;
  /** Test accuracy. */
  accuracy: number;
  /** Weight density. */
  density: number;
  /** How the figure was obtained. */
  label: string;
}

/** The benchmark's result (bench/results/delta.json). */
export interface DeltaBenchResult {
  /** What this is. */
  what: string;
  /** Model shape, paths, test set size. */
  setup: Record<string, unknown>;
  /** Accuracies. */
  accuracy: AccuracyFigure[];
  /** Per layer fired fraction (x, h and m together, x, h, m) of the BCR + delta model. */
  fired: {
    fraction: number[];
    fractionX: number[];
    fractionH: number[];
    fractionM: number[];
    label: string;
  };
  /** Cycles per frame without delta (the design's cycle estimate) and with delta (modeled). */
  cycles: {
    dense: { cyclesPerFrame: number; label: string };
    delta: DeltaCycleReport;
    deltaSerialEncoder: DeltaCycleReport;
    /** The built delta datapath (ese): dense and delta designs of the BCR + delta model. */
    built: BuiltDeltaCycles;
  };
  /** Time and throughput at the assumed clock. */
  throughput: Record<string, number | string>;
  /** Resources: multipliers (computed) and what is not estimated. */
  resources: Record<string, number | string>;
  /** The threshold sweep on the BCR + delta model, and the largest theta within the budget. */
  sweep?: DeltaSweep & { picked: SweepPoint | null; budgetPoints: number };
  /** The configuration table (`--configs`) and the fastest configuration within the budget. */
  configs?: DeltaConfigTable;
  /** What the time targets ask of any datapath: the MACs a delta frame leaves (computed). */
  bound?: DeltaWorkBound;
  /** Each target with the figure reached and whether it is met. */
  targets: { target: string; goal: string; reached: string; met: boolean; limit?: string }[];
}

const MEASURED = "measured: rnnfab's fixed-point golden model on the test set";

async function fixedAccuracy(
  model: RnnModel,
  options: Pick<DeltaBenchOptions, "head" | "test"> & { config: FixedPointConfig },
): Promise<number> {
  const { outputs } = await runSequences(model, options.test.sequences, {
    mode: "fixed",
    config: options.config,
  });
  return taskMetrics(options.head, outputs, options.test.labels!).accuracy;
}

/** The delta golden model on the design's integer model: accuracy, fired counts, fired sets. */
async function deltaRun(
  design: ReturnType<typeof generateFromModel>["design"],
  options: DeltaBenchOptions,
): Promise<{ accuracy: number; frames: FiredStep[]; summary: ReturnType<typeof summarizeStats> }> {
  const quantized = design.quantized;
  const thresholds = fixedThresholds(options.delta, {
    numLayers: quantized.numLayers,
    activationFrac: quantized.format.activationFrac,
    source: "bench:delta",
  });
  const frames: FiredStep[] = [];
  const stats = [];
  const outputs: number[][][] = [];
  for (const sequence of options.test.sequences) {
    await yieldIfDue(); // a signal is handled between sequences (util/event_loop.ts)
    const collector = firedStepCollector(quantized.numLayers);
    const inputs = quantizeInputs(sequence, quantized.format);
    const run = runFixedDelta(quantized, inputs, thresholds, { onFire: collector.onFire });
    frames.push(...collector.finish(inputs.length));
    stats.push(run.stats);
    outputs.push(run.outputs.map((step) => toReal(step, quantized.format)));
  }
  const accuracy = taskMetrics(options.head, outputs, options.test.labels!).accuracy;
  return { accuracy, frames, summary: summarizeStats(stats) };
}

/** Dense operations of one frame: 2 per weight of every matrix of the dense model. */
export function denseOpsPerFrame(model: RnnModel): number {
  return 2 * namedMatrices(model).reduce((sum, { matrix }) => sum + matrix.rows * matrix.cols, 0);
}

/** The built delta datapath's cycles on the test set (broadcast, lanes and input words set). */
async function builtOf(options: DeltaBenchOptions) {
  const broadcast = options.broadcast ?? 1;
  const lanes = options.builtLanes ?? 1;
  const built = await builtDeltaCycles(
    builtDesigns(options.builtModel ?? options.models.bcrDelta, options.accelerator, {
      delta: options.delta,
      broadcast,
      lanes,
      inWords: options.builtInWords,
      projQueue: options.builtProjQueue,
    }),
    options.test.sequences,
    broadcast,
  );
  options.log?.(
    `built datapath (ese, ${lanes} lane(s), ${broadcast} columns per beat): ${built.denseCyclesPerFrame} cycles ` +
      `per frame without delta, ${built.delta.mean.toFixed(1)} with (${built.label})`,
  );
  return built;
}

/** The threshold sweep on the built delta datapath (its broadcast, lanes and input words). */
function sweepOf(options: DeltaBenchOptions, thetas: number[], denseOps: number) {
  return deltaSweep({
    model: options.models.bcrDelta,
    path: options.paths.bcrDelta,
    thetas,
    thetaM: options.delta.thetaM,
    head: options.head,
    sequences: options.test.sequences,
    labels: options.test.labels!,
    accelerator: options.accelerator,
    broadcast: options.broadcast ?? 1,
    lanes: options.builtLanes ?? 1,
    inWords: options.builtInWords,
    projQueue: options.builtProjQueue,
    denseOps,
    log: options.log,
  });
}

/** Run the benchmark (asynchronous only to let an interrupt in between sequences). */
export async function runDeltaBench(options: DeltaBenchOptions): Promise<DeltaBenchResult> {
  const log = options.log ?? (() => {});
  const config = options.accelerator.fixed;
  const { dense, bcr, bcrDelta } = options.models;
  const accuracy: AccuracyFigure[] = [];
  const add = (name: string, model: RnnModel, value: number, label = MEASURED) => {
    accuracy.push({ name, accuracy: value, density: weightDensity(model), label });
    log(`${name}: accuracy ${(value * 100).toFixed(2)}% (${label})`);
  };
  add("dense", dense, await fixedAccuracy(dense, { ...options, config }));
  add("BCR only", bcr, await fixedAccuracy(bcr, { ...options, config }));
  const bcrDesign = generateFromModel(bcr, options.accelerator).design;
  const untrained = (await deltaRun(bcrDesign, options)).accuracy;
  add("BCR only, delta thresholds (not trained with them)", bcr, untrained);
  const { design } = generateFromModel(bcrDelta, options.accelerator);
  log(
    `design: ${design.accelerator.pes} PEs, ${design.accelerator.format}, estimate ` +
      `${cyclesText(design.estimate.cyclesPerStep)} cycles per frame without delta`,
  );
  const run = await deltaRun(design, options);
  add("BCR + delta (trained with the thresholds)", bcrDelta, run.accuracy);
  const delta = deltaCycles(design, run.frames);
  const serial = deltaCycles(design, run.frames, { encoder: "serial" });
  const built = await builtOf(options);
  const clockMhz = options.accelerator.clockMhz;
  const ops = denseOpsPerFrame(dense);
  const us = (cycles: number) => cycles / clockMhz;
  const tops = (cycles: number) => ops / (us(cycles) * 1e-6) / 1e12;
  const multipliers = design.accelerator.pes * design.accelerator.lanes;
  const denseAccuracy = accuracy[0].accuracy;
  const lossPoints = (denseAccuracy - run.accuracy) * 100;
  const configs = await configTableOf(options, ops);
  const throughput = throughputOf({
    clockMhz,
    ops,
    builtCycles: { dense: built.denseCyclesPerFrame, delta: built.delta.mean },
    modeled: { dense: design.estimate.cyclesPerStep, delta: delta.delta },
  });
  const sweep = options.sweep?.length ? await sweepOf(options, options.sweep, ops) : undefined;
  return {
    what: "issue 19 delta benchmark: accuracy dense / BCR / BCR + delta, fired fractions, cycles " +
      "per frame without and with delta on one design",
    setup: {
      model: {
        kind: dense.kind,
        inputSize: dense.inputSize,
        hiddenSize: dense.hiddenSize,
        projSize: dense.projSize,
        numLayers: dense.numLayers,
      },
      paths: options.paths,
      testSequences: options.test.sequences.length,
      frames: run.frames.length,
      delta: options.delta,
      fixedPoint: config,
      accelerator: {
        pes: design.accelerator.pes,
        format: design.accelerator.format,
        lanes: design.accelerator.lanes,
        block: [design.accelerator.blockRows ?? null, design.accelerator.blockCols ?? null],
      },
      ...(options.cellBalance ? { cellBalance: options.cellBalance } : {}),
    },
    accuracy,
    fired: {
      fraction: run.summary.firedFraction,
      fractionX: run.summary.firedFractionX,
      fractionH: run.summary.firedFractionH,
      fractionM: run.summary.firedFractionM,
      label: "computed by the fixed-point delta golden model on the test set",
    },
    cycles: {
      dense: {
        cyclesPerFrame: design.estimate.cyclesPerStep,
        label: "computed: cycle model of the generated RTL (rtl/timing.ts, equal to Verilator " +
          "on the end-to-end cases)",
      },
      delta,
      deltaSerialEncoder: serial,
      built,
    },
    throughput,
    resources: {
      multipliers,
      multipliersLabel: "computed: PEs x lanes (one DSP each); BRAM and LUTs not estimated here",
    },
    sweep: sweep && {
      ...sweep,
      budgetPoints: DELTA_TARGETS.accuracyLossPoints,
      picked: pickTheta(sweep, denseAccuracy, DELTA_TARGETS.accuracyLossPoints),
    },
    configs,
    bound: boundOf(options, { fired: run.summary, denseOps: ops }),
    targets: targetsOf({ lossPoints, built, us, tops, multipliers, best: configs?.best }),
  };
}

/** What the time targets ask of any datapath on the BCR + delta model (computed). */
function boundOf(
  options: DeltaBenchOptions,
  figures: { fired: DeltaSummary; denseOps: number },
): DeltaWorkBound {
  return deltaWorkBound({
    model: options.models.bcrDelta,
    fired: figures.fired,
    deltaCodedProjection: options.delta.thetaM !== undefined,
    denseOps: figures.denseOps,
    clockMhz: options.accelerator.clockMhz,
    targetMicroseconds: DELTA_TARGETS.microsecondsPerFrame,
    targetTops: DELTA_TARGETS.effectiveTops,
    dspBudget: DELTA_TARGETS.budget.dsp,
  });
}

/** The configuration table of `options.configs` (none: undefined). */
function configTableOf(
  options: DeltaBenchOptions,
  denseOps: number,
): Promise<DeltaConfigTable | undefined> {
  if (!options.configs?.length) return Promise.resolve(undefined);
  return deltaConfigTable({
    model: options.models.bcrDelta,
    accelerator: options.accelerator,
    delta: options.delta,
    sequences: options.test.sequences,
    points: options.configs,
    denseOps,
    budget: DELTA_TARGETS.budget,
    log: options.log,
  });
}

/** Time per frame and effective throughput at the assumed clock (built and modeled cycles). */
function throughputOf(figures: {
  clockMhz: number;
  ops: number;
  builtCycles: { dense: number; delta: number };
  modeled: { dense: number; delta: { mean: number; p99: number } };
}): Record<string, number | string> {
  const { clockMhz, ops, builtCycles, modeled } = figures;
  const us = (cycles: number) => cycles / clockMhz;
  const tops = (cycles: number) => ops / (us(cycles) * 1e-6) / 1e12;
  return {
    clockMhz,
    clockLabel: "assumed (no place and route of this design)",
    denseOpsPerFrame: ops,
    microsecondsPerFrameBuiltDense: us(builtCycles.dense),
    microsecondsPerFrameBuiltDelta: us(builtCycles.delta),
    effectiveTopsBuiltDelta: tops(builtCycles.delta),
    microsecondsPerFrameDense: us(modeled.dense),
    microsecondsPerFrameDelta: us(modeled.delta.mean),
    microsecondsPerFrameDeltaP99: us(modeled.delta.p99),
    effectiveTopsDense: tops(modeled.dense),
    effectiveTopsDelta: tops(modeled.delta.mean),
    label:
      `computed from the cycles at the assumed clock; the delta figures are ${DELTA_CYCLES_LABEL}`,
  };
}

/** Issue 19's targets against the figures. */
function targetsOf(figures: {
  lossPoints: number;
  built: BuiltDeltaCycles;
  us: (cycles: number) => number;
  tops: (cycles: number) => number;
  multipliers: number;
  /** The fastest configuration within the budget (`--configs`): the time targets are its. */
  best?: DeltaConfigRow | null;
}): DeltaBenchResult["targets"] {
  const { lossPoints, built, us, tops, multipliers, best } = figures;
  const mean = built.delta.mean;
  const how = built.verilator ? "Verilator-checked cycle model" : "cycle model";
  const on = best
    ? `, ${best.pes} PEs x ${best.lanes} lanes x ${best.broadcast} columns per beat x ` +
      `${best.outWords} output / ${best.inWords ?? 1} input words` +
      `${best.projQueue === false ? ", no projection queue" : ""}, ` +
      "the fastest configuration within the budget"
    : `, ${built.design.pes} PEs`;
  const frameUs = best ? best.microseconds : us(mean);
  const frameTops = best ? best.effectiveTops : tops(mean);
  const budget = best
    ? {
      reached: `${best.resources.dsp} DSP, ${best.resources.bram36} BRAM36, ` +
        `${best.resources.lut} LUT, ${best.resources.ff} FF (${best.pes} PEs; ${best.resources.label})`,
      met: best.resources.fits,
    }
    : {
      reached: `${multipliers} multipliers (BRAM, LUT not estimated)`,
      met: multipliers <= DELTA_TARGETS.budget.dsp,
    };
  return [
    {
      target: "accuracy loss vs dense",
      goal: `<= ${DELTA_TARGETS.accuracyLossPoints} point`,
      reached: `${lossPoints.toFixed(2)} points`,
      met: lossPoints <= DELTA_TARGETS.accuracyLossPoints,
    },
    {
      target: "fewer cycles per frame from delta (built datapath, ese)",
      goal: `>= ${DELTA_TARGETS.cycleReduction}x`,
      reached: `${built.speedup.toFixed(2)}x (${how}, ${built.design.broadcast} columns per beat)`,
      met: built.speedup >= DELTA_TARGETS.cycleReduction,
    },
    {
      target: "effective throughput at batch 1",
      goal: `>= ${DELTA_TARGETS.effectiveTops} TOp/s`,
      reached: `${frameTops.toFixed(4)} TOp/s (assumed clock, ${how}${on})`,
      met: frameTops >= DELTA_TARGETS.effectiveTops,
    },
    {
      target: "time per frame",
      goal: `<= ${DELTA_TARGETS.microsecondsPerFrame} us`,
      reached: `${frameUs.toFixed(3)} us (assumed clock, ${how}${on})`,
      met: frameUs <= DELTA_TARGETS.microsecondsPerFrame,
    },
    {
      target: "within the XCKU060 budget",
      goal: `<= ${DELTA_TARGETS.budget.dsp} DSP, ${DELTA_TARGETS.budget.bram36} BRAM36, ` +
        `${DELTA_TARGETS.budget.lut} LUT, ${DELTA_TARGETS.budget.ff} FF`,
      ...budget,
    },
  ];
}
