/**
 * The whole comparison as one function (what `deno task bench` runs): prune the model if asked,
 * measure the host CPU (generated C kernel and ONNX Runtime), cross-check the aarch64 build, get
 * the FPGA figures (an existing design, or gen + sim when the RTL generator is present), sweep
 * densities, model the devices, and write report.json, report.md and report.html.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import type { RnnModel } from "../model/model.ts";
import { type BlockSize, formatBlock, pruneModelBcr } from "../prune/mod.ts";
import { randomInputs } from "../model/random.ts";
import { readDesign } from "../sim/design.ts";
import { checkAarch64 } from "./aarch64.ts";
import { BUILT_IN_DEVICES, type DeviceProfile } from "./devices.ts";
import { checkDesignMatchesModel, type FpgaFigures, readFpga, simResultPath } from "./fpga.ts";
import { formatReportHtml } from "./html.ts";
import { type HostCpuResult, measureHostCpu } from "./host_cpu.ts";
import { formatReportMarkdown } from "./markdown.ts";
import { renderReportPlots } from "./plots.ts";
import { type BenchReport, buildReport, type ReportInputs, type SweepPoint } from "./report.ts";

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
}

/** Where `gen` lives; the FPGA row needs it unless a design is given. */
const GEN_SCRIPT = new URL("../cli/gen.ts", import.meta.url).pathname;

/** Whether the RTL generator (`cli/gen.ts`) is present in this checkout. */
export function generatorAvailable(): boolean {
  return existsSync(GEN_SCRIPT);
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

/** Generate a design for `model` and simulate it on `inputs`; returns the design folder. */
async function generateAndSimulate(
  model: RnnModel,
  options: {
    dir: string;
    inputs: number[][];
    pes: number;
    format: "ese" | "bcr";
    clockMhz?: number;
    genArgs?: string[];
    simulate?: boolean;
    log: (message: string) => void;
  },
): Promise<string> {
  const { generateDesign } = await import("../sim/gen_design.ts");
  const { simulateDesign } = await import("../sim/simulate.ts");
  await generateDesign({
    model,
    outDir: options.dir,
    pes: options.pes,
    format: options.format,
    clockMhz: options.clockMhz,
    extraArgs: options.genArgs,
    log: options.log,
  });
  if (options.simulate === false) return options.dir;
  options.log(`sim: ${options.dir}`);
  await simulateDesign({ designDir: options.dir, inputs: options.inputs, log: options.log });
  return options.dir;
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
    peUtilization: design.nonZerosPerStep / (design.accelerator.pes * cyclesPerStep),
    usPerFrame: cyclesPerStep / design.accelerator.clockMhz,
    provenance: "modeled",
    passed: null,
    designDir: design.dir,
  };
}

/** Density of a model's weights. */
function densityOf(model: RnnModel): number {
  let nonZero = 0;
  let total = 0;
  for (const layer of model.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      total += matrix.data.length;
      for (const value of matrix.data) if (value !== 0) nonZero++;
    }
  }
  return nonZero / total;
}

/** Run the comparison and write the report files; returns the report. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const outDir = resolve(options.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const block = options.block ?? { rows: 16, cols: 16 };
  const colShare = options.colShare ?? 0.5;
  const pes = options.pes ?? 8;
  const model = options.density !== undefined
    ? pruneForBench(options.model, options.density, block, colShare, pes)
    : options.model;
  const pruning: ReportInputs["pruning"] = options.density !== undefined
    ? {
      method: "bcr",
      density: options.density,
      block: formatBlock(block),
      colShare,
      balancedOverPes: pes,
    }
    : null;
  if (options.designDir) {
    // Bad input fails before any measurement: the design must exist and be of this model.
    checkDesignMatchesModel(await readDesign(resolve(options.designDir)), model);
  }
  const steps = options.steps ?? 16;
  const seed = options.seed ?? 1;
  const inputs = randomInputs(steps, model.inputSize, seed);

  let hostCpu: HostCpuResult | { skipped: string } = { skipped: "not asked for (--skip-host)" };
  let storage;
  if (!options.skipHostCpu) {
    log("host CPU: generated C kernel and ONNX Runtime");
    hostCpu = await measureHostCpu(model, {
      inputs,
      workDir: join(outDir, "ckernel"),
      warmup: options.warmup,
      repeatsPerRound: options.repeats,
      rounds: options.rounds,
      portable: true,
      log,
    });
    storage = hostCpu.matrices;
  }
  log("aarch64: cross-build and qemu run");
  const aarch64 = await checkAarch64(model, { inputs, workDir: join(outDir, "ckernel-aarch64") });

  let fpga: FpgaFigures | { missing: string } = { missing: "not asked for (--no-fpga)" };
  const densitySweep: SweepPoint[] = [];
  const format = options.format ?? "bcr";
  // A bcr design stores the blocks the bench pruned with (when they are finite).
  const genArgs = format === "bcr" && options.density !== undefined &&
      Number.isFinite(block.rows) && Number.isFinite(block.cols)
    ? ["--block", `${block.rows}x${block.cols}`]
    : [];
  if (options.designDir) {
    const designDir = resolve(options.designDir);
    if (!existsSync(simResultPath(designDir))) {
      const { simulateDesign } = await import("../sim/simulate.ts");
      log(`sim: ${designDir}`);
      await simulateDesign({ designDir, inputs, log });
    }
    fpga = await readFpga(designDir, model);
  } else if (options.fpga !== false) {
    if (!generatorAvailable()) {
      fpga = { missing: "the RTL generator (cli/gen.ts) is not in this checkout" };
    } else {
      const dir = await generateAndSimulate(model, {
        dir: join(outDir, "design"),
        inputs,
        pes,
        format,
        clockMhz: options.clockMhz,
        genArgs,
        log,
      });
      fpga = await readFpga(dir, model);
    }
  }
  if (!("missing" in fpga)) densitySweep.push(sweepPoint(fpga, densityOf(model)));
  if (options.sweep && options.sweep.length > 0 && generatorAvailable()) {
    for (const density of options.sweep) {
      const swept = pruneForBench(
        options.model,
        density,
        block,
        colShare,
        "missing" in fpga ? pes : fpga.pes,
      );
      const dir = await generateAndSimulate(swept, {
        dir: join(outDir, "sweep", `density-${density}`),
        inputs,
        pes: "missing" in fpga ? pes : fpga.pes,
        format: "missing" in fpga ? format : fpga.format as "ese" | "bcr",
        clockMhz: "missing" in fpga ? options.clockMhz : fpga.clockMhz,
        genArgs: ("missing" in fpga ? format : fpga.format) === "bcr" &&
            Number.isFinite(block.rows) && Number.isFinite(block.cols)
          ? ["--block", `${block.rows}x${block.cols}`]
          : [],
        simulate: options.sweepMode !== "estimate",
        log,
      });
      densitySweep.push(
        options.sweepMode === "estimate"
          ? await estimatedSweepPoint(dir, densityOf(swept))
          : sweepPoint(await readFpga(dir, swept), densityOf(swept)),
      );
    }
    densitySweep.sort((a, b) => a.density - b.density);
  }

  const report = buildReport({
    modelPath: options.modelPath,
    model,
    pruning,
    sequence: { steps, seed },
    hostCpu,
    aarch64,
    fpga,
    devices: options.devices ?? [...BUILT_IN_DEVICES],
    densitySweep,
    storage,
    generatedAt: new Date().toISOString(),
  });
  const plots = await renderReportPlots(report);
  await writeJsonAtomic(join(outDir, "report.json"), report);
  await writeFileAtomic(join(outDir, "report.md"), formatReportMarkdown(report));
  await writeFileAtomic(join(outDir, "report.html"), formatReportHtml(report, plots));
  await writeJsonAtomic(join(outDir, "plots.vl.json"), {
    latency: plots.latency.spec,
    density: plots.density?.spec ?? null,
  });
  return report;
}
