/**
 * Calibration for `deno task prune`: `--calib X` (one sequence, or a data file of many, possibly
 * labelled) and `--head H`, or random sequences from `--seed`, said plainly. See docs/finetune.md.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { type Dataset, loadSequenceOrData, totalSteps } from "../model/dataset.ts";
import { type Head, loadHead, type TaskMetrics } from "../model/head.ts";
import type { VariantFigures, VariantRow } from "../model/evaluate.ts";
import { outputSize, type RnnModel } from "../model/model.ts";
import { calibrationSubset, type TaskComparison, taskObjective } from "../prune/calibrate.ts";
import { correctBiasesIfBetter } from "../prune/bias_correct.ts";
import { refitKeptWeights } from "../prune/refit.ts";
import { type Selection, selectOneShot } from "../prune/select.ts";
import { baselineRows } from "./prune_print.ts";
import {
  calibrationSequences,
  defaultCalibrationShape,
  outputFidelity,
  searchLoss,
  type SearchObjective,
  type SearchResult,
} from "../prune/search.ts";

/** The calibration data of a prune run. */
export interface Calibration {
  /** Sequences the search and the fidelity figures run on. */
  sequences: number[][][];
  /** What the report says about them. */
  info: Record<string, unknown>;
  /** Short text for the terminal. */
  label: string;
  /** The labelled data set and head, when both were given. */
  task?: { dataset: Dataset; head: Head };
  /** The task objective for the search, with a head and labels. */
  objective?: SearchObjective;
  /** With a data file: the whole file and the calibration subset of it (for `--select`). */
  data?: { full: Dataset; subset: Dataset };
}

/** The note printed and reported when no calibration data was given. */
export const RANDOM_INPUTS_NOTE =
  "no --calib: the search and the fidelity figures ran on random (standard normal) inputs, not on your data; they say nothing about accuracy on a task (give --calib D, and --head H with labels)";

/** Options of `loadCalibration`. */
export interface CalibrationFlags {
  /** --calib path. */
  calib?: string;
  /** --head path. */
  head?: string;
  /** --seed for random sequences. */
  seed: number;
  /** Command name for messages. */
  name: string;
}

/** Build the calibration of a prune run from its flags. */
export async function loadCalibration(
  model: RnnModel,
  flags: CalibrationFlags,
): Promise<Calibration> {
  const head = flags.head ? await loadHead(flags.head, outputSize(model)) : undefined;
  if (head && !flags.calib) {
    throw new UserError(`${flags.name}: --head needs --calib D, a data file with labels`);
  }
  if (!flags.calib) {
    const shape = defaultCalibrationShape(model);
    const sequences = calibrationSequences(model, flags.seed, shape);
    return {
      sequences,
      info: {
        source: `drawn from seed ${flags.seed} (standard normal inputs)`,
        random: true,
        note: RANDOM_INPUTS_NOTE,
        ...shape,
      },
      label: `${shape.sequences} random calibration sequence(s) x ${shape.steps} steps`,
    };
  }
  const input = await loadSequenceOrData(flags.calib, {
    inputSize: model.inputSize,
    classes: head?.weight.rows,
  });
  const full: Dataset = input.kind === "data"
    ? input.dataset
    : { sequences: [input.inputs], inputSize: model.inputSize };
  if (head && !full.labels) {
    throw new UserError(`${flags.calib}: labels: missing (--head needs labelled calibration data)`);
  }
  const dataset = calibrationSubset(model, full);
  const used = dataset.sequences.length;
  const of = full.sequences.length;
  const steps = totalSteps(dataset.sequences);
  const info: Record<string, unknown> = {
    source: flags.calib,
    random: false,
    sequences: used,
    sequencesInFile: of,
    steps,
    objective: head ? "task cross-entropy (head and labels)" : "relative RMS output error",
  };
  const subset = used < of ? ` (${used} of ${of}, evenly spaced, to bound the search time)` : "";
  const task = head ? { dataset, head } : undefined;
  return {
    sequences: dataset.sequences,
    info,
    label: `${used} calibration sequence(s)${subset}, ${steps} steps, from ${flags.calib}`,
    task,
    objective: task ? taskObjective(head!, dataset) : undefined,
    data: input.kind === "data" ? { full, subset: dataset } : undefined,
  };
}

/** The one-shot corrections after the mask is chosen (`--refit`, `--bias-correct`). */
export interface Corrections {
  /** Least-squares refit of the kept weights. */
  refit: boolean;
  /** Bias correction (after the refit when both are asked for). */
  biasCorrect: boolean;
}

/** What `correctOnCalibration` asks for: the corrections, or `--select` with the search's result. */
export interface CorrectionRequest extends Corrections {
  /** `--select`: choose structure, ridge and bias correction on a held-out split. */
  select: boolean;
  /** The search's result (absent with explicit rates). */
  search?: SearchResult;
}

/** The corrected model and what was done, for the terminal and the report. */
export interface CorrectionOutcome {
  /** The result. */
  model: RnnModel;
  /** The corrections applied. */
  applied: Corrections;
  /** What `--bias-correct` did (null without it, and with `--select`). */
  biasCorrection: BiasCorrectionReport | null;
  /** What `--select` chose (null without it). */
  selection: Selection | null;
}

/** What `--bias-correct` did, for the report. */
export interface BiasCorrectionReport {
  /** Kept: it lowered the search's loss on the calibration data. */
  applied: boolean;
  /** The loss compared (the search's objective). */
  loss: string;
  /** Its value before and after the correction. */
  before: number;
  after: number;
}

function checkCalibrated(calibration: Calibration, flag: string): void {
  if (calibration.info.random) {
    throw new UserError(
      `deno task prune: ${flag} needs --calib D (it fits the pruned model to your data)`,
    );
  }
}

function printStep(what: string, calibration: Calibration, started: number, change: string) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${what} on ${calibration.label} (${seconds} s): ${change} (measured)`);
}

/**
 * `--refit` and `--bias-correct`: the one-shot corrections of the pruned model on the calibration
 * data (not random), each printed with what it changed. The bias correction is kept only when it
 * lowers the search's loss on that data (`correctBiasesIfBetter`). With `--select`, the held-out
 * selection (`selectOnCalibration`) instead.
 */
export async function correctOnCalibration(
  dense: RnnModel,
  pruned: RnnModel,
  calibration: Calibration,
  request: CorrectionRequest,
): Promise<CorrectionOutcome> {
  if (request.select) return selectOnCalibration(dense, calibration, request);
  const { sequences } = calibration;
  let model = pruned;
  const applied = { refit: request.refit, biasCorrect: false };
  if (request.refit) {
    checkCalibrated(calibration, "--refit");
    const started = performance.now();
    const refitted = await refitKeptWeights(dense, model, sequences);
    const before = (await outputFidelity(dense, model, sequences)).relativeRmsError;
    const after = (await outputFidelity(dense, refitted, sequences)).relativeRmsError;
    const change = `relative RMS error ${before.toFixed(5)} -> ${after.toFixed(5)}`;
    printStep("refit of the kept weights", calibration, started, change);
    model = refitted;
  }
  if (!request.biasCorrect) return { model, applied, biasCorrection: null, selection: null };
  checkCalibrated(calibration, "--bias-correct");
  const started = performance.now();
  const loss = calibration.objective?.name ?? "relative RMS error";
  const guarded = await correctBiasesIfBetter(dense, model, {
    sequences,
    loss: searchLoss(dense, sequences, calibration.objective),
  });
  const { applied: kept, lossBefore: before, lossAfter: after } = guarded;
  const change = `${loss} ${before.toFixed(5)} -> ${after.toFixed(5)}, ${
    kept ? "kept" : "not kept (it did not lower it)"
  }`;
  printStep("bias correction", calibration, started, change);
  return {
    model: guarded.model,
    applied: { ...applied, biasCorrect: kept },
    biasCorrection: { applied: kept, loss, before, after },
    selection: null,
  };
}

/**
 * `--select`: the one-shot result chosen among the search's best structures, refit ridge terms
 * and bias correction off/on by its score on a held-out split of the --calib data file
 * (prune/select.ts); printed with the split and the choice.
 */
async function selectOnCalibration(
  dense: RnnModel,
  calibration: Calibration,
  request: CorrectionRequest,
): Promise<CorrectionOutcome> {
  checkCalibrated(calibration, "--select");
  if (!request.search) {
    throw new UserError("deno task prune: --select needs the search (--density or --compression)");
  }
  if (!calibration.data || calibration.data.full.sequences.length < 2) {
    throw new UserError(
      "deno task prune: --select needs --calib D, a data file of at least 2 sequences",
    );
  }
  const started = performance.now();
  const selection = await selectOneShot(dense, {
    search: request.search,
    data: calibration.data.full,
    calibration: calibration.data.subset,
    head: calibration.task?.head,
    onProgress: (line) => console.error(line),
  });
  const { chosen, split } = selection;
  const score = `${
    chosen.accuracy === null ? "" : `accuracy ${(chosen.accuracy * 100).toFixed(2)}%, `
  }${
    chosen.distillation === null ? "" : `distillation ${chosen.distillation.toFixed(6)}, `
  }${selection.loss} ${chosen.loss.toFixed(5)}`;
  printStep(
    `held-out selection (${selection.variants.length} variants fitted on ${split.fitIndices.length} sequences, scored on ${split.how})`,
    calibration,
    started,
    `chose structure #${chosen.structure} (block ${chosen.block}, column share ${chosen.colShare}), refit ridge ${chosen.ridge}, bias correction ${
      chosen.biasCorrection ? "on" : "off"
    }; held-out ${score}`,
  );
  return {
    model: selection.model,
    applied: { refit: true, biasCorrect: chosen.biasCorrection },
    biasCorrection: null,
    selection,
  };
}

/** The report's `refit`, `biasCorrection` and `selection` fields. */
export function correctionReport(outcome: CorrectionOutcome) {
  const { applied, biasCorrection, selection } = outcome;
  const ridge = selection?.chosen.ridge ?? 1e-3;
  return {
    refit: applied.refit ? { on: "calibration data", inputs: "dense trajectory", ridge } : null,
    biasCorrection: biasCorrection
      ? { on: "calibration data", inputs: "pruned model's own trajectory", ...biasCorrection }
      : null,
    selection: selection
      ? {
        what:
          "the search's best structures and its choice with finer blocks x refit ridge x bias correction off/on, fitted on the fit split, scored on the held-out split",
        rule: selection.rule,
        split: selection.split.how,
        fitSequences: selection.split.fitIndices.length,
        heldOutSequences: selection.split.heldOutIndices.length,
        refittedOnCalibration: !selection.split.fitIsCalibration,
        loss: selection.loss,
        chosen: selection.chosen,
        variants: selection.variants,
      }
      : null,
  };
}

function percent(metrics: TaskMetrics): string {
  return `${(metrics.accuracy * 100).toFixed(2)}%`;
}

/** Print the task accuracy of dense, result and baselines on the calibration data. */
export function printTaskComparison(comparison: TaskComparison, label: string): void {
  console.log(`task accuracy on ${label} (measured, float64 reference):`);
  const rows: [string, TaskMetrics][] = [["dense", comparison.dense], ...baselineRows(comparison)];
  for (const [name, metrics] of rows) {
    console.log(
      `  ${name.padEnd(38)} accuracy ${percent(metrics).padStart(7)}  cross-entropy ${
        metrics.loss.toFixed(4)
      }`,
    );
  }
}

function cellOf(value: number | null, format: (value: number) => string): string {
  return value === null ? "-" : format(value);
}

/** Print accuracy (with a head and labels) and output error, float64 and fixed point, per model. */
export function printVariants(rows: VariantRow[], label: string): void {
  console.log(
    `float64 and fixed point (golden model, bit-exact with the RTL) on ${label} (measured; ` +
      "output error: relative RMS error against the dense float64 outputs):",
  );
  const accuracy = (value: number) => `${(value * 100).toFixed(2)}%`;
  for (const row of rows) {
    const figures = ([mode, f]: [string, VariantFigures]) =>
      `${mode} accuracy ${cellOf(f.accuracy, accuracy).padStart(7)} error ${
        f.relativeRmsError.toExponential(3)
      }`;
    console.log(
      `  ${row.name.padEnd(38)} density ${row.density.toFixed(4)}  ${
        ([["float", row.float], ["fixed", row.fixed]] as [string, VariantFigures][]).map(figures)
          .join("  ")
      }`,
    );
  }
}
