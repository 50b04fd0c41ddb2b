/**
 * Reading an ONNX graph for the importer: which node produces each value, the initializers and
 * graph inputs, node attributes, constant tensors (initializers, Constant nodes), and tracing a
 * value back through shape-only nodes (to join stacked layers and to prove initial states zero).
 *
 * @module
 */

import { UserError } from "../../util/errors.ts";
import {
  type AttributeProto,
  type GraphProto,
  int64ToNumber,
  type NodeProto,
  type TensorProto,
} from "./schema.ts";
import { decodeTensor, type OnnxTensor, type TensorReadOptions } from "./tensor.ts";

/** Ops that only reshape their first input (allowed between stacked layers). */
export const RESHAPE_OPS = new Set([
  "Squeeze",
  "Unsqueeze",
  "Reshape",
  "Identity",
  "Dropout",
  "Flatten",
]);
/** Ops allowed between stacked layers: reshapes, and transposes that keep time as axis 0. */
export const BETWEEN_LAYER_OPS = new Set([...RESHAPE_OPS, "Transpose"]);
/** Ops allowed between the graph input and layer 0 (batch-first inputs are transposed). */
export const INPUT_PATH_OPS = new Set([...RESHAPE_OPS, "Transpose", "Cast"]);
/** Ops whose output is all zeros when their first input is (used for zero initial states). */
export const ZERO_PRESERVING_OPS = new Set([
  ...INPUT_PATH_OPS,
  "Expand",
  "Slice",
  "Gather",
  "Tile",
]);

/** What the conversion needs to know about the graph. */
export interface GraphIndex {
  /** The file, for messages. */
  source: string;
  /** The graph. */
  graph: GraphProto;
  /** Value name -> the node that produces it. */
  producers: Map<string, NodeProto>;
  /** Initializers by name. */
  initializers: Map<string, TensorProto>;
  /** Graph inputs that are not initializers. */
  graphInputs: Set<string>;
  /** Where external tensor data may be read from. */
  readOptions: TensorReadOptions;
}

/** Index a graph: producers of every value, initializers, inputs that are not initializers. */
export function indexGraph(
  graph: GraphProto,
  source: string,
  readOptions: TensorReadOptions,
): GraphIndex {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) {
    for (const output of node.output ?? []) if (output !== "") producers.set(output, node);
  }
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer ?? []) initializers.set(tensor.name ?? "", tensor);
  const graphInputs = new Set(
    (graph.input ?? []).map((input) => input.name ?? "").filter((name) => !initializers.has(name)),
  );
  return { source, graph, producers, initializers, graphInputs, readOptions };
}

/** "LSTM node 'name'", for messages. */
export function nodeLabel(node: NodeProto): string {
  return node.name ? `${node.op_type} node '${node.name}'` : `${node.op_type} node`;
}

/** A node's attribute by name. */
export function findAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((attribute) => attribute.name === name);
}

/** An integer attribute, or a UserError naming it. */
export function attributeInt(attribute: AttributeProto, context: string): number {
  if (!Object.hasOwn(attribute, "i")) {
    throw new UserError(`${context}: attribute '${attribute.name}' must be an integer`);
  }
  return int64ToNumber(attribute.i);
}

/** A string attribute, or a UserError naming it. */
export function attributeString(attribute: AttributeProto, context: string): string {
  if (!Object.hasOwn(attribute, "s")) {
    throw new UserError(`${context}: attribute '${attribute.name}' must be a string`);
  }
  return new TextDecoder().decode(attribute.s as Uint8Array);
}

/** A list-of-strings attribute. */
export function attributeStrings(attribute: AttributeProto): string[] {
  return (attribute.strings ?? []).map((bytes) => new TextDecoder().decode(bytes));
}

/** The value of a constant tensor (initializer, Constant node, or Identity of one), if it is one. */
export function constantTensor(
  index: GraphIndex,
  name: string,
  context: string,
): OnnxTensor | undefined {
  const initializer = index.initializers.get(name);
  if (initializer) {
    return decodeTensor(initializer, `${context}: initializer '${name}'`, index.readOptions);
  }
  const producer = index.producers.get(name);
  if (!producer) return undefined;
  if (producer.op_type === "Identity") {
    return constantTensor(index, producer.input?.[0] ?? "", context);
  }
  if (producer.op_type !== "Constant") return undefined;
  const label = `${context}: Constant '${name}'`;
  const value = findAttribute(producer, "value");
  if (value?.t) return decodeTensor(value.t, label, index.readOptions);
  const floatValue = findAttribute(producer, "value_float");
  if (floatValue) return { dims: [], dataType: 1, data: Float64Array.of(floatValue.f ?? 0) };
  const floatsValue = findAttribute(producer, "value_floats");
  if (floatsValue) {
    const data = Float64Array.from(floatsValue.floats ?? []);
    return { dims: [data.length], dataType: 1, data };
  }
  const intValue = findAttribute(producer, "value_int");
  if (intValue) return { dims: [], dataType: 7, data: Float64Array.of(int64ToNumber(intValue.i)) };
  const intsValue = findAttribute(producer, "value_ints");
  if (intsValue) {
    const data = Float64Array.from((intsValue.ints ?? []).map(int64ToNumber));
    return { dims: [data.length], dataType: 7, data };
  }
  throw new UserError(`${label} has no tensor value rnnfab can read`);
}

/** Whether a Transpose keeps axis 0 (time) in place. */
export function keepsTimeAxis(node: NodeProto): boolean {
  const perm = findAttribute(node, "perm");
  return perm !== undefined && (perm.ints ?? []).length > 0 && int64ToNumber(perm.ints?.[0]) === 0;
}

/**
 * Where a value comes from, following ops in `through` back along their first input (only
 * through a node's first output; between layers only through transposes keeping axis 0).
 */
export function traceBack(index: GraphIndex, name: string, through: Set<string>): string {
  let current = name;
  for (let hops = 0; hops < 1000; hops++) {
    const producer = index.producers.get(current);
    if (!producer || !through.has(producer.op_type ?? "")) return current;
    if (producer.output?.[0] !== current) return current;
    if (
      producer.op_type === "Transpose" && through === BETWEEN_LAYER_OPS && !keepsTimeAxis(producer)
    ) {
      return current;
    }
    current = producer.input?.[0] ?? "";
  }
  return current;
}

/** "" when `name` is a constant all-zero tensor, else why it is not (for error messages). */
export function whyNotZero(index: GraphIndex, name: string, context: string, depth = 0): string {
  if (depth > 100) return "it is computed by a deep chain of nodes";
  if (index.graphInputs.has(name)) return `it is the graph input '${name}'`;
  const constant = constantTensor(index, name, context);
  if (constant) {
    return constant.data.every((value) => value === 0) ? "" : "it has non-zero values";
  }
  const producer = index.producers.get(name);
  if (!producer) return `no initializer, Constant or node produces '${name}'`;
  const op = producer.op_type ?? "";
  if (ZERO_PRESERVING_OPS.has(op)) {
    return whyNotZero(index, producer.input?.[0] ?? "", context, depth + 1);
  }
  if (op === "ConstantOfShape") {
    const value = findAttribute(producer, "value")?.t;
    if (!value) return "";
    const decoded = decodeTensor(value, `${context}: ConstantOfShape value`, index.readOptions);
    return decoded.data.every((v) => v === 0) ? "" : "it is filled with a non-zero value";
  }
  if (op === "Concat") {
    for (const input of producer.input ?? []) {
      const reason = whyNotZero(index, input, context, depth + 1);
      if (reason) return reason;
    }
    return "";
  }
  return `it is computed by a ${op} node rnnfab cannot evaluate`;
}
