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

import {
  buildOnnxRecurrentModel,
  type OnnxRecurrentSpec,
  randomOnnxLayers,
} from "../../../model/onnx/build.ts";
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

/** A random model's layers and the spec that builds it (the layers drawn from `seed`). */
function spec(
  kind: "lstm" | "gru",
  sizes: { inputSize: number; hiddenSize: number; numLayers: number; peepholes?: boolean },
  seed: number,
): OnnxRecurrentSpec {
  const layers = randomOnnxLayers({ kind, ...sizes, seed });
  return { kind, inputSize: sizes.inputSize, hiddenSize: sizes.hiddenSize, layers };
}

const lstm3 = spec("lstm", { inputSize: 5, hiddenSize: 8, numLayers: 3, peepholes: true }, 31);
const gru2 = spec("gru", { inputSize: 4, hiddenSize: 8, numLayers: 2 }, 32);
const small = spec("lstm", { inputSize: 3, hiddenSize: 6, numLayers: 1 }, 33);

/** Good models: name, spec, how they store the weights and the initial state. */
const GOOD: [string, OnnxRecurrentSpec][] = [
  ["lstm_peephole_3layer_external", {
    ...lstm3,
    storage: "external",
    externalLocation: "lstm_peephole_3layer_external.weights.bin",
    initialState: "zero-expand",
  }],
  ["gru_2layer_float_data", { ...gru2, storage: "float_data", initialState: "zero-initializer" }],
  ["lstm_1layer_constants", { ...small, storage: "constant", initialState: "zero-constant-of-shape" }],
];
for (const [name, good] of GOOD) await writeGood(name, buildOnnxRecurrentModel(good), good.inputSize);

const plain = buildOnnxRecurrentModel(small);
await Deno.writeFile(`${here}bad_truncated.onnx`, plain.bytes.subarray(0, plain.bytes.length >> 1));
await Deno.writeTextFile(`${here}bad_not_onnx.onnx`, "this is a text file, not an ONNX model\n");

/** Bad models built with one defect each. */
const BAD: [string, OnnxRecurrentSpec][] = [
  ["bad_gru_linear_before_reset_0", {
    ...gru2,
    layers: gru2.layers.slice(0, 1),
    attributes: { linear_before_reset: 0 },
  }],
  ["bad_lstm_bidirectional", { ...small, attributes: { direction: "bidirectional" } }],
  ["bad_lstm_hidden_size", { ...small, attributes: { hidden_size: 7 } }],
  ["bad_lstm_external_escape", {
    ...small,
    storage: "external",
    externalLocation: "../pytorch/lstm_2layer.safetensors",
  }],
];
for (const [name, bad] of BAD) {
  await Deno.writeFile(`${here}${name}.onnx`, buildOnnxRecurrentModel(bad).bytes);
}
const type = modelProtoType();
const withoutR = type.toObject(type.decode(plain.bytes), { longs: Number });
withoutR.graph.initializer = withoutR.graph.initializer.filter((t: { name: string }) =>
  t.name !== "l0_R"
);
await Deno.writeFile(
  `${here}bad_lstm_missing_initializer.onnx`,
  type.encode(type.fromObject(withoutR)).finish(),
);
console.log("ok");
