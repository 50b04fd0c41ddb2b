/**
 * The bridge's bookkeeping of what each cocotb test received and reported, and the bit-for-bit
 * verdict over it. Pure data and pure functions: the WebSocket server (bridge.ts) only appends.
 *
 * @module
 */

import type { Mismatch } from "../result.ts";
import type { SequenceStats } from "../../rtl/testbench_protocol.ts";

/** One output word as the test bench saw it transfer. */
export interface ReceivedWord {
  /** Sign-extended value, null when it had x/z bits. */
  value: number | null;
  /** out_last with the word. */
  last: boolean;
  /** Cycle of the transfer, counted from the reset release before the sequence. */
  cycle: number;
}

/** A sequence served to a test and everything that came back for it. */
export interface SequenceRecord {
  /** Id within the test's session. */
  id: number;
  /** Its slot in the stream beats (its sequence tag, 0..B-1; 0 without batch). */
  slot: number;
  /** Id of the slot-0 sequence of its stream (the B sequences streamed together). */
  stream: number;
  /** Where the inputs came from. */
  source: "main" | "random" | "inputs";
  /** Quantized inputs, T x inputSize. */
  inputs: Int32Array[];
  /** Golden outputs, T x outputSize. */
  expected: Int32Array[];
  /** Cycle limit given to the client. */
  maxCycles: number;
  /** Elements per output beat (`gen --out-words`): every word of a beat carries its out_last. */
  outWords: number;
  /** Stream timing the client declared for it. */
  stimulus: { backpressure: number; inputGaps: number };
  /** Words received, in order. */
  words: ReceivedWord[];
  /** Problems seen while receiving (out-of-order or late words). */
  problems: string[];
  /** Set by `sequence_end`. */
  end?: { aborted: boolean; stats: SequenceStats };
}

/** One cocotb test's session. */
export interface TestRecord {
  /** Test name (made unique within the run). */
  name: string;
  /** What the client said about itself (cocotb and simulator versions). */
  client: Record<string, unknown>;
  /** Sequences in request order. */
  sequences: SequenceRecord[];
  /** Problems of the session itself (protocol errors, lost connection). */
  problems: string[];
  /** True once the client sent `end`. */
  ended: boolean;
}

/** The outcome of checking one sequence. */
export interface SequenceCheck {
  /** Words that differ from the golden model, in output order. */
  mismatches: Mismatch[];
  /** Words compared. */
  compared: number;
  /** Everything else that is wrong, one line each. */
  failures: string[];
}

/** The outcome of checking a whole test. */
export interface TestVerdict {
  /** Test name. */
  test: string;
  /** True when nothing is wrong. */
  passed: boolean;
  /** Mismatching words over all sequences. */
  mismatchCount: number;
  /** Words compared over all sequences. */
  compared: number;
  /** The first mismatches (at most 20), with their sequence. */
  mismatches: (Mismatch & { sequence: number })[];
  /** One line per problem: the first mismatching words, then everything else. */
  failures: string[];
}

/** Describe one mismatching word. */
export function describeMismatch(sequence: number, mismatch: Mismatch): string {
  return `sequence ${sequence} step ${mismatch.step} element ${mismatch.index}: expected ` +
    `${mismatch.expected}, got ${mismatch.got ?? "x"} (cycle ${mismatch.cycle})`;
}

/** Check one sequence's words against its golden outputs, bit for bit (pure). */
export function checkSequence(record: SequenceRecord): SequenceCheck {
  const outputSize = record.expected[0]?.length ?? 0;
  const expectedCount = record.expected.length * outputSize;
  const mismatches: Mismatch[] = [];
  const failures = [...record.problems];
  const compared = Math.min(record.words.length, expectedCount);
  let lastFlagErrors = 0;
  // out_last is high on a step's last beat: the words of its last outWords-aligned group
  const lastBeat = Math.floor((outputSize - 1) / record.outWords);
  record.words.forEach((word, n) => {
    if (word.last !== (Math.floor((n % outputSize) / record.outWords) === lastBeat)) {
      lastFlagErrors++;
    }
    if (n >= expectedCount) return;
    const step = Math.floor(n / outputSize);
    const index = n % outputSize;
    const expected = record.expected[step][index];
    if (word.value !== expected) {
      mismatches.push({ step, index, expected, got: word.value, cycle: word.cycle });
    }
  });
  const name = `sequence ${record.id}`;
  if (record.words.length > expectedCount) {
    failures.push(`${name}: ${record.words.length - expectedCount} output words beyond the last`);
  }
  if (lastFlagErrors > 0) failures.push(`${name}: out_last wrong on ${lastFlagErrors} words`);
  if (!record.end) {
    failures.push(`${name}: never ended (${record.words.length} of ${expectedCount} words came)`);
    return { mismatches, compared, failures };
  }
  const { stats, aborted } = record.end;
  if (stats.timedOut) {
    failures.push(
      `${name}: timeout: the DUT produced ${stats.outputs} of ${expectedCount} output words in ` +
        `${stats.simulatedCycles} cycles (limit ${record.maxCycles})`,
    );
  } else if (!aborted && record.words.length < expectedCount) {
    failures.push(`${name}: the DUT produced ${record.words.length} of ${expectedCount} words`);
  }
  const inputWords = record.inputs.length * (record.inputs[0]?.length ?? 0);
  if (!aborted && !stats.timedOut && stats.inputsAccepted !== inputWords) {
    failures.push(`${name}: the DUT accepted ${stats.inputsAccepted} of ${inputWords} input words`);
  }
  if (stats.outputs !== record.words.length) {
    failures.push(
      `${name}: the test bench counted ${stats.outputs} words but sent ${record.words.length}`,
    );
  }
  const counters: [number, string][] = [
    [stats.protocolViolations, "held output beats changed before they transferred"],
    [stats.validDependsOnReady, "cycles where out_valid depended on out_ready"],
    [stats.unknownControl, "cycles with x/z on in_ready or out_valid"],
    [stats.extraBeats, "extra output beats after the last"],
  ];
  for (const [value, what] of counters) {
    if (value > 0) failures.push(`${name}: protocol: ${value} ${what}`);
  }
  return { mismatches, compared, failures };
}

/** The verdict over a whole test: every sequence checked, plus the session's own problems. */
export function checkTest(test: TestRecord): TestVerdict {
  const mismatches: (Mismatch & { sequence: number })[] = [];
  const mismatchLines: string[] = [];
  const other: string[] = [];
  let mismatchCount = 0;
  let compared = 0;
  for (const sequence of test.sequences) {
    const check = checkSequence(sequence);
    mismatchCount += check.mismatches.length;
    compared += check.compared;
    for (const mismatch of check.mismatches) {
      if (mismatches.length < 20) {
        mismatches.push({ ...mismatch, sequence: sequence.id });
        mismatchLines.push(describeMismatch(sequence.id, mismatch));
      }
    }
    other.push(...check.failures);
  }
  other.push(...test.problems);
  if (!test.ended && test.problems.length === 0) other.push("the test never sent `end`");
  if (mismatchCount > mismatches.length) {
    mismatchLines.push(`... ${mismatchCount - mismatches.length} more mismatching words`);
  }
  const failures = [...mismatchLines, ...other];
  return {
    test: test.name,
    passed: failures.length === 0,
    mismatchCount,
    compared,
    mismatches,
    failures,
  };
}
