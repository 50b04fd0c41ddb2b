/**
 * Weight sharing (ese codebook): every non-zero weight maps to the nearest codebook value, code 0
 * is 0, no non-zero weight becomes 0, the result is deterministic, and the shared model encodes
 * and decodes exactly with its codebook; the golden model runs on the shared model.
 *
 * Runs use fast-check's random seed; set FC_SEED to replay one.
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import {
  decodeImage,
  encodeModel,
  hardwareSegments,
  kMeans1d,
  nearestCode,
  quantizedSegments,
  shareWeights,
} from "../encode/mod.ts";
import {
  DEFAULT_FIXED_CONFIG,
  type IntMatrix,
  type QuantizedModel,
  quantizeInputs,
  quantizeModel,
  runFixed,
} from "../model/fixed.ts";
import { randomInputs, randomModel, seededRandom } from "../model/random.ts";
import { fcParameters } from "./helpers.ts";

/** A small random quantized model with some of its weights pruned to zero. */
const modelCase = fc.record({
  kind: fc.constantFrom("lstm" as const, "gru" as const),
  inputSize: fc.integer({ min: 1, max: 12 }),
  hiddenSize: fc.integer({ min: 1, max: 12 }),
  numLayers: fc.integer({ min: 1, max: 2 }),
  projSize: fc.constantFrom(0, 0, 3),
  weightBits: fc.integer({ min: 2, max: 16 }),
  density: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  scale: fc.constantFrom(undefined, 0.01, 1, 4),
  seed: fc.integer(),
  codebookBits: fc.integer({ min: 1, max: 8 }),
}).map((c): { model: QuantizedModel; codebookBits: number } => {
  const float = randomModel({
    kind: c.kind,
    inputSize: c.inputSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    projSize: c.projSize,
    peepholes: c.kind === "lstm",
    scale: c.scale,
    seed: c.seed,
  });
  const random = seededRandom(c.seed + 7);
  for (const layer of float.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      matrix.data.forEach((_, i) => {
        if (random() >= c.density) matrix.data[i] = 0;
      });
    }
  }
  const model = quantizeModel(float, { ...DEFAULT_FIXED_CONFIG, weightBits: c.weightBits });
  return { model, codebookBits: c.codebookBits };
});

function weightMatrices(model: QuantizedModel): IntMatrix[] {
  return quantizedSegments(model).map((segment) => segment.matrix);
}

Deno.test("weight sharing: every non-zero weight maps to its nearest codebook value", () => {
  fc.assert(
    fc.property(modelCase, ({ model, codebookBits }) => {
      const before = structuredClone(model);
      const { model: shared, codebook, report } = shareWeights(model, codebookBits);
      assert.equal(codebook.length, 2 ** codebookBits);
      assert.equal(codebook[0], 0, "code 0 is 0");
      const wb = model.format.weightBits;
      for (const value of codebook) {
        assert.ok(value >= -(2 ** (wb - 1)) && value < 2 ** (wb - 1), `${value} fits ${wb} bits`);
      }
      const originals = weightMatrices(model);
      const results = weightMatrices(shared);
      const distinct = new Set<number>();
      originals.forEach((original, m) => {
        original.data.forEach((w, i) => {
          const s = results[m].data[i];
          if (w === 0) {
            assert.equal(s, 0, "zeros stay zero");
            return;
          }
          distinct.add(w);
          assert.notEqual(s, 0, "a non-zero weight never becomes 0");
          let best = Infinity;
          for (let code = 1; code < codebook.length; code++) {
            best = Math.min(best, Math.abs(codebook[code] - w));
          }
          assert.equal(Math.abs(s - w), best, `${w} -> ${s} is a nearest codebook value`);
          assert.equal(s, codebook[nearestCode(codebook, w)]);
        });
      });
      if (distinct.size <= 2 ** codebookBits - 1) {
        assert.deepStrictEqual(results, originals, "few distinct values: sharing is lossless");
      }
      assert.equal(report.zeroedWeights, 0);
      assert.equal(report.nonZerosAfter, report.nonZerosBefore);
      // Biases and peepholes untouched, the input model not mutated.
      shared.layers.forEach((layer, l) => {
        assert.deepStrictEqual(layer.bias, model.layers[l].bias);
        assert.deepStrictEqual(layer.peephole, model.layers[l].peephole);
      });
      assert.deepStrictEqual(model, before);
    }),
    fcParameters(500),
  );
});

Deno.test("weight sharing is deterministic", () => {
  fc.assert(
    fc.property(modelCase, ({ model, codebookBits }) => {
      const first = shareWeights(model, codebookBits);
      const second = shareWeights(structuredClone(model), codebookBits);
      assert.deepStrictEqual(second, first);
    }),
    fcParameters(300),
  );
});

Deno.test("the shared model encodes with its codebook and decodes exactly; the golden model runs", () => {
  fc.assert(
    fc.property(
      modelCase,
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 8 }),
      ({ model, codebookBits }, pes, indexBits) => {
        const { image, sharing, segments } = encodeModel(model, {
          format: "ese",
          pes,
          indexBits,
          codebookBits,
        });
        assert.ok(sharing);
        const expected = hardwareSegments(sharing.model, pes, "ese", 1);
        assert.deepStrictEqual(segments, expected);
        assert.deepStrictEqual(
          decodeImage(image).map((segment) => segment.matrix),
          expected.map((segment) => segment.matrix),
        );
        const inputs = quantizeInputs(randomInputs(3, model.inputSize, 1), model.format);
        const outputs = runFixed(sharing.model, inputs);
        assert.equal(outputs.length, 3);
      },
    ),
    fcParameters(300),
  );
});

Deno.test("k-means finds well-separated clusters and keeps centroids away from 0", () => {
  // Three tight clusters around -100, 3 and 200, three centroids.
  const values = [-101, -100, -99, 2, 3, 4, 199, 200, 201];
  const counts = values.map(() => 1);
  const { centroids } = kMeans1d(values, counts, 3);
  assert.deepStrictEqual(centroids, [-100, 3, 200]);
  // Symmetric values around 0 with an odd centroid count: the middle centroid is not 0.
  const symmetric = kMeans1d([-3, -2, -1, 1, 2, 3], [1, 1, 1, 1, 1, 1], 3);
  assert.ok(symmetric.centroids.every((c) => Math.floor(c + 0.5) !== 0));
});

Deno.test("weight sharing of a 12-bit model with 4-bit codes: 15 values, error reported", () => {
  const float = randomModel({ kind: "lstm", inputSize: 16, hiddenSize: 32, numLayers: 1, seed: 3 });
  const model = quantizeModel(float);
  const { codebook, report } = shareWeights(model, 4);
  assert.equal(report.distinctCodes, 15);
  assert.deepStrictEqual(
    Array.from(codebook).slice(1),
    [...codebook.slice(1)].sort((a, b) => a - b),
  );
  assert.ok(report.maxAbsError > 0 && report.rmsError > 0 && report.rmsError <= report.maxAbsError);
  assert.ok(report.iterations >= 1);
});

Deno.test("weight sharing is idempotent: sharing a shared model keeps its weights and codebook", () => {
  fc.assert(
    fc.property(modelCase, ({ model, codebookBits }) => {
      const once = shareWeights(model, codebookBits);
      const twice = shareWeights(once.model, codebookBits);
      assert.deepEqual(weightMatrices(twice.model), weightMatrices(once.model));
      assert.deepEqual(Array.from(twice.codebook), Array.from(once.codebook));
    }),
    fcParameters(300),
  );
});
