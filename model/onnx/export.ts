/**
 * Export rnnfab models to ONNX (opset 17), for ONNX Runtime comparisons and for users' tools.
 *
 * Graph interface: input `x` float32 [T, 1, inputSize] (T symbolic), output `y` float32
 * [T, 1, outputSize]: the last layer's h(t) at every step, zero initial state, like `runFloat`.
 *
 * - LSTM without projection and GRU: one ONNX `LSTM` / `GRU` node per layer (forward, default
 *   activations, GRU with `linear_before_reset=1`, LSTM peepholes as input `P`), each followed by
 *   `Squeeze(axes=[1])` that drops the num_directions axis. `importOnnx` gives the model back
 *   exactly (weights are stored as float32).
 * - LSTM with projection (ONNX's LSTM has none): one `Scan` node per layer whose body computes one
 *   step with MatMul/Add/Split/Sigmoid/Tanh/Mul in PyTorch's gate order (i,f,g,o), peepholes and
 *   the projection h = W_hr (o * tanh(c)). Works for any T. `importOnnx` refuses this graph.
 *
 * @module
 */

import { gateCount, layerInputSize, outputSize } from "../model.ts";
import type { LayerWeights, Matrix, RnnModel } from "../model.ts";
import { ONNX_GATE_FOR_PYTORCH_GATE, ONNX_PEEPHOLE_FOR_RNNFAB_PEEPHOLE } from "./import.ts";
import {
  type AttributeProto,
  AttributeType,
  type GraphProto,
  modelProtoType,
  type NodeProto,
  type TensorProto,
} from "./schema.ts";
import { floatTensorProto, floatValueInfo, int64TensorProto } from "./tensor.ts";

/** The ONNX opset the export targets. */
export const EXPORT_OPSET = 17;
/** The ONNX IR version written (IR 8 goes with opset 17). */
export const EXPORT_IR_VERSION = 8;
/** Name of the exported graph's input. */
export const EXPORT_INPUT_NAME = "x";
/** Name of the exported graph's output. */
export const EXPORT_OUTPUT_NAME = "y";

/** How an exported model's layers are expressed. */
export type ExportGraphKind = "operators" | "scan";

/** Which graph `exportOnnx` writes for a model: ONNX LSTM/GRU operators, or Scan (LSTMP). */
export function exportGraphKind(model: RnnModel): ExportGraphKind {
  return model.kind === "lstm" && model.projSize > 0 ? "scan" : "operators";
}

function intAttribute(name: string, value: number): AttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

function graphAttribute(name: string, graph: GraphProto): AttributeProto {
  return { name, type: AttributeType.GRAPH, g: graph };
}

function node(
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attribute: AttributeProto[] = [],
): NodeProto {
  return { op_type: op, input: inputs, output: outputs, name, attribute };
}

/** Rows of `data` (gate blocks of `hidden` rows, `cols` wide) put in ONNX gate order. */
function toOnnxGateOrder(
  data: Float64Array,
  kind: RnnModel["kind"],
  hidden: number,
  cols: number,
): Float64Array {
  const order = ONNX_GATE_FOR_PYTORCH_GATE[kind];
  const out = new Float64Array(data.length);
  order.forEach((onnxBlock, pytorchGate) => {
    const block = hidden * cols;
    out.set(data.subarray(pytorchGate * block, (pytorchGate + 1) * block), onnxBlock * block);
  });
  return out;
}

function transposed(matrix: Matrix): Float64Array {
  const out = new Float64Array(matrix.rows * matrix.cols);
  for (let r = 0; r < matrix.rows; r++) {
    for (let c = 0; c < matrix.cols; c++) {
      out[c * matrix.rows + r] = matrix.data[r * matrix.cols + c];
    }
  }
  return out;
}

/** The graph of one layer: its initializers and nodes, reading `input`, writing `output`. */
interface LayerGraph {
  initializers: TensorProto[];
  nodes: NodeProto[];
  output: string;
}

/** Export one layer of a model, reading the value `input`. */
type LayerExport = (
  model: RnnModel,
  weights: LayerWeights,
  layer: number,
  input: string,
) => LayerGraph;

/** Initializers and node of one layer as an ONNX LSTM/GRU operator. */
const operatorLayer: LayerExport = (model, weights, layer, input) => {
  const hidden = model.hiddenSize;
  const rows = gateCount(model.kind) * hidden;
  const inputSize = layerInputSize(model, layer);
  const prefix = `${model.kind}_l${layer}`;
  const bias = new Float64Array(2 * rows);
  bias.set(toOnnxGateOrder(weights.biasIh, model.kind, hidden, 1), 0);
  bias.set(toOnnxGateOrder(weights.biasHh, model.kind, hidden, 1), rows);
  const initializers = [
    floatTensorProto(
      `${prefix}_W`,
      [1, rows, inputSize],
      toOnnxGateOrder(weights.weightIh.data, model.kind, hidden, inputSize),
    ),
    floatTensorProto(
      `${prefix}_R`,
      [1, rows, hidden],
      toOnnxGateOrder(weights.weightHh.data, model.kind, hidden, hidden),
    ),
    floatTensorProto(`${prefix}_B`, [1, 2 * rows], bias),
  ];
  const inputs = [input, `${prefix}_W`, `${prefix}_R`, `${prefix}_B`];
  if (weights.peephole) {
    const peephole = new Float64Array(3 * hidden);
    ONNX_PEEPHOLE_FOR_RNNFAB_PEEPHOLE.forEach((onnxBlock, position) => {
      peephole.set(
        weights.peephole!.subarray(position * hidden, (position + 1) * hidden),
        onnxBlock * hidden,
      );
    });
    initializers.push(floatTensorProto(`${prefix}_P`, [1, 3 * hidden], peephole));
    inputs.push("", "", "", `${prefix}_P`);
  }
  const attributes = [intAttribute("hidden_size", hidden)];
  if (model.kind === "gru") attributes.push(intAttribute("linear_before_reset", 1));
  const op = model.kind === "lstm" ? "LSTM" : "GRU";
  const last = layer === model.numLayers - 1;
  const output = last ? EXPORT_OUTPUT_NAME : `${prefix}_out`;
  const nodes = [
    node(op, inputs, [`${prefix}_Y`], `${prefix}`, attributes),
    node("Squeeze", [`${prefix}_Y`, "squeeze_axes"], [output], `${prefix}_squeeze`),
  ];
  return { initializers, nodes, output };
};

/** Initializers and Scan node of one LSTM-with-projection layer (PyTorch gate order i,f,g,o). */
const scanLayer: LayerExport = (model, weights, layer, input) => {
  const hidden = model.hiddenSize;
  const proj = outputSize(model);
  const inputSize = layerInputSize(model, layer);
  const p = `lstmp_l${layer}`;
  const initializers: TensorProto[] = [
    floatTensorProto(`${p}_Wih_T`, [inputSize, 4 * hidden], transposed(weights.weightIh)),
    floatTensorProto(`${p}_Whh_T`, [proj, 4 * hidden], transposed(weights.weightHh)),
    floatTensorProto(`${p}_b_ih`, [4 * hidden], weights.biasIh),
    floatTensorProto(`${p}_b_hh`, [4 * hidden], weights.biasHh),
    floatTensorProto(`${p}_h0`, [1, proj], new Float64Array(proj)),
    floatTensorProto(`${p}_c0`, [1, hidden], new Float64Array(hidden)),
    int64TensorProto(`${p}_split`, [4], [hidden, hidden, hidden, hidden]),
  ];
  if (weights.weightHr) {
    initializers.push(floatTensorProto(`${p}_Whr_T`, [hidden, proj], transposed(weights.weightHr)));
  }
  const bodyNodes: NodeProto[] = [
    node("MatMul", ["x_t", `${p}_Wih_T`], ["xw"], "input_matmul"),
    node("MatMul", ["h_prev", `${p}_Whh_T`], ["hw"], "recurrent_matmul"),
    node("Add", ["xw", `${p}_b_ih`], ["xwb"], "add_bias_ih"),
    node("Add", ["hw", `${p}_b_hh`], ["hwb"], "add_bias_hh"),
    node("Add", ["xwb", "hwb"], ["gates"], "add_gates"),
    node("Split", ["gates", `${p}_split`], ["gi", "gf", "gg", "go"], "split_gates", [
      intAttribute("axis", 1),
    ]),
  ];
  let inputGate = "gi";
  let forgetGate = "gf";
  if (weights.peephole) {
    const peephole = weights.peephole;
    initializers.push(
      floatTensorProto(`${p}_p_i`, [hidden], peephole.subarray(0, hidden)),
      floatTensorProto(`${p}_p_f`, [hidden], peephole.subarray(hidden, 2 * hidden)),
      floatTensorProto(`${p}_p_o`, [hidden], peephole.subarray(2 * hidden, 3 * hidden)),
    );
    bodyNodes.push(
      node("Mul", ["c_prev", `${p}_p_i`], ["peep_i"], "peephole_i"),
      node("Add", ["gi", "peep_i"], ["gi_peep"], "add_peephole_i"),
      node("Mul", ["c_prev", `${p}_p_f`], ["peep_f"], "peephole_f"),
      node("Add", ["gf", "peep_f"], ["gf_peep"], "add_peephole_f"),
    );
    inputGate = "gi_peep";
    forgetGate = "gf_peep";
  }
  bodyNodes.push(
    node("Sigmoid", [inputGate], ["i"], "sigmoid_i"),
    node("Sigmoid", [forgetGate], ["f"], "sigmoid_f"),
    node("Tanh", ["gg"], ["g"], "tanh_g"),
    node("Mul", ["f", "c_prev"], ["fc"], "forget"),
    node("Mul", ["i", "g"], ["ig"], "write"),
    node("Add", ["fc", "ig"], ["c_next"], "cell"),
  );
  let outputGate = "go";
  if (weights.peephole) {
    bodyNodes.push(
      node("Mul", ["c_next", `${p}_p_o`], ["peep_o"], "peephole_o"),
      node("Add", ["go", "peep_o"], ["go_peep"], "add_peephole_o"),
    );
    outputGate = "go_peep";
  }
  bodyNodes.push(
    node("Sigmoid", [outputGate], ["o"], "sigmoid_o"),
    node("Tanh", ["c_next"], ["tanh_c"], "tanh_c"),
    node("Mul", ["o", "tanh_c"], weights.weightHr ? ["h_full"] : ["h_next"], "hidden"),
  );
  if (weights.weightHr) {
    bodyNodes.push(node("MatMul", ["h_full", `${p}_Whr_T`], ["h_next"], "projection"));
  }
  bodyNodes.push(node("Identity", ["h_next"], ["y_t"], "step_output"));
  const body: GraphProto = {
    name: `${p}_step`,
    node: bodyNodes,
    input: [
      floatValueInfo("h_prev", [1, proj]),
      floatValueInfo("c_prev", [1, hidden]),
      floatValueInfo("x_t", [1, inputSize]),
    ],
    output: [
      floatValueInfo("h_next", [1, proj]),
      floatValueInfo("c_next", [1, hidden]),
      floatValueInfo("y_t", [1, proj]),
    ],
  };
  const last = layer === model.numLayers - 1;
  const output = last ? EXPORT_OUTPUT_NAME : `${p}_out`;
  const scan = node(
    "Scan",
    [`${p}_h0`, `${p}_c0`, input],
    [`${p}_h_last`, `${p}_c_last`, output],
    p,
    [graphAttribute("body", body), intAttribute("num_scan_inputs", 1)],
  );
  return { initializers, nodes: [scan], output };
};

/** The ONNX `ModelProto` (as plain data) of a model; see the module documentation. */
export function exportOnnxProto(model: RnnModel): Record<string, unknown> {
  const kind = exportGraphKind(model);
  const initializers: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  if (kind === "operators") initializers.push(int64TensorProto("squeeze_axes", [1], [1]));
  let current = EXPORT_INPUT_NAME;
  model.layers.forEach((weights, layer) => {
    const built = kind === "operators"
      ? operatorLayer(model, weights, layer, current)
      : scanLayer(model, weights, layer, current);
    initializers.push(...built.initializers);
    nodes.push(...built.nodes);
    current = built.output;
  });
  const graph: GraphProto = {
    name: `rnnfab_${model.kind}${model.projSize > 0 ? "p" : ""}`,
    node: nodes,
    initializer: initializers,
    input: [floatValueInfo(EXPORT_INPUT_NAME, ["T", 1, model.inputSize])],
    output: [floatValueInfo(EXPORT_OUTPUT_NAME, ["T", 1, outputSize(model)])],
  };
  return {
    ir_version: EXPORT_IR_VERSION,
    opset_import: [{ domain: "", version: EXPORT_OPSET }],
    producer_name: "rnnfab",
    producer_version: "0.1.0",
    graph,
  };
}

/**
 * Serialize a model as an ONNX file (opset 17): ONNX LSTM/GRU operators where they express the
 * model, a Scan graph for LSTM with projection. Weights are written as float32.
 */
export function exportOnnx(model: RnnModel): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(exportOnnxProto(model))).finish();
}
