/**
 * Fine-tuning with the BCR mask held, and ADMM, run by PyTorch in the project's Python environment
 * (`python/rnnfab`, installed by `deno task setup`). This side writes the models and a job file to
 * a temporary folder, runs `python -m rnnfab.finetune JOB`, reads the result back and checks that
 * the zero mask did not change. With ADMM it runs the ADMM phase on the dense model (the ADMM stage
 * of `--schedule admm`, python/rnnfab/schedules.py `admm_phase`, projecting onto the pruned
 * model's per-matrix rates), prunes the result with rnnfab's own BCR pruning to the pruned model's
 * per-matrix densities, then fine-tunes that with its mask held. See docs/finetune.md.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { runTool, tail } from "../util/process.ts";
import { projectPython } from "../util/python.ts";
import { loadModel, saveModel } from "../model/model_io.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { type BlockSize, clipBlock } from "./block.ts";
import { type DensityRate, pruneModelBcr } from "./bcr.ts";
import { detectBcr } from "./detect.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Training objective: reproduce the dense model's outputs, or fit labels through a head. */
export type FinetuneObjective = "distill" | "labels";

/** Fixed-point formats fine-tuned through (straight-through rounding). */
export interface QatFormat {
  /** Weight width. */
  weightBits: number;
  /** Activation width (inputs are quantized to it). */
  activationBits: number;
  /** Activation fraction bits. */
  activationFrac: number;
}

/** ADMM settings. */
export interface AdmmOptions {
  /** ADMM epochs before the hard pruning. */
  epochs: number;
  /** The BCR block shape to project onto. */
  block: BlockSize;
  /** Column share of the projection (colKeep = density^share per matrix). */
  colShare: number;
  /** Initial penalty rho (grows 1.3x per epoch). */
  rho?: number;
}

/** The training run shared by `finetune` and the pruning schedules (prune/schedules.ts). */
export interface TrainingRunOptions {
  /** The dense model (the teacher of the distill objective). */
  dense: RnnModel;
  /** A validated data file (JSON or safetensors). */
  dataPath: string;
  /** A validated head file (needed by the labels objective). */
  headPath?: string;
  /** distill (default) or labels. */
  objective: FinetuneObjective;
  /** Epochs (of masked fine-tuning; per stage for a schedule: docs/pruning.md). */
  epochs: number;
  /** Adam learning rate (cosine decay to 0; in every stage for a schedule). */
  lr: number;
  /** Minibatch size (32). */
  batchSize?: number;
  /** Seed of the split and the shuffling (and of --from-scratch's initialisation) (1). */
  seed?: number;
  /** Fraction of the data held out for the per-epoch figures and the choice of the best epoch. */
  heldOut?: number;
  /** Train through these fixed-point formats. */
  qat?: QatFormat;
  /** Called with every progress line. */
  onLine?: (line: string) => void;
}

/**
 * The fields of a Python job (python/rnnfab/jobs.py) that every training run shares, defaults
 * filled in; `densePath` is where the dense model was saved for the job.
 */
export function trainingJobFields(options: TrainingRunOptions, densePath: string) {
  return {
    dense: densePath,
    data: options.dataPath,
    head: options.headPath ?? null,
    objective: options.objective,
    lr: options.lr,
    batchSize: options.batchSize ?? 32,
    seed: options.seed ?? 1,
    heldOut: options.heldOut ?? 0.1,
  };
}

/** What `finetune` takes: the training run, the pruned model and optionally ADMM first. */
export interface FinetuneOptions extends TrainingRunOptions {
  /** The pruned model whose zeros are the mask (and whose densities ADMM targets). */
  pruned: RnnModel;
  /** Run ADMM first. */
  admm?: AdmmOptions;
}

/** What `finetune` returns. */
export interface FinetuneResult {
  /** The fine-tuned model (same zeros as the model it started from). */
  model: RnnModel;
  /** The model the masked fine-tuning started from (the pruned model, or ADMM's). */
  start: RnnModel;
  /** Per-epoch figures of every phase. */
  history: Record<string, unknown>[];
}

/** Whether two models have exactly the same zero pattern in every weight matrix. */
export function sameZeros(a: RnnModel, b: RnnModel): boolean {
  const left = namedMatrices(a);
  const right = namedMatrices(b);
  return left.length === right.length && left.every(({ matrix }, i) => {
    const other = right[i].matrix.data;
    return matrix.data.length === other.length &&
      matrix.data.every((value, k) => (value === 0) === (other[k] === 0));
  });
}

/** Per-matrix projection rates for ADMM: each matrix's density in `pruned`, the given share. */
function admmRates(pruned: RnnModel, admm: AdmmOptions) {
  const rates: Record<string, { block: number[]; colKeep: number; rowKeep: number }> = {};
  const densities: Record<string, DensityRate> = {};
  for (const { name, matrix } of namedMatrices(pruned)) {
    const density = Math.max(detectBcr(matrix, { rows: 1, cols: 1 }).density, 1e-9);
    const colKeep = Math.min(1, density ** admm.colShare);
    const block = clipBlock(admm.block, matrix);
    rates[name] = { block: [block.rows, block.cols], colKeep, rowKeep: density / colKeep };
    densities[name] = { density, colShare: admm.colShare };
  }
  return { rates, densities };
}

/**
 * Run one job of the Python side (`python -m MODULE JOB`) in `folder`: writes the job with its
 * output and history paths, returns the history file's content and the output model (absent when
 * the job wrote none). A job the user can fix exits 3 with "rnnfab-error: ..." on stderr: a
 * UserError of that line.
 */
export async function runPythonJob(
  job: Record<string, unknown>,
  folder: string,
  onLine: (line: string) => void,
  module = "rnnfab.finetune",
): Promise<{ model: RnnModel | null; result: Record<string, unknown> }> {
  const name = String(job.phase);
  const jobPath = join(folder, `${name}.job.json`);
  const out = join(folder, `${name}.out.json`);
  const historyPath = join(folder, `${name}.history.json`);
  await Deno.writeTextFile(jobPath, JSON.stringify({ ...job, out, history: historyPath }));
  const python = await projectPython("PyTorch");
  const run = await runTool("env", [
    `PYTHONPATH=${ROOT}python`,
    "PYTHONDONTWRITEBYTECODE=1",
    python,
    "-m",
    module,
    jobPath,
  ], { cwd: ROOT, onLine });
  if (run.code === 3) {
    const line = run.stderr.split("\n").find((l) => l.startsWith("rnnfab-error: "));
    if (line) throw new UserError(line.slice("rnnfab-error: ".length));
  }
  if (run.code !== 0) {
    throw new Error(`python -m ${module} (${name}) failed:\n${tail(run)}`);
  }
  const result = JSON.parse(await Deno.readTextFile(historyPath));
  const written = await Deno.stat(out).then(() => true, () => false);
  return { model: written ? await loadModel(out) : null, result };
}

async function runPhase(
  job: Record<string, unknown>,
  folder: string,
  onLine: (line: string) => void,
  module = "rnnfab.finetune",
): Promise<{ model: RnnModel; history: Record<string, unknown>[] }> {
  const { model, result } = await runPythonJob(job, folder, onLine, module);
  return { model: model!, history: result.history as Record<string, unknown>[] };
}

/**
 * Fine-tune `pruned` with its zero mask held (after ADMM from `dense` when asked). Throws when the
 * returned model's zeros differ from the model the masked phase started from.
 */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const folder = await Deno.makeTempDir({ prefix: "rnnfab-finetune-" });
  const onLine = options.onLine ?? (() => {});
  try {
    const densePath = join(folder, "dense.json");
    await saveModel(options.dense, densePath, { safetensors: true });
    const base = trainingJobFields(options, densePath);
    let start = options.pruned;
    const history: Record<string, unknown>[] = [];
    if (options.admm) {
      const { rates, densities } = admmRates(options.pruned, options.admm);
      const admm = await runPhase(
        {
          ...base,
          phase: "admm",
          start: densePath,
          epochs: options.admm.epochs,
          rates,
          rho: options.admm.rho ?? 1e-3,
          qat: null,
        },
        folder,
        onLine,
        "rnnfab.schedules", // its admm_phase: the one ADMM implementation (--schedule admm's)
      );
      history.push(...admm.history);
      start = pruneModelBcr(admm.model, {
        block: options.admm.block,
        rates: { density: 1, colShare: options.admm.colShare },
        perMatrix: densities,
      }).model;
    }
    const startPath = join(folder, "start.json");
    await saveModel(start, startPath, { safetensors: true });
    const masked = await runPhase(
      {
        ...base,
        phase: "masked",
        start: startPath,
        epochs: options.epochs,
        qat: options.qat ?? null,
      },
      folder,
      onLine,
    );
    history.push(...masked.history);
    if (!sameZeros(start, masked.model)) {
      throw new Error("fine-tuning changed the zero mask (a kept weight became 0 or back)");
    }
    return { model: masked.model, start, history };
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}
