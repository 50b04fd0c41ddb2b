/**
 * `deno task import --onnx model.onnx --out model.json [--safetensors]`: convert the LSTM/GRU
 * stack of an ONNX file (e.g. from `torch.onnx.export`) into an rnnfab model file.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { saveModel } from "../model/model_io.ts";
import { outputSize } from "../model/model.ts";
import { loadOnnxModel } from "../model/onnx/load_any.ts";

const COMMAND = defineCommand({
  name: "deno task import",
  synopsis: "--onnx model.onnx --out model.json [--safetensors]",
  description:
    `Reads the ONNX LSTM or GRU operators of model.onnx (one or more stacked layers, forward, zero
initial state; weights as raw data, typed fields or external data files next to the model) and
writes an rnnfab model file with PyTorch's gate order and names (docs/onnx.md).`,
  flags: {
    onnx: { type: "path", required: true, help: "the ONNX model to import" },
    out: { type: "path", required: true, help: "the rnnfab model file to write (JSON)" },
    safetensors: {
      type: "bool",
      help: "store the weights in a .safetensors file beside the JSON instead of inline",
    },
  },
});

await runCommand(async () => {
  const { onnx: onnxPath, out: outPath, safetensors } = parseCommand(COMMAND);
  const { model, notes } = await loadOnnxModel(onnxPath);
  for (const note of notes) console.error(`note: ${onnxPath}: ${note}`);
  await saveModel(model, outPath, { safetensors });
  const peepholes = model.layers[0].peephole ? ", peepholes" : "";
  console.log(
    `imported ${onnxPath}: ${model.kind.toUpperCase()} ${model.numLayers} layer(s), input ${model.inputSize}, hidden ${model.hiddenSize}, output ${
      outputSize(model)
    }${peepholes} -> ${outPath}`,
  );
});
