/**
 * The ESE-shaped benchmark as a function (what `deno task bench:ese` runs): the ESE-shaped LSTM
 * (153 inputs, 1024 cells, 512 projection, peepholes; examples/ese_lstmp.json), BCR-pruned with
 * PE balance, generated in process for N PEs and simulated with Verilator over a few frames, in
 * each weight format: microseconds and cycles per frame, PE utilization, the ideal non-zeros/PEs
 * bound and where the remaining cycles go, beside ESE's published figures.
 *
 * A benchmark, not a test: every figure is measured (simulated cycles, wall times) or computed
 * from measured ones; the published ESE figures are labelled as such.
 *
 * @module
 */

import { join } from "node:path";
import type { IntMatrix, QuantizedModel } from "../model/fixed.ts";
import { loadModel } from "../model/model_io.ts";
import { type BlockSize, formatBlock, pruneModelBcr } from "../prune/mod.ts";
import { generateDesignDir } from "../rtl/mod.ts";
import type { CycleEstimate, DesignParams } from "../rtl/mod.ts";
import type { SimResult } from "../sim/result.ts";
import { simulateDesign } from "../sim/simulate.ts";

/** ESE's published figures (Han et al., FPGA 2017; shared/REFERENCE.md). */
export const PUBLISHED = {
  source: "Han et al., ESE, FPGA 2017 (arXiv 1612.00694), via shared/REFERENCE.md",
  measuredUsPerFrame: 82.7,
  theoreticalUsPerFrame: 57.0,
  note: "published figures for ESE's own LSTMP on the XCKU060 at 200 MHz, 32 PEs per channel",
};

/** Non-zeros per PE of a matrix whose row r goes to PE r mod pes, added into `loads`. */
function addRowLoads(
  matrix: IntMatrix,
  pes: number,
  loads: number[],
  rowMap?: (r: number) => number,
) {
  for (let r = 0; r < matrix.rows; r++) {
    let count = 0;
    for (let c = 0; c < matrix.cols; c++) if (matrix.data[r * matrix.cols + c] !== 0) count++;
    loads[(rowMap ? rowMap(r) : r) % pes] += count;
  }
}

/**
 * Computed from the quantized model: per matrix-vector phase (per layer [W_ih | W_hh], then W_hr)
 * the ideal cycles (non-zeros / PEs) and the cycles of the most loaded PE.
 */
function phaseLoads(model: QuantizedModel, pes: number) {
  const phases: { name: string; nonZeros: number; idealCycles: number; maxPeLoad: number }[] = [];
  model.layers.forEach((layer, l) => {
    const loads = new Array(pes).fill(0);
    addRowLoads(layer.weightIh, pes, loads);
    addRowLoads(layer.weightHh, pes, loads);
    const nonZeros = loads.reduce((a, b) => a + b, 0);
    phases.push({
      name: `layer ${l}: [W_ih | W_hh]`,
      nonZeros,
      idealCycles: nonZeros / pes,
      maxPeLoad: Math.max(...loads),
    });
    if (layer.weightHr) {
      const projLoads = new Array(pes).fill(0);
      addRowLoads(layer.weightHr, pes, projLoads);
      const projNonZeros = projLoads.reduce((a, b) => a + b, 0);
      phases.push({
        name: `layer ${l}: W_hr`,
        nonZeros: projNonZeros,
        idealCycles: projNonZeros / pes,
        maxPeLoad: Math.max(...projLoads),
      });
    }
  });
  return phases;
}

/**
 * design.json's modelled step breakdown, each phase with the ideal cycles of the matching
 * matrix-vector work (matvec: the [W_ih | W_hh] phases, projection: the W_hr phases).
 */
function modelledPhases(
  breakdown: CycleEstimate["breakdown"],
  phases: ReturnType<typeof phaseLoads>,
): Record<string, { cycles: number; idealCycles?: number; overCycles?: number }> {
  const out: Record<string, { cycles: number; idealCycles?: number; overCycles?: number }> = {};
  const idealOf = (suffix: string) =>
    phases.filter((p) => p.name.endsWith(suffix)).reduce((sum, p) => sum + p.idealCycles, 0);
  const ideals: Record<string, number> = {
    matvec: idealOf("[W_ih | W_hh]"),
    projection: idealOf("W_hr"),
  };
  for (const [name, cycles] of Object.entries(breakdown)) {
    const ideal = ideals[name];
    out[name] = ideal !== undefined && ideal > 0
      ? { cycles, idealCycles: ideal, overCycles: cycles - ideal }
      : { cycles };
  }
  return out;
}

/** Numeric leaves of an object, as "a.b.c" -> number (for the estimate's breakdown). */
function numericLeaves(value: unknown, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value === "number") {
    out[prefix] = value;
  } else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      Object.assign(out, numericLeaves(child, prefix ? `${prefix}.${key}` : key));
    }
  }
  return out;
}

/** One format's figures. */
export interface FormatFigures {
  format: string;
  usPerFrame: number;
  cyclesPerFrame: number;
  steadyCyclesPerFrame: number | null;
  averageCyclesPerFrame: number;
  firstFrameCycles: number | null;
  peUtilization: number;
  idealCyclesPerFrame: number;
  ratioToIdeal: number;
  bitExact: boolean;
  estimate: { cyclesPerFrame: number; relativeError: number; fields: Record<string, number> };
  nonZeros: number;
  storedEntries: number;
  cycleBreakdown: {
    idealCycles: number;
    peImbalanceCycles: number;
    beyondLoadBoundCycles: number;
    modelled: Record<string, { cycles: number; idealCycles?: number; overCycles?: number }>;
    phases: ReturnType<typeof phaseLoads>;
    note: string;
  };
  generationSeconds: number;
  verilatorBuildSeconds: number;
  buildCached: boolean;
  simulationSeconds: number;
  simulatedCyclesPerSecond: number;
  memoryBits: number;
}

/** Options of `runEseBench`. */
export interface EseBenchOptions {
  /** Frames (time steps) simulated. */
  steps: number;
  /** Weight formats to run. */
  formats: ("ese" | "bcr")[];
  /** BCR pruning density with PE balance. */
  density: number;
  /** BCR pruning block. */
  block: BlockSize;
  /** Processing elements. */
  pes: number;
  /** Clock for the microsecond figures (MHz). */
  clockMhz: number;
  /** Where the designs are generated (one folder per format). */
  workDir: string;
  /** Verilator build cache. */
  cacheDir: string;
  /** Progress and figures, line by line. */
  log: (line: string) => void;
}

/** Generate one format's design, simulate it and compute its figures. */
async function benchFormat(
  model: Parameters<typeof generateDesignDir>[0],
  format: "ese" | "bcr",
  options: EseBenchOptions,
): Promise<{ figures: FormatFigures; result: SimResult }> {
  const { pes, clockMhz } = options;
  const dir = join(options.workDir, format);
  const log = (message: string) => options.log(`  ${message}`);
  const generated = await generateDesignDir(model, dir, { pes, format, clockMhz }, "bench:ese");
  log(`gen: ${generated.seconds.toFixed(1)} s`);
  const result = await simulateFrames(dir, { ...options, log });
  return { figures: formatFigures(format, generated.design, result, generated.seconds), result };
}

/**
 * Simulate a generated design (Verilator, the default profile) on `steps` random frames of
 * seed 1 with the builds cached in `cacheDir`: the run of every design of the ESE benches.
 */
export function simulateFrames(
  designDir: string,
  options: { steps: number; cacheDir: string; log: (message: string) => void },
): Promise<SimResult> {
  const { steps, cacheDir, log } = options;
  return simulateDesign({ designDir, steps, seed: 1, cacheDir, log });
}

/** The figures of one simulated format (computed from the design and the measured run). */
function formatFigures(
  format: string,
  design: DesignParams,
  result: SimResult,
  generationSeconds: number,
): FormatFigures {
  const pes = design.accelerator.pes;
  const phases = phaseLoads(design.quantized, pes);
  const idealCycles = phases.reduce((sum, p) => sum + p.idealCycles, 0);
  const loadBound = phases.reduce((sum, p) => sum + p.maxPeLoad, 0);
  const cyclesPerFrame = result.steadyCyclesPerStep ?? result.cyclesPerStep;
  const nonZeros = design.work.nonZerosPerStep;
  return {
    format,
    usPerFrame: cyclesPerFrame / design.accelerator.clockMhz,
    cyclesPerFrame,
    steadyCyclesPerFrame: result.steadyCyclesPerStep,
    averageCyclesPerFrame: result.cyclesPerStep,
    firstFrameCycles: result.stepEndCycles[0],
    peUtilization: nonZeros / (pes * cyclesPerFrame),
    idealCyclesPerFrame: nonZeros / pes,
    ratioToIdeal: cyclesPerFrame / (nonZeros / pes),
    bitExact: result.bitExact,
    nonZeros,
    storedEntries: design.work.entriesPerStep,
    estimate: {
      cyclesPerFrame: design.estimate.cyclesPerStep,
      relativeError: result.estimate.relativeError,
      fields: numericLeaves(design.estimate),
    },
    cycleBreakdown: {
      idealCycles,
      peImbalanceCycles: loadBound - idealCycles,
      beyondLoadBoundCycles: cyclesPerFrame - loadBound,
      modelled: modelledPhases(design.estimate.breakdown, phases),
      phases,
      note: "computed: ideal = non-zeros / PEs, per phase; imbalance = the most loaded PE's " +
        "non-zeros minus ideal, per phase; beyond = simulated steady-state cycles per frame " +
        "minus the most loaded PEs' sum (stored entries that are not weights, element-wise " +
        "tail, pipeline fill and drain, control); modelled = design.json's cycle-level " +
        "breakdown of a steady-state step (rtl/timing.ts), with the ideal of its phase",
    },
    generationSeconds,
    verilatorBuildSeconds: result.wallSeconds.build,
    buildCached: result.build.cached,
    simulationSeconds: result.wallSeconds.run,
    simulatedCyclesPerSecond: result.simulatedCyclesPerSecond,
    memoryBits: design.memoryBits.total,
  };
}

/** Prune the ESE-shaped model, run every format; returns bench/results/ese.json's content. */
export async function runEseBench(options: EseBenchOptions) {
  const { pes, clockMhz, steps, block } = options;
  const modelPath = new URL("../examples/ese_lstmp.json", import.meta.url).pathname;
  options.log(`model: ${modelPath}`);
  const dense = await loadModel(modelPath);
  const pruneStarted = performance.now();
  const { model, report } = pruneModelBcr(dense, {
    block,
    rates: { density: options.density },
    pes,
  });
  const pruneSeconds = (performance.now() - pruneStarted) / 1000;
  options.log(
    `pruned (BCR ${formatBlock(block)}, PE balance over ${pes}): density ${
      (100 * report.density).toFixed(2)
    }%, ${report.nonZeros} non-zeros of ${report.weights}, PE imbalance ${
      (100 * (report.peLoad?.imbalance ?? 0)).toFixed(2)
    }% (${pruneSeconds.toFixed(1)} s)`,
  );
  const results: FormatFigures[] = [];
  for (const format of options.formats) {
    options.log(`\n== format ${format} ==`);
    const { figures, result } = await benchFormat(model, format, options);
    results.push(figures);
    for (const line of figureLines(figures, result)) options.log(`  ${line}`);
  }
  // The headline figures: the fastest format simulated (all formats are in `formats`).
  const fastest = results.reduce<FormatFigures | undefined>(
    (best, figures) => !best || figures.usPerFrame < best.usPerFrame ? figures : best,
    undefined,
  );
  return {
    benchmark: "ese",
    format: fastest?.format ?? null,
    usPerFrame: fastest?.usPerFrame ?? null,
    cyclesPerFrame: fastest?.cyclesPerFrame ?? null,
    peUtilization: fastest?.peUtilization ?? null,
    density: report.density,
    description: "ESE-shaped LSTMP (153 inputs, 1024 cells, 512 projection, peepholes), " +
      `BCR-pruned (${formatBlock(block)} blocks) with PE balance, ${pes} PEs at ${clockMhz} MHz, ` +
      `${steps} frames simulated with Verilator`,
    measured: "cycles are simulated (Verilator, bit-exact against the golden model); " +
      "microseconds are computed from cycles at the clock; wall times are measured on this machine",
    model: {
      path: "examples/ese_lstmp.json",
      density: report.density,
      nonZeros: report.nonZeros,
      nonZerosAfterQuantization: results[0]?.nonZeros ?? null,
      weights: report.weights,
      peImbalance: report.peLoad?.imbalance ?? null,
      pruneSeconds,
    },
    pes,
    clockMhz,
    frames: steps,
    target: { usPerFrame: 60, note: "rnnfab's goal: at most 60 us per frame" },
    published: PUBLISHED,
    formats: results,
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  };
}

/** The figures of one format, line by line, for people. */
export function figureLines(f: FormatFigures, result: SimResult): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `bit-exact over ${result.steps} frames: ${f.bitExact ? "yes" : "NO"}`,
    `non-zero weights (after quantization): ${f.nonZeros}; stored entries ${f.storedEntries}` +
    `; memories ${(f.memoryBits / 8 / 1024).toFixed(0)} KiB`,
    `us per frame (computed from simulated cycles): ${f.usPerFrame.toFixed(2)} ` +
    `(published ESE: ${PUBLISHED.measuredUsPerFrame} measured, ${PUBLISHED.theoreticalUsPerFrame} theoretical; target <= 60)`,
    `cycles per frame (simulated, steady state): ${
      f.cyclesPerFrame.toFixed(1)
    }; first frame ends at cycle ${f.firstFrameCycles}; average over the sequence ${
      f.averageCyclesPerFrame.toFixed(1)
    }`,
    `ideal bound (non-zeros / PEs): ${f.idealCyclesPerFrame.toFixed(1)} cycles; ratio ${
      f.ratioToIdeal.toFixed(3)
    }; PE utilization ${pct(f.peUtilization)}`,
    `where the cycles go (computed): ideal ${f.cycleBreakdown.idealCycles.toFixed(1)}, ` +
    `PE imbalance ${f.cycleBreakdown.peImbalanceCycles.toFixed(1)}, beyond the most loaded PE ${
      f.cycleBreakdown.beyondLoadBoundCycles.toFixed(1)
    }`,
    ...Object.entries(f.cycleBreakdown.modelled).map(([name, phase]) =>
      `  modelled ${name}: ${phase.cycles} cycles` +
      (phase.idealCycles !== undefined
        ? ` (ideal ${phase.idealCycles.toFixed(1)}, over by ${phase.overCycles!.toFixed(1)})`
        : "")
    ),
    ...f.cycleBreakdown.phases.map((p) =>
      `  ${p.name}: ${p.nonZeros} non-zeros, ideal ${
        p.idealCycles.toFixed(1)
      }, most loaded PE ${p.maxPeLoad}`
    ),
    `estimate (design.json): ${f.estimate.cyclesPerFrame} cycles per frame, ` +
    `${(100 * f.estimate.relativeError).toFixed(2)}% vs simulated total`,
    ...Object.entries(f.estimate.fields).map(([k, v]) => `  estimate.${k} = ${v}`),
    `generation ${f.generationSeconds.toFixed(1)} s, Verilator build ${
      f.verilatorBuildSeconds.toFixed(1)
    } s` +
    `${f.buildCached ? " (cached)" : ""}, simulation ${f.simulationSeconds.toFixed(2)} s, ` +
    `${Math.round(f.simulatedCyclesPerSecond)} simulated cycles/s (measured)`,
  ];
  return lines;
}
