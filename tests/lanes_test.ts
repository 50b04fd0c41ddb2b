/**
 * MAC lanes (`gen --lanes`, `prune --lanes`, docs/architecture.md "MAC lanes"): the lane order,
 * lane-aware pruning keeping whole lines, the bcr image of such a model (no lane slot wasted on a
 * full line), K a multiple of L, and the configuration's checks. The end-to-end simulations of
 * lanes designs are cases of tests/e2e_cases.ts.
 */

import assert from "node:assert/strict";
import { randomModel } from "../model/random.ts";
import {
  detectBcr,
  laneOrderedMatrix,
  laneRowOrder,
  modelLaneOrder,
  pruneModelBcr,
} from "../prune/mod.ts";
import { cellsPerPe } from "../encode/mod.ts";
import {
  generateFromModel,
  parseAcceleratorSettings,
  resolveAcceleratorConfig,
} from "../rtl/mod.ts";
import { namedMatrices } from "../model/model.ts";

Deno.test("lane order: a permutation; each PE's line is a run of L consecutive positions", () => {
  for (const [rows, pes, lanes] of [[64, 4, 4], [37, 3, 2], [16, 1, 16], [10, 8, 8]]) {
    const order = laneRowOrder(rows, pes, lanes);
    assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: rows }, (_, r) => r));
    const group = (r: number) => `${r % pes}/${Math.floor(Math.floor(r / pes) / lanes)}`;
    const seen = new Set<string>();
    for (let i = 0; i < rows; i++) {
      const g = group(order[i]);
      if (i > 0 && group(order[i - 1]) === g) continue;
      assert.ok(!seen.has(g), `line ${g} split (rows ${rows}, pes ${pes}, lanes ${lanes})`);
      seen.add(g);
    }
  }
  assert.deepEqual([...laneRowOrder(5, 2, 1)], [0, 1, 2, 3, 4]);
});

Deno.test("lane-aware pruning keeps or drops a line's rows together, at the density asked", () => {
  const model = randomModel({ kind: "lstm", inputSize: 24, hiddenSize: 32, numLayers: 1, seed: 3 });
  const pes = 2;
  const lanes = 4;
  const { model: pruned, report } = pruneModelBcr(model, {
    block: { rows: 8, cols: 8 },
    rates: { density: 0.25 },
    pes,
    lanes,
  });
  assert.ok(Math.abs(report.density - 0.25) < 0.05, `density ${report.density}`);
  for (const { name, matrix } of namedMatrices(pruned)) {
    const gate = name.startsWith("weight_ih") || name.startsWith("weight_hh")
      ? { gates: 4, hidden: 32 }
      : null;
    const { order, groups } = modelLaneOrder(matrix.rows, gate, pes, lanes);
    // Inside a block (8 positions x 8 columns), a line's rows have the same kept columns.
    for (let start = 0; start < order.length; start += 8) {
      for (let col0 = 0; col0 < matrix.cols; col0 += 8) {
        const pattern = (row: number) =>
          Array.from({ length: 8 }, (_, c) => matrix.data[row * matrix.cols + col0 + c] !== 0)
            .join("");
        for (let i = start + 1; i < Math.min(order.length, start + 8); i++) {
          if (groups[i] !== groups[i - 1]) continue;
          const a = pattern(order[i]);
          const b = pattern(order[i - 1]);
          // a kept row of a kept line may still hold a zero weight: compare kept or not
          assert.equal(a.includes("true"), b.includes("true"), `${name}: line split`);
        }
      }
    }
  }
  // The bcr image of the lane-aware pruned model on the same PEs: full lines, few empty slots.
  const config = resolveAcceleratorConfig([{
    settings: { pes, format: "bcr", lanes, blockRows: 8, blockCols: 8 },
    source: "test",
  }]);
  const { design } = generateFromModel(pruned, config);
  const { manifest } = design.image;
  const slots = manifest.perPe.reduce((sum, pe) => sum + pe.entries, 0);
  assert.equal(manifest.lanes, lanes);
  assert.ok(manifest.nonZeros / slots > 0.9, `lane slots used ${manifest.nonZeros / slots}`);
  assert.equal(design.rtl.LANES, lanes);
  assert.equal(design.rtl.K % lanes, 0);
  assert.equal(design.accelerator.lanes, lanes);
});

Deno.test("lane-aware pruning is BCR in lane order (what prune's output check reads)", () => {
  const model = randomModel({ kind: "lstm", inputSize: 40, hiddenSize: 64, numLayers: 1, seed: 5 });
  const block = { rows: 8, cols: 8 };
  const { model: pruned } = pruneModelBcr(model, {
    block,
    rates: { colKeep: 0.5, rowKeep: 0.5 },
    pes: 4,
    lanes: 4,
  });
  const gates = namedMatrices(pruned).filter(({ name }) => name.startsWith("weight_"));
  for (const { name, matrix } of gates) {
    const ordered = laneOrderedMatrix(matrix, { name, model: pruned, pes: 4, lanes: 4 });
    assert.ok(detectBcr(ordered, block).isBcr, `${name}: not BCR in lane order`);
  }
  // in the model's own row order a block of 8 lane-order positions (line v of PEs 0-1) is
  // rows 16v + {0, 1, 4, 5, ...}: spread over two natural blocks, so not BCR there
  assert.ok(gates.some(({ matrix }) => !detectBcr(matrix, block).isBcr));
});

Deno.test("lane-aware pruning balances the PEs: whole lines move, the density stays", () => {
  const model = randomModel({ kind: "lstm", inputSize: 40, hiddenSize: 64, numLayers: 1, seed: 5 });
  const options = { block: { rows: 16, cols: 8 }, rates: { density: 0.2 }, pes: 4, lanes: 4 };
  const { model: pruned, report } = pruneModelBcr(model, options);
  const swaps = report.matrices.reduce((sum, m) => sum + m.balanceSwaps, 0);
  assert.ok(swaps > 0, "no line moved");
  assert.ok(report.peLoad!.imbalance < 0.05, `PE imbalance ${report.peLoad!.imbalance}`);
  // the same non-zeros as the pruning without balance (1 PE): equal-cost lines were exchanged
  const unbalanced = pruneModelBcr(model, { ...options, pes: 1, lanes: 1 }).report;
  assert.ok(Math.abs(report.nonZeros - unbalanced.nonZeros) / unbalanced.nonZeros < 0.02);
  const { design } = generateFromModel(
    pruned,
    resolveAcceleratorConfig([{
      settings: { pes: 4, format: "bcr", lanes: 4, blockRows: 16, blockCols: 8 },
      source: "test",
    }]),
  );
  // the ideal counts every multiplier: non-zeros / (PEs x lanes)
  assert.equal(design.work.idealCyclesPerStep, design.work.nonZerosPerStep / 16);
  const entries = design.image.manifest.perPe.map((pe) => pe.entries);
  const mean = entries.reduce((a, b) => a + b, 0) / entries.length;
  assert.ok(Math.max(...entries) / mean < 1.05, `lane slots per PE ${entries}`);
});

Deno.test("K is a multiple of the lanes; lanes with ese", () => {
  assert.equal(cellsPerPe(10, 2, 1), 5);
  assert.equal(cellsPerPe(10, 2, 2), 6);
  assert.equal(cellsPerPe(11, 2, 8), 8);
  assert.equal(cellsPerPe(1024, 256, 8), 8);
  const ese = resolveAcceleratorConfig([{
    settings: { format: "ese", lanes: 4 },
    source: "flags",
  }]);
  assert.equal(ese.lanes, 4);
  assert.equal(ese.broadcast, 1);
  // delta with lanes, with and without theta_m
  const model = randomModel({
    kind: "lstm",
    inputSize: 5,
    hiddenSize: 8,
    numLayers: 1,
    projSize: 4,
    seed: 1,
  });
  const delta = (thetaM?: number) =>
    resolveAcceleratorConfig([{
      settings: { pes: 2, format: "ese", lanes: 2, delta: { thetaX: 0.1, thetaH: 0.1, thetaM } },
      source: "flags",
    }]);
  assert.equal(generateFromModel(model, delta()).design.rtl.LANES, 2);
  assert.equal(generateFromModel(model, delta(0.1)).design.delta?.thetaM?.length, 1);
});

Deno.test("broadcast width: default up to the lanes and dividing the PEs; checks", () => {
  const resolve = (settings: Parameters<typeof resolveAcceleratorConfig>[0][0]["settings"]) =>
    resolveAcceleratorConfig([{ settings, source: "flags" }]).broadcast;
  assert.equal(resolve({ format: "bcr", pes: 32, lanes: 4 }), 4);
  assert.equal(resolve({ format: "bcr", pes: 6, lanes: 8 }), 2);
  assert.equal(resolve({ format: "bcr", pes: 3, lanes: 4 }), 1);
  // past 16 lanes the default beat stops at 16; wider beats (up to 64) only when asked
  assert.equal(resolve({ format: "bcr", pes: 32, lanes: 32 }), 16);
  assert.equal(resolve({ format: "bcr", pes: 64, lanes: 64 }), 16);
  assert.equal(resolve({ format: "bcr", pes: 8 }), 1);
  assert.equal(resolve({ format: "ese", pes: 8 }), 1);
  assert.equal(resolve({ format: "bcr", pes: 8, broadcast: 8 }), 8);
  assert.equal(resolve({ format: "bcr", pes: 64, lanes: 64, broadcast: 64 }), 64);
  assert.throws(() => resolve({ format: "ese", pes: 8, broadcast: 2 }), /broadcast needs format/);
  assert.throws(() => resolve({ format: "bcr", pes: 6, broadcast: 4 }), /must divide pes/);
  assert.throws(
    () => parseAcceleratorSettings({ format: "bcr", broadcast: 3 }, "flags"),
    /one of 1, 2, 4, 8, 16, 32, 64/,
  );
  assert.throws(
    () => parseAcceleratorSettings({ format: "ese", lanes: 128 }, "flags"),
    /lanes must be one of 1, 2, 4, 8, 16, 32, 64/,
  );
});
