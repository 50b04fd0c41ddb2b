/**
 * Column-balanced BCR pruning (prune/balance_columns.ts, docs/pruning.md "Column balance"): the
 * same kept rows and columns per block as without balancing (so the same density), still BCR, the
 * potential sum count^3 over (column, PE) never above the unbalanced selection's, and on the
 * small speech model's layout every column's busiest PE holds at most 3 of its 8 non-zeros. With lane
 * groups (`--lanes L`): groups stay whole, the potential counted in lines never rises, and the
 * busiest PE's lines per column drop; `prune --pes --lanes --balance columns` runs and reports them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import type { Matrix } from "../model/model.ts";
import { randomModel } from "../model/random.ts";
import {
  balanceColumns,
  type BcrBlockPattern,
  columnBalanceOf,
  columnPeCounts,
  detectBcr,
  modelLaneOrder,
  pruneMatrixBcr,
  pruneModelBcr,
} from "../prune/mod.ts";
import { makeGrid } from "../prune/block.ts";
import { denseMatrix, integersIn, propertyTest, REPO_ROOT, runDenoScript } from "./helpers.ts";

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

/** sum of count^3 over a count table. */
function cubeSum(counts: Int32Array): number {
  let phi = 0;
  for (const n of counts) phi += n ** 3;
  return phi;
}

/** Every lane group of every block is kept whole or pruned whole. */
function assertGroupsWhole(pattern: BcrBlockPattern[], rowGroups: Int32Array): void {
  for (const b of pattern) {
    const kept = new Set(b.keptRows);
    for (let r = b.rowStart + 1; r < b.rowStart + b.rows; r++) {
      if (rowGroups[r] === rowGroups[r - 1]) {
        assert.equal(kept.has(r), kept.has(r - 1), `group of row ${r} split`);
      }
    }
  }
}

propertyTest(
  "column balance with lane groups: groups whole, per-block counts kept, potential in lines never up",
  50,
  fc.property(
    integersIn({ pes: [2, 6], lanes: [2, 4], linesPerPe: [1, 4], blockGroups: [1, 4] }),
    integersIn({ blockCols: [1, 6], cols: [1, 20], keep: [1, 3], seed: [0, 2 ** 31 - 1] }),
    ({ pes, lanes, linesPerPe, blockGroups }, { blockCols, cols, keep, seed }) => {
      const rows = pes * lanes * linesPerPe;
      const { groups: rowGroups } = modelLaneOrder(rows, null, pes, lanes);
      const matrix = denseMatrix(rows, cols, seed);
      const block = { rows: Math.min(rows, blockGroups * lanes), cols: Math.min(cols, blockCols) };
      const rates = { colKeep: keep / 4, rowKeep: (4 - keep) / 4 };
      const plain = pruneMatrixBcr(matrix, { block, ...rates, rowGroups });
      // the balancer alone, from the plain selection
      const grid = makeGrid(matrix, block);
      const keptCols = plain.pattern.map((b) => b.keptCols.slice());
      const keptRowFlags = plain.pattern.map((b) => {
        const flags = new Uint8Array(b.rows);
        for (const r of b.keptRows) flags[r - b.rowStart] = 1;
        return flags;
      });
      const before = cubeSum(columnPeCounts(grid, pes, keptCols, keptRowFlags, rowGroups));
      const moves = balanceColumns({ matrix, grid, pes, keptCols, keptRowFlags, rowGroups });
      const after = cubeSum(columnPeCounts(grid, pes, keptCols, keptRowFlags, rowGroups));
      assert.ok(moves > 0 ? after < before : after === before, `phi ${before} -> ${after}`);
      plain.pattern.forEach((b, i) => {
        assert.equal(keptRowFlags[i].reduce((a, f) => a + f, 0), b.keptRows.length);
        assert.equal(keptCols[i].length, b.keptCols.length);
        const colStart = b.colStart;
        assert.ok(keptCols[i].every((c) => c >= colStart && c < colStart + b.cols));
      });
      // through pruneMatrixBcr: density kept, BCR, groups whole
      const balanced = pruneMatrixBcr(matrix, {
        block,
        ...rates,
        rowGroups,
        pes,
        balance: "columns",
      });
      assert.equal(balanced.stats.nonZeros, plain.stats.nonZeros);
      assert.ok(detectBcr(balanced.matrix, block).isBcr);
      assertGroupsWhole(balanced.pattern, rowGroups);
    },
  ),
);

Deno.test("column balance with lanes: the busiest PE's lines per column drop, the mean stays", () => {
  // LSTM 32/128: 4 PEs x 4 lanes, 8 lines of a gate per PE; blocks of 16 rows (one line of each
  // PE) x 8 columns at 0.5 x 0.5: 8 lines per column and PE on average in the gate matrices
  const model = randomModel({
    kind: "lstm",
    inputSize: 32,
    hiddenSize: 128,
    numLayers: 1,
    seed: 3,
  });
  const options = {
    block: { rows: 16, cols: 8 },
    rates: { colKeep: 0.5, rowKeep: 0.5 },
    pes: 4,
    lanes: 4,
  };
  const groups = pruneModelBcr(model, options).report;
  const columns = pruneModelBcr(model, { ...options, balance: "columns" }).report;
  assert.equal(columns.nonZeros, groups.nonZeros);
  columns.matrices.forEach((m, i) => {
    const before = groups.matrices[i].columnBalance!;
    const after = m.columnBalance!;
    assert.equal(after.meanMean, before.meanMean, m.name);
    assert.ok(after.meanMax < before.meanMax, `${m.name}: ${before.meanMax} -> ${after.meanMax}`);
  });
  // in lines: the 16 rows of a gate's line in one PE count once
  const ih = columns.matrices[0].columnBalance!;
  assert.equal(ih.meanMean, (4 * 128 * 0.25) / 4 / 4);
});

Deno.test("prune --pes 4 --lanes 4 --balance columns: accepted, column balance reported in lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-prune-columns-" });
  const out = join(dir, "pruned.json");
  const flags = "--block 8x8 --col-keep 0.5 --row-keep 0.5 --pes 4 --lanes 4 --balance columns";
  const run = await runDenoScript("cli/prune.ts", [
    ...["--model", `${REPO_ROOT}examples/lstm.json`, "--out", out],
    ...flags.split(" "),
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /column max\/mean: per column, the busiest and the mean PE's lines of 4/,
  );
  const report = JSON.parse(await Deno.readTextFile(join(dir, "pruned.prune.json")));
  assert.equal(report.overall.isBcr, true);
  for (const m of report.matrices) {
    assert.ok(m.columnBalance.meanMax >= m.columnBalance.meanMean, m.name);
  }
  await Deno.remove(dir, { recursive: true });
});
