/**
 * Column-balanced BCR pruning (prune/balance_columns.ts, docs/pruning.md "Column balance"): the
 * same kept rows and columns per block as without balancing (so the same density), still BCR, the
 * potential sum count^3 over (column, PE) never above the unbalanced selection's, and on the
 * small speech model's layout every column's busiest PE holds at most 3 of its 8 non-zeros.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { Matrix } from "../model/model.ts";
import { columnBalanceOf, detectBcr, pruneMatrixBcr } from "../prune/mod.ts";
import { denseMatrix, integersIn, propertyTest } from "./helpers.ts";

/** sum over columns and PEs of count^3 (rows interleaved over `pes`). */
function cubicPotential(matrix: Matrix, pes: number): number {
  const counts = new Map<number, number>();
  for (let r = 0; r < matrix.rows; r++) {
    for (let c = 0; c < matrix.cols; c++) {
      if (matrix.data[r * matrix.cols + c] === 0) continue;
      const key = c * pes + (r % pes);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let phi = 0;
  for (const n of counts.values()) phi += n ** 3;
  return phi;
}

propertyTest(
  "column balance: per-block counts and BCR kept, the potential never above the plain selection's",
  60,
  fc.property(
    integersIn({
      pes: [2, 8],
      blockRows: [1, 8],
      blockCols: [1, 6],
      gridRows: [1, 6],
      cols: [1, 20],
      keep: [1, 4],
    }),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    ({ pes, blockRows, blockCols, gridRows, cols, keep }, seed) => {
      const matrix = denseMatrix(blockRows * gridRows, cols, seed);
      const block = { rows: blockRows, cols: Math.min(cols, blockCols) };
      const rates = { colKeep: keep / 4, rowKeep: (5 - keep) / 4 };
      const plain = pruneMatrixBcr(matrix, { block, ...rates });
      const balanced = pruneMatrixBcr(matrix, { block, ...rates, pes, balance: "columns" });
      assert.equal(balanced.stats.nonZeros, plain.stats.nonZeros);
      balanced.pattern.forEach((b, i) => {
        assert.equal(b.keptRows.length, plain.pattern[i].keptRows.length);
        assert.equal(b.keptCols.length, plain.pattern[i].keptCols.length);
      });
      assert.ok(detectBcr(balanced.matrix, block).isBcr);
      assert.ok(cubicPotential(balanced.matrix, pes) <= cubicPotential(plain.matrix, pes));
    },
  ),
);

Deno.test("column balance on the small speech layout: no column above 3 entries in a PE", () => {
  // 4H = 256 rows, 64 columns, 8x8 blocks at 0.5 x 0.5 on 32 PEs: 2 entries per column and PE
  // on average; balancing rows over whole matrices leaves columns with 6 in one PE
  const matrix = denseMatrix(256, 64, 11);
  const options = { block: { rows: 8, cols: 8 }, colKeep: 0.5, rowKeep: 0.5, pes: 32 };
  const rows = columnBalanceOf(pruneMatrixBcr(matrix, options).matrix, 32);
  const columns = columnBalanceOf(
    pruneMatrixBcr(matrix, { ...options, balance: "columns" }).matrix,
    32,
  );
  assert.equal(columns.meanMean, 2);
  assert.ok(columns.worst <= 3, `worst ${columns.worst}`);
  assert.ok(rows.meanMax > 4, `rows-balanced mean max ${rows.meanMax}`);
});
