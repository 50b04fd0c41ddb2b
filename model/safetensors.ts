/**
 * The one safetensors reader and writer: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}`, then raw little-endian tensors. Model
 * weights (model_io.ts) read float dtypes with every value finite; data files
 * (dataset_safetensors.ts) also read the integer dtypes PyTorch saves lengths and labels as, and
 * name a non-finite element themselves.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { MAX_SAFETENSORS_HEADER_BYTES } from "../util/limits.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { checkSafetensorsLayout, type SafetensorsEntry } from "./safetensors_check.ts";

/** A tensor read from a safetensors file, converted to float64. */
export interface Tensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Values, row-major. */
  data: Float64Array;
}

/** A tensor as read, with the dtype it was stored as. */
export interface StoredTensor extends Tensor {
  /** The stored dtype ("F32", "I64", ...). */
  dtype: string;
}

/** Bytes per element of the float dtypes (model weights). */
const FLOAT_SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Bytes per element of the integer dtypes (data files' lengths and labels). */
const INTEGER_SIZES: Record<string, number> = { I64: 8, I32: 4, I16: 2, I8: 1, U8: 1 };

/** One tensor of a safetensors header. */
const tensorEntrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

/** Decode an IEEE half-precision value. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** One little-endian element of `dtype` at byte `at`. */
function readValue(view: DataView, at: number, dtype: string): number {
  switch (dtype) {
    case "F64":
      return view.getFloat64(at, true);
    case "F32":
      return view.getFloat32(at, true);
    case "F16":
      return halfToFloat(view.getUint16(at, true));
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

/** The JSON header of a safetensors file and where its data starts. */
function readHeader(bytes: Uint8Array, source: string): { header: object; dataStart: number } {
  if (bytes.length < 8) {
    throw new UserError(
      `${source}: not a safetensors file (only ${bytes.length} bytes; truncated?)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_SAFETENSORS_HEADER_BYTES) {
    throw new UserError(
      `${source}: header length ${headerLength} is more than the ${MAX_SAFETENSORS_HEADER_BYTES} bytes accepted (not safetensors?)`,
    );
  }
  if (headerLength > bytes.length - 8) {
    throw new UserError(
      `${source}: header length ${headerLength} exceeds the file size ${bytes.length} (truncated or not safetensors)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch {
    throw new UserError(
      `${source}: the safetensors header is not valid JSON (truncated or not safetensors)`,
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new UserError(`${source}: the safetensors header must be a JSON object`);
  }
  return { header, dataStart: 8 + headerLength };
}

/** The header's tensor entries, each checked against the dtypes and the data section. */
function headerEntries(
  header: object,
  dataLength: number,
  sizes: Record<string, number>,
  source: string,
): SafetensorsEntry[] {
  const entries: SafetensorsEntry[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = parseWithSchema(
      tensorEntrySchema,
      entry,
      `${source}: tensor ${name}`,
    );
    const size = sizes[dtype];
    if (!size) {
      throw new UserError(
        `${source}: tensor ${name}: unsupported dtype ${dtype} (expected ${
          Object.keys(sizes).join(", ")
        })`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) {
      throw new UserError(
        `${source}: tensor ${name}: data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes (truncated?)`,
      );
    }
    if (end - begin !== count * size) {
      throw new UserError(
        `${source}: tensor ${name}: ${end - begin} bytes do not hold shape [${shape}] of ${dtype}`,
      );
    }
    entries.push({ name, dtype, shape, begin, end, size, count });
  }
  return entries;
}

/** Options of `readSafetensors`. */
export interface ReadSafetensorsOptions {
  /** Also accept the integer dtypes I64, I32, I16, I8 and U8 (default: float dtypes only). */
  integers?: boolean;
  /** Refuse a non-finite value (default true); false leaves it to the caller to name. */
  finite?: boolean;
}

/**
 * Read a safetensors file: every tensor converted to float64. The header must describe the data
 * exactly (aligned, no overlap, no gap: `checkSafetensorsLayout`). Float dtypes F64, F32, F16 and
 * BF16, and with `integers` the integer ones.
 */
export function readSafetensors(
  bytes: Uint8Array,
  source: string,
  options: ReadSafetensorsOptions = {},
): Map<string, StoredTensor> {
  const { header, dataStart } = readHeader(bytes, source);
  const sizes = options.integers ? { ...FLOAT_SIZES, ...INTEGER_SIZES } : FLOAT_SIZES;
  const dataLength = bytes.length - dataStart;
  const entries = headerEntries(header, dataLength, sizes, source);
  checkSafetensorsLayout(entries, dataLength, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, StoredTensor>();
  for (const { name, dtype, shape, begin, size, count } of entries) {
    const data = new Float64Array(count);
    const base = dataStart + begin;
    for (let i = 0; i < count; i++) {
      const value = readValue(view, base + i * size, dtype);
      if (options.finite !== false && !Number.isFinite(value)) {
        throw new UserError(
          `${source}: tensor ${name}: element ${i} is ${value} (expected a finite number)`,
        );
      }
      data[i] = value;
    }
    tensors.set(name, { dtype, shape, data });
  }
  return tensors;
}

/** Write tensors as a safetensors file (F32 unless a tensor needs F64 to be exact). */
export function writeSafetensors(
  tensors: Map<string, Tensor>,
  options: { dtype?: "F32" | "F64"; metadata?: Record<string, string> } = {},
): Uint8Array {
  const dtype = options.dtype ??
    (Array.from(tensors.values()).every((t) => t.data.every((v) => Math.fround(v) === v))
      ? "F32"
      : "F64");
  const size = FLOAT_SIZES[dtype];
  const header: Record<string, unknown> = options.metadata
    ? { __metadata__: options.metadata }
    : {};
  let offset = 0;
  const names = Array.from(tensors.keys()).sort();
  for (const name of names) {
    const tensor = tensors.get(name)!;
    const length = tensor.data.length * size;
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let headerText = JSON.stringify(header);
  while ((8 + headerText.length) % 8 !== 0) headerText += " ";
  const headerBytes = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    for (const value of tensors.get(name)!.data) {
      if (dtype === "F32") view.setFloat32(at, value, true);
      else view.setFloat64(at, value, true);
      at += size;
    }
  }
  return bytes;
}
