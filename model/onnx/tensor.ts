/**
 * ONNX tensors as plain data: decoding `TensorProto` values (raw data, typed fields or external
 * data files) into float64 arrays, and building float32 / int64 `TensorProto`s for export.
 *
 * @module
 */

import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { UserError } from "../../util/errors.ts";
import { DataType, int64ToNumber, type TensorProto, type ValueInfoProto } from "./schema.ts";

/** A decoded ONNX tensor: its shape, element type and values as float64. */
export interface OnnxTensor {
  /** Dimensions, outermost first (empty for a scalar). */
  dims: number[];
  /** `TensorProto.DataType` of the stored elements. */
  dataType: number;
  /** Row-major values (integers are exact up to 2^53). */
  data: Float64Array;
}

/** Where external data files may be read from. */
export interface TensorReadOptions {
  /** Folder of the model file; external data locations are relative to it and must stay in it. */
  baseDir?: string;
}

const TYPE_NAMES: Record<number, string> = {
  1: "FLOAT",
  2: "UINT8",
  3: "INT8",
  4: "UINT16",
  5: "INT16",
  6: "INT32",
  7: "INT64",
  8: "STRING",
  9: "BOOL",
  10: "FLOAT16",
  11: "DOUBLE",
  12: "UINT32",
  13: "UINT64",
  14: "COMPLEX64",
  15: "COMPLEX128",
  16: "BFLOAT16",
};

/** Bytes per element of the element types rnnfab decodes from raw bytes. */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};

/** The ONNX name of an element type, e.g. "FLOAT" for 1. */
export function dataTypeName(dataType: number): string {
  return TYPE_NAMES[dataType] ?? `type ${dataType}`;
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(dims: number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** IEEE half precision bits to a number. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 bits (the upper half of a float32) to a number. */
export function bfloat16ToNumber(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (bits & 0xffff) << 16);
  return view.getFloat32(0);
}

/** Little-endian readers of one element of each raw data type. */
const RAW_READERS: Record<number, (view: DataView, at: number) => number> = {
  1: (view, at) => view.getFloat32(at, true),
  11: (view, at) => view.getFloat64(at, true),
  10: (view, at) => float16ToNumber(view.getUint16(at, true)),
  16: (view, at) => bfloat16ToNumber(view.getUint16(at, true)),
  2: (view, at) => view.getUint8(at),
  9: (view, at) => view.getUint8(at),
  3: (view, at) => view.getInt8(at),
  4: (view, at) => view.getUint16(at, true),
  5: (view, at) => view.getInt16(at, true),
  6: (view, at) => view.getInt32(at, true),
  12: (view, at) => view.getUint32(at, true),
  7: (view, at) => Number(view.getBigInt64(at, true)),
  13: (view, at) => Number(view.getBigUint64(at, true)),
};

function decodeRaw(bytes: Uint8Array, dataType: number, count: number): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  const size = ELEMENT_BYTES[dataType];
  const read = RAW_READERS[dataType];
  if (!read) return out;
  for (let k = 0; k < count; k++) out[k] = read(view, k * size);
  return out;
}

function externalEntry(tensor: TensorProto, key: string): string | undefined {
  return (tensor.external_data ?? []).find((entry) => entry.key === key)?.value;
}

function parseByteCount(value: string | undefined, what: string, context: string): number {
  if (value === undefined) return -1;
  if (!/^\d+$/.test(value.trim())) {
    throw new UserError(`${context}: external data ${what} "${value}" is not a whole number`);
  }
  return Number(value.trim());
}

/** Resolve an external data location inside `baseDir`, refusing paths that leave it. */
export function externalDataPath(location: string, baseDir: string, context: string): string {
  if (location === "" || isAbsolute(location) || location.includes("\0")) {
    throw new UserError(
      `${context}: external data location "${location}" must be a relative path inside the model's folder`,
    );
  }
  const base = resolve(baseDir);
  const path = resolve(base, location);
  const inside = (root: string, candidate: string) => {
    const rel = relative(root, candidate);
    return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  };
  if (!inside(base, path)) {
    throw new UserError(
      `${context}: external data location "${location}" leaves the model's folder; refused`,
    );
  }
  let realPath: string;
  try {
    realPath = realpathSync(path);
  } catch {
    throw new UserError(`${context}: external data file "${location}" not found next to the model`);
  }
  if (!inside(realpathSync(base), realPath)) {
    throw new UserError(
      `${context}: external data file "${location}" is a link leading out of the model's folder; refused`,
    );
  }
  return realPath;
}

function readExternal(
  tensor: TensorProto,
  byteCount: number,
  context: string,
  options: TensorReadOptions,
): Uint8Array {
  const location = externalEntry(tensor, "location");
  if (location === undefined) {
    throw new UserError(`${context}: external data without a "location" entry`);
  }
  if (options.baseDir === undefined) {
    throw new UserError(
      `${context}: stored in external data file "${location}", but no model folder was given to read it from`,
    );
  }
  const path = externalDataPath(location, options.baseDir, context);
  const offset = Math.max(0, parseByteCount(externalEntry(tensor, "offset"), "offset", context));
  const length = parseByteCount(externalEntry(tensor, "length"), "length", context);
  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (error) {
    throw new UserError(
      `${context}: cannot read external data file "${location}" (${(error as Error).message})`,
    );
  }
  const wanted = length >= 0 ? length : byteCount;
  if (length >= 0 && length !== byteCount) {
    throw new UserError(
      `${context}: external data length ${length} bytes, but the tensor needs ${byteCount}`,
    );
  }
  if (offset + wanted > file.length) {
    throw new UserError(
      `${context}: external data file "${location}" has ${file.length} bytes, the tensor needs bytes ${offset}..${
        offset + wanted
      } (truncated file?)`,
    );
  }
  return file.subarray(offset, offset + wanted);
}

/**
 * Decode a `TensorProto` into float64 values. Handles raw data, the typed fields (float_data,
 * double_data, int32_data, int64_data, uint64_data) and external data files; `context` names the
 * file and tensor in error messages.
 */
export function decodeTensor(
  tensor: TensorProto,
  context: string,
  options: TensorReadOptions = {},
): OnnxTensor {
  const dims = (tensor.dims ?? []).map(int64ToNumber);
  if (dims.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new UserError(`${context}: invalid dims [${dims.join(", ")}]`);
  }
  const dataType = tensor.data_type ?? 0;
  const count = elementCount(dims);
  if (tensor.segment && Object.hasOwn(tensor, "segment")) {
    throw new UserError(`${context}: segmented tensors are not supported`);
  }
  const size = ELEMENT_BYTES[dataType];
  if (size === undefined) {
    throw new UserError(`${context}: element type ${dataTypeName(dataType)} is not supported`);
  }
  const expectCount = (found: number, field: string) => {
    if (found !== count) {
      throw new UserError(
        `${context}: ${field} holds ${found} values, dims [${dims.join(", ")}] need ${count}`,
      );
    }
  };
  if (tensor.data_location === 1) {
    return {
      dims,
      dataType,
      data: decodeRaw(readExternal(tensor, count * size, context, options), dataType, count),
    };
  }
  const raw = tensor.raw_data;
  if (raw && raw.length > 0) {
    if (raw.length !== count * size) {
      throw new UserError(
        `${context}: raw_data has ${raw.length} bytes, dims [${dims.join(", ")}] of ${
          dataTypeName(dataType)
        } need ${count * size}`,
      );
    }
    return { dims, dataType, data: decodeRaw(raw, dataType, count) };
  }
  const pick = (): { values: ArrayLike<number>; field: string } => {
    if (dataType === DataType.FLOAT) {
      return { values: tensor.float_data ?? [], field: "float_data" };
    }
    if (dataType === DataType.DOUBLE) {
      return { values: tensor.double_data ?? [], field: "double_data" };
    }
    if (dataType === DataType.INT64) {
      return { values: (tensor.int64_data ?? []).map(int64ToNumber), field: "int64_data" };
    }
    if (dataType === 12 || dataType === 13) {
      return { values: (tensor.uint64_data ?? []).map(int64ToNumber), field: "uint64_data" };
    }
    const ints = tensor.int32_data ?? [];
    if (dataType === DataType.FLOAT16) {
      return { values: ints.map(float16ToNumber), field: "int32_data" };
    }
    if (dataType === DataType.BFLOAT16) {
      return { values: ints.map(bfloat16ToNumber), field: "int32_data" };
    }
    return { values: ints, field: "int32_data" };
  };
  const { values, field } = pick();
  expectCount(values.length, field);
  return { dims, dataType, data: Float64Array.from(values) };
}

/** A float32 `TensorProto` with raw little-endian data (values rounded to float32). */
export function floatTensorProto(
  name: string,
  dims: number[],
  values: ArrayLike<number>,
): TensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(k * 4, values[k], true);
  return { name, dims, data_type: DataType.FLOAT, raw_data: bytes };
}

/** An int64 `TensorProto` (values stored in int64_data). */
export function int64TensorProto(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dims, data_type: DataType.INT64, int64_data: values };
}

/** A float32 tensor `ValueInfoProto` (graph input or output); string dims are symbolic. */
export function floatValueInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: {
          dim: dims.map((dim) => typeof dim === "number" ? { dim_value: dim } : { dim_param: dim }),
        },
      },
    },
  };
}
