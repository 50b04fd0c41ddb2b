/**
 * The phone-CPU code, for real: the same generated C kernel cross-compiled for aarch64 (Debian's
 * gcc-aarch64-linux-gnu, -mcpu=cortex-a76 as in the Snapdragon 855's big cores, static) and run
 * under qemu-user, to prove that it builds and computes correctly for a phone's CPU. Emulated
 * timings say nothing about a phone and are not reported. When the tools are missing the check
 * is skipped with the exact packages to install.
 *
 * @module
 */

import { runFloat } from "../model/float.ts";
import { compareOutputs } from "../model/metrics.ts";
import type { RnnModel } from "../model/model.ts";
import { buildKernel, runKernel, toolchainMissing, TOOLCHAINS } from "./cbuild.ts";
import { generateKernel } from "./ckernel.ts";
import { FLOAT32_TOLERANCE } from "./host_cpu.ts";

/** Outcome of the aarch64 cross-build and emulated run. */
export interface Aarch64Check {
  /** "passed": built, ran and agreed with the float reference; "failed": it did not; "skipped": tools missing. */
  status: "passed" | "failed" | "skipped";
  /** Why it was skipped or failed. */
  reason?: string;
  /** Compiler version line, when built. */
  compiler?: string;
  /** Build flags. */
  flags: string[];
  /** How it ran. */
  runner: string;
  /** Largest absolute error of the sparse path against the float64 reference. */
  sparseMaxAbsError?: number;
  /** Largest absolute error of the dense path against the float64 reference. */
  denseMaxAbsError?: number;
  /** The tolerance both had to meet. */
  tolerance: number;
  /** Path of the aarch64 executable, when built. */
  executable?: string;
}

/** Cross-build the kernel for aarch64, run it under qemu-user and check its outputs. */
export async function checkAarch64(
  model: RnnModel,
  options: { inputs: number[][]; workDir: string },
): Promise<Aarch64Check> {
  const toolchain = TOOLCHAINS.aarch64;
  const base = {
    flags: toolchain.flags,
    runner: toolchain.runner ?? "",
    tolerance: FLOAT32_TOLERANCE,
  };
  const missing = toolchainMissing(toolchain);
  if (missing) return { ...base, status: "skipped", reason: missing };
  try {
    const built = await buildKernel(generateKernel(model), { dir: options.workDir, toolchain });
    const run = await runKernel(built, {
      inputs: options.inputs,
      warmup: 0,
      repeats: 1,
      dir: options.workDir,
    });
    const reference = runFloat(model, options.inputs);
    const sparseMaxAbsError = compareOutputs(reference, run.sparseOutputs).maxAbsError;
    const denseMaxAbsError = compareOutputs(reference, run.denseOutputs).maxAbsError;
    const passed = sparseMaxAbsError <= FLOAT32_TOLERANCE && denseMaxAbsError <= FLOAT32_TOLERANCE;
    return {
      ...base,
      status: passed ? "passed" : "failed",
      reason: passed
        ? undefined
        : `outputs differ from the float reference by more than ${FLOAT32_TOLERANCE}`,
      compiler: built.compilerVersion,
      sparseMaxAbsError,
      denseMaxAbsError,
      executable: built.executable,
    };
  } catch (error) {
    return { ...base, status: "failed", reason: (error as Error).message.split("\n")[0] };
  }
}
