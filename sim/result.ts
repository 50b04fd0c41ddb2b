/**
 * `DIR/sim/result.json`: what a simulation run found, as data. `compareBeats` checks every output
 * word against the golden model; `summarizeRun` turns a harness run into the report.
 *
 * @module
 */

import type { FixedFormat } from "../model/fixed.ts";
import { estimatedCycles, type SimDesign } from "./design.ts";
import type { HarnessRun, HarnessSettings } from "./harness_io.ts";
import { assumedClock, type DesignClock, formatClock } from "../rtl/clock.ts";

/** One output word that differs from the golden model. */
export interface Mismatch {
  /** Time step (0-based). */
  step: number;
  /** Element of the output vector (0-based). */
  index: number;
  /** Golden value (activation-format integer). */
  expected: number;
  /** DUT value, null when it had unknown bits (Icarus). */
  got: number | null;
  /** Cycle the DUT word transferred. */
  cycle: number;
}

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

/** The report of one simulation run (the content of `DIR/sim/result.json`). */
export interface SimResult {
  /** Absolute path of the design directory. */
  design: string;
  /** Which simulator ran. */
  simulator: "verilator" | "icarus";
  /** Its version string. */
  simulatorVersion: string;
  /** Where the inputs came from. */
  input: { source: "file"; path: string } | { source: "random"; seed: number };
  /** Time steps simulated. */
  steps: number;
  /** True when every output word equals the golden model's, bit for bit. */
  bitExact: boolean;
  /** True when bit-exact and no protocol problem, timeout or missing/extra word was seen. */
  passed: boolean;
  /** Problems other than word mismatches (timeout, protocol, out_last, extra beats). */
  failures: string[];
  /** Number of mismatching words. */
  mismatchCount: number;
  /** The first mismatching words (at most 20). */
  mismatches: Mismatch[];
  /** DUT outputs as real numbers, T x outputSize (as `infer` writes them; null if missing). */
  outputs: (number | null)[][];
  /** Measured: cycles from reset release to the last output beat, inclusive. */
  cycles: number;
  /** Computed: cycles / steps. */
  cyclesPerStep: number;
  /** Measured: cycle of the first output beat. */
  firstOutputCycle: number;
  /** Measured: cycle of the last output word of each step (null for steps that never finished). */
  stepEndCycles: (number | null)[];
  /** Computed: (stepEndCycles[T-1] - stepEndCycles[0]) / (T - 1), the steady-state step time (null for T = 1). */
  steadyCyclesPerStep: number | null;
  /** Computed from `cycles` at the design's clock (placed and routed, else assumed; rtl/clock.ts). */
  time: { clockMhz: number; provenance: string; microseconds: number; microsecondsPerStep: number };
  /** The analytical estimate of design.json against the simulated cycles. */
  estimate: {
    /** Estimated cycles for this sequence: firstStepCycles + (T-1) * cyclesPerStep. */
    cycles: number;
    /** design.json estimate.cyclesPerStep. */
    cyclesPerStep: number;
    /** design.json estimate.firstStepCycles. */
    firstStepCycles: number;
    /** (estimate - simulated) / simulated. */
    relativeError: number;
    /** False when back-pressure or input gaps were applied (the estimate assumes neither). */
    comparable: boolean;
  };
  /** Useful multiply-accumulates: work.nonZerosPerStep x steps. */
  usefulMacs: number;
  /** Processing elements. */
  pes: number;
  /** Computed: usefulMacs / (pes x cycles). */
  peUtilization: number;
  /** Measured stall counters. */
  stalls: {
    /** Cycles with out_valid && !out_ready. */
    outputBackpressureCycles: number;
    /** Cycles with in_ready && !in_valid while inputs remained. */
    inputStarvedCycles: number;
    /** Cycles with in_valid && !in_ready (accelerator busy). */
    inputWaitCycles: number;
    /** Cycles with stat_pe_stall high (null without that port). */
    peStallCycles: number | null;
  };
  /** The stimulus timing that was applied. */
  stimulus: HarnessSettings;
  /** Protocol checks made by the harness. */
  protocol: { violations: number; lastFlagErrors: number; extraBeats: number; timedOut: boolean };
  /** Measured wall seconds. */
  wallSeconds: { build: number; run: number; total: number };
  /** Whether the build came from the cache, its key, and how many warnings the simulator's compiler printed. */
  build: { cached: boolean; hash: string; warnings: number };
  /** Measured: simulated cycles per wall second of the simulator run. */
  simulatedCyclesPerSecond: number;
  /** FST trace path when --trace was given. */
  trace?: string;
}

/** Everything `summarizeRun` needs besides the harness run. */
export interface RunContext {
  design: SimDesign;
  format: FixedFormat;
  golden: Int32Array[];
  simulator: "verilator" | "icarus";
  simulatorVersion: string;
  input: SimResult["input"];
  settings: HarnessSettings;
  build: { cached: boolean; hash: string; seconds: number; warnings: number };
  runSeconds: number;
  totalSeconds: number;
  trace?: string;
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
  if (s.inputsAccepted !== steps * design.model.inputSize) {
    failures.push(
      `the DUT accepted ${s.inputsAccepted} of ${steps * design.model.inputSize} input words`,
    );
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
  const usefulMacs = design.nonZerosPerStep * steps;
  const clock = context.clock ?? assumedClock(design.accelerator.clockMhz);
  const clockMhz = clock.mhz;
  const simulatorSeconds = s.wallSeconds ?? run.seconds;
  const outputSize = design.model.outputSize;
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
      comparable: settings.backpressure === 0 && settings.inputGaps === 0,
    },
    usefulMacs,
    pes: design.accelerator.pes,
    peUtilization: cycles > 0 ? usefulMacs / (design.accelerator.pes * cycles) : 0,
    stalls: {
      outputBackpressureCycles: s.outputStallCycles,
      inputStarvedCycles: s.inputStarvedCycles,
      inputWaitCycles: s.inputWaitCycles,
      peStallCycles: s.peStallCycles,
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
  };
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
        formatClock({ mhz: result.time.clockMhz, provenance: result.time.provenance })
      }`,
  );
  const sign = result.estimate.relativeError >= 0 ? "+" : "";
  lines.push(
    `estimate (design.json): ${result.estimate.cycles} cycles, ` +
      `${sign}${(100 * result.estimate.relativeError).toFixed(2)}% vs simulated` +
      (result.estimate.comparable ? "" : " (not comparable: back-pressure or input gaps applied)"),
  );
  lines.push(
    `PE utilization (computed): ${
      (100 * result.peUtilization).toFixed(1)
    }% of ${result.pes} PEs; ` +
      `stalls (measured): output back-pressure ${result.stalls.outputBackpressureCycles}, ` +
      `input starved ${result.stalls.inputStarvedCycles}`,
  );
  lines.push(
    `wall (measured): build ${result.wallSeconds.build.toFixed(1)} s` +
      `${result.build.cached ? " (cached)" : ""}, run ${result.wallSeconds.run.toFixed(2)} s, ` +
      `${Math.round(result.simulatedCyclesPerSecond)} simulated cycles/s`,
  );
  return lines.join("\n");
}
