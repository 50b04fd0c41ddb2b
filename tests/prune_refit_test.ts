/**
 * The one-shot corrections after the mask is chosen (prune/refit.ts, prune/bias_correct.ts): they
 * never change the zero mask, the bias correction is the identity when the pruned model makes no
 * error on the calibration data, and each does what it promises on that data.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { outputFidelity, searchLoss } from "../prune/search.ts";
import { correctBiases, correctBiasesIfBetter } from "../prune/bias_correct.ts";
import {
  layerFeatures,
  layerModel,
  refitKeptWeights,
  refitRidges,
  rowDot,
} from "../prune/refit.ts";
import { runFloat } from "../model/float.ts";
import { cloneModel, namedMatrices, type RnnModel } from "../model/model.ts";
import { randomInputs } from "../model/random.ts";
import { asyncPropertyTest, densePrunedPair, modelShapeFields } from "./helpers.ts";

const shapes = fc.record({
  ...modelShapeFields({ inputSize: 6, hiddenSize: 8, numLayers: 2, projSize: 3, seed: 1000 }),
  density: fc.constantFrom(0.25, 0.5, 0.75),
  sequences: fc.integer({ min: 1, max: 3 }),
  steps: fc.integer({ min: 1, max: 6 }),
});

type Shape = typeof shapes extends fc.Arbitrary<infer T> ? T : never;

function pairOf(shape: Shape) {
  const { dense, pruned } = densePrunedPair(shape, { rows: 2, cols: 2, density: shape.density });
  const sequences = Array.from(
    { length: shape.sequences },
    (_, n) => randomInputs(shape.steps, shape.inputSize, shape.seed + 7 * n + 1),
  );
  return { dense, pruned, sequences };
}

/** Same zeros in every weight matrix. */
function sameMask(a: RnnModel, b: RnnModel): boolean {
  const bs = namedMatrices(b);
  return namedMatrices(a).every(({ matrix }, m) =>
    matrix.data.every((value, i) => (value === 0) === (bs[m].matrix.data[i] === 0))
  );
}

/** Identical weight matrices (biases and peepholes aside). */
function sameWeights(a: RnnModel, b: RnnModel): boolean {
  const bs = namedMatrices(b);
  return namedMatrices(a).every(({ matrix }, m) =>
    matrix.data.every((value, i) => value === bs[m].matrix.data[i])
  );
}

asyncPropertyTest(
  "refit and bias correction never change the zero mask; the bias correction changes biases only",
  25,
  fc.asyncProperty(shapes, async (shape) => {
    const { dense, pruned, sequences } = pairOf(shape);
    const refitted = await refitKeptWeights(dense, pruned, sequences);
    assert(sameMask(refitted, pruned));
    for (const inputs of ["pruned", "dense"] as const) {
      const corrected = await correctBiases(dense, refitted, { sequences, inputs });
      assert(sameWeights(corrected, refitted));
      corrected.layers.forEach((layer, l) => {
        assert(layer.peephole?.join() === refitted.layers[l].peephole?.join());
      });
    }
  }),
);

asyncPropertyTest(
  "with zero calibration error the bias correction is the identity",
  25,
  fc.asyncProperty(shapes, async (shape) => {
    const { dense, sequences } = pairOf(shape);
    for (const inputs of ["pruned", "dense"] as const) {
      const corrected = await correctBiases(dense, cloneModel(dense), { sequences, inputs });
      corrected.layers.forEach((layer, l) => {
        assert(layer.biasIh.every((b, r) => b === dense.layers[l].biasIh[r]));
        assert(layer.biasHh.every((b, r) => b === dense.layers[l].biasHh[r]));
      });
    }
  }),
);

/** Mean over the steps of each row's input and recurrent terms (weights times inputs, + bias). */
function meanTerms(model: RnnModel, layer: number, features: Float64Array[]) {
  const { weightIh, weightHh, biasIh, biasHh } = model.layers[layer];
  const rows = weightIh.rows;
  const ih = new Float64Array(rows);
  const hh = new Float64Array(rows);
  for (const v of features) {
    for (let r = 0; r < rows; r++) {
      ih[r] += (rowDot(weightIh, r, v, 0) + biasIh[r]) / features.length;
      hh[r] += (rowDot(weightHh, r, v, weightIh.cols) + biasHh[r]) / features.length;
    }
  }
  return { ih, hh };
}

asyncPropertyTest(
  "on the dense trajectory the corrected mean terms equal the dense model's, row by row",
  20,
  fc.asyncProperty(shapes, async (shape) => {
    const { dense, pruned, sequences } = pairOf({ ...shape, numLayers: 1 });
    const corrected = await correctBiases(dense, pruned, { sequences, inputs: "dense" });
    const outputs = sequences.map((s) => runFloat(layerModel(dense, 0), s));
    const features = layerFeatures(sequences, outputs);
    const want = meanTerms(dense, 0, features);
    const got = meanTerms(corrected, 0, features);
    const close = (a: Float64Array, b: Float64Array) =>
      a.every((x, r) => Math.abs(x - b[r]) <= 1e-9 * (1 + Math.abs(x)));
    assert(close(got.ih, want.ih) && close(got.hh, want.hh));
  }),
);

Deno.test("the refit brings a pruned model's outputs closer to the dense model's on its data", async () => {
  const shape = {
    kind: "lstm" as const,
    inputSize: 6,
    hiddenSize: 12,
    numLayers: 1,
    projSize: 0,
    peepholes: false,
    seed: 3,
    density: 0.5 as const,
    sequences: 4,
    steps: 12,
  };
  const { dense, pruned, sequences } = pairOf(shape);
  const before = (await outputFidelity(dense, pruned, sequences)).relativeRmsError;
  const refitted = await refitKeptWeights(dense, pruned, sequences);
  const after = (await outputFidelity(dense, refitted, sequences)).relativeRmsError;
  assert(after < before, `relative RMS error ${before} -> ${after}`);
});

asyncPropertyTest(
  "the one-shot flow keeps the bias correction only when it lowers the search's loss",
  20,
  fc.asyncProperty(shapes, async (shape) => {
    const { dense, pruned, sequences } = pairOf(shape);
    const loss = searchLoss(dense, sequences);
    const guarded = await correctBiasesIfBetter(dense, pruned, { sequences, loss });
    assert.equal(guarded.lossBefore, await loss(pruned));
    assert.equal(guarded.lossAfter, await loss(guarded.corrected));
    assert.equal(guarded.applied, guarded.lossAfter < guarded.lossBefore);
    assert.equal(guarded.model, guarded.applied ? guarded.corrected : pruned);
    assert(await loss(guarded.model) <= guarded.lossBefore);
  }),
);

asyncPropertyTest(
  "refitRidges: one statistics pass, each ridge equal to refitKeptWeights at that ridge",
  10,
  fc.asyncProperty(shapes, async (shape) => {
    const { dense, pruned, sequences } = pairOf(shape);
    const ridges = [1e-3, 1e-1];
    for (const [k, model] of (await refitRidges(dense, pruned, sequences, ridges)).entries()) {
      const single = await refitKeptWeights(dense, pruned, sequences, { ridge: ridges[k] });
      assert(sameWeights(model, single));
    }
  }),
);
