/**
 * Plain unstructured magnitude pruning, the baseline BCR is compared with.
 *
 * @module
 */

import { cloneModel, namedMatrices, type RnnModel } from "../model/model.ts";
import { EPSILON, validateFraction } from "./block.ts";

/** Magnitude pruning scope: each matrix to the density, or one threshold over all matrices. */
export type MagnitudeScope = "per-matrix" | "global";

/**
 * Plain unstructured magnitude pruning (the baseline): keep the round(density x n) weights of
 * largest |w| per matrix ("per-matrix", default) or over all matrices together ("global"); ties
 * keep the lower index (matrices in `namedMatrices` order).
 */
export function magnitudePrune(
  model: RnnModel,
  density: number,
  scope: MagnitudeScope = "per-matrix",
): RnnModel {
  validateFraction(density, "density");
  const pruned = cloneModel(model);
  const entries = namedMatrices(pruned);
  if (scope === "per-matrix") {
    for (const { matrix } of entries) {
      keepLargest([matrix.data], Math.floor(density * matrix.data.length + 0.5 + EPSILON));
    }
  } else {
    const total = entries.reduce((sum, { matrix }) => sum + matrix.data.length, 0);
    keepLargest(
      entries.map(({ matrix }) => matrix.data),
      Math.floor(density * total + 0.5 + EPSILON),
    );
  }
  return pruned;
}

/** Zero all but the `keep` largest |values| of the arrays (ties: earlier array, lower index). */
function keepLargest(arrays: Float64Array[], keep: number): void {
  const total = arrays.reduce((sum, a) => sum + a.length, 0);
  if (keep >= total) return;
  const magnitudes = new Float64Array(total);
  let offset = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) magnitudes[offset + i] = Math.abs(a[i]);
    offset += a.length;
  }
  const sorted = magnitudes.slice().sort();
  const threshold = keep > 0 ? sorted[total - keep] : Infinity;
  let above = 0;
  for (const m of magnitudes) if (m > threshold) above++;
  let tiesLeft = keep - above;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const m = Math.abs(a[i]);
      if (m > threshold) continue;
      if (m === threshold && tiesLeft > 0) {
        tiesLeft--;
        continue;
      }
      a[i] = 0;
    }
  }
}
