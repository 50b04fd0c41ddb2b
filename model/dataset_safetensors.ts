/**
 * Data files in safetensors form: `sequences` a padded [N, T, I] float tensor, `lengths` [N]
 * (integer or float; default T for every sequence) and optional `labels`, [N] or [N, T]. Steps past
 * a sequence's length are padding and are ignored, labels included. Integer dtypes (I64, I32, I16,
 * I8, U8) are read besides F64, F32, F16 and BF16, as PyTorch saves lengths and labels as int64.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { readSafetensors, type StoredTensor } from "./safetensors.ts";

function checkNames(tensors: Map<string, StoredTensor>, source: string): void {
  for (const name of tensors.keys()) {
    if (!["sequences", "lengths", "labels"].includes(name)) {
      throw new UserError(
        `${source}: ${name}: unexpected tensor (expected sequences, lengths, labels)`,
      );
    }
  }
  if (!tensors.has("sequences")) {
    throw new UserError(`${source}: sequences: missing tensor (expected shape [N, T, inputSize])`);
  }
}

function sequenceLengths(tensors: Map<string, StoredTensor>, n: number, t: number, source: string) {
  const lengths = tensors.get("lengths");
  if (!lengths) return new Array<number>(n).fill(t);
  if (lengths.shape.join() !== String(n)) {
    throw new UserError(
      `${source}: lengths: expected shape [${n}] (one per sequence), got [${lengths.shape}]`,
    );
  }
  return Array.from(lengths.data, (length, i) => {
    if (!Number.isInteger(length) || length < 1 || length > t) {
      throw new UserError(
        `${source}: lengths[${i}]: expected an integer in 1..${t}, got ${length}`,
      );
    }
    return length;
  });
}

/**
 * Decode a safetensors data file into sequences (padding removed) and raw labels (checked by the
 * caller against the classes). `inputSize`, when given, is what `sequences` must have per step.
 */
export function datasetFromSafetensors(
  bytes: Uint8Array,
  source: string,
  inputSize?: number,
): { sequences: number[][][]; labels?: unknown[] } {
  const tensors = readSafetensors(bytes, source, { integers: true, finite: false });
  checkNames(tensors, source);
  const x = tensors.get("sequences")!;
  if (x.shape.length !== 3 || x.shape[0] < 1 || x.shape[1] < 1) {
    throw new UserError(
      `${source}: sequences: expected shape [N, T, inputSize] with N, T >= 1, got [${x.shape}]`,
    );
  }
  const [n, t, width] = x.shape;
  if (inputSize !== undefined && width !== inputSize) {
    throw new UserError(
      `${source}: sequences: expected ${inputSize} features per step (the model's inputSize), got shape [${x.shape}]`,
    );
  }
  const lengths = sequenceLengths(tensors, n, t, source);
  const sequences = lengths.map((length, i) =>
    Array.from({ length }, (_, s) => {
      const step = Array.from(x.data.subarray((i * t + s) * width, (i * t + s + 1) * width));
      const bad = step.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new UserError(
          `${source}: sequences[${i}][${s}][${bad}]: expected a finite number, got ${step[bad]}`,
        );
      }
      return step;
    })
  );
  const y = tensors.get("labels");
  if (!y) return { sequences };
  if (y.shape.length === 1 && y.shape[0] === n) return { sequences, labels: Array.from(y.data) };
  if (y.shape.length === 2 && y.shape[0] === n && y.shape[1] === t) {
    const labels = lengths.map((length, i) => Array.from(y.data.subarray(i * t, i * t + length)));
    return { sequences, labels };
  }
  throw new UserError(
    `${source}: labels: expected shape [${n}] (one per sequence) or [${n}, ${t}] (one per step), got [${y.shape}]`,
  );
}
