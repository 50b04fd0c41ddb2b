/**
 * The held-out selection of the one-shot result (prune/select.ts) and its use in bench:fidelity:
 * the split is two disjoint parts of the training data, every variant is scored on the held-out
 * part (and only its labels matter), and the test set never changes what is chosen.
 */

import assert from "node:assert/strict";
import type { Dataset } from "../model/dataset.ts";
import { runSequences } from "../model/evaluate.ts";
import { runFloat } from "../model/float.ts";
import { type Head, predictions, taskMetrics } from "../model/head.ts";
import type { RnnModel } from "../model/model.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { evenSubset } from "../model/dataset.ts";
import { taskObjective } from "../prune/calibrate.ts";
import { searchBcrHyperparameters } from "../prune/search.ts";
import {
  heldOutSplit,
  meanKl,
  rankVariants,
  selectionStructures,
  selectOneShot,
} from "../prune/select.ts";
import type { SearchCandidate, SearchResult } from "../prune/search.ts";
import {
  type Context,
  FIDELITY_EXAMPLES,
  type FidelityReport,
  mergeFidelityReports,
  oneShotColumns,
  targetChecks,
  writeFidelityReport,
} from "../bench/fidelity.ts";

const CLASSES = 3;

function tinyTask(seed: number) {
  const dense = randomModel({ kind: "lstm", inputSize: 3, hiddenSize: 8, numLayers: 1, seed });
  const weight = randomModel({ kind: "gru", inputSize: 8, hiddenSize: 1, numLayers: 1, seed })
    .layers[0].weightIh;
  const head: Head = { weight, bias: new Float64Array(weight.rows) };
  const data = (count: number, offset: number): Dataset => {
    const sequences = Array.from(
      { length: count },
      (_, n) => randomInputs(3 + (n % 3), 3, seed + offset + n),
    );
    // Labels: the dense model's own predictions, one in four moved to the next class.
    const outputs = sequences.map((sequence) => runFloat(dense, sequence));
    const predicted = predictions(head, outputs, false) as number[];
    const values = predicted.map((c, n) => n % 4 === 0 ? (c + 1) % weight.rows : c);
    return { sequences, inputSize: 3, labels: { kind: "sequence", values } };
  };
  return { dense, head, train: data(20, 100), test: data(12, 900) };
}

function searchOn(dense: RnnModel, head: Head, calibration: Dataset) {
  return searchBcrHyperparameters(dense, {
    density: 0.5,
    calibration: calibration.sequences,
    objective: taskObjective(head, calibration),
    blockCandidates: [{ rows: 2, cols: 2 }, { rows: 4, cols: 4 }],
    rounds: 1,
  });
}

Deno.test("heldOutSplit: two disjoint parts of the training data, held-out outside the fit", () => {
  const { dense, train } = tinyTask(1);
  // The calibration subset leaves sequences out: those are held out, the fit is the subset.
  const subset = evenSubset(train, 8);
  const a = heldOutSplit(dense, train, subset);
  assert.equal(a.fitIsCalibration, true);
  assert.deepEqual(a.fit.sequences, subset.sequences);
  assert.equal(a.heldOutIndices.length, 12);
  // The whole data set is the calibration subset: every 5th sequence is left out of the fit.
  const b = heldOutSplit(dense, train, train);
  assert.equal(b.fitIsCalibration, false);
  assert.deepEqual(b.heldOutIndices, [4, 9, 14, 19]);
  for (const split of [a, b]) {
    const fit = new Set(split.fitIndices);
    assert.ok(split.heldOutIndices.every((i) => !fit.has(i) && i >= 0 && i < 20));
    split.heldOut.sequences.forEach((s, k) =>
      assert.equal(s, train.sequences[split.heldOutIndices[k]])
    );
    split.fit.sequences.forEach((s, k) => assert.equal(s, train.sequences[split.fitIndices[k]]));
  }
});

Deno.test("selectOneShot: variants scored on the held-out split only; its choice is the best there", async () => {
  const { dense, head, train } = tinyTask(2);
  const calibration = evenSubset(train, 10);
  const search = await searchOn(dense, head, calibration);
  const selection = await selectOneShot(dense, {
    search,
    data: train,
    calibration,
    head,
    structures: 2,
  });
  const structures = selectionStructures(search, 2, [{ rows: 2, cols: 2 }]);
  assert.equal(selection.variants.length, structures.length * 3 * 2);
  // The chosen model's held-out figures are the ones it was chosen by.
  const { heldOut } = selection.split;
  const metrics = taskMetrics(
    head,
    (await runSequences(selection.model, heldOut.sequences)).outputs,
    heldOut.labels!,
  );
  assert.equal(metrics.accuracy, selection.chosen.accuracy);
  assert.equal(metrics.loss, selection.chosen.loss);
  assert.ok(selection.chosen.distillation! >= 0);
  // No variant ranks before it (accuracy, then distillation, then loss).
  for (const v of selection.variants) assert.ok(rankVariants(selection.chosen, v) <= 0);
  // Only the held-out labels are read: other training labels change nothing; held-out ones do.
  const relabel = (keep: (i: number) => boolean): Dataset => ({
    ...train,
    labels: {
      kind: "sequence",
      values: (train.labels!.values as number[]).map((c, i) => keep(i) ? c : (c + 1) % CLASSES),
    },
  });
  const held = new Set(selection.split.heldOutIndices);
  const otherLabels = await selectOneShot(dense, {
    search,
    data: relabel((i) => held.has(i)),
    calibration,
    head,
    structures: 2,
  });
  assert.deepEqual(otherLabels.variants, selection.variants);
  const heldLabels = await selectOneShot(dense, {
    search,
    data: relabel((i) => !held.has(i)),
    calibration,
    head,
    structures: 2,
  });
  assert.notDeepEqual(heldLabels.variants, selection.variants);
});

Deno.test("rankVariants: accuracy first, then the distillation loss, then the loss; ties keep order", () => {
  const v = (accuracy: number | null, distillation: number | null, loss: number) => ({
    accuracy,
    distillation,
    loss,
  });
  // Saturated held-out accuracy: the distillation loss decides, not the cross-entropy.
  const variants = [v(1, 0.004, 0.0018), v(1, 0.002, 0.0020), v(0.99, 0.0001, 0.0001)];
  const order = variants.map((_, i) => i).sort((a, b) =>
    rankVariants(variants[a], variants[b]) || a - b
  );
  assert.deepEqual(order, [1, 0, 2]);
  // Equal distillation: the loss decides; a full tie is 0 (the earlier variant is kept).
  assert.ok(rankVariants(v(1, 0.002, 0.001), v(1, 0.002, 0.002)) < 0);
  assert.equal(rankVariants(v(1, 0.002, 0.001), v(1, 0.002, 0.001)), 0);
  // Without a head: the loss (output error) alone.
  assert.ok(rankVariants(v(null, null, 0.1), v(null, null, 0.2)) < 0);
  // meanKl: zero against itself, and the textbook value for two distributions.
  const log = (p: number[]) => Float64Array.from(p, Math.log);
  assert.equal(meanKl([log([0.5, 0.5])], [log([0.5, 0.5])]), 0);
  const kl = 0.9 * Math.log(0.9 / 0.5) + 0.1 * Math.log(0.1 / 0.5);
  assert.ok(Math.abs(meanKl([log([0.9, 0.1])], [log([0.5, 0.5])]) - kl) < 1e-12);
});

Deno.test("selectionStructures: the search's best, then its choice with finer blocks", () => {
  const candidate = (block: string, colShare: number, objective: number): SearchCandidate => ({
    stage: "block",
    block,
    colShare,
    densities: { weight_ih_l0: 0.5 },
    density: 0.5,
    fidelity: { relativeRmsError: 0, cosine: 1 },
    objective,
    accepted: false,
  });
  const search = {
    candidates: [candidate("8x8", 0.5, 3), candidate("4x4", 0.5, 1), candidate("4x4", 0.25, 2)],
  } as SearchResult;
  const blocks = (list: SearchCandidate[]) => list.map((c) => `${c.block} ${c.colShare}`);
  assert.deepEqual(blocks(selectionStructures(search, 2, [{ rows: 2, cols: 2 }])), [
    "4x4 0.5",
    "4x4 0.25",
    "2x2 0.5",
  ]);
  // Not coarser than the choice, and not twice.
  assert.deepEqual(blocks(selectionStructures(search, 3, [{ rows: 8, cols: 8 }])), [
    "4x4 0.5",
    "4x4 0.25",
    "8x8 0.5",
  ]);
  assert.equal(selectionStructures(search, 1, [{ rows: 4, cols: 4 }]).length, 1);
});

Deno.test("bench:fidelity's one-shot columns: the test set changes no choice, only the figures", async () => {
  const { dense, head, train, test } = tinyTask(3);
  const other = tinyTask(4).test;
  const context = (testSet: Dataset): Context => ({
    example: FIDELITY_EXAMPLES[0],
    dense,
    head,
    headPath: "unused",
    train,
    trainPath: "unused",
    test: testSet,
    work: "unused",
  });
  const a = await oneShotColumns(context(test), 0.5, "a");
  const b = await oneShotColumns(context(other), 0.5, "b");
  assert.ok(a.columns.bcrSearchSelected.selection.heldOutSequences > 0);
  assert.deepEqual(a.columns.bcrSearchSelected.selection, b.columns.bcrSearchSelected.selection);
  assert.deepEqual(a.search.candidates, b.search.candidates);
  assert.deepEqual(
    a.columns.bcrSearchOneShot.biasCorrection,
    b.columns.bcrSearchOneShot.biasCorrection,
  );
});

Deno.test("bench:fidelity --merge: rows of separate density runs join, targets checked again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pair = (fixed: number) => ({ float: fixed, fixed, density: 0.5 });
    const row = (density: number, selected: number) => ({
      density,
      magnitudePerMatrix: pair(0.9),
      bcrSearch: { ...pair(0.8), block: "4x4", colShare: 0.5, seconds: 1 },
      bcrSearchRefit: { ...pair(0.95), seconds: 1 },
      bcrSearchSelected: {
        ...pair(selected),
        seconds: 1,
        selection: {
          chosen: {
            block: "4x4",
            colShare: 0.5,
            structure: 0,
            ridge: 1e-3,
            biasCorrection: false,
            accuracy: 1,
            loss: 0,
            distillation: 0,
          },
          split: "s",
          fitSequences: 1,
          heldOutSequences: 1,
          loss: "l",
          variants: [],
        },
      },
      bcrFinetuned: { ...pair(0.97), seconds: 1 },
      bcrAdmm: { ...pair(0.97), seconds: 1 },
    });
    const example = (rows: ReturnType<typeof row>[]) => {
      const result = {
        name: "x",
        model: "m",
        kind: "lstm",
        hiddenSize: 64,
        numLayers: 1,
        trainSequences: 1,
        testSequences: 1,
        finetune: { epochs: 1, lr: 1, objective: "labels" },
        dense: pair(0.97),
        rows,
      };
      return { ...result, targets: targetChecks(result) };
    };
    const report = (densities: number[], rows: ReturnType<typeof row>[]): FidelityReport => ({
      densities,
      seconds: 10,
      examples: [example(rows)],
      rerun: { column: "bcrSearchSelected", from: "e.json", what: "w", earlierSeconds: 600 },
    });
    await writeFidelityReport(
      `${dir}/a.json`,
      report([0.5, 0.25], [row(0.5, 0.95), row(0.25, 0.95)]),
    );
    await writeFidelityReport(`${dir}/b.json`, report([0.05], [row(0.05, 0.85)]));
    await mergeFidelityReports([`${dir}/a.json`, `${dir}/b.json`], `${dir}/m.json`);
    const merged = JSON.parse(await Deno.readTextFile(`${dir}/m.json`));
    assert.deepEqual(merged.densities, [0.5, 0.25, 0.05]);
    assert.equal(merged.examples.length, 1);
    assert.deepEqual(merged.examples[0].rows.map((r: { density: number }) => r.density), [
      0.5,
      0.25,
      0.05,
    ]);
    assert.deepEqual(
      merged.examples[0].targets.searchVsMagnitude.map((t: { met: boolean }) => t.met),
      [true, true, false],
    );
    assert.equal(merged.seconds, 20);
    // A --selected re-run says so, with its own time and the earlier runs'.
    assert.equal(merged.rerun.earlierSeconds, 600);
    assert.match(
      await Deno.readTextFile(`${dir}/m.md`),
      /Only the held-out selected column \(bcrSearchSelected\) was measured again .* re-run 0\.3 minutes .* earlier runs 10\.0 minutes/,
    );
    await assert.rejects(
      mergeFidelityReports([`${dir}/a.json`, `${dir}/a.json`], `${dir}/n.json`),
      /x has density 0.5 in two reports/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
