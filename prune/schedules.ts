/**
 * Pruning schedules (docs/pruning.md, "Pruning schedules"): fixed, gradual, grow-and-prune (gap),
 * lottery-ticket rewinding (imp) and ADMM, run by PyTorch (`python -m rnnfab.schedules`,
 * python/rnnfab/schedules.py). This side decides the per-matrix target densities, checks every
 * knob (one-line errors), writes the job, and checks the returned model: its zeros are BCR for the
 * block (or, for `fixed` from a pruned model, exactly that model's zeros) at the densities the
 * schedule promises.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { saveModel } from "../model/model_io.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { type BlockSize, clipBlock, formatBlock } from "./block.ts";
import { detectBcr } from "./detect.ts";
import { modelPeLoad, type PeLoad } from "./balance.ts";
import { runPythonJob, sameZeros, trainingJobFields, type TrainingRunOptions } from "./finetune.ts";

/** The schedules. */
export const SCHEDULES = ["fixed", "gradual", "gap", "imp", "admm"] as const;

/** A schedule name. */
export type ScheduleName = typeof SCHEDULES[number];

/** Mask structure: rnnfab's BCR blocks, or unstructured magnitude masks (for comparison). */
export type MaskStructure = "bcr" | "unstructured";

/** Per-schedule knobs (absent: the default in docs/pruning.md and `finetune --help`). */
export interface ScheduleKnobs {
  /** gradual: epoch at which the density starts to fall (0). */
  gradualStart?: number;
  /** gradual: epoch at which it reaches the target (3/4 of the epochs). */
  gradualEnd?: number;
  /** gradual: mask recomputations per epoch (4). */
  gradualUpdates?: number;
  /** gap: number of parts (groups of matrices) grown in turn (0: one per matrix). */
  gapParts?: number;
  /** gap: epochs a part stays grown (1). */
  gapInterval?: number;
  /** gap: masked fine-tuning epochs at the end (a quarter of the epochs). */
  finalEpochs?: number;
  /** gap, imp: start from random initialisation instead of the dense model. */
  fromScratch?: boolean;
  /** imp: prune-rewind-retrain rounds (3). */
  impRounds?: number;
  /** imp: the epoch of the dense run whose weights the kept weights rewind to (1). */
  rewindEpoch?: number;
  /** admm: ADMM epochs before the hard mask (--epochs). */
  admmEpochs?: number;
  /** admm: initial penalty (1e-3). */
  rho?: number;
  /** admm: growth of rho per epoch (1.3). */
  rhoGrowth?: number;
  /** Stop after this many epochs (resume later from the checkpoint). */
  stopAfter?: number;
}

/** Which knobs belong to which schedules (a knob given to another schedule is an error). */
export const KNOB_SCHEDULES: Record<keyof ScheduleKnobs, readonly ScheduleName[]> = {
  gradualStart: ["gradual"],
  gradualEnd: ["gradual"],
  gradualUpdates: ["gradual"],
  gapParts: ["gap"],
  gapInterval: ["gap"],
  finalEpochs: ["gap"],
  fromScratch: ["gap", "imp"],
  impRounds: ["imp"],
  rewindEpoch: ["imp"],
  admmEpochs: ["admm"],
  rho: ["admm"],
  rhoGrowth: ["admm"],
  stopAfter: SCHEDULES,
};

/** Options of `trainSchedule`. */
export interface ScheduleOptions extends TrainingRunOptions {
  /** The schedule. */
  schedule: ScheduleName;
  /** fixed: the pruned model whose zeros are the mask (absent: one-shot mask of `dense`). */
  maskFrom?: RnnModel;
  /** Target density per matrix name. */
  densities: Record<string, number>;
  /** Mask structure. */
  structure: MaskStructure;
  /** BCR block (clipped per matrix). */
  block: BlockSize;
  /** Column share of the BCR rates (colKeep = density^share). */
  colShare: number;
  /** Balance kept rows over this many PEs (1: no balancing). */
  pes: number;
  /** The schedule's knobs. */
  knobs?: ScheduleKnobs;
  /** Checkpoint written after every epoch. */
  checkpoint?: string;
  /** Continue from `checkpoint`. */
  resume?: boolean;
}

/** IMP's winning-ticket verdict (held-out figures of the dense run and the last round). */
export interface WinningTicket {
  /** The sparse network reached the dense run's held-out accuracy (or distillation loss). */
  held: boolean;
  /** What was compared. */
  measure: string;
  /** The dense run's best held-out figures. */
  dense: Record<string, number>;
  /** The last round's best held-out figures. */
  sparse: Record<string, number>;
}

/** What `trainSchedule` returns. */
export interface ScheduleResult {
  /** The trained sparse model; null when stopped early by `stopAfter`. */
  model: RnnModel | null;
  /** Per-epoch figures of every stage (stage, epoch, density, held-out figures). */
  history: Record<string, unknown>[];
  /** Final density, epochs run, and IMP's winning ticket. */
  summary: { density: number; epochsRun: number; winningTicket?: WinningTicket } | null;
}

/** Per-matrix target densities: `maskFrom`'s measured ones, or one density for every matrix. */
export function targetDensities(model: RnnModel, density: number): Record<string, number> {
  return Object.fromEntries(namedMatrices(model).map(({ name }) => [name, density]));
}

/**
 * (kept columns, kept rows) of a full `rows` x `cols` block at `density`, as the Python side's
 * `bcr_counts` (python/rnnfab/sparsity.py): the pair whose product comes closest to
 * `density * rows * cols`, among kept-column counts within a factor of 2 of
 * `cols * density^colShare` (ties: the count closest to it, then fewer columns).
 */
export function bcrCounts(
  block: { rows: number; cols: number },
  density: number,
  colShare: number,
): { cols: number; rows: number } {
  const { rows, cols } = block;
  if (density >= 1) return { cols, rows };
  const ideal = cols * density ** colShare;
  const target = density * rows * cols;
  let best: { key: number[]; cols: number; rows: number } | null = null;
  for (let keptCols = 1; keptCols <= cols; keptCols++) {
    if (
      !(ideal / 2 <= keptCols && keptCols <= ideal * 2) && keptCols !== Math.max(1, round(ideal))
    ) {
      continue;
    }
    const keptRows = Math.min(rows, Math.max(1, Math.floor(target / keptCols + 0.5)));
    const key = [Math.abs(keptCols * keptRows - target), Math.abs(keptCols - ideal), keptCols];
    if (best === null || lexicographicLess(key, best.key)) {
      best = { key, cols: keptCols, rows: keptRows };
    }
  }
  return { cols: best!.cols, rows: best!.rows };
}

/** Python's round (half to even), for the one place bcr_counts uses it. */
function round(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

function lexicographicLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/**
 * The weights a schedule's mask keeps in a `rows` x `cols` matrix at `density` (the Python side's
 * `target_mask`): BCR per-block counts with edge blocks at the same fractions, or
 * `round(density * size)` unstructured.
 */
export function keptWeights(
  shape: { rows: number; cols: number },
  density: number,
  options: { structure: MaskStructure; block: BlockSize; colShare: number },
): number {
  const size = shape.rows * shape.cols;
  if (density >= 1) return size;
  if (options.structure === "unstructured") return Math.max(1, Math.floor(density * size + 0.5));
  const rows = Math.min(options.block.rows, shape.rows);
  const cols = Math.min(options.block.cols, shape.cols);
  const counts = bcrCounts({ rows, cols }, density, options.colShare);
  const keep = (extent: number, step: number, kept: number) => {
    let total = 0;
    for (let start = 0; start < extent; start += step) {
      const width = Math.min(step, extent - start);
      total += Math.floor((kept / step) * width + 0.5);
    }
    return total;
  };
  return keep(shape.rows, rows, counts.rows) * keep(shape.cols, cols, counts.cols);
}

/** Per-matrix densities and the whole model's density they give (kept / weights). */
export interface DensitySplit {
  /** Target density per matrix name (what the schedule's masks are asked for). */
  densities: Record<string, number>;
  /** Kept weights / weights over all matrices under those masks. */
  overall: number;
}

/**
 * Per-matrix densities with the input matrices (`weight_ih_*`) at `inputDensity` and every other
 * matrix at one lower density, the largest whose masks (BCR counts per block, or unstructured)
 * keep the whole model at or below `density` (so the compression over all weight matrices
 * together is at least 1 / `density`; BCR's whole-block counts make it exact only by chance).
 */
export function inputWeightedDensities(
  model: RnnModel,
  density: number,
  inputDensity: number,
  options: { structure: MaskStructure; block: BlockSize; colShare: number },
): DensitySplit {
  const matrices = namedMatrices(model).map(({ name, matrix }) => ({
    name,
    shape: { rows: matrix.rows, cols: matrix.cols },
    input: name.startsWith("weight_ih_"),
  }));
  const total = matrices.reduce((s, m) => s + m.shape.rows * m.shape.cols, 0);
  const inputKept = matrices.filter((m) => m.input)
    .reduce((s, m) => s + keptWeights(m.shape, inputDensity, options), 0);
  const others = matrices.filter((m) => !m.input);
  // Densities at which the others' counts change: k / (block area), or k / size unstructured.
  const steps = new Set<number>();
  for (const { shape } of others) {
    const area = options.structure === "unstructured"
      ? shape.rows * shape.cols
      : Math.min(options.block.rows, shape.rows) * Math.min(options.block.cols, shape.cols);
    for (let k = 1; k <= area; k++) steps.add(k / area);
  }
  let best: { rest: number; kept: number } | null = null;
  for (const rest of [...steps].sort((a, b) => a - b)) {
    const kept = inputKept + others.reduce((s, m) => s + keptWeights(m.shape, rest, options), 0);
    if (kept <= density * total && (best === null || kept >= best.kept)) best = { rest, kept };
  }
  if (best === null || others.length === 0) {
    throw new UserError(
      `input density ${inputDensity}: leaves no valid density for the other matrices at ${density}`,
    );
  }
  return {
    densities: Object.fromEntries(
      matrices.map((m) => [m.name, m.input ? inputDensity : best!.rest]),
    ),
    overall: best.kept / total,
  };
}

/** The measured density of every matrix of `model` (non-zeros / size). */
export function measuredDensities(model: RnnModel): Record<string, number> {
  return Object.fromEntries(
    namedMatrices(model).map(({ name, matrix }) => [
      name,
      Math.max(matrix.data.filter((v) => v !== 0).length / matrix.data.length, 1e-9),
    ]),
  );
}

/**
 * The first problem with the knobs, as one line naming the flag, or null. `flag` maps a knob to
 * its command-line name (e.g. gradualEnd -> --gradual-end).
 */
export function knobProblem(
  schedule: ScheduleName,
  epochs: number,
  knobs: ScheduleKnobs,
  flag: (knob: keyof ScheduleKnobs) => string,
  matrices: number,
): string | null {
  for (const [knob, allowed] of Object.entries(KNOB_SCHEDULES)) {
    const value = knobs[knob as keyof ScheduleKnobs];
    if (value !== undefined && value !== false && !allowed.includes(schedule)) {
      return `${flag(knob as keyof ScheduleKnobs)} applies to --schedule ${
        allowed.join(" or ")
      }, not ${schedule}`;
    }
  }
  const { gradualStart = 0, gradualEnd, finalEpochs, gapInterval = 1, gapParts = 0 } = knobs;
  if (schedule === "gradual") {
    const end = gradualEnd ?? Math.max(gradualStart, Math.floor(0.75 * epochs + 0.5));
    if (end >= epochs) {
      return `${flag("gradualEnd")} ${end}: expected below --epochs (${epochs}): at least one ` +
        "epoch trains at the final density";
    }
    if (gradualStart > end) {
      return `${flag("gradualStart")} ${gradualStart}: expected at most ${
        flag("gradualEnd")
      } (${end})`;
    }
  }
  if (schedule === "gap") {
    const final = finalEpochs ?? (epochs > 1 ? Math.max(1, Math.floor(epochs / 4)) : 0);
    if (final >= epochs) {
      return `${flag("finalEpochs")} ${final}: expected below --epochs (${epochs}): the grow-and-` +
        "prune cycles need at least one epoch";
    }
    if (gapInterval > epochs - final) {
      return `${flag("gapInterval")} ${gapInterval}: expected at most --epochs minus ${
        flag("finalEpochs")
      } (${epochs - final})`;
    }
    if (gapParts > matrices) {
      return `${flag("gapParts")} ${gapParts}: expected at most the model's ${matrices} weight ` +
        "matrices";
    }
  }
  if (schedule === "imp" && (knobs.rewindEpoch ?? 1) > epochs) {
    return `${flag("rewindEpoch")} ${knobs.rewindEpoch}: expected at most --epochs (${epochs})`;
  }
  return null;
}

/** Structure check of a schedule's result. */
export interface StructureCheck {
  /** Every matrix is BCR for the block (true for unstructured masks by definition). */
  structured: boolean;
  /** Matrices that are not. */
  offenders: string[];
  /** Non-zeros / weights over all matrices. */
  density: number;
  /** PE loads (rows interleaved), when pes > 1. */
  peLoad?: PeLoad;
}

/** Whether `model`'s zeros have the structure the schedule promised. */
export function checkStructure(
  model: RnnModel,
  options: { structure: MaskStructure; block: BlockSize; pes: number },
): StructureCheck {
  let nonZeros = 0;
  let weights = 0;
  const offenders: string[] = [];
  for (const { name, matrix } of namedMatrices(model)) {
    const check = detectBcr(matrix, clipBlock(options.block, matrix));
    nonZeros += check.nonZeros;
    weights += matrix.data.length;
    if (options.structure === "bcr" && !check.isBcr) offenders.push(name);
  }
  return {
    structured: offenders.length === 0,
    offenders,
    density: nonZeros / weights,
    ...(options.pes > 1 ? { peLoad: modelPeLoad(model, options.pes) } : {}),
  };
}

/** Run a schedule; throws when the result does not have the promised zeros. */
export async function trainSchedule(options: ScheduleOptions): Promise<ScheduleResult> {
  const folder = await Deno.makeTempDir({ prefix: "rnnfab-schedule-" });
  try {
    const densePath = join(folder, "dense.json");
    await saveModel(options.dense, densePath, { safetensors: true });
    let maskPath: string | null = null;
    if (options.maskFrom) {
      maskPath = join(folder, "mask.json");
      await saveModel(options.maskFrom, maskPath, { safetensors: true });
    }
    const job = {
      ...trainingJobFields(options, densePath),
      phase: "schedule",
      schedule: options.schedule,
      start: options.schedule === "fixed" && maskPath ? maskPath : densePath,
      maskFrom: options.schedule === "fixed" ? maskPath : null,
      densities: options.densities,
      structure: options.structure,
      block: [options.block.rows, options.block.cols].map((v) => Number.isFinite(v) ? v : 1e9),
      colShare: options.colShare,
      pes: options.pes,
      epochs: options.epochs,
      qat: options.qat ?? null,
      knobs: options.knobs ?? {},
      checkpoint: options.checkpoint ?? null,
      resume: options.resume ?? false,
    };
    const run = await runPythonJob(job, folder, options.onLine ?? (() => {}), "rnnfab.schedules");
    const result = run.result as Omit<ScheduleResult, "model">;
    if (run.model) verifyResult(run.model, options);
    return { model: run.model, history: result.history, summary: result.summary };
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}

function verifyResult(model: RnnModel, options: ScheduleOptions): void {
  if (options.schedule === "fixed" && options.maskFrom && !sameZeros(options.maskFrom, model)) {
    throw new Error("the fixed schedule changed the zero mask (a kept weight became 0 or back)");
  }
  const check = checkStructure(model, options);
  if (!check.structured) {
    throw new Error(
      `the ${options.schedule} schedule returned matrices that are not BCR for block ${
        formatBlock(options.block)
      }: ${check.offenders.join(", ")}`,
    );
  }
}

/** A UserError for a knob problem. */
export function knobError(command: string, problem: string): UserError {
  return new UserError(`${command}: ${problem}`);
}
