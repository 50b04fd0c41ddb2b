/**
 * The simulation flow of a generated design: golden outputs from `quantized.json` and the fixed-point
 * model, a harness build (cached), one run with the requested stimulus timing, a word-by-word
 * comparison and `DIR/sim/result.json`.
 *
 * @module
 */

import { join } from "node:path";
import { quantizeInputs } from "../model/fixed.ts";
import { goldenRun } from "./golden.ts";
import { OptionError, UserError } from "../util/errors.ts";
import { batchInputs, interleaveSequences } from "./batch_stream.ts";
import { onInterrupt, removeSync } from "../util/interrupt.ts";
import { cacheRoot } from "./cache.ts";
import { verifyDesign } from "./verify_design.ts";
import { estimatedCycles, readDesign, readDesignModel, type SimDesign } from "./design.ts";
import { type HarnessRun, type HarnessSettings, stimulusText } from "./harness_io.ts";
import { buildIcarusHarness, runIcarusHarness } from "./icarus.ts";
import { type SimResult, summarizeRun } from "./result.ts";
import { buildVerilatorHarness, resolveProfile, runVerilatorHarness } from "./verilator.ts";
import { findVerilator } from "./verilator_tool.ts";
import { checkSimulationSize, checkSimulationSteps } from "./limits.ts";
import type { DesignClock } from "../rtl/clock.ts";
import {
  type StimulusOptions,
  stimulusSettings,
  type VerilatorProfileOptions,
  writeRunResult,
} from "./options.ts";
import { mapYielding } from "../util/event_loop.ts";

/** Supported simulators. */
export type Simulator = "verilator" | "icarus";

/** Options of `simulateDesign`. */
export interface SimulateOptions extends StimulusOptions, VerilatorProfileOptions {
  /** Real-valued inputs (T x inputSize); when absent, `steps` random steps from `seed`. */
  inputs?: number[][];
  /** Random steps when `inputs` is absent (default 8). */
  steps?: number;
  /** Simulator (default verilator). */
  simulator?: Simulator;
  /** Write an FST waveform to DIR/sim/trace.fst (Verilator only). */
  trace?: boolean;
  /** Cycle limit; default derived from the estimate (4x plus 10000, scaled for stalls). */
  maxCycles?: number;
  /** Simulate a design that fails verification (every difference printed as a warning). */
  allowModified?: boolean;
  /** The caller already ran `verifyDesign` on the folder (skip it here). */
  verified?: boolean;
  /** Clock for the times (synth/pnr/clock.ts `clockForDesign`; default design.json's, assumed). */
  clock?: DesignClock;
}

/** A generous cycle limit from the estimate: never hang on a DUT that stops producing output. */
export function cycleLimit(
  design: { estimate: Parameters<typeof estimatedCycles>[0] },
  steps: number,
  settings: Pick<HarnessSettings, "backpressure" | "inputGaps">,
): number {
  const expected = estimatedCycles(design.estimate, steps);
  const slowdown = (1 - settings.backpressure) * (1 - settings.inputGaps);
  return Math.ceil((4 * expected + 10000) / slowdown);
}

/** What a simulator flow built and ran, for `summarizeRun`. */
interface FlowRun {
  run: HarnessRun & { seconds: number };
  build: { cached: boolean; hash: string; seconds: number; warnings: number };
  version: string;
  tracePath?: string;
  verilator?: SimResult["verilator"];
}

/** Everything a simulator flow needs besides the options. */
interface FlowContext {
  design: SimDesign;
  steps: number;
  settings: HarnessSettings;
  root: string;
  files: { stimulusPath: string; resultPath: string; simDir: string };
  log: (message: string) => void;
}

/** A built harness of either simulator, as the report describes its build. */
interface BuiltHarness {
  cached: boolean;
  hash: string;
  buildSeconds: number;
  warnings: unknown[];
  version: string;
}

/**
 * What both simulator flows do once their harness is built: log the run, run it on the context's
 * stimulus (`execute`, the simulator's own run function, given the stimulus and result paths)
 * and describe the run and the build for the report.
 */
async function runBuilt(
  context: FlowContext,
  built: { simulator: Simulator; harness: BuiltHarness },
  execute: (paths: { stimulusPath: string; resultPath: string }) => Promise<FlowRun["run"]>,
): Promise<FlowRun> {
  const { steps, settings, files, log } = context;
  log(`${built.simulator}: running ${steps} steps (limit ${settings.maxCycles} cycles)`);
  const run = await execute({ stimulusPath: files.stimulusPath, resultPath: files.resultPath });
  const { harness } = built;
  return {
    run,
    build: {
      cached: harness.cached,
      hash: harness.hash,
      seconds: harness.buildSeconds,
      warnings: harness.warnings.length,
    },
    version: harness.version,
  };
}

async function verilatorRun(options: SimulateOptions, context: FlowContext): Promise<FlowRun> {
  const { design, steps, settings, root, files, log } = context;
  const trace = options.trace ?? false;
  const tool = await findVerilator(options.verilator);
  const profile = await resolveProfile({
    tool,
    opt: options.opt ?? "auto",
    expectedCycles: estimatedCycles(design.estimate, steps),
    design,
    trace,
    cacheRoot: root,
  });
  const harness = await buildVerilatorHarness({
    design,
    trace,
    profile,
    tool,
    cacheRoot: root,
    log,
  });
  const tracePath = trace ? join(files.simDir, "trace.fst") : undefined;
  const flow = await runBuilt(
    context,
    { simulator: "verilator", harness },
    (paths) => runVerilatorHarness({ harness, design, ...paths, settings, tracePath, log }),
  );
  return {
    ...flow,
    tracePath,
    verilator: {
      profile,
      flags: harness.flags,
      ...(harness.note ? { note: harness.note } : {}),
    },
  };
}

async function icarusRun(context: FlowContext): Promise<FlowRun> {
  const { design, steps, settings, root, log } = context;
  const harness = await buildIcarusHarness({ design, steps, settings, cacheRoot: root, log });
  return runBuilt(
    context,
    { simulator: "icarus", harness },
    (paths) => runIcarusHarness({ harness, design, ...paths, maxCycles: settings.maxCycles, log }),
  );
}

/** Simulate a design on one input sequence and check it against the golden model. */
export async function simulateDesign(options: SimulateOptions): Promise<SimResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const simulator = options.simulator ?? "verilator";
  const { seed, backpressure, inputGaps } = stimulusSettings(options);
  if (options.trace && simulator !== "verilator") {
    throw new OptionError("trace", "only the Verilator flow writes traces");
  }

  if (!options.verified) await verifyDesign(options.designDir, { ...options, command: "sim" });
  const design = await readDesign(options.designDir);
  const quantized = await readDesignModel(design);

  // A batch design (gen --batch B) runs B sequences at once: the given one in every slot, or B
  // random ones (seeds seed .. seed + B - 1); the streams interleave them (sim/batch_stream.ts).
  const batch = design.accelerator.batch ?? 1;
  let input: SimResult["input"];
  if (options.inputs) {
    input = { source: "file", path: options.inputPath ?? "(in memory)" };
  } else {
    checkSimulationSteps(options.steps ?? 8);
    input = { source: "random", seed };
  }
  const { inputSize } = design.model;
  const sequences = batchInputs({ ...options, steps: options.steps ?? 8, inputSize, seed }, batch);
  const inputs = sequences[0];
  checkSimulationSize(inputs.length, design.model.outputSize * batch, options.inputPath);
  for (const [t, row] of inputs.entries()) {
    if (row.length !== inputSize) {
      throw new UserError(`inputs[${t}]: expected ${inputSize} numbers, got ${row.length}`);
    }
  }
  const quantizedSequences = sequences.map((rows) => quantizeInputs(rows, quantized.format));
  const quantizedInputs = interleaveSequences(quantizedSequences);
  const runs = await mapYielding(quantizedSequences, (q) => goldenRun(design, quantized, q));
  const golden = interleaveSequences(runs.map((run) => run.outputs));
  const firedFraction = runs[0].firedFraction;
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
  // Registered before it exists: an interrupt while it is being made still removes it.
  const workDir = join(simDir, `run-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  const unregister = onInterrupt(() => removeSync(workDir));
  await Deno.mkdir(workDir);
  try {
    const stimulusPath = join(workDir, "stimulus.txt");
    const harnessResultPath = join(workDir, "harness_result.txt");
    await Deno.writeTextFile(
      stimulusPath,
      stimulusText(quantizedInputs, inputSize * batch, design.model.outputSize * batch),
    );
    const files = { stimulusPath, resultPath: harnessResultPath, simDir };
    const { run, build, version, tracePath, verilator } = simulator === "verilator"
      ? await verilatorRun(options, { design, steps, settings, root, files, log })
      : await icarusRun({ design, steps, settings, root, files, log });
    const result = summarizeRun(run, {
      design,
      format: quantized.format,
      golden,
      firedFraction,
      simulator,
      simulatorVersion: version,
      input,
      settings,
      build,
      runSeconds: run.seconds,
      totalSeconds: (performance.now() - started) / 1000,
      trace: tracePath,
      verilator,
      clock: options.clock,
    });
    await writeRunResult(result, options, design.dir);
    return result;
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
    unregister();
  }
}
