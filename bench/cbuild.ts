/**
 * Build and run the generated C kernel (`ckernel.ts`): the host's gcc at -O3 -march=native, a
 * portable -O3 build, and an aarch64 cross-build run under qemu-user. Builds happen in a given
 * folder; runs are subprocesses that exchange float32 files with us.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { trackChild } from "../util/interrupt.ts";
import { runTool } from "../util/process.ts";
import { join } from "node:path";
import type { GeneratedKernel } from "./ckernel.ts";

/** A way to build (and, for a foreign CPU, to run) the kernel. */
export interface Toolchain {
  /** Short identifier: "native", "portable" or "aarch64". */
  id: "native" | "portable" | "aarch64";
  /** What the build targets, in words. */
  description: string;
  /** Compiler command. */
  compiler: string;
  /** Compiler flags (before the source file). */
  flags: string[];
  /** Program that runs the binary (e.g. qemu-aarch64), or none for the host. */
  runner?: string;
  /** Debian packages that provide the tools. */
  debianPackages: string[];
}

/**
 * Flags shared by every build. `-fopenmp-simd` honours the `omp simd` reductions of the dense
 * path; the three math flags let gcc if-convert the clamps of the activation functions (no
 * reassociation: `-ffast-math` is NOT used, sums keep IEEE float32 semantics).
 */
export const VECTOR_FLAGS = [
  "-std=gnu11",
  "-fopenmp-simd",
  "-fno-trapping-math",
  "-ffinite-math-only",
  "-fno-signed-zeros",
];

/** The three toolchains. The aarch64 one targets the Snapdragon 855's Cortex-A76 class cores. */
export const TOOLCHAINS: Record<Toolchain["id"], Toolchain> = {
  native: {
    id: "native",
    description: "host gcc -O3 -march=native",
    compiler: "gcc",
    flags: ["-O3", "-march=native", ...VECTOR_FLAGS],
    debianPackages: ["gcc"],
  },
  portable: {
    id: "portable",
    description: "host gcc -O3 (baseline x86-64 / generic ISA)",
    compiler: "gcc",
    flags: ["-O3", ...VECTOR_FLAGS],
    debianPackages: ["gcc"],
  },
  aarch64: {
    id: "aarch64",
    description: "aarch64-linux-gnu-gcc -O3 -mcpu=cortex-a76 -static, run under qemu-aarch64",
    compiler: "aarch64-linux-gnu-gcc",
    flags: ["-O3", "-mcpu=cortex-a76", ...VECTOR_FLAGS, "-static"],
    runner: "qemu-aarch64",
    debianPackages: ["gcc-aarch64-linux-gnu", "qemu-user"],
  },
};

/** Whether a command is on PATH. */
export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Why a toolchain cannot be used here, or undefined when it can. */
export function toolchainMissing(toolchain: Toolchain): string | undefined {
  const missing = [toolchain.compiler, ...(toolchain.runner ? [toolchain.runner] : [])]
    .filter((command) => !onPath(command));
  if (missing.length === 0) return undefined;
  return `${missing.join(" and ")} not found (Debian: apt-get install -y ${
    toolchain.debianPackages.join(" ")
  })`;
}

/** A built kernel: the executable and what it needs to run. */
export interface BuiltKernel {
  /** Toolchain used. */
  toolchain: Toolchain;
  /** Path of the executable. */
  executable: string;
  /** Path of the weight blob next to it. */
  weightsPath: string;
  /** Floats per input step. */
  inputSize: number;
  /** Floats per output step. */
  outputSize: number;
  /** Compiler version line. */
  compilerVersion: string;
}

/** Write the kernel's source and weights into `dir` and compile it with `toolchain`. */
export async function buildKernel(
  kernel: GeneratedKernel,
  options: { dir: string; toolchain: Toolchain },
): Promise<BuiltKernel> {
  const { dir, toolchain } = options;
  await Deno.mkdir(dir, { recursive: true });
  const sourcePath = join(dir, "kernel.c");
  const weightsPath = join(dir, "weights.bin");
  const executable = join(dir, `kernel-${toolchain.id}`);
  await Deno.writeTextFile(sourcePath, kernel.source);
  await Deno.writeFile(weightsPath, kernel.weights);
  // Asynchronous, so that an interrupt ends the compiler at once (util/interrupt.ts). Its
  // temporaries (gcc's .s, collect2's cdtor files), which a killed compiler cannot remove, go to
  // a folder inside `dir`, which goes with the output folder it belongs to.
  const scratch = join(dir, "tmp");
  await Deno.mkdir(scratch, { recursive: true });
  const result = await runTool(toolchain.compiler, [
    ...toolchain.flags,
    "-o",
    executable,
    sourcePath,
    "-lm",
  ], { env: { TMPDIR: scratch } }).finally(() => Deno.remove(scratch, { recursive: true }));
  if (result.code !== 0) {
    throw new Error(`${toolchain.compiler} failed on ${sourcePath}:\n${result.stderr}`);
  }
  const version = spawnSync(toolchain.compiler, ["--version"], { encoding: "utf8" });
  return {
    toolchain,
    executable,
    weightsPath,
    inputSize: kernel.inputSize,
    outputSize: kernel.outputSize,
    compilerVersion: (version.stdout ?? "").split("\n")[0],
  };
}

/** Outputs and timings of one kernel run. */
export interface KernelRun {
  /** Sparse-path outputs, steps x outputSize. */
  sparseOutputs: number[][];
  /** Dense-path outputs, steps x outputSize. */
  denseOutputs: number[][];
  /** Wall time of each timed whole-sequence run of the sparse path, nanoseconds. */
  sparseNs: number[];
  /** Wall time of each timed whole-sequence run of the dense path, nanoseconds. */
  denseNs: number[];
}

/** Options of {@link runKernel}. */
export interface RunKernelOptions {
  /** Input sequence, steps x inputSize. */
  inputs: number[][];
  /** Untimed runs first. */
  warmup: number;
  /** Timed runs. */
  repeats: number;
  /** Folder for the exchanged files. */
  dir: string;
}

/** Run a built kernel as a subprocess and read back its outputs and timings. */
export async function runKernel(built: BuiltKernel, options: RunKernelOptions): Promise<KernelRun> {
  const { inputs, dir } = options;
  const steps = inputs.length;
  const flat = new Float32Array(steps * built.inputSize);
  inputs.forEach((row, t) => {
    if (row.length !== built.inputSize) {
      throw new Error(`input step ${t} has ${row.length} values, expected ${built.inputSize}`);
    }
    flat.set(row, t * built.inputSize);
  });
  const inputsPath = join(dir, "inputs.bin");
  const sparsePath = join(dir, `sparse-${built.toolchain.id}.bin`);
  const densePath = join(dir, `dense-${built.toolchain.id}.bin`);
  await Deno.writeFile(inputsPath, new Uint8Array(flat.buffer));
  const args = [
    built.weightsPath,
    inputsPath,
    String(steps),
    sparsePath,
    densePath,
    String(options.warmup),
    String(options.repeats),
  ];
  const pipes = { stdout: "piped", stderr: "piped" } as const;
  const child =
    (built.toolchain.runner
      ? new Deno.Command(built.toolchain.runner, { args: [built.executable, ...args], ...pipes })
      : new Deno.Command(built.executable, { args, ...pipes })).spawn();
  const untrack = trackChild(child.pid); // ended on SIGINT/SIGTERM (util/interrupt.ts)
  const output = await child.output().finally(untrack);
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.code !== 0) {
    throw new Error(`kernel ${built.executable} exited ${output.code}: ${stderr.trim()}`);
  }
  const timings = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    sparseNs: number[];
    denseNs: number[];
  };
  const readOutputs = async (path: string): Promise<number[][]> => {
    const bytes = await Deno.readFile(path);
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return Array.from(
      { length: steps },
      (_, t) => Array.from(values.subarray(t * built.outputSize, (t + 1) * built.outputSize)),
    );
  };
  return {
    sparseOutputs: await readOutputs(sparsePath),
    denseOutputs: await readOutputs(densePath),
    sparseNs: timings.sparseNs,
    denseNs: timings.denseNs,
  };
}

/** Median of a list of numbers (mean of the middle two for even lengths). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
