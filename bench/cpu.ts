/**
 * The measured host-CPU ratio of the generated BCR kernel to ONNX Runtime (dense) on one model
 * BCR-pruned to a density, at a headline block shape and at other shapes beside it (what
 * `deno task bench:cpu` runs and writes to bench/results/cpu.json). Both sides run
 * single-threaded on the same weights and the same input sequence, in alternating rounds of one
 * process (see `host_cpu.ts`); outputs are checked against the float64 reference.
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import type { RnnModel } from "../model/model.ts";
import { weightDensity } from "../model/model.ts";
import { type BlockSize, formatBlock, pruneModelBcr } from "../prune/mod.ts";
import { randomInputs } from "../model/random.ts";
import { measureHostCpu } from "./host_cpu.ts";
import { formatNumber } from "./markdown.ts";

/** The speed-up we aim for. */
export const TARGET_SPEEDUP = 5;

/** One block shape's measurement (measured medians, microseconds per frame). */
export interface BlockMeasurement {
  block: string;
  density: number;
  ortMedianUsPerFrame: number;
  bcrMedianUsPerFrame: number;
  denseCMedianUsPerFrame: number;
  speedupBcrVsOrt: number;
  ortMaxAbsError: number;
  bcrMaxAbsError: number;
}

/** Options of `runCpuBench`. */
export interface CpuBenchOptions {
  /** The dense model and its path (reported relative to `root`). */
  model: RnnModel;
  modelPath: string;
  /** Repository root, for the reported model path. */
  root: string;
  /** BCR density. */
  density: number;
  /** The headline block shape, then the others. */
  blocks: BlockSize[];
  /** Sequence length, alternating rounds, timed runs per round and side. */
  steps: number;
  rounds: number;
  repeats: number;
  /** Temporary folder for the kernels. */
  workDir: string;
  /** One line per measured block. */
  log?: (line: string) => void;
}

/** Measure one block shape: prune, measure both sides, check them against the float model. */
async function measureBlock(
  options: CpuBenchOptions,
  block: BlockSize,
  inputs: number[][],
): Promise<BlockMeasurement & { cpu: string; compiler: string }> {
  const model = pruneModelBcr(options.model, { block, rates: { density: options.density } }).model;
  const result = await measureHostCpu(model, {
    inputs,
    workDir: join(options.workDir, formatBlock(block)),
    rounds: options.rounds,
    repeatsPerRound: options.repeats,
  });
  if (!result.ort.agreesWithFloat || !result.bcr.agreesWithFloat) {
    throw new Error(
      `${formatBlock(block)}: outputs disagree with the float reference (ORT ` +
        `${result.ort.errorVsFloat.maxAbsError}, BCR ${result.bcr.errorVsFloat.maxAbsError})`,
    );
  }
  return {
    block: formatBlock(block),
    density: weightDensity(model),
    ortMedianUsPerFrame: result.ort.usPerFrame,
    bcrMedianUsPerFrame: result.bcr.usPerFrame,
    denseCMedianUsPerFrame: result.denseC.usPerFrame,
    speedupBcrVsOrt: result.speedupBcrVsOrt,
    ortMaxAbsError: result.ort.errorVsFloat.maxAbsError,
    bcrMaxAbsError: result.bcr.errorVsFloat.maxAbsError,
    cpu: result.cpu,
    compiler: result.compiler,
  };
}

/** A measurement as one line. */
export function formatMeasurement(m: BlockMeasurement): string {
  return `block ${m.block.padEnd(9)} density ${m.density.toFixed(4)}: ` +
    `ORT dense ${formatNumber(m.ortMedianUsPerFrame)} us/frame, ` +
    `BCR kernel ${formatNumber(m.bcrMedianUsPerFrame)} us/frame, ` +
    `C dense ${formatNumber(m.denseCMedianUsPerFrame)} us/frame: ` +
    `${formatNumber(m.speedupBcrVsOrt)}x`;
}

/** Measure every block shape; returns the content of bench/results/cpu.json. */
export async function runCpuBench(options: CpuBenchOptions) {
  const inputs = randomInputs(options.steps, options.model.inputSize, 1);
  const measurements: BlockMeasurement[] = [];
  let cpu = "";
  let compiler = "";
  for (const block of options.blocks) {
    const { cpu: c, compiler: k, ...measurement } = await measureBlock(options, block, inputs);
    cpu = c;
    compiler = k;
    measurements.push(measurement);
    options.log?.(formatMeasurement(measurement));
  }
  const main = measurements[0];
  return {
    provenance: "measured",
    what: "host-CPU time per frame (one LSTM step, batch 1) of the generated BCR C kernel " +
      "against ONNX Runtime running the same pruned weights densely; medians",
    model: relative(options.root, resolve(options.modelPath)),
    cpu,
    compiler,
    threads: { ort: "1 intra-op, 1 inter-op", kernel: 1 },
    steps: options.steps,
    rounds: options.rounds,
    repeatsPerRound: options.repeats,
    block: main.block,
    colShare: 0.5,
    density: main.density,
    ortMedianUsPerFrame: main.ortMedianUsPerFrame,
    bcrMedianUsPerFrame: main.bcrMedianUsPerFrame,
    denseCMedianUsPerFrame: main.denseCMedianUsPerFrame,
    speedupBcrVsOrt: main.speedupBcrVsOrt,
    targetSpeedup: TARGET_SPEEDUP,
    meetsTarget: main.speedupBcrVsOrt >= TARGET_SPEEDUP,
    maxAbsErrorVsFloat: { ort: main.ortMaxAbsError, bcr: main.bcrMaxAbsError },
    otherBlocks: measurements.slice(1),
    measuredAt: new Date().toISOString(),
  };
}
