/**
 * The sweep benchmark (`deno task bench:sweep`): a 24-point estimate sweep (density x PEs x weight
 * format) on the ESE-shaped LSTMP (examples/ese_lstmp.json), run from scratch with the local
 * engine at 1 and 2 jobs and on a local Ray instance with 2 workers, then rerun on a finished
 * folder (every point a cache hit). Reports measured points per minute for each, the rerun time,
 * and the front found. Results: bench/results/sweep.json.
 *
 * @module
 */

import { join } from "node:path";
import { writeJsonAtomic } from "../util/fs.ts";
import type { SweepSpecFile } from "./spec.ts";
import { parseSweepSpec } from "./spec.ts";
import { runSweep, type SweepSummary } from "./run.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The benchmark's spec: 3 densities x 4 PE counts x 2 formats = 24 points. */
export const BENCH_SWEEP_SPEC: SweepSpecFile = {
  model: `${ROOT}examples/ese_lstmp.json`,
  axes: {
    "prune.density": [0.05, 0.1, 0.2],
    "gen.pes": [8, 16, 32, 64],
    "gen.format": ["ese", "bcr"],
  },
  settings: { prune: { block: "16x16" } },
  objectives: ["usPerFrame", "fidelityError"],
  depth: "estimate",
};

/** One timed run. */
export interface BenchSweepRun {
  /** "local, 1 job", "local, 2 jobs", "ray, 2 workers", "rerun (cached)". */
  name: string;
  /** Measured wall seconds of the whole sweep. */
  seconds: number;
  /** Points / minutes (measured). */
  pointsPerMinute: number;
  /** Jobs computed and reused. */
  computed: number;
  /** Jobs reused. */
  cached: number;
}

/** The benchmark's results (bench/results/sweep.json). */
export interface BenchSweepReport {
  /** When it ran. */
  generatedAt: string;
  /** The spec. */
  spec: SweepSpecFile;
  /** CPUs of this machine (the host, shared with whatever else runs). */
  cpus: number;
  /** The runs. */
  runs: BenchSweepRun[];
  /** The front of the last run: axis values and figures. */
  front: { point: Record<string, unknown>; usPerFrame: number; fidelityError: number }[];
}

/** Run the benchmark in `workDir` (one folder per run); `engines` limits the runs. */
export async function runSweepBench(options: {
  workDir: string;
  out: string;
  ray: boolean;
  log: (line: string) => void;
}): Promise<BenchSweepReport> {
  const spec = parseSweepSpec(BENCH_SWEEP_SPEC, "bench:sweep spec", ROOT);
  const runs: BenchSweepRun[] = [];
  let last: SweepSummary | undefined;
  const configs: { name: string; dir: string; jobs: number; engine: "local" | "ray" }[] = [
    { name: "local, 1 job", dir: "local1", jobs: 1, engine: "local" },
    { name: "local, 2 jobs", dir: "local2", jobs: 2, engine: "local" },
    ...(options.ray
      ? [{ name: "ray, 2 workers", dir: "ray2", jobs: 2, engine: "ray" as const }]
      : []),
    { name: "rerun (every point cached)", dir: "local2", jobs: 2, engine: "local" },
  ];
  for (const [i, config] of configs.entries()) {
    const outDir = join(options.workDir, config.dir);
    if (i < configs.length - 1) await Deno.remove(outDir, { recursive: true }).catch(() => {});
    options.log(`bench:sweep: ${config.name}`);
    const summary = await runSweep({ ...config, spec, outDir, log: options.log });
    runs.push({
      name: config.name,
      seconds: summary.seconds,
      pointsPerMinute: summary.points / (summary.seconds / 60),
      computed: summary.computed,
      cached: summary.cached,
    });
    last = summary;
  }
  const byHash = new Map(last!.rows.map((row) => [row.hash, row]));
  const report: BenchSweepReport = {
    generatedAt: new Date().toISOString(),
    // The model path relative to the repository (the run's checkout path says nothing).
    spec: { ...BENCH_SWEEP_SPEC, model: "examples/ese_lstmp.json" },
    cpus: navigator.hardwareConcurrency,
    runs,
    front: last!.fronts[0].hashes.map((hash) => {
      const row = byHash.get(hash)!;
      return {
        point: row.point,
        usPerFrame: row.figures.usPerFrame.value!,
        fidelityError: row.figures.fidelityError.value!,
      };
    }),
  };
  await writeJsonAtomic(options.out, report);
  return report;
}
