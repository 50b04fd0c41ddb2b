/**
 * The scaling table of `deno task bench:ese`: the ESE-shaped LSTMP on bcr accelerators of N PEs
 * with L MAC lanes each (`gen --lanes`) and W columns per broadcast beat (`gen --broadcast`, by
 * default gen's), pruned lane-aware for each (`prune --pes N --lanes L`):
 * cycles per frame (simulated with Verilator and checked bit for bit where the run is affordable,
 * else the exact cycle model of design.json, labelled "computed (cycle model)"), the ideal
 * non-zeros / (N x L), utilization, microseconds per frame and effective GOP/s at the (assumed)
 * clock, bits per non-zero, where the cycles go, and Yosys resources (per-PE estimate x N).
 *
 * A benchmark, not a test: every figure says how it was obtained.
 *
 * @module
 */

import { join } from "node:path";
import type { RnnModel } from "../model/model.ts";
import { type BlockSize, pruneModelBcr } from "../prune/mod.ts";
import { generateDesignDir } from "../rtl/mod.ts";
import { BATCH_SIZES, BROADCAST_WIDTHS, LANE_COUNTS } from "../rtl/config.ts";
import { simulateFrames } from "./ese.ts";
import { synthesizeDesign } from "../synth/mod.ts";
import {
  STORAGE_TARGETS,
  storageLine,
  type WeightStorage,
  weightStorage,
} from "./weight_storage.ts";
import { runPool } from "../util/pool.ts";

/** ESE's published XCKU060 budget (shared/REFERENCE.md): the design must fit it. */
export const XCKU060_BUDGET = { dsps: 1504, blockRams: 947, luts: 294000 } as const;

/** The issue's targets for the headline. */
export const SCALING_TARGETS = {
  usPerFrame: 5,
  gops: 282,
  bitsPerNonZero12: STORAGE_TARGETS["12-bit"],
  bitsPerNonZero8: STORAGE_TARGETS["8-bit"],
  note: "issue #14: <= 5 us per frame at batch 1 within ESE's XCKU060 budget " +
    "(<= 1,504 DSP, <= 947 BRAM36, <= 294k LUT); >= 282 GOP/s with batch; <= 14 bits per " +
    "non-zero at 12-bit weights, <= 10 at 8-bit",
} as const;

/** One PEs x lanes configuration (broadcast width: gen's default unless given). */
export interface ScalingConfig {
  pes: number;
  lanes: number;
  broadcast?: number;
  /** Sequences sharing every weight read (`gen --batch`; default 1). */
  batch?: number;
  /** true: the cycle model only, whatever `simulateMaxPes` says ("32x4m"). */
  modelOnly?: boolean;
}

/**
 * Parse "32x1,32x4,64x8w4,32x4b4,32x8m" (PEs x lanes, optionally w and the columns per broadcast
 * beat, optionally b and the batch, optionally m: the cycle model only) into configurations
 * ("none": no configuration; undefined when malformed).
 */
export function parseScalingConfigs(text: string): ScalingConfig[] | undefined {
  if (text.trim() === "none") return [];
  const configs = text.split(",").map((item) => {
    const match = /^(\d+)x(\d+)(?:w(\d+))?(?:b(\d+))?(m?)$/.exec(item.trim());
    if (!match) return undefined;
    const config: ScalingConfig = { pes: Number(match[1]), lanes: Number(match[2]) };
    if (match[3] !== undefined) config.broadcast = Number(match[3]);
    if (match[4] !== undefined) config.batch = Number(match[4]);
    if (match[5] === "m") config.modelOnly = true;
    return config;
  });
  const widths: readonly number[] = BROADCAST_WIDTHS;
  const batches: readonly number[] = BATCH_SIZES;
  return configs.every((c) =>
      c && c.pes >= 1 && c.pes <= 1024 && (LANE_COUNTS as readonly number[]).includes(c.lanes) &&
      (c.broadcast === undefined || (widths.includes(c.broadcast) && c.pes % c.broadcast === 0)) &&
      (c.batch === undefined || batches.includes(c.batch))
    )
    ? configs as ScalingConfig[]
    : undefined;
}

/** Options of `runEseScaling`. */
export interface ScalingOptions {
  /** The dense ESE-shaped model. */
  dense: RnnModel;
  /** Configurations. */
  configs: ScalingConfig[];
  /** Pruning density and block (lane-aware pruning per configuration). */
  density: number;
  block: BlockSize;
  /** Assumed clock (MHz). */
  clockMhz: number;
  /** Frames simulated. */
  steps: number;
  /** Simulate with Verilator only up to this many PEs (larger: the cycle model). */
  simulateMaxPes: number;
  /** Run the per-PE Yosys estimate. */
  synth: boolean;
  /** Work and cache folders. */
  workDir: string;
  cacheDir: string;
  /** Progress lines. */
  log: (line: string) => void;
  /** Configurations run at a time (default 1). */
  jobs?: number;
  /** Called with the rows finished so far (in configuration order) as each row finishes. */
  onRows?: (rows: ScalingRow[]) => Promise<void>;
}

/** Yosys figures of one configuration (per-PE synthesis x N plus the shared logic). */
export interface ScalingResources {
  luts: number;
  flipFlops: number;
  blockRams: number;
  dsps: number;
  perPe: { luts: number; flipFlops: number; blockRams: number; dsps: number } | null;
  estimated: boolean;
  fitsXcku060: boolean;
  seconds: number;
}

/** One row of the scaling table. */
export interface ScalingRow {
  pes: number;
  lanes: number;
  /** Columns per broadcast beat (design.json's accelerator.broadcast). */
  broadcast: number;
  /** Sequences sharing every weight read (a step computes this many frames). */
  batch: number;
  multipliers: number;
  cyclesPerFrame: number;
  cyclesSource: string;
  bitExact: boolean | null;
  cycleModelCycles: number;
  cycleModelError: number | null;
  idealCyclesPerFrame: number;
  utilization: number;
  /** Microseconds of one step (batch frames) at the assumed clock. */
  usPerFrame: number;
  /** Operations of the step's frames (2 per non-zero each) per second, in G. */
  effectiveGops: number;
  bitsPerNonZero: number | null;
  /** Bits per non-zero of the same pruned model per weight format (bench/weight_storage.ts). */
  weightStorage: WeightStorage[];
  nonZeros: number;
  block: string;
  breakdown: Record<string, number>;
  broadcastBoundCycles: number;
  resources: ScalingResources | null;
}

/**
 * Broadcast beats in a frame (W columns per beat, one beat per cycle; a part of a phase vector
 * starts a new beat): every layer's [x; h] and, with a projection, its cells; the floor of the
 * controller whatever the PEs and lanes.
 */
export function broadcastBound(
  model: {
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    projSize: number;
    outputSize: number;
  },
  width: number,
): number {
  const { inputSize, hiddenSize, numLayers, outputSize } = model;
  const beats = (columns: number) => Math.ceil(columns / width);
  const proj = model.projSize > 0 ? beats(hiddenSize) : 0;
  return beats(inputSize) + (numLayers - 1) * beats(outputSize) +
    numLayers * (beats(outputSize) + proj);
}

/** Per-PE Yosys resources of a generated design. */
async function designResources(dir: string, log: (line: string) => void) {
  const started = performance.now();
  const report = await synthesizeDesign(dir, { perPe: true, log: () => {} });
  const total = report.total;
  const pe = report.perPe;
  const seconds = (performance.now() - started) / 1000;
  log(`synth (per-PE estimate): ${total.luts} LUTs, ${total.dsps} DSPs (${seconds.toFixed(0)} s)`);
  return {
    luts: total.luts,
    flipFlops: total.flipFlops,
    blockRams: total.blockRams,
    dsps: total.dsps,
    perPe: pe
      ? { luts: pe.luts, flipFlops: pe.flipFlops, blockRams: pe.blockRams, dsps: pe.dsps }
      : null,
    estimated: report.estimated,
    fitsXcku060: total.dsps <= XCKU060_BUDGET.dsps && total.blockRams <= XCKU060_BUDGET.blockRams &&
      total.luts <= XCKU060_BUDGET.luts,
    seconds,
  };
}

/** Prune, generate, simulate (or model) and synthesize one configuration. */
async function scalingRow(config: ScalingConfig, options: ScalingOptions): Promise<ScalingRow> {
  const { pes, lanes, broadcast } = config;
  const batch = config.batch ?? 1;
  const log = (line: string) => options.log(`  [${configName(config)}] ${line}`);
  const { model } = pruneModelBcr(options.dense, {
    block: options.block,
    rates: { density: options.density },
    pes,
    lanes,
  });
  const dir = join(options.workDir, `bcr-${configName({ ...config, modelOnly: false })}`);
  const { design } = await generateDesignDir(model, dir, {
    pes,
    format: "bcr",
    lanes: lanes as 1,
    broadcast,
    batch,
    clockMhz: options.clockMhz,
    blockRows: options.block.rows,
    blockCols: options.block.cols,
  }, "bench:ese");
  const modelled = design.estimate.cyclesPerStep;
  let cycles = modelled;
  let cyclesSource = "computed (cycle model)";
  let bitExact: boolean | null = null;
  let error: number | null = null;
  if (pes <= options.simulateMaxPes && !config.modelOnly) {
    const result = await simulateFrames(dir, { ...options, log });
    cycles = result.steadyCyclesPerStep ?? result.cyclesPerStep;
    cyclesSource = `simulated (Verilator, ${options.steps} frames, steady state)`;
    bitExact = result.bitExact;
    error = result.estimate.relativeError;
  }
  const nonZeros = design.work.nonZerosPerStep;
  const ideal = nonZeros / (pes * lanes);
  const usPerFrame = cycles / options.clockMhz;
  const resources = options.synth ? await designResources(dir, log) : null;
  const storage = weightStorage(model, { pes, lanes, block: options.block });
  log(storageLine(storage));
  return {
    pes,
    lanes,
    broadcast: design.accelerator.broadcast,
    batch,
    multipliers: pes * lanes * batch,
    cyclesPerFrame: cycles,
    cyclesSource,
    bitExact,
    cycleModelCycles: modelled,
    cycleModelError: error,
    idealCyclesPerFrame: ideal,
    utilization: ideal / cycles,
    usPerFrame,
    effectiveGops: (2 * nonZeros * batch) / (usPerFrame * 1e3),
    bitsPerNonZero: design.image.manifest.bitsPerNonZero,
    weightStorage: storage,
    nonZeros,
    block: `${design.accelerator.blockRows}x${design.accelerator.blockCols}`,
    breakdown: { ...design.estimate.breakdown },
    broadcastBoundCycles: broadcastBound(design.model, design.accelerator.broadcast),
    resources,
  };
}

/** The line printed for one row. */
export function scalingLine(row: ScalingRow): string {
  const fit = row.resources
    ? `; ${row.resources.luts} LUTs, ${row.resources.flipFlops} FFs, ${row.resources.blockRams} ` +
      `BRAM36, ${row.resources.dsps} DSPs (Yosys per-PE estimate x N)${
        row.resources.fitsXcku060 ? ", fits the XCKU060 budget" : ", over the XCKU060 budget"
      }`
    : "";
  const batch = row.batch > 1 ? `, batch ${row.batch}` : "";
  return `${row.pes} PEs x ${row.lanes} lanes, ${row.broadcast} columns per beat${batch}: ${row.cyclesPerFrame} cycles/${
    row.batch > 1 ? "step" : "frame"
  } (${row.cyclesSource}` +
    `${row.bitExact === null ? "" : row.bitExact ? ", bit-exact" : ", NOT bit-exact"}), ideal ` +
    `${row.idealCyclesPerFrame.toFixed(0)}, utilization ${(100 * row.utilization).toFixed(1)}%, ` +
    `${row.usPerFrame.toFixed(2)} us/${row.batch > 1 ? "step" : "frame"} and ` +
    `${row.effectiveGops.toFixed(1)} GOP/s at the ` +
    `assumed clock, ${row.bitsPerNonZero?.toFixed(2)} bits/non-zero${fit}`;
}

/** "32x16", "64x8w4" or "32x4b4": a configuration as the --scaling flag spells it. */
function configName(config: ScalingConfig): string {
  return `${config.pes}x${config.lanes}${config.broadcast ? `w${config.broadcast}` : ""}${
    config.batch && config.batch > 1 ? `b${config.batch}` : ""
  }${config.modelOnly ? "m" : ""}`;
}

/** Run every configuration; the table and its headline (bench/results/ese.json's `scaling`). */
export async function runEseScaling(options: ScalingOptions) {
  const done = new Map<ScalingConfig, ScalingRow>();
  const rows = await runPool(
    options.configs.map((config) => async () => {
      options.log(
        `\n== bcr ${config.pes} PEs x ${config.lanes} lanes` +
          `${config.broadcast ? `, broadcast ${config.broadcast}` : ""}` +
          `${config.batch && config.batch > 1 ? `, batch ${config.batch}` : ""} ==`,
      );
      const row = await scalingRow(config, options);
      options.log(`  [${configName(config)}] ${scalingLine(row)}`);
      done.set(config, row);
      await options.onRows?.(options.configs.flatMap((c) => done.get(c) ?? []));
      return row;
    }),
    options.jobs ?? 1,
  );
  return scalingSummary(rows, options);
}

/**
 * The table and its headlines: at batch 1, the fastest row within the budget, else the fastest;
 * the throughput headline, the row of most effective GOP/s (any batch) within the budget.
 */
export function scalingSummary(rows: ScalingRow[], options: { clockMhz: number }) {
  const fitting = rows.filter((row) => row.resources?.fitsXcku060);
  const best = (candidates: ScalingRow[]) =>
    candidates.filter((row) => row.batch === 1).reduce<ScalingRow | null>(
      (a, row) => !a || row.usPerFrame < a.usPerFrame ? row : a,
      null,
    );
  const headline = best(fitting) ?? best(rows);
  const throughput = fitting.reduce<ScalingRow | null>(
    (a, row) => !a || row.effectiveGops > a.effectiveGops ? row : a,
    null,
  );
  return {
    description: "ESE-shaped LSTMP, bcr with MAC lanes and broadcast beats (gen's default " +
      "width unless the configuration names one), pruned lane-aware per configuration " +
      "(prune --pes N --lanes L, 16x16-style blocks cut in lane order), 12-bit weights, batch 1 " +
      "unless the row says otherwise (a batch row's cycles and us are per step of B frames)",
    clockMhz: options.clockMhz,
    clockNote: "assumed clock (as ESE's 200 MHz); the place-and-route figures of docs/timing.md " +
      "are lower on the open flow",
    measured: "cycles: simulated with Verilator (bit-exact) where cyclesSource says so, else " +
      "computed by the exact cycle model of design.json (0 cycles off the simulation on every " +
      "simulated case); us, GOP/s computed at the assumed clock; resources: Yosys per-PE " +
      "estimate x N plus the shared logic",
    budget: XCKU060_BUDGET,
    targets: SCALING_TARGETS,
    headline: headline && {
      pes: headline.pes,
      lanes: headline.lanes,
      broadcast: headline.broadcast,
      usPerFrame: headline.usPerFrame,
      effectiveGops: headline.effectiveGops,
      bitsPerNonZero: headline.bitsPerNonZero,
      bitsPerNonZeroByWeights: Object.fromEntries(
        headline.weightStorage.map((storage) => [storage.format, storage.bitsPerNonZero]),
      ),
      fitsXcku060: headline.resources?.fitsXcku060 ?? null,
      meetsUsTarget: headline.usPerFrame <= SCALING_TARGETS.usPerFrame,
      cyclesSource: headline.cyclesSource,
    },
    throughputHeadline: throughput && {
      pes: throughput.pes,
      lanes: throughput.lanes,
      batch: throughput.batch,
      effectiveGops: throughput.effectiveGops,
      meetsGopsTarget: throughput.effectiveGops >= SCALING_TARGETS.gops,
      cyclesSource: throughput.cyclesSource,
    },
    rows,
  };
}
