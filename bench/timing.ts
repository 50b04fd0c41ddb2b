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
import { randomModel, type RandomModelOptions } from "../model/random.ts";
import { formatBlock, pruneModelBcr } from "../prune/mod.ts";
import { generateDesignDir } from "../rtl/mod.ts";
import { placeAndRoute } from "../synth/pnr/flow.ts";
import { clockForDesign, timingReportPath } from "../synth/pnr/clock.ts";
import {
  readTimingReport,
  type TimingReport,
  timingReportSchema,
  utilizationRowSchema,
} from "../synth/pnr/schema.ts";
import { formatHop } from "../synth/pnr/result.ts";

/** Format tag of bench/results/timing.json. */
export const TIMING_BENCH_FORMAT = "rnnfab-bench-timing-1";

/** One design of the benchmark. */
export interface TimingBenchDesign {
  /** Short id, also the design's folder name. */
  id: string;
  /** What it is. */
  description: string;
  /** The random model drawn (seeded). */
  model: RandomModelOptions;
  /** BCR density kept. */
  density: number;
  /** BCR block rows x columns. */
  block: { rows: number; cols: number };
  /** PEs. */
  pes: number;
  /** Weight format. */
  format: "ese" | "bcr";
}

const GRU_29_48: RandomModelOptions = {
  kind: "gru",
  inputSize: 29,
  hiddenSize: 48,
  numLayers: 2,
  seed: 17,
};

const LSTMP_29_48: RandomModelOptions = {
  kind: "lstm",
  inputSize: 29,
  hiddenSize: 48,
  numLayers: 2,
  projSize: 24,
  peepholes: true,
  seed: 17,
};

/** The designs of `deno task bench:timing`. */
export const TIMING_BENCH_DESIGNS: readonly TimingBenchDesign[] = [
  {
    id: "gru-8pe",
    description: "GRU 29 -> 48 x 2 layers, 25% BCR (8x8 blocks), ese, 8 PEs (issue 17)",
    model: GRU_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes: 8,
    format: "ese",
  },
  ...[8, 16].map((pes) => ({
    id: `lstmp-${pes}pe`,
    description: `LSTM 29 -> 48 x 2 layers, projection 24, peepholes, 25% BCR (8x8 blocks), ` +
      `ese, ${pes} PEs`,
    model: LSTMP_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes,
    format: "ese" as const,
  })),
];

/** The place-and-route report's fields an entry repeats (null where the design does not fit). */
const pnr = timingReportSchema.shape;

const entrySchema = z.object({
  id: z.string(),
  description: z.string(),
  pes: z.number().int(),
  density: z.number(),
  nonZeros: z.number().int(),
  target: z.string(),
  /** "placed and routed" or "does not fit" (with the message of the flow). */
  status: z.enum(["placed and routed", "does not fit"]),
  message: z.string().nullable(),
  fmaxMhz: pnr.fmaxMhz.nullable(),
  requestedMhz: pnr.requestedMhz,
  passed: pnr.passed.nullable(),
  provenance: pnr.provenance.nullable(),
  /** Cycles per frame of the cycle estimate (equal to simulation). */
  cyclesPerFrame: z.number(),
  /** Microseconds per frame at the achieved Fmax. */
  usPerFrameAtFmax: z.number().nullable(),
  /** Microseconds per frame at the assumed 200 MHz, for comparison (assumed, not timing-closed). */
  usPerFrameAssumed: z.number(),
  assumedMhz: z.number(),
  criticalPath: pnr.criticalPath.nullable(),
  /** The critical path, one line per RTL instance. */
  criticalPathText: z.array(z.string()),
  utilization: z.array(utilizationRowSchema),
  runtimeSeconds: z.number(),
  seed: pnr.seed,
  tools: z.record(z.string(), z.string()),
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

/** Options of `runTimingBench`. */
export interface TimingBenchOptions {
  /** Designs to run (default all). */
  designs?: readonly TimingBenchDesign[];
  /** Where designs are generated. */
  workDir: string;
  /** Part (default ecp5-85k). */
  target?: string;
  /** Clock target, MHz (default 200). */
  freqMhz?: number;
  /** Placer seed (default 1). */
  seed?: number;
  /** Time limit of each tool, seconds. */
  timeoutSeconds?: number;
  /** Reuse a design's place-and-route result when it is for the same RTL (no new run). */
  reuse?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The design's earlier timing report when `reuse` is set and it is for the current RTL. */
async function earlierReport(dir: string, target: string): Promise<TimingReport | null> {
  const clock = await clockForDesign(dir).catch(() => null);
  if (!clock?.placedAndRouted) return null;
  const report = await readTimingReport(timingReportPath(dir));
  return report.target.id === target ? report : null;
}

/** The entry of a design that was placed and routed. */
export function entryOfReport(
  spec: TimingBenchDesign,
  nonZeros: number,
  timing: TimingReport,
  assumedMhz: number,
): TimingBenchEntry {
  const cycles = timing.design.cyclesPerStep ?? 0;
  return {
    id: spec.id,
    description: spec.description,
    pes: spec.pes,
    density: spec.density,
    nonZeros,
    target: timing.target.id,
    status: "placed and routed",
    message: null,
    fmaxMhz: timing.fmaxMhz,
    requestedMhz: timing.requestedMhz,
    passed: timing.passed,
    provenance: timing.provenance,
    cyclesPerFrame: cycles,
    usPerFrameAtFmax: timing.usPerStepAtFmax,
    usPerFrameAssumed: cycles / assumedMhz,
    assumedMhz,
    criticalPath: timing.criticalPath,
    criticalPathText: timing.criticalPath.hops.map(formatHop),
    utilization: timing.utilization.summary,
    runtimeSeconds: timing.runtime.totalSeconds,
    seed: timing.seed,
    tools: {
      yosys: timing.tools.yosys,
      nextpnr: timing.tools.nextpnr,
      ...timing.tools.packages,
    },
  };
}

async function designCycles(dir: string): Promise<number> {
  const design = JSON.parse(await Deno.readTextFile(join(dir, "design.json")));
  return design.estimate.cyclesPerStep;
}

/** Generate, place and route one design; a design that does not fit is recorded as such. */
async function runOne(
  spec: TimingBenchDesign,
  options: TimingBenchOptions,
): Promise<TimingBenchEntry> {
  const target = options.target ?? "ecp5-85k";
  const dense = randomModel(spec.model);
  const { model, report } = pruneModelBcr(dense, {
    block: spec.block,
    rates: { density: spec.density },
    pes: spec.pes,
  });
  options.log?.(
    `${spec.id}: ${spec.description}: BCR ${formatBlock(spec.block)} -> density ` +
      `${(100 * report.density).toFixed(1)}%, ${report.nonZeros} non-zeros`,
  );
  const dir = join(options.workDir, spec.id);
  const assumedMhz = 200;
  const earlier = options.reuse ? await earlierReport(dir, target) : null;
  if (earlier) {
    options.log?.(`${spec.id}: reusing ${timingReportPath(dir)}`);
    return entryOfReport(spec, report.nonZeros, earlier, assumedMhz);
  }
  await generateDesignDir(model, dir, { pes: spec.pes, format: spec.format }, "bench:timing");
  try {
    const timing = await placeAndRoute(dir, {
      target,
      freqMhz: options.freqMhz,
      seed: options.seed,
      timeoutSeconds: options.timeoutSeconds,
      log: (line) => options.log?.(`${spec.id}: ${line}`),
    });
    return entryOfReport(spec, report.nonZeros, timing, assumedMhz);
  } catch (error) {
    if (!(error instanceof UserError) || !/does not fit/.test(error.message)) throw error;
    const cycles = await designCycles(dir);
    options.log?.(`${spec.id}: ${error.message}`);
    return {
      id: spec.id,
      description: spec.description,
      pes: spec.pes,
      density: spec.density,
      nonZeros: report.nonZeros,
      target,
      status: "does not fit",
      message: error.message,
      fmaxMhz: null,
      requestedMhz: options.freqMhz ?? 200,
      passed: null,
      provenance: null,
      cyclesPerFrame: cycles,
      usPerFrameAtFmax: null,
      usPerFrameAssumed: cycles / assumedMhz,
      assumedMhz,
      criticalPath: null,
      criticalPathText: [],
      utilization: [],
      runtimeSeconds: 0,
      seed: options.seed ?? 1,
      tools: {},
    };
  }
}

/** Run the benchmark and return its results (not written). */
export async function runTimingBench(options: TimingBenchOptions): Promise<TimingBench> {
  const entries: TimingBenchEntry[] = [];
  for (const spec of options.designs ?? TIMING_BENCH_DESIGNS) {
    entries.push(await runOne(spec, options));
  }
  return timingBenchSchema.parse({
    format: TIMING_BENCH_FORMAT,
    generatedAt: new Date().toISOString(),
    target: options.target ?? "ecp5-85k",
    targetMhz: options.freqMhz ?? 200,
    goalMhz: 150,
    designs: entries,
    notes: [
      "Fmax: nextpnr's timing analysis after routing (measured); cycles per frame: the design's " +
      "cycle estimate, equal to the simulated cycles (docs/architecture.md)",
      "usPerFrameAssumed is at the assumed 200 MHz clock of design.json (assumed, not " +
      "timing-closed), for comparison only",
      "models are random (seeded), pruned with BCR and PE balance; see docs/timing.md",
    ],
  });
}

/** Write the results atomically. */
export async function writeTimingBench(path: string, results: TimingBench): Promise<void> {
  await writeJsonAtomic(path, timingBenchSchema.parse(results));
}

/** A text summary: one block per design. */
export function formatTimingBench(results: TimingBench): string[] {
  const lines: string[] = [];
  for (const entry of results.designs) {
    if (entry.status === "does not fit") {
      lines.push(`${entry.id}: does not fit: ${entry.message}`);
      continue;
    }
    lines.push(
      `${entry.id}: Fmax ${entry.fmaxMhz!.toFixed(2)} MHz (goal ${results.goalMhz} MHz: ` +
        `${entry.fmaxMhz! >= results.goalMhz ? "met" : "not met"}), ${entry.cyclesPerFrame} ` +
        `cycles per frame = ${entry.usPerFrameAtFmax!.toFixed(3)} us at Fmax ` +
        `(${entry.usPerFrameAssumed.toFixed(3)} us at an assumed ${entry.assumedMhz} MHz), ` +
        entry.provenance,
      ...entry.criticalPathText.map((line) => `  ${line}`),
    );
  }
  return lines;
}
