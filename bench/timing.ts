/**
 * The timing benchmark (`deno task bench:timing`, cli/bench_timing.ts): generated designs placed
 * and routed on the ECP5-85F, each with its achieved Fmax, critical path, utilization and
 * microseconds per frame at the achieved clock, written to bench/results/timing.json (the schema
 * below). The designs: the 8-PE GRU of issue 17 (29 inputs, 48 cells, 2 layers, 25% BCR, ese)
 * and an LSTM with projection and peepholes on 8 and 16 PEs.
 *
 * A benchmark, not a test: every Fmax is measured by nextpnr after routing; the cycles per frame
 * are the design's cycle estimate (design.json, equal to the simulated cycles; docs/architecture.md).
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { readJsonFile } from "../util/read.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import type { RnnModel } from "../model/model.ts";
import { randomModel } from "../model/random.ts";
import { formatBlock, pruneModelBcr } from "../prune/mod.ts";
import { type AcceleratorSettings, generateDesignDir } from "../rtl/mod.ts";
import { placeAndRoute, PNR_FLOW_VERSION } from "../synth/pnr/flow.ts";
import { clockForDesign, timingReportPath } from "../synth/pnr/clock.ts";
import { designDigest, readPnrDesign } from "../synth/pnr/design.ts";
import {
  readTimingReport,
  type TimingReport,
  timingReportSchema,
  utilizationRowSchema,
} from "../synth/pnr/schema.ts";
import { formatHop } from "../synth/pnr/result.ts";
import { DEFAULT_PORT_MODE, type PortMode, portsNote } from "../synth/pnr/ports.ts";
import type { PnrRouter } from "../synth/pnr/targets.ts";
import { runPool } from "../util/pool.ts";
import { TIMING_BENCH_DESIGNS, type TimingBenchDesign } from "./timing_designs.ts";

export { TIMING_BENCH_DESIGNS, type TimingBenchDesign } from "./timing_designs.ts";

/** Format tag of bench/results/timing.json. */
export const TIMING_BENCH_FORMAT = "rnnfab-bench-timing-1";

/** The place-and-route report's fields an entry repeats (null where the design does not fit). */
const pnr = timingReportSchema.shape;

/** One seed's run of a design. */
const seedRunSchema = z.object({
  seed: z.number().int(),
  fmaxMhz: z.number(),
  /** The critical path's delay, its start and end (netlist names), ns. */
  criticalPathNs: z.number(),
  from: z.string(),
  to: z.string(),
  runtimeSeconds: z.number(),
  /**
   * The digest of the generated RTL and memory images the run placed (its pnr/timing.json's; equal
   * digests: the same design). Null in files before the field.
   */
  digest: z.string().nullable().default(null),
});

const entrySchema = z.object({
  id: z.string(),
  description: z.string(),
  pes: z.number().int(),
  density: z.number(),
  nonZeros: z.number().int(),
  target: z.string(),
  /**
   * "placed and routed"; "does not fit" (with the message of the flow); "not finished": every
   * seed's run passed the tools' time limit (`--timeout`), with the message.
   */
  status: z.enum(["placed and routed", "does not fit", "not finished"]),
  message: z.string().nullable(),
  /** The best seed's Fmax (a bitstream that reaches it exists); see `seeds` for every run. */
  fmaxMhz: pnr.fmaxMhz.nullable(),
  /** Median, lowest and highest Fmax over the seeds (equal to fmaxMhz for one seed). */
  fmaxMedianMhz: z.number().nullable().default(null),
  fmaxMinMhz: z.number().nullable().default(null),
  fmaxMaxMhz: z.number().nullable().default(null),
  requestedMhz: pnr.requestedMhz,
  passed: pnr.passed.nullable(),
  provenance: pnr.provenance.nullable(),
  /** How the ports met the pins (synth/pnr/ports.ts; "direct" in files before the field). */
  ports: pnr.ports,
  /** nextpnr's router. */
  router: pnr.router,
  /** Cycles per frame of the cycle estimate (equal to simulation). */
  cyclesPerFrame: z.number(),
  /** Microseconds per frame at the achieved (best seed's) Fmax. */
  usPerFrameAtFmax: z.number().nullable(),
  /** Microseconds per frame at the median seed's Fmax. */
  usPerFrameAtMedian: z.number().nullable().default(null),
  /** Microseconds per frame at the assumed 200 MHz, for comparison (assumed, not timing-closed). */
  usPerFrameAssumed: z.number(),
  assumedMhz: z.number(),
  /** The best seed's critical path. */
  criticalPath: pnr.criticalPath.nullable(),
  /** The critical path, one line per RTL instance. */
  criticalPathText: z.array(z.string()),
  utilization: z.array(utilizationRowSchema),
  /** Wall seconds of every seed's run together. */
  runtimeSeconds: z.number(),
  /** The best seed. */
  seed: pnr.seed,
  /** Every seed's run, in seed order (one entry in files before the field: `seed`). */
  seeds: z.array(seedRunSchema).default([]),
  tools: z.record(z.string(), z.string()),
  /** When the run that made this entry began (ISO time; null in files before the field). */
  runAt: z.string().nullable().default(null),
  /**
   * The rnnfab source the run was made from (`sourceRevision`: the commit, "-dirty" when tracked
   * files outside bench/results/ differed from it); null outside a git checkout and in files
   * before the field.
   */
  source: z.string().nullable().default(null),
  /**
   * What the person who ran it said about the run (`bench:timing --note`: the RTL, how the runs
   * were made); an entry's own, so a later run that replaces the entry replaces it too. Null
   * when none was given and in files before the field.
   */
  note: z.string().nullable().default(null),
});

/** bench/results/timing.json. */
export const timingBenchSchema = z.object({
  format: z.literal(TIMING_BENCH_FORMAT),
  generatedAt: z.string(),
  target: z.string(),
  targetMhz: z.number(),
  /** Fmax the issue asks for on the ECP5-85F. */
  goalMhz: z.number(),
  designs: z.array(entrySchema),
  notes: z.array(z.string()),
});

/** bench/results/timing.json. */
export type TimingBench = z.infer<typeof timingBenchSchema>;

/** One design's entry. */
export type TimingBenchEntry = z.infer<typeof entrySchema>;

/** One seed's run of a design. */
export type TimingSeedRun = z.infer<typeof seedRunSchema>;

/** Options of `runTimingBench`. */
export interface TimingBenchOptions {
  /** Designs to run (default all). */
  designs?: readonly TimingBenchDesign[];
  /** Where designs are generated (one folder per design and seed). */
  workDir: string;
  /** Part (default ecp5-85k). */
  target?: string;
  /** Clock target, MHz (default 200). */
  freqMhz?: number;
  /** Placer seeds, each a run of its own (default [1]). */
  seeds?: readonly number[];
  /** Runs at once (default 1; each is one nextpnr process, one core). */
  jobs?: number;
  /** How the ports meet the pins (default registered: synth/pnr/ports.ts). */
  ports?: PortMode;
  /** nextpnr's router (default router1). */
  router?: PnrRouter;
  /** Time limit of each tool, seconds. */
  timeoutSeconds?: number;
  /** Reuse a design's place-and-route result when it is for the same RTL (no new run). */
  reuse?: boolean;
  /** A note kept with every entry of the run (`note`). */
  note?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * The digest (RTL and memory images, synth/pnr/design.ts `designDigest`) of the design folder
 * that the current code generates for `model` and `settings`, made in a temporary folder.
 */
export async function generatedDigest(
  model: RnnModel,
  settings: AcceleratorSettings,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-timing-digest-" });
  try {
    await generateDesignDir(model, dir, settings, "bench:timing");
    const design = await readPnrDesign(dir);
    return await designDigest(dir, design.rtlFiles);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The seed folder's earlier timing report when `reuse` is set: for the same target, seed and
 * ports, by the current flow (`PNR_FLOW_VERSION`), for the folder's own RTL, and that RTL what the
 * current code generates (`digest`), so that a change of the templates, the generator or the flow
 * places and routes again.
 */
async function earlierReport(
  dir: string,
  run: { target: string; seed: number; ports: PortMode },
  digest: () => Promise<string>,
): Promise<TimingReport | null> {
  const clock = await clockForDesign(dir).catch(() => null);
  if (!clock?.placedAndRouted) return null;
  const report = await readTimingReport(timingReportPath(dir));
  const same = report.target.id === run.target && report.seed === run.seed &&
    report.ports === run.ports && report.flow === PNR_FLOW_VERSION &&
    (report.blockRamOutputRegisters?.scope ?? "pipeline") === "pipeline";
  return same && report.design.digest === await digest() ? report : null;
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The entry of a design placed and routed with one or more seeds (`reports` in seed order). */
export function entryOfReports(
  spec: TimingBenchDesign,
  nonZeros: number,
  reports: readonly TimingReport[],
  assumedMhz: number,
): TimingBenchEntry {
  const best = reports.reduce((a, b) => (b.fmaxMhz > a.fmaxMhz ? b : a));
  const fmaxes = reports.map((report) => report.fmaxMhz);
  const middle = round(median(fmaxes), 2);
  const cycles = best.design.cyclesPerStep ?? 0;
  return {
    id: spec.id,
    description: spec.description,
    pes: spec.pes,
    density: spec.density,
    nonZeros,
    target: best.target.id,
    status: "placed and routed",
    message: null,
    fmaxMhz: best.fmaxMhz,
    fmaxMedianMhz: middle,
    fmaxMinMhz: Math.min(...fmaxes),
    fmaxMaxMhz: Math.max(...fmaxes),
    requestedMhz: best.requestedMhz,
    passed: best.passed,
    provenance: best.provenance,
    ports: best.ports,
    router: best.router,
    cyclesPerFrame: cycles,
    usPerFrameAtFmax: best.usPerStepAtFmax,
    usPerFrameAtMedian: round(cycles / middle, 4),
    usPerFrameAssumed: cycles / assumedMhz,
    assumedMhz,
    criticalPath: best.criticalPath,
    criticalPathText: best.criticalPath.hops.map(formatHop),
    utilization: best.utilization.summary,
    runtimeSeconds: round(reports.reduce((sum, r) => sum + r.runtime.totalSeconds, 0), 1),
    seed: best.seed,
    seeds: reports.map((report) => ({
      seed: report.seed,
      fmaxMhz: report.fmaxMhz,
      criticalPathNs: report.criticalPath.totalNs,
      from: report.criticalPath.from,
      to: report.criticalPath.to,
      runtimeSeconds: report.runtime.totalSeconds,
      digest: report.design.digest,
    })),
    tools: {
      yosys: best.tools.yosys,
      nextpnr: best.tools.nextpnr,
      ...best.tools.packages,
    },
    runAt: null,
    source: null,
    note: null,
  };
}

async function designCycles(dir: string): Promise<number> {
  const design = JSON.parse(await Deno.readTextFile(join(dir, "design.json")));
  return design.estimate.cyclesPerStep;
}

/** A design pruned and ready to generate. */
interface PreparedDesign {
  spec: TimingBenchDesign;
  model: ReturnType<typeof pruneModelBcr>["model"];
  nonZeros: number;
}

function prepare(spec: TimingBenchDesign, options: TimingBenchOptions): PreparedDesign {
  const { model, report } = pruneModelBcr(randomModel(spec.model), {
    block: spec.block,
    rates: { density: spec.density },
    pes: spec.pes,
  });
  options.log?.(
    `${spec.id}: ${spec.description}: BCR ${formatBlock(spec.block)} -> density ` +
      `${(100 * report.density).toFixed(1)}%, ${report.nonZeros} non-zeros`,
  );
  return { spec, model, nonZeros: report.nonZeros };
}

/**
 * One seed's run: its timing report, or the flow's message and the cycles when the design does
 * not fit (`unfit`) or a tool passed its time limit (`unfinished`).
 */
type SeedOutcome =
  | { report: TimingReport }
  | { failure: "does not fit" | "not finished"; message: string; cycles: number };

/** Generate the design into its seed's folder, place and route it. */
async function runSeed(
  prepared: PreparedDesign,
  seed: number,
  options: TimingBenchOptions,
): Promise<SeedOutcome> {
  const { spec } = prepared;
  const target = options.target ?? "ecp5-85k";
  const ports = options.ports ?? DEFAULT_PORT_MODE;
  const dir = join(options.workDir, spec.id, `seed-${seed}`);
  const label = `${spec.id} seed ${seed}`;
  const settings: AcceleratorSettings = { pes: spec.pes, format: spec.format, ...spec.extra };
  const earlier = options.reuse
    ? await earlierReport(
      dir,
      { target, seed, ports },
      () => generatedDigest(prepared.model, settings),
    )
    : null;
  if (earlier) {
    options.log?.(`${label}: reusing ${timingReportPath(dir)}`);
    return { report: earlier };
  }
  await generateDesignDir(prepared.model, dir, settings, "bench:timing");
  try {
    const report = await placeAndRoute(dir, {
      target,
      freqMhz: options.freqMhz,
      seed,
      ports,
      router: options.router,
      timeoutSeconds: options.timeoutSeconds,
      log: (line) => options.log?.(`${label}: ${line}`),
    });
    options.log?.(`${label}: Fmax ${report.fmaxMhz.toFixed(2)} MHz`);
    return { report };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const failure = /does not fit/.test(error.message)
      ? "does not fit"
      : /ran past the time limit/.test(error.message)
      ? "not finished"
      : null;
    if (failure === null) throw error;
    options.log?.(`${label}: ${error.message}`);
    return { failure, message: `seed ${seed}: ${error.message}`, cycles: await designCycles(dir) };
  }
}

/** The entry of a design none of whose runs was placed and routed. */
function failedEntry(
  prepared: PreparedDesign,
  outcome: { failure: "does not fit" | "not finished"; message: string; cycles: number },
  options: TimingBenchOptions,
  assumedMhz: number,
): TimingBenchEntry {
  const { spec } = prepared;
  return {
    id: spec.id,
    description: spec.description,
    pes: spec.pes,
    density: spec.density,
    nonZeros: prepared.nonZeros,
    target: options.target ?? "ecp5-85k",
    status: outcome.failure,
    message: outcome.message,
    fmaxMhz: null,
    fmaxMedianMhz: null,
    fmaxMinMhz: null,
    fmaxMaxMhz: null,
    requestedMhz: options.freqMhz ?? 200,
    passed: null,
    provenance: null,
    ports: options.ports ?? DEFAULT_PORT_MODE,
    router: options.router ?? "router1",
    cyclesPerFrame: outcome.cycles,
    usPerFrameAtFmax: null,
    usPerFrameAtMedian: null,
    usPerFrameAssumed: outcome.cycles / assumedMhz,
    assumedMhz,
    criticalPath: null,
    criticalPathText: [],
    utilization: [],
    runtimeSeconds: 0,
    seed: options.seeds?.[0] ?? 1,
    seeds: [],
    tools: {},
    runAt: null,
    source: null,
    note: null,
  };
}

/**
 * The rnnfab source of this module's checkout: the commit, `git describe --always --abbrev=12`,
 * with "-dirty" when a tracked file differs from it, outside `bench/results/` (the benchmarks'
 * own results: a run after an earlier run's `--merge` or `--reuse` still made its measurements
 * from the commit's code); null when it is not a git checkout or git is missing.
 */
export async function sourceRevision(
  root: string = new URL("..", import.meta.url).pathname,
): Promise<string | null> {
  const git = async (...args: string[]): Promise<string | null> => {
    try {
      const output = await new Deno.Command("git", {
        args: ["-C", root, ...args],
        stdout: "piped",
        stderr: "null",
      }).output();
      return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
    } catch {
      return null;
    }
  };
  const commit = await git("describe", "--always", "--abbrev=12");
  if (commit === null || commit === "") return null;
  const changed = await git(
    "status",
    "--porcelain",
    "--untracked-files=no",
    "--",
    ".",
    ":(exclude)bench/results",
  );
  return changed === "" ? commit : `${commit}-dirty`;
}

/** Run the benchmark and return its results (not written). */
export async function runTimingBench(options: TimingBenchOptions): Promise<TimingBench> {
  const assumedMhz = 200;
  const runAt = new Date().toISOString();
  const source = await sourceRevision();
  const seeds = options.seeds && options.seeds.length > 0 ? options.seeds : [1];
  const designs = (options.designs ?? TIMING_BENCH_DESIGNS).map((spec) => prepare(spec, options));
  const tasks = designs.flatMap((prepared) =>
    seeds.map((seed) => () => runSeed(prepared, seed, options))
  );
  const outcomes = await runPool(tasks, options.jobs ?? 1);
  const entries = designs.map((prepared, at) => {
    const runs = outcomes.slice(at * seeds.length, (at + 1) * seeds.length);
    const reports = runs.flatMap((run) => ("report" in run ? [run.report] : []));
    const failures = runs.flatMap((run) => ("failure" in run ? [run] : []));
    const unfit = failures.find((run) => run.failure === "does not fit");
    if (unfit || reports.length === 0) {
      return failedEntry(prepared, unfit ?? failures[0], options, assumedMhz);
    }
    const entry = entryOfReports(prepared.spec, prepared.nonZeros, reports, assumedMhz);
    // seeds whose runs passed the time limit are named; the figures are the finished seeds'
    return failures.length === 0
      ? entry
      : { ...entry, message: failures.map((run) => run.message).join("; ") };
  });
  return timingBenchSchema.parse({
    format: TIMING_BENCH_FORMAT,
    generatedAt: runAt,
    target: options.target ?? "ecp5-85k",
    targetMhz: options.freqMhz ?? 200,
    goalMhz: 150,
    designs: entries.map((entry) => ({ ...entry, runAt, source, note: options.note ?? null })),
    notes: [
      "Fmax: nextpnr's timing analysis after routing (measured); fmaxMhz is the best seed's " +
      "(a bitstream that reaches it exists), fmaxMedianMhz / fmaxMinMhz / fmaxMaxMhz the spread " +
      "over the seeds run; cycles per frame: the design's cycle estimate, equal to the simulated " +
      "cycles (docs/architecture.md)",
      `ports ${options.ports ?? DEFAULT_PORT_MODE}: ${
        portsNote(options.ports ?? DEFAULT_PORT_MODE)
      }`,
      "usPerFrameAssumed is at the assumed 200 MHz clock of design.json (assumed, not " +
      "timing-closed), for comparison only",
      "models are random (seeded), pruned with BCR and PE balance; see docs/timing.md",
    ],
  });
}

/** Read and check a results file (one-line error naming the file when it is not one). */
export async function readTimingBench(path: string): Promise<TimingBench> {
  const value = await readJsonFile(path, "timing benchmark results");
  return parseWithSchema(timingBenchSchema, value, path, "bench/results/timing.json");
}

/**
 * A run's results merged into an earlier results file (`bench:timing --merge`): the run's entries
 * replace the earlier file's of the same designs, the earlier entries of designs not run stay, in
 * the benchmark's design order (designs the benchmark no longer has last); the notes are the
 * run's, then the earlier file's not among them, then one naming what was kept from which file.
 */
export function mergeTimingBench(earlier: TimingBench, run: TimingBench): TimingBench {
  const ranIds = new Set(run.designs.map((entry) => entry.id));
  const kept = earlier.designs.filter((entry) => !ranIds.has(entry.id));
  const order = TIMING_BENCH_DESIGNS.map((design) => design.id);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const designs = [...run.designs, ...kept].sort((a, b) => rank(a.id) - rank(b.id));
  const keptNote = kept.length === 0 ? [] : [
    `merged (--merge): ${kept.map((entry) => entry.id).join(", ")} kept from the results of ` +
    `${earlier.generatedAt} (each entry's runAt says when it ran, null before the field); ` +
    `${run.designs.map((entry) => entry.id).join(", ")} from the run of ${run.generatedAt}`,
  ];
  const notes = [
    ...run.notes,
    ...earlier.notes.filter((note) => !run.notes.includes(note) && !note.startsWith("merged (")),
    ...keptNote,
  ];
  return timingBenchSchema.parse({ ...run, designs, notes });
}

/** Write the results atomically. */
export async function writeTimingBench(path: string, results: TimingBench): Promise<void> {
  await writeJsonAtomic(path, timingBenchSchema.parse(results));
}

/**
 * Whether an entry's seeds reach the goal, in words: a single seed "met" or "not met"; several
 * seeds say how many reached it and whether the median did (the best seed alone proves that a
 * bitstream at that clock exists; the median says what a run of the flow can be expected to give).
 */
export function goalVerdict(seedsMhz: number[], goalMhz: number): string {
  const reached = seedsMhz.filter((mhz) => mhz >= goalMhz).length;
  if (seedsMhz.length === 1) return reached === 1 ? "met" : "not met";
  const middle = median(seedsMhz);
  const of = `${reached} of ${seedsMhz.length} seeds`;
  if (reached === seedsMhz.length) return `met on every seed`;
  if (middle >= goalMhz) return `met by the median (${of})`;
  if (reached > 0) return `met by the best seed, not by the median (${of})`;
  return "not met on any seed";
}

/** A text summary: one block per design. */
export function formatTimingBench(results: TimingBench): string[] {
  const lines: string[] = [];
  for (const entry of results.designs) {
    if (entry.status !== "placed and routed") {
      lines.push(`${entry.id}: ${entry.status}: ${entry.message}`);
      continue;
    }
    const spread = entry.seeds.length > 1
      ? ` (best of ${entry.seeds.length} seeds: ${
        entry.seeds.map((run) => `seed ${run.seed} ${run.fmaxMhz.toFixed(2)}`).join(", ")
      }; median ${entry.fmaxMedianMhz!.toFixed(2)} MHz = ` +
        `${entry.usPerFrameAtMedian!.toFixed(3)} us per frame)`
      : ` (seed ${entry.seed})`;
    lines.push(
      `${entry.id}: Fmax ${entry.fmaxMhz!.toFixed(2)} MHz${spread}, goal ${results.goalMhz} MHz: ` +
        `${
          goalVerdict(
            entry.seeds.length > 0 ? entry.seeds.map((run) => run.fmaxMhz) : [entry.fmaxMhz!],
            results.goalMhz,
          )
        }; ${entry.cyclesPerFrame} ` +
        `cycles per frame = ${entry.usPerFrameAtFmax!.toFixed(3)} us at Fmax ` +
        `(${entry.usPerFrameAssumed.toFixed(3)} us at an assumed ${entry.assumedMhz} MHz), ` +
        `${entry.provenance}, ports ${entry.ports}`,
      ...entry.criticalPathText.map((line) => `  ${line}`),
    );
  }
  return lines;
}
