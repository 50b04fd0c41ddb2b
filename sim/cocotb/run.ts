/**
 * The cocotb flow of a generated design: build the design with cocotb's runner (cached), start the
 * bridge, run the tests of `DIR/tb/test_rnnfab.py` as a child process, and turn what the bridge
 * recorded into `DIR/sim/result.json` (the fields of the Verilator/Icarus harness report, plus
 * `flow` and `cocotb`). Every wait is bounded: a hung DUT hits the per-sequence cycle limit, a
 * silent test process the idle limit, everything the wall-clock limit.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../util/errors.ts";
import { writeJsonAtomic } from "../../util/fs.ts";
import { runTool } from "../../util/process.ts";
import { outputSize } from "../../model/model.ts";
import { readQuantizedModel } from "../../model/quantized_io.ts";
import { randomInputs } from "../../model/random.ts";
import { cachedBuild, cacheRoot, type HashPart, hashParts } from "../cache.ts";
import { readDesign, type SimDesign } from "../design.ts";
import type { HarnessRun, HarnessSettings, HarnessSummary } from "../harness_io.ts";
import { icarusVersion } from "../icarus.ts";
import { formatResult, type SimResult, summarizeRun } from "../result.ts";
import { cycleLimit } from "../simulate.ts";
import { verilatorVersion } from "../verilator.ts";
import { type Bridge, startBridge } from "./bridge.ts";
import { checkTest, type SequenceRecord, type TestVerdict } from "./checker.ts";
import { renderCocotbTestbench } from "../../rtl/testbench.ts";

/** Simulators the cocotb flow supports. */
export type CocotbSimulator = "icarus" | "verilator";

/** Options of `runCocotb`. */
export interface CocotbOptions {
  /** The design directory written by `gen`. */
  designDir: string;
  /** Real-valued inputs (T x inputSize); when absent, `steps` random steps from `seed`. */
  inputs?: number[][];
  /** Where `inputs` came from, for the report. */
  inputPath?: string;
  /** Random steps when `inputs` is absent (default 8). */
  steps?: number;
  /** Seed of the random inputs and of every random stream of the tests (default 1). */
  seed?: number;
  /** Simulator (default icarus). */
  simulator?: CocotbSimulator;
  /** test_sequence: probability that out_ready is low in a cycle, [0, 0.95] (default 0). */
  backpressure?: number;
  /** test_sequence: probability that a pending input word is withheld, [0, 0.95] (default 0). */
  inputGaps?: number;
  /** Verilator: registers and memories without reset start random (seeded) or zero (default random). */
  initialValues?: "random" | "zero";
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
  /** Build cache root (default: $RNNFAB_SIM_CACHE or ./.cache/rnnfab-sim). */
  cacheDir?: string;
  /** Where to write the result (default DIR/sim/result.json; null: do not write). */
  resultPath?: string | null;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

/** What one cocotb test did, as cocotb and the bridge saw it. */
export interface CocotbTestReport extends TestVerdict {
  /** cocotb's own outcome from results.xml (null when the test is not in it). */
  cocotbPassed: boolean | null;
  /** cocotb's failure message, if any. */
  cocotbMessage?: string;
  /** Per sequence: source, steps, words, whether it was cut short on purpose, and counters. */
  sequences: {
    id: number;
    source: string;
    steps: number;
    words: number;
    aborted: boolean | null;
    stimulus: { backpressure: number; inputGaps: number };
    cycles: number | null;
    outputStallCycles: number | null;
  }[];
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

const REPOSITORY_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/** The Python interpreter of the cocotb flow. */
export function defaultPython(): string {
  return Deno.env.get("RNNFAB_PYTHON") ?? join(REPOSITORY_ROOT, ".venv", "bin", "python");
}

/** cocotb's and websockets' versions in a Python, or an error that says how to install them. */
export async function pythonPackages(
  python: string,
): Promise<{ cocotb: string; websockets: string }> {
  const script = "import cocotb, websockets; print(cocotb.__version__, websockets.__version__)";
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, { args: ["-c", script], stdin: "null" }).output();
  } catch {
    throw new Error(`${python} does not exist: run \`deno task setup\` to create the venv`);
  }
  if (output.code !== 0) {
    throw new Error(
      `${python} lacks cocotb or websockets: run \`deno task setup\` (requirements.txt)`,
    );
  }
  const [cocotb, websockets] = new TextDecoder().decode(output.stdout).trim().split(/\s+/);
  return { cocotb, websockets };
}

/** Whether a cocotb version can drive a Verilator version (cocotb 2.x needs Verilator 5.036). */
export function verilatorSupported(cocotbVersion: string, verilatorVersionText: string): boolean {
  const verilator = /(\d+)\.(\d+)/.exec(verilatorVersionText);
  if (!verilator) return false;
  const number = Number(verilator[1]) + Number(verilator[2]) / 1000;
  const major = Number(cocotbVersion.split(".")[0]);
  return number >= (major >= 2 ? 5.036 : 5.006);
}

/** A child process run in its own process group, so that a timeout kills all of it. */
interface GroupRun {
  code: number | null;
  output: string;
  seconds: number;
  killedBecause?: string;
}

async function runGroup(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  watchdog?: () => string | undefined;
}): Promise<GroupRun> {
  const run = await runTool(options.command, options.args, { ...options, processGroup: true });
  return {
    code: run.killedBecause ? null : run.code,
    output: run.stdout + (run.stderr ? `\n--- stderr ---\n${run.stderr}` : ""),
    seconds: run.seconds,
    killedBecause: run.killedBecause,
  };
}

function lastLines(text: string, count: number): string {
  return text.split("\n").filter((line) => line.trim() !== "").slice(-count).join("\n");
}

/** cocotb's results.xml: test name -> passed, with the failure message (our own file format). */
export function parseCocotbResults(
  xml: string,
): Map<string, { passed: boolean; message?: string }> {
  const tests = new Map<string, { passed: boolean; message?: string }>();
  const pattern = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1];
    if (!name) continue;
    const body = match[3] ?? "";
    const failure = /<(failure|error)\b([^>]*)/.exec(body);
    const message = failure ? /\bmessage="([^"]*)"/.exec(failure[2])?.[1] : undefined;
    tests.set(name, { passed: !failure, ...(message ? { message: unescapeXml(message) } : {}) });
  }
  return tests;
}

function unescapeXml(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'").replaceAll("&#10;", "\n").replaceAll("&amp;", "&");
}

function checkProbability(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0 && value <= 0.95)) {
    throw new UserError(`--${name}: expected a probability in [0, 0.95], got ${value}`);
  }
}

function prepareInputs(
  options: CocotbOptions,
  design: SimDesign,
  seed: number,
): { inputs: number[][]; input: SimResult["input"] } {
  if (options.inputs) {
    for (const [t, row] of options.inputs.entries()) {
      if (row.length !== design.model.inputSize) {
        throw new UserError(
          `inputs[${t}]: expected ${design.model.inputSize} numbers, got ${row.length}`,
        );
      }
    }
    if (options.inputs.length === 0) throw new UserError(`inputs: expected at least one step`);
    return {
      inputs: options.inputs,
      input: { source: "file", path: options.inputPath ?? "(in memory)" },
    };
  }
  const steps = options.steps ?? 8;
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new UserError(`--steps: expected a positive integer, got ${steps}`);
  }
  return {
    inputs: randomInputs(steps, design.model.inputSize, seed),
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

function harnessRunOf(sequence: SequenceRecord | undefined): HarnessRun {
  const stats = sequence?.end?.stats;
  const expected = (sequence?.expected.length ?? 0) * (sequence?.expected[0]?.length ?? 0);
  const summary: HarnessSummary = {
    cycles: stats?.cycles ?? 0,
    simulatedCycles: stats?.simulatedCycles ?? 0,
    firstOutputCycle: stats?.firstOutputCycle ?? 0,
    lastInputCycle: stats?.lastInputCycle ?? 0,
    inputsAccepted: stats?.inputsAccepted ?? 0,
    outputs: sequence?.words.length ?? 0,
    expectedOutputs: expected,
    outputStallCycles: stats?.outputStallCycles ?? 0,
    inputStarvedCycles: stats?.inputStarvedCycles ?? 0,
    inputWaitCycles: stats?.inputWaitCycles ?? 0,
    protocolViolations: stats?.protocolViolations ?? 0,
    lastFlagErrors: 0,
    extraBeats: stats?.extraBeats ?? 0,
    timedOut: stats?.timedOut ?? false,
    wallSeconds: stats?.wallSeconds ?? null,
  };
  return {
    beats: (sequence?.words ?? []).map((word) => ({ ...word })),
    summary,
  };
}

/** Run the cocotb tests of a design against the golden model and write DIR/sim/result.json. */
export async function runCocotb(options: CocotbOptions): Promise<CocotbResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const simulator = options.simulator ?? "icarus";
  const seed = options.seed ?? 1;
  const backpressure = options.backpressure ?? 0;
  const inputGaps = options.inputGaps ?? 0;
  const initialValues = options.initialValues ?? "random";
  if (simulator !== "icarus" && simulator !== "verilator") {
    throw new UserError(`--simulator: expected icarus or verilator, got ${simulator}`);
  }
  checkProbability("backpressure", backpressure);
  checkProbability("input-gaps", inputGaps);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new UserError(`--seed: expected a non-negative integer, got ${seed}`);
  }

  const design = await readDesign(options.designDir);
  const quantizedPath = join(design.dir, "quantized.json");
  const model = await readQuantizedModel(quantizedPath);
  if (
    model.inputSize !== design.model.inputSize || outputSize(model) !== design.model.outputSize
  ) {
    throw new UserError(
      `${quantizedPath}: shape ${model.inputSize} -> ${outputSize(model)} does not match ` +
        `design.json (${design.model.inputSize} -> ${design.model.outputSize})`,
    );
  }
  if (model.format.activationBits !== design.accelerator.activationBits) {
    throw new UserError(
      `${quantizedPath}: format.activationBits ${model.format.activationBits} differs from ` +
        `design.json accelerator.activationBits ${design.accelerator.activationBits}`,
    );
  }
  const { inputs, input } = prepareInputs(options, design, seed);

  const python = options.python ?? defaultPython();
  const packages = await pythonPackages(python);
  const simulatorVersion = simulator === "icarus"
    ? await icarusVersion()
    : await verilatorVersion();
  if (simulator === "verilator" && !verilatorSupported(packages.cocotb, simulatorVersion)) {
    throw new UserError(
      `--simulator verilator: cocotb ${packages.cocotb} cannot drive ${simulatorVersion} ` +
        `(cocotb 1.x needs Verilator 5.006, cocotb 2.x 5.036); use --simulator icarus`,
    );
  }

  const simDir = join(design.dir, "sim");
  await Deno.mkdir(simDir, { recursive: true });
  const workDir = await Deno.makeTempDir({ dir: simDir, prefix: "cocotb-" });
  let bridge: Bridge | undefined;
  try {
    const testbench = await locateTestbench(design);
    const runner = join(testbench, "run_cocotb.py");
    const env: Record<string, string> = {
      PYTHONUNBUFFERED: "1",
      COCOTB_ANSI_OUTPUT: "0",
      PYTHONDONTWRITEBYTECODE: "1",
      RNNFAB_FLIP_OUTPUT_BIT: options.flipOutputBits
        ? options.flipOutputBits.map((flip) => `${flip.test}:${flip.word}:${flip.bit}`).join(",")
        : Deno.env.get("RNNFAB_FLIP_OUTPUT_BIT") ?? "",
    };

    // Build (cached by everything that goes into it).
    const parts: HashPart[] = [
      { name: "simulator", content: simulatorVersion },
      { name: "cocotb", content: packages.cocotb },
      { name: "python", content: python },
      { name: "runner", content: await Deno.readFile(runner) },
    ];
    for (const file of design.rtlFiles) {
      parts.push({ name: `rtl/${basename(file)}`, content: await Deno.readFile(file) });
    }
    const hash = hashParts(parts);
    const buildLog: string[] = [];
    const build = await cachedBuild({
      root: cacheRoot(options.cacheDir),
      kind: `cocotb-${simulator}`,
      hash,
      marker: "rnnfab-build-ok",
      build: async (dir) => {
        log(`cocotb: building ${design.top} for ${simulator}`);
        const run = await runGroup({
          command: python,
          args: [
            runner,
            "--design",
            design.dir,
            "--simulator",
            simulator,
            "--build-only",
            "--build-dir",
            dir,
          ],
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

    // The bridge and the test process.
    const runStimulus = { backpressure, inputGaps, seed };
    bridge = await startBridge({
      design: {
        top: design.top,
        kind: design.model.kind,
        inputSize: design.model.inputSize,
        outputSize: design.model.outputSize,
        activationBits: design.accelerator.activationBits,
        activationFrac: model.format.activationFrac,
      },
      model,
      mainInputs: inputs,
      stimulus: runStimulus,
      cycleLimit: (steps, stimulus) =>
        options.maxCycles ?? cycleLimit(design, steps, stimulus as HarnessSettings),
      log,
    });
    const idleSeconds = options.idleSeconds ?? 60;
    const timeoutSeconds = options.timeoutSeconds ?? 600;
    const resultsPath = join(workDir, "results.xml");
    const activeBridge = bridge;
    log(`cocotb: running the tests on ${simulator} (bridge ${bridge.url})`);
    const run = await runGroup({
      command: python,
      args: [
        runner,
        "--design",
        design.dir,
        "--simulator",
        simulator,
        "--test-only",
        "--build-dir",
        build.dir,
        "--results",
        resultsPath,
        "--seed",
        String(seed),
        "--init",
        initialValues,
        ...(options.testcases ? ["--testcase", options.testcases.join(",")] : []),
      ],
      cwd: design.dir,
      env: {
        ...env,
        RNNFAB_BRIDGE_URL: bridge.url,
        RNNFAB_BRIDGE_TIMEOUT: String(Math.min(30, idleSeconds)),
      },
      timeoutSeconds,
      watchdog: () => {
        const idle = (performance.now() - activeBridge.lastActivity()) / 1000;
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
    const logPath = join(simDir, "cocotb.log");
    await Deno.writeTextFile(logPath, [...buildLog, run.output].join("\n"));

    let cocotbTests = new Map<string, { passed: boolean; message?: string }>();
    try {
      cocotbTests = parseCocotbResults(await Deno.readTextFile(resultsPath));
    } catch {
      // no results.xml: the process died; the failures below say so
    }

    const reports: CocotbTestReport[] = bridge.tests.map((test) => {
      const verdict = bridge!.verdicts.get(test.name) ?? checkTest(test);
      const outcome = cocotbTests.get(test.name);
      return {
        ...verdict,
        cocotbPassed: outcome ? outcome.passed : null,
        ...(outcome?.message ? { cocotbMessage: outcome.message } : {}),
        sequences: test.sequences.map((s) => ({
          id: s.id,
          source: s.source,
          steps: s.inputs.length,
          words: s.words.length,
          aborted: s.end ? s.end.aborted : null,
          stimulus: s.stimulus,
          cycles: s.end ? s.end.stats.simulatedCycles : null,
          outputStallCycles: s.end ? s.end.stats.outputStallCycles : null,
        })),
      };
    });

    // The harness-style report comes from the first sequence of the run's own inputs.
    const mainTest = bridge.tests.find((test) => test.sequences.some((s) => s.source === "main"));
    const mainSequence = mainTest?.sequences.find((s) => s.source === "main");
    const mainRun = harnessRunOf(mainSequence);
    const settings: HarnessSettings = {
      backpressure,
      inputGaps,
      seed,
      initialValues,
      maxCycles: mainSequence?.maxCycles ??
        options.maxCycles ?? cycleLimit(design, inputs.length, runStimulus),
    };
    const base = summarizeRun({ ...mainRun, seconds: run.seconds }, {
      design,
      format: model.format,
      golden: mainSequence?.expected ?? [],
      simulator,
      simulatorVersion,
      input,
      settings,
      build: { cached: build.cached, hash, seconds: build.seconds, warnings: 0 }, // the cocotb makefile flow does not count warnings
      runSeconds: run.seconds,
      totalSeconds: (performance.now() - started) / 1000,
    });
    if (!mainSequence) {
      base.steps = inputs.length;
      base.bitExact = false;
      base.outputs = [];
    }

    const failures: string[] = [];
    if (run.killedBecause) failures.push(`the cocotb run was stopped: ${run.killedBecause}`);
    if (!mainSequence) failures.push("no test streamed the run's input sequence (test_sequence)");
    for (const report of reports) {
      for (const failure of report.failures) failures.push(`${report.test}: ${failure}`);
      if (report.passed && report.cocotbPassed === false) {
        failures.push(`${report.test}: cocotb: ${report.cocotbMessage ?? "failed"}`);
      }
    }
    for (const [name, outcome] of cocotbTests) {
      if (!bridge.tests.some((test) => test.name === name) && !outcome.passed) {
        failures.push(`${name}: failed before it reached the bridge: ${outcome.message ?? ""}`);
      }
    }
    if (!run.killedBecause && run.code !== 0 && failures.length === 0) {
      failures.push(
        `the cocotb run exited with ${run.code}:\n${lastLines(run.output, 15)}`,
      );
    }
    if (bridge.tests.length === 0 && !run.killedBecause) {
      failures.push(`no test connected to the bridge:\n${lastLines(run.output, 15)}`);
    }
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
    const resultPath = options.resultPath === undefined
      ? join(simDir, "result.json")
      : options.resultPath;
    if (resultPath !== null) await writeJsonAtomic(resultPath, result);
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
    const sequences = test.sequences.map((s) => `${s.steps}${s.aborted ? " cut" : ""}`).join("+");
    lines.push(
      `  ${test.passed && test.cocotbPassed !== false ? "pass" : "FAIL"} ${test.test}: ` +
        `${test.compared} words checked (steps ${sequences})`,
    );
  }
  return lines.join("\n");
}
