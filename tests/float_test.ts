import assert from "node:assert/strict";
import { runFloat } from "../model/float.ts";
import { loadModel, modelToJson } from "../model/model_io.ts";
import { randomInputs, randomModel, type RandomModelOptions } from "../model/random.ts";
import { maxAbsDifference, REPO_ROOT, runProgram, VENV_PYTHON, withTempDir } from "./helpers.ts";

const CASES: (Omit<RandomModelOptions, "seed"> & { name: string })[] = [
  { name: "LSTM 1 layer, odd sizes", kind: "lstm", inputSize: 7, hiddenSize: 13, numLayers: 1 },
  { name: "LSTM 2 layers", kind: "lstm", inputSize: 5, hiddenSize: 11, numLayers: 2 },
  {
    name: "LSTM 3 layers with peepholes",
    kind: "lstm",
    inputSize: 9,
    hiddenSize: 6,
    numLayers: 3,
    peepholes: true,
  },
  {
    name: "LSTM with projection, 2 layers",
    kind: "lstm",
    inputSize: 10,
    hiddenSize: 17,
    numLayers: 2,
    projSize: 5,
  },
  {
    name: "LSTM with projection and peepholes, 3 layers",
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 9,
    numLayers: 3,
    projSize: 4,
    peepholes: true,
  },
  { name: "GRU 1 layer", kind: "gru", inputSize: 11, hiddenSize: 7, numLayers: 1 },
  { name: "GRU 2 layers", kind: "gru", inputSize: 4, hiddenSize: 15, numLayers: 2 },
  { name: "GRU 3 layers", kind: "gru", inputSize: 13, hiddenSize: 5, numLayers: 3 },
];

for (const [index, testCase] of CASES.entries()) {
  Deno.test(`float reference agrees with an independent numpy implementation within 1e-9: ${testCase.name}`, async () => {
    // Larger weights than PyTorch's default make the nonlinearities matter.
    const model = randomModel({ ...testCase, seed: 100 + index, scale: 0.8 });
    const inputs = randomInputs(12, testCase.inputSize, 200 + index);
    await withTempDir("rnnfab-test-", async (dir) => {
      await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(modelToJson(model)));
      await Deno.writeTextFile(`${dir}/inputs.json`, JSON.stringify({ inputs }));
      const result = await runProgram(VENV_PYTHON, [
        `${REPO_ROOT}tests/reference/numpy_rnn.py`,
        `${dir}/model.json`,
        `${dir}/inputs.json`,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const expected = JSON.parse(result.stdout).outputs as number[][];
      const actual = runFloat(model, inputs);
      const difference = maxAbsDifference(actual, expected);
      assert.ok(difference < 1e-9, `max difference ${difference}`);
      // The outputs must not be trivially small, or the comparison would prove nothing.
      assert.ok(Math.max(...actual.flat().map(Math.abs)) > 0.05);
    });
  });
}

for (const name of ["lstm_2layer", "gru_2layer", "lstm_proj"]) {
  Deno.test(`float reference reproduces PyTorch's own outputs: ${name}`, async () => {
    const model = await loadModel(`${REPO_ROOT}tests/data/pytorch/${name}.json`);
    const expected = JSON.parse(
      await Deno.readTextFile(`${REPO_ROOT}tests/data/pytorch/${name}.expected.json`),
    );
    const actual = runFloat(model, expected.inputs);
    // PyTorch computed in float32, so agreement is to float32 precision.
    const difference = maxAbsDifference(actual, expected.outputs);
    assert.ok(difference < 1e-6, `max difference ${difference}`);
  });
}

Deno.test("randomModel: a GRU ignores projSize (a GRU has no projection) and stays consistent", async () => {
  const model = randomModel({
    kind: "gru",
    inputSize: 4,
    hiddenSize: 6,
    numLayers: 2,
    projSize: 3,
    seed: 5,
  });
  assert.equal(model.projSize, 0);
  assert.equal(model.layers[0].weightHh.cols, 6);
  assert.equal(model.layers[1].weightIh.cols, 6);
  await withTempDir("rnnfab-test-", async (dir) => {
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(modelToJson(model)));
    const loaded = await loadModel(`${dir}/model.json`);
    const outputs = runFloat(loaded, randomInputs(3, 4, 1));
    assert.ok(outputs.flat().every(Number.isFinite));
  });
});
