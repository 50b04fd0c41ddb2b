/**
 * Held-out selection of the one-shot result (`prune --select`, bench:fidelity's
 * `bcrSearchSelected`): the search ranks BCR structures by its loss on the calibration data, and
 * the refit and the bias correction are then fitted on that same data, so the search's own loss
 * cannot tell which structure, ridge term or bias correction generalises best. Here every variant
 * (the search's best few structures x refit ridge terms x bias correction off/on) is fitted on a
 * fit split of the training data and scored on a held-out split of it that it was not fitted on
 * (`rankVariants`): with a head and labels, the highest held-out accuracy, ties broken by the
 * lowest held-out distillation loss (the mean KL divergence of the head's class distribution from
 * the dense model's), then by the lowest held-out cross-entropy; without, the lowest held-out
 * relative RMS output error against the dense model; remaining ties keep the earliest variant
 * (the search's choice, the smallest ridge, no bias correction first). Besides the search's best
 * structures, the search's choice is also tried with finer blocks (2x2 by default), closer to
 * unstructured pruning in the same BCR format. The chosen
 * recipe is then fitted again on the whole calibration subset when the held-out split was carved
 * out of it. Only the data given here is read: no test set enters any choice. See
 * docs/finetune.md.
 *
 * @module
 */

import { type Dataset, pickSequences as pick } from "../model/dataset.ts";
import { runSequences } from "../model/evaluate.ts";
import { type Head, headLogits, taskMetrics } from "../model/head.ts";
import type { Labels } from "../model/dataset.ts";
import { compareOutputs } from "../model/metrics.ts";
import type { RnnModel } from "../model/model.ts";
import { type BlockSize, formatBlock, parseBlock } from "./block.ts";
import { type DensityRate, type ModelPruneOptions, pruneModelBcr } from "./bcr.ts";
import { correctBiases } from "./bias_correct.ts";
import { calibrationSubset } from "./calibrate.ts";
import { refitRidges } from "./refit.ts";
import type { SearchCandidate, SearchResult } from "./search.ts";

/** The two disjoint parts of the training data that the selection uses. */
export interface HeldOutSplit {
  /** What the variants are fitted on (refit, bias correction). */
  fit: Dataset;
  /** What they are scored on. */
  heldOut: Dataset;
  /** Indices into the training data of `fit`'s sequences. */
  fitIndices: number[];
  /** Indices into the training data of `heldOut`'s sequences. */
  heldOutIndices: number[];
  /** How the split was made, for reports. */
  how: string;
  /** Whether `fit` is the whole calibration subset (else the chosen recipe is fitted again on it). */
  fitIsCalibration: boolean;
}

/**
 * Split the training data `data` for the selection, given the search's calibration subset
 * `calibration` (whose sequences are `data`'s own arrays, as `calibrationSubset` returns them).
 * When the subset leaves training sequences out, those are held out (evenly spaced, at most `macs`
 * multiply-accumulates per evaluation, like the calibration) and the fit is the calibration subset;
 * otherwise every `every`-th calibration sequence is held out and the fit is the rest.
 */
export function heldOutSplit(
  model: RnnModel,
  data: Dataset,
  calibration: Dataset,
  options: { every?: number; macs?: number } = {},
): HeldOutSplit {
  const index = new Map(data.sequences.map((sequence, i) => [sequence, i]));
  const calibrationIndices = calibration.sequences.map((sequence) => {
    const i = index.get(sequence);
    if (i === undefined) throw new Error("heldOutSplit: a calibration sequence is not in the data");
    return i;
  });
  const inCalibration = new Set(calibrationIndices);
  const rest = data.sequences.map((_, i) => i).filter((i) => !inCalibration.has(i));
  if (rest.length > 0) {
    const budget = calibrationSubset(model, pick(data, rest), options.macs);
    const chosen = budget.sequences.map((sequence) => index.get(sequence)!);
    return {
      fit: pick(data, calibrationIndices),
      heldOut: pick(data, chosen),
      fitIndices: calibrationIndices,
      heldOutIndices: chosen,
      how: `${chosen.length} training sequences outside the calibration subset${
        chosen.length < rest.length ? ` (of ${rest.length}, evenly spaced)` : ""
      }`,
      fitIsCalibration: true,
    };
  }
  const every = options.every ?? 5;
  if (calibrationIndices.length < 2) {
    throw new Error("held-out selection needs at least 2 calibration sequences");
  }
  const held = calibrationIndices.filter((_, k) => k % every === every - 1);
  const heldOutIndices = held.length > 0 ? held : [calibrationIndices.at(-1)!];
  const heldSet = new Set(heldOutIndices);
  const fitIndices = calibrationIndices.filter((i) => !heldSet.has(i));
  return {
    fit: pick(data, fitIndices),
    heldOut: pick(data, heldOutIndices),
    fitIndices,
    heldOutIndices,
    how:
      `every ${every}th calibration sequence (${heldOutIndices.length} of ${calibrationIndices.length}), left out of the fit`,
    fitIsCalibration: false,
  };
}

/** The pruning options that reproduce one of the search's candidates. */
export function candidateOptions(
  search: SearchResult,
  candidate: SearchCandidate,
): ModelPruneOptions {
  const block = parseBlock(candidate.block)!;
  const { colShare } = candidate;
  const perMatrix: Record<string, DensityRate> = {};
  for (const [name, density] of Object.entries(candidate.densities)) {
    perMatrix[name] = { density, colShare };
  }
  const { rates: _, perMatrix: __, block: ___, ...rest } = search.options;
  const density = (search.options.rates as DensityRate).density;
  return { ...rest, block, rates: { density, colShare }, perMatrix };
}

/**
 * The search's `count` best candidates by its own loss on the calibration data, best first (the
 * search's choice first; the search never evaluates the same setting twice).
 */
export function bestCandidates(search: SearchResult, count: number): SearchCandidate[] {
  const score = (c: SearchCandidate) => c.objective ?? c.fidelity.relativeRmsError;
  return search.candidates
    .map((candidate, order) => ({ candidate, order }))
    .sort((a, b) => score(a.candidate) - score(b.candidate) || a.order - b.order)
    .map(({ candidate }) => candidate)
    .slice(0, count);
}

/**
 * The structures the selection tries: the search's `count` best candidates (best first), then the
 * search's choice with each of `finer` blocks whose rows and columns are both no larger than the
 * choice's and that is not already among them (same column share, same per-matrix densities).
 */
export function selectionStructures(
  search: SearchResult,
  count: number,
  finer: BlockSize[],
): SearchCandidate[] {
  const best = bestCandidates(search, count);
  const choice = parseBlock(best[0].block)!;
  const extra = finer
    .filter((block) => block.rows <= choice.rows && block.cols <= choice.cols)
    .map((block) => ({ ...best[0], block: formatBlock(block) }))
    .filter((c) => !best.some((b) => b.block === c.block && b.colShare === c.colShare));
  return [...best, ...extra];
}

/** Options of `selectOneShot`. */
export interface SelectionOptions {
  /** The search's result (its candidates are the structures tried). */
  search: SearchResult;
  /** The training data (all of it; the search's calibration subset is part of it). */
  data: Dataset;
  /** The search's calibration subset of `data`. */
  calibration: Dataset;
  /**
   * With labels in `data`: score by the head's accuracy, then the distillation loss against the
   * dense model, then the cross-entropy (`rankVariants`).
   */
  head?: Head;
  /** How many of the search's best structures (default 3). */
  structures?: number;
  /** Finer blocks tried on the search's choice (default 2x2; `selectionStructures`). */
  finerBlocks?: BlockSize[];
  /** Refit ridge terms (default 1e-3, 1e-2, 1e-1; relative to the mean Gram diagonal). */
  ridges?: number[];
  /** Bias correction settings tried (default off, on). */
  biasCorrection?: boolean[];
  /** Hold every n-th calibration sequence out when the data has no others (default 5). */
  every?: number;
  /** Multiply-accumulates per held-out evaluation (default that of the calibration). */
  macs?: number;
  /** One line per scored variant. */
  onProgress?: (line: string) => void;
}

/** One scored variant. */
export interface SelectionVariant {
  /** Block shape of the structure. */
  block: string;
  /** Column share of the structure. */
  colShare: number;
  /**
   * Index of the structure: the search's rank (0 = the search's choice), then the finer blocks on
   * the search's choice.
   */
  structure: number;
  /** Refit ridge term. */
  ridge: number;
  /** Bias correction applied. */
  biasCorrection: boolean;
  /** Held-out accuracy (with a head and labels), else null. */
  accuracy: number | null;
  /** Held-out loss: the head's cross-entropy, else the relative RMS output error. */
  loss: number;
  /**
   * Held-out distillation loss (with a head and labels, else null): the mean over the scored
   * steps of KL(dense || pruned) of the head's softmax, in nats.
   */
  distillation: number | null;
}

/** The result of `selectOneShot`. */
export interface Selection {
  /** The chosen recipe, fitted on the whole calibration subset. */
  model: RnnModel;
  /** The chosen variant. */
  chosen: SelectionVariant;
  /** Every scored variant, in the order tried. */
  variants: SelectionVariant[];
  /** The split (indices into the training data). */
  split: HeldOutSplit;
  /** What the held-out loss is. */
  loss: string;
  /** The ranking rule, in words. */
  rule: string;
}

/**
 * The selection's ranking rule: negative when variant a ranks before b. The highest held-out
 * accuracy first; at equal accuracy (or without one) the lowest distillation loss when both have
 * one; then the lowest loss (cross-entropy, or the relative RMS output error without a head); 0 on
 * a full tie (the earlier variant is kept).
 */
export function rankVariants(
  a: Pick<SelectionVariant, "accuracy" | "distillation" | "loss">,
  b: Pick<SelectionVariant, "accuracy" | "distillation" | "loss">,
): number {
  if (a.accuracy !== null && b.accuracy !== null && a.accuracy !== b.accuracy) {
    return b.accuracy - a.accuracy;
  }
  if (a.distillation !== null && b.distillation !== null && a.distillation !== b.distillation) {
    return a.distillation - b.distillation;
  }
  return a.loss - b.loss;
}

/** Log-softmax of logits. */
function logSoftmax(logits: Float64Array): Float64Array {
  const max = Math.max(...logits);
  const log = Math.log(logits.reduce((sum, v) => sum + Math.exp(v - max), 0)) + max;
  return logits.map((v) => v - log);
}

/** The head's log-probabilities on the steps the labels score (last step, or every step). */
function scoredLogProbs(head: Head, outputs: number[][][], labels: Labels): Float64Array[] {
  return outputs.flatMap((sequence) =>
    labels.kind === "sequence"
      ? [logSoftmax(headLogits(head, sequence[sequence.length - 1]))]
      : sequence.map((step) => logSoftmax(headLogits(head, step)))
  );
}

/** Mean KL(p || q) of log-probability vectors, step by step. */
export function meanKl(p: Float64Array[], q: Float64Array[]): number {
  let sum = 0;
  p.forEach((lp, n) => lp.forEach((v, k) => sum += Math.exp(v) * (v - q[n][k])));
  return p.length ? sum / p.length : 0;
}

/** A scorer of models on the held-out split. */
async function heldOutScore(dense: RnnModel, heldOut: Dataset, head?: Head) {
  const labels = head ? heldOut.labels : undefined;
  const denseOutputs = (await runSequences(dense, heldOut.sequences)).outputs;
  const reference = labels ? scoredLogProbs(head!, denseOutputs, labels) : null;
  return async (model: RnnModel) => {
    const { outputs } = await runSequences(model, heldOut.sequences);
    if (labels) {
      const metrics = taskMetrics(head!, outputs, labels);
      const distillation = meanKl(reference!, scoredLogProbs(head!, outputs, labels));
      return { accuracy: metrics.accuracy, loss: metrics.loss, distillation };
    }
    const loss = compareOutputs(denseOutputs.flat(), outputs.flat()).relativeRmsError;
    return { accuracy: null, loss, distillation: null };
  };
}

async function refitVariants(
  dense: RnnModel,
  options: ModelPruneOptions,
  fit: Dataset,
  settings: { ridges: number[]; biasCorrection: boolean[] },
) {
  const pruned = pruneModelBcr(dense, options).model;
  const variants: { ridge: number; bias: boolean; model: RnnModel }[] = [];
  const refits = await refitRidges(dense, pruned, fit.sequences, settings.ridges);
  for (const [k, refitted] of refits.entries()) {
    for (const bias of settings.biasCorrection) {
      const model = bias
        ? await correctBiases(dense, refitted, { sequences: fit.sequences })
        : refitted;
      variants.push({ ridge: settings.ridges[k], bias, model });
    }
  }
  return variants;
}

/**
 * Choose the one-shot result among the search's best structures, refit ridge terms and bias
 * correction off/on by their score on a held-out split of the training data (module comment).
 */
export async function selectOneShot(
  dense: RnnModel,
  options: SelectionOptions,
): Promise<Selection> {
  const split = heldOutSplit(dense, options.data, options.calibration, options);
  const settings = {
    ridges: options.ridges ?? [1e-3, 1e-2, 1e-1],
    biasCorrection: options.biasCorrection ?? [false, true],
  };
  const head = options.head && split.heldOut.labels ? options.head : undefined;
  const score = await heldOutScore(dense, split.heldOut, head);
  const structures = selectionStructures(
    options.search,
    options.structures ?? 3,
    options.finerBlocks ?? [{ rows: 2, cols: 2 }],
  );
  const variants: SelectionVariant[] = [];
  let best: { variant: SelectionVariant; model: RnnModel; options: ModelPruneOptions } | null =
    null;
  for (const [structure, candidate] of structures.entries()) {
    const pruneOptions = candidateOptions(options.search, candidate);
    const refits = await refitVariants(dense, pruneOptions, split.fit, settings);
    for (const { ridge, bias, model } of refits) {
      const variant: SelectionVariant = {
        block: candidate.block,
        colShare: candidate.colShare,
        structure,
        ridge,
        biasCorrection: bias,
        ...await score(model),
      };
      variants.push(variant);
      const accepted = !best || rankVariants(variant, best.variant) < 0;
      if (accepted) best = { variant, model, options: pruneOptions };
      options.onProgress?.(
        `  [select] structure ${structure} (${variant.block}, colShare ${variant.colShare}) ridge ${ridge} bias correction ${
          bias ? "on" : "off"
        }: held-out ${
          variant.accuracy === null ? "" : `accuracy ${(variant.accuracy * 100).toFixed(2)}%, `
        }${
          variant.distillation === null ? "" : `distillation ${variant.distillation.toFixed(6)}, `
        }loss ${variant.loss.toFixed(5)}${accepted ? " (best so far)" : ""}`,
      );
    }
  }
  const chosen = best!;
  const model = split.fitIsCalibration ? chosen.model : (await refitVariants(
    dense,
    chosen.options,
    options.calibration,
    { ridges: [chosen.variant.ridge], biasCorrection: [chosen.variant.biasCorrection] },
  ))[0].model;
  return {
    model,
    chosen: chosen.variant,
    variants,
    split,
    loss: head ? "task cross-entropy (head and labels)" : "relative RMS output error",
    rule: head
      ? "highest held-out accuracy, then lowest held-out distillation loss (mean KL(dense || pruned) of the head's softmax), then lowest held-out cross-entropy, then the earliest variant"
      : "lowest held-out relative RMS output error against the dense model, then the earliest variant",
  };
}
