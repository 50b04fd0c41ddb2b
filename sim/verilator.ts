/**
 * The Verilator flow: verilate the design with the C++ harness (`sim/harness/verilator_main.cpp`),
 * cache the executable by a hash of everything that went into it, and run it on a stimulus.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { cachedBuild, type HashPart, hashParts } from "./cache.ts";
import type { SimDesign } from "./design.ts";
import { type HarnessRun, type HarnessSettings, parseHarnessResult } from "./harness_io.ts";
import { runTool, tail } from "../util/process.ts";

/** Read a file shipped next to this module (works from a local checkout and from a URL). */
export async function readHarnessSource(name: string): Promise<string> {
  const url = new URL(`./harness/${name}`, import.meta.url);
  if (url.protocol === "file:") return await Deno.readTextFile(url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: ${response.status}`);
  return await response.text();
}

let cachedVersion: string | undefined;

/** `verilator --version`, e.g. "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)". */
export async function verilatorVersion(): Promise<string> {
  if (cachedVersion) return cachedVersion;
  const run = await runTool("verilator", ["--version"]);
  if (run.code !== 0) throw new Error(`verilator --version failed: ${tail(run)}`);
  cachedVersion = run.stdout.trim();
  return cachedVersion;
}

/** Options of `buildVerilatorHarness`. */
export interface VerilatorBuildOptions {
  /** The design to verilate. */
  design: SimDesign;
  /** Build with FST tracing compiled in. */
  trace: boolean;
  /**
   * C++ optimization of the model (make's OPT_FAST): "-O0" (default) builds several times faster
   * (32-PE designs: about 11 s instead of 78 s) and simulates about half as fast as "-Os"; for
   * the short sequences of tests and benchmarks the build dominates.
   */
  cxxOptimization?: CxxOptimization;
  /** Cache root directory. */
  cacheRoot: string;
  /** Parallel compile jobs (default 2). */
  jobs?: number;
  /** Progress messages. */
  log?: (message: string) => void;
}

/** A ready-to-run harness executable. */
export interface VerilatorHarness {
  /** Absolute path of the executable. */
  executable: string;
  /** True when it came from the cache. */
  cached: boolean;
  /** Wall seconds spent building (0 when cached). */
  buildSeconds: number;
  /** The cache key. */
  hash: string;
  /** Verilator's version string. */
  version: string;
  /** Verilator warnings of the build (the first lines of each; also in the entry's build.log). */
  warnings: string[];
}

/** C++ optimization levels offered for the Verilator model. */
export type CxxOptimization = "-O0" | "-O1" | "-O2" | "-Os";

/** The verilator flags of a harness build (part of the cache key). */
export function verilatorFlags(options: {
  top: string;
  trace: boolean;
  cxxOptimization?: CxxOptimization;
}) {
  const flags = [
    "--cc",
    "--exe",
    "--build",
    "-O3",
    "-Wno-fatal",
    "--x-assign",
    "unique",
    "--x-initial",
    "unique",
    "--prefix",
    "Vdut",
    "--top-module",
    options.top,
    "-MAKEFLAGS",
    `OPT_FAST=${options.cxxOptimization ?? "-O0"}`,
  ];
  if (options.trace) flags.push("--trace-fst", "-CFLAGS", "-DRNNFAB_TRACE=1");
  return flags;
}

/** Build (or fetch from the cache) the Verilator harness of a design. */
export async function buildVerilatorHarness(
  options: VerilatorBuildOptions,
): Promise<VerilatorHarness> {
  const log = options.log ?? (() => {});
  const { design } = options;
  const version = await verilatorVersion();
  const harnessSource = await readHarnessSource("verilator_main.cpp");
  const flags = verilatorFlags({
    top: design.top,
    trace: options.trace,
    cxxOptimization: options.cxxOptimization,
  });
  const parts: HashPart[] = [
    { name: "verilator", content: version },
    { name: "flags", content: JSON.stringify(flags) },
    { name: "harness", content: harnessSource },
  ];
  for (const file of design.rtlFiles) {
    parts.push({ name: `rtl/${basename(file)}`, content: await Deno.readFile(file) });
  }
  const hash = hashParts(parts);
  const includeDirs = [...new Set(design.rtlFiles.map((file) => dirname(file)))];
  const build = await cachedBuild({
    root: options.cacheRoot,
    kind: "verilator",
    hash,
    marker: "warnings.json",
    build: async (dir) => {
      log(`verilator: building the harness of ${design.top} (${design.rtlFiles.length} files)`);
      const mainPath = join(dir, "harness_main.cpp");
      await Deno.writeTextFile(mainPath, harnessSource);
      const objDir = join(dir, "obj");
      const args = [
        ...flags,
        "-j",
        String(options.jobs ?? 2),
        "-Mdir",
        objDir,
        "-o",
        "harness",
        ...includeDirs.map((d) => `-I${d}`),
        mainPath,
        ...design.rtlFiles,
      ];
      const run = await runTool("verilator", args, {
        cwd: dir,
        onHeartbeat: (seconds) => log(`verilator: still building (${seconds} s)`),
        timeoutSeconds: 3600,
      });
      await Deno.writeTextFile(
        join(dir, "build.log"),
        `verilator ${args.join(" ")}\n\n${run.stdout}\n${run.stderr}`,
      );
      if (run.code !== 0) {
        throw new Error(`verilator build failed (exit ${run.code}):\n${tail(run)}`);
      }
      const warnings = `${run.stdout}\n${run.stderr}`.split("\n")
        .filter((line) => line.startsWith("%Warning"));
      await Deno.writeTextFile(join(dir, "warnings.json"), JSON.stringify(warnings) + "\n");
      await Deno.rename(join(objDir, "harness"), join(dir, "harness"));
      await Deno.remove(objDir, { recursive: true });
    },
  });
  if (!build.cached) log(`verilator: built in ${build.seconds.toFixed(1)} s`);
  const warnings: string[] = JSON.parse(await Deno.readTextFile(join(build.dir, "warnings.json")));
  if (warnings.length > 0) {
    log(
      `verilator: ${warnings.length} warnings (${join(build.dir, "build.log")}); first: ${
        warnings[0]
      }`,
    );
  }
  return {
    executable: join(build.dir, "harness"),
    cached: build.cached,
    buildSeconds: build.seconds,
    warnings,
    hash,
    version,
  };
}

/** Options of `runVerilatorHarness`. */
export interface VerilatorRunOptions {
  /** The built harness. */
  harness: VerilatorHarness;
  /** The design (the run's working directory, so that `mem/` resolves). */
  design: SimDesign;
  /** Stimulus file path. */
  stimulusPath: string;
  /** Where the harness writes its result file. */
  resultPath: string;
  /** Timing settings. */
  settings: HarnessSettings;
  /** FST trace file to write (the harness must be built with trace). */
  tracePath?: string;
  /** Extra `+name=value` arguments for the design's $value$plusargs. */
  plusargs?: string[];
  /** Progress messages. */
  log?: (message: string) => void;
}

/** Run a built harness and parse what it wrote. */
export async function runVerilatorHarness(
  options: VerilatorRunOptions,
): Promise<HarnessRun & { seconds: number }> {
  const { settings } = options;
  const args = [
    "--stimulus",
    options.stimulusPath,
    "--result",
    options.resultPath,
    "--backpressure",
    String(settings.backpressure),
    "--input-gaps",
    String(settings.inputGaps),
    "--seed",
    String(settings.seed),
    "--max-cycles",
    String(settings.maxCycles),
    "--activation-bits",
    String(options.design.accelerator.activationBits),
    ...(settings.initialValues === "random"
      ? ["+verilator+rand+reset+2", `+verilator+seed+${(settings.seed % 2147483646) + 1}`]
      : ["+verilator+rand+reset+0"]),
  ];
  if (options.tracePath) args.push("--trace", options.tracePath);
  args.push(...(options.plusargs ?? []));
  const log = options.log ?? (() => {});
  const run = await runTool(options.harness.executable, args, {
    cwd: options.design.dir,
    onLine: (line) => {
      if (line.startsWith("progress ")) log(`verilator: ${line.slice(9)}`);
    },
    timeoutSeconds: 600 + settings.maxCycles / 2000,
  });
  if (run.code !== 0) {
    const why = run.timedOut ? "ran past its wall-clock limit" : `exited with ${run.code}`;
    throw new Error(`the Verilator harness ${why}:\n${tail(run)}`);
  }
  const text = await Deno.readTextFile(options.resultPath);
  return { ...parseHarnessResult(text, options.resultPath), seconds: run.seconds };
}
