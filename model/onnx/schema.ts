/**
 * The part of the official ONNX protobuf schema (`onnx/onnx.in.proto`, IR version 10, MIT
 * license, (c) ONNX Project Contributors) that rnnfab reads and writes, loaded with protobufjs from
 * its JSON form (onnx_schema.json: protobufjs's `Root.toJSON` of the trimmed proto2 text).
 * Messages, field names and field numbers are copied exactly from the official schema; fields
 * rnnfab never touches (training info, functions, type protos, metadata) are left out, and
 * protobufjs skips them when it decodes a file that has them.
 *
 * @module
 */

import protobuf from "protobufjs";
import ONNX_SCHEMA from "./onnx_schema.json" with { type: "json" };

/** An int64 as protobufjs decodes it: a number, a Long object (when `long` is loaded) or a string. */
export type Int64 = number | string | { toString(): string };

/** `onnx.TensorProto` as decoded (field names as in the schema). */
export interface TensorProto {
  dims?: Int64[];
  data_type?: number;
  segment?: { begin?: Int64; end?: Int64 } | null;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  double_data?: number[];
  uint64_data?: Int64[];
  name?: string;
  raw_data?: Uint8Array;
  external_data?: StringStringEntryProto[];
  data_location?: number;
}

/** `onnx.StringStringEntryProto`. */
export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

/** `onnx.AttributeProto` as decoded. */
export interface AttributeProto {
  name?: string;
  ref_attr_name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto | null;
  g?: GraphProto | null;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
}

/** `onnx.NodeProto` as decoded. */
export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeProto[];
}

/** `onnx.TensorShapeProto.Dimension`. */
export interface DimensionProto {
  dim_value?: Int64;
  dim_param?: string;
}

/** `onnx.ValueInfoProto` as decoded (tensor types only). */
export interface ValueInfoProto {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimensionProto[] } | null } | null };
}

/** `onnx.GraphProto` as decoded. */
export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  sparse_initializer?: unknown[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
}

/** `onnx.OperatorSetIdProto`. */
export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

/** `onnx.ModelProto` as decoded. */
export interface ModelProto {
  ir_version?: Int64;
  opset_import?: OperatorSetIdProto[];
  producer_name?: string;
  producer_version?: string;
  graph?: GraphProto | null;
}

/** ONNX tensor element types that rnnfab reads or writes (`TensorProto.DataType`). */
export const DataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

/** ONNX attribute types that rnnfab writes (`AttributeProto.AttributeType`). */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

let cachedModelType: protobuf.Type | undefined;

/** The protobufjs type of `onnx.ModelProto` (schema parsed once, field names kept as written). */
export function modelProtoType(): protobuf.Type {
  if (!cachedModelType) {
    const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
    cachedModelType = root.lookupType("onnx.ModelProto");
  }
  return cachedModelType;
}

/** Convert a decoded int64 (number or Long) to a JavaScript number. */
export function int64ToNumber(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === "number" ? value : Number(value.toString());
}
