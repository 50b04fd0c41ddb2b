/**
 * Build ONNX LSTM/GRU models directly from weights in ONNX's own layout (gate order i,o,f,c for
 * LSTM and z,r,h for GRU, B = [Wb ; Rb], P = [Pi, Po, Pf]), the way other tools write them:
 * weights as raw data, typed fields, doubles, Constant nodes or an external data file, initial
 * states absent or built by torch-like Expand / ConstantOfShape nodes, attributes set at will.
 *
 * This is independent of `exportOnnx` (which starts from rnnfab's PyTorch layout), so that tests
 * can check the importer's gate mapping against ONNX Runtime, and so that test fixtures with
 * malformed or unsupported features can be made on purpose.
 *
 * @module
 */

import type { RnnKind } from "../model.ts";
import { seededRandom } from "../random.ts";
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type GraphProto,
  modelProtoType,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./schema.ts";
import { floatTensorProto, floatValueInfo, int64TensorProto } from "./tensor.ts";

/** One layer's weights in ONNX layout (num_directions = 1 left out). */
export interface OnnxLayerWeights {
  /** W: (G*H) x inputSize, row-major, ONNX gate order. */
  w: Float64Array;
  /** R: (G*H) x H, row-major, ONNX gate order. */
  r: Float64Array;
  /** B: 2*G*H = [Wb ; Rb], ONNX gate order; absent: no B input. */
  b?: Float64Array;
  /** P: 3H = [Pi, Po, Pf] (LSTM only); absent: no P input. */
  p?: Float64Array;
}

/** How the weight tensors are stored in the file. */
export type OnnxWeightStorage = "raw" | "float_data" | "double" | "constant" | "external";

/** How each layer's initial states are given. */
export type OnnxInitialState =
  | "absent"
  | "zero-initializer"
  | "zero-expand"
  | "zero-constant-of-shape"
  | "nonzero"
  | "graph-input";

/** An attribute value: integer, string, floats or strings. */
export type OnnxAttributeValue = number | string | number[] | string[];

/** What `buildOnnxRecurrentModel` builds. */
export interface OnnxRecurrentSpec {
  /** Cell type. */
  kind: RnnKind;
  /** Input size of layer 0. */
  inputSize: number;
  /** Hidden size of every layer. */
  hiddenSize: number;
  /** Layers, layer 0 first. */
  layers: OnnxLayerWeights[];
  /** Weight storage (default "raw"). */
  storage?: OnnxWeightStorage;
  /** Location of the external data file, relative to the model (default "weights.bin"). */
  externalLocation?: string;
  /** Initial states (default "absent"). */
  initialState?: OnnxInitialState;
  /** Extra or overriding attributes of every recurrent node (e.g. { direction: "reverse" }). */
  attributes?: Record<string, OnnxAttributeValue>;
  /** Leave out the hidden_size attribute. */
  omitHiddenSize?: boolean;
  /** Add a MatMul "head" after the last layer as the graph output `logits`. */
  head?: boolean;
  /** Number of time steps in the input shape (default symbolic "T"). */
  steps?: number;
}

/** An ONNX file and, with external storage, its data file. */
export interface BuiltOnnxModel {
  /** The model file's bytes. */
  bytes: Uint8Array;
  /** The external data file's bytes (external storage only). */
  externalData?: Uint8Array;
  /** Where the external data file must be put, relative to the model's folder. */
  externalLocation?: string;
}

/** Random weights in ONNX layout, uniform (-1/sqrt(H), 1/sqrt(H)), rounded to float32. */
export function randomOnnxLayers(options: {
  kind: RnnKind;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  peepholes?: boolean;
  bias?: boolean;
  seed: number;
}): OnnxLayerWeights[] {
  const random = seededRandom(options.seed);
  const scale = 1 / Math.sqrt(options.hiddenSize);
  const vector = (length: number) =>
    Float64Array.from({ length }, () => Math.fround((2 * random() - 1) * scale));
  const rows = (options.kind === "lstm" ? 4 : 3) * options.hiddenSize;
  return Array.from({ length: options.numLayers }, (_, layer) => {
    const inputSize = layer === 0 ? options.inputSize : options.hiddenSize;
    const weights: OnnxLayerWeights = {
      w: vector(rows * inputSize),
      r: vector(rows * options.hiddenSize),
    };
    if (options.bias !== false) weights.b = vector(2 * rows);
    if (options.peepholes) weights.p = vector(3 * options.hiddenSize);
    return weights;
  });
}

function attribute(name: string, value: OnnxAttributeValue): AttributeProto {
  if (typeof value === "number") return { name, type: AttributeType.INT, i: value };
  if (typeof value === "string") {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (value.length > 0 && typeof value[0] === "string") {
    return {
      name,
      type: AttributeType.STRINGS,
      strings: (value as string[]).map((v) => new TextEncoder().encode(v)),
    };
  }
  return { name, type: AttributeType.FLOATS, floats: value as number[] };
}

/** Tensor storage: initializers or Constant nodes, and the external data file being filled. */
class WeightStore {
  initializers: TensorProto[] = [];
  constants: NodeProto[] = [];
  private chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private storage: OnnxWeightStorage, private location: string) {}

  add(name: string, dims: number[], values: Float64Array): void {
    const tensor = this.tensor(name, dims, values);
    if (this.storage === "constant") {
      this.constants.push({
        op_type: "Constant",
        input: [],
        output: [name],
        name: `${name}_constant`,
        attribute: [{ name: "value", type: AttributeType.TENSOR, t: tensor }],
      });
    } else {
      this.initializers.push(tensor);
    }
  }

  private tensor(name: string, dims: number[], values: Float64Array): TensorProto {
    switch (this.storage) {
      case "float_data":
        return { name, dims, data_type: DataType.FLOAT, float_data: Array.from(values) };
      case "double":
        return { name, dims, data_type: DataType.DOUBLE, double_data: Array.from(values) };
      case "external": {
        const raw = floatTensorProto(name, dims, values).raw_data!;
        const offset = this.size;
        const padded = Math.ceil(raw.length / 64) * 64;
        const chunk = new Uint8Array(padded);
        chunk.set(raw);
        this.chunks.push(chunk);
        this.size += padded;
        return {
          name,
          dims,
          data_type: DataType.FLOAT,
          data_location: 1,
          external_data: [
            { key: "location", value: this.location },
            { key: "offset", value: String(offset) },
            { key: "length", value: String(raw.length) },
          ],
        };
      }
      default:
        return floatTensorProto(name, dims, values);
    }
  }

  externalBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

function initialStateNodes(
  spec: OnnxRecurrentSpec,
  layer: number,
  stateName: string,
  store: WeightStore,
  graphInputs: ValueInfoProto[],
): { name: string; nodes: NodeProto[]; initializers: TensorProto[] } {
  const hidden = spec.hiddenSize;
  const name = `l${layer}_${stateName}`;
  const mode = spec.initialState ?? "absent";
  const shape = [1, 1, hidden];
  if (mode === "absent") return { name: "", nodes: [], initializers: [] };
  if (mode === "graph-input") {
    graphInputs.push(floatValueInfo(name, shape));
    return { name, nodes: [], initializers: [] };
  }
  if (mode === "zero-initializer" || mode === "nonzero") {
    const values = Float64Array.from(
      { length: hidden },
      (_, k) => mode === "nonzero" ? Math.fround(0.01 * (k + 1)) : 0,
    );
    store.add(name, shape, values);
    return { name, nodes: [], initializers: [] };
  }
  if (mode === "zero-constant-of-shape") {
    return {
      name,
      initializers: [int64TensorProto(`${name}_shape`, [3], shape)],
      nodes: [{
        op_type: "ConstantOfShape",
        input: [`${name}_shape`],
        output: [name],
        name: `${name}_fill`,
        attribute: [{
          name: "value",
          type: AttributeType.TENSOR,
          t: floatTensorProto("", [1], [0]),
        }],
      }],
    };
  }
  // zero-expand: like torch.onnx.export, a zero Constant expanded to a shape built from Shape(x).
  return {
    name,
    initializers: [
      int64TensorProto(`${name}_batch_axis`, [], [1]),
      int64TensorProto(`${name}_one`, [1], [1]),
      int64TensorProto(`${name}_hidden`, [1], [hidden]),
      int64TensorProto(`${name}_unsqueeze_axes`, [1], [0]),
    ],
    nodes: [
      {
        op_type: "Constant",
        input: [],
        output: [`${name}_zeros`],
        name: `${name}_zeros`,
        attribute: [{
          name: "value",
          type: AttributeType.TENSOR,
          t: floatTensorProto("", shape, new Float64Array(hidden)),
        }],
      },
      { op_type: "Shape", input: ["x"], output: [`${name}_x_shape`], name: `${name}_shape` },
      {
        op_type: "Gather",
        input: [`${name}_x_shape`, `${name}_batch_axis`],
        output: [`${name}_batch`],
        name: `${name}_gather`,
      },
      {
        op_type: "Unsqueeze",
        input: [`${name}_batch`, `${name}_unsqueeze_axes`],
        output: [`${name}_batch_1d`],
        name: `${name}_unsqueeze`,
      },
      {
        op_type: "Concat",
        input: [`${name}_one`, `${name}_batch_1d`, `${name}_hidden`],
        output: [`${name}_target`],
        name: `${name}_concat`,
        attribute: [{ name: "axis", type: AttributeType.INT, i: 0 }],
      },
      {
        op_type: "Expand",
        input: [`${name}_zeros`, `${name}_target`],
        output: [name],
        name: `${name}_expand`,
      },
    ],
  };
}

/** Build an ONNX model (opset 17) with one LSTM/GRU node per layer; see the module docs. */
export function buildOnnxRecurrentModel(spec: OnnxRecurrentSpec): BuiltOnnxModel {
  const storage = spec.storage ?? "raw";
  const location = spec.externalLocation ?? "weights.bin";
  const store = new WeightStore(storage, location);
  const hidden = spec.hiddenSize;
  const rows = (spec.kind === "lstm" ? 4 : 3) * hidden;
  const op = spec.kind === "lstm" ? "LSTM" : "GRU";
  const steps = spec.steps ?? "T";
  const graphInputs: ValueInfoProto[] = [floatValueInfo("x", [steps, 1, spec.inputSize])];
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [int64TensorProto("squeeze_axes", [1], [1])];
  let current = "x";
  spec.layers.forEach((weights, layer) => {
    const inputSize = layer === 0 ? spec.inputSize : hidden;
    store.add(`l${layer}_W`, [1, rows, inputSize], weights.w);
    store.add(`l${layer}_R`, [1, rows, hidden], weights.r);
    if (weights.b) store.add(`l${layer}_B`, [1, 2 * rows], weights.b);
    if (weights.p) store.add(`l${layer}_P`, [1, 3 * hidden], weights.p);
    const states = (spec.kind === "lstm" ? ["h0", "c0"] : ["h0"]).map((state) =>
      initialStateNodes(spec, layer, state, store, graphInputs)
    );
    for (const state of states) {
      nodes.push(...state.nodes);
      initializers.push(...state.initializers);
    }
    const inputs = [current, `l${layer}_W`, `l${layer}_R`, weights.b ? `l${layer}_B` : "", ""];
    inputs.push(...states.map((state) => state.name));
    if (weights.p) {
      while (inputs.length < 7) inputs.push("");
      inputs.push(`l${layer}_P`);
    }
    while (inputs.length > 3 && inputs[inputs.length - 1] === "") inputs.pop();
    const attributes: Record<string, OnnxAttributeValue> = {};
    if (!spec.omitHiddenSize) attributes.hidden_size = hidden;
    if (spec.kind === "gru") attributes.linear_before_reset = 1;
    Object.assign(attributes, spec.attributes ?? {});
    const outputs = spec.kind === "lstm"
      ? [`l${layer}_Y`, `l${layer}_Y_h`, `l${layer}_Y_c`]
      : [`l${layer}_Y`, `l${layer}_Y_h`];
    nodes.push({
      op_type: op,
      input: inputs,
      output: outputs,
      name: `${op.toLowerCase()}_${layer}`,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    const last = layer === spec.layers.length - 1;
    const squeezed = last && !spec.head ? "y" : `l${layer}_out`;
    nodes.push({
      op_type: "Squeeze",
      input: [`l${layer}_Y`, "squeeze_axes"],
      output: [squeezed],
      name: `squeeze_${layer}`,
    });
    current = squeezed;
  });
  const outputs = [floatValueInfo("y", [steps, 1, hidden])];
  if (spec.head) {
    store.add("head_weight", [hidden, 2], Float64Array.from({ length: 2 * hidden }, (_, k) => k));
    nodes.push({ op_type: "MatMul", input: [current, "head_weight"], output: ["logits"] });
    outputs[0] = floatValueInfo("logits", [steps, 1, 2]);
  }
  const graph: GraphProto = {
    name: "recurrent",
    node: [...store.constants, ...nodes],
    initializer: [...initializers, ...store.initializers],
    input: graphInputs,
    output: outputs,
  };
  const type = modelProtoType();
  const bytes = type.encode(type.fromObject({
    ir_version: 8,
    opset_import: [{ domain: "", version: 17 }],
    producer_name: "rnnfab-test-builder",
    graph,
  })).finish();
  if (storage !== "external") return { bytes };
  return { bytes, externalData: store.externalBytes(), externalLocation: location };
}

/**
 * The rnnfab (PyTorch-layout) weights equivalent to ONNX-layout weights, computed independently
 * of the importer: gate blocks moved by name, for tests.
 */
export function pytorchLayoutFromOnnx(
  kind: RnnKind,
  hiddenSize: number,
  weights: OnnxLayerWeights,
): {
  weightIh: Float64Array;
  weightHh: Float64Array;
  biasIh: Float64Array;
  biasHh: Float64Array;
  peephole?: Float64Array;
} {
  const onnxNames = kind === "lstm" ? ["i", "o", "f", "c"] : ["z", "r", "h"];
  const pytorchNames = kind === "lstm" ? ["i", "f", "c", "o"] : ["r", "z", "h"];
  const rows = onnxNames.length * hiddenSize;
  const move = (data: Float64Array) => {
    const width = data.length / rows;
    const out = new Float64Array(data.length);
    pytorchNames.forEach((gate, position) => {
      const from = onnxNames.indexOf(gate) * hiddenSize * width;
      out.set(data.subarray(from, from + hiddenSize * width), position * hiddenSize * width);
    });
    return out;
  };
  const result = {
    weightIh: move(weights.w),
    weightHh: move(weights.r),
    biasIh: weights.b ? move(weights.b.subarray(0, rows)) : new Float64Array(rows),
    biasHh: weights.b ? move(weights.b.subarray(rows)) : new Float64Array(rows),
  };
  if (!weights.p) return result;
  const h = hiddenSize;
  const [pi, po, pf] = [0, 1, 2].map((k) => weights.p!.subarray(k * h, (k + 1) * h));
  const peephole = new Float64Array(3 * h);
  peephole.set(pi, 0);
  peephole.set(pf, h);
  peephole.set(po, 2 * h);
  return { ...result, peephole };
}
