/**
 * Fine-tuning with delta thresholds in the forward pass (docs/delta.md, "Training"): masked
 * fine-tuning of a pruned model, its BCR zero mask held, where the matrix-vector products see the
 * last-sent values x_hat, h_hat (straight-through gradient), run by `python -m rnnfab.delta`. The
 * teacher of the distill objective is the dense model without thresholds. `deno task finetune
 * --delta thetaX,thetaH` calls it.
 *
 * @module
 */

import { join } from "node:path";
import { saveModel } from "../model/model_io.ts";
import type { RnnModel } from "../model/model.ts";
import { runPythonJob, sameZeros, trainingJobFields, type TrainingRunOptions } from "./finetune.ts";

/** Thresholds in real units: one number for every layer, or one per layer. */
export interface DeltaTrainingThresholds {
  /** theta_x (inputs of every layer). */
  thetaX: number | number[];
  /** theta_h (recurrent inputs). */
  thetaH: number | number[];
  /** theta_m (the projection input of an LSTM with projection; absent: dense projection). */
  thetaM?: number | number[];
}

/** Options of `finetuneDelta`: a training run, the pruned model (its zeros are the mask). */
export interface DeltaFinetuneOptions extends TrainingRunOptions {
  /** The pruned model to start from; its zeros stay zero. */
  pruned: RnnModel;
  /** The thresholds in the forward pass. */
  delta: DeltaTrainingThresholds;
}

/** What `finetuneDelta` returns. */
export interface DeltaFinetuneResult {
  /** The fine-tuned model (the zeros of `pruned`). */
  model: RnnModel;
  /** Per-epoch held-out figures (measured with the thresholds in the forward pass). */
  history: Record<string, unknown>[];
  /** Fired fraction per layer over the data, float PyTorch, before and after training. */
  fired: { before: number[]; after: number[] };
}

/**
 * Fine-tune `pruned` with the thresholds in the forward pass and its zero mask held; throws when
 * the result's zeros differ from `pruned`'s.
 */
export async function finetuneDelta(options: DeltaFinetuneOptions): Promise<DeltaFinetuneResult> {
  const folder = await Deno.makeTempDir({ prefix: "rnnfab-finetune-delta-" });
  try {
    const densePath = join(folder, "dense.json");
    const startPath = join(folder, "start.json");
    await saveModel(options.dense, densePath, { safetensors: true });
    await saveModel(options.pruned, startPath, { safetensors: true });
    const { model, result } = await runPythonJob(
      {
        ...trainingJobFields(options, densePath),
        phase: "delta",
        start: startPath,
        epochs: options.epochs,
        qat: options.qat ?? null,
        delta: options.delta,
      },
      folder,
      options.onLine ?? (() => {}),
      "rnnfab.delta",
    );
    if (!model || !sameZeros(options.pruned, model)) {
      throw new Error("delta fine-tuning changed the zero mask (a kept weight became 0 or back)");
    }
    return {
      model,
      history: result.history as Record<string, unknown>[],
      fired: { before: result.firedBefore as number[], after: result.firedAfter as number[] },
    };
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}
