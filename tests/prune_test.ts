/**
 * Properties of BCR pruning (prune/prune.ts): outputs are BCR for the block, keep counts stay within
 * one row/column of the rate in every block (so the density is met within one row/column per
 * block), results are deterministic, PE loads are balanced, edge blocks work; plus magnitude
 * pruning and BCR detection.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { Matrix } from "../model/model.ts";
import {
  bcrStructure,
  type BlockSize,
  checkBlockFits,
  detectBcr,
  findBcrBlocks,
  magnitudePrune,
  modelPeLoad,
  parseBlock,
  peLoadImbalance,
  pruneMatrixBcr,
  pruneModelBcr,
} from "../prune/mod.ts";
import { randomModel, seededRandom } from "../model/random.ts";
import { denseMatrix, integersIn, propertyTest } from "./helpers.ts";

const RUNS = 500;

/** A matrix shape, a block that fits it (sometimes "all" in a dimension) and a seed. */
const shapeAndBlock = fc.record({
  rows: fc.integer({ min: 1, max: 40 }),
  cols: fc.integer({ min: 1, max: 40 }),
  blockRowsPick: fc.double({ min: 0, max: 1, noNaN: true }),
  blockColsPick: fc.double({ min: 0, max: 1, noNaN: true }),
  wholeRows: fc.boolean(),
  wholeCols: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
}).map((s) => {
  const side = (n: number, pick: number, whole: boolean) =>
    whole && pick < 0.2 ? Infinity : 1 + Math.min(n - 1, Math.floor(pick * n));
  const block: BlockSize = {
    rows: side(s.rows, s.blockRowsPick, s.wholeRows),
    cols: side(s.cols, s.blockColsPick, s.wholeCols),
  };
  return { matrix: denseMatrix(s.rows, s.cols, s.seed), block };
});

const keepFraction = fc.oneof(
  fc.constantFrom(1, 0.5, 0.25, 0.75, 1 / 3),
  fc.double({ min: 0.01, max: 1, noNaN: true }),
);

/** Blocks of a matrix with their clipped sizes. */
function blocksOf(matrix: Matrix, block: BlockSize) {
  return bcrStructure(matrix, block);
}

/** The checks every BCR result must pass. */
function assertBcrResult(
  input: Matrix,
  result: ReturnType<typeof pruneMatrixBcr>,
  block: BlockSize,
): void {
  const { matrix, pattern } = result;
  assert.equal(matrix.rows, input.rows);
  assert.equal(matrix.cols, input.cols);
  // BCR for the block, and exactly the pattern's rectangles survive, unchanged.
  assert.ok(detectBcr(matrix, block).isBcr, "output is not BCR for the block");
  const expected = new Uint8Array(input.rows * input.cols);
  for (const b of pattern) {
    for (const r of b.keptRows) for (const c of b.keptCols) expected[r * input.cols + c] = 1;
  }
  for (let i = 0; i < matrix.data.length; i++) {
    if (expected[i]) assert.equal(matrix.data[i], input.data[i]);
    else assert.equal(matrix.data[i], 0);
  }
  // The detected structure equals the pattern.
  const detected = blocksOf(matrix, block);
  assert.equal(detected.length, pattern.length);
  detected.forEach((b, k) => {
    assert.deepEqual(b.keptRows, pattern[k].keptRows);
    assert.deepEqual(b.keptCols, pattern[k].keptCols);
  });
}

Deno.test("explicit rates: BCR output, counts within one of the rate per block, exact quotas", () => {
  fc.assert(
    fc.property(
      shapeAndBlock,
      keepFraction,
      keepFraction,
      ({ matrix, block }, colKeep, rowKeep) => {
        const result = pruneMatrixBcr(matrix, { block, colKeep, rowKeep });
        assertBcrResult(matrix, result, block);
        let colTotal = 0;
        let colKept = 0;
        let bound = 0;
        for (const b of result.pattern) {
          // Columns: floor or ceil of colKeep x width. Rows: within one of rowKeep x height.
          const kc = b.keptCols.length;
          const kr = b.keptRows.length;
          colTotal += b.cols;
          bound += b.cols + b.rows;
          // (a block whose rows all went reports its columns as empty too)
          if (kr > 0) {
            assert.ok(
              Math.abs(kc - colKeep * b.cols) < 1 + 1e-9,
              `kept ${kc} of ${b.cols} columns`,
            );
            assert.ok(Math.abs(kr - rowKeep * b.rows) <= 1 + 1e-9, `kept ${kr} of ${b.rows} rows`);
            colKept += kc;
          }
          if (colKeep === 1) assert.equal(kc, kr > 0 ? b.cols : 0);
          if (rowKeep === 1 && kc > 0) assert.equal(kr, b.rows);
        }
        const expectedCols = Math.floor(colKeep * colTotal + 0.5 + 1e-9);
        if (rowKeep === 1) assert.equal(colKept, expectedCols);
        else assert.ok(colKept <= expectedCols);
        // Requested density met within one row plus one column per block.
        const weights = matrix.rows * matrix.cols;
        assert.ok(
          Math.abs(result.stats.nonZeros - colKeep * rowKeep * weights) <= bound,
          `non-zeros ${result.stats.nonZeros}, requested ${colKeep * rowKeep * weights}`,
        );
        if (colKeep === 1 && rowKeep === 1) assert.deepEqual(result.matrix.data, matrix.data);
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("density target: BCR output, density met within one row/column", () => {
  fc.assert(
    fc.property(
      shapeAndBlock,
      keepFraction,
      fc.constantFrom(0, 0.25, 0.5, 0.75, 1),
      ({ matrix, block }, density, colShare) => {
        const result = pruneMatrixBcr(matrix, { block, density, colShare });
        assertBcrResult(matrix, result, block);
        const { rows: blockRows, cols: blockCols } = result.stats.block;
        const target = density * matrix.rows * matrix.cols;
        assert.ok(
          Math.abs(result.stats.nonZeros - target) <= Math.max(blockRows, blockCols),
          `non-zeros ${result.stats.nonZeros}, target ${target}, block ${blockRows}x${blockCols}`,
        );
        if (density === 1) assert.deepEqual(result.matrix.data, matrix.data);
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("pruning is deterministic (same input, same output, with and without PEs)", () => {
  fc.assert(
    fc.property(
      shapeAndBlock,
      keepFraction,
      fc.integer({ min: 1, max: 8 }),
      ({ matrix, block }, density, pes) => {
        const copy = { ...matrix, data: matrix.data.slice() };
        const a = pruneMatrixBcr(matrix, { block, density, pes });
        const b = pruneMatrixBcr(copy, { block, density, pes });
        assert.deepEqual(a.matrix.data, b.matrix.data);
        assert.deepEqual(a.pattern, b.pattern);
        assert.deepEqual(copy.data, matrix.data, "input modified");
      },
    ),
    { numRuns: RUNS },
  );
});

propertyTest(
  "load balance: same density and BCR, max load never rises, balanced within one block row of columns",
  RUNS,
  fc.property(
    integersIn({ pes: [1, 8], rowGroups: [1, 6], blockRowFactor: [1, 4], cols: [1, 24] }),
    fc.integer({ min: 1, max: 24 }),
    keepFraction,
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    ({ pes, rowGroups, blockRowFactor, cols }, blockColsPick, density, seed) => {
      // Block rows a multiple of the PE count, rows a multiple of the block rows: every block
      // holds the same number of rows of every PE.
      const blockRows = pes * blockRowFactor;
      const matrix = denseMatrix(blockRows * rowGroups, cols, seed);
      const block = { rows: blockRows, cols: Math.min(cols, blockColsPick) };
      const plain = pruneMatrixBcr(matrix, { block, density });
      const balanced = pruneMatrixBcr(matrix, { block, density, pes });
      assertBcrResult(matrix, balanced, block);
      assert.equal(balanced.stats.nonZeros, plain.stats.nonZeros);
      const before = peLoadImbalance(plain.matrix, pes);
      const after = peLoadImbalance(balanced.matrix, pes);
      assert.ok(after.max <= before.max);
      const widest = Math.max(0, ...balanced.pattern.map((b) => b.keptCols.length));
      assert.ok(
        after.max - after.min <= widest,
        `loads ${after.loads} (widest kept block ${widest})`,
      );
      // Rows stay within one of the rate in every block.
      for (const b of balanced.pattern) {
        if (b.keptCols.length === 0) continue;
        assert.ok(Math.abs(b.keptRows.length - balanced.stats.rowKeep * b.rows) <= 1 + 1e-9);
      }
    },
  ),
);

Deno.test("load balance with any shape: density, BCR and the max load are kept or improved", () => {
  fc.assert(
    fc.property(shapeAndBlock, keepFraction, fc.integer({ min: 2, max: 12 }), (s, density, pes) => {
      const plain = pruneMatrixBcr(s.matrix, { block: s.block, density });
      const balanced = pruneMatrixBcr(s.matrix, { block: s.block, density, pes });
      assertBcrResult(s.matrix, balanced, s.block);
      assert.equal(balanced.stats.nonZeros, plain.stats.nonZeros);
      assert.ok(
        peLoadImbalance(balanced.matrix, pes).max <= peLoadImbalance(plain.matrix, pes).max,
      );
    }),
    { numRuns: RUNS },
  );
});

Deno.test("load balance on an ESE-like layout: 32 PEs, 16x16 blocks, imbalance below 1%", () => {
  const matrix = denseMatrix(1024, 256, 5);
  const result = pruneMatrixBcr(matrix, { block: { rows: 16, cols: 16 }, density: 0.1, pes: 32 });
  const load = peLoadImbalance(result.matrix, 32);
  assert.ok(load.imbalance < 0.01, `imbalance ${load.imbalance}`);
  assert.ok(detectBcr(result.matrix, { rows: 16, cols: 16 }).isBcr);
  const unbalanced = pruneMatrixBcr(matrix, { block: { rows: 16, cols: 16 }, density: 0.1 });
  assert.ok(load.imbalance < peLoadImbalance(unbalanced.matrix, 32).imbalance);
});

Deno.test("edge blocks: 10x7 matrix with 4x3 blocks keeps floor/ceil counts and round(total)", () => {
  const matrix = denseMatrix(10, 7, 3);
  const result = pruneMatrixBcr(matrix, {
    block: { rows: 4, cols: 3 },
    colKeep: 0.5,
    rowKeep: 0.5,
  });
  assertBcrResult(matrix, result, { rows: 4, cols: 3 });
  // 3 block rows (4, 4, 2 rows) x 3 block columns (3, 3, 1 columns).
  assert.equal(result.pattern.length, 9);
  assert.deepEqual(result.pattern.map((b) => `${b.rows}x${b.cols}`), [
    "4x3",
    "4x3",
    "4x1",
    "4x3",
    "4x3",
    "4x1",
    "2x3",
    "2x3",
    "2x1",
  ]);
  // Column quota: round(0.5 x 21) = 11 column segments before row pruning; every block keeps
  // floor or ceil of half its width.
  for (const b of result.pattern) {
    if (b.keptRows.length === 0) continue;
    assert.ok([Math.floor(b.cols / 2), Math.ceil(b.cols / 2)].includes(b.keptCols.length));
    assert.ok([Math.floor(b.rows / 2), Math.ceil(b.rows / 2)].includes(b.keptRows.length));
  }
  // A keep fraction of 1 keeps everything, edge blocks included.
  const all = pruneMatrixBcr(matrix, { block: { rows: 4, cols: 3 }, colKeep: 1, rowKeep: 1 });
  assert.deepEqual(all.matrix.data, matrix.data);
});

Deno.test("columns are removed by L2 norm inside the block, then rows over the kept columns", () => {
  // One 4x4 block: columns 2 and 0 have the largest norms. Over all columns row 0 is the
  // strongest row, but over the kept columns {0, 2} row 3 is: it alone is kept.
  const data = Float64Array.from([
    [1, 1.5, 3, 1.5],
    [0.1, 0.1, 0.2, 0.1],
    [0.5, 0.1, 2, 0.1],
    [2, 0.1, 2.5, 0.1],
  ].flat());
  const matrix = { rows: 4, cols: 4, data };
  const result = pruneMatrixBcr(matrix, {
    block: { rows: 4, cols: 4 },
    colKeep: 0.5,
    rowKeep: 0.25,
  });
  assert.deepEqual(result.pattern[0].keptCols, [0, 2]);
  assert.deepEqual(result.pattern[0].keptRows, [3]);
  assert.deepEqual(Array.from(result.matrix.data), [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    2,
    0,
    2.5,
    0,
  ]);
});

Deno.test("model pruning: every matrix pruned, biases and peepholes untouched, input unchanged", () => {
  const shape = { kind: "lstm", inputSize: 6, hiddenSize: 8, numLayers: 2, projSize: 4 } as const;
  const model = randomModel({ ...shape, peepholes: true, seed: 9 });
  const before = JSON.stringify(model.layers.map((l) => Array.from(l.weightHh.data)));
  const { model: pruned, report } = pruneModelBcr(model, {
    block: { rows: 4, cols: 4 },
    rates: { density: 0.5 },
    perMatrix: { weight_hr_l1: { colKeep: 1, rowKeep: 1 } },
    pes: 4,
  });
  assert.equal(JSON.stringify(model.layers.map((l) => Array.from(l.weightHh.data))), before);
  assert.equal(report.matrices.length, 6);
  pruned.layers.forEach((layer, l) => {
    assert.deepEqual(layer.biasIh, model.layers[l].biasIh);
    assert.deepEqual(layer.biasHh, model.layers[l].biasHh);
    assert.deepEqual(layer.peephole, model.layers[l].peephole);
  });
  assert.deepEqual(pruned.layers[1].weightHr!.data, model.layers[1].weightHr!.data);
  for (const m of report.matrices) {
    if (m.name !== "weight_hr_l1") {
      assert.ok(Math.abs(m.density - 0.5) < 0.1, `${m.name} ${m.density}`);
    }
    assert.ok(m.peLoad);
  }
  assert.equal(report.peLoad!.pes, 4);
  assert.equal(report.peLoad!.loads.reduce((a, b) => a + b, 0), report.nonZeros);
  assert.deepEqual(modelPeLoad(pruned, 4), report.peLoad);
});

Deno.test("magnitude pruning keeps exactly round(d n) largest weights, per matrix or globally", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), keepFraction, (seed, density) => {
      const model = randomModel({ kind: "gru", inputSize: 5, hiddenSize: 6, numLayers: 2, seed });
      const perMatrix = magnitudePrune(model, density, "per-matrix");
      model.layers.forEach((layer, l) => {
        for (const key of ["weightIh", "weightHh"] as const) {
          const dense = layer[key].data;
          const sparse = perMatrix.layers[l][key].data;
          const kept = Array.from(sparse).filter((w) => w !== 0).length;
          assert.equal(kept, Math.floor(density * dense.length + 0.5 + 1e-9));
          let smallestKept = Infinity;
          let largestPruned = 0;
          sparse.forEach((w, i) => {
            if (w !== 0) {
              assert.equal(w, dense[i]);
              smallestKept = Math.min(smallestKept, Math.abs(w));
            } else largestPruned = Math.max(largestPruned, Math.abs(dense[i]));
          });
          assert.ok(smallestKept >= largestPruned);
        }
      });
      const global = magnitudePrune(model, density, "global");
      const all = global.layers.flatMap((l) => [...l.weightIh.data, ...l.weightHh.data]);
      const total = model.layers.reduce(
        (s, l) => s + l.weightIh.data.length + l.weightHh.data.length,
        0,
      );
      assert.equal(all.filter((w) => w !== 0).length, Math.floor(density * total + 0.5 + 1e-9));
    }),
    { numRuns: 100 },
  );
});

Deno.test("detectBcr: arbitrary BCR patterns are recognised, one hole is found", () => {
  fc.assert(
    fc.property(
      shapeAndBlock,
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      ({ matrix, block }, seed) => {
        // Build a BCR matrix: random kept rows and columns per block.
        const random = seededRandom(seed);
        const bcr = {
          rows: matrix.rows,
          cols: matrix.cols,
          data: new Float64Array(matrix.data.length),
        };
        for (const b of bcrStructure(matrix, block)) {
          const rows = b.keptRows.filter(() => random() < 0.5);
          const cols = b.keptCols.filter(() => random() < 0.5);
          for (const r of rows) {
            for (const c of cols) bcr.data[r * matrix.cols + c] = matrix.data[r * matrix.cols + c];
          }
        }
        const check = detectBcr(bcr, block);
        assert.ok(check.isBcr);
        assert.equal(check.holes, 0);
        assert.equal(check.fill, 1);
        // Zero one non-zero inside a block whose kept rectangle is at least 2x2: one hole.
        const structure = bcrStructure(bcr, block);
        const target = structure.find((b) => b.keptRows.length >= 2 && b.keptCols.length >= 2);
        if (target) {
          const copy = { ...bcr, data: bcr.data.slice() };
          copy.data[target.keptRows[0] * bcr.cols + target.keptCols[0]] = 0;
          const broken = detectBcr(copy, block);
          assert.equal(broken.isBcr, false);
          assert.equal(broken.holes, 1);
          assert.equal(broken.blocksWithHoles, 1);
        }
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("findBcrBlocks detects the block shape a matrix was pruned with", () => {
  const matrix = denseMatrix(64, 64, 8);
  for (const block of [{ rows: 16, cols: 16 }, { rows: 8, cols: 32 }, { rows: 4, cols: 4 }]) {
    const pruned = pruneMatrixBcr(matrix, { block, colKeep: 0.5, rowKeep: 0.5 }).matrix;
    const found = findBcrBlocks(pruned);
    assert.ok(
      found.some((b) => b.rows === block.rows && b.cols === block.cols),
      `${JSON.stringify(found)} for ${JSON.stringify(block)}`,
    );
    // A dense matrix is trivially BCR for every block.
    assert.deepEqual(findBcrBlocks(denseMatrix(8, 8, 1)), [{ rows: 8, cols: 8 }]);
  }
});

Deno.test("block parsing and fitting", () => {
  assert.deepEqual(parseBlock("16x8"), { rows: 16, cols: 8 });
  assert.deepEqual(parseBlock("16xall"), { rows: 16, cols: Infinity });
  assert.deepEqual(parseBlock("all X 4"), { rows: Infinity, cols: 4 });
  for (const bad of ["16", "16x", "x16", "0x4", "4x0", "-4x4", "4.5x4", "4*4", ""]) {
    assert.equal(parseBlock(bad), null, bad);
  }
  const model = randomModel({ kind: "gru", inputSize: 3, hiddenSize: 4, numLayers: 1, seed: 1 });
  assert.deepEqual(checkBlockFits(model, { rows: 4, cols: 4 }), ["weight_ih_l0 (12x3)"]);
  assert.deepEqual(checkBlockFits(model, { rows: 4, cols: Infinity }), []);
});
