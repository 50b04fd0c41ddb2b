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

import { cloneModel, type RnnModel } from "../model/model.ts";
import { correctLayerByLayer, type LayerFeatures, layerModel, rowDot } from "./refit.ts";

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

/** Per-row mean shifts of one layer: dense minus pruned matrix-vector terms. */
function meanShifts(
  dense: RnnModel,
  pruned: RnnModel,
  features: LayerFeatures,
): { ih: Float64Array; hh: Float64Array } {
  const d = dense.layers[0];
  const p = pruned.layers[0];
  const rows = d.weightIh.rows;
  const width = d.weightIh.cols;
  const ih = new Float64Array(rows);
  const hh = new Float64Array(rows);
  features.dense.forEach((v, s) => {
    const u = features.pruned[s];
    for (let r = 0; r < rows; r++) {
      ih[r] += rowDot(d.weightIh, r, v, 0) - rowDot(p.weightIh, r, u, 0);
      hh[r] += rowDot(d.weightHh, r, v, width) - rowDot(p.weightHh, r, u, width);
    }
  });
  const steps = Math.max(1, features.dense.length);
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
export function correctBiases(
  dense: RnnModel,
  pruned: RnnModel,
  calibration: BiasCalibration,
): RnnModel {
  const result = cloneModel(pruned);
  const { sequences } = calibration;
  const own = (calibration.inputs ?? "pruned") === "pruned";
  correctLayerByLayer(dense, result, { sequences, own }, (layer, features) => {
    const shifts = meanShifts(layerModel(dense, layer), layerModel(result, layer), features);
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
export function correctBiasesIfBetter(
  dense: RnnModel,
  pruned: RnnModel,
  calibration: BiasCalibration & { loss: (model: RnnModel) => number },
): GuardedBiasCorrection {
  const corrected = correctBiases(dense, pruned, calibration);
  const lossBefore = calibration.loss(pruned);
  const lossAfter = calibration.loss(corrected);
  const applied = lossAfter < lossBefore;
  return { model: applied ? corrected : pruned, corrected, applied, lossBefore, lossAfter };
}
