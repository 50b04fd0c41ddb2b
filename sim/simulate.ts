/**
 * The simulation flow of a generated design: golden outputs from `quantized.json` and the fixed-point
 * model, a harness build (cached), one run with the requested stimulus timing, a word-by-word
 * comparison and `DIR/sim/result.json`.
 *
 * @module
 */

import { join } from "node:path";
import { quantizeInputs, runFixed } from "../model/fixed.ts";
import { OptionError, UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { outputSize } from "../model/model.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import { randomInputs } from "../model/random.ts";
import { cacheRoot } from "./cache.ts";
import { estimatedCycles, readDesign, type SimDesign } from "./design.ts";
import { type HarnessSettings, stimulusText } from "./harness_io.ts";
import { buildIcarusHarness, runIcarusHarness } from "./icarus.ts";
import { type SimResult, summarizeRun } from "./result.ts";
import { buildVerilatorHarness, type CxxOptimization, runVerilatorHarness } from "./verilator.ts";
import { checkSimulationSteps } from "./limits.ts";

/** Supported simulators. */
export type Simulator = "verilator" | "icarus";

/** Options of `simulateDesign`. */
export interface SimulateOptions {
  /** The design directory written by `gen`. */
  designDir: string;
  /** Real-valued inputs (T x inputSize); when absent, `steps` random steps from `seed`. */
  inputs?: number[][];
  /** Where `inputs` came from, for the report (a file path). */
  inputPath?: string;
  /** Random steps when `inputs` is absent (default 8). */
  steps?: number;
  /** Seed of random inputs, back-pressure and random initial register values (default 1). */
  seed?: number;
  /** Simulator (default verilator). */
  simulator?: Simulator;
  /** Probability that out_ready is low in a cycle, in [0, 0.95] (default 0). */
  backpressure?: number;
  /** Probability that a pending input beat is withheld in a cycle, in [0, 0.95] (default 0). */
  inputGaps?: number;
  /** Initial values of unreset state in Verilator (default "random"; see HarnessSettings). */
  initialValues?: "random" | "zero";
  /** C++ optimization of the Verilator model (default "-O0": fastest build). */
  cxxOptimization?: CxxOptimization;
  /** Write an FST waveform to DIR/sim/trace.fst (Verilator only). */
  trace?: boolean;
  /** Build cache root (default: $RNNFAB_SIM_CACHE or ./.cache/rnnfab-sim). */
  cacheDir?: string;
  /** Cycle limit; default derived from the estimate (4x plus 10000, scaled for stalls). */
  maxCycles?: number;
  /** Where to write the result (default DIR/sim/result.json; null: do not write). */
  resultPath?: string | null;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

/** A generous cycle limit from the estimate: never hang on a DUT that stops producing output. */
export function cycleLimit(
  design: { estimate: Pick<SimDesign["estimate"], "cyclesPerStep" | "firstStepCycles"> },
  steps: number,
  settings: Pick<HarnessSettings, "backpressure" | "inputGaps">,
): number {
  const expected = estimatedCycles(design.estimate, steps);
  const slowdown = (1 - settings.backpressure) * (1 - settings.inputGaps);
  return Math.ceil((4 * expected + 10000) / slowdown);
}

function checkProbability(option: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0 && value <= 0.95)) {
    throw new OptionError(option, `expected a probability in [0, 0.95], got ${value}`);
  }
}

/** Simulate a design on one input sequence and check it against the golden model. */
export async function simulateDesign(options: SimulateOptions): Promise<SimResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const simulator = options.simulator ?? "verilator";
  const seed = options.seed ?? 1;
  const backpressure = options.backpressure ?? 0;
  const inputGaps = options.inputGaps ?? 0;
  checkProbability("backpressure", backpressure);
  checkProbability("inputGaps", inputGaps);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new OptionError("seed", `expected a non-negative integer, got ${seed}`);
  }
  if (options.trace && simulator !== "verilator") {
    throw new OptionError("trace", "only the Verilator flow writes traces");
  }

  const design = await readDesign(options.designDir);
  const quantizedPath = join(design.dir, "quantized.json");
  const quantized = await readQuantizedModel(quantizedPath);
  if (
    quantized.inputSize !== design.model.inputSize ||
    outputSize(quantized) !== design.model.outputSize
  ) {
    throw new UserError(
      `${quantizedPath}: shape ${quantized.inputSize} -> ${outputSize(quantized)} does not match ` +
        `design.json (${design.model.inputSize} -> ${design.model.outputSize})`,
    );
  }
  if (quantized.format.activationBits !== design.accelerator.activationBits) {
    throw new UserError(
      `${quantizedPath}: format.activationBits ${quantized.format.activationBits} differs from ` +
        `design.json accelerator.activationBits ${design.accelerator.activationBits}`,
    );
  }

  let inputs: number[][];
  let input: SimResult["input"];
  if (options.inputs) {
    inputs = options.inputs;
    input = { source: "file", path: options.inputPath ?? "(in memory)" };
  } else {
    const steps = options.steps ?? 8;
    checkSimulationSteps(steps);
    inputs = randomInputs(steps, design.model.inputSize, seed);
    input = { source: "random", seed };
  }
  for (const [t, row] of inputs.entries()) {
    if (row.length !== design.model.inputSize) {
      throw new UserError(
        `inputs[${t}]: expected ${design.model.inputSize} numbers, got ${row.length}`,
      );
    }
  }
  const quantizedInputs = quantizeInputs(inputs, quantized.format);
  const golden = runFixed(quantized, quantizedInputs);
  const steps = inputs.length;

  const settings: HarnessSettings = {
    backpressure,
    inputGaps,
    seed,
    maxCycles: options.maxCycles ?? cycleLimit(design, steps, { backpressure, inputGaps }),
    initialValues: options.initialValues ?? "random",
  };
  const root = cacheRoot(options.cacheDir);
  const simDir = join(design.dir, "sim");
  await Deno.mkdir(simDir, { recursive: true });
  const workDir = await Deno.makeTempDir({ dir: simDir, prefix: "run-" });
  try {
    const stimulusPath = join(workDir, "stimulus.txt");
    const harnessResultPath = join(workDir, "harness_result.txt");
    await Deno.writeTextFile(
      stimulusPath,
      stimulusText(quantizedInputs, design.model.inputSize, design.model.outputSize),
    );
    let run;
    let build: { cached: boolean; hash: string; seconds: number; warnings: number };
    let version: string;
    let tracePath: string | undefined;
    if (simulator === "verilator") {
      const harness = await buildVerilatorHarness({
        design,
        trace: options.trace ?? false,
        cxxOptimization: options.cxxOptimization,
        cacheRoot: root,
        log,
      });
      build = {
        cached: harness.cached,
        hash: harness.hash,
        seconds: harness.buildSeconds,
        warnings: harness.warnings.length,
      };
      version = harness.version;
      tracePath = options.trace ? join(simDir, "trace.fst") : undefined;
      log(`verilator: running ${steps} steps (limit ${settings.maxCycles} cycles)`);
      run = await runVerilatorHarness({
        harness,
        design,
        stimulusPath,
        resultPath: harnessResultPath,
        settings,
        tracePath,
        log,
      });
    } else {
      const harness = await buildIcarusHarness({ design, steps, settings, cacheRoot: root, log });
      build = {
        cached: harness.cached,
        hash: harness.hash,
        seconds: harness.buildSeconds,
        warnings: harness.warnings.length,
      };
      version = harness.version;
      log(`icarus: running ${steps} steps (limit ${settings.maxCycles} cycles)`);
      run = await runIcarusHarness({
        harness,
        design,
        stimulusPath,
        resultPath: harnessResultPath,
        maxCycles: settings.maxCycles,
        log,
      });
    }
    const result = summarizeRun(run, {
      design,
      format: quantized.format,
      golden,
      simulator,
      simulatorVersion: version,
      input,
      settings,
      build,
      runSeconds: run.seconds,
      totalSeconds: (performance.now() - started) / 1000,
      trace: tracePath,
    });
    const resultPath = options.resultPath === undefined
      ? join(simDir, "result.json")
      : options.resultPath;
    if (resultPath !== null) await writeJsonAtomic(resultPath, result);
    return result;
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}
