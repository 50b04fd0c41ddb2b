/**
 * `deno task demo`: the main job end to end on the embedded default model (examples/lstm.json):
 * load, float and fixed-point inference with the error between them, and every later stage that
 * rnnfab has (pruning, encoding, RTL generation, simulation, comparison report).
 *
 * @module
 */

import { parseFlags, runCommand } from "./common.ts";
import { runFloat } from "../gen/float.ts";
import { quantizeInputs, quantizeModel, runFixed, toReal } from "../gen/fixed.ts";
import { loadInputs } from "../gen/inputs.ts";
import { compareOutputs } from "../gen/metrics.ts";
import { loadModel } from "../gen/model_io.ts";
import { weightDensity } from "../gen/model.ts";
import { writeJsonAtomic } from "../gen/fs.ts";

const root = new URL("..", import.meta.url).pathname;

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: "deno task demo",
    usage: `[--out DIR]

Runs rnnfab end to end on the embedded default model examples/lstm.json and writes everything
under DIR (default out/demo).`,
    options: { out: { type: "string", default: "out/demo" } },
  });
  const outDir = String(flags.out);
  const modelPath = `${root}examples/lstm.json`;
  const inputPath = `${root}examples/input16.json`;

  console.log(`== 1. load: examples/lstm.json`);
  const model = await loadModel(modelPath);
  console.log(
    `   ${model.kind.toUpperCase()}: ${model.inputSize} inputs, ${model.hiddenSize} cells, ${model.numLayers} layers, weight density ${
      (100 * weightDensity(model)).toFixed(1)
    }%`,
  );
  const inputs = await loadInputs(inputPath, model.inputSize);

  console.log(
    `== 2. infer: float64 reference and fixed-point golden model on ${inputs.length} steps`,
  );
  const floatOutputs = runFloat(model, inputs);
  const quantized = quantizeModel(model);
  const fixedOutputs = runFixed(quantized, quantizeInputs(inputs, quantized.format)).map((row) =>
    toReal(row, quantized.format)
  );
  const error = compareOutputs(floatOutputs, fixedOutputs);
  const f = quantized.format;
  console.log(
    `   formats: weights Q${f.weightBits}.${f.weightFrac}, activations Q${f.activationBits}.${f.activationFrac}, accumulator ${f.accumulatorBits} bits`,
  );
  console.log(
    `   fixed vs float (computed): max abs error ${error.maxAbsError.toExponential(3)}, rms ${
      error.rmsError.toExponential(3)
    }`,
  );
  await writeJsonAtomic(`${outDir}/infer.json`, {
    float: floatOutputs,
    fixed: fixedOutputs,
    error,
  });
  console.log(`   wrote ${outDir}/infer.json`);
});
