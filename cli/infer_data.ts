/**
 * The data-file side of `deno task infer`: many sequences in one process, outputs one per
 * sequence, and with a head and labels the accuracy (docs/finetune.md).
 *
 * @module
 */

import type { Dataset } from "../model/dataset.ts";
import { type RunMode, runSequences } from "../model/evaluate.ts";
import type { FixedPointConfig, QuantizedModel } from "../model/fixed.ts";
import type { DeltaConfig } from "../model/delta.ts";
import { runSequencesDelta } from "../model/delta_run.ts";
import { deltaReport, printDeltaReport } from "./infer_delta.ts";
import { type Head, predictions, taskMetrics } from "../model/head.ts";
import type { RnnModel } from "../model/model.ts";
import { compareOutputs } from "../model/metrics.ts";
import { writeJsonAtomic } from "../util/fs.ts";

/** What `inferDataFile` needs. */
export interface InferDataOptions {
  /** The model. */
  model: RnnModel;
  /** The data set. */
  dataset: Dataset;
  /** float or fixed. */
  mode: RunMode;
  /** Fixed-point formats. */
  config: FixedPointConfig;
  /** Fixed mode: the quantized model as the hardware holds it (weight sharing). */
  weights?: (quantized: QuantizedModel) => QuantizedModel;
  /** Output path. */
  out: string;
  /** A classification head, when given. */
  head?: Head;
  /** With fixed mode: also run float and print the error against it. */
  compare?: boolean;
  /** Delta thresholds (docs/delta.md): run the delta model instead, report the fired counts. */
  delta?: { config: DeltaConfig; source: string };
}

/** Run a model over a data file, write `{"outputs": [...]}` and print what was measured. */
export async function inferDataFile(options: InferDataOptions): Promise<void> {
  const { model, dataset, mode, config, head } = options;
  const started = performance.now();
  const { delta } = options;
  const deltaRun = delta &&
    await runSequencesDelta(model, dataset.sequences, {
      mode,
      config,
      delta: delta.config,
      source: delta.source,
    });
  const run = deltaRun ??
    await runSequences(model, dataset.sequences, { mode, config, weights: options.weights });
  const seconds = (performance.now() - started) / 1000;
  if (run.saturatedValues > 0) {
    console.error(
      `warning: ${run.saturatedValues} weight/bias values saturated in the chosen fixed-point format`,
    );
  }
  if (mode === "fixed" && options.compare) {
    const float = (await runSequences(model, dataset.sequences)).outputs;
    const error = compareOutputs(float.flat(), run.outputs.flat());
    console.error(
      `error against float (computed): max abs ${error.maxAbsError.toExponential(3)}, rms ${
        error.rmsError.toExponential(3)
      }, cosine ${error.cosine.toFixed(6)}`,
    );
  }
  const result: Record<string, unknown> = { outputs: run.outputs };
  if (deltaRun) result.delta = printDeltaReport(deltaReport(deltaRun.stats), mode);
  if (head) {
    const perStep = dataset.labels?.kind === "step";
    result.predictions = predictions(head, run.outputs, perStep);
    if (dataset.labels) {
      const metrics = taskMetrics(head, run.outputs, dataset.labels);
      result.accuracy = metrics.accuracy;
      result.loss = metrics.loss;
      console.log(
        `accuracy (measured, ${mode}): ${
          (metrics.accuracy * 100).toFixed(2)
        }% (${metrics.correct}/${metrics.count} ${
          perStep ? "steps" : "sequences"
        }), cross-entropy ${metrics.loss.toFixed(4)}`,
      );
    } else {
      console.error("no labels in the data file: predictions written, no accuracy");
    }
  }
  await writeJsonAtomic(options.out, result);
  const steps = dataset.sequences.reduce((sum, sequence) => sum + sequence.length, 0);
  console.error(
    `wrote ${options.out}: ${dataset.sequences.length} sequences, ${steps} steps (${mode}, ${
      seconds.toFixed(2)
    } s measured)`,
  );
}
