/**
 * bench/weight_storage.ts: the bits per non-zero of one pruned model's bcr image per weight format
 * (12-bit, 8-bit, 4-bit codebook), as bench:ese's scaling rows carry them.
 */

import assert from "node:assert/strict";
import { randomModel } from "../model/random.ts";
import { quantizeModel } from "../model/fixed.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { encodeModel } from "../encode/mod.ts";
import { WEIGHT_FORMATS, weightStorage } from "../bench/weight_storage.ts";

Deno.test("weight storage: the 12-bit row is the image gen encodes; narrower weights, fewer bits", () => {
  const dense = randomModel({ kind: "lstm", inputSize: 12, hiddenSize: 16, numLayers: 1, seed: 5 });
  const block = { rows: 8, cols: 4 };
  const { model } = pruneModelBcr(dense, { block, rates: { density: 0.3 }, pes: 2, lanes: 2 });
  const rows = weightStorage(model, { pes: 2, lanes: 2, block });
  assert.deepEqual(rows.map((row) => row.format), WEIGHT_FORMATS.map((format) => format.name));
  const [w12, w8, codebook] = rows;
  const image = encodeModel(quantizeModel(model), { format: "bcr", pes: 2, lanes: 2, block }).image;
  assert.equal(w12.totalBits, image.manifest.totalBits);
  assert.equal(w12.bitsPerNonZero, image.manifest.bitsPerNonZero);
  assert.deepEqual(rows.map((row) => row.storedBits), [12, 8, 4]);
  // the weight memories shrink with the stored width (8-bit: weights rounding to 0 may drop a
  // column of a block; a codebook keeps every weight non-zero), the codebook is 16 words
  assert.ok(w8.bitsByKind.weights * 12 <= w12.bitsByKind.weights * 8);
  assert.equal(codebook.bitsByKind.weights * 12, w12.bitsByKind.weights * 4);
  assert.equal(codebook.bitsByKind.codebook, 16 * 12);
  assert.equal(codebook.nonZeros, w12.nonZeros);
  for (const row of rows) {
    assert.equal(
      row.totalBits,
      row.bitsByKind.weights + row.bitsByKind.index + row.bitsByKind.codebook,
    );
    assert.equal(row.bitsPerNonZero, row.totalBits / row.nonZeros);
  }
  assert.ok(codebook.totalBits < w8.totalBits && w8.totalBits < w12.totalBits);
});
