/**
 * The parts of a cocotb run's report that come from what the bridge recorded and what cocotb
 * wrote: per test verdicts, the failures of the run, and the main sequence as a harness run.
 *
 * @module
 */

import type { HarnessRun, HarnessSummary } from "../harness_io.ts";
import type { Bridge } from "./bridge.ts";
import { checkTest, type SequenceRecord, type TestVerdict } from "./checker.ts";
import { type GroupRun, lastLines } from "./process_group.ts";

/** What one cocotb test did, as cocotb and the bridge saw it. */
export interface CocotbTestReport extends TestVerdict {
  /** cocotb's own outcome from results.xml (null when the test is not in it). */
  cocotbPassed: boolean | null;
  /** cocotb's failure message, if any. */
  cocotbMessage?: string;
  /** Per sequence: its slot in the stream beats, source, steps, words, whether it was cut short on purpose, and counters. */
  sequences: {
    id: number;
    slot: number;
    source: string;
    steps: number;
    words: number;
    aborted: boolean | null;
    stimulus: { backpressure: number; inputGaps: number };
    cycles: number | null;
    outputStallCycles: number | null;
  }[];
}

/**
 * The main sequences' records as one harness run, for `summarizeRun` (pure): the B sequences of a
 * batch design's stream (slot order) interleaved as the harness lists a beat's words, word
 * `i * B + s` of a step being element i of slot s (sim/batch_stream.ts); one sequence without batch.
 */
export function harnessRunOf(sequences: SequenceRecord[]): HarnessRun {
  const batch = Math.max(1, sequences.length);
  const sequence = sequences[0];
  const stats = sequence?.end?.stats;
  const expected = (sequence?.expected.length ?? 0) * (sequence?.expected[0]?.length ?? 0);
  const beats = Math.min(...sequences.map((s) => s.words.length));
  const summary: HarnessSummary = {
    cycles: stats?.cycles ?? 0,
    simulatedCycles: stats?.simulatedCycles ?? 0,
    firstOutputCycle: stats?.firstOutputCycle ?? 0,
    lastInputCycle: stats?.lastInputCycle ?? 0,
    inputsAccepted: (stats?.inputsAccepted ?? 0) * batch,
    outputs: sequences.reduce((sum, s) => sum + s.words.length, 0),
    expectedOutputs: expected * batch,
    outputStallCycles: stats?.outputStallCycles ?? 0,
    inputStarvedCycles: stats?.inputStarvedCycles ?? 0,
    inputWaitCycles: stats?.inputWaitCycles ?? 0,
    protocolViolations: stats?.protocolViolations ?? 0,
    lastFlagErrors: 0,
    extraBeats: stats?.extraBeats ?? 0,
    timedOut: stats?.timedOut ?? false,
    wallSeconds: stats?.wallSeconds ?? null,
    cpuSeconds: null,
    initSeconds: null,
  };
  return {
    beats: Array.from(
      { length: sequences.length ? beats * batch : 0 },
      (_, n) => ({ ...sequences[n % batch].words[Math.floor(n / batch)] }),
    ),
    summary,
  };
}

/** Per test: the bridge's verdict, cocotb's outcome and the sequences (pure). */
export function testReports(
  bridge: Bridge,
  cocotbTests: Map<string, { passed: boolean; message?: string }>,
): CocotbTestReport[] {
  return bridge.tests.map((test) => {
    const verdict = bridge.verdicts.get(test.name) ?? checkTest(test);
    const outcome = cocotbTests.get(test.name);
    return {
      ...verdict,
      cocotbPassed: outcome ? outcome.passed : null,
      ...(outcome?.message ? { cocotbMessage: outcome.message } : {}),
      sequences: test.sequences.map((s) => ({
        id: s.id,
        slot: s.slot,
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
}

/** Every failure of the run, test by test (pure). */
export function runFailures(context: {
  run: GroupRun;
  mainFound: boolean;
  reports: CocotbTestReport[];
  cocotbTests: Map<string, { passed: boolean; message?: string }>;
  bridgeTests: string[];
}): string[] {
  const { run, reports } = context;
  const failures: string[] = [];
  if (run.killedBecause) failures.push(`the cocotb run was stopped: ${run.killedBecause}`);
  if (!context.mainFound) {
    failures.push("no test streamed the run's input sequence (test_sequence)");
  }
  for (const report of reports) {
    for (const failure of report.failures) failures.push(`${report.test}: ${failure}`);
    if (report.passed && report.cocotbPassed === false) {
      failures.push(`${report.test}: cocotb: ${report.cocotbMessage ?? "failed"}`);
    }
  }
  for (const [name, outcome] of context.cocotbTests) {
    if (!context.bridgeTests.includes(name) && !outcome.passed) {
      failures.push(`${name}: failed before it reached the bridge: ${outcome.message ?? ""}`);
    }
  }
  if (!run.killedBecause && run.code !== 0 && failures.length === 0) {
    failures.push(`the cocotb run exited with ${run.code}:\n${lastLines(run.output, 15)}`);
  }
  if (context.bridgeTests.length === 0 && !run.killedBecause) {
    failures.push(`no test connected to the bridge:\n${lastLines(run.output, 15)}`);
  }
  return failures;
}
