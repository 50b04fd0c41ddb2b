/**
 * Import LSTM / GRU stacks from ONNX files into rnnfab's model (PyTorch conventions).
 *
 * The file is decoded with protobufjs against the official ONNX schema (`schema.ts`). rnnfab then
 * looks for the ONNX `LSTM` or `GRU` operators, checks that they form one stack (layer 0 reads the
 * graph input; each further layer reads the previous layer's `Y` through shape-only nodes such as
 * `Squeeze`, as `torch.onnx.export` writes them), and converts each layer:
 *
 * - gate order: ONNX LSTM i,o,f,c -> PyTorch i,f,g,o; ONNX GRU z,r,h -> PyTorch r,z,n;
 * - biases: ONNX `B` = [Wb ; Rb] -> `bias_ih`, `bias_hh` (same gate reordering);
 * - peepholes: ONNX `P` = [Pi, Po, Pf] -> rnnfab's i,f,o order;
 * - `initial_h` / `initial_c` must be absent or constant zeros (rnnfab starts from zero state).
 *
 * Everything rnnfab cannot represent exactly is refused with one line naming the file, the node
 * and the feature: reverse or bidirectional direction, `linear_before_reset=0`, non-default
 * activations, `clip`, `input_forget`, `layout=1`, `sequence_lens`, non-zero initial states.
 *
 * @module
 */

import { UserError } from "../../util/errors.ts";
import { gateCount, type LayerWeights, type RnnKind, type RnnModel } from "../model.ts";
import { type GraphProto, type ModelProto, modelProtoType, type NodeProto } from "./schema.ts";
import type { OnnxTensor, TensorReadOptions } from "./tensor.ts";
import {
  attributeInt,
  attributeString,
  attributeStrings,
  BETWEEN_LAYER_OPS,
  constantTensor,
  findAttribute,
  type GraphIndex,
  indexGraph,
  INPUT_PATH_OPS,
  nodeLabel,
  traceBack,
  whyNotZero,
} from "./graph.ts";

/** Options of `importOnnx`. */
export interface OnnxImportOptions {
  /**
   * Folder that external data locations are relative to (normally the model file's folder).
   * Without it, a model that keeps its weights in external data files is refused.
   */
  baseDir?: string;
}

/** The imported model with remarks about parts of the graph that were left out. */
export interface OnnxImportResult {
  /** The recurrent stack as an rnnfab model. */
  model: RnnModel;
  /** Remarks (e.g. a classifier head after the last layer that rnnfab does not import). */
  notes: string[];
}

/**
 * ONNX gate block feeding each PyTorch gate: LSTM (i,f,g,o) <- ONNX (i,o,f,c) blocks 0,2,3,1;
 * GRU (r,z,n) <- ONNX (z,r,h) blocks 1,0,2.
 */
export const ONNX_GATE_FOR_PYTORCH_GATE: Record<RnnKind, readonly number[]> = {
  lstm: [0, 2, 3, 1],
  gru: [1, 0, 2],
};

/** ONNX peephole block feeding rnnfab's peephole order i,f,o (ONNX P = [Pi, Po, Pf]). */
export const ONNX_PEEPHOLE_FOR_RNNFAB_PEEPHOLE: readonly number[] = [0, 2, 1];

const DEFAULT_ACTIVATIONS: Record<RnnKind, string[]> = {
  lstm: ["sigmoid", "tanh", "tanh"],
  gru: ["sigmoid", "tanh"],
};

/** Attributes of both ONNX recurrent operators. */
const COMMON_ATTRIBUTES = [
  "activation_alpha",
  "activation_beta",
  "activations",
  "clip",
  "direction",
  "hidden_size",
  "layout",
];

const KNOWN_ATTRIBUTES: Record<RnnKind, string[]> = {
  lstm: [...COMMON_ATTRIBUTES, "input_forget"],
  gru: [...COMMON_ATTRIBUTES, "linear_before_reset"],
};

/** Decode ONNX protobuf bytes into a `ModelProto`, or throw a UserError naming `source`. */
export function decodeOnnxModel(bytes: Uint8Array, source: string): ModelProto {
  if (bytes.length === 0) throw new UserError(`${source}: empty file, not an ONNX model`);
  let model: ModelProto;
  try {
    model = modelProtoType().decode(bytes) as unknown as ModelProto;
  } catch (error) {
    throw new UserError(
      `${source}: not a valid ONNX file (protobuf decoding failed: ${
        (error as Error).message
      }; truncated or not ONNX?)`,
    );
  }
  const has = (key: string) => Object.hasOwn(model, key);
  const defaultOpset = (model.opset_import ?? []).find((entry) =>
    (entry.domain ?? "") === "" || entry.domain === "ai.onnx"
  );
  const missing = !has("graph") || !model.graph
    ? "graph"
    : !has("ir_version")
    ? "ir_version"
    : !defaultOpset
    ? "opset_import for the default ONNX domain"
    : undefined;
  if (missing) {
    throw new UserError(
      `${source}: not an ONNX model (no ${missing} field; truncated or another file type?)`,
    );
  }
  return model;
}

/** Import the LSTM/GRU stack of an ONNX model file's bytes; `source` names the file in errors. */
export function importOnnx(
  bytes: Uint8Array,
  source: string,
  options: OnnxImportOptions = {},
): RnnModel {
  return importOnnxDetailed(bytes, source, options).model;
}

/** Like `importOnnx`, and also returns notes about graph parts that were not imported. */
export function importOnnxDetailed(
  bytes: Uint8Array,
  source: string,
  options: OnnxImportOptions = {},
): OnnxImportResult {
  const proto = decodeOnnxModel(bytes, source);
  return importGraph(proto.graph as GraphProto, source, { baseDir: options.baseDir });
}

/** A recurrent node with its validated attributes. */
interface RecurrentNode {
  node: NodeProto;
  kind: RnnKind;
  label: string;
}

function checkAttributes(recurrent: RecurrentNode, source: string): number | undefined {
  const { node, kind, label } = recurrent;
  const context = `${source}: ${label}`;
  for (const attribute of node.attribute ?? []) {
    if (!KNOWN_ATTRIBUTES[kind].includes(attribute.name ?? "")) {
      throw new UserError(`${context}: unknown attribute '${attribute.name}'`);
    }
  }
  const direction = findAttribute(node, "direction");
  if (direction) {
    const value = attributeString(direction, context);
    if (value !== "forward") {
      throw new UserError(
        `${context}: direction "${value}" is not supported; rnnfab runs forward layers only`,
      );
    }
  }
  const layout = findAttribute(node, "layout");
  if (layout && attributeInt(layout, context) !== 0) {
    throw new UserError(
      `${context}: layout=${
        attributeInt(layout, context)
      } (batch-first) is not supported; export with layout=0`,
    );
  }
  const activations = findAttribute(node, "activations");
  if (activations) {
    const names = attributeStrings(activations);
    const lowered = names.map((name) => name.toLowerCase());
    if (lowered.join(",") !== DEFAULT_ACTIVATIONS[kind].join(",")) {
      throw new UserError(
        `${context}: activations [${
          names.join(", ")
        }] are not supported; rnnfab supports only the defaults [${
          DEFAULT_ACTIVATIONS[kind].join(", ")
        }]`,
      );
    }
  }
  if (findAttribute(node, "clip")) {
    throw new UserError(`${context}: attribute 'clip' (cell clipping) is not supported`);
  }
  const inputForget = findAttribute(node, "input_forget");
  if (inputForget && attributeInt(inputForget, context) !== 0) {
    throw new UserError(`${context}: input_forget=1 (coupled input/forget gates) is not supported`);
  }
  if (kind === "gru") {
    const linear = findAttribute(node, "linear_before_reset");
    const value = linear ? attributeInt(linear, context) : 0;
    if (value !== 1) {
      throw new UserError(
        `${context}: linear_before_reset=${value} is not supported; rnnfab's GRU is PyTorch's, which is ONNX's linear_before_reset=1`,
      );
    }
  }
  const hidden = findAttribute(node, "hidden_size");
  if (!hidden) return undefined;
  const hiddenSize = attributeInt(hidden, context);
  if (!Number.isInteger(hiddenSize) || hiddenSize < 1) {
    throw new UserError(`${context}: hidden_size=${hiddenSize} must be a positive integer`);
  }
  return hiddenSize;
}

function requireConstant(
  index: GraphIndex,
  recurrent: RecurrentNode,
  position: number,
  inputName: string,
): OnnxTensor {
  const context = `${index.source}: ${recurrent.label}`;
  const name = recurrent.node.input?.[position] ?? "";
  if (name === "") throw new UserError(`${context}: input ${inputName} is missing`);
  const tensor = constantTensor(index, name, context);
  if (tensor) return tensor;
  if (index.graphInputs.has(name)) {
    throw new UserError(
      `${context}: input ${inputName} '${name}' is a graph input without an initializer; rnnfab needs the weights stored in the file`,
    );
  }
  const producer = index.producers.get(name);
  if (!producer) {
    throw new UserError(
      `${context}: input ${inputName} '${name}' is missing (no initializer, Constant or node produces it)`,
    );
  }
  throw new UserError(
    `${context}: input ${inputName} '${name}' is computed by a ${producer.op_type} node; rnnfab needs it as an initializer or Constant`,
  );
}

function expectDims(
  tensor: OnnxTensor,
  expected: number[],
  what: string,
  context: string,
): void {
  if (tensor.dims.join(",") !== expected.join(",")) {
    throw new UserError(
      `${context}: ${what} has shape [${tensor.dims.join(", ")}], expected [${
        expected.join(", ")
      }]`,
    );
  }
}

function convertLayer(
  index: GraphIndex,
  recurrent: RecurrentNode,
  declaredHidden: number | undefined,
): { weights: LayerWeights; inputSize: number; hiddenSize: number } {
  const { node, kind } = recurrent;
  const context = `${index.source}: ${recurrent.label}`;
  const gates = gateCount(kind);
  const inputs = node.input ?? [];
  const w = requireConstant(index, recurrent, 1, "W");
  const r = requireConstant(index, recurrent, 2, "R");
  if (w.dims.length !== 3 || w.dims[0] !== 1) {
    throw new UserError(
      `${context}: W has shape [${
        w.dims.join(", ")
      }], expected [1, ${gates}*hidden_size, input_size]`,
    );
  }
  const hiddenSize = declaredHidden ?? w.dims[1] / gates;
  if (!Number.isInteger(hiddenSize) || hiddenSize < 1) {
    throw new UserError(`${context}: W has ${w.dims[1]} rows, not a multiple of ${gates}`);
  }
  const rows = gates * hiddenSize;
  const inputSize = w.dims[2];
  expectDims(w, [1, rows, inputSize], "W", context);
  expectDims(r, [1, rows, hiddenSize], "R", context);
  const b = inputs[3] ? requireConstant(index, recurrent, 3, "B") : undefined;
  if (b) expectDims(b, [1, 2 * rows], "B", context);
  if ((inputs[4] ?? "") !== "") {
    throw new UserError(
      `${context}: input sequence_lens is not supported; rnnfab runs every sequence to its full length`,
    );
  }
  const stateNames = kind === "lstm" ? ["initial_h", "initial_c"] : ["initial_h"];
  stateNames.forEach((stateName, offset) => {
    const name = inputs[5 + offset] ?? "";
    if (name === "") return;
    const reason = whyNotZero(index, name, context);
    if (reason) {
      throw new UserError(
        `${context}: ${stateName} '${name}' is not a constant zero (${reason}); rnnfab starts from zero state`,
      );
    }
  });
  const p = kind === "lstm" && inputs[7] ? requireConstant(index, recurrent, 7, "P") : undefined;
  if (p) expectDims(p, [1, 3 * hiddenSize], "P", context);

  const order = ONNX_GATE_FOR_PYTORCH_GATE[kind];
  const reorderRows = (source: Float64Array, cols: number, sourceOffset: number) => {
    const out = new Float64Array(rows * cols);
    for (let gate = 0; gate < gates; gate++) {
      const from = sourceOffset + order[gate] * hiddenSize * cols;
      out.set(source.subarray(from, from + hiddenSize * cols), gate * hiddenSize * cols);
    }
    return out;
  };
  const weights: LayerWeights = {
    weightIh: { rows, cols: inputSize, data: reorderRows(w.data, inputSize, 0) },
    weightHh: { rows, cols: hiddenSize, data: reorderRows(r.data, hiddenSize, 0) },
    biasIh: b ? reorderRows(b.data, 1, 0) : new Float64Array(rows),
    biasHh: b ? reorderRows(b.data, 1, rows) : new Float64Array(rows),
  };
  if (p) {
    const peephole = new Float64Array(3 * hiddenSize);
    ONNX_PEEPHOLE_FOR_RNNFAB_PEEPHOLE.forEach((block, position) => {
      peephole.set(
        p.data.subarray(block * hiddenSize, (block + 1) * hiddenSize),
        position * hiddenSize,
      );
    });
    weights.peephole = peephole;
  }
  return { weights, inputSize, hiddenSize };
}

function noRecurrentNodeMessage(graph: GraphProto, source: string): string {
  const ops = new Set((graph.node ?? []).map((node) => node.op_type ?? ""));
  if (ops.has("RNN")) {
    return `${source}: has an ONNX RNN (simple recurrent) node; rnnfab imports LSTM and GRU only`;
  }
  if (ops.has("Scan") || ops.has("Loop")) {
    return `${source}: no LSTM or GRU node (found a ${
      ops.has("Scan") ? "Scan" : "Loop"
    } graph); rnnfab imports ONNX LSTM/GRU operators only, so its own LSTM-with-projection export (a Scan graph) cannot be imported back: use the model JSON file`;
  }
  const listed = [...ops].filter((op) => op !== "").slice(0, 8).join(", ");
  return `${source}: no LSTM or GRU node in the graph (ops: ${listed || "none"})`;
}

/** Order recurrent nodes into one stack, checking how each layer is fed. */
function orderStack(index: GraphIndex, recurrent: RecurrentNode[]): RecurrentNode[] {
  const { source } = index;
  const byFirstOutput = new Map<string, RecurrentNode>();
  for (const entry of recurrent) {
    const y = entry.node.output?.[0] ?? "";
    if (y !== "") byFirstOutput.set(y, entry);
  }
  const stack: RecurrentNode[] = [];
  const firsts = recurrent.filter((entry) =>
    index.graphInputs.has(traceBack(index, entry.node.input?.[0] ?? "", INPUT_PATH_OPS))
  );
  if (firsts.length !== 1) {
    const entry = recurrent[0];
    const x = entry.node.input?.[0] ?? "";
    const origin = traceBack(index, x, INPUT_PATH_OPS);
    const producer = index.producers.get(origin);
    throw new UserError(
      firsts.length === 0
        ? `${source}: ${entry.label}: input X '${x}' is ${
          producer ? `computed by a ${producer.op_type} node` : "not a graph input"
        }; rnnfab needs the first layer to read the graph input directly (no pre-processing nodes)`
        : `${source}: ${firsts.length} recurrent nodes read the graph input; rnnfab imports one stack of layers`,
    );
  }
  stack.push(firsts[0]);
  const remaining = new Set(recurrent.filter((entry) => entry !== firsts[0]));
  while (remaining.size > 0) {
    const previousY = stack[stack.length - 1].node.output?.[0] ?? "";
    const next = [...remaining].find((entry) =>
      previousY !== "" &&
      traceBack(index, entry.node.input?.[0] ?? "", BETWEEN_LAYER_OPS) === previousY
    );
    if (!next) {
      const stray = [...remaining][0];
      const x = stray.node.input?.[0] ?? "";
      const producer = index.producers.get(traceBack(index, x, BETWEEN_LAYER_OPS));
      throw new UserError(
        `${source}: ${stray.label}: input X '${x}' is not the previous layer's output Y${
          producer ? ` (it is computed by a ${producer.op_type} node)` : ""
        }; rnnfab imports one stack of layers joined only by Squeeze/Reshape nodes`,
      );
    }
    stack.push(next);
    remaining.delete(next);
  }
  return stack;
}

function outputNotes(index: GraphIndex, last: RecurrentNode): string[] {
  const notes: string[] = [];
  const y = last.node.output?.[0] ?? "";
  const stateOutputs = new Set<string>();
  for (const node of index.graph.node ?? []) {
    if (node.op_type === "LSTM" || node.op_type === "GRU") {
      (node.output ?? []).slice(1).forEach((name) => stateOutputs.add(name));
    }
  }
  let hasSequenceOutput = false;
  for (const output of index.graph.output ?? []) {
    const name = output.name ?? "";
    const origin = traceBack(index, name, INPUT_PATH_OPS);
    if (origin === y) {
      hasSequenceOutput = true;
      continue;
    }
    if (stateOutputs.has(origin)) continue;
    const producer = index.producers.get(origin);
    if (
      producer?.op_type === "Concat" && (producer.input ?? []).every((i) => stateOutputs.has(i))
    ) {
      continue;
    }
    notes.push(
      `graph output '${name}' is computed by ${
        producer ? `a ${producer.op_type} node` : "no node"
      } after the recurrent layers; rnnfab imports only the LSTM/GRU stack`,
    );
  }
  if (!hasSequenceOutput) {
    notes.push(
      "no graph output is the last layer's Y directly; rnnfab's model outputs the last layer's h(t) at every step",
    );
  }
  return notes;
}

function importGraph(
  graph: GraphProto,
  source: string,
  readOptions: TensorReadOptions,
): OnnxImportResult {
  const index = indexGraph(graph, source, readOptions);
  if ((graph.sparse_initializer ?? []).length > 0) {
    throw new UserError(`${source}: sparse initializers are not supported`);
  }
  const recurrent: RecurrentNode[] = [];
  for (const node of graph.node ?? []) {
    const op = node.op_type ?? "";
    if (op !== "LSTM" && op !== "GRU") continue;
    if (node.domain && node.domain !== "ai.onnx") continue;
    recurrent.push({ node, kind: op === "LSTM" ? "lstm" : "gru", label: "" });
  }
  if (recurrent.length === 0) throw new UserError(noRecurrentNodeMessage(graph, source));
  const kind = recurrent[0].kind;
  const mixed = recurrent.find((entry) => entry.kind !== kind);
  if (mixed) {
    throw new UserError(`${source}: the graph mixes LSTM and GRU nodes; rnnfab imports one kind`);
  }
  recurrent.forEach((entry, position) => {
    entry.label = `${nodeLabel(entry.node)} (#${position + 1} of ${recurrent.length})`;
  });
  const declared = recurrent.map((entry) => checkAttributes(entry, source));
  const stack = orderStack(index, recurrent);
  const converted = stack.map((entry) =>
    convertLayer(index, entry, declared[recurrent.indexOf(entry)])
  );
  const hiddenSize = converted[0].hiddenSize;
  converted.forEach((layer, position) => {
    const context = `${source}: ${stack[position].label}`;
    if (layer.hiddenSize !== hiddenSize) {
      throw new UserError(
        `${context}: hidden_size ${layer.hiddenSize} differs from layer 0's ${hiddenSize}; rnnfab needs one hidden size for all layers`,
      );
    }
    if (position > 0 && layer.inputSize !== hiddenSize) {
      throw new UserError(
        `${context}: input size ${layer.inputSize} is not the previous layer's hidden size ${hiddenSize}`,
      );
    }
  });
  const hasPeepholes = converted.map((layer) => layer.weights.peephole !== undefined);
  if (hasPeepholes.some((value) => value !== hasPeepholes[0])) {
    throw new UserError(
      `${source}: some LSTM layers have peepholes (input P) and some do not; rnnfab needs all or none`,
    );
  }
  const model: RnnModel = {
    kind,
    inputSize: converted[0].inputSize,
    hiddenSize,
    numLayers: converted.length,
    projSize: 0,
    layers: converted.map((layer) => layer.weights),
  };
  return { model, notes: outputNotes(index, stack[stack.length - 1]) };
}
