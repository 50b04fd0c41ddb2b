/**
 * `deno task infer --model M --input X --out Y [--mode float|fixed] [--config C] [--compare]`:
 * run a model on an input sequence with the float64 reference or the fixed-point golden model.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { runFloat } from "../model/float.ts";
import {
  DEFAULT_FIXED_CONFIG,
  quantizeInputs,
  quantizeModel,
  runFixed,
  toReal,
} from "../model/fixed.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { loadInputs } from "../model/inputs.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import { guardPaths } from "../util/output.ts";
import { compareOutputs } from "../model/metrics.ts";

const NAME = "deno task infer";
const USAGE = `--model M --input X --out Y [--mode float|fixed] [--config C] [--compare]

Runs the model M (rnnfab JSON, or ONNX) on the input sequence X ({"inputs": [[...], ...]}, T steps
of inputSize numbers) and writes Y ({"outputs": [[...], ...]}, the last layer's output per step).

  --mode float    float64 reference with PyTorch semantics (default)
  --mode fixed    bit-accurate fixed-point golden model (docs/fixed-point.md)
  --config C      fixed-point formats (JSON: weightBits, weightFrac, activationBits, ...)
  --compare       with --mode fixed: also run float and print the error against it`;

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      model: { type: "string" },
      input: { type: "string" },
      out: { type: "string" },
      mode: { type: "string", default: "float" },
      config: { type: "string" },
      compare: { type: "boolean" },
    },
  });
  const modelPath = requireFlag(flags, "model", NAME);
  const inputPath = requireFlag(flags, "input", NAME);
  const outPath = requireFlag(flags, "out", NAME);
  const mode = flags.mode;
  if (mode !== "float" && mode !== "fixed") {
    throw new UserError(`${NAME}: --mode: expected float or fixed, got ${mode}`);
  }
  await guardPaths({
    command: NAME,
    inputs: [
      ...await modelInputPaths(modelPath),
      { path: inputPath, flag: "--input" },
      ...(typeof flags.config === "string" ? [{ path: flags.config, flag: "--config" }] : []),
    ],
    outputs: [{ path: outPath, flag: "--out", kind: "file" }],
  });
  const config = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : DEFAULT_FIXED_CONFIG;

  const model = await loadAnyModel(modelPath);
  const inputs = await loadInputs(inputPath, model.inputSize);
  let outputs: number[][];
  if (mode === "float") {
    outputs = runFloat(model, inputs);
  } else {
    const quantized = quantizeModel(model, config);
    if (quantized.saturatedValues > 0) {
      console.error(
        `warning: ${quantized.saturatedValues} weight/bias values saturated in the chosen fixed-point format`,
      );
    }
    outputs = runFixed(quantized, quantizeInputs(inputs, quantized.format)).map((step) =>
      toReal(step, quantized.format)
    );
    const f = quantized.format;
    console.error(
      `fixed point: weights Q${f.weightBits}.${f.weightFrac}, activations Q${f.activationBits}.${f.activationFrac}, accumulator ${f.accumulatorBits} bits`,
    );
    if (flags.compare) {
      const error = compareOutputs(runFloat(model, inputs), outputs);
      console.error(
        `error against float (computed): max abs ${error.maxAbsError.toExponential(3)}, rms ${
          error.rmsError.toExponential(3)
        }, cosine ${error.cosine.toFixed(6)}`,
      );
    }
  }
  await writeJsonAtomic(outPath, { outputs });
  console.error(
    `wrote ${outPath}: ${outputs.length} steps x ${outputs[0]?.length ?? 0} outputs (${mode})`,
  );
});
