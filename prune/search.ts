/**
 * Choosing BCR hyperparameters for a target density, as GRIM's decoupled search does: first the
 * block size at a uniform rate, then the column/row split, then per-matrix keep rates, each step
 * keeping what lowers the output error of the pruned model against the dense one on calibration
 * sequences (float64 reference `runFloat`). Also the fidelity measure and the baselines that the
 * report puts beside the result. See docs/pruning.md.
 *
 * @module
 */

import { runFloat } from "../model/float.ts";
import { compareOutputs } from "../model/metrics.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { type BlockSize, clipBlock, formatBlock } from "./block.ts";
import { type DensityRate, type ModelPruneOptions, type PeBalance, pruneModelBcr } from "./bcr.ts";
import { magnitudePrune } from "./magnitude.ts";
import { randomInputs } from "../model/random.ts";
import { mapYielding } from "../util/event_loop.ts";

/** How close a pruned model's outputs are to the dense model's on calibration sequences. */
export interface Fidelity {
  /** RMS of the output differences / RMS of the dense outputs (0 is perfect). */
  relativeRmsError: number;
  /** Cosine similarity of all outputs, flattened (1 is perfect). */
  cosine: number;
}

/**
 * Run a model over several sequences and concatenate the outputs (steps of all sequences),
 * letting the event loop in between sequences (util/event_loop.ts).
 */
async function runSequences(model: RnnModel, sequences: number[][][]): Promise<number[][]> {
  return (await mapYielding(sequences, (sequence) => runFloat(model, sequence))).flat();
}

/**
 * Output fidelity of `pruned` against `dense`: both run with the float64 reference from a zero
 * state over each sequence; errors are computed over all steps and outputs together.
 */
export async function outputFidelity(
  dense: RnnModel,
  pruned: RnnModel,
  sequences: number[][][],
): Promise<Fidelity> {
  return fidelityAgainst(await runSequences(dense, sequences), pruned, sequences);
}

async function fidelityAgainst(
  reference: number[][],
  pruned: RnnModel,
  sequences: number[][][],
): Promise<Fidelity> {
  const error = compareOutputs(reference, await runSequences(pruned, sequences));
  return { relativeRmsError: error.relativeRmsError, cosine: error.cosine };
}

/**
 * What the search minimises instead of the output error (e.g. a task loss on labelled data):
 * `score` gets the pruned model's outputs, one T_n x outputs list per calibration sequence.
 */
export interface SearchObjective {
  /** Name shown in progress lines and reports, e.g. "task cross-entropy". */
  name: string;
  /** Lower is better. */
  score: (outputs: number[][][]) => number;
}

/**
 * The search's loss of a model on calibration sequences: the objective's score, or without one the
 * relative RMS output error against `dense` (lower is better either way).
 */
export function searchLoss(
  dense: RnnModel,
  sequences: number[][][],
  objective?: SearchObjective,
): (model: RnnModel) => Promise<number> {
  return async (model) =>
    objective
      ? objective.score(await mapYielding(sequences, (sequence) => runFloat(model, sequence)))
      : (await outputFidelity(dense, model, sequences)).relativeRmsError;
}

/** Shape of the default calibration set. */
export interface CalibrationShape {
  /** Number of sequences. */
  sequences: number;
  /** Steps per sequence. */
  steps: number;
}

/**
 * Default calibration size for a model: about 1.5e8 multiply-accumulates per evaluation (between
 * 16 and 128 steps in all), in 4 sequences (2 when the steps are few), so that a search on a
 * 3.25M-weight model evaluates a candidate in about a tenth of a second.
 */
export function defaultCalibrationShape(model: RnnModel): CalibrationShape {
  const weights = namedMatrices(model).reduce((sum, { matrix }) => sum + matrix.data.length, 0);
  const totalSteps = Math.max(16, Math.min(128, Math.floor(1.5e8 / Math.max(1, weights))));
  const sequences = totalSteps >= 64 ? 4 : 2;
  return { sequences, steps: Math.floor(totalSteps / sequences) };
}

/**
 * Calibration sequences drawn deterministically from a seed (standard normal inputs, as
 * `randomInputs`); sequence k uses seed + k.
 */
export function calibrationSequences(
  model: RnnModel,
  seed: number,
  shape: CalibrationShape = defaultCalibrationShape(model),
): number[][][] {
  return Array.from(
    { length: shape.sequences },
    (_, k) => randomInputs(shape.steps, model.inputSize, seed + k),
  );
}

/** The default block candidates of the search (clipped to each matrix). */
export const DEFAULT_BLOCK_CANDIDATES: BlockSize[] = [
  { rows: 4, cols: 4 },
  { rows: 8, cols: 8 },
  { rows: 16, cols: 16 },
  { rows: 32, cols: 32 },
  { rows: 64, cols: 16 },
  { rows: 16, cols: 64 },
  { rows: 16, cols: Infinity },
];

/** The uniform BCR setting the search starts from and reports as "what you get without search". */
export const DEFAULT_BLOCK: BlockSize = { rows: 16, cols: 16 };

/** Options of `searchBcrHyperparameters`. */
export interface SearchOptions {
  /** Overall target density over all weight matrices, in (0, 1]. */
  density: number;
  /** Calibration sequences (each T x inputSize). */
  calibration: number[][][];
  /** Balance over this many PEs in every evaluated candidate. */
  pes?: number;
  /** With `pes`: MAC lanes of the PEs (prune in lane order, whole lines; `ModelPruneOptions`). */
  lanes?: number;
  /** With `pes`: what to balance (`ModelPruneOptions`). */
  balance?: PeBalance;
  /** Block shapes tried in stage 1 (default `DEFAULT_BLOCK_CANDIDATES`). */
  blockCandidates?: BlockSize[];
  /** Fix the block shape (stage 1 is skipped). */
  block?: BlockSize;
  /** Column shares tried in stage 2 (default 0.25, 0.5, 0.75). */
  colShares?: number[];
  /** Multipliers of one matrix's density tried in stage 3 (default 0.5, 0.7, 1.4, 2). */
  rateMultipliers?: number[];
  /** Coordinate-descent rounds of stage 3 (default 2; 0 keeps uniform rates). */
  rounds?: number;
  /** Called with one line per evaluated candidate. */
  onProgress?: (line: string) => void;
  /** Minimise this instead of the relative RMS output error (default). */
  objective?: SearchObjective;
}

/** One evaluated candidate of the search. */
export interface SearchCandidate {
  /** "block" (stage 1), "split" (stage 2) or "rates" (stage 3). */
  stage: "block" | "split" | "rates";
  /** Block shape, e.g. "16x16" ("all" = whole dimension). */
  block: string;
  /** Column share (colKeep = density^colShare per matrix). */
  colShare: number;
  /** Target density per matrix. */
  densities: Record<string, number>;
  /** Achieved overall density (measured). */
  density: number;
  /** Fidelity on the calibration sequences (measured). */
  fidelity: Fidelity;
  /** The objective's score, when the search minimised one (measured). */
  objective?: number;
  /** Whether this candidate became the best so far. */
  accepted: boolean;
}

/** Result of `searchBcrHyperparameters`. */
export interface SearchResult {
  /** Options for `pruneModelBcr` that reproduce the chosen model. */
  options: ModelPruneOptions;
  /** Chosen block shape, as text. */
  block: string;
  /** Chosen column share. */
  colShare: number;
  /** Chosen target density per matrix. */
  densities: Record<string, number>;
  /** Fidelity of the chosen model (measured on the calibration sequences). */
  fidelity: Fidelity;
  /** Achieved overall density of the chosen model. */
  density: number;
  /** Every candidate evaluated, in order. */
  candidates: SearchCandidate[];
}

/** The best candidate so far. */
interface BestCandidate {
  block: BlockSize;
  colShare: number;
  densities: number[];
  fidelity: Fidelity;
  score: number;
  density: number;
}

function blockKey(model: RnnModel, block: BlockSize): string {
  return namedMatrices(model).map(({ matrix }) => formatBlock(clipBlock(block, matrix))).join(",");
}

/**
 * Rescale the other matrices' densities so that the weighted total stays at `budget` non-zeros
 * after matrix `index` moves to `value`; null when impossible.
 */
function rebalanceDensities(
  sizes: number[],
  densities: number[],
  index: number,
  value: number,
  budget: number,
): number[] | null {
  const rest = budget - sizes[index] * value;
  const others = sizes.reduce((sum, size, j) => j === index ? sum : sum + size, 0);
  if (rest <= 0 || rest > others + 1e-9) return null;
  const total = (t: number) =>
    sizes.reduce(
      (sum, size, j) => j === index ? sum : sum + size * Math.min(1, t * densities[j]),
      0,
    );
  let lowT = 0;
  let highT = Math.max(...densities.map((d, j) => j === index ? 0 : 1 / d));
  for (let step = 0; step < 100; step++) {
    const mid = (lowT + highT) / 2;
    if (total(mid) < rest) lowT = mid;
    else highT = mid;
  }
  const out = densities.map((d, j) => j === index ? value : Math.min(1, highT * d));
  return out.every((d, j) => d * sizes[j] >= 1) ? out : null;
}

/** The pruning options of one search candidate (its block, column share, per-matrix densities). */
function candidatePruneOptions(
  options: SearchOptions,
  candidate: { names: string[]; block: BlockSize; colShare: number; densities: number[] },
): ModelPruneOptions {
  const { names, block, colShare, densities } = candidate;
  const perMatrix: Record<string, DensityRate> = {};
  names.forEach((name, j) => perMatrix[name] = { density: densities[j], colShare });
  return {
    block,
    rates: { density: options.density, colShare },
    perMatrix,
    ...{ pes: options.pes, lanes: options.lanes, balance: options.balance },
  };
}

/**
 * GRIM-style decoupled hyperparameter search for a target density. Stage 1 tries each block
 * shape at a uniform density (column share 0.5); stage 2 tries column shares for the best block;
 * stage 3 runs coordinate descent on per-matrix densities (one matrix's density times each
 * multiplier, the others rescaled to keep the overall budget), keeping a change only when it
 * lowers the relative RMS output error. Deterministic for the same inputs.
 */
export async function searchBcrHyperparameters(
  model: RnnModel,
  options: SearchOptions,
): Promise<SearchResult> {
  const entries = namedMatrices(model);
  const names = entries.map(({ name }) => name);
  const sizes = entries.map(({ matrix }) => matrix.data.length);
  const budget = options.density * sizes.reduce((sum, size) => sum + size, 0);
  const reference = await runSequences(model, options.calibration);
  const candidates: SearchCandidate[] = [];
  const progress = options.onProgress ?? (() => {});

  const toRecord = (densities: number[]) =>
    Object.fromEntries(names.map((name, j) => [name, densities[j]]));
  const pruneOptions = (block: BlockSize, colShare: number, densities: number[]) =>
    candidatePruneOptions(options, { names, block, colShare, densities });

  const state: { best: BestCandidate | null } = { best: null };
  const evaluated = new Set<string>();
  const evaluate = async (
    stage: SearchCandidate["stage"],
    block: BlockSize,
    colShare: number,
    densities: number[],
  ): Promise<boolean> => {
    const key = `${blockKey(model, block)}|${colShare}|${densities.map((d) => d.toPrecision(6))}`;
    if (evaluated.has(key)) return false;
    evaluated.add(key);
    const { model: pruned, report } = pruneModelBcr(
      model,
      pruneOptions(block, colShare, densities),
    );
    const outputs = await mapYielding(options.calibration, (s) => runFloat(pruned, s));
    const error = compareOutputs(reference, outputs.flat());
    const fidelity = { relativeRmsError: error.relativeRmsError, cosine: error.cosine };
    const score = options.objective ? options.objective.score(outputs) : fidelity.relativeRmsError;
    const accepted = !state.best || score < state.best.score - 1e-12;
    const candidate: SearchCandidate = {
      stage,
      block: formatBlock(block),
      colShare,
      densities: toRecord(densities),
      density: report.density,
      fidelity,
      ...(options.objective ? { objective: score } : {}),
      accepted,
    };
    candidates.push(candidate);
    progress(
      `  [${stage}] block ${candidate.block} colShare ${colShare} densities ${
        densities.map((d) => d.toFixed(3)).join("/")
      }: relative RMS error ${fidelity.relativeRmsError.toFixed(5)}, cosine ${
        fidelity.cosine.toFixed(5)
      }${options.objective ? `, ${options.objective.name} ${score.toFixed(5)}` : ""}${
        accepted ? " (best so far)" : ""
      }`,
    );
    if (accepted) {
      state.best = {
        block,
        colShare,
        densities: densities.slice(),
        fidelity,
        score,
        density: report.density,
      };
    }
    return accepted;
  };
  const bestNow = (): BestCandidate => state.best!;

  const uniform = names.map(() => options.density);
  // Stage 1: block shape at a uniform density.
  const blocks = options.block ? [options.block] : options.blockCandidates ??
    DEFAULT_BLOCK_CANDIDATES;
  const seen = new Set<string>();
  for (const block of blocks) {
    const key = blockKey(model, block);
    if (seen.has(key)) continue;
    seen.add(key);
    await evaluate("block", block, 0.5, uniform);
  }
  // Stage 2: column/row split for the chosen block.
  for (const colShare of options.colShares ?? [0.25, 0.5, 0.75]) {
    if (colShare === 0.5) continue;
    await evaluate("split", bestNow().block, colShare, uniform);
  }
  // Stage 3: per-matrix densities under the overall budget.
  const multipliers = options.rateMultipliers ?? [0.5, 0.7, 1.4, 2];
  const rounds = options.rounds ?? 2;
  for (let round = 0; round < rounds && names.length > 1; round++) {
    let improved = false;
    for (let index = 0; index < names.length; index++) {
      for (const multiplier of multipliers) {
        const current = bestNow();
        const value = Math.min(1, current.densities[index] * multiplier);
        if (value === current.densities[index]) continue;
        const densities = rebalanceDensities(sizes, current.densities, index, value, budget);
        if (!densities) continue;
        if (await evaluate("rates", current.block, current.colShare, densities)) improved = true;
      }
    }
    if (!improved) break;
  }
  const chosen = bestNow();
  return {
    options: pruneOptions(chosen.block, chosen.colShare, chosen.densities),
    block: formatBlock(chosen.block),
    colShare: chosen.colShare,
    densities: toRecord(chosen.densities),
    fidelity: chosen.fidelity,
    density: chosen.density,
    candidates,
  };
}

/** Fidelity of a pruned model beside the baselines at the same density. */
export interface FidelityComparison {
  /** The pruned model being reported. */
  result: Fidelity;
  /** Uniform BCR with the default block (16x16, clipped), column share 0.5, same density. */
  bcrUniform: Fidelity;
  /** Unstructured magnitude pruning, each matrix to the same density. */
  magnitudePerMatrix: Fidelity;
  /** Unstructured magnitude pruning, one threshold over all matrices. */
  magnitudeGlobal: Fidelity;
  /** The density all baselines were pruned to (the result's achieved density). */
  density: number;
}

/**
 * Measure a pruned model's fidelity beside three baselines pruned to its achieved density:
 * uniform BCR with the default block, and unstructured magnitude pruning per matrix and global.
 */
export async function compareWithBaselines(
  dense: RnnModel,
  pruned: RnnModel,
  density: number,
  calibration: number[][][],
  pes?: number,
): Promise<FidelityComparison> {
  const reference = await runSequences(dense, calibration);
  const measure = (model: RnnModel) => fidelityAgainst(reference, model, calibration);
  const baselines = baselineModels(dense, density, pes);
  return {
    result: await measure(pruned),
    bcrUniform: await measure(baselines.bcrUniform),
    magnitudePerMatrix: await measure(baselines.magnitudePerMatrix),
    magnitudeGlobal: await measure(baselines.magnitudeGlobal),
    density,
  };
}

/** The baselines a pruned model is compared with, at the same density. */
export interface BaselineModels {
  /** Uniform BCR: the default block, one rate for every matrix, columns and rows split evenly. */
  bcrUniform: RnnModel;
  /** Unstructured magnitude pruning, each matrix to the density. */
  magnitudePerMatrix: RnnModel;
  /** Unstructured magnitude pruning, one threshold over all matrices. */
  magnitudeGlobal: RnnModel;
}

/** Prune `dense` to `density` with each baseline method (optionally balanced over `pes`). */
export function baselineModels(dense: RnnModel, density: number, pes?: number): BaselineModels {
  return {
    bcrUniform: pruneModelBcr(dense, {
      block: DEFAULT_BLOCK,
      rates: { density, colShare: 0.5 },
      pes,
    }).model,
    magnitudePerMatrix: magnitudePrune(dense, density, "per-matrix"),
    magnitudeGlobal: magnitudePrune(dense, density, "global"),
  };
}
