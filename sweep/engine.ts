/**
 * The engines that run a sweep's jobs: `local` runs them in this process, `--jobs` at a time (the
 * library functions; the tools they start run in parallel), `ray` hands them to the Ray driver
 * (python/rnnfab/sweep_ray.py), where each job is a Ray task running `cli/sweep_point.ts` on a
 * worker and the driver writes the result it ships back. Both write the same content-addressed
 * result files, so either can resume the other's sweep.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { onInterrupt, removeSync } from "../util/interrupt.ts";
import { runTool, tail } from "../util/process.ts";
import { projectPython } from "../util/python.ts";
import type { RnnModel } from "../model/model.ts";
import type { JobFile, JobResult } from "./job.ts";
import type { Progress } from "./progress.ts";
import { readJobResult, resultPath, runJob, writeJobResult } from "./stages.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** What every engine needs. */
export interface EngineOptions {
  /** The sweep's output folder. */
  outDir: string;
  /** The model (local engine). */
  model: RnnModel;
  /** Jobs at once (local), CPUs of a local Ray instance (ray). */
  jobs: number;
  /** Engine. */
  engine: "local" | "ray";
  /** Ray cluster address (ray; absent: a local instance with `jobs` CPUs). */
  address?: string;
  /** Progress reporter of the phase. */
  progress: Progress;
  /** Tool progress lines (verbose). */
  log?: (line: string) => void;
}

/** The folder of the result files. */
export function jobsDir(outDir: string): string {
  return join(outDir, "jobs");
}

/** The folder of the design of a job run locally (deep stages). */
export function designDir(outDir: string, hash: string): string {
  return join(outDir, "designs", hash.slice(0, 16));
}

/** Run jobs in process, `options.jobs` at a time. */
async function runLocal(jobs: JobFile[], options: EngineOptions): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const path = resultPath(jobsDir(options.outDir), job.hash);
      const result = await runJob(job, {
        model: options.model,
        previous: await readJobResult(path),
        designDir: designDir(options.outDir, job.hash),
        log: options.log,
      });
      await writeJobResult(path, result);
      options.progress.finished(result.failure !== null);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, jobs.length) }, worker));
}

/** One line of the Ray driver's queue: the job and the result so far. */
export interface QueueEntry {
  /** The job. */
  job: JobFile;
  /** Its result so far (stages already run), or null. */
  previous: JobResult | null;
}

/** Run jobs as Ray tasks through the driver; it writes each result file. */
async function runRay(jobs: JobFile[], options: EngineOptions): Promise<void> {
  const python = await projectPython("ray");
  const queue = join(options.outDir, `queue-${crypto.randomUUID().slice(0, 8)}.jsonl`);
  const forget = onInterrupt(() => removeSync(queue));
  try {
    const lines: string[] = [];
    for (const job of jobs) {
      const previous = await readJobResult(resultPath(jobsDir(options.outDir), job.hash));
      lines.push(JSON.stringify({ job, previous: previous ?? null } satisfies QueueEntry));
    }
    await writeFileAtomic(queue, lines.join("\n") + "\n");
    const args = [
      `PYTHONPATH=${ROOT}python`,
      "PYTHONDONTWRITEBYTECODE=1",
      python,
      "-m",
      "rnnfab.sweep_ray",
      "--queue",
      queue,
      "--results",
      jobsDir(options.outDir),
      "--root",
      ROOT,
      "--deno",
      Deno.execPath(),
      "--num-cpus",
      String(options.jobs),
      ...(options.address ? ["--address", options.address] : []),
    ];
    const run = await runTool("env", args, {
      cwd: ROOT,
      processGroup: true,
      onLine: (line) => {
        if (!line.startsWith("{")) return options.log?.(line);
        const done = JSON.parse(line) as { hash: string; failed: boolean; error?: string };
        if (done.error) options.log?.(`ray: job ${done.hash.slice(0, 12)}: ${done.error}`);
        options.progress.finished(done.failed);
      },
    });
    if (run.code !== 0) {
      const text = tail(run, 8);
      if (/No module named 'ray'|ModuleNotFoundError: No module named 'ray'/.test(text)) {
        throw new UserError(`--engine ray: ray is not installed in ${python} (deno task setup)`);
      }
      throw new Error(`python -m rnnfab.sweep_ray failed (exit ${run.code}):\n${text}`);
    }
  } finally {
    forget();
    removeSync(queue);
  }
}

/** Run jobs with the chosen engine. */
export function runJobs(jobs: JobFile[], options: EngineOptions): Promise<void> {
  if (jobs.length === 0) return Promise.resolve();
  return options.engine === "ray" ? runRay(jobs, options) : runLocal(jobs, options);
}
