/**
 * Batch simulation for fidelity runs at RTL level: many input sequences through one build and,
 * with Verilator, one harness process. The sequences run back to back, each started by a
 * 2-cycle reset (the accelerator's only way to begin a new sequence, docs/cocotb.md), and each
 * is checked bit for bit against the fixed-point golden model on its own. Icarus runs them one
 * process per sequence (its testbench is built for one sequence length). A batch design (`gen
 * --batch B`) streams them B at a time under Verilator, one per slot of the beats
 * (`groupForSlots` of sim/batch_stream.ts), and each is checked on its own slot's words; under
 * Icarus each sequence runs in every slot.
 *
 * Data file: `{"sequences": [[[...], ...], ...]}` (each sequence T_k steps of inputSize numbers),
 * or a single `{"inputs": [[...], ...]}` sequence.
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { quantizeInputs } from "../model/fixed.ts";
import { goldenOutputs } from "./golden.ts";
import { readJsonFile } from "../model/inputs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import {
  groupForSlots,
  interleaveSequences,
  type SlotGroup,
  slotRun,
  slotSequences,
} from "./batch_stream.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import { cacheRoot } from "./cache.ts";
import { estimatedCycles, readDesign, readDesignModel, type SimDesign } from "./design.ts";
import {
  batchStimulusText,
  type HarnessRun,
  type HarnessSettings,
  parseBatchHarnessResult,
} from "./harness_io.ts";
import { formatToolLines, type Mismatch, type SimResult, summarizeRun } from "./result.ts";
import { findVerilator } from "./verilator_tool.ts";
import { cycleLimit, simulateDesign, type Simulator } from "./simulate.ts";
import { buildVerilatorHarness, resolveProfile, runVerilatorHarnessRaw } from "./verilator.ts";
import {
  type StimulusOptions,
  stimulusSettings,
  type VerilatorProfileOptions,
  writeRunResult,
} from "./options.ts";

/** Validate a data file's value: `{"sequences": [...]}` or `{"inputs": [...]}`. */
export function parseSequences(value: unknown, inputSize: number, source: string): number[][][] {
  const step = z.array(z.number().refine(Number.isFinite, { message: "expected a finite number" }))
    .length(inputSize, {
      message: `expected ${inputSize} numbers per step (the model's inputSize)`,
    });
  const sequence = step.array().min(1, { message: "expected at least one time step" });
  if (typeof value === "object" && value !== null && "sequences" in value) {
    const schema = z.object({
      sequences: sequence.array().min(1, { message: "expected at least one sequence" }),
    });
    return parseWithSchema(schema, value, source).sequences;
  }
  return [parseWithSchema(z.object({ inputs: sequence }), value, source).inputs];
}

/** Read a data file of input sequences for a model with `inputSize` inputs. */
export async function loadSequences(path: string, inputSize: number): Promise<number[][][]> {
  return parseSequences(await readJsonFile(path, "input sequences"), inputSize, path);
}

/** Options of `simulateBatch`. */
export interface BatchOptions extends StimulusOptions, VerilatorProfileOptions {
  /** Real-valued input sequences, each T_k x inputSize. */
  sequences: number[][][];
  /** Simulator (default verilator). */
  simulator?: Simulator;
}

/** One sequence's verdict in a batch report. */
export interface BatchSequenceResult {
  /** Index in the data file. */
  sequence: number;
  /** Time steps. */
  steps: number;
  /** Every word equal to the golden model's. */
  bitExact: boolean;
  /** Bit-exact and no protocol problem, timeout or missing/extra word. */
  passed: boolean;
  /** Mismatching words. */
  mismatchCount: number;
  /** Measured: cycles from its reset's release to its last output beat. */
  cycles: number;
  /** Computed: (estimate - cycles) / cycles. */
  estimateRelativeError: number;
}

/** The report of a batch run (`DIR/sim/result.json` with `flow: "batch"`). */
export interface BatchResult {
  /** Which flow wrote the report. */
  flow: "batch";
  /** Absolute path of the design directory. */
  design: string;
  /** Which simulator ran, its version, and (Verilator) the build profile and flags. */
  simulator: Simulator;
  simulatorVersion: string;
  verilator?: SimResult["verilator"];
  /** Where the inputs came from. */
  input: { source: "file"; path: string };
  /** Number of sequences and their time steps in all. */
  sequences: number;
  steps: number;
  /** Every word of every sequence bit-exact; `passed`: that and no failure. */
  bitExact: boolean;
  passed: boolean;
  /** Failures other than mismatching words, "sequence k: ..." (at most 50). */
  failures: string[];
  /** Mismatching words in all, and the first 20 with their sequence. */
  mismatchCount: number;
  mismatches: (Mismatch & { sequence: number })[];
  /** Measured: the sequences' cycles added up (each from its reset's release to its last word). */
  cycles: number;
  /** Measured: the cycles the harness streamed (every sequence's, timeouts included). */
  simulatedCycles: number;
  /** Per sequence. */
  perSequence: BatchSequenceResult[];
  /** The stimulus timing (the cycle limit is per sequence, from its estimate). */
  stimulus: Omit<HarnessSettings, "maxCycles">;
  /** Measured wall seconds: build (0 when cached), run (the simulator processes), total. */
  wallSeconds: { build: number; run: number; total: number };
  /** Whether the build came from the cache, its key, its warning count, its CPU seconds. */
  build: { cached: boolean; hash: string; warnings: number; cpuSeconds?: number | null };
  /**
   * Measured: seconds of simulation (the harness's loops, without the model's initialization),
   * wall and CPU (null when the harness does not measure CPU time: Icarus).
   */
  simulationSeconds: number;
  simulationCpuSeconds: number | null;
  /** Measured: simulated cycles and time steps (frames) per wall second of simulation. */
  simulatedCyclesPerSecond: number;
  simulatedStepsPerSecond: number;
}

/** Condense per-sequence reports into the batch report (pure). */
export function aggregateBatch(
  results: SimResult[],
  context: Pick<BatchResult, "design" | "simulator" | "simulatorVersion" | "input" | "build"> & {
    verilator?: SimResult["verilator"];
    stimulus: BatchResult["stimulus"];
    wallSeconds: BatchResult["wallSeconds"];
    simulatedCycles: number;
    simulationSeconds: number;
    simulationCpuSeconds: number | null;
  },
): BatchResult {
  const failures = results.flatMap((result, k) =>
    result.failures.map((failure) => `sequence ${k}: ${failure}`)
  );
  const mismatches = results.flatMap((result, k) =>
    result.mismatches.map((mismatch) => ({ sequence: k, ...mismatch }))
  );
  const steps = results.reduce((sum, result) => sum + result.steps, 0);
  const seconds = context.simulationSeconds;
  return {
    flow: "batch",
    design: context.design,
    simulator: context.simulator,
    simulatorVersion: context.simulatorVersion,
    ...(context.verilator ? { verilator: context.verilator } : {}),
    input: context.input,
    sequences: results.length,
    steps,
    bitExact: results.every((result) => result.bitExact),
    passed: results.every((result) => result.passed),
    failures: failures.slice(0, 50),
    mismatchCount: results.reduce((sum, result) => sum + result.mismatchCount, 0),
    mismatches: mismatches.slice(0, 20),
    cycles: results.reduce((sum, result) => sum + result.cycles, 0),
    simulatedCycles: context.simulatedCycles,
    perSequence: results.map((result, k) => ({
      sequence: k,
      steps: result.steps,
      bitExact: result.bitExact,
      passed: result.passed,
      mismatchCount: result.mismatchCount,
      cycles: result.cycles,
      estimateRelativeError: result.estimate.relativeError,
    })),
    stimulus: context.stimulus,
    wallSeconds: context.wallSeconds,
    build: context.build,
    simulationSeconds: seconds,
    simulationCpuSeconds: context.simulationCpuSeconds,
    simulatedCyclesPerSecond: seconds > 0 ? context.simulatedCycles / seconds : 0,
    simulatedStepsPerSecond: seconds > 0 ? steps / seconds : 0,
  };
}

/** Simulate every sequence of a batch and check each against the golden model. */
export async function simulateBatch(options: BatchOptions): Promise<BatchResult> {
  const started = performance.now();
  const simulator = options.simulator ?? "verilator";
  const design = await readDesign(options.designDir);
  const model = await readDesignModel(design);
  const input = { source: "file" as const, path: options.inputPath ?? "(in memory)" };
  const result = simulator === "verilator"
    ? await verilatorBatch(options, { design, model, input })
    : await icarusBatch(options, { design, input });
  result.wallSeconds.total = (performance.now() - started) / 1000;
  await writeRunResult(result, options, design.dir);
  return result;
}

async function icarusBatch(
  options: BatchOptions,
  context: { design: SimDesign; input: BatchResult["input"] },
): Promise<BatchResult> {
  const results: SimResult[] = [];
  for (const [k, inputs] of options.sequences.entries()) {
    options.log?.(`icarus: sequence ${k + 1} of ${options.sequences.length}`);
    results.push(
      await simulateDesign({ ...options, inputs, simulator: "icarus", resultPath: null }),
    );
  }
  const seconds = (key: "build" | "run") =>
    results.reduce((sum, result) => sum + result.wallSeconds[key], 0);
  return aggregateBatch(results, {
    design: context.design.dir,
    simulator: "icarus",
    simulatorVersion: results[0].simulatorVersion,
    input: context.input,
    build: { ...results[0].build, cached: results.every((result) => result.build.cached) },
    stimulus: results[0].stimulus,
    wallSeconds: { build: seconds("build"), run: seconds("run"), total: 0 },
    simulatedCycles: results.reduce((sum, result) => sum + result.cycles, 0),
    simulationSeconds: seconds("run"),
    simulationCpuSeconds: null,
  });
}

/** The stimulus timing of a batch (its cycle limits are per sequence), validated. */
function batchSettings(options: BatchOptions): HarnessSettings {
  return { ...stimulusSettings(options), maxCycles: 0 };
}

async function verilatorBatch(
  options: BatchOptions,
  context: { design: SimDesign; model: QuantizedModel; input: BatchResult["input"] },
): Promise<BatchResult> {
  const { design, model } = context;
  const log = options.log ?? (() => {});
  const settings = batchSettings(options);
  const batch = design.accelerator.batch ?? 1;
  const quantized = options.sequences.map((inputs) => quantizeInputs(inputs, model.format));
  const golden = quantized.map((inputs) => goldenOutputs(design, model, inputs));
  const groups = groupForSlots(quantized.map((inputs) => inputs.length), batch);
  const limits = groups.map((group) => cycleLimit(design, group.steps, settings));
  const root = cacheRoot(options.cacheDir);
  const tool = await findVerilator(options.verilator);
  const expectedCycles = groups.reduce(
    (sum, group) => sum + estimatedCycles(design.estimate, group.steps),
    0,
  );
  const profile = await resolveProfile({
    opt: options.opt ?? "auto",
    expectedCycles,
    design,
    trace: false,
    cacheRoot: root,
    tool,
  });
  const harness = await buildVerilatorHarness({
    design,
    trace: false,
    profile,
    tool,
    cacheRoot: root,
    log,
  });
  const simDir = join(design.dir, "sim");
  await Deno.mkdir(simDir, { recursive: true });
  const workDir = await Deno.makeTempDir({ dir: simDir, prefix: "batch-" });
  try {
    const stimulusPath = join(workDir, "stimulus.txt");
    const resultPath = join(workDir, "harness_result.txt");
    await Deno.writeTextFile(
      stimulusPath,
      batchStimulusText(
        groups.map((group, k) => ({
          inputs: interleaveSequences(slotSequences(group, quantized, batch)),
          maxCycles: limits[k],
        })),
        { inputSize: design.model.inputSize * batch, outputSize: design.model.outputSize * batch },
      ),
    );
    log(`verilator: running ${quantized.length} sequences (${expectedCycles} cycles estimated)`);
    const run = await runVerilatorHarnessRaw({
      harness,
      design,
      stimulusPath,
      resultPath,
      settings: { ...settings, maxCycles: Math.max(...limits) },
    });
    const runs = parseBatchHarnessResult(run.text, resultPath, groups.length);
    const verilator = {
      profile,
      flags: harness.flags,
      ...(harness.note ? { note: harness.note } : {}),
    };
    const build = {
      cached: harness.cached,
      hash: harness.hash,
      seconds: harness.buildSeconds,
      warnings: harness.warnings.length,
    };
    const results = sequenceResults(
      runs,
      groups,
      (k, sequenceRun, limit) =>
        summarizeRun({ ...sequenceRun, seconds: sequenceRun.summary.wallSeconds ?? 0 }, {
          // a slot's words are one sequence's: the batch-1 view of the design (its estimate stays)
          design: { ...design, accelerator: { ...design.accelerator, batch: 1 } },
          format: model.format,
          golden: golden[k],
          simulator: "verilator",
          simulatorVersion: harness.version,
          input: context.input,
          settings: { ...settings, maxCycles: limit },
          build,
          runSeconds: sequenceRun.summary.wallSeconds ?? 0,
          totalSeconds: 0,
        }),
      {
        batch,
        inputSize: design.model.inputSize,
        outputSize: design.model.outputSize,
        limits,
        lengths: quantized.map((inputs) => inputs.length),
      },
    );
    const { maxCycles: _limit, ...stimulus } = settings;
    return aggregateBatch(results, {
      design: design.dir,
      simulator: "verilator",
      simulatorVersion: harness.version,
      verilator,
      input: context.input,
      build: {
        cached: build.cached,
        hash: build.hash,
        warnings: build.warnings,
        cpuSeconds: harness.buildCpuSeconds,
      },
      stimulus,
      wallSeconds: { build: harness.buildSeconds, run: run.seconds, total: 0 },
      simulatedCycles: runs.reduce((sum, r) => sum + r.summary.simulatedCycles, 0),
      simulationSeconds: runs.reduce((sum, r) => sum + (r.summary.wallSeconds ?? 0), 0),
      simulationCpuSeconds: runs.every((r) => r.summary.cpuSeconds !== null)
        ? runs.reduce((sum, r) => sum + r.summary.cpuSeconds!, 0)
        : null,
    });
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/**
 * The report of every sequence of a data file (in file order) from the harness runs of its slot
 * groups: at batch 1 a group's run is its sequence's; at batch B each member's own slot's part
 * (`slotRun`). `summarize` turns sequence k's run into its report.
 */
function sequenceResults(
  runs: HarnessRun[],
  groups: SlotGroup[],
  summarize: (k: number, run: HarnessRun, limit: number) => SimResult,
  options: {
    batch: number;
    inputSize: number;
    outputSize: number;
    limits: number[];
    lengths: number[];
  },
): SimResult[] {
  const results: SimResult[] = [];
  groups.forEach((group, g) =>
    group.members.forEach((k, slot) => {
      const own = options.batch === 1
        ? runs[g]
        : slotRun(runs[g], { ...options, slot, steps: options.lengths[k] });
      results[k] = summarize(k, own, options.limits[g]);
    })
  );
  return results;
}

/** A short human-readable summary of a batch report (the CLI prints it). */
export function formatBatchResult(result: BatchResult): string {
  const failed = result.perSequence.filter((s) => !s.passed).map((s) => s.sequence);
  const lines = [
    `${result.passed ? "PASS" : "FAIL"}: ${result.simulator}, ${result.sequences} sequences, ` +
    `${result.steps} steps, ` +
    (result.bitExact
      ? "every sequence bit-exact against the golden model"
      : `${result.mismatchCount} mismatching words`),
  ];
  if (failed.length > 0) {
    lines.push(
      `  failed sequences: ${failed.slice(0, 20).join(", ")}${failed.length > 20 ? ", ..." : ""}`,
    );
  }
  for (const failure of result.failures.slice(0, 5)) lines.push(`  ${failure}`);
  lines.push(`cycles (simulated): ${result.cycles} over the sequences`);
  lines.push(...formatToolLines(result, result.simulatedStepsPerSecond));
  return lines.join("\n");
}
