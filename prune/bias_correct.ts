/**
 * One-shot bias correction of a pruned model on calibration data (the bias correction of
 * post-training quantization and pruning, e.g. Nagel et al. 2019, Finkelstein et al. 2019, applied
 * to recurrent layers): after the mask is chosen (and the kept weights refitted), each gate row's
 * biases are shifted so that the mean of its matrix-vector terms over every step of the calibration
 * sequences equals the dense model's:
 *
 *   b_ih[r] += mean_t (W_ih x)_r(dense) - (W_ih x)_r(pruned),
 *   b_hh[r] += mean_t (W_hh h)_r(dense) - (W_hh h)_r(pruned).
 *
 * By default the pruned terms are taken on the pruned network's own trajectory (its layer inputs
 * when it runs on the calibration data, layer by layer, each layer seeing the corrected layers
 * below), so the correction also removes the mean drift that the changed states bring; the dense
 * terms always on the dense trajectory. No weight changes, so the zero mask never changes; with
 * zero calibration error (a pruned model that computes what the dense one does) every shift is
 * exactly zero. The input and recurrent parts go to b_ih and b_hh apart, which keeps the GRU's
 * n gate (W_in x + b_in + r (W_hn h + b_hn)) exact. Peepholes and projections are unchanged.
 * See docs/finetune.md.
 *
 * @module
 */

import { cloneModel, type LayerWeights, type RnnModel } from "../model/model.ts";
import {
  correctLayerByLayer,
  type LayerFeatures,
  layerModel,
  rowDot,
  STEPS_PER_YIELD_CHECK,
} from "./refit.ts";
import { yieldIfDue } from "../util/event_loop.ts";

/** The calibration data of `correctBiases`, and where the pruned model's terms are taken. */
export interface BiasCalibration {
  /** Calibration sequences (T x inputSize each). */
  sequences: number[][][];
  /**
   * Where the pruned model's terms are taken: on its own trajectory (`pruned`, default) or on
   * the dense model's layer inputs (`dense`: only the mean error of the weights themselves).
   */
  inputs?: "pruned" | "dense";
}

/** Add the dense minus pruned terms of steps `from` to `to` (synchronous: the hot loop). */
function addShifts(
  sums: { ih: Float64Array; hh: Float64Array },
  layers: { dense: LayerWeights; pruned: LayerWeights },
  steps: { features: LayerFeatures; from: number; to: number },
): void {
  const { dense: d, pruned: p } = layers;
  const { ih, hh } = sums;
  const rows = d.weightIh.rows;
  const width = d.weightIh.cols;
  for (let s = steps.from; s < steps.to; s++) {
    const v = steps.features.dense[s];
    const u = steps.features.pruned[s];
    for (let r = 0; r < rows; r++) {
      ih[r] += rowDot(d.weightIh, r, v, 0) - rowDot(p.weightIh, r, u, 0);
      hh[r] += rowDot(d.weightHh, r, v, width) - rowDot(p.weightHh, r, u, width);
    }
  }
}

/** Per-row mean shifts of one layer: dense minus pruned matrix-vector terms. */
async function meanShifts(
  dense: RnnModel,
  pruned: RnnModel,
  features: LayerFeatures,
): Promise<{ ih: Float64Array; hh: Float64Array }> {
  const rows = dense.layers[0].weightIh.rows;
  const ih = new Float64Array(rows);
  const hh = new Float64Array(rows);
  const layers = { dense: dense.layers[0], pruned: pruned.layers[0] };
  const count = features.dense.length;
  for (let from = 0; from < count; from += STEPS_PER_YIELD_CHECK) {
    await yieldIfDue(); // a signal is handled between chunks of steps (util/event_loop.ts)
    const to = Math.min(count, from + STEPS_PER_YIELD_CHECK);
    addShifts({ ih, hh }, layers, { features, from, to });
  }
  const steps = Math.max(1, count);
  for (let r = 0; r < rows; r++) {
    ih[r] /= steps;
    hh[r] /= steps;
  }
  return { ih, hh };
}

/**
 * Shift the biases of `pruned` so that every gate row's mean matrix-vector terms on the calibration
 * sequences match the dense model's. Returns a new model; weights, peepholes and projections are
 * `pruned`'s.
 */
export async function correctBiases(
  dense: RnnModel,
  pruned: RnnModel,
  calibration: BiasCalibration,
): Promise<RnnModel> {
  const result = cloneModel(pruned);
  const { sequences } = calibration;
  const own = (calibration.inputs ?? "pruned") === "pruned";
  await correctLayerByLayer(dense, result, { sequences, own }, async (layer, features) => {
    const shifts = await meanShifts(layerModel(dense, layer), layerModel(result, layer), features);
    const weights = result.layers[layer];
    shifts.ih.forEach((shift, r) => weights.biasIh[r] += shift);
    shifts.hh.forEach((shift, r) => weights.biasHh[r] += shift);
  });
  return result;
}

/** The result of `correctBiasesIfBetter`. */
export interface GuardedBiasCorrection {
  /** The corrected model when the correction lowered the loss, else `pruned` itself. */
  model: RnnModel;
  /** The corrected model, kept or not. */
  corrected: RnnModel;
  /** Whether the correction was kept. */
  applied: boolean;
  /** The calibration loss of `pruned`. */
  lossBefore: number;
  /** The calibration loss of the corrected model (kept or not). */
  lossAfter: number;
}

/**
 * The bias correction as the one-shot flow uses it: corrected on the calibration data and kept only
 * when it lowers `loss` (the search's objective on the same data: the head's cross-entropy, or the
 * output error), so that it can never make the one-shot result worse on the data it was chosen
 * on. Nothing here looks at any other data.
 */
export async function correctBiasesIfBetter(
  dense: RnnModel,
  pruned: RnnModel,
  calibration: BiasCalibration & { loss: (model: RnnModel) => number | Promise<number> },
): Promise<GuardedBiasCorrection> {
  const corrected = await correctBiases(dense, pruned, calibration);
  const lossBefore = await calibration.loss(pruned);
  const lossAfter = await calibration.loss(corrected);
  const applied = lossAfter < lossBefore;
  return { model: applied ? corrected : pruned, corrected, applied, lossBefore, lossAfter };
}
