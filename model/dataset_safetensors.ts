/**
 * Data files in safetensors form: `sequences` a padded [N, T, I] float tensor, `lengths` [N]
 * (integer or float; default T for every sequence) and optional `labels`, [N] or [N, T]. Steps past
 * a sequence's length are padding and are ignored, labels included. Integer dtypes (I64, I32, I16,
 * I8, U8) are read besides F64, F32, F16 and BF16, as PyTorch saves lengths and labels as int64.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";

/** A tensor of any supported dtype, as float64 values. */
interface RawTensor {
  dtype: string;
  shape: number[];
  data: Float64Array;
}

const SIZES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
};

function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function readValue(view: DataView, at: number, dtype: string): number {
  switch (dtype) {
    case "F64":
      return view.getFloat64(at, true);
    case "F32":
      return view.getFloat32(at, true);
    case "F16":
      return half(view.getUint16(at, true));
    case "BF16":
      return new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0];
    case "I64":
      return Number(view.getBigInt64(at, true));
    case "I32":
      return view.getInt32(at, true);
    case "I16":
      return view.getInt16(at, true);
    case "I8":
      return view.getInt8(at);
    default:
      return view.getUint8(at);
  }
}

function header(bytes: Uint8Array, source: string): { entries: object; start: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.length >= 8 ? Number(view.getBigUint64(0, true)) : -1;
  if (length < 0 || length > bytes.length - 8) {
    throw new UserError(`${source}: not a safetensors file (truncated or wrong header length)`);
  }
  let entries: unknown;
  try {
    entries = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + length)),
    );
  } catch {
    throw new UserError(`${source}: the safetensors header is not valid JSON`);
  }
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new UserError(`${source}: the safetensors header must be a JSON object`);
  }
  return { entries, start: 8 + length };
}

/** Read every tensor of a safetensors file (no finiteness check: the caller names the element). */
function readTensors(bytes: Uint8Array, source: string): Map<string, RawTensor> {
  const { entries, start } = header(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(entries)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const size = SIZES[String(dtype)];
    if (!size) {
      throw new UserError(
        `${source}: ${name}: unsupported dtype ${String(dtype)} (expected ${
          Object.keys(SIZES).join(", ")
        })`,
      );
    }
    const dims = Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0)
      ? shape as number[]
      : null;
    const range = Array.isArray(offsets) && offsets.length === 2 &&
        offsets.every((o) => Number.isInteger(o) && o >= 0)
      ? offsets as number[]
      : null;
    if (!dims || !range) {
      throw new UserError(`${source}: ${name}: expected a shape and two data_offsets`);
    }
    const count = dims.reduce((a, b) => a * b, 1);
    if (range[1] - range[0] !== count * size || start + range[1] > bytes.length) {
      throw new UserError(
        `${source}: ${name}: data_offsets [${range}] do not hold shape [${dims}] of ${dtype} (truncated?)`,
      );
    }
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      data[i] = readValue(view, start + range[0] + i * size, String(dtype));
    }
    tensors.set(name, { dtype: String(dtype), shape: dims, data });
  }
  return tensors;
}

function checkNames(tensors: Map<string, RawTensor>, source: string): void {
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

function sequenceLengths(tensors: Map<string, RawTensor>, n: number, t: number, source: string) {
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
  const tensors = readTensors(bytes, source);
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
