/**
 * Weight sharing for the `ese` encoding (as ESE/EIE): one global codebook of 2^k weight-format
 * values, code 0 reserved for 0, the other 2^k - 1 values chosen by one-dimensional k-means over
 * the non-zero quantized weights of all weight matrices. Deterministic: no random initialisation.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import type { IntMatrix, QuantizedModel } from "../model/fixed.ts";
import { accumulatorBitsFor } from "../model/accumulator.ts";
import { saturate } from "../model/fixed.ts";
import { CODEBOOK_BITS_LIMIT } from "./codes.ts";

const count = z.number().int().nonnegative();

/**
 * What weight sharing did, as data (design.json's `weightSharing`): the code width k; the
 * codebook (2^k values, code 0 = 0); the distinct non-zero values its codes 1..2^k-1 hold (fewer
 * than 2^k - 1 when the weights have fewer distinct values, or when centroids rounded onto the
 * same integer); the distinct non-zero weights and the non-zero weights before sharing, the
 * non-zero weights after; the non-zero weights shared to 0 (counted, and 0 by construction, see
 * `avoidZero`); the Lloyd iterations run (0 when every distinct value got its own code); the
 * largest |shared - original| and the root mean square of (shared - original) over the non-zero
 * weights, in weight LSBs.
 */
export const weightSharingReportSchema = z.object({
  codebookBits: z.number().int().positive(),
  codebook: z.array(z.number().int()),
  distinctCodes: count,
  distinctValuesBefore: count,
  nonZerosBefore: count,
  nonZerosAfter: count,
  zeroedWeights: count,
  iterations: count,
  maxAbsError: z.number().nonnegative(),
  rmsError: z.number().nonnegative(),
});

/** What weight sharing did, as data. */
export type WeightSharingReport = z.infer<typeof weightSharingReportSchema>;

/** The result of `shareWeights`. */
export interface SharedWeights {
  /** A new model whose weight matrices hold only codebook values (biases, peepholes unchanged). */
  model: QuantizedModel;
  /** The 2^k codebook values; codebook[0] = 0. */
  codebook: Int32Array;
  /** What sharing did. */
  report: WeightSharingReport;
}

/** Most Lloyd iterations run before stopping (1-D k-means converges far sooner in practice). */
export const MAX_KMEANS_ITERATIONS = 500;

/** The weight matrices of a model that weight sharing replaces (W_ih, W_hh, W_hr of each layer). */
function sharedMatrices(model: QuantizedModel): IntMatrix[] {
  return model.layers.flatMap((layer) =>
    layer.weightHr ? [layer.weightIh, layer.weightHh, layer.weightHr] : [
      layer.weightIh,
      layer.weightHh,
    ]
  );
}

/**
 * Keep a centroid away from 0 after rounding: one that rounds (half up) to 0 moves to +1 (when
 * >= 0) or -1, so that no non-zero weight is ever shared to 0 (code 0 already stands for 0).
 */
export function avoidZero(centroid: number): number {
  if (Math.floor(centroid + 0.5) !== 0) return centroid;
  return centroid >= 0 ? 1 : -1;
}

/**
 * One-dimensional weighted k-means (Lloyd) over sorted distinct values with counts; centroids start
 * evenly spaced between the smallest and the largest value. Assignment ties go to the smaller
 * centroid; an empty cluster keeps its centroid; a centroid that would round to 0 is moved to
 * +-1 (`avoidZero`), every iteration. Stops when no assignment changes. Returns the centroids
 * (sorted) and the iterations.
 */
export function kMeans1d(
  values: number[],
  counts: number[],
  clusters: number,
): { centroids: number[]; iterations: number } {
  const low = values[0];
  const high = values[values.length - 1];
  let centroids = Array.from(
    { length: clusters },
    (_, j) =>
      avoidZero(clusters === 1 ? (low + high) / 2 : low + (high - low) * j / (clusters - 1)),
  );
  let assignment = new Int32Array(values.length).fill(-1);
  for (let iteration = 1; iteration <= MAX_KMEANS_ITERATIONS; iteration++) {
    // Centroids are sorted, so a sweep assigns every (sorted) value to its nearest centroid.
    const next = new Int32Array(values.length);
    let below = 0; // the last centroid <= value (or centroid 0)
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      while (below + 1 < clusters && centroids[below + 1] <= value) below++;
      const above = below + 1;
      const takeAbove = above < clusters &&
        Math.abs(centroids[above] - value) < Math.abs(centroids[below] - value);
      next[i] = takeAbove ? above : below;
    }
    const changed = next.some((cluster, i) => cluster !== assignment[i]);
    assignment = next;
    const sums = new Float64Array(clusters);
    const weights = new Float64Array(clusters);
    for (let i = 0; i < values.length; i++) {
      sums[assignment[i]] += values[i] * counts[i];
      weights[assignment[i]] += counts[i];
    }
    centroids = centroids.map((c, k) => avoidZero(weights[k] > 0 ? sums[k] / weights[k] : c))
      .sort((a, b) => a - b);
    if (!changed) return { centroids, iterations: iteration };
  }
  return { centroids, iterations: MAX_KMEANS_ITERATIONS };
}

/**
 * The code (1..2^k-1) of the codebook value nearest to `value`; ties go to the lower code. Code 0
 * (the padding value 0) is never chosen.
 */
export function nearestCode(codebook: Int32Array, value: number): number {
  let best = 1;
  for (let code = 2; code < codebook.length; code++) {
    if (Math.abs(codebook[code] - value) < Math.abs(codebook[best] - value)) best = code;
  }
  return best;
}

/** A 2^k codebook: code 0 = 0, codes 1.. the sorted levels, the last repeated to fill. */
function codebookOf(levels: number[], codes: number): Int32Array {
  const codebook = new Int32Array(codes);
  for (let code = 1; code < codes; code++) {
    codebook[code] = levels.length === 0 ? 0 : levels[Math.min(code - 1, levels.length - 1)];
  }
  return codebook;
}

/**
 * Share weights: build a 2^bits codebook (code 0 = 0; codes 1.. = k-means centroids of the non-zero
 * weights, rounded half up to integers, sorted ascending, duplicates and levels no weight is
 * nearest to removed, the last value repeated to fill) and replace every non-zero weight of W_ih, W_hh, W_hr with its nearest
 * codebook value among codes 1..2^bits-1. When the weights have at most 2^bits - 1 distinct
 * values, each gets its own code and nothing changes. Returns a new model; the input is untouched.
 */
export function shareWeights(model: QuantizedModel, bits: number): SharedWeights {
  const { min, max } = CODEBOOK_BITS_LIMIT;
  if (!Number.isInteger(bits) || bits < min || bits > max) {
    throw new UserError(`codebook bits must be an integer in ${min}..${max}, got ${bits}`);
  }
  const codes = 2 ** bits;
  const histogram = new Map<number, number>();
  let nonZerosBefore = 0;
  for (const matrix of sharedMatrices(model)) {
    for (const value of matrix.data) {
      if (value === 0) continue;
      histogram.set(value, (histogram.get(value) ?? 0) + 1);
      nonZerosBefore++;
    }
  }
  const values = [...histogram.keys()].sort((a, b) => a - b);
  const counts = values.map((value) => histogram.get(value)!);

  let levels: number[];
  let iterations = 0;
  if (values.length <= codes - 1) {
    levels = values;
  } else {
    const result = kMeans1d(values, counts, codes - 1);
    iterations = result.iterations;
    const weightBits = model.format.weightBits;
    levels = [...new Set(result.centroids.map((c) => saturate(Math.floor(c + 0.5), weightBits)))]
      .sort((a, b) => a - b);
  }
  // Map each distinct value once (to its nearest level), then keep only the levels some weight
  // took: a centroid can end up nearest to no value, and a codebook holding it would not be the
  // one that sharing the shared model again builds (sharing is idempotent; removing a level no
  // value is nearest to changes no value's nearest level).
  const shared = new Map<number, number>();
  const allLevels = codebookOf(levels, codes);
  for (const value of values) shared.set(value, allLevels[nearestCode(allLevels, value)]);
  levels = [...new Set(shared.values())].sort((a, b) => a - b);
  const codebook = codebookOf(levels, codes);
  let zeroedWeights = 0;
  let maxAbsError = 0;
  let squaredError = 0;
  for (let i = 0; i < values.length; i++) {
    const error = shared.get(values[i])! - values[i];
    maxAbsError = Math.max(maxAbsError, Math.abs(error));
    squaredError += error * error * counts[i];
    if (shared.get(values[i]) === 0) zeroedWeights += counts[i];
  }
  const replace = (matrix: IntMatrix): IntMatrix => ({
    rows: matrix.rows,
    cols: matrix.cols,
    data: matrix.data.map((value) => value === 0 ? 0 : shared.get(value)!),
  });
  const layers = model.layers.map((layer) => ({
    weightIh: replace(layer.weightIh),
    weightHh: replace(layer.weightHh),
    weightHr: layer.weightHr ? replace(layer.weightHr) : undefined,
    bias: layer.bias.slice(),
    peephole: layer.peephole?.slice(),
  }));
  // the shared weights' own accumulator width (a level can be larger than the values it stands for)
  const accumulatorBits = accumulatorBitsFor({ ...model, layers });
  const sharedModel: QuantizedModel = {
    ...model,
    format: { ...model.format, accumulatorBits },
    layers,
  };
  return {
    model: sharedModel,
    codebook,
    report: {
      codebookBits: bits,
      codebook: Array.from(codebook),
      distinctCodes: levels.length,
      distinctValuesBefore: values.length,
      nonZerosBefore,
      nonZerosAfter: nonZerosBefore - zeroedWeights,
      zeroedWeights,
      iterations,
      maxAbsError,
      rmsError: nonZerosBefore === 0 ? 0 : Math.sqrt(squaredError / nonZerosBefore),
    },
  };
}
