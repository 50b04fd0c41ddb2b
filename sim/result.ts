/**
 * `DIR/sim/result.json`: what a simulation run found, as data. `compareBeats` checks every output
 * word against the golden model; `summarizeRun` turns a harness run into the report.
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { parseWithSchema } from "../util/zod_error.ts";
import type { FixedFormat } from "../model/fixed.ts";
import { readJsonFile } from "../model/inputs.ts";
import { estimatedCycles, type SimDesign } from "./design.ts";
import type { HarnessRun, HarnessSettings } from "./harness_io.ts";
import { ASSUMED_CLOCK, assumedClock, type DesignClock, formatClock } from "../rtl/clock.ts";
import { cycleStats } from "../rtl/delta_cycles.ts";

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();

/**
 * One output word that differs from the golden model: time step and element (0-based), the
 * golden value (activation-format integer), the DUT value (null when it had unknown bits,
 * Icarus) and the cycle the DUT word transferred.
 */
export const mismatchSchema = z.object({
  step: count,
  index: count,
  expected: z.number().int(),
  got: z.number().int().nullable(),
  cycle: count,
});

/** One output word that differs from the golden model. */
export type Mismatch = z.infer<typeof mismatchSchema>;

/** The outcome of comparing DUT output beats with the golden outputs. */
export interface Comparison {
  /** Words that differ, in output order (all of them). */
  mismatches: Mismatch[];
  /** Words compared (at most steps x outputSize). */
  compared: number;
  /** DUT outputs as integers, T x outputSize (missing words are null). */
  words: (number | null)[][];
}

/** Compare the DUT's output beats, in order, with the golden outputs word by word. */
export function compareBeats(run: HarnessRun, golden: Int32Array[]): Comparison {
  const outputSize = golden[0]?.length ?? 0;
  const words = golden.map(() => new Array<number | null>(outputSize).fill(null));
  const mismatches: Mismatch[] = [];
  const count = Math.min(run.beats.length, golden.length * outputSize);
  for (let n = 0; n < count; n++) {
    const step = Math.floor(n / outputSize);
    const index = n % outputSize;
    const beat = run.beats[n];
    words[step][index] = beat.value;
    if (beat.value !== golden[step][index]) {
      mismatches.push({
        step,
        index,
        expected: golden[step][index],
        got: beat.value,
        cycle: beat.cycle,
      });
    }
  }
  return { mismatches, compared: count, words };
}

/** The stimulus timing of a run (`HarnessSettings`). */
const stimulusSchema = z.object({
  backpressure: z.number().min(0).max(1),
  inputGaps: z.number().min(0).max(1),
  seed: count,
  maxCycles: count,
  initialValues: z.enum(["random", "zero"]),
}) satisfies z.ZodType<HarnessSettings>;

/**
 * The report of one simulation run, `DIR/sim/result.json` (written by the Verilator, Icarus and
 * cocotb flows; the cocotb flow adds `flow` and `cocotb`, which this schema leaves out). Fields:
 * - `design` (absolute directory), `simulator` and its version, where the inputs came from, the
 *   time steps simulated;
 * - `bitExact` (every output word equals the golden model's), `passed` (bit-exact and no protocol
 *   problem, timeout or missing/extra word), the other problems in `failures`, the number of
 *   mismatching words and the first 20, the DUT outputs as real numbers (null if missing);
 * - measured: `cycles` (reset release to the last output beat, inclusive), `firstOutputCycle`,
 *   `stepEndCycles` (last output word of each step; null for steps that never finished);
 *   computed: `cyclesPerStep` (cycles / steps), `steadyCyclesPerStep` ((last - first step end) /
 *   (T - 1), null for T = 1), `time` (microseconds at the design's clock: the placed-and-routed
 *   Fmax, else the configured clock; `provenance` says which, rtl/clock.ts);
 * - `estimate`: design.json's estimate for this sequence (`estimatedCycles`: the modelled step
 *   ends, past them the last two steps repeated), its relative error against the simulated cycles, and whether they are
 *   comparable (no back-pressure or input gaps applied, and not a delta design: its estimate is the
 *   bound with every column fired);
 * - `usefulMacs` (non-zeros per step x steps x batch), `pes`, `macsPerPe` (lanes x batch),
 *   `peUtilization` (usefulMacs / (pes x macsPerPe x cycles), computed); a batch design's words (outputs, mismatch indices) are
 *   in stream order: word `i * B + s` of a step is element i of sequence s (sim/batch_stream.ts);
 * - measured stall counters: output back-pressure (out_valid && !out_ready), input starved
 *   (in_ready && !in_valid while inputs remained), input wait (in_valid && !in_ready);
 * - the stimulus timing, the harness's protocol checks, measured wall seconds, the build (from
 *   the cache?, its key, compiler warnings), simulated cycles per wall second of the simulation
 *   loop (Verilator: without the model's construction and $readmemh), the FST trace path;
 * - Verilator runs: `verilator`, the build profile, its flags and a note when the fallback
 *   Verilator ran.
 */
export const simResultSchema = z.object({
  design: z.string(),
  simulator: z.enum(["verilator", "icarus"]),
  simulatorVersion: z.string(),
  input: z.discriminatedUnion("source", [
    z.object({ source: z.literal("file"), path: z.string() }),
    z.object({ source: z.literal("random"), seed: count }),
  ]),
  steps: z.number().int().positive(),
  bitExact: z.boolean(),
  passed: z.boolean(),
  failures: z.array(z.string()),
  mismatchCount: count,
  mismatches: z.array(mismatchSchema),
  outputs: z.array(z.array(z.number().nullable())),
  cycles: count,
  cyclesPerStep: z.number().nonnegative(),
  firstOutputCycle: count,
  stepEndCycles: z.array(count.nullable()),
  steadyCyclesPerStep: z.number().nullable(),
  time: z.object({
    clockMhz: z.number().positive(),
    // rtl/clock.ts: "placed and routed (...)" or "assumed, not timing-closed" (absent: assumed)
    provenance: z.string().optional(),
    microseconds: z.number().nonnegative(),
    microsecondsPerStep: z.number().nonnegative(),
  }),
  estimate: z.object({
    cycles: z.number().nonnegative(),
    cyclesPerStep: z.number().positive(),
    firstStepCycles: z.number().positive(),
    // NaN when no cycle was simulated: JSON writes it as null
    relativeError: z.number().or(z.null().transform(() => Number.NaN)),
    comparable: z.boolean(),
  }),
  usefulMacs: count,
  pes: z.number().int().positive(),
  /** Multiply-accumulate slots per PE and cycle: MAC lanes x batch (1 in results before lanes). */
  macsPerPe: z.number().int().positive().default(1),
  peUtilization: z.number().nonnegative(),
  stalls: z.object({
    outputBackpressureCycles: count,
    inputStarvedCycles: count,
    inputWaitCycles: count,
  }),
  stimulus: stimulusSchema,
  protocol: z.object({
    violations: count,
    lastFlagErrors: count,
    extraBeats: count,
    timedOut: z.boolean(),
  }),
  wallSeconds: z.object({ build: seconds, run: seconds, total: seconds }),
  build: z.object({ cached: z.boolean(), hash: z.string(), warnings: count }),
  simulatedCyclesPerSecond: z.number().nonnegative(),
  trace: z.string().optional(),
  // delta designs (docs/delta.md): fired fraction per layer (computed by the delta golden model)
  // and cycles per frame (measured: between consecutive steps' last output beats)
  delta: z.object({
    firedFraction: z.array(z.number().nonnegative()),
    frames: count,
    cyclesPerFrame: z.object({
      mean: z.number().nonnegative(),
      p50: count,
      p99: count,
      worst: count,
    }),
  }).optional(),
  verilator: z.object({
    profile: z.string(),
    flags: z.object({ verilator: z.array(z.string()), make: z.array(z.string()) }),
    note: z.string().optional(),
  }).optional(),
});

/** The report of one simulation run (the content of `DIR/sim/result.json`). */
export type SimResult = z.infer<typeof simResultSchema>;

/** Path of a design's simulation result. */
export function simResultPath(designDir: string): string {
  return join(designDir, "sim", "result.json");
}

/** Read and validate `DIR/sim/result.json`. */
export async function readSimResult(designDir: string): Promise<SimResult> {
  const path = simResultPath(designDir);
  return parseWithSchema(simResultSchema, await readJsonFile(path, "simulation result"), path);
}

/** Everything `summarizeRun` needs besides the harness run. */
export interface RunContext {
  design: SimDesign;
  format: FixedFormat;
  golden: Int32Array[];
  /** Delta designs: the fired fraction of every layer (the delta golden model's). */
  firedFraction?: number[];
  simulator: "verilator" | "icarus";
  simulatorVersion: string;
  input: SimResult["input"];
  settings: HarnessSettings;
  build: { cached: boolean; hash: string; seconds: number; warnings: number };
  runSeconds: number;
  totalSeconds: number;
  trace?: string;
  verilator?: SimResult["verilator"];
  /** Clock for the times (default: design.json's, assumed). */
  clock?: DesignClock;
}

/** Turn a harness run into the report (pure). */
export function summarizeRun(
  run: HarnessRun & { seconds: number },
  context: RunContext,
): SimResult {
  const { design, golden, settings } = context;
  const steps = golden.length;
  const batch = design.accelerator.batch ?? 1; // sequences per stream beat, words per beat
  const inputWords = steps * design.model.inputSize * batch;
  const comparison = compareBeats(run, golden);
  const s = run.summary;
  const failures: string[] = [];
  if (s.timedOut) {
    failures.push(
      `timeout: the DUT produced ${s.outputs} of ${s.expectedOutputs} output words in ` +
        `${s.simulatedCycles} cycles (cycle limit ${settings.maxCycles})`,
    );
  } else if (run.beats.length < s.expectedOutputs) {
    failures.push(`the DUT produced ${run.beats.length} of ${s.expectedOutputs} output words`);
  }
  if (s.inputsAccepted !== inputWords) {
    failures.push(`the DUT accepted ${s.inputsAccepted} of ${inputWords} input words`);
  }
  if (s.protocolViolations > 0) {
    failures.push(`protocol: ${s.protocolViolations} held output beats changed before transfer`);
  }
  if (s.lastFlagErrors > 0) failures.push(`protocol: out_last wrong on ${s.lastFlagErrors} beats`);
  if (s.extraBeats > 0) {
    failures.push(`protocol: ${s.extraBeats} extra output beats after the last`);
  }
  const bitExact = comparison.mismatches.length === 0 &&
    comparison.compared === steps * (golden[0]?.length ?? 0);
  const scale = 2 ** context.format.activationFrac;
  const cycles = s.cycles;
  const estimateCycles = estimatedCycles(design.estimate, steps);
  const usefulMacs = design.work.nonZerosPerStep * steps * batch;
  const clock = context.clock ?? assumedClock(design.accelerator.clockMhz);
  const clockMhz = clock.mhz;
  const simulatorSeconds = s.wallSeconds ?? run.seconds;
  const outputSize = design.model.outputSize * batch;
  const stepEndCycles = golden.map((_, t) => run.beats[(t + 1) * outputSize - 1]?.cycle ?? null);
  const firstEnd = stepEndCycles[0];
  const lastEnd = stepEndCycles[steps - 1];
  return {
    design: design.dir,
    simulator: context.simulator,
    simulatorVersion: context.simulatorVersion,
    input: context.input,
    steps,
    bitExact,
    passed: bitExact && failures.length === 0,
    failures,
    mismatchCount: comparison.mismatches.length,
    mismatches: comparison.mismatches.slice(0, 20),
    outputs: comparison.words.map((row) => row.map((q) => (q === null ? null : q / scale))),
    cycles,
    cyclesPerStep: cycles / steps,
    firstOutputCycle: s.firstOutputCycle,
    stepEndCycles,
    steadyCyclesPerStep: steps > 1 && firstEnd !== null && lastEnd !== null
      ? (lastEnd - firstEnd) / (steps - 1)
      : null,
    time: {
      clockMhz,
      provenance: clock.provenance,
      microseconds: cycles / clockMhz,
      microsecondsPerStep: cycles / steps / clockMhz,
    },
    estimate: {
      cycles: estimateCycles,
      cyclesPerStep: design.estimate.cyclesPerStep,
      firstStepCycles: design.estimate.firstStepCycles,
      relativeError: cycles > 0 ? (estimateCycles - cycles) / cycles : Number.NaN,
      // (a delta design's estimate is its bound, every column fired: the inputs decide)
      comparable: settings.backpressure === 0 && settings.inputGaps === 0 &&
        design.estimate.noneFiredCyclesPerStep === undefined,
    },
    usefulMacs,
    pes: design.accelerator.pes,
    macsPerPe: (design.accelerator.lanes ?? 1) * batch,
    peUtilization: cycles > 0
      ? usefulMacs / (design.accelerator.pes * (design.accelerator.lanes ?? 1) * batch * cycles)
      : 0,
    stalls: {
      outputBackpressureCycles: s.outputStallCycles,
      inputStarvedCycles: s.inputStarvedCycles,
      inputWaitCycles: s.inputWaitCycles,
    },
    stimulus: settings,
    protocol: {
      violations: s.protocolViolations,
      lastFlagErrors: s.lastFlagErrors,
      extraBeats: s.extraBeats,
      timedOut: s.timedOut,
    },
    wallSeconds: {
      build: context.build.seconds,
      run: context.runSeconds,
      total: context.totalSeconds,
    },
    build: {
      cached: context.build.cached,
      hash: context.build.hash,
      warnings: context.build.warnings,
    },
    simulatedCyclesPerSecond: simulatorSeconds > 0 ? s.simulatedCycles / simulatorSeconds : 0,
    ...(context.trace ? { trace: context.trace } : {}),
    ...(context.firedFraction ? { delta: deltaSummary(context.firedFraction, stepEndCycles) } : {}),
    ...(context.verilator ? { verilator: context.verilator } : {}),
  };
}

/**
 * A delta design's figures: the fired fractions and the cycles per frame, the cycles between
 * consecutive steps' last output beats (every step's from reset with one step).
 */
function deltaSummary(
  firedFraction: number[],
  stepEndCycles: (number | null)[],
): NonNullable<SimResult["delta"]> {
  const ends = stepEndCycles.filter((end): end is number => end !== null);
  const frames = ends.length > 1 ? ends.slice(1).map((end, t) => end - ends[t]) : ends;
  return { firedFraction, frames: frames.length, cyclesPerFrame: cycleStats(frames) };
}

/** A short human-readable summary of a result (the CLI prints it). */
export function formatResult(result: SimResult): string {
  const lines: string[] = [];
  const verdict = result.passed ? "PASS" : "FAIL";
  lines.push(
    `${verdict}: ${result.simulator}, ${result.steps} steps, ` +
      (result.bitExact
        ? "bit-exact against the golden model"
        : result.mismatchCount > 0
        ? `${result.mismatchCount} mismatching words`
        : "incomplete output"),
  );
  for (const m of result.mismatches.slice(0, 5)) {
    lines.push(
      `  mismatch step ${m.step} index ${m.index}: expected ${m.expected}, got ${
        m.got ?? "x"
      } (cycle ${m.cycle})`,
    );
  }
  for (const failure of result.failures) lines.push(`  ${failure}`);
  lines.push(
    `cycles (simulated): ${result.cycles} total, ${result.cyclesPerStep.toFixed(1)} per step, ` +
      `${result.time.microsecondsPerStep.toFixed(2)} us per step at ${
        formatClock({
          mhz: result.time.clockMhz,
          provenance: result.time.provenance ?? ASSUMED_CLOCK,
        })
      }`,
  );
  const sign = result.estimate.relativeError >= 0 ? "+" : "";
  lines.push(
    `estimate (design.json): ${result.estimate.cycles} cycles, ` +
      `${sign}${(100 * result.estimate.relativeError).toFixed(2)}% vs simulated` +
      (result.estimate.comparable
        ? ""
        : result.delta
        ? " (not comparable: a delta design's estimate has every column fired)"
        : " (not comparable: back-pressure or input gaps applied)"),
  );
  if (result.delta) {
    const { firedFraction, cyclesPerFrame: c } = result.delta;
    lines.push(
      `delta: fired ${firedFraction.map((f) => `${(100 * f).toFixed(1)}%`).join(" / ")} ` +
        `per layer (computed); cycles per frame (measured) mean ${c.mean.toFixed(1)}, ` +
        `p50 ${c.p50}, p99 ${c.p99}, worst ${c.worst} over ${result.delta.frames} frames`,
    );
  }
  lines.push(
    `PE utilization (computed): ${(100 * result.peUtilization).toFixed(1)}% of ${result.pes} PEs${
      result.macsPerPe > 1
        ? ` x ${result.macsPerPe} multiply-accumulates a cycle (lanes x batch)`
        : ""
    }; ` +
      `stalls (measured): output back-pressure ${result.stalls.outputBackpressureCycles}, ` +
      `input starved ${result.stalls.inputStarvedCycles}`,
  );
  lines.push(...formatToolLines(result));
  return lines.join("\n");
}

/**
 * The report lines on the simulator and the measured wall time of a run (or of a batch: with
 * `stepsPerSecond`, the simulated steps per wall second too).
 */
export function formatToolLines(
  result: Pick<SimResult, "simulatorVersion" | "verilator" | "simulatedCyclesPerSecond"> & {
    wallSeconds: { build: number; run: number };
    build: { cached: boolean };
  },
  stepsPerSecond?: number,
): string[] {
  return [
    `simulator: ${result.simulatorVersion}` +
    (result.verilator ? `, profile ${result.verilator.profile}` : "") +
    (result.verilator?.note ? ` (${result.verilator.note})` : ""),
    `wall (measured): build ${result.wallSeconds.build.toFixed(1)} s` +
    `${result.build.cached ? " (cached)" : ""}, run ${result.wallSeconds.run.toFixed(2)} s, ` +
    `${Math.round(result.simulatedCyclesPerSecond)} simulated cycles/s` +
    (stepsPerSecond === undefined ? "" : `, ${stepsPerSecond.toFixed(1)} steps/s`),
  ];
}
