/**
 * Classification heads and task metrics: a head is a linear layer `{"weight": [[...]], "bias":
 * [...]}` (classes x the model's output size) on the last layer's output; the task metrics are the
 * accuracy and the mean cross-entropy of the head's logits against a data set's labels, on the last
 * step of each sequence (one label per sequence) or on every step (one label per step).
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import type { Labels } from "./dataset.ts";
import { readJsonFile } from "./inputs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import type { Matrix } from "./model.ts";

/** A linear classification head: logits = weight * output + bias. */
export interface Head {
  /** classes x outputSize. */
  weight: Matrix;
  /** One bias per class. */
  bias: Float64Array;
}

const finite = z.number().refine(Number.isFinite, { message: "expected a finite number" });
const headSchema = z.object({
  weight: z.array(z.array(finite)).min(1, { message: "expected at least one row (class)" }),
  bias: z.array(finite),
}).catchall(z.unknown());

/** Validate a parsed head file against the model's output size. */
export function parseHead(value: unknown, source: string, outputSize: number): Head {
  const { weight, bias } = parseWithSchema(headSchema, value, source);
  weight.forEach((row, r) => {
    if (row.length !== outputSize) {
      throw new UserError(
        `${source}: weight[${r}]: expected ${outputSize} numbers (the model's output size), got ${row.length}`,
      );
    }
  });
  if (bias.length !== weight.length) {
    throw new UserError(
      `${source}: bias: expected ${weight.length} numbers (one per row of weight), got ${bias.length}`,
    );
  }
  return {
    weight: { rows: weight.length, cols: outputSize, data: Float64Array.from(weight.flat()) },
    bias: Float64Array.from(bias),
  };
}

/** Load a head file for a model whose last layer has `outputSize` outputs. */
export async function loadHead(path: string, outputSize: number): Promise<Head> {
  return parseHead(await readJsonFile(path, "head"), path, outputSize);
}

/** The head's logits for one output vector. */
export function headLogits(head: Head, output: ArrayLike<number>): Float64Array {
  const { rows, cols, data } = head.weight;
  const logits = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = head.bias[r];
    for (let c = 0; c < cols; c++) sum += data[r * cols + c] * output[c];
    logits[r] = sum;
  }
  return logits;
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Cross-entropy of logits against a class: logsumexp(logits) - logits[label]. */
export function crossEntropy(logits: Float64Array, label: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return max + Math.log(sum) - logits[label];
}

/** Accuracy and loss of a head on a data set's outputs. */
export interface TaskMetrics {
  /** Fraction of correct predictions, in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy (nats). */
  loss: number;
  /** Number of correct predictions. */
  correct: number;
  /** Number of predictions (sequences, or steps with per-step labels). */
  count: number;
}

/** Predicted classes: the last step's class per sequence, or every step's with per-step labels. */
export function predictions(
  head: Head,
  outputs: number[][][],
  perStep: boolean,
): number[] | number[][] {
  return perStep
    ? outputs.map((sequence) => sequence.map((step) => argmax(headLogits(head, step))))
    : outputs.map((sequence) => argmax(headLogits(head, sequence[sequence.length - 1])));
}

/**
 * Accuracy and mean cross-entropy of `head` on per-sequence outputs (`outputs[n]` is T_n steps of
 * the last layer's output), against the labels.
 */
export function taskMetrics(head: Head, outputs: number[][][], labels: Labels): TaskMetrics {
  let correct = 0;
  let loss = 0;
  let count = 0;
  const score = (output: number[], label: number) => {
    const logits = headLogits(head, output);
    if (argmax(logits) === label) correct++;
    loss += crossEntropy(logits, label);
    count++;
  };
  outputs.forEach((sequence, n) => {
    if (labels.kind === "sequence") score(sequence[sequence.length - 1], labels.values[n]);
    else sequence.forEach((step, t) => score(step, labels.values[n][t]));
  });
  return { accuracy: count ? correct / count : 0, loss: count ? loss / count : 0, correct, count };
}
