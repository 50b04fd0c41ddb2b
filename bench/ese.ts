/**
 * `deno task bench:ese`: the ESE-shaped LSTM (153 inputs, 1024 cells, 512 projection, peepholes;
 * examples/ese_lstmp.json), BCR-pruned with PE balance to about 11% density, generated for 32 PEs
 * at 200 MHz and simulated with Verilator over a few frames, in both weight formats. Prints and
 * writes bench/results/ese.json: microseconds and cycles per frame, PE utilization, the ideal
 * non-zeros/PEs bound and where the remaining cycles go, beside ESE's published figures.
 *
 * A benchmark, not a test: every figure is measured (simulated cycles, wall times) or computed
 * from measured ones; the published ESE figures are labelled as such.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { parseFlags, runCommand } from "../cli/common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import type { IntMatrix, QuantizedModel } from "../model/fixed.ts";
import { loadModel } from "../model/model_io.ts";
import { type BlockSize, formatBlock, parseBlock, pruneModelBcr } from "../prune/mod.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import { generateDesign } from "../sim/gen_design.ts";
import type { SimResult } from "../sim/result.ts";
import { simulateDesign } from "../sim/simulate.ts";

const NAME = "deno task bench:ese";
const USAGE = `[--steps T] [--formats ese,bcr] [--density D] [--block RxC] [--pes N]
       [--clock-mhz F] [--work-dir DIR] [--reuse-build] [--out FILE]

Generates and simulates the ESE-shaped LSTMP (examples/ese_lstmp.json) and writes FILE
(default bench/results/ese.json).

  --steps T        frames (time steps) simulated (default 4)
  --formats LIST   weight formats to run (default ese,bcr)
  --density D      BCR pruning density with PE balance (default 0.11)
  --block RxC      BCR block (default 16x16)
  --pes N          processing elements (default 32)
  --clock-mhz F    clock for the microsecond figures (default 200, as ESE)
  --work-dir DIR   where designs are generated (default out/bench-ese)
  --reuse-build    keep the Verilator builds of an earlier run (default: build afresh, so that
                   the build time is measured)`;

/** ESE's published figures (Han et al., FPGA 2017; shared/REFERENCE.md). */
const PUBLISHED = {
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
  breakdown: unknown,
  phases: ReturnType<typeof phaseLoads>,
): Record<string, { cycles: number; idealCycles?: number; overCycles?: number }> {
  const out: Record<string, { cycles: number; idealCycles?: number; overCycles?: number }> = {};
  if (!breakdown || typeof breakdown !== "object") return out;
  const idealOf = (suffix: string) =>
    phases.filter((p) => p.name.endsWith(suffix)).reduce((sum, p) => sum + p.idealCycles, 0);
  const ideals: Record<string, number> = {
    matvec: idealOf("[W_ih | W_hh]"),
    projection: idealOf("W_hr"),
  };
  for (const [name, cycles] of Object.entries(breakdown)) {
    if (typeof cycles !== "number") continue;
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
interface FormatFigures {
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
  memoryBits?: number;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      steps: { type: "string", default: "4" },
      formats: { type: "string", default: "ese,bcr" },
      density: { type: "string", default: "0.11" },
      block: { type: "string", default: "16x16" },
      pes: { type: "string", default: "32" },
      "clock-mhz": { type: "string", default: "200" },
      "work-dir": { type: "string", default: "out/bench-ese" },
      "reuse-build": { type: "boolean" },
      out: { type: "string", default: "bench/results/ese.json" },
    },
  });
  const steps = Number(flags.steps);
  const density = Number(flags.density);
  const pes = Number(flags.pes);
  const clockMhz = Number(flags["clock-mhz"]);
  const formats = String(flags.formats).split(",").map((f) => f.trim());
  const block: BlockSize | null = parseBlock(String(flags.block));
  if (!Number.isInteger(steps) || steps < 2) throw new UserError(`${NAME}: --steps: expected >= 2`);
  if (!(density > 0 && density <= 1)) throw new UserError(`${NAME}: --density: expected (0, 1]`);
  if (!Number.isInteger(pes) || pes < 1) throw new UserError(`${NAME}: --pes: expected >= 1`);
  if (!(clockMhz > 0)) throw new UserError(`${NAME}: --clock-mhz: expected > 0`);
  if (!block) throw new UserError(`${NAME}: --block: expected RxC, got ${flags.block}`);
  for (const format of formats) {
    if (format !== "ese" && format !== "bcr") {
      throw new UserError(`${NAME}: --formats: expected ese and/or bcr, got ${format}`);
    }
  }
  const workDir = resolve(String(flags["work-dir"]));
  await Deno.mkdir(workDir, { recursive: true });
  const cacheDir = join(workDir, "cache");
  if (!flags["reuse-build"]) await Deno.remove(cacheDir, { recursive: true }).catch(() => {});

  const modelPath = new URL("../examples/ese_lstmp.json", import.meta.url).pathname;
  console.log(`model: ${modelPath}`);
  const dense = await loadModel(modelPath);
  const pruneStarted = performance.now();
  const { model, report } = pruneModelBcr(dense, { block, rates: { density }, pes });
  const pruneSeconds = (performance.now() - pruneStarted) / 1000;
  console.log(
    `pruned (BCR ${formatBlock(block)}, PE balance over ${pes}): density ${
      (100 * report.density).toFixed(2)
    }%, ${report.nonZeros} non-zeros of ${report.weights}, PE imbalance ${
      (100 * (report.peLoad?.imbalance ?? 0)).toFixed(2)
    }% (${pruneSeconds.toFixed(1)} s)`,
  );

  const results: FormatFigures[] = [];
  for (const format of formats as ("ese" | "bcr")[]) {
    const dir = join(workDir, format);
    console.log(`\n== format ${format} ==`);
    const log = (message: string) => console.log(`  ${message}`);
    const generated = await generateDesign({
      model,
      outDir: dir,
      workDir,
      pes,
      format,
      clockMhz,
      log,
    });
    log(`gen: ${generated.seconds.toFixed(1)} s`);
    const result: SimResult = await simulateDesign({
      designDir: dir,
      steps,
      seed: 1,
      cacheDir,
      log,
    });
    const design = JSON.parse(await Deno.readTextFile(join(dir, "design.json")));
    const quantized = await readQuantizedModel(join(dir, "quantized.json"));
    const phases = phaseLoads(quantized, pes);
    const idealCycles = phases.reduce((sum, p) => sum + p.idealCycles, 0);
    const loadBound = phases.reduce((sum, p) => sum + p.maxPeLoad, 0);
    const cyclesPerFrame = result.steadyCyclesPerStep ?? result.cyclesPerStep;
    const memoryBits = typeof design.memoryBits?.total === "number"
      ? design.memoryBits.total
      : undefined;
    const nonZeros: number = design.work.nonZerosPerStep;
    const storedEntries: number = design.work.entriesPerStep ?? nonZeros;
    const modelled = modelledPhases(design.estimate?.breakdown, phases);
    const figures: FormatFigures = {
      format,
      usPerFrame: cyclesPerFrame / clockMhz,
      cyclesPerFrame,
      steadyCyclesPerFrame: result.steadyCyclesPerStep,
      averageCyclesPerFrame: result.cyclesPerStep,
      firstFrameCycles: result.stepEndCycles[0],
      peUtilization: design.work.nonZerosPerStep / (pes * cyclesPerFrame),
      idealCyclesPerFrame: design.work.nonZerosPerStep / pes,
      ratioToIdeal: cyclesPerFrame / (design.work.nonZerosPerStep / pes),
      bitExact: result.bitExact,
      nonZeros,
      storedEntries,
      estimate: {
        cyclesPerFrame: design.estimate.cyclesPerStep,
        relativeError: result.estimate.relativeError,
        fields: numericLeaves(design.estimate),
      },
      cycleBreakdown: {
        idealCycles,
        peImbalanceCycles: loadBound - idealCycles,
        beyondLoadBoundCycles: cyclesPerFrame - loadBound,
        modelled,
        phases,
        note: "computed: ideal = non-zeros / PEs, per phase; imbalance = the most loaded PE's " +
          "non-zeros minus ideal, per phase; beyond = simulated steady-state cycles per frame " +
          "minus the most loaded PEs' sum (stored entries that are not weights, element-wise " +
          "tail, pipeline fill and drain, control); modelled = design.json's cycle-level " +
          "breakdown of a steady-state step (rtl/timing.ts), with the ideal of its phase",
      },
      generationSeconds: generated.seconds,
      verilatorBuildSeconds: result.wallSeconds.build,
      buildCached: result.build.cached,
      simulationSeconds: result.wallSeconds.run,
      simulatedCyclesPerSecond: result.simulatedCyclesPerSecond,
      memoryBits,
    };
    results.push(figures);
    printFigures(figures, result);
  }

  // The headline figures: the fastest format simulated (all formats are in `formats`).
  const fastest = results.reduce<FormatFigures | undefined>(
    (best, figures) => !best || figures.usPerFrame < best.usPerFrame ? figures : best,
    undefined,
  );
  const output = {
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
  const outPath = String(flags.out);
  await writeJsonAtomic(outPath, output);
  console.log(`\nwrote ${outPath}`);
  if (results.some((r) => !r.bitExact)) {
    console.error("error: a design was not bit-exact (see the result above)");
    Deno.exit(1);
  }
});

function printFigures(f: FormatFigures, result: SimResult): void {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `bit-exact over ${result.steps} frames: ${f.bitExact ? "yes" : "NO"}`,
    `non-zero weights (after quantization): ${f.nonZeros}; stored entries ${f.storedEntries}` +
    (f.memoryBits !== undefined ? `; memories ${(f.memoryBits / 8 / 1024).toFixed(0)} KiB` : ""),
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
  for (const line of lines) console.log(`  ${line}`);
}
