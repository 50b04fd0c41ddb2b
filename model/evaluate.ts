/**
 * Running a model over a data set of many sequences, in float64 (the reference) or in fixed point
 * (the golden model, bit-exact with the generated hardware), each sequence from a zero state.
 *
 * @module
 */

import { runFloat } from "./float.ts";
import {
  DEFAULT_FIXED_CONFIG,
  type FixedPointConfig,
  type QuantizedModel,
  quantizeInputs,
  quantizeModel,
  runFixed,
  toReal,
} from "./fixed.ts";
import type { Dataset } from "./dataset.ts";
import { type Head, type TaskMetrics, taskMetrics } from "./head.ts";
import { type RnnModel, weightDensity } from "./model.ts";
import { compareOutputs } from "./metrics.ts";
import { mapYielding } from "../util/event_loop.ts";

/** Which arithmetic runs the model. */
export type RunMode = "float" | "fixed";

/** Options of `runSequences`. */
export interface RunOptions {
  /** float64 reference (default) or the fixed-point golden model. */
  mode?: RunMode;
  /** Fixed-point formats (default `DEFAULT_FIXED_CONFIG`). */
  config?: FixedPointConfig;
  /**
   * Fixed mode: replaces the quantized model before the run, e.g. with its shared weights (a
   * codebook, `shareWeights` of encode/codebook.ts), as the hardware holds it.
   */
  weights?: (quantized: QuantizedModel) => QuantizedModel;
}

/** Outputs of a run over many sequences, and how many values saturated when quantizing. */
export interface SequencesRun {
  /** `outputs[n]` is T_n steps of the last layer's output for sequence n. */
  outputs: number[][][];
  /** Weight/bias values saturated by quantization (fixed mode; 0 in float mode). */
  saturatedValues: number;
}

/**
 * Run a model over every sequence, each from a zero state (asynchronous only to let the event
 * loop in between sequences, so that an interrupt is handled: util/event_loop.ts).
 */
export async function runSequences(
  model: RnnModel,
  sequences: number[][][],
  options: RunOptions = {},
): Promise<SequencesRun> {
  if ((options.mode ?? "float") === "float") {
    const outputs = await mapYielding(sequences, (sequence) => runFloat(model, sequence));
    return { outputs, saturatedValues: 0 };
  }
  const plain = quantizeModel(model, options.config ?? DEFAULT_FIXED_CONFIG);
  const quantized = options.weights ? options.weights(plain) : plain;
  const outputs = await mapYielding(
    sequences,
    (sequence) =>
      runFixed(quantized, quantizeInputs(sequence, quantized.format)).map((step) =>
        toReal(step, quantized.format)
      ),
  );
  return { outputs, saturatedValues: quantized.saturatedValues };
}

/** Accuracy and loss of a model with a head on a labelled data set. */
export async function evaluateTask(
  model: RnnModel,
  head: Head,
  dataset: Dataset,
  options: RunOptions = {},
): Promise<TaskMetrics> {
  if (!dataset.labels) throw new Error("evaluateTask: the data set has no labels");
  const { outputs } = await runSequences(model, dataset.sequences, options);
  return taskMetrics(head, outputs, dataset.labels);
}

/** One model, and the arithmetic it runs in, for `compareVariants`. */
export interface Variant {
  /** What it is, e.g. "dense", "pruned (BCR 0.25)", "fine-tuned". */
  name: string;
  /** The model. */
  model: RnnModel;
}

/** A variant's figures in one arithmetic on a data set. */
export interface VariantFigures {
  /** Fraction correct through the head (null without a head and labels). */
  accuracy: number | null;
  /** Mean cross-entropy of the head (null without a head and labels). */
  loss: number | null;
  /** RMS of the output differences / RMS of the reference outputs (0 is perfect). */
  relativeRmsError: number;
  /** Cosine similarity of all outputs with the reference's, flattened (1 is perfect). */
  cosine: number;
}

/** A variant measured in float64 and in fixed point. */
export interface VariantRow {
  /** The variant's name. */
  name: string;
  /** Weight density of the variant (computed). */
  density: number;
  /** float64 reference. */
  float: VariantFigures;
  /** Fixed-point golden model (bit-exact with the generated hardware). */
  fixed: VariantFigures;
}

/** Options of `compareVariants`. */
export interface CompareVariantsOptions {
  /** The data set (labels needed for accuracy). */
  dataset: Dataset;
  /** The classification head, for accuracy and loss. */
  head?: Head;
  /** Fixed-point formats (default `DEFAULT_FIXED_CONFIG`). */
  config?: FixedPointConfig;
}

/**
 * Accuracy (with a head and labels) and output error of each variant, in float64 and in fixed
 * point, on every sequence of a data set. The output error is against `reference` in float64
 * (the dense model: the error of the dense model's own float64 run is 0).
 */
export async function compareVariants(
  reference: RnnModel,
  variants: Variant[],
  options: CompareVariantsOptions,
): Promise<VariantRow[]> {
  const { dataset, head } = options;
  const referenceOutputs = (await runSequences(reference, dataset.sequences)).outputs.flat();
  const figures = async (model: RnnModel, mode: RunMode): Promise<VariantFigures> => {
    const { outputs } = await runSequences(model, dataset.sequences, {
      mode,
      config: options.config,
    });
    const error = compareOutputs(referenceOutputs, outputs.flat());
    const task = head && dataset.labels ? taskMetrics(head, outputs, dataset.labels) : null;
    return {
      accuracy: task?.accuracy ?? null,
      loss: task?.loss ?? null,
      relativeRmsError: error.relativeRmsError,
      cosine: error.cosine,
    };
  };
  const rows: VariantRow[] = [];
  for (const { name, model } of variants) {
    const float = await figures(model, "float");
    rows.push({ name, density: weightDensity(model), float, fixed: await figures(model, "fixed") });
  }
  return rows;
}
