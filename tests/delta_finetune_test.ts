import assert from "node:assert/strict";
import { loadModel, saveModel } from "../model/model_io.ts";
import { namedMatrices } from "../model/model.ts";
import { densePrunedPair, expectUserError, runDenoScript, withTempDir } from "./helpers.ts";
import { trainingPackagesReady } from "../util/python.ts";

// PyTorch and Ray may still be installing in the background (scripts/run_tests.ts).
await trainingPackagesReady();

/** Slowly moving inputs (a random walk), where thresholds skip some columns and fire others. */
function walk(steps: number, inputs: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const out: number[][] = [];
  let value = Array.from({ length: inputs }, next);
  for (let t = 0; t < steps; t++) {
    value = value.map((v) => v + 0.2 * next());
    out.push(value);
  }
  return out;
}

Deno.test("finetune --delta trains a tiny pruned GRU with thresholds in the forward pass, mask held", async () => {
  await withTempDir("rnnfab-finetune-delta-", async (dir) => {
    const { dense, pruned } = densePrunedPair(
      { kind: "gru", inputSize: 4, hiddenSize: 8, numLayers: 2, seed: 5 },
      { rows: 4, cols: 4, density: 0.5 },
    );
    await saveModel(dense, `${dir}/dense.json`);
    await saveModel(pruned, `${dir}/pruned.json`);
    const sequences = Array.from({ length: 24 }, (_, k) => walk(6 + (k % 4), 4, 7 + k));
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify({ sequences }));
    const inputs = [
      ...["--model", `${dir}/dense.json`, "--pruned", `${dir}/pruned.json`],
      ...["--data", `${dir}/d.json`],
    ];
    const run = await runDenoScript("cli/finetune.ts", [
      ...inputs,
      ...["--out", `${dir}/ft.json`, "--epochs", "2", "--lr", "0.005", "--delta", "0.05,0.1"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /fine-tune epoch 2\/2/);
    assert.match(run.stdout, /finetuned fixed delta on all of .* fired \d+\.\d% \/ \d+\.\d%/);
    const tuned = await loadModel(`${dir}/ft.json`);
    namedMatrices(pruned).forEach(({ name, matrix }, i) => {
      const other = namedMatrices(tuned)[i].matrix.data;
      assert.ok(matrix.data.every((v, k) => (v === 0) === (other[k] === 0)), name);
    });
    const report = JSON.parse(await Deno.readTextFile(`${dir}/ft.finetune.json`));
    assert.deepEqual(report.delta, { thetaX: 0.05, thetaH: 0.1 });
    assert.equal(report.maskUnchanged, true);
    const fired = report.summary["finetuned.fixed.delta"].firedFraction as number[];
    assert.equal(fired.length, 2);
    assert.ok(fired.every((f) => f > 0 && f < 1), `fired ${fired}`);
    assert.equal(report.firedFloat.after.length, 2);

    const noMask = await runDenoScript("cli/finetune.ts", [
      ...["--model", `${dir}/dense.json`, "--density", "0.5", "--data", `${dir}/d.json`],
      ...["--out", `${dir}/x.json`, "--delta", "0.1,0.1"],
    ]);
    assert.match(expectUserError(noMask), /--delta .* needs --schedule fixed and --pruned P/);
    const bad = await runDenoScript("cli/finetune.ts", [
      ...inputs,
      ...["--out", `${dir}/x.json`, "--delta", "0.1"],
    ]);
    assert.match(expectUserError(bad), /--delta/);
    const noProjection = await runDenoScript("cli/finetune.ts", [
      ...inputs,
      ...["--out", `${dir}/x.json`, "--delta", "0.1,0.1,0.1"],
    ]);
    assert.match(expectUserError(noProjection), /theta_m .* the model has no projection/);
    await assert.rejects(Deno.stat(`${dir}/x.json`));
  });
});

Deno.test("finetune --delta TX,TH,TM trains a tiny pruned LSTMP with a delta-coded projection input", async () => {
  await withTempDir("rnnfab-finetune-delta-m-", async (dir) => {
    const { dense, pruned } = densePrunedPair(
      { kind: "lstm", inputSize: 4, hiddenSize: 8, projSize: 4, numLayers: 1, seed: 6 },
      { rows: 4, cols: 4, density: 0.5 },
    );
    await saveModel(dense, `${dir}/dense.json`);
    await saveModel(pruned, `${dir}/pruned.json`);
    const sequences = Array.from({ length: 12 }, (_, k) => walk(6, 4, 17 + k));
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify({ sequences }));
    const run = await runDenoScript("cli/finetune.ts", [
      ...["--model", `${dir}/dense.json`, "--pruned", `${dir}/pruned.json`],
      ...["--data", `${dir}/d.json`, "--out", `${dir}/ft.json`, "--epochs", "1"],
      ...["--delta", "0.05,0.05,0.02"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /theta_m 0\.02 in the forward pass/);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/ft.finetune.json`));
    assert.deepEqual(report.delta, { thetaX: 0.05, thetaH: 0.05, thetaM: 0.02 });
    assert.equal(report.maskUnchanged, true);
    const fired = report.summary["finetuned.fixed.delta"].firedFraction as number[];
    assert.ok(fired.length === 1 && fired[0] > 0 && fired[0] < 1, `fired ${fired}`);
  });
});
