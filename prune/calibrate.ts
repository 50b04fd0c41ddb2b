/**
 * Calibration on the user's data for the pruning search (`prune --calib D [--head H]`): how many
 * of a data file's sequences one evaluation may run, the task objective (cross-entropy of a head
 * against the labels) that the search minimises instead of the output error when labels and a head
 * are given, and the task metrics of the result beside the baselines. See docs/finetune.md.
 *
 * @module
 */

import { type Dataset, evenSubset, totalSteps } from "../model/dataset.ts";
import { runSequences } from "../model/evaluate.ts";
import { type Head, type TaskMetrics, taskMetrics } from "../model/head.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { baselineModels, type SearchObjective } from "./search.ts";

/** Default budget of multiply-accumulates per evaluation of a candidate on calibration data. */
export const DEFAULT_CALIBRATION_MACS = 4e8;

/**
 * The calibration subset of a data set: all sequences when one float evaluation of the model on
 * them stays within `macs` multiply-accumulates, else as many evenly spaced sequences as fit.
 */
export function calibrationSubset(
  model: RnnModel,
  dataset: Dataset,
  macs = DEFAULT_CALIBRATION_MACS,
): Dataset {
  const weights = namedMatrices(model).reduce((sum, { matrix }) => sum + matrix.data.length, 0);
  const steps = totalSteps(dataset.sequences);
  if (steps * weights <= macs) return dataset;
  const meanSteps = steps / dataset.sequences.length;
  const count = Math.max(1, Math.floor(macs / (weights * meanSteps)));
  return evenSubset(dataset, count);
}

/** The task objective: mean cross-entropy of the head on the labelled calibration data. */
export function taskObjective(head: Head, dataset: Dataset): SearchObjective {
  if (!dataset.labels) throw new Error("taskObjective: the calibration data has no labels");
  const labels = dataset.labels;
  return {
    name: "task cross-entropy",
    score: (outputs) => taskMetrics(head, outputs, labels).loss,
  };
}

/** Task metrics of a pruned model beside the dense model and the baselines at its density. */
export interface TaskComparison {
  /** The dense model. */
  dense: TaskMetrics;
  /** The pruned model being reported. */
  result: TaskMetrics;
  /** Uniform BCR 16x16, column share 0.5. */
  bcrUniform: TaskMetrics;
  /** Unstructured magnitude pruning per matrix. */
  magnitudePerMatrix: TaskMetrics;
  /** Unstructured magnitude pruning with one global threshold. */
  magnitudeGlobal: TaskMetrics;
}

/** Options of `compareTaskBaselines`. */
export interface TaskComparisonOptions {
  /** The classification head. */
  head: Head;
  /** Labelled data to measure on. */
  dataset: Dataset;
  /** The density the baselines are pruned to. */
  density: number;
  /** PEs to balance the uniform BCR baseline over. */
  pes?: number;
}

/** Measure accuracy and loss (float64 reference) of dense, result and baselines on labelled data. */
export async function compareTaskBaselines(
  dense: RnnModel,
  pruned: RnnModel,
  options: TaskComparisonOptions,
): Promise<TaskComparison> {
  const { head, dataset, density, pes } = options;
  const measure = async (model: RnnModel) =>
    taskMetrics(head, (await runSequences(model, dataset.sequences)).outputs, dataset.labels!);
  const baselines = baselineModels(dense, density, pes);
  return {
    dense: await measure(dense),
    result: await measure(pruned),
    bcrUniform: await measure(baselines.bcrUniform),
    magnitudePerMatrix: await measure(baselines.magnitudePerMatrix),
    magnitudeGlobal: await measure(baselines.magnitudeGlobal),
  };
}
