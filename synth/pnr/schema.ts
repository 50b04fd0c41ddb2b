/**
 * The place-and-route stage's artifact, `DIR/pnr/timing.json` (format "rnnfab-timing-1"), as one
 * zod schema: written by `placeAndRoute` (flow.ts), read by `clockForDesign` (clock.ts) and the
 * timing benchmark. docs/timing.md describes every field.
 *
 * @module
 */

import { z } from "zod";
import { parseWithSchema } from "../../util/zod_error.ts";
import { readJsonFile } from "../../model/inputs.ts";

/** Format tag of timing.json. */
export const TIMING_FORMAT = "rnnfab-timing-1";

const usage = z.object({ used: z.number(), available: z.number() });

const hopSchema = z.object({
  instance: z.string(),
  module: z.string(),
  modules: z.array(z.string()),
  pe: z.number().int().nullable(),
  signals: z.array(z.string()),
  sources: z.array(z.string()),
  logicNs: z.number(),
  routingNs: z.number(),
});

/** The critical path in RTL terms (nextpnr_report.ts `CriticalPath`). */
export const criticalPathSchema = z.object({
  from: z.string(),
  to: z.string(),
  totalNs: z.number(),
  logicNs: z.number(),
  routingNs: z.number(),
  segments: z.number().int(),
  hops: z.array(hopSchema),
});

/** One headline resource of the part: its name, used, available and percent used. */
export const utilizationRowSchema = z.object({
  resource: z.string(),
  name: z.string(),
  used: z.number(),
  available: z.number(),
  percent: z.number(),
});

/** timing.json. */
export const timingReportSchema = z.object({
  format: z.literal(TIMING_FORMAT),
  design: z.object({
    description: z.string(),
    top: z.string(),
    pes: z.number().int().positive(),
    /** sha256 of the RTL and memory images the run used (clock.ts: a stale result is ignored). */
    digest: z.string(),
    /** Cycles per time step of the design's cycle estimate (design.json). */
    cyclesPerStep: z.number().nullable(),
  }),
  target: z.object({
    id: z.string(),
    family: z.enum(["ecp5", "ice40"]),
    part: z.string(),
    label: z.string(),
    package: z.string(),
    speedGrade: z.string().nullable(),
  }),
  seed: z.number().int(),
  /**
   * How the ports met the pins (ports.ts): "registered" (the core inside rnnfab_pnr_top, every
   * stream port behind a register slice) or "direct" (rnnfab_top on the pins; files before the
   * field).
   */
  ports: z.enum(["registered", "direct"]).default("direct"),
  /** nextpnr's router (`--router`; router1 in files before the field). */
  router: z.enum(["router1", "router2"]).default("router1"),
  /**
   * The flow's version (flow.ts `PNR_FLOW_VERSION`; 1 in files before the field): 2 moved the
   * flip-flops after ECP5 block RAM reads into the block RAMs' output registers always, 3 only on
   * request (`blockRamOutputRegisters` says whether it did), 4 the pipeline registers among them
   * always and every one on request.
   */
  flow: z.number().int().positive().default(1),
  /**
   * The flip-flops after block RAM reads moved into DP16KD output registers (bram_registers.ts;
   * ECP5: flow 2, flow 3 with `--bram-output-registers`, flow 4): which flip-flops were
   * candidates, the read ports that took them, the flip-flops, the read ports left; null when not
   * done and in files before the field.
   */
  blockRamOutputRegisters: z.object({
    /** "pipeline": only flip-flops that flip-flops alone read (flow 4's default); "all". */
    scope: z.enum(["pipeline", "all"]).default("all"),
    ports: z.number().int(),
    flipFlops: z.number().int(),
    portsLeft: z.number().int(),
  }).nullable().default(null),
  /** "placed and routed (nextpnr, ECP5-85F, -8)". */
  provenance: z.string(),
  requestedMhz: z.number().positive(),
  /** Achieved Fmax of the clock, MHz (nextpnr's timing analysis after routing). */
  fmaxMhz: z.number().positive(),
  /** fmaxMhz >= requestedMhz. */
  passed: z.boolean(),
  /** 1000 / requestedMhz - 1000 / fmaxMhz: negative when the target was missed, ns. */
  slackNs: z.number(),
  /** Microseconds per time step at fmaxMhz (the cycle estimate at the achieved clock). */
  usPerStepAtFmax: z.number().nullable(),
  clockNet: z.string(),
  criticalPath: criticalPathSchema,
  /** Port paths (unconstrained; not part of Fmax). */
  ioPaths: z.array(z.object({
    kind: z.string(),
    delayNs: z.number(),
    port: z.string().nullable(),
  })),
  utilization: z.object({
    /** The part's headline resources: name, used, available, percent. */
    summary: z.array(utilizationRowSchema),
    /** Every bel type nextpnr reports. */
    resources: z.record(z.string(), usage),
    /** Cells of the synthesized netlist (Yosys stat). */
    synthesizedCells: z.record(z.string(), z.number()),
  }),
  runtime: z.object({
    synthesisSeconds: z.number(),
    placeAndRouteSeconds: z.number(),
    totalSeconds: z.number(),
  }),
  tools: z.object({
    yosys: z.string(),
    nextpnr: z.string(),
    packages: z.record(z.string(), z.string()),
  }),
  /** Logs and files of the run, relative to the design folder. */
  files: z.record(z.string(), z.string()),
  notes: z.array(z.string()),
});

/** timing.json. */
export type TimingReport = z.infer<typeof timingReportSchema>;

/** Validate a parsed timing.json; a malformed one is a UserError naming `source`. */
export function parseTimingReport(value: unknown, source: string): TimingReport {
  return parseWithSchema(
    timingReportSchema,
    value,
    source,
    `a ${TIMING_FORMAT} file of deno task pnr`,
  );
}

/** Read and validate a timing.json file. */
export async function readTimingReport(path: string): Promise<TimingReport> {
  return parseTimingReport(await readJsonFile(path, "timing report"), path);
}
