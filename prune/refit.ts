/**
 * One-shot least-squares refit of the kept weights of a pruned model on calibration data (the
 * layer-wise reconstruction of OBC/SparseGPT, for recurrent layers): for every gate row, the kept
 * weights are re-solved so that, on the dense network's layer inputs [x(t); h(t-1)] over the
 * calibration sequences, they reproduce the dense network's pre-activation, with a small ridge
 * term (least squares with the dense trajectory as teacher).
 * The zero mask never changes; biases, peepholes and projections (weight_hr) are kept as they are.
 * For GRU the n gate is split as rnnfab computes it: the W_in row is fitted on x alone (target
 * W_in x), the W_hn row on h alone (target W_hn h). See docs/finetune.md. The functions are
 * asynchronous only to let the event loop in between sequences, steps and rows, so that an
 * interrupt is handled during a long refit (util/event_loop.ts).
 *
 * @module
 */

import { runFloat } from "../model/float.ts";
import {
  cloneModel,
  layerInputSize,
  type Matrix,
  outputSize,
  type RnnModel,
} from "../model/model.ts";
import { mapYielding, yieldIfDue } from "../util/event_loop.ts";

/** Options of `refitKeptWeights`. */
export interface RefitOptions {
  /** Ridge term, relative to the mean diagonal of the Gram matrix (default 1e-3). */
  ridge?: number;
  /**
   * Fit on the dense network's layer inputs (default: each row reproduces its dense pre-activation
   * given the dense trajectory) or on the pruned network's own (measured worse on recurrent
   * layers: the changed weights change the trajectory they were fitted on).
   */
  inputs?: "pruned" | "dense";
}

/** One layer of a model as a one-layer model (same weights, shared arrays). */
export function layerModel(model: RnnModel, layer: number): RnnModel {
  return {
    ...model,
    inputSize: layerInputSize(model, layer),
    numLayers: 1,
    layers: [model.layers[layer]],
  };
}

/** Layer inputs v(t) = [x(t); h(t-1)] of every step of every sequence (h from the layer's run). */
export function layerFeatures(inputs: number[][][], outputs: number[][][]): Float64Array[] {
  const features: Float64Array[] = [];
  inputs.forEach((sequence, n) => {
    const width = sequence[0].length;
    const hidden = outputs[n][0].length;
    sequence.forEach((x, t) => {
      const v = new Float64Array(width + hidden);
      v.set(x, 0);
      if (t > 0) v.set(outputs[n][t - 1], width);
      features.push(v);
    });
  });
  return features;
}

/** Row r of matrix times v[offset .. offset + cols). */
export function rowDot(matrix: Matrix, r: number, v: Float64Array, offset: number): number {
  let sum = 0;
  const base = r * matrix.cols;
  for (let c = 0; c < matrix.cols; c++) sum += matrix.data[base + c] * v[offset + c];
  return sum;
}

/** Solve (A + ridge I) w = b for symmetric positive semi-definite A (Cholesky, in place copy). */
function choleskySolve(a: Float64Array, b: Float64Array, n: number, ridge: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * w[k];
    w[i] = sum / l[i * n + i];
  }
  return w;
}

/** Gram matrix G = sum v v^T and cross terms C[f][r] = sum v[f] * target[r] for two targets. */
interface Statistics {
  gram: Float64Array;
  crossIh: Float64Array;
  crossHh: Float64Array;
  features: number;
}

/** Steps summed between two chances to yield (`yieldIfDue`). */
export const STEPS_PER_YIELD_CHECK = 16;

/** Add steps `from` to `to` (exclusive) to the statistics (synchronous: the hot loop). */
function accumulateSteps(
  stats: Statistics,
  steps: { pruned: Float64Array[]; dense: Float64Array[]; from: number; to: number },
  weights: { ih: Matrix; hh: Matrix },
): void {
  const { gram, crossIh, crossHh, features } = stats;
  const { pruned, dense } = steps;
  const rows = weights.ih.rows;
  const zIh = new Float64Array(rows);
  const zHh = new Float64Array(rows);
  const width = weights.ih.cols;
  for (let s = steps.from; s < steps.to; s++) {
    const v = pruned[s];
    for (let r = 0; r < rows; r++) {
      zIh[r] = rowDot(weights.ih, r, dense[s], 0);
      zHh[r] = rowDot(weights.hh, r, dense[s], width);
    }
    for (let f = 0; f < features; f++) {
      const vf = v[f];
      if (vf === 0) continue;
      for (let g = 0; g <= f; g++) gram[f * features + g] += vf * v[g];
      const base = f * rows;
      for (let r = 0; r < rows; r++) {
        crossIh[base + r] += vf * zIh[r];
        crossHh[base + r] += vf * zHh[r];
      }
    }
  }
}

async function statistics(
  pruned: Float64Array[],
  dense: Float64Array[],
  weights: { ih: Matrix; hh: Matrix },
): Promise<Statistics> {
  const features = pruned[0].length;
  const rows = weights.ih.rows;
  const stats: Statistics = {
    gram: new Float64Array(features * features),
    crossIh: new Float64Array(features * rows),
    crossHh: new Float64Array(features * rows),
    features,
  };
  for (let from = 0; from < pruned.length; from += STEPS_PER_YIELD_CHECK) {
    await yieldIfDue();
    const to = Math.min(pruned.length, from + STEPS_PER_YIELD_CHECK);
    accumulateSteps(stats, { pruned, dense, from, to }, weights);
  }
  const { gram } = stats;
  for (let f = 0; f < features; f++) {
    for (let g = 0; g < f; g++) gram[g * features + f] = gram[f * features + g];
  }
  return stats;
}

/** Options of `refitRowPart`. */
interface RowPart {
  /** Feature indices of the kept weights, and the matrix/column each one writes to. */
  kept: { feature: number; matrix: Matrix; col: number }[];
  /** Which dense partial products make the target. */
  target: "both" | "ih" | "hh";
}

function refitRowPart(stats: Statistics, row: number, part: RowPart, ridge: number): void {
  const n = part.kept.length;
  if (n === 0) return;
  const { gram, features } = stats;
  const rows = stats.crossIh.length / features;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  part.kept.forEach(({ feature: f }, i) => {
    part.kept.forEach(({ feature: g }, j) => a[i * n + j] = gram[f * features + g]);
    const ih = stats.crossIh[f * rows + row];
    const hh = stats.crossHh[f * rows + row];
    b[i] = part.target === "both" ? ih + hh : part.target === "ih" ? ih : hh;
  });
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i];
  const w = choleskySolve(a, b, n, ridge * (trace / n) + 1e-12);
  part.kept.forEach(({ matrix, col }, i) => {
    // An exact zero would open a hole in the BCR rectangle: keep the old weight then.
    if (w[i] !== 0 && Number.isFinite(w[i])) matrix.data[row * matrix.cols + col] = w[i];
  });
}

function keptColumns(matrix: Matrix, row: number, offset: number) {
  const kept: { feature: number; matrix: Matrix; col: number }[] = [];
  for (let c = 0; c < matrix.cols; c++) {
    if (matrix.data[row * matrix.cols + c] !== 0) {
      kept.push({ feature: offset + c, matrix, col: c });
    }
  }
  return kept;
}

async function refitLayer(
  model: RnnModel,
  layer: number,
  stats: Statistics,
  ridge: number,
): Promise<void> {
  const { weightIh: ih, weightHh: hh } = model.layers[layer];
  const width = ih.cols;
  const split = model.kind === "gru" ? 2 * model.hiddenSize : ih.rows; // GRU n rows: apart
  for (let r = 0; r < ih.rows; r++) {
    await yieldIfDue();
    const x = keptColumns(ih, r, 0);
    const h = keptColumns(hh, r, width);
    if (r < split) refitRowPart(stats, r, { kept: [...x, ...h], target: "both" }, ridge);
    else {
      refitRowPart(stats, r, { kept: x, target: "ih" }, ridge);
      refitRowPart(stats, r, { kept: h, target: "hh" }, ridge);
    }
  }
}

/** The layer inputs [x(t); h(t-1)] of one layer over every calibration step, dense and pruned. */
export interface LayerFeatures {
  /** The dense model's, on its own trajectory. */
  dense: Float64Array[];
  /** The pruned model's on its own trajectory (`own`), else the dense ones. */
  pruned: Float64Array[];
}

/**
 * Walk the layers of `dense` and `result` (a pruned copy, corrected in place layer by layer) over
 * the calibration sequences: `correct(layer, features)` may change `result`'s layer, and the next
 * layer's pruned inputs are the corrected layer's outputs. With `own` false the pruned features are
 * the dense ones (no pruned run).
 */
export async function correctLayerByLayer(
  dense: RnnModel,
  result: RnnModel,
  options: { sequences: number[][][]; own: boolean },
  correct: (layer: number, features: LayerFeatures) => Promise<void>,
): Promise<void> {
  let denseInputs = options.sequences;
  let prunedInputs = options.sequences;
  for (let layer = 0; layer < dense.numLayers; layer++) {
    const denseLayer = layerModel(dense, layer);
    const prunedLayer = layerModel(result, layer);
    const denseOutputs = await mapYielding(denseInputs, (s) => runFloat(denseLayer, s));
    const denseFeatures = layerFeatures(denseInputs, denseOutputs);
    const prunedFeatures = options.own
      ? layerFeatures(
        prunedInputs,
        await mapYielding(prunedInputs, (s) => runFloat(prunedLayer, s)),
      )
      : denseFeatures;
    await correct(layer, { dense: denseFeatures, pruned: prunedFeatures });
    prunedInputs = await mapYielding(prunedInputs, (s) => runFloat(prunedLayer, s));
    denseInputs = denseOutputs;
  }
}

/**
 * Refit the kept weights of `pruned` (the zeros of `pruned` define the mask) to reproduce the
 * dense model's gate pre-activations on calibration sequences. Returns a new model.
 */
export async function refitKeptWeights(
  dense: RnnModel,
  pruned: RnnModel,
  sequences: number[][][],
  options: RefitOptions = {},
): Promise<RnnModel> {
  const ridge = options.ridge ?? 1e-3;
  if (options.inputs !== "pruned") return (await refitRidges(dense, pruned, sequences, [ridge]))[0];
  const result = cloneModel(pruned);
  await correctLayerByLayer(dense, result, { sequences, own: true }, async (layer, features) => {
    const { weightIh: ih, weightHh: hh } = dense.layers[layer];
    const stats = await statistics(features.pruned, features.dense, { ih, hh });
    await refitLayer(result, layer, stats, ridge);
  });
  if (outputSize(result) !== outputSize(dense)) throw new Error("refit changed the output size");
  return result;
}

/**
 * `refitKeptWeights` (dense layer inputs) at several ridge terms at once: the Gram and cross
 * statistics are gathered once per layer and solved once per ridge. Result k equals
 * `refitKeptWeights(dense, pruned, sequences, { ridge: ridges[k] })` exactly.
 */
export async function refitRidges(
  dense: RnnModel,
  pruned: RnnModel,
  sequences: number[][][],
  ridges: number[],
): Promise<RnnModel[]> {
  const results = ridges.map(() => cloneModel(pruned));
  if (results.length === 0) return results;
  const walk = { sequences, own: false };
  await correctLayerByLayer(dense, results[0], walk, async (layer, features) => {
    const { weightIh: ih, weightHh: hh } = dense.layers[layer];
    const stats = await statistics(features.pruned, features.dense, { ih, hh });
    for (const [k, result] of results.entries()) await refitLayer(result, layer, stats, ridges[k]);
  });
  return results;
}
