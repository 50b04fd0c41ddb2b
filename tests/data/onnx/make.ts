/**
 * Makes the ONNX test models in this folder: `deno run -A tests/data/onnx/make.ts`.
 *
 * Good models are written in ONNX's own layout by model/onnx/build.ts (independent of rnnfab's
 * export) and come with `<name>.expected.json`: an input sequence and ONNX Runtime's outputs on
 * it (measured when this script ran). Bad models (bad_*.onnx) each carry one defect that the
 * import command must report in one line.
 *
 * @module
 */

import { buildOnnxRecurrentModel, randomOnnxLayers } from "../../../model/onnx/build.ts";
import { runOnnxRuntime } from "../../../model/onnx/ort.ts";
import { modelProtoType } from "../../../model/onnx/schema.ts";
import { randomInputs } from "../../../model/random.ts";

const here = new URL(".", import.meta.url).pathname;
const STEPS = 8;

async function writeGood(
  name: string,
  built: ReturnType<typeof buildOnnxRecurrentModel>,
  inputSize: number,
): Promise<void> {
  await Deno.writeFile(`${here}${name}.onnx`, built.bytes);
  if (built.externalData) {
    await Deno.writeFile(`${here}${built.externalLocation}`, built.externalData);
  }
  const inputs = randomInputs(STEPS, inputSize, 42);
  // ONNX Runtime reads external data relative to the model file, so run it from the file.
  let outputs: number[][];
  if (built.externalData) {
    const session = await openOnnxSessionFromFile(`${here}${name}.onnx`);
    outputs = await session(inputs);
  } else {
    outputs = await runOnnxRuntime(built.bytes, inputs);
  }
  await Deno.writeTextFile(
    `${here}${name}.expected.json`,
    JSON.stringify({
      producer: "ONNX Runtime (onnxruntime-node 1.30.0), measured",
      inputs,
      outputs,
    }) +
      "\n",
  );
}

async function openOnnxSessionFromFile(path: string) {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(path);
  return async (inputs: number[][]) => {
    const flat = new Float32Array(inputs.flat());
    const result = await session.run({
      x: new ort.Tensor("float32", flat, [inputs.length, 1, inputs[0].length]),
    });
    const data = result[session.outputNames[0]].data as Float32Array;
    const width = data.length / inputs.length;
    return inputs.map((_, t) => Array.from(data.subarray(t * width, (t + 1) * width)));
  };
}

const lstmLayers = randomOnnxLayers({
  kind: "lstm",
  inputSize: 5,
  hiddenSize: 8,
  numLayers: 3,
  peepholes: true,
  seed: 31,
});
await writeGood(
  "lstm_peephole_3layer_external",
  buildOnnxRecurrentModel({
    kind: "lstm",
    inputSize: 5,
    hiddenSize: 8,
    layers: lstmLayers,
    storage: "external",
    externalLocation: "lstm_peephole_3layer_external.weights.bin",
    initialState: "zero-expand",
  }),
  5,
);
const gruLayers = randomOnnxLayers({
  kind: "gru",
  inputSize: 4,
  hiddenSize: 8,
  numLayers: 2,
  seed: 32,
});
await writeGood(
  "gru_2layer_float_data",
  buildOnnxRecurrentModel({
    kind: "gru",
    inputSize: 4,
    hiddenSize: 8,
    layers: gruLayers,
    storage: "float_data",
    initialState: "zero-initializer",
  }),
  4,
);
const smallLstm = randomOnnxLayers({
  kind: "lstm",
  inputSize: 3,
  hiddenSize: 6,
  numLayers: 1,
  seed: 33,
});
await writeGood(
  "lstm_1layer_constants",
  buildOnnxRecurrentModel({
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 6,
    layers: smallLstm,
    storage: "constant",
    initialState: "zero-constant-of-shape",
  }),
  3,
);

const plain = buildOnnxRecurrentModel({
  kind: "lstm",
  inputSize: 3,
  hiddenSize: 6,
  layers: smallLstm,
});
await Deno.writeFile(`${here}bad_truncated.onnx`, plain.bytes.subarray(0, plain.bytes.length >> 1));
await Deno.writeTextFile(`${here}bad_not_onnx.onnx`, "this is a text file, not an ONNX model\n");
await Deno.writeFile(
  `${here}bad_gru_linear_before_reset_0.onnx`,
  buildOnnxRecurrentModel({
    kind: "gru",
    inputSize: 4,
    hiddenSize: 8,
    layers: gruLayers.slice(0, 1),
    attributes: { linear_before_reset: 0 },
  }).bytes,
);
await Deno.writeFile(
  `${here}bad_lstm_bidirectional.onnx`,
  buildOnnxRecurrentModel({
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 6,
    layers: smallLstm,
    attributes: { direction: "bidirectional" },
  }).bytes,
);
await Deno.writeFile(
  `${here}bad_lstm_hidden_size.onnx`,
  buildOnnxRecurrentModel({
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 6,
    layers: smallLstm,
    attributes: { hidden_size: 7 },
  }).bytes,
);
const type = modelProtoType();
const withoutR = type.toObject(type.decode(plain.bytes), { longs: Number });
withoutR.graph.initializer = withoutR.graph.initializer.filter((t: { name: string }) =>
  t.name !== "l0_R"
);
await Deno.writeFile(
  `${here}bad_lstm_missing_initializer.onnx`,
  type.encode(type.fromObject(withoutR)).finish(),
);
await Deno.writeFile(
  `${here}bad_lstm_external_escape.onnx`,
  buildOnnxRecurrentModel({
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 6,
    layers: smallLstm,
    storage: "external",
    externalLocation: "../pytorch/lstm_2layer.safetensors",
  }).bytes,
);
console.log("ok");
