/**
 * Host-CPU measurements of one model, all in one run so that their ratios hold: the generated C
 * kernel (BCR sparse path and dense path, gcc -O3 -march=native; optionally the portable -O3
 * build) and ONNX Runtime (`onnxruntime-node`, CPU provider) on rnnfab's own ONNX export of the
 * same weights. Everything runs single-threaded. Every output is checked against the float64
 * reference (`runFloat`). Timings are medians over repeated whole-sequence runs after warm-up,
 * taken in alternating rounds (kernel, then ORT, then kernel...) so that slow drifts of the
 * machine's load hit both sides alike.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runFloat } from "../model/float.ts";
import { compareOutputs, type OutputError } from "../model/metrics.ts";
import type { RnnModel } from "../model/model.ts";
import { exportGraphKind, exportOnnx } from "../model/onnx/export.ts";
import { openOnnxSession } from "../model/onnx/ort.ts";
import { buildKernel, median, runKernel, TOOLCHAINS } from "./cbuild.ts";
import { generateKernel, type KernelMatrixInfo } from "./ckernel.ts";

/** Largest absolute error against the float64 reference that a float32 run may show. */
export const FLOAT32_TOLERANCE = 1e-5;

/** Timings and correctness of one implementation. */
export interface TimedImplementation {
  /** What ran, in words. */
  description: string;
  /** Measured median microseconds per frame (whole-sequence median / steps). */
  usPerFrame: number;
  /** Measured fastest run, microseconds per frame. */
  minUsPerFrame: number;
  /** Number of timed whole-sequence runs. */
  timedRuns: number;
  /** Error of its outputs against the float64 reference. */
  errorVsFloat: OutputError;
  /** errorVsFloat.maxAbsError <= FLOAT32_TOLERANCE. */
  agreesWithFloat: boolean;
}

/** Everything measured on the host CPU. */
export interface HostCpuResult {
  /** The host CPU's model name (from /proc/cpuinfo). */
  cpu: string;
  /** Threads used by each implementation. */
  threads: 1;
  /** Time steps per run. */
  steps: number;
  /** Untimed runs before each round. */
  warmup: number;
  /** Timed runs per round and implementation. */
  repeatsPerRound: number;
  /** Alternating rounds. */
  rounds: number;
  /** The C compiler's version line. */
  compiler: string;
  /** Flags of the native build. */
  nativeFlags: string[];
  /** ONNX Runtime graph kind of the export ("operators" or "scan"). */
  onnxGraph: string;
  /** ONNX Runtime, dense model. */
  ort: TimedImplementation;
  /** Generated C kernel, BCR sparse path, native build. */
  bcr: TimedImplementation;
  /** Generated C kernel, dense path, native build. */
  denseC: TimedImplementation;
  /** Generated C kernel, BCR sparse path, portable build (when asked for). */
  bcrPortable?: TimedImplementation;
  /** ort.usPerFrame / bcr.usPerFrame (computed from the two measured medians). */
  speedupBcrVsOrt: number;
  /** denseC.usPerFrame / bcr.usPerFrame. */
  speedupBcrVsDenseC: number;
  /** Storage of every matrix in the sparse path. */
  matrices: KernelMatrixInfo[];
}

/** Options of {@link measureHostCpu}. */
export interface HostCpuOptions {
  /** The input sequence (steps x inputSize). */
  inputs: number[][];
  /** Untimed runs at the start of each round (default 3). */
  warmup?: number;
  /** Timed runs per round (default 7). */
  repeatsPerRound?: number;
  /** Alternating rounds (default 3). */
  rounds?: number;
  /** Folder for the kernel's source, binary and exchanged files. */
  workDir: string;
  /** Also build and time the portable -O3 build (default false). */
  portable?: boolean;
  /** Progress messages. */
  log?: (message: string) => void;
}

/** The host CPU's model name, or "unknown CPU". */
export function hostCpuName(): string {
  try {
    const match = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
    return match ? match[1].trim() : "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

/** Summarise the whole-sequence times (ns) and outputs of one implementation. */
function summarize(
  description: string,
  sequenceNs: number[],
  steps: number,
  outputs: number[][],
  reference: number[][],
): TimedImplementation {
  const errorVsFloat = compareOutputs(reference, outputs);
  return {
    description,
    usPerFrame: median(sequenceNs) / steps / 1e3,
    minUsPerFrame: Math.min(...sequenceNs) / steps / 1e3,
    timedRuns: sequenceNs.length,
    errorVsFloat,
    agreesWithFloat: errorVsFloat.maxAbsError <= FLOAT32_TOLERANCE,
  };
}

/** Measure ONNX Runtime and the generated C kernel on the host CPU (see the module doc). */
export async function measureHostCpu(
  model: RnnModel,
  options: HostCpuOptions,
): Promise<HostCpuResult> {
  const { inputs, workDir } = options;
  const warmup = options.warmup ?? 3;
  const repeats = options.repeatsPerRound ?? 7;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? (() => {});
  const steps = inputs.length;
  const reference = runFloat(model, inputs);

  log("generating and compiling the C kernel");
  const kernel = generateKernel(model);
  const native = await buildKernel(kernel, { dir: workDir, toolchain: TOOLCHAINS.native });
  const portable = options.portable
    ? await buildKernel(kernel, { dir: workDir, toolchain: TOOLCHAINS.portable })
    : undefined;

  log("opening ONNX Runtime (1 thread) on the ONNX export");
  const session = await openOnnxSession(exportOnnx(model), { intraOpThreads: 1 });
  const flatInputs = new Float32Array(steps * model.inputSize);
  inputs.forEach((row, t) => flatInputs.set(row, t * model.inputSize));
  const ortNs: number[] = [];
  const sparseNs: number[] = [];
  const denseNs: number[] = [];
  const portableNs: number[] = [];
  let ortOutputs: number[][] = [];
  let kernelRun;
  let portableRun;
  try {
    ortOutputs = await session.run(inputs);
    for (let round = 0; round < rounds; round++) {
      log(`round ${round + 1}/${rounds}: C kernel, ONNX Runtime`);
      kernelRun = await runKernel(native, { inputs, warmup, repeats, dir: workDir });
      sparseNs.push(...kernelRun.sparseNs);
      denseNs.push(...kernelRun.denseNs);
      for (let i = 0; i < warmup; i++) await session.runFlat(flatInputs, steps);
      for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        await session.runFlat(flatInputs, steps);
        ortNs.push((performance.now() - start) * 1e6);
      }
      if (portable) {
        portableRun = await runKernel(portable, { inputs, warmup, repeats, dir: workDir });
        portableNs.push(...portableRun.sparseNs);
      }
    }
  } finally {
    await session.release();
  }
  if (!kernelRun) throw new Error("no measurement round ran (rounds must be >= 1)");
  const ort = summarize(
    "ONNX Runtime (onnxruntime-node, CPU provider, 1 intra-op and 1 inter-op thread), dense " +
      "model from rnnfab's ONNX export",
    ortNs,
    steps,
    ortOutputs,
    reference,
  );
  const bcr = summarize(
    `generated C kernel, BCR sparse path, ${native.toolchain.description}, 1 thread`,
    sparseNs,
    steps,
    kernelRun.sparseOutputs,
    reference,
  );
  const denseC = summarize(
    `generated C kernel, dense path, ${native.toolchain.description}, 1 thread`,
    denseNs,
    steps,
    kernelRun.denseOutputs,
    reference,
  );
  const result: HostCpuResult = {
    cpu: hostCpuName(),
    threads: 1,
    steps,
    warmup,
    repeatsPerRound: repeats,
    rounds,
    compiler: native.compilerVersion,
    nativeFlags: native.toolchain.flags,
    onnxGraph: exportGraphKind(model),
    ort,
    bcr,
    denseC,
    speedupBcrVsOrt: ort.usPerFrame / bcr.usPerFrame,
    speedupBcrVsDenseC: denseC.usPerFrame / bcr.usPerFrame,
    matrices: kernel.matrices,
  };
  if (portable && portableRun) {
    result.bcrPortable = summarize(
      `generated C kernel, BCR sparse path, ${portable.toolchain.description}, 1 thread`,
      portableNs,
      steps,
      portableRun.sparseOutputs,
      reference,
    );
  }
  return result;
}

/** Path of the kernel work folder inside a report folder. */
export function kernelWorkDir(reportDir: string): string {
  return join(reportDir, "ckernel");
}
