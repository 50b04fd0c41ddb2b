/**
 * `deno task import` end to end on the committed ONNX models (tests/data/onnx, made by make.ts
 * there; tests/data/pytorch, made by PyTorch): good files become model files whose float
 * reference reproduces the recorded ONNX Runtime / PyTorch outputs; bad files exit 2 with one
 * line naming the file and the problem, and write nothing.
 */

import assert from "node:assert/strict";
import { runFloat } from "../model/float.ts";
import { loadModel, modelToJson } from "../model/model_io.ts";
import { loadAnyModel } from "../model/load.ts";
import { maxAbsDifference, REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const ONNX_DATA = `${REPO_ROOT}tests/data/onnx/`;
const PYTORCH_DATA = `${REPO_ROOT}tests/data/pytorch/`;

interface Expected {
  inputs: number[][];
  outputs: number[][];
}

const GOOD = [
  { file: `${ONNX_DATA}lstm_peephole_3layer_external.onnx`, layers: 3, kind: "lstm" },
  { file: `${ONNX_DATA}gru_2layer_float_data.onnx`, layers: 2, kind: "gru" },
  { file: `${ONNX_DATA}gru_2layer_onnx_external.onnx`, layers: 2, kind: "gru" },
  { file: `${ONNX_DATA}lstm_1layer_constants.onnx`, layers: 1, kind: "lstm" },
  { file: `${PYTORCH_DATA}lstm_2layer.onnx`, layers: 2, kind: "lstm" },
  { file: `${PYTORCH_DATA}gru_2layer.onnx`, layers: 2, kind: "gru" },
];

for (const { file, layers, kind } of GOOD) {
  const name = file.slice(file.lastIndexOf("/") + 1);
  Deno.test(`import command: ${name} becomes a model file that reproduces the recorded outputs`, async () => {
    await withTempDir("rnnfab-import-", async (dir) => {
      const expected = JSON.parse(
        await Deno.readTextFile(file.replace(/\.onnx$/, ".expected.json")),
      ) as Expected;
      for (const safetensors of [false, true]) {
        const out = `${dir}/model${safetensors ? "_st" : ""}.json`;
        const result = await runDenoScript("cli/import.ts", [
          "--onnx",
          file,
          "--out",
          out,
          ...(safetensors ? ["--safetensors"] : []),
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`imported .*${kind.toUpperCase()} ${layers} layer`));
        if (safetensors) await Deno.stat(out.replace(/\.json$/, ".safetensors"));
        const model = await loadModel(out);
        assert.equal(model.numLayers, layers);
        const difference = maxAbsDifference(runFloat(model, expected.inputs), expected.outputs);
        assert.ok(difference < 1e-5, `max difference ${difference}`);
      }
      const direct = await loadAnyModel(file);
      assert.deepEqual(modelToJson(direct), modelToJson(await loadModel(`${dir}/model.json`)));
    });
  });
}

const BAD: [string, string][] = [
  ["bad_truncated.onnx", "not a valid ONNX file (protobuf decoding failed"],
  ["bad_not_onnx.onnx", "not a valid ONNX file"],
  ["bad_gru_linear_before_reset_0.onnx", "linear_before_reset=0 is not supported"],
  ["bad_lstm_bidirectional.onnx", `direction "bidirectional" is not supported`],
  ["bad_lstm_hidden_size.onnx", "W has shape [1, 24, 3], expected [1, 28, 3]"],
  ["bad_lstm_missing_initializer.onnx", "input R 'l0_R' is missing"],
  ["bad_lstm_external_escape.onnx", "leaves the model's folder; refused"],
  ["does_not_exist.onnx", "cannot read the ONNX file (no such file)"],
];

Deno.test("import command: bad ONNX files exit 2 with one line naming the file and the problem", async () => {
  await withTempDir("rnnfab-import-", async (dir) => {
    for (const [name, problem] of BAD) {
      const out = `${dir}/${name}.json`;
      const result = await runDenoScript("cli/import.ts", [
        "--onnx",
        ONNX_DATA + name,
        "--out",
        out,
      ]);
      assert.equal(result.code, 2, `${name}: exit ${result.code}, ${result.stderr}`);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `${name}: ${result.stderr}`);
      assert.ok(lines[0].startsWith(`error: ${ONNX_DATA}${name}: `), lines[0]);
      assert.ok(lines[0].includes(problem), `${name}: "${lines[0]}" lacks "${problem}"`);
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    }
    const usage = await runDenoScript("cli/import.ts", ["--out", `${dir}/x.json`]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--onnx is required/);
    const help = await runDenoScript("cli/import.ts", ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--safetensors/);
  });
});
