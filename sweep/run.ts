/**
 * `runSweep`: what `deno task sweep` does. Every point is estimated (the cycle model and the
 * golden model, in process, milliseconds each); screening keeps the points that can reach the
 * Pareto front; those run to the spec's depth (synthesis, simulation, place and route). Results
 * are content-addressed job files in DIR/jobs/, so a rerun reuses them and a killed sweep
 * resumes; DIR/results.jsonl, DIR/pareto.json and DIR/sweep.html are rewritten from them at the
 * end.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { notEarlierOutput, type OutputMarker } from "../util/fs.ts";
import { sha256Hex } from "../rtl/integrity.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import type { RnnModel } from "../model/model.ts";
import { jobsDir, runJobs } from "./engine.ts";
import {
  expandPoints,
  type JobFile,
  jobHash,
  jobInputs,
  type JobResult,
  resultCovers,
  SWEEP_TOOL,
} from "./job.ts";
import { Progress } from "./progress.ts";
import {
  frontDefinitions,
  frontHashes,
  resultRow,
  screenCandidates,
  type SweepRow,
} from "./results.ts";
import { sweepHtml } from "./html.ts";
import type { Depth, SweepSpec } from "./spec.ts";
import { readJobResult, resultPath } from "./stages.ts";

/** The marker of a sweep folder: DIR/sweep.json with `"tool": "rnnfab sweep"`. */
export const SWEEP_MARKER: OutputMarker = { file: "sweep.json", tool: SWEEP_TOOL };

/** Options of `runSweep`. */
export interface SweepOptions {
  /** The validated spec. */
  spec: SweepSpec;
  /** The output folder (created, or an earlier sweep's folder). */
  outDir: string;
  /** Jobs at once (local) or CPUs of the local Ray instance. */
  jobs: number;
  /** Engine. */
  engine: "local" | "ray";
  /** Ray cluster address. */
  address?: string;
  /** Progress lines (the CLI prints them on stderr). */
  log: (line: string) => void;
  /** Tool output lines (verbose). */
  toolLog?: (line: string) => void;
}

/** What a sweep did. */
export interface SweepSummary {
  /** Points in the spec. */
  points: number;
  /** Points screened to the full depth. */
  candidates: number;
  /** Jobs computed now / reused / failed, over both phases. */
  computed: number;
  /** Jobs reused from earlier runs. */
  cached: number;
  /** Points that failed. */
  failed: number;
  /** The rows of results.jsonl. */
  rows: SweepRow[];
  /** The fronts of pareto.json (name -> hashes). */
  fronts: { name: string; keys: string[]; hashes: string[] }[];
  /** Measured wall seconds. */
  seconds: number;
}

/** SHA-256 over a model's files (the model file and its safetensors weights). */
export async function modelSha256(path: string): Promise<string> {
  const parts: string[] = [];
  for (const input of await modelInputPaths(path)) {
    parts.push(sha256Hex(await Deno.readFile(input.path)));
  }
  return sha256Hex(parts.join("\n"));
}

/** Refuse an output folder that is neither new, empty, nor an earlier sweep's; mark it. */
export async function prepareSweepDir(outDir: string): Promise<void> {
  let entries = 0;
  try {
    const info = await Deno.lstat(outDir);
    if (!info.isDirectory) {
      throw new UserError(`${outDir}: is not a folder (expected the sweep's output folder)`);
    }
    for await (const _ of Deno.readDir(outDir)) entries++;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (entries > 0) {
    const why = await notEarlierOutput(outDir, SWEEP_MARKER);
    if (why !== undefined) {
      throw new UserError(
        `${outDir}: the folder exists and is not an earlier sweep (${why}); remove it or ` +
          "choose another --out",
      );
    }
  }
  await Deno.mkdir(jobsDir(outDir), { recursive: true });
  await writeJsonAtomic(join(outDir, SWEEP_MARKER.file), {
    tool: SWEEP_TOOL,
    format: "rnnfab-sweep-1",
    note: "rnnfab sweep folder: jobs/ holds one result per point (named by its inputs' hash)",
  });
}

/** Run one phase: the jobs whose results lack one of `stages`. */
async function runPhase(
  jobs: JobFile[],
  stages: Depth[],
  options: SweepOptions & { model: RnnModel },
): Promise<{ computed: number; cached: number; results: Map<string, JobResult> }> {
  const todo: JobFile[] = [];
  for (const job of jobs) {
    const previous = await readJobResult(resultPath(jobsDir(options.outDir), job.hash));
    if (!resultCovers(previous, stages)) todo.push({ ...job, stages });
  }
  const phase = stages.length === 1 ? "estimate" : `${stages.slice(1).join(" + ")} (candidates)`;
  const progress = new Progress(phase, jobs.length, jobs.length - todo.length, options.log);
  await runJobs(todo, { ...options, progress, log: options.toolLog });
  const results = new Map<string, JobResult>();
  for (const job of jobs) {
    const result = await readJobResult(resultPath(jobsDir(options.outDir), job.hash));
    if (result === undefined) throw new Error(`job ${job.hash}: no result after the run`);
    results.set(job.hash, result);
  }
  return { computed: todo.length, cached: jobs.length - todo.length, results };
}

/** The closest any point came to the budget, for the message when none meets it. */
function budgetMessage(rows: SweepRow[]): string {
  const over = rows.filter((row) => row.status === "ok" && row.overBudget.length > 0);
  const best = over.sort((a, b) => a.overBudget.length - b.overBudget.length)[0];
  return `budget: no point meets it (${over.length} points over; closest: ${
    best.overBudget.join(", ")
  })`;
}

/** Write results.jsonl, pareto.json and sweep.html. */
async function writeOutputs(
  spec: SweepSpec,
  outDir: string,
  rows: SweepRow[],
  fronts: SweepSummary["fronts"],
): Promise<void> {
  await writeFileAtomic(
    join(outDir, "results.jsonl"),
    rows.map((row) => JSON.stringify(row)).join("\n") + "\n",
  );
  const byHash = new Map(rows.map((row) => [row.hash, row]));
  await writeJsonAtomic(join(outDir, "pareto.json"), {
    tool: SWEEP_TOOL,
    format: "rnnfab-sweep-pareto-1",
    objectives: spec.objectives,
    budget: spec.budget,
    budgetPart: spec.budgetPart,
    fronts: fronts.map((front) => ({
      ...front,
      points: front.hashes.map((hash) => {
        const { point, figures, clock } = byHash.get(hash)!;
        return { hash, point, figures, clock };
      }),
    })),
  });
  await writeFileAtomic(join(outDir, "sweep.html"), await sweepHtml(spec, rows, fronts));
}

/** Run a sweep (see the module comment); a budget nothing meets is a UserError at the end. */
export async function runSweep(options: SweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  const { spec, outDir } = options;
  await prepareSweepDir(outDir);
  const model = await loadAnyModel(spec.modelPath);
  const sha = await modelSha256(spec.modelPath);
  const jobs: JobFile[] = expandPoints(spec).map((point) => {
    const inputs = jobInputs(spec, point, sha);
    return {
      tool: SWEEP_TOOL,
      hash: jobHash(inputs),
      inputs,
      point,
      modelPath: spec.modelPath,
      stages: spec.stages,
    };
  });
  const context = { ...options, model };
  const first = await runPhase(jobs, spec.screen ? ["estimate"] : spec.stages, context);
  let rows = jobs.map((job) => resultRow(first.results.get(job.hash)!, spec.budget));
  const candidates = spec.screen
    ? screenCandidates(rows, spec)
    : new Set(rows.filter((row) => row.status === "ok").map((row) => row.hash));
  let computed = first.computed, cached = first.cached;
  if (spec.screen && spec.stages.length > 1) {
    const deep = jobs.filter((job) => candidates.has(job.hash));
    const second = await runPhase(deep, spec.stages, context);
    computed += second.computed;
    cached += second.cached;
    for (const [hash, result] of second.results) first.results.set(hash, result);
    rows = jobs.map((job) => resultRow(first.results.get(job.hash)!, spec.budget));
  }
  const fronts = frontDefinitions(spec).map((front) => ({
    ...front,
    hashes: frontHashes(rows, front.keys),
  }));
  const onFront = new Set(fronts[0].hashes);
  rows = rows.map((row) => ({
    ...row,
    candidate: candidates.has(row.hash),
    onFront: onFront.has(row.hash),
  }));
  await writeOutputs(spec, outDir, rows, fronts);
  const ok = rows.filter((row) => row.status === "ok");
  if (spec.budget !== null && ok.length > 0 && ok.every((row) => row.withinBudget === false)) {
    throw new UserError(budgetMessage(rows));
  }
  return {
    points: jobs.length,
    candidates: candidates.size,
    computed,
    cached,
    failed: rows.filter((row) => row.status === "failed").length,
    rows,
    fronts,
    seconds: (performance.now() - started) / 1000,
  };
}
