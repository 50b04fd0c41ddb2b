/**
 * The stream protocol of a batch design (`gen --batch B`, docs/architecture.md, "Batch"): every
 * beat of `in_data` / `out_data` carries element i of B sequences, sequence s in bits
 * `[s*AB, (s+1)*AB)`. The harnesses list a beat's words in sequence order, so a step's words are
 * element-major: word `i * B + s` is element i of sequence s. These helpers convert between B
 * sequences and that order (pure).
 *
 * @module
 */

import { randomInputs } from "../model/random.ts";
import { UserError } from "../util/errors.ts";

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

/**
 * Refuse a batch design where a flow drives one sequence per stream beat (the data-file runs of
 * sim/batch.ts, the cocotb bench): one line naming the design and the feature.
 */
export function refuseBatchDesign(
  design: { dir: string; accelerator: { batch?: number } },
  feature: string,
): void {
  const batch = design.accelerator.batch ?? 1;
  if (batch > 1) {
    throw new UserError(
      `${design.dir}: ${feature} does not support batch designs yet (gen --batch ${batch}); ` +
        "run sim without it",
    );
  }
}
