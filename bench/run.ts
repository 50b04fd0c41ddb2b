/**
 * The whole comparison as one function (what `deno task bench` runs): prune the model if asked,
 * measure the host CPU (generated C kernel and ONNX Runtime), cross-check the aarch64 build, get
 * the FPGA figures (an existing design, or a design generated in process and simulated), sweep
 * densities, model the devices, and write report.json, report.md and report.html.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeDirAtomic, writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { MARKERS, TOOLS } from "../util/output.ts";
import { checkSimulationSize } from "../sim/limits.ts";
import { type RnnModel, weightDensity } from "../model/model.ts";
import type { Dataset } from "../model/dataset.ts";
import type { Head } from "../model/head.ts";
import { type BlockSize, formatBlock, pruneModelBcr } from "../prune/mod.ts";
import { randomInputs } from "../model/random.ts";
import { generateDesignDir } from "../rtl/mod.ts";
import type { AcceleratorSettings } from "../rtl/config.ts";
import { readDesign } from "../sim/design.ts";
import { simResultPath } from "../sim/result.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { accuracySection } from "./accuracy.ts";
import { checkAarch64 } from "./aarch64.ts";
import { BUILT_IN_DEVICES, type DeviceProfile } from "./devices.ts";
import { checkDesignMatchesModel, type FpgaFigures, readFpga } from "./fpga.ts";
import { formatReportHtml } from "./html.ts";
import { type HostCpuResult, measureHostCpu } from "./host_cpu.ts";
import { formatReportMarkdown } from "./markdown.ts";
import { renderReportPlots } from "./plots.ts";
import { type BenchReport, buildReport, type SweepPoint } from "./report.ts";

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** The model file (for the report). */
  modelPath: string;
  /** The loaded model. */
  model: RnnModel;
  /** Report folder. */
  outDir: string;
  /** BCR-prune the model to this density first (absent: use it as given). */
  density?: number;
  /** Block shape of that pruning (default 16x16, the pruner's default). */
  block?: BlockSize;
  /** Share of the pruning done by columns (default 0.5). */
  colShare?: number;
  /** An existing design folder (gen output) of this model; its sim result is reused or made. */
  designDir?: string;
  /** Generate and simulate a design when none is given and the generator exists (default true). */
  fpga?: boolean;
  /** PEs of a generated design (default 8). */
  pes?: number;
  /** Weight format of a generated design (default "bcr"). */
  format?: "ese" | "bcr";
  /** Clock of a generated design, MHz (default: gen's). */
  clockMhz?: number;
  /** Further densities for the FPGA sweep (each: prune, gen, then sim or the estimate). */
  sweep?: number[];
  /** "sim" (default): simulate every sweep design; "estimate": use gen's cycle estimate. */
  sweepMode?: "sim" | "estimate";
  /** Device profiles (default: the built-ins). */
  devices?: DeviceProfile[];
  /** Time steps of the input sequence (default 16). */
  steps?: number;
  /** Seed of the input sequence (default 1). */
  seed?: number;
  /** Timed runs per round (default 7). */
  repeats?: number;
  /** Alternating measurement rounds (default 3). */
  rounds?: number;
  /** Warm-up runs per round (default 3). */
  warmup?: number;
  /** Skip the host-CPU measurements (default false). */
  skipHostCpu?: boolean;
  /** Progress messages. */
  log?: (message: string) => void;
  /** Use a `designDir` that fails verification (sim prints every difference). */
  allowModified?: boolean;
  /** Measure accuracy and output error on a data file (`--data`, `--head`, `--finetuned`). */
  accuracy?: BenchAccuracyOptions;
}

/** The data, head and fine-tuned model of the accuracy section. */
export interface BenchAccuracyOptions {
  /** The data set and its file. */
  dataset: Dataset;
  /** The data file. */
  dataPath: string;
  /** The head and its file (accuracy needs it and labels). */
  head?: { head: Head; path: string };
  /** A fine-tuned model measured beside the dense and pruned ones. */
  finetuned?: { model: RnnModel; path: string };
}

/** BCR-prune with the bench's uniform setting, balanced over the design's PEs (as ESE does). */
function pruneForBench(
  model: RnnModel,
  density: number,
  block: BlockSize,
  colShare: number,
  pes: number,
) {
  return pruneModelBcr(model, { block, rates: { density, colShare }, pes }).model;
}

/** What a generated design of the bench is: where, and the accelerator settings. */
interface BenchDesign {
  /** Design folder. */
  dir: string;
  /** PEs, weight format, clock and (bcr) block of the design. */
  settings: AcceleratorSettings;
  /** Simulate it (default true); false: only generate (the estimate is used). */
  simulate?: boolean;
}

/** Generate a design for `model` in process and simulate it on `inputs`; returns its folder. */
async function generateAndSimulate(
  model: RnnModel,
  design: BenchDesign,
  inputs: number[][],
  log: (message: string) => void,
): Promise<string> {
  log(`gen: ${design.dir}`);
  await generateDesignDir(model, design.dir, design.settings, "bench");
  if (design.simulate === false) return design.dir;
  log(`sim: ${design.dir}`);
  await simulateDesign({ designDir: design.dir, inputs, log });
  return design.dir;
}

/** Accelerator settings of a bench design: a bcr design stores the blocks the bench pruned with. */
function designSettings(
  options: { pes: number; format: "ese" | "bcr"; clockMhz?: number },
  pruneBlock: BlockSize | null,
): AcceleratorSettings {
  const finite = pruneBlock && Number.isFinite(pruneBlock.rows) && Number.isFinite(pruneBlock.cols);
  return {
    pes: options.pes,
    format: options.format,
    clockMhz: options.clockMhz,
    ...(options.format === "bcr" && finite
      ? { blockRows: pruneBlock.rows, blockCols: pruneBlock.cols }
      : {}),
  };
}

/** A sweep point from a simulated design. */
function sweepPoint(fpga: FpgaFigures, density: number): SweepPoint {
  return {
    density,
    cyclesPerStep: fpga.cyclesPerStep,
    peUtilization: fpga.peUtilization,
    usPerFrame: fpga.usPerFrame,
    provenance: "measured",
    passed: fpga.passed,
    designDir: fpga.designDir,
  };
}

/** A sweep point from a design's analytical estimate (no simulation): modeled. */
async function estimatedSweepPoint(dir: string, density: number): Promise<SweepPoint> {
  const design = await readDesign(dir);
  const cyclesPerStep = design.estimate.cyclesPerStep;
  return {
    density,
    cyclesPerStep,
    peUtilization: design.work.nonZerosPerStep / (design.accelerator.pes * cyclesPerStep),
    usPerFrame: cyclesPerStep / design.accelerator.clockMhz,
    provenance: "modeled",
    passed: null,
    designDir: design.dir,
  };
}

/** The pruning the bench applies (block, column share, PEs balanced over). */
interface BenchPruning {
  block: BlockSize;
  colShare: number;
  pes: number;
}

/** One bench run: its options, the (pruned) model, the input sequence, the report folder. */
interface BenchRun {
  options: BenchOptions;
  model: RnnModel;
  inputs: number[][];
  outDir: string;
  log: (message: string) => void;
}

/** Measure the host CPU (generated C kernel and ONNX Runtime), unless skipped. */
async function hostCpuFigures(run: BenchRun): Promise<HostCpuResult | { skipped: string }> {
  const { options } = run;
  if (options.skipHostCpu) return { skipped: "not asked for (--skip-host)" };
  run.log("host CPU: generated C kernel and ONNX Runtime");
  return await measureHostCpu(run.model, {
    inputs: run.inputs,
    workDir: join(run.outDir, "ckernel"),
    warmup: options.warmup,
    repeatsPerRound: options.repeats,
    rounds: options.rounds,
    portable: true,
    log: options.log,
  });
}

/** The FPGA row: the given design (simulated if it has no result yet) or a generated one. */
async function fpgaRow(
  run: BenchRun,
  design: BenchDesign,
): Promise<FpgaFigures | { missing: string }> {
  const { options, model, inputs, log } = run;
  if (options.designDir) {
    const designDir = resolve(options.designDir);
    if (!existsSync(simResultPath(designDir))) {
      log(`sim: ${designDir}`);
      await simulateDesign({ designDir, inputs, log, allowModified: options.allowModified });
    }
    return await readFpga(designDir, model);
  }
  if (options.fpga === false) return { missing: "not asked for (--no-fpga)" };
  return await readFpga(await generateAndSimulate(model, design, inputs, log), model);
}

/** The density sweep: prune, generate, then simulate (or take the estimate) at each density. */
async function densitySweep(
  run: BenchRun,
  pruning: BenchPruning,
  design: { pes: number; format: "ese" | "bcr"; clockMhz?: number },
): Promise<SweepPoint[]> {
  const { options } = run;
  const points: SweepPoint[] = [];
  for (const density of options.sweep ?? []) {
    const { block, colShare } = pruning;
    const swept = pruneForBench(options.model, density, block, colShare, design.pes);
    const dir = await generateAndSimulate(
      swept,
      {
        dir: join(run.outDir, "sweep", `density-${density}`),
        settings: designSettings(design, block),
        simulate: options.sweepMode !== "estimate",
      },
      run.inputs,
      run.log,
    );
    points.push(
      options.sweepMode === "estimate"
        ? await estimatedSweepPoint(dir, weightDensity(swept))
        : sweepPoint(await readFpga(dir, swept), weightDensity(swept)),
    );
  }
  return points;
}

/** Write report.json, report.md, report.html and the plot specifications. */
async function writeReport(outDir: string, report: BenchReport): Promise<void> {
  const plots = await renderReportPlots(report);
  await writeJsonAtomic(join(outDir, "report.json"), { tool: TOOLS.bench, ...report });
  await writeFileAtomic(join(outDir, "report.md"), formatReportMarkdown(report));
  await writeFileAtomic(join(outDir, "report.html"), formatReportHtml(report, plots));
  await writeJsonAtomic(join(outDir, "plots.vl.json"), {
    latency: plots.latency.spec,
    density: plots.density?.spec ?? null,
  });
}

/** Replace `from` at the start of every string inside `value` by `to` (plain data only). */
function relocatePaths<T>(value: T, from: string, to: string): T {
  if (typeof value === "string") {
    const inside = value === from || value.startsWith(`${from}/`);
    return (inside ? to + value.slice(from.length) : value) as T;
  }
  if (Array.isArray(value)) return value.map((item) => relocatePaths(item, from, to)) as T;
  const plain = typeof value === "object" && value !== null &&
    Object.getPrototypeOf(value) === Object.prototype;
  if (!plain) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map((
      [key, item],
    ) => [key, relocatePaths(item, from, to)]),
  ) as T;
}

/**
 * Run the comparison and write the report folder; returns the report. The folder is built under
 * a temporary name and renamed into place (docs/reliability.md): an existing `outDir` is replaced
 * only when empty or an earlier bench report (report.json with "tool": "rnnfab bench").
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  checkSimulationSize(options.steps ?? 16, 1);
  const finalDir = resolve(options.outDir);
  let report: BenchReport | undefined;
  await writeDirAtomic(options.outDir, async (temporary) => {
    report = await benchInto({ ...options, outDir: temporary }, finalDir);
  }, { marker: MARKERS.bench });
  return report!;
}

/** Run the comparison writing into `options.outDir`; paths in the report name `finalDir`. */
async function benchInto(options: BenchOptions, finalDir: string): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const outDir = resolve(options.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const pruned = options.density !== undefined;
  const pruning: BenchPruning = {
    block: options.block ?? { rows: 16, cols: 16 },
    colShare: options.colShare ?? 0.5,
    pes: options.pes ?? 8,
  };
  const model = pruned
    ? pruneForBench(options.model, options.density!, pruning.block, pruning.colShare, pruning.pes)
    : options.model;
  if (options.designDir) {
    // Bad input fails before any measurement: the design must exist and be of this model.
    checkDesignMatchesModel(await readDesign(resolve(options.designDir)), model);
  }
  const steps = options.steps ?? 16;
  const seed = options.seed ?? 1;
  const inputs = randomInputs(steps, model.inputSize, seed);
  const run: BenchRun = { options, model, inputs, outDir, log };
  const hostCpu = await hostCpuFigures(run);
  log("aarch64: cross-build and qemu run");
  const aarch64 = await checkAarch64(model, { inputs, workDir: join(outDir, "ckernel-aarch64") });

  const generated = {
    pes: pruning.pes,
    format: options.format ?? "bcr",
    clockMhz: options.clockMhz,
  };
  const fpga = await fpgaRow(run, {
    dir: join(outDir, "design"),
    settings: designSettings(generated, pruned ? pruning.block : null),
  });
  const points: SweepPoint[] = [];
  if (!("missing" in fpga)) points.push(sweepPoint(fpga, weightDensity(model)));
  // The sweep designs are made like the FPGA row's design (or the generated one's settings).
  const swept = "missing" in fpga ? generated : fpga;
  points.push(...await densitySweep(run, pruning, swept));
  points.sort((a, b) => a.density - b.density);

  const accuracy = options.accuracy
    ? (log(`accuracy: ${options.accuracy.dataPath}`),
      await accuracySection({
        ...options.accuracy,
        given: options.model,
        pruned: pruned
          ? {
            model,
            label: `pruned (BCR, density ${options.density}, ${formatBlock(pruning.block)})`,
          }
          : undefined,
        fpga,
      }))
    : undefined;
  const built = buildReport({
    modelPath: options.modelPath,
    model,
    pruning: pruned
      ? {
        method: "bcr",
        density: options.density!,
        block: formatBlock(pruning.block),
        colShare: pruning.colShare,
        balancedOverPes: pruning.pes,
      }
      : null,
    sequence: { steps, seed },
    hostCpu,
    aarch64,
    fpga,
    devices: options.devices ?? [...BUILT_IN_DEVICES],
    densitySweep: points,
    storage: "skipped" in hostCpu ? undefined : hostCpu.matrices,
    generatedAt: new Date().toISOString(),
    accuracy,
  });
  const report = relocatePaths(built, outDir, finalDir);
  await writeReport(outDir, report);
  return report;
}
