/**
 * The model as plain data: an LSTM or GRU stack with PyTorch's conventions (gate order, weight
 * shapes, state-dict names). Loading and validation live in `model_io.ts`; this file only holds
 * the types and small pure helpers that every other part of rnnfab shares.
 *
 * @module
 */

/** The recurrent cell type. */
export type RnnKind = "lstm" | "gru";

/** A dense matrix of float64 values, row-major: element (r, c) is `data[r * cols + c]`. */
export interface Matrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** Row-major values, length `rows * cols`. */
  data: Float64Array;
}

/**
 * The weights of one layer, named and shaped as in PyTorch's `nn.LSTM` / `nn.GRU`.
 * G is the gate count (4 for LSTM in order i,f,g,o; 3 for GRU in order r,z,n), H the hidden size.
 */
export interface LayerWeights {
  /** `weight_ih_lK`: (G*H) x (input size of this layer). */
  weightIh: Matrix;
  /** `weight_hh_lK`: (G*H) x (projSize if projected, else H). */
  weightHh: Matrix;
  /** `bias_ih_lK`: G*H (all zeros when the model has no bias). */
  biasIh: Float64Array;
  /** `bias_hh_lK`: G*H (all zeros when the model has no bias). */
  biasHh: Float64Array;
  /** `weight_hr_lK`: projSize x H, LSTM with projection only. */
  weightHr?: Matrix;
  /** `peephole_lK`: 3H in gate order i,f,o (i, f see c(t-1); o sees c(t)), LSTM only. */
  peephole?: Float64Array;
}

/** An LSTM or GRU stack: the unit every part of rnnfab passes around. */
export interface RnnModel {
  /** Cell type. */
  kind: RnnKind;
  /** Size of the input vector x(t) of layer 0. */
  inputSize: number;
  /** Number of cells per layer (H). */
  hiddenSize: number;
  /** Number of stacked layers. */
  numLayers: number;
  /** LSTM projection size P (PyTorch's `proj_size`); 0 when there is no projection. */
  projSize: number;
  /** One entry per layer, layer 0 first. */
  layers: LayerWeights[];
}

/** Number of gates: 4 for LSTM (i,f,g,o), 3 for GRU (r,z,n). */
export function gateCount(kind: RnnKind): number {
  return kind === "lstm" ? 4 : 3;
}

/** Size of a layer's output h(t): projSize when projected, else hiddenSize. */
export function outputSize(model: Pick<RnnModel, "hiddenSize" | "projSize">): number {
  return model.projSize > 0 ? model.projSize : model.hiddenSize;
}

/** Input size of layer `layer`: inputSize for layer 0, else the previous layer's output size. */
export function layerInputSize(
  model: Pick<RnnModel, "inputSize" | "hiddenSize" | "projSize">,
  layer: number,
): number {
  return layer === 0 ? model.inputSize : outputSize(model);
}

/** A zero matrix of the given shape. */
export function zeroMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Names of the weight matrices of a model, in a fixed order, with the matrices themselves. */
export function namedMatrices(model: RnnModel): { name: string; layer: number; matrix: Matrix }[] {
  const out: { name: string; layer: number; matrix: Matrix }[] = [];
  model.layers.forEach((weights, layer) => {
    out.push({ name: `weight_ih_l${layer}`, layer, matrix: weights.weightIh });
    out.push({ name: `weight_hh_l${layer}`, layer, matrix: weights.weightHh });
    if (weights.weightHr) {
      out.push({ name: `weight_hr_l${layer}`, layer, matrix: weights.weightHr });
    }
  });
  return out;
}

/**
 * The value arrays quantized with the weight format, layer by layer: W_ih, W_hh, W_hr (when
 * present) and the peepholes (when present).
 */
export function weightArrays(model: RnnModel): Float64Array[] {
  return model.layers.flatMap((layer) => [
    layer.weightIh.data,
    layer.weightHh.data,
    ...(layer.weightHr ? [layer.weightHr.data] : []),
    ...(layer.peephole ? [layer.peephole] : []),
  ]);
}

/** Fraction of non-zero weights over all weight matrices (biases and peepholes excluded). */
export function weightDensity(model: RnnModel): number {
  let nonZero = 0;
  let total = 0;
  for (const { matrix } of namedMatrices(model)) {
    total += matrix.data.length;
    for (const value of matrix.data) if (value !== 0) nonZero++;
  }
  return total === 0 ? 0 : nonZero / total;
}

/** A deep copy of a model (weights copied, nothing shared). */
export function cloneModel(model: RnnModel): RnnModel {
  const copy = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: m.data.slice() });
  return {
    ...model,
    layers: model.layers.map((w) => ({
      weightIh: copy(w.weightIh),
      weightHh: copy(w.weightHh),
      biasIh: w.biasIh.slice(),
      biasHh: w.biasHh.slice(),
      weightHr: w.weightHr ? copy(w.weightHr) : undefined,
      peephole: w.peephole ? w.peephole.slice() : undefined,
    })),
  };
}
