import assert from "node:assert/strict";
import { loadModel, saveModel } from "../model/model_io.ts";
import { namedMatrices } from "../model/model.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { outputFidelity } from "../prune/search.ts";
import { detectBcr } from "../prune/detect.ts";
import { finetune as finetuneLibrary } from "../prune/finetune.ts";
import type { RnnModel } from "../model/model.ts";
import {
  type CommandResult,
  densePrunedPair,
  expectUserError,
  runDenoScript,
  withTempDir,
} from "./helpers.ts";
import { trainingPackagesReady } from "../util/python.ts";

// PyTorch and Ray may still be installing in the background (scripts/run_tests.ts).
await trainingPackagesReady();

function finetune(args: string[]): Promise<CommandResult> {
  return runDenoScript("cli/finetune.ts", args);
}

/** Save the dense and pruned models and the data in `dir`; returns finetune's input flags. */
async function writeInputs(
  dir: string,
  models: { dense: RnnModel; pruned: RnnModel },
  sequences: number[][][],
): Promise<string[]> {
  const path = (name: string) => `${dir}/${name}.json`;
  await saveModel(models.dense, path("dense"));
  await saveModel(models.pruned, path("pruned"));
  await Deno.writeTextFile(path("d"), JSON.stringify({ sequences }));
  return ["--model", path("dense"), "--pruned", path("pruned"), "--data", path("d")];
}

/** `prune --check-block 4x4` accepts the model file. */
async function assertBcr4x4(path: string): Promise<void> {
  const check = await runDenoScript("cli/prune.ts", ["--model", path, "--check-block", "4x4"]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /the model is BCR for block 4x4/);
}

/** A test in a temporary folder on a random model and its BCR pruning (`densePrunedPair`). */
function testOnPair(
  name: string,
  pair: Parameters<typeof densePrunedPair>,
  body: (dir: string, models: ReturnType<typeof densePrunedPair>) => Promise<void>,
): void {
  Deno.test(
    name,
    () => withTempDir("rnnfab-finetune-", (dir) => body(dir, densePrunedPair(...pair))),
  );
}

testOnPair(
  "finetune: distillation on a tiny model lowers the error, keeps the zero mask, stays BCR",
  [
    { kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 1, seed: 3 },
    { rows: 4, cols: 4, density: 0.3 },
  ],
  async (dir, { dense, pruned }) => {
    const sequences = Array.from({ length: 60 }, (_, k) => randomInputs(3 + (k % 5), 4, 100 + k));
    const inputs = await writeInputs(dir, { dense, pruned }, sequences);
    const run = await finetune([
      ...inputs,
      ...["--out", `${dir}/ft.json`, "--epochs", "8", "--lr", "0.005"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /fine-tune epoch 8\/8/);
    const tuned = await loadModel(`${dir}/ft.json`);
    const before = (await outputFidelity(dense, pruned, sequences)).relativeRmsError;
    const after = (await outputFidelity(dense, tuned, sequences)).relativeRmsError;
    assert.ok(after < before, `relative RMS error ${before} -> ${after}`);
    namedMatrices(pruned).forEach(({ name, matrix }, i) => {
      const other = namedMatrices(tuned)[i].matrix.data;
      assert.ok(matrix.data.every((v, k) => (v === 0) === (other[k] === 0)), name);
    });
    await assertBcr4x4(`${dir}/ft.json`);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/ft.finetune.json`));
    assert.equal(report.maskUnchanged, true);

    const bad = await finetune([...inputs, "--out", `${dir}/x.json`, "--objective", "labels"]);
    assert.match(expectUserError(bad), /^error: .*--objective labels needs --head H and labels/);
    await assert.rejects(Deno.stat(`${dir}/x.json`));
  },
);

testOnPair(
  "finetune --admm ends BCR for P's block at P's densities; --qat runs through 8-bit weights",
  [
    { kind: "gru", inputSize: 4, hiddenSize: 8, numLayers: 1, seed: 4 },
    { rows: 4, cols: 4, density: 0.4 },
  ],
  async (dir, { dense, pruned }) => {
    const sequences = Array.from({ length: 30 }, (_, k) => randomInputs(4, 4, 200 + k));
    const common = await writeInputs(dir, { dense, pruned }, sequences);
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ weightBits: 8 }));
    const admm = await finetune([
      ...common,
      ...["--out", `${dir}/a.json`, "--epochs", "2", "--admm", "--block", "4x4"],
    ]);
    assert.equal(admm.code, 0, admm.stderr);
    assert.match(admm.stdout, /admm epoch 2: rho/);
    await assertBcr4x4(`${dir}/a.json`);
    const tuned = await loadModel(`${dir}/a.json`);
    namedMatrices(tuned).forEach(({ matrix }, i) => {
      const expected = namedMatrices(pruned)[i].matrix;
      const count = (m: typeof matrix) => m.data.filter((v) => v !== 0).length;
      assert.ok(Math.abs(count(matrix) - count(expected)) <= 4 * 4, "density of P, within a block");
    });
    const qat = await finetune([
      ...common,
      ...["--out", `${dir}/q.json`, "--epochs", "2", "--qat", "--config", `${dir}/c.json`],
    ]);
    assert.equal(qat.code, 0, qat.stderr);
    assert.match(qat.stdout, /QAT 8-bit weights/);
    const noBlock = await finetune([...common, "--out", `${dir}/x.json`, "--admm"]);
    assert.match(expectUserError(noBlock), /--schedule admm needs --block RxC/);
  },
);

Deno.test("finetune: no output may be an input, and a user's file beside --out is kept", async () => {
  await withTempDir("rnnfab-finetune-out-", async (dir) => {
    const dense = randomModel({ kind: "gru", inputSize: 3, hiddenSize: 4, numLayers: 1, seed: 5 });
    await saveModel(dense, `${dir}/dense.json`);
    await saveModel(dense, `${dir}/pruned.json`);
    const data = JSON.stringify({ sequences: [randomInputs(3, 3, 1)] });
    await Deno.writeTextFile(`${dir}/d.json`, data);
    const userReport = "my notes\n";
    await Deno.writeTextFile(`${dir}/ft.finetune.json`, userReport);
    const before = await Deno.readTextFile(`${dir}/pruned.json`);
    const inputs = ["--model", `${dir}/dense.json`, "--pruned", `${dir}/pruned.json`];
    const cases: [string, RegExp][] = [
      [`${dir}/pruned.json`, /--out .*is the input --pruned/],
      [`${dir}/d.json`, /--out .*is the input --data/],
      [`${dir}/ft.json`, /ft\.finetune\.json: exists and is not an earlier rnnfab output/],
    ];
    for (const [out, message] of cases) {
      const run = await finetune([...inputs, "--data", `${dir}/d.json`, "--out", out]);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.match(expectUserError(run), message);
    }
    assert.equal(await Deno.readTextFile(`${dir}/pruned.json`), before);
    assert.equal(await Deno.readTextFile(`${dir}/d.json`), data);
    assert.equal(await Deno.readTextFile(`${dir}/ft.finetune.json`), userReport);
    await assert.rejects(Deno.stat(`${dir}/ft.json`));
  });
});

Deno.test("prune/finetune.ts finetune() with admm: the schedules' ADMM stage, then rnnfab's BCR pruning, mask held", async () => {
  const block = { rows: 4, cols: 4 };
  const { dense, pruned } = densePrunedPair(
    { kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 1, seed: 5 },
    { ...block, density: 0.25 },
  );
  const sequences = Array.from({ length: 30 }, (_, k) => randomInputs(3 + (k % 4), 4, 500 + k));
  const lines: string[] = [];
  // The library reads the data from a file; it needs the folder only while it runs.
  const result = await withTempDir("rnnfab-finetune-lib-admm-", async (dir) => {
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify({ sequences }));
    return finetuneLibrary({
      dense,
      pruned,
      dataPath: `${dir}/d.json`,
      objective: "distill",
      epochs: 1,
      lr: 0.005,
      admm: { epochs: 2, block, colShare: 0.5 },
      onLine: (line) => lines.push(line),
    });
  });
  assert.ok(lines.some((l) => /^admm epoch 2: rho/.test(l)), lines.join("\n"));
  assert.deepEqual(result.history.map((h) => h.phase), [
    "admm",
    "admm",
    "admm",
    "fine-tune",
    "fine-tune",
  ]);
  namedMatrices(result.start).forEach(({ name, matrix }, i) => {
    const check = detectBcr(matrix, block);
    assert.ok(check.isBcr, name);
    assert.equal(
      check.nonZeros,
      detectBcr(namedMatrices(pruned)[i].matrix, block).nonZeros,
      name,
    );
    const tuned = namedMatrices(result.model)[i].matrix.data;
    assert.ok(matrix.data.every((v, k) => (v === 0) === (tuned[k] === 0)), name);
  });
});
