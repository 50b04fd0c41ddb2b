/**
 * `deno task finetune --delta thetaX,thetaH` (docs/delta.md, "Training"): masked fine-tuning of
 * the pruned model with the thresholds in the forward pass (prune/delta_finetune.ts), its BCR zero
 * mask held; the summary measures the dense start and the result with rnnfab's fixed-point delta
 * golden model (accuracy, fired fraction per layer) over the whole data file.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import type { Dataset } from "../model/dataset.ts";
import type { DeltaConfig } from "../model/delta.ts";
import { runSequencesDelta } from "../model/delta_run.ts";
import type { FixedPointConfig } from "../model/fixed.ts";
import { type Head, taskMetrics } from "../model/head.ts";
import { type RnnModel, weightDensity } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import { TOOLS } from "../util/output.ts";
import { finetuneDelta } from "../prune/delta_finetune.ts";
import { summarizeStats } from "../model/delta.ts";
import type { FinetuneObjective, QatFormat } from "../prune/finetune.ts";

/**
 * The --delta flag: "thetaX,thetaH[,thetaM]", two or three non-negative numbers in real units
 * (thetaM: the delta-coded projection input of an LSTM with projection).
 */
export const DELTA_FLAG = {
  type: "custom" as const,
  expected: "TX,TH or TX,TH,TM: two or three non-negative numbers (real units), e.g. 0.1,0.2",
  placeholder: "TX,TH[,TM]",
  help: "train with delta thresholds theta_x, theta_h (every layer, real units; and theta_m, " +
    "the projection input of an LSTM with projection) in the forward pass, straight-through, " +
    "the BCR mask of P held (--schedule fixed; docs/delta.md)",
  parse: (text: string): { thetaX: number; thetaH: number; thetaM?: number } | undefined => {
    const parts = text.split(",").map((part) => part.trim());
    if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === "")) {
      return undefined;
    }
    const values = parts.map(Number);
    if (!values.every((v) => Number.isFinite(v) && v >= 0)) return undefined;
    const [thetaX, thetaH, thetaM] = values;
    return thetaM === undefined ? { thetaX, thetaH } : { thetaX, thetaH, thetaM };
  },
};

/** What the delta run takes from the finetune command (flags and prepared inputs). */
export interface DeltaFinetuneRun {
  /** The thresholds of --delta. */
  delta: { thetaX: number; thetaH: number; thetaM?: number };
  /** --schedule (must be fixed). */
  schedule: string;
  /** The dense model and its path. */
  dense: RnnModel;
  /** --model. */
  densePath: string;
  /** The pruned model (--pruned; required). */
  pruned?: RnnModel;
  /** --pruned. */
  prunedPath?: string;
  /** --data, its path and the loaded data set. */
  dataPath: string;
  /** The loaded data set. */
  data: Dataset;
  /** --head and the loaded head. */
  headPath?: string;
  /** The loaded head. */
  head?: Head;
  /** Training settings. */
  training: {
    objective: FinetuneObjective;
    epochs: number;
    lr: number;
    seed: number;
    batchSize: number;
    qat?: QatFormat;
  };
  /** Fixed-point formats (--config). */
  config: FixedPointConfig;
  /** --out, the report path and whether the weights go to safetensors. */
  outPath: string;
  /** The report beside --out. */
  reportPath: string;
  /** Weights in safetensors form. */
  safetensors: boolean;
}

/** Fixed-point delta figures of a model over the data file: accuracy and fired fractions. */
async function measureDelta(
  model: RnnModel,
  context: { data: Dataset; head?: Head; config: FixedPointConfig; delta: DeltaConfig },
): Promise<{ accuracy?: number; firedFraction: number[] }> {
  const run = await runSequencesDelta(model, context.data.sequences, {
    mode: "fixed",
    delta: context.delta,
    config: context.config,
    source: "--delta",
  });
  const metrics = context.head && context.data.labels
    ? taskMetrics(context.head, run.outputs, context.data.labels)
    : undefined;
  return { accuracy: metrics?.accuracy, firedFraction: summarizeStats(run.stats).firedFraction };
}

/** Run `finetune --delta`: train, measure, write the model and the report. */
export async function runDeltaFinetune(run: DeltaFinetuneRun): Promise<void> {
  if (run.schedule !== "fixed" || !run.pruned) {
    throw new UserError(
      "deno task finetune: --delta trains with P's mask held: it needs --schedule fixed and " +
        "--pruned P",
    );
  }
  const delta: DeltaConfig = { ...run.delta };
  if (delta.thetaM !== undefined && !(run.pruned.kind === "lstm" && run.pruned.projSize > 0)) {
    throw new UserError(
      "deno task finetune: --delta TX,TH,TM: theta_m delta-codes the projection input of an " +
        `LSTM with projection, and the model has no projection (${run.prunedPath})`,
    );
  }
  console.log(
    `training ${run.prunedPath} (density ${weightDensity(run.pruned).toFixed(4)}) with delta ` +
      `thresholds theta_x ${delta.thetaX}, theta_h ${delta.thetaH}` +
      (delta.thetaM === undefined ? "" : `, theta_m ${delta.thetaM}`) +
      ` in the forward pass, mask ` +
      `held, on ${run.data.sequences.length} sequences of ${run.dataPath}: objective ` +
      `${run.training.objective}, ${run.training.epochs} epochs, lr ${run.training.lr}`,
  );
  const result = await finetuneDelta({
    dense: run.dense,
    pruned: run.pruned,
    dataPath: run.dataPath,
    headPath: run.headPath,
    ...run.training,
    delta,
    onLine: (line) => console.log(`  ${line}`),
  });
  const summary: Record<string, unknown> = {};
  const context = { data: run.data, head: run.head, config: run.config, delta };
  for (const [name, model] of [["start", run.pruned], ["finetuned", result.model]] as const) {
    const figures = await measureDelta(model, context);
    summary[`${name}.fixed.delta`] = figures;
    const accuracy = figures.accuracy === undefined
      ? ""
      : `accuracy ${(figures.accuracy * 100).toFixed(2)}%, `;
    console.log(
      `${name.padEnd(9)} fixed delta on all of ${run.dataPath} (measured): ${accuracy}fired ` +
        figures.firedFraction.map((f) => `${(f * 100).toFixed(1)}%`).join(" / ") +
        " of the columns per layer (computed by the golden model)",
    );
  }
  await saveModel(result.model, run.outPath, {
    safetensors: run.safetensors,
    tool: TOOLS.finetune,
  });
  await writeJsonAtomic(run.reportPath, {
    tool: TOOLS.finetune,
    model: run.densePath,
    pruned: run.prunedPath,
    data: run.dataPath,
    head: run.headPath ?? null,
    out: run.outPath,
    schedule: "fixed",
    delta,
    ...run.training,
    qat: run.training.qat ? run.config : null,
    density: weightDensity(result.model),
    maskUnchanged: true,
    firedFloat: result.fired,
    summary,
    history: result.history,
  });
  console.log(
    `wrote ${run.outPath} (zero mask unchanged: checked; density ${
      weightDensity(result.model).toFixed(4)
    }) and ${run.reportPath}`,
  );
}
