/**
 * The delta cycle model (docs/delta.md, "Cycles"): cycles per frame of a datapath that walks only
 * the fired columns of a layer's phase A (its W_ih and W_hh columns), from the design's encoded
 * weight image and the fired column sets of every step (the delta golden model's `onFire`). It is
 * a **model** of a datapath that is **not built**: the generated RTL walks every column, and no
 * simulation checks these figures. Everything it prints says "modeled (column-skip datapath not
 * built)".
 *
 * The model, per step t and layer l, with S the fired columns of the layer (x part then h part):
 *
 *     phaseA(S) = max(ceil(|S| / B), max over PEs p of sum over c in S of work[p][c]) + fill
 *
 * - `work[p][c]`: the cycles PE p spends on column c, read from its memory words: ese, its
 *   entries (padding entries ride along with the next one, as in rnnfab_mv_ese.v); bcr, one weight
 *   word (a line of L lanes) per kept block row line, for every block that holds column c.
 * - B: columns the broadcaster offers per cycle (1 in the current RTL; `broadcastColumns`).
 * - fill: the per-phase latency of the dense design, calibrated so that the model with every
 *   column fired equals the dense cycle estimate's matrix-vector cycles (rtl/timing.ts, exact
 *   against Verilator); it is spread evenly over the layers.
 * - The rest of a step (element-wise, the projection, which stays dense, the input and output
 *   transfers) is the dense estimate's, unchanged.
 * - The encoder (rtl-templates/rnnfab_delta_enc.v) compares one value per cycle. `encoder:
 *   "overlapped"` (assumed) hides it behind the input transfer and the h write-back that already
 *   stream one value per cycle; `"serial"` adds I_l + R cycles per layer (the worst case).
 *
 * @module
 */

import { splitWord } from "../encode/image.ts";
import { eseEntry } from "../encode/ese.ts";
import type { DesignParams } from "./design.ts";

/** The label every figure of this model carries. */
export const DELTA_CYCLES_LABEL = "modeled (column-skip datapath not built)";

/** Per layer and part, per PE, per column: the cycles the PE spends on the column. */
export interface ColumnWork {
  /** `x[l][p][c]`: W_ih column c of layer l on PE p. */
  x: number[][][];
  /** `h[l][p][c]`: W_hh column c of layer l on PE p. */
  h: number[][][];
}

/** The fired columns of one step: `x[l]`, `h[l]` column indices of layer l. */
export interface FiredStep {
  /** Fired input columns per layer. */
  x: number[][];
  /** Fired recurrent columns per layer. */
  h: number[][];
}

/** What the design contributes: its image, segments and dense cycle estimate. */
export type DeltaCycleDesign = Pick<
  DesignParams,
  "image" | "hardwareSegments" | "estimate" | "rtl" | "model"
>;

/** Options of `deltaCycles`. */
export interface DeltaCycleOptions {
  /** Columns the broadcaster offers per cycle (1). */
  broadcastColumns?: number;
  /** Encoder cost: hidden behind the existing value streams (default, assumed) or serial. */
  encoder?: "overlapped" | "serial";
}

/** Cycles-per-frame statistics. */
export interface CycleStats {
  /** Mean over all frames. */
  mean: number;
  /** Median. */
  p50: number;
  /** 99th percentile (nearest rank). */
  p99: number;
  /** Largest. */
  worst: number;
}

/** The model's result. */
export interface DeltaCycleReport {
  /** Always DELTA_CYCLES_LABEL. */
  label: string;
  /** Frames (steps over all sequences). */
  frames: number;
  /** The dense design's cycles per frame (its cycle estimate, steady state). */
  denseCyclesPerFrame: number;
  /** The dense estimate's matrix-vector cycles per frame and the model's with every column fired. */
  calibration: { denseMatvec: number; modeledAllFired: number; fillPerLayer: number };
  /** Cycles per frame with delta. */
  delta: CycleStats;
  /** denseCyclesPerFrame / delta.mean. */
  speedup: number;
  /** Options used. */
  broadcastColumns: number;
  /** Encoder cost assumption. */
  encoder: "overlapped" | "serial";
  /** Cycles of a fired column: the mean PE's and the busiest PE's, averaged over columns. */
  columnBalance: { meanPe: number; busiestPe: number };
}

/** ese: entries per column of one PE's segment (padding entries excluded). */
function eseColumnWork(design: DeltaCycleDesign, pe: number, segment: number): number[] {
  const { manifest, peMemories } = design.image;
  const seg = manifest.segments[segment];
  const memory = peMemories[pe];
  const base = seg.pointerBase ?? 0;
  const work: number[] = [];
  for (let col = 0; col < seg.cols; col++) {
    let entries = 0;
    for (let a = memory.pointers[base + col]; a < memory.pointers[base + col + 1]; a++) {
      if (!eseEntry(design.image, pe, a).padding) entries++;
    }
    work.push(entries);
  }
  return work;
}

/** bcr: weight words (lines) per column of one PE's segment, from its block headers. */
function bcrColumnWork(design: DeltaCycleDesign, pe: number, segment: number): number[] {
  const { manifest, peMemories } = design.image;
  const seg = manifest.segments[segment];
  const index = peMemories[pe].index;
  const work = new Array<number>(seg.cols).fill(0);
  let address = seg.indexBase?.[pe] ?? 0;
  for (;;) {
    const header = splitWord(index[address++], manifest.bcr!.headerColBits);
    if (header.high === 0 && header.low === 0) break;
    address += header.high; // line indices
    for (let i = 0; i < header.low; i++) work[index[address++]] += header.high;
  }
  return work;
}

/** The cycles every PE spends on every column of every layer's W_ih and W_hh. */
export function columnWork(design: DeltaCycleDesign): ColumnWork {
  const { pes, format } = design.image.manifest;
  const layers = design.model.numLayers;
  const empty = (cols: number) => Array.from({ length: pes }, () => new Array(cols).fill(0));
  const x = Array.from(
    { length: layers },
    (_, l) => empty(l === 0 ? design.model.inputSize : design.model.outputSize),
  );
  const h = Array.from({ length: layers }, () => empty(design.model.outputSize));
  design.hardwareSegments.forEach((segment, s) => {
    if (segment.part === "proj") return;
    const target = (segment.part === "x" ? x : h)[segment.layer];
    for (let pe = 0; pe < pes; pe++) {
      const work = format === "ese" ? eseColumnWork(design, pe, s) : bcrColumnWork(design, pe, s);
      work.forEach((cycles, c) => target[pe][segment.columnOffset + c] += cycles);
    }
  });
  return { x, h };
}

/**
 * Per-column balance of the work: the mean over columns of the mean PE's cycles and of the
 * busiest PE's cycles (with few fired columns per step, the busiest PE decides).
 */
export function columnBalance(work: ColumnWork): { meanPe: number; busiestPe: number } {
  let mean = 0, busiest = 0, columns = 0;
  for (const layer of [...work.x, ...work.h]) {
    for (let c = 0; c < layer[0].length; c++) {
      const cycles = layer.map((pe) => pe[c]);
      mean += cycles.reduce((a, b) => a + b, 0) / cycles.length;
      busiest += Math.max(...cycles);
      columns++;
    }
  }
  return { meanPe: mean / Math.max(1, columns), busiestPe: busiest / Math.max(1, columns) };
}

/** Phase A cycles of one layer for the fired columns (without the fill latency). */
export function phaseCycles(
  work: { x: number[][]; h: number[][] },
  fired: { x: readonly number[]; h: readonly number[] },
  broadcastColumns = 1,
): number {
  let busiest = 0;
  for (let pe = 0; pe < work.x.length; pe++) {
    let sum = 0;
    for (const c of fired.x) sum += work.x[pe][c];
    for (const c of fired.h) sum += work.h[pe][c];
    busiest = Math.max(busiest, sum);
  }
  return Math.max(Math.ceil((fired.x.length + fired.h.length) / broadcastColumns), busiest);
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** Mean, p50, p99 and worst of a list of cycle counts. */
export function cycleStats(values: number[]): CycleStats {
  const sorted = values.slice().sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    mean,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    worst: sorted.at(-1)!,
  };
}

/**
 * Cycles per frame of the design with delta (modeled; see the module comment) for the fired
 * columns of every frame, against the dense design's estimate on the same design.
 */
export function deltaCycles(
  design: DeltaCycleDesign,
  frames: FiredStep[],
  options: DeltaCycleOptions = {},
): DeltaCycleReport {
  const broadcastColumns = options.broadcastColumns ?? 1;
  const encoder = options.encoder ?? "overlapped";
  const work = columnWork(design);
  const layers = design.model.numLayers;
  const all = (n: number) => Array.from({ length: n }, (_, c) => c);
  let modeledAllFired = 0;
  for (let l = 0; l < layers; l++) {
    const fired = { x: all(work.x[l][0].length), h: all(work.h[l][0].length) };
    modeledAllFired += phaseCycles({ x: work.x[l], h: work.h[l] }, fired, broadcastColumns);
  }
  const dense = design.estimate.cyclesPerStep;
  const denseMatvec = design.estimate.breakdown.matvec;
  const fillPerLayer = Math.max(0, (denseMatvec - modeledAllFired) / layers);
  const rest = dense - denseMatvec;
  const perFrame = frames.map((frame) => {
    let cycles = rest;
    for (let l = 0; l < layers; l++) {
      cycles += fillPerLayer +
        phaseCycles(
          { x: work.x[l], h: work.h[l] },
          { x: frame.x[l], h: frame.h[l] },
          broadcastColumns,
        );
      if (encoder === "serial") cycles += work.x[l][0].length + work.h[l][0].length;
    }
    return cycles;
  });
  const delta = cycleStats(perFrame);
  return {
    label: DELTA_CYCLES_LABEL,
    frames: frames.length,
    denseCyclesPerFrame: dense,
    calibration: { denseMatvec, modeledAllFired, fillPerLayer },
    delta,
    speedup: dense / delta.mean,
    broadcastColumns,
    encoder,
    columnBalance: columnBalance(work),
  };
}

/**
 * Collects `runFixedDelta`'s `onFire` calls into fired steps; `finish(steps)` returns one entry
 * per step (steps where nothing fired included).
 */
export function firedStepCollector(layers: number): {
  onFire: (fired: { step: number; layer: number; part: "x" | "h" | "m"; column: number }) => void;
  finish: (steps: number) => FiredStep[];
} {
  const steps: FiredStep[] = [];
  const blank = (): FiredStep => ({
    x: Array.from({ length: layers }, () => []),
    h: Array.from({ length: layers }, () => []),
  });
  const grow = (count: number) => {
    while (steps.length < count) steps.push(blank());
  };
  return {
    onFire: ({ step, layer, part, column }) => {
      if (part === "m") return; // the analytical model keeps the projection dense
      grow(step + 1);
      steps[step][part][layer].push(column);
    },
    finish: (count) => {
      grow(count);
      return steps.splice(0, steps.length);
    },
  };
}
