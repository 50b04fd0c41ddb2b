/**
 * The Icarus Verilog flow: compile the design with the Verilog testbench
 * (`sim/harness/icarus_tb.v`, `iverilog -g2005`), cache the compiled image, run it with `vvp`.
 * Same stimulus and result files as the Verilator flow; much slower, so meant for small designs.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { cachedBuild, type HashPart, hashParts } from "./cache.ts";
import { onInterrupt, removeSync } from "../util/interrupt.ts";
import type { SimDesign } from "./design.ts";
import { type HarnessRun, type HarnessSettings, parseHarnessResult } from "./harness_io.ts";
import { runTool, tail } from "../util/process.ts";
import { readHarnessSource } from "./verilator.ts";

let cachedVersion: string | undefined;

/** `iverilog -V`'s first line, e.g. "Icarus Verilog version 11.0 (stable) ()". */
export async function icarusVersion(): Promise<string> {
  if (cachedVersion) return cachedVersion;
  // iverilog makes temporary files even for -V: in a folder of ours, removed on interrupts too.
  const scratch = join(
    Deno.env.get("TMPDIR") || "/tmp",
    `rnnfab-iverilog-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
  );
  const forget = onInterrupt(() => removeSync(scratch));
  await Deno.mkdir(scratch, { recursive: true });
  const run = await runTool("iverilog", ["-V"], { env: { TMPDIR: scratch } }).finally(async () => {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    forget();
  });
  const first = `${run.stdout}\n${run.stderr}`.split("\n").find((line) => line.includes("Icarus"));
  if (!first) throw new Error(`iverilog -V failed: ${tail(run)}`);
  cachedVersion = first.trim();
  return cachedVersion;
}

/** Fixed-point probability (out of 65536) used by the testbench's $random comparisons. */
function per65536(probability: number): number {
  return Math.min(65535, Math.round(probability * 65536));
}

/** Options of `buildIcarusHarness`. */
export interface IcarusBuildOptions {
  /** The design to compile. */
  design: SimDesign;
  /** Time steps of the stimulus (a testbench parameter). */
  steps: number;
  /** Timing settings (testbench parameters). */
  settings: HarnessSettings;
  /** Cache root directory. */
  cacheRoot: string;
  /** Progress messages. */
  log?: (message: string) => void;
}

/** A compiled testbench. */
export interface IcarusHarness {
  /** Absolute path of the vvp image. */
  image: string;
  /** True when it came from the cache. */
  cached: boolean;
  /** Wall seconds spent compiling (0 when cached). */
  buildSeconds: number;
  /** The cache key. */
  hash: string;
  /** Icarus's version string. */
  version: string;
  /** Warnings iverilog printed when compiling. */
  warnings: string[];
}

/** Compile (or fetch from the cache) the Icarus testbench of a design for one run's parameters. */
export async function buildIcarusHarness(options: IcarusBuildOptions): Promise<IcarusHarness> {
  const log = options.log ?? (() => {});
  const { design, settings } = options;
  const version = await icarusVersion();
  const testbench = await readHarnessSource("icarus_tb.v");
  const parameters: Record<string, number> = {
    AB: design.accelerator.activationBits,
    BATCH: design.accelerator.batch ?? 1,
    OUT_WORDS: design.accelerator.outWords ?? 1,
    IN_WORDS: design.accelerator.inWords ?? 1,
    STEPS: options.steps,
    INPUT_SIZE: design.model.inputSize * (design.accelerator.batch ?? 1),
    OUTPUT_SIZE: design.model.outputSize * (design.accelerator.batch ?? 1),
    BACKPRESSURE_PER_65536: per65536(settings.backpressure),
    GAPS_PER_65536: per65536(settings.inputGaps),
    SEED: settings.seed % 1000000007,
    MAX_CYCLES: settings.maxCycles,
  };
  const flags = [
    "-g2005",
    "-s",
    "rnnfab_tb",
    ...Object.entries(parameters).map(([name, value]) => `-Prnnfab_tb.${name}=${value}`),
  ];
  const parts: HashPart[] = [
    { name: "iverilog", content: version },
    { name: "flags", content: JSON.stringify(flags) },
    { name: "testbench", content: testbench },
  ];
  for (const file of design.rtlFiles) {
    parts.push({ name: `rtl/${basename(file)}`, content: await Deno.readFile(file) });
  }
  const hash = hashParts(parts);
  const build = await cachedBuild({
    root: options.cacheRoot,
    kind: "icarus",
    hash,
    marker: "warnings.json",
    build: async (dir) => {
      log(`icarus: compiling ${design.top} with the testbench`);
      const testbenchPath = join(dir, "rnnfab_tb.v");
      await Deno.writeTextFile(testbenchPath, testbench);
      const includes = [...new Set(design.rtlFiles.map((file) => `-I${dirname(file)}`))];
      const args = [
        ...flags,
        ...includes,
        "-o",
        join(dir, "tb.vvp"),
        testbenchPath,
        ...design.rtlFiles,
      ];
      // iverilog's own temporary files go into the build folder, which an interrupt removes.
      const run = await runTool("iverilog", args, {
        cwd: dir,
        timeoutSeconds: 1800,
        env: { TMPDIR: dir },
      });
      await Deno.writeTextFile(
        join(dir, "build.log"),
        `iverilog ${args.join(" ")}\n\n${run.stdout}\n${run.stderr}`,
      );
      if (run.code !== 0) throw new Error(`iverilog failed (exit ${run.code}):\n${tail(run)}`);
      const warnings = `${run.stdout}\n${run.stderr}`.split("\n")
        .filter((line) => /warning/i.test(line));
      await Deno.writeTextFile(join(dir, "warnings.json"), JSON.stringify(warnings) + "\n");
    },
  });
  const warnings: string[] = JSON.parse(await Deno.readTextFile(join(build.dir, "warnings.json")));
  if (warnings.length > 0) log(`icarus: ${warnings.length} warnings; first: ${warnings[0]}`);
  return {
    warnings,
    image: join(build.dir, "tb.vvp"),
    cached: build.cached,
    buildSeconds: build.seconds,
    hash,
    version,
  };
}

/** Run a compiled testbench (working directory = the design, so that `mem/` resolves). */
export async function runIcarusHarness(options: {
  harness: IcarusHarness;
  design: SimDesign;
  stimulusPath: string;
  resultPath: string;
  maxCycles: number;
  plusargs?: string[];
  log?: (message: string) => void;
}): Promise<HarnessRun & { seconds: number }> {
  const run = await runTool("vvp", [
    "-n",
    options.harness.image,
    `+stimulus=${options.stimulusPath}`,
    `+result=${options.resultPath}`,
    ...(options.plusargs ?? []),
  ], {
    cwd: options.design.dir,
    onHeartbeat: (seconds) => options.log?.(`icarus: still running (${seconds} s)`),
    timeoutSeconds: 600 + options.maxCycles / 100,
  });
  if (run.code !== 0) {
    const why = run.timedOut ? "ran past its wall-clock limit" : `exited with ${run.code}`;
    throw new Error(`vvp ${why}:\n${tail(run)}`);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(options.resultPath);
  } catch {
    throw new Error(`vvp wrote no result file:\n${tail(run)}`);
  }
  return { ...parseHarnessResult(text, options.resultPath), seconds: run.seconds };
}
