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
  quantizeInputs,
  quantizeModel,
  runFixed,
  toReal,
} from "./fixed.ts";
import type { Dataset } from "./dataset.ts";
import { type Head, type TaskMetrics, taskMetrics } from "./head.ts";
import type { RnnModel } from "./model.ts";

/** Which arithmetic runs the model. */
export type RunMode = "float" | "fixed";

/** Options of `runSequences`. */
export interface RunOptions {
  /** float64 reference (default) or the fixed-point golden model. */
  mode?: RunMode;
  /** Fixed-point formats (default `DEFAULT_FIXED_CONFIG`). */
  config?: FixedPointConfig;
}

/** Outputs of a run over many sequences, and how many values saturated when quantizing. */
export interface SequencesRun {
  /** `outputs[n]` is T_n steps of the last layer's output for sequence n. */
  outputs: number[][][];
  /** Weight/bias values saturated by quantization (fixed mode; 0 in float mode). */
  saturatedValues: number;
}

/** Run a model over every sequence, each from a zero state. */
export function runSequences(
  model: RnnModel,
  sequences: number[][][],
  options: RunOptions = {},
): SequencesRun {
  if ((options.mode ?? "float") === "float") {
    return { outputs: sequences.map((sequence) => runFloat(model, sequence)), saturatedValues: 0 };
  }
  const quantized = quantizeModel(model, options.config ?? DEFAULT_FIXED_CONFIG);
  const outputs = sequences.map((sequence) =>
    runFixed(quantized, quantizeInputs(sequence, quantized.format)).map((step) =>
      toReal(step, quantized.format)
    )
  );
  return { outputs, saturatedValues: quantized.saturatedValues };
}

/** Accuracy and loss of a model with a head on a labelled data set. */
export function evaluateTask(
  model: RnnModel,
  head: Head,
  dataset: Dataset,
  options: RunOptions = {},
): TaskMetrics {
  if (!dataset.labels) throw new Error("evaluateTask: the data set has no labels");
  return taskMetrics(head, runSequences(model, dataset.sequences, options).outputs, dataset.labels);
}
