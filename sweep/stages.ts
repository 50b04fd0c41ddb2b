/**
 * Running a job's stages in process with the library functions: prune (`pruneModelBcr`), gen
 * (`generateFromModel`: quantization, encoding, the cycle model), the fidelity error of the
 * fixed-point golden model (bit-exact with the RTL) against the dense float64 model, then on the
 * design folder `synthesizeDesign`, `simulateDesign` and `placeAndRoute`. Only the stages the
 * result lacks run; a stage that throws is recorded as the job's failure.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { runFloat } from "../model/float.ts";
import { quantizeInputs, runFixed, toReal } from "../model/fixed.ts";
import type { RnnModel } from "../model/model.ts";
import { randomInputs } from "../model/random.ts";
import { parseBlock, pruneModelBcr } from "../prune/mod.ts";
import {
  type AcceleratorSettings,
  DEFAULT_ACCELERATOR_CONFIG,
  type DesignParams,
  generateFromModel,
  parseAcceleratorSettings,
  resolveAcceleratorConfig,
  writeDesign,
} from "../rtl/mod.ts";
import { simulateDesign, type Simulator } from "../sim/mod.ts";
import { placeAndRoute, synthesizeDesign, type SynthTarget } from "../synth/mod.ts";
import { type JobFile, type JobInputs, type JobResult, parseJobResult, SWEEP_TOOL } from "./job.ts";

/** Default prune block when a density is swept without a block. */
export const DEFAULT_PRUNE_BLOCK = "4x4";

/** The model a point's design is generated from: pruned when the point has a density. */
export function prunedModel(model: RnnModel, inputs: JobInputs): RnnModel {
  const density = inputs.prune.density as number | undefined;
  if (density === undefined) return model;
  const block = parseBlock(String(inputs.prune.block ?? DEFAULT_PRUNE_BLOCK))!;
  const colShare = inputs.prune.colShare as number | undefined;
  const balance = inputs.prune.balance !== false;
  return pruneModelBcr(model, {
    block,
    rates: { density, colShare },
    pes: balance
      ? (inputs.gen.pes as number | undefined) ?? DEFAULT_ACCELERATOR_CONFIG.pes
      : undefined,
  }).model;
}

/** The design of a point (no files): prune, quantize, encode, derive, cycle model. */
export function pointDesign(model: RnnModel, inputs: JobInputs): DesignParams {
  const source = "sweep point gen settings";
  const settings = parseAcceleratorSettings(inputs.gen as AcceleratorSettings, source);
  const config = resolveAcceleratorConfig([{ settings, source }]);
  return generateFromModel(prunedModel(model, inputs), config).design;
}

/**
 * How far outputs `a` are from the reference `b`: the largest absolute difference and the
 * relative RMS error, RMS(a - b) / RMS(b) (the absolute one when b is all 0).
 */
export function outputError(a: number[][], b: number[][]): { max: number; relativeRms: number } {
  let max = 0, squares = 0, reference = 0;
  for (const [t, row] of a.entries()) {
    for (const [i, value] of row.entries()) {
      const diff = Math.abs(value - b[t][i]);
      max = Math.max(max, diff);
      squares += diff * diff;
      reference += b[t][i] * b[t][i];
    }
  }
  return {
    max,
    relativeRms: squares === 0 ? 0 : Math.sqrt(squares / (reference === 0 ? 1 : reference)),
  };
}

/** The fidelity inputs of a job: a seeded random sequence. */
function fidelityInputs(model: RnnModel, inputs: JobInputs): number[][] {
  return randomInputs(inputs.fidelity.steps, model.inputSize, inputs.fidelity.seed);
}

/** The estimate stage. */
function estimateStage(model: RnnModel, inputs: JobInputs, design: DesignParams) {
  const sequence = fidelityInputs(model, inputs);
  const reference = runFloat(model, sequence);
  const format = design.quantized.format;
  const fixed = runFixed(design.quantized, quantizeInputs(sequence, format))
    .map((step) => toReal(step, format));
  const error = outputError(fixed, reference);
  const weights = design.quantized.layers.reduce(
    (sum, layer) =>
      sum + layer.weightIh.data.length + layer.weightHh.data.length +
      (layer.weightHr?.data.length ?? 0),
    0,
  );
  return {
    pes: design.accelerator.pes,
    format: design.accelerator.format,
    weightBits: design.accelerator.weightBits,
    density: design.work.nonZerosPerStep / weights,
    nonZerosPerStep: design.work.nonZerosPerStep,
    memoryBits: design.memoryBits.total,
    cyclesPerStep: design.estimate.cyclesPerStep,
    firstStepCycles: design.estimate.firstStepCycles,
    clockMhz: design.estimate.clockMhz,
    usPerFrame: design.estimate.microsecondsPerStep,
    fidelityMaxError: error.max,
    fidelityRelativeError: error.relativeRms,
  };
}

/** Where and how a job runs. */
export interface RunJobOptions {
  /** The model (loaded once per sweep). */
  model: RnnModel;
  /** The result so far (stages already run), if any. */
  previous?: JobResult;
  /** Folder for the design of deep stages (replaced; gen's marker). */
  designDir: string;
  /** Python environment with the YoWASP tools (place and route). */
  venv?: string;
  /** Progress lines of the tools. */
  log?: (line: string) => void;
}

type Deep = "synth" | "sim" | "pnr";

/** Run one deep stage on the design folder. */
async function deepStage(stage: Deep, job: JobFile, model: RnnModel, options: RunJobOptions) {
  const { inputs } = job;
  const dir = options.designDir;
  if (stage === "synth") {
    const report = await synthesizeDesign(dir, {
      target: (inputs.synth.target ?? "xilinx") as SynthTarget,
      perPe: inputs.synth.perPe as boolean | undefined,
      log: options.log,
    });
    const { luts, flipFlops, blockRams, dsps } = report.total;
    return {
      target: report.target,
      method: report.method,
      estimated: report.estimated,
      luts,
      flipFlops,
      blockRams,
      dsps,
      yosys: report.yosys,
    };
  }
  if (stage === "sim") {
    const sequence = fidelityInputs(model, inputs);
    const result = await simulateDesign({
      designDir: dir,
      inputs: sequence,
      simulator: (inputs.sim.simulator ?? "verilator") as Simulator,
      seed: (inputs.sim.seed as number | undefined) ?? 1,
      verified: true,
      log: options.log,
    });
    if (!result.passed) {
      throw new UserError(`simulation failed: ${result.failures[0] ?? "outputs differ"}`);
    }
    const simulated = result.outputs.every((row) => row.every((v) => v !== null))
      ? outputError(result.outputs as number[][], runFloat(model, sequence))
      : null;
    return {
      simulator: result.simulator,
      steps: result.steps,
      bitExact: result.bitExact,
      passed: result.passed,
      cyclesPerStep: result.steadyCyclesPerStep ?? result.cyclesPerStep,
      fidelityMaxError: simulated?.max ?? null,
      fidelityRelativeError: simulated?.relativeRms ?? null,
    };
  }
  const report = await placeAndRoute(dir, {
    target: String(inputs.pnr.target ?? "ecp5-85k"),
    freqMhz: inputs.pnr.freqMhz as number | undefined,
    seed: inputs.pnr.seed as number | undefined,
    venv: options.venv,
    log: options.log,
  });
  return {
    target: report.target.id,
    requestedMhz: report.requestedMhz,
    fmaxMhz: report.fmaxMhz,
    passed: report.passed,
    utilization: report.utilization.summary.map(({ resource, used, available }) => ({
      resource,
      used,
      available,
    })),
  };
}

/** One-line reason of a stage failure (the first line of the error's message). */
function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 500);
}

/**
 * Run the stages of `job` its previous result lacks; returns the new result (a failure is part of
 * it, not thrown). The design folder is written only when a deep stage runs.
 */
export async function runJob(job: JobFile, options: RunJobOptions): Promise<JobResult> {
  const result: JobResult = options.previous ? structuredClone(options.previous) : {
    tool: SWEEP_TOOL,
    hash: job.hash,
    inputs: job.inputs,
    point: job.point,
    stages: {},
    failure: null,
    wallSeconds: {},
  };
  if (result.failure !== null) return result;
  const missing = job.stages.filter((stage) => result.stages[stage] === undefined);
  if (missing.length === 0) return result;
  let design: DesignParams | undefined;
  let written = false;
  for (const stage of missing) {
    const started = performance.now();
    try {
      design ??= pointDesign(options.model, job.inputs);
      if (stage === "estimate") {
        result.stages.estimate = estimateStage(options.model, job.inputs, design);
      } else {
        if (!written) await writeDesign(options.designDir, design);
        written = true;
        // deno-lint-ignore no-explicit-any
        (result.stages as any)[stage] = await deepStage(stage, job, options.model, options);
      }
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      result.failure = { stage, message: failureMessage(error) };
    }
    result.wallSeconds[stage] = (performance.now() - started) / 1000;
    if (result.failure !== null) break;
  }
  return result;
}

/** The result file of a hash in a jobs folder. */
export function resultPath(jobsDir: string, hash: string): string {
  return join(jobsDir, `${hash}.json`);
}

/** Read a job's result, or undefined when it is missing or unreadable (then it is recomputed). */
export async function readJobResult(path: string): Promise<JobResult | undefined> {
  try {
    return parseJobResult(JSON.parse(await Deno.readTextFile(path)), path);
  } catch {
    return undefined;
  }
}

/** Write a job's result atomically. */
export function writeJobResult(path: string, result: JobResult): Promise<void> {
  return writeJsonAtomic(path, result);
}
