/**
 * `deno task infer --model M --input X --out Y [--mode float|fixed] [--config C] [--compare]`:
 * run a model on an input sequence with the float64 reference or the fixed-point golden model.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { limitFlag, MODEL_FLAG } from "./shared_flags.ts";
import { ACCELERATOR_LIMITS } from "../rtl/config.ts";
import { shareWeights } from "../encode/mod.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import { runFloat } from "../model/float.ts";
import {
  DEFAULT_FIXED_CONFIG,
  quantizeInputs,
  quantizeModel,
  runFixed,
  toReal,
} from "../model/fixed.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadModelConfig } from "../rtl/config_file.ts";
import { runSequencesDelta } from "../model/delta_run.ts";
import { deltaReport, printDeltaReport } from "./infer_delta.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import { guardPaths } from "../util/output.ts";
import { loadSequenceOrData } from "../model/dataset.ts";
import { loadHead } from "../model/head.ts";
import { outputSize } from "../model/model.ts";
import { UserError } from "../util/errors.ts";
import { inferDataFile } from "./infer_data.ts";
import { compareOutputs } from "../model/metrics.ts";

const COMMAND = defineCommand({
  name: "deno task infer",
  synopsis: "--model M --input X --out Y [--mode float|fixed] [--config C] [--codebook-bits K]\n" +
    "       [--compare] [--head H]",
  description:
    `Runs the model M (rnnfab JSON, or ONNX) on the input sequence X ({"inputs": [[...], ...]}, T steps
of inputSize numbers) and writes Y ({"outputs": [[...], ...]}, the last layer's output per step).
X may also be a data file of many sequences ({"sequences": [[[...], ...], ...], "labels": [...]}
or .safetensors, docs/finetune.md): then Y is {"outputs": [...]}, one T x outputs list per sequence.`,
  flags: {
    model: MODEL_FLAG,
    input: {
      type: "path",
      required: true,
      placeholder: "X",
      help: "input sequence file, or a data file of many sequences",
    },
    out: { type: "path", required: true, placeholder: "Y", help: "output sequence file to write" },
    mode: {
      type: "enum",
      values: ["float", "fixed"],
      default: "float",
      help: "float: float64 reference with PyTorch semantics; fixed: bit-accurate fixed-point " +
        "golden model (docs/fixed-point.md)",
    },
    config: {
      type: "path",
      placeholder: "C",
      help: "fixed-point formats (JSON: weightBits, weightFrac, activationBits, ...); with " +
        '"delta": {"thetaX", "thetaH"} the delta model runs and the fired fraction is printed ' +
        "(docs/delta.md)",
    },
    "codebook-bits": limitFlag(
      ACCELERATOR_LIMITS.codebookBits,
      "with --mode fixed: share the quantized weights through a 2^K-word codebook first, as " +
        'gen --codebook-bits K stores them (docs/fixed-point.md, "Narrow weights")',
      { placeholder: "K" },
    ),
    compare: {
      type: "bool",
      help: "with --mode fixed (or delta): also run the dense float model and print the error " +
        "against it",
    },
    head: {
      type: "path",
      placeholder: "H",
      help: 'classification head ({"weight": [[...]], "bias": [...]}), with a data file: Y also ' +
        'gets "predictions"; with labels, the accuracy is printed and written',
    },
  },
});

/** The weight-sharing step of `--codebook-bits K` (fixed mode only), printing what it did. */
function sharedWeights(
  bits: number | undefined,
  mode: string,
  delta: boolean,
): ((quantized: QuantizedModel) => QuantizedModel) | undefined {
  if (bits === undefined) return undefined;
  if (mode !== "fixed" || delta) {
    throw new UserError(`${COMMAND.name}: --codebook-bits needs --mode fixed (without delta)`);
  }
  return (quantized) => {
    const { model, report } = shareWeights(quantized, bits);
    console.error(
      `weight sharing (computed): ${report.distinctCodes} values in a ${
        2 ** bits
      }-word codebook, rms error ${report.rmsError.toFixed(2)} LSB`,
    );
    return model;
  };
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { model: modelPath, input: inputPath, out: outPath, mode } = flags;
  await guardPaths({
    command: COMMAND.name,
    inputs: [
      ...await modelInputPaths(modelPath),
      { path: inputPath, flag: "--input" },
      ...(typeof flags.config === "string" ? [{ path: flags.config, flag: "--config" }] : []),
      ...(typeof flags.head === "string" ? [{ path: flags.head, flag: "--head" }] : []),
    ],
    outputs: [{ path: outPath, flag: "--out", kind: "file" }],
  });
  const loaded = typeof flags.config === "string"
    ? await loadModelConfig(flags.config)
    : { fixed: DEFAULT_FIXED_CONFIG };
  const config = loaded.fixed;
  const delta = loaded.delta && { config: loaded.delta, source: String(flags.config) };
  const weights = sharedWeights(flags["codebook-bits"], mode, delta !== undefined);

  const model = await loadAnyModel(modelPath);
  const head = typeof flags.head === "string"
    ? await loadHead(flags.head, outputSize(model))
    : undefined;
  const input = await loadSequenceOrData(inputPath, {
    inputSize: model.inputSize,
    classes: head?.weight.rows,
  });
  if (input.kind === "data") {
    const { dataset } = input;
    const compare = flags.compare === true;
    await inferDataFile({
      ...{ model, dataset, mode, config, weights },
      ...{ out: outPath, head, compare, delta },
    });
    return;
  }
  if (head) {
    throw new UserError(
      `${COMMAND.name}: --head needs a data file as --input ({"sequences": ..., "labels": ...}), got a single sequence in ${inputPath}`,
    );
  }
  const inputs = input.inputs;
  let outputs: number[][];
  if (delta) {
    const run = await runSequencesDelta(model, [inputs], {
      mode,
      config,
      delta: delta.config,
      source: delta.source,
    });
    outputs = run.outputs[0];
    if (flags.compare) {
      const error = compareOutputs(runFloat(model, inputs), outputs);
      console.error(
        `error against the dense float model (computed): max abs ${
          error.maxAbsError.toExponential(3)
        }, rms ${error.rmsError.toExponential(3)}`,
      );
    }
    await writeJsonAtomic(outPath, {
      outputs,
      delta: printDeltaReport(deltaReport(run.stats), mode),
    });
    console.error(
      `wrote ${outPath}: ${outputs.length} steps x ${
        outputs[0]?.length ?? 0
      } outputs (${mode}, delta)`,
    );
    return;
  }
  if (mode === "float") {
    outputs = runFloat(model, inputs);
  } else {
    const quantized = (weights ?? ((q: QuantizedModel) => q))(quantizeModel(model, config));
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
