/**
 * The stream protocol of a batch design (`gen --batch B`, docs/architecture.md, "Batch"): every
 * beat of `in_data` / `out_data` carries element i of B sequences, sequence s in bits
 * `[s*AB, (s+1)*AB)`. The harnesses list a beat's words in sequence order, so a step's words are
 * element-major: word `i * B + s` is element i of sequence s. These helpers convert between B
 * sequences and that order, and group the sequences of a data file B at a time (pure).
 *
 * @module
 */

import { randomInputs } from "../model/random.ts";
import type { HarnessRun } from "./harness_io.ts";

/**
 * Interleave B sequences of equal length step by step: row t of the result holds, for each
 * element i, sequence 0's element i, sequence 1's, ... (word `i * B + s`).
 */
export function interleaveSequences(sequences: Int32Array[][]): Int32Array[] {
  const batch = sequences.length;
  const steps = sequences[0]?.length ?? 0;
  for (const sequence of sequences) {
    if (sequence.length !== steps) throw new Error("batch sequences must have equal lengths");
  }
  return Array.from({ length: steps }, (_, t) => {
    const size = sequences[0][t].length;
    const row = new Int32Array(size * batch);
    sequences.forEach((sequence, s) => sequence[t].forEach((v, i) => (row[i * batch + s] = v)));
    return row;
  });
}

/** Sequence s of rows interleaved by `interleaveSequences` (T rows of size / B words). */
export function sequenceOf<T extends ArrayLike<number | null>>(
  rows: T[],
  batch: number,
  s: number,
): (number | null)[][] {
  return rows.map((row) =>
    Array.from({ length: Math.floor(row.length / batch) }, (_, i) => row[i * batch + s])
  );
}

/**
 * The real-valued inputs of the B sequences of a simulation: the given sequence in every slot,
 * or random steps, sequence s from seed `seed + s` (sequence 0 is the batch-1 run's input).
 */
export function batchInputs(
  options: { inputs?: number[][]; steps: number; inputSize: number; seed: number },
  batch: number,
): number[][][] {
  return Array.from(
    { length: batch },
    (_, s) => options.inputs ?? randomInputs(options.steps, options.inputSize, options.seed + s),
  );
}

/** Up to B sequences of a data file streamed together, one per slot of a batch design's beats. */
export interface SlotGroup {
  /** Indices of its sequences (in the data file), slot by slot; fewer than B in a last group. */
  members: number[];
  /** Its steps: its longest member's. */
  steps: number;
}

/**
 * Group the sequences of a data file (their lengths given) B at a time for the slots of a batch
 * design (pure): longest first, so that sequences of one length share a group where they can;
 * in file order at batch 1.
 */
export function groupForSlots(lengths: number[], batch: number): SlotGroup[] {
  const order = lengths.map((_, k) => k);
  if (batch > 1) order.sort((a, b) => lengths[b] - lengths[a] || a - b);
  const groups: SlotGroup[] = [];
  for (let first = 0; first < order.length; first += batch) {
    const members = order.slice(first, first + batch);
    groups.push({ members, steps: Math.max(...members.map((k) => lengths[k])) });
  }
  return groups;
}

/**
 * The B slot sequences of a group (pure): each member padded with zero steps to the group's
 * length (an RNN is causal: its own steps' outputs do not change), slots without a member filled
 * with the first member (their outputs are not reported).
 */
export function slotSequences(
  group: SlotGroup,
  sequences: Int32Array[][],
  batch: number,
): Int32Array[][] {
  return Array.from({ length: batch }, (_, slot) => {
    const sequence = sequences[group.members[slot] ?? group.members[0]];
    const size = sequence[0]?.length ?? 0;
    return Array.from(
      { length: group.steps },
      (_, t) => sequence[t] ?? new Int32Array(size),
    );
  });
}

/**
 * One slot's own part of the harness run of a batch stream (pure): the words of its first `steps`
 * steps (word `i * B + slot` of each step), `cycles` the transfer of its last word, its own input
 * and output counts; the stream's stall, protocol and timeout counters as they are.
 */
export function slotRun(
  run: HarnessRun,
  options: { batch: number; slot: number; steps: number; inputSize: number; outputSize: number },
): HarnessRun {
  const { batch, slot, steps, inputSize, outputSize } = options;
  const beats = [];
  for (let n = 0; n < steps * outputSize; n++) {
    const beat = run.beats[n * batch + slot];
    if (!beat) break;
    beats.push(beat);
  }
  const complete = beats.length === steps * outputSize;
  return {
    beats,
    summary: {
      ...run.summary,
      cycles: complete ? beats[beats.length - 1].cycle : run.summary.cycles,
      inputsAccepted: Math.min(steps * inputSize, Math.floor(run.summary.inputsAccepted / batch)),
      outputs: beats.length,
      expectedOutputs: steps * outputSize,
    },
  };
}
