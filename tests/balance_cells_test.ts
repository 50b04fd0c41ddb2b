/**
 * Renumbering a layer's cells (model/permute.ts) keeps the model's function, bit for bit in fixed
 * point (dense and delta golden models); the cell balance (encode/balance_cells.ts) moves whole
 * line groups, never raises the busiest PE's lines on its frames, and gives a permutation;
 * `gen --balance-data` builds the balanced model's delta design.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { quantizeInputs, quantizeModel, runFixed } from "../model/fixed.ts";
import { runFixedDelta } from "../model/delta_run.ts";
import { fixedThresholds } from "../model/delta.ts";
import { runFloat } from "../model/float.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { saveModel } from "../model/model_io.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import { resolveAcceleratorConfig } from "../rtl/config.ts";
import { designThresholds } from "../rtl/design_schema.ts";
import { generateFromModel } from "../rtl/mod.ts";
import { expectUserError, runDenoScript, withTempDir } from "./helpers.ts";
import type { RnnModel } from "../model/model.ts";
import { cellsPermutable, isPermutation, permuteCells } from "../model/permute.ts";
import { balanceCells, cellLineGroups, groupColumnWork } from "../encode/balance_cells.ts";
import { describeCellBalance } from "../rtl/cell_balance.ts";

/** A random permutation of 0 .. n - 1 from fast-check's shuffled keys. */
function permutationOf(keys: number[]): Int32Array {
  const pairs = keys.map((key, i) => [key, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return Int32Array.from(pairs, (pair) => pair[1]);
}

const SHAPES: { kind: "lstm" | "gru"; projSize?: number; peepholes?: boolean }[] = [
  { kind: "lstm", projSize: 3, peepholes: true },
  { kind: "lstm" },
  { kind: "gru" },
];

Deno.test("permuteCells: the fixed-point outputs bit for bit (dense and delta), float within rounding", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...SHAPES),
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.integer(), { minLength: 6, maxLength: 6 }),
      (shape, seed, keys) => {
        const model = randomModel({ ...shape, inputSize: 4, hiddenSize: 6, numLayers: 2, seed });
        const inputs = randomInputs(5, 4, seed + 1);
        for (let layer = 0; layer < 2; layer++) {
          if (!cellsPermutable(model, layer)) continue;
          const permuted = permuteCells(model, layer, permutationOf(keys));
          assertSameFunction(model, permuted, inputs);
        }
      },
    ),
    { numRuns: 40 },
  );
});

function assertSameFunction(model: RnnModel, permuted: RnnModel, inputs: number[][]): void {
  const q = quantizeModel(model);
  const qp = quantizeModel(permuted);
  const x = quantizeInputs(inputs, q.format);
  assert.deepEqual(runFixed(qp, x), runFixed(q, x));
  const thresholds = fixedThresholds(
    { thetaX: 0.05, thetaH: 0.05, ...(model.projSize > 0 ? { thetaM: 0.05 } : {}) },
    { numLayers: 2, activationFrac: q.format.activationFrac, source: "t" },
  );
  assert.deepEqual(
    runFixedDelta(qp, x, thresholds).outputs,
    runFixedDelta(q, x, thresholds).outputs,
  );
  const a = runFloat(model, inputs).flat();
  const b = runFloat(permuted, inputs).flat();
  a.forEach((value, i) => assert.ok(Math.abs(value - b[i]) < 1e-9, `float ${value} vs ${b[i]}`));
}

Deno.test("permuteCells: refuses the cells that are the outputs, and a non-permutation", () => {
  const lstm = randomModel({ kind: "lstm", inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 });
  assert.equal(cellsPermutable(lstm, 0), true);
  assert.equal(cellsPermutable(lstm, 1), false);
  assert.throws(() => permuteCells(lstm, 1, [1, 0, 2, 3]), /are the model's outputs/);
  assert.throws(() => permuteCells(lstm, 0, [0, 0, 2, 3]), /expected a permutation of 4 cells/);
  assert.equal(isPermutation([2, 0, 1], 3), true);
  assert.equal(isPermutation([2, 0, 3], 3), false);
});

Deno.test("cellLineGroups: cell c on PE c mod N in line (c div N) div L; partial last groups", () => {
  assert.deepEqual(cellLineGroups(8, 2, 2), [[0, 2], [1, 3], [4, 6], [5, 7]]);
  // 10 cells on 4 PEs, 2 lanes: K = 3 cells a PE, 2 lines; the second line holds one cell or none
  assert.deepEqual(cellLineGroups(10, 4, 2), [[0, 4], [1, 5], [2, 6], [3, 7], [8], [9], [], []]);
});

Deno.test("balanceCells: whole groups move, the busiest PE's lines never rise, a permutation results", () => {
  // LSTMP 8 cells on 2 PEs x 2 lanes: groups {0,2} {1,3} on PE 0 and 1 (line 0), {4,6} {5,7}
  // (line 1). Input column 0 reads only cells 0 and 4 (both on PE 0): fired alone, PE 0 does 2
  // lines of each gate and PE 1 none; the balance puts the two groups on different PEs.
  const model = randomModel({
    kind: "lstm",
    inputSize: 2,
    hiddenSize: 8,
    projSize: 2,
    numLayers: 1,
    seed: 4,
  });
  const ih = model.layers[0].weightIh;
  for (let row = 0; row < ih.rows; row++) {
    const cell = row % 8;
    ih.data[row * ih.cols] = cell === 0 || cell === 4 ? 0.5 : 0;
  }
  const groups = cellLineGroups(8, 2, 2);
  const work = groupColumnWork(model, 0, groups);
  assert.deepEqual(Array.from(work.map((w) => w[0])), [4, 0, 4, 0]); // 4 gates' lines
  const frames = [[0], [0], [0, 1], [1, 3]];
  const balance = balanceCells(model, 0, { pes: 2, lanes: 2 }, frames);
  assert.ok(isPermutation(balance.order, 8));
  assert.ok(balance.busiestAfter < balance.busiestBefore, JSON.stringify(balance));
  assert.ok(balance.busiestAfter >= balance.meanPe);
  // the groups moved whole: every line of the new order holds the cells of one old group
  const oldGroupOf = new Map(groups.flatMap((cells, g) => cells.map((cell) => [cell, g])));
  for (const cells of groups) {
    assert.equal(new Set(cells.map((cell) => oldGroupOf.get(balance.order[cell]))).size, 1);
  }
  // the figure is the permuted model's own: its PE work on the frames, recomputed
  const permuted = permuteCells(model, 0, balance.order);
  const again = balanceCells(permuted, 0, { pes: 2, lanes: 2, maxEvaluations: 0 }, frames);
  assert.equal(again.busiestBefore, balance.busiestAfter);
});

Deno.test("gen --balance-data: a delta design of the balanced model (its record in design.json, the same delta golden outputs); refused without delta", async () => {
  await withTempDir("rnnfab-balance-gen-", async (dir) => {
    const model = randomModel({
      kind: "lstm",
      inputSize: 4,
      hiddenSize: 16,
      projSize: 4,
      numLayers: 1,
      seed: 12,
    });
    // a sparse model: whatever fires costs the PEs unevenly
    for (const matrix of [model.layers[0].weightIh, model.layers[0].weightHh]) {
      matrix.data.forEach((value, i) => matrix.data[i] = Math.abs(value) < 0.15 ? 0 : value);
    }
    await saveModel(model, `${dir}/m.json`);
    const walks = Array.from({ length: 3 }, (_, k) => randomInputs(12, 4, 70 + k));
    await Deno.writeTextFile(`${dir}/v.json`, JSON.stringify({ sequences: walks }));
    const delta = { thetaX: 0.05, thetaH: 0.05, thetaM: 0.05 };
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ delta }));
    const args = ["--model", `${dir}/m.json`, "--pes", "4", "--format", "ese"];
    const run = await runDenoScript("cli/gen.ts", [
      ...args,
      ...["--config", `${dir}/c.json`, "--out", `${dir}/d`, "--balance-data", `${dir}/v.json`],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /cell balance, layer 0: the busiest PE's lines a frame/);
    const design = JSON.parse(await Deno.readTextFile(`${dir}/d/design.json`));
    const record = design.cellBalance;
    assert.equal(record.sequences, 3);
    assert.equal(record.frames, 36);
    assert.ok(isPermutation(record.layers[0].order, 16));
    assert.ok(record.layers[0].busiestAfter <= record.layers[0].busiestBefore);
    const held = await readQuantizedModel(`${dir}/d/quantized.json`);
    const original = generateFromModel(model, {
      ...resolveAcceleratorConfig([{ settings: { pes: 4, format: "ese", delta }, source: "t" }]),
    }).design;
    const x = quantizeInputs(randomInputs(6, 4, 5), held.format);
    const thresholds = designThresholds(design.delta);
    assert.deepEqual(
      runFixedDelta(held, x, thresholds).outputs,
      runFixedDelta(original.quantized, x, thresholds).outputs,
    );
    const refused = await runDenoScript("cli/gen.ts", [
      ...args,
      ...["--out", `${dir}/e`, "--balance-data", `${dir}/v.json`],
    ]);
    assert.match(expectUserError(refused), /cell balance: expected a delta design/);
  });
});

Deno.test("describeCellBalance: a line for every layer, the balanced ones' figures and why others are left", () => {
  const figures = { busiestBefore: 148.6, busiestAfter: 144.2, meanPe: 128, movedGroups: 12 };
  assert.deepEqual(
    describeCellBalance({ data: "v.json", sequences: 30, frames: 900, layers: [figures, null] }),
    [
      "cell balance, layer 0: the busiest PE's lines a frame 148.6 -> 144.2 (mean PE 128.0; 12 " +
      "line groups moved; computed on 900 frames of 30 sequences of v.json)",
      "cell balance, layer 1: left as it is (its cells are the model's outputs: the last layer, " +
      "without a projection, cannot be renumbered)",
    ],
  );
});
