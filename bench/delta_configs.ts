/**
 * The configuration table of `bench:delta` (`--configs`, docs/delta.md "Benchmark"): the BCR +
 * delta model built at several PE counts, columns per beat W and output elements per beat, each
 * design's cycles per frame over the test set from its cycle model (rtl/delta_timing.ts, equal to
 * Verilator), where the frame's cycles go (`DeltaPhases`), time and effective throughput at the
 * assumed clock, resources (LUTs, flip-flops and DSPs interpolated between synthesized designs,
 * DELTA_PE_RESOURCES; BRAM36 the larger of that estimate and the lower bound of the design's own
 * memories, bench/delta_memories.ts), and
 * the fastest configuration within ESE's XCKU060 budget.
 *
 * @module
 */

import type { DeltaConfig } from "../model/delta.ts";
import type { RnnModel } from "../model/model.ts";
import { type AcceleratorConfig, BROADCAST_WIDTHS, LANE_COUNTS } from "../rtl/config.ts";
import type { CycleStats } from "../rtl/delta_cycles.ts";
import { builtDeltaCycles, builtDesigns, type DeltaPhases } from "./delta_built.ts";
import { type DesignBlockRams, designBlockRams, MEMORY_BRAM_LABEL } from "./delta_memories.ts";

/** Cycles as printed: whole numbers as they are, a mean over steps with one decimal. */
export function cyclesText(cycles: number): string {
  return Number.isInteger(cycles) ? String(cycles) : cycles.toFixed(1);
}

/**
 * One configuration: PEs, MAC lanes per PE, columns per beat, output and input elements per
 * stream beat.
 */
export interface DeltaDesignPoint {
  /** PEs. */
  pes: number;
  /** MAC lanes per PE (ese lines; LANE_COUNTS: 1, 2, 4, ..., 64). */
  lanes: number;
  /** Columns per broadcast beat W (divides pes). */
  broadcast: number;
  /** Output elements per beat (divides pes). */
  outWords: number;
  /** Input elements per beat (divides broadcast; absent in files before session 18: 1). */
  inWords?: number;
  /** false: without the projection's own queue ("q0"; absent: with it where it applies). */
  projQueue?: false;
}

/** A PE's resources at one MAC lane count: a Yosys per-PE estimate (`synth --per-pe`). */
export interface PeResourcePoint {
  /** MAC lanes per PE. */
  lanes: number;
  /** LUTs of one PE (logic and LUT RAM). */
  lut: number;
  /** Flip-flops of one PE. */
  ff: number;
  /** DSP slices of one PE. */
  dsp: number;
  /** What the projection's own queue (rtl PQUEUE) adds to that PE: LUTs and flip-flops. */
  projQueue: { lut: number; ff: number };
}

/** The logic outside the PEs at one beat width W (encoders, broadcaster, controller). */
export interface SharedResourcePoint {
  /** Columns per beat. */
  broadcast: number;
  /** LUTs. */
  lut: number;
  /** Flip-flops. */
  ff: number;
}

/**
 * Resources of the delta datapath, from Yosys per-PE estimates (`synth --per-pe`, Yosys 0.23, the
 * XCKU060's family) of the trained ESE-shaped model pruned for lanes (`ese-l16-s`), balanced, built
 * as a 32-PE delta design with theta_m, early input, 32 columns and 32 output words a beat and 4
 * input words (`bench:delta --design-out`, with `--built-lanes` and `--proj-queue`; docs/delta.md,
 * "What a lane costs, synthesized" and "Session 23"): session 23's synthesis, with the accumulator
 * width from the weights (36 bits; 43 before), of a PE at 1, 16 and 32 lanes without the
 * projection's own queue and what the queue adds at each, and the shared logic at W = 32 (the
 * 16-lane design with the queue; the five other designs' shared logic, the same RTL, came out
 * within 22,922 .. 24,486 LUTs: the synthesis's own spread). The shared logic at W = 16 is session
 * 15's (its encoders, with the bounds v_hat +- theta and a registered push). Between the
 * synthesized points the figures are interpolated linearly, past them extrapolated from the two
 * nearest. A lane does not cost the same everywhere: at 32 lanes a PE's accumulator memories are
 * one word deep and become flip-flops (LUT RAM at 16), so the flip-flops, not the LUTs, grow
 * fastest. BRAM36: 15.5 a PE (the 1-lane design; 15 at 16 lanes, 20 at 32); the design's own
 * memories' bound decides where it is larger.
 */
export const DELTA_PE_RESOURCES = {
  perPe: [
    { lanes: 1, lut: 2335, ff: 5238, dsp: 12, projQueue: { lut: 620, ff: 78 } },
    { lanes: 16, lut: 6662, ff: 11659, dsp: 27, projQueue: { lut: 590, ff: 71 } },
    { lanes: 32, lut: 8995, ff: 23117, dsp: 43, projQueue: { lut: 446, ff: 70 } },
  ] as readonly PeResourcePoint[],
  bram36PerPe: 15.5,
  shared: [
    { broadcast: 16, lut: 19555, ff: 5179 },
    { broadcast: 32, lut: 24349, ff: 8334 },
  ] as readonly SharedResourcePoint[],
  label: "computed: Yosys per-PE estimates of the 32-PE delta design of the trained, balanced " +
    "ese-l16-s model (early input, 4 input words, 36-bit accumulators) at 1, 16 and 32 lanes, " +
    "with and without the projection's own queue (rtl PQUEUE), and of its shared logic at W = 32 " +
    "(session 23; W = 16: session 15), interpolated in lanes and beat width between them, " +
    "extrapolated past them, scaled by the PE count",
} as const;

/**
 * The value at `x` of the piecewise linear function through `points` (sorted by x): interpolated
 * between the two points around x, extrapolated from the two nearest outside them; one point: its
 * value everywhere.
 */
export function piecewiseLinear(points: readonly { x: number; y: number }[], x: number): number {
  if (points.length === 1) return points[0].y;
  let at = points.findIndex((point) => point.x >= x);
  if (at <= 0) at = at === 0 ? 1 : points.length - 1;
  const [a, b] = [points[at - 1], points[at]];
  return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
}

/**
 * A PE's LUTs, flip-flops and DSPs at a lane count (DELTA_PE_RESOURCES), with or without the
 * projection's own queue, whole numbers.
 */
export function peResourcesAt(
  lanes: number,
  projQueue = false,
): Omit<PeResourcePoint, "lanes" | "projQueue"> {
  const along = (value: (point: PeResourcePoint) => number) =>
    Math.round(
      piecewiseLinear(DELTA_PE_RESOURCES.perPe.map((p) => ({ x: p.lanes, y: value(p) })), lanes),
    );
  const queue = (field: "lut" | "ff") => projQueue ? along((p) => p.projQueue[field]) : 0;
  return {
    lut: along((p) => p.lut) + queue("lut"),
    ff: along((p) => p.ff) + queue("ff"),
    dsp: along((p) => p.dsp),
  };
}

/** The shared logic's LUTs and flip-flops at a beat width (DELTA_PE_RESOURCES), whole numbers. */
export function sharedResourcesAt(broadcast: number): { lut: number; ff: number } {
  const along = (field: "lut" | "ff") =>
    Math.round(
      piecewiseLinear(
        DELTA_PE_RESOURCES.shared.map((p) => ({ x: p.broadcast, y: p[field] })),
        broadcast,
      ),
    );
  return { lut: along("lut"), ff: along("ff") };
}

/** The budget a configuration must fit (ESE's resources on the XCKU060). */
export interface ResourceBudget {
  /** LUTs. */
  lut: number;
  /** Flip-flops. */
  ff: number;
  /** BRAM36 blocks. */
  bram36: number;
  /** DSP slices. */
  dsp: number;
}

/** A resource estimate against a budget. */
export interface ResourceEstimate {
  /** LUTs (the scaled Yosys estimate). */
  lut: number;
  /** Flip-flops (the scaled Yosys estimate). */
  ff: number;
  /** BRAM36 blocks: the larger of the two figures below (what `fits` uses). */
  bram36: number;
  /** DSP slices (the scaled Yosys estimate). */
  dsp: number;
  /** BRAM36 of the scaled Yosys estimate (DELTA_PE_RESOURCES). */
  bram36Estimate: number;
  /** BRAM36 lower bound from this design's own memories (bench/delta_memories.ts). */
  bram36FromMemories: number;
  /** Which figure decided `bram36`: the scaled estimate or the design's memories. */
  bram36Decided: "estimate" | "memories";
  /** Within the budget. */
  fits: boolean;
  /** The resources over the budget (empty when it fits), e.g. ["LUT", "FF"]. */
  over: string[];
  /** How the figures were obtained. */
  label: string;
}

/**
 * The resources of a PE count against a budget: LUTs, flip-flops and DSPs the scaled Yosys
 * estimate (DELTA_PE_RESOURCES at the lanes and beat width), BRAM36 the larger of that estimate and
 * the design's memories' lower bound (`memoryBram36`, computed from the built design: it follows
 * the model's density, the estimate does not).
 */
export function deltaResources(
  pes: number,
  options: {
    budget: ResourceBudget;
    memoryBram36: number;
    /** MAC lanes per PE (default 1). */
    lanes?: number;
    /** Columns per beat (default 16). */
    broadcast?: number;
    /** The PEs have the projection's own queue (rtl PQUEUE). */
    projQueue?: boolean;
  },
): ResourceEstimate {
  const { budget, memoryBram36 } = options;
  const pe = peResourcesAt(options.lanes ?? 1, options.projQueue);
  const shared = sharedResourcesAt(options.broadcast ?? 16);
  const lut = shared.lut + pes * pe.lut;
  const ff = shared.ff + pes * pe.ff;
  const dsp = pes * pe.dsp;
  const bram36Estimate = pes * DELTA_PE_RESOURCES.bram36PerPe;
  const bram36Decided = memoryBram36 > bram36Estimate ? "memories" : "estimate";
  const bram36 = Math.max(bram36Estimate, memoryBram36);
  const over = [
    ...(lut > budget.lut ? ["LUT"] : []),
    ...(ff > budget.ff ? ["FF"] : []),
    ...(bram36 > budget.bram36 ? ["BRAM36"] : []),
    ...(dsp > budget.dsp ? ["DSP"] : []),
  ];
  return {
    lut,
    ff,
    bram36,
    dsp,
    bram36Estimate,
    bram36FromMemories: memoryBram36,
    bram36Decided,
    fits: over.length === 0,
    over,
    label: `LUT, FF and DSP: the scaled Yosys estimate; BRAM36: ${bram36} from ${
      bram36Decided === "memories"
        ? `this design's memories (lower bound; the scaled estimate says ${bram36Estimate})`
        : `the scaled Yosys estimate (this design's memories need at least ${memoryBram36})`
    }`,
  };
}

/** One row of the table. */
export interface DeltaConfigRow extends DeltaDesignPoint {
  /** Cycles per frame of the same model and design without delta (its cycle estimate). */
  denseCyclesPerFrame: number;
  /** Cycles per frame with delta over every test frame (cycle model). */
  delta: CycleStats;
  /** With no column fired. */
  idleCyclesPerFrame: number;
  /** Where the cycles go (mean per step) and with no column fired. */
  phases: DeltaPhases;
  idlePhases: DeltaPhases;
  /** The part of `phases` with the most cycles. */
  limit: keyof DeltaPhases;
  /** Microseconds per frame (mean) and effective TOp/s at the assumed clock. */
  microseconds: number;
  effectiveTops: number;
  /** Resources (LUT and DSP estimated, BRAM36 the larger of the estimate and the memories' bound). */
  resources: ResourceEstimate;
  /** The built delta design's memories that are block RAM by design, and their BRAM36 bound. */
  memoryBlockRams: DesignBlockRams;
}

/** The table and its pick. */
export interface DeltaConfigTable {
  /** How the figures were obtained. */
  label: string;
  /** Clock (MHz, assumed). */
  clockMhz: number;
  /** Resource estimate's origin. */
  resourcesLabel: string;
  /** Every configuration. */
  rows: DeltaConfigRow[];
  /** The lowest mean cycles per frame within the budget (null: none fits). */
  best: DeltaConfigRow | null;
}

/**
 * Parse "PxW", "PxWoO", "PxLxWoO" or "PxLxWoOiI" (L MAC lanes per PE, else 1; O output and I input
 * elements per beat, else 1), with "q0" at the end for a design without the projection's own queue
 * (rtl PQUEUE), comma-separated.
 */
export function parseDesignPoints(text: string): DeltaDesignPoint[] | undefined {
  const points: DeltaDesignPoint[] = [];
  for (const part of text.split(",")) {
    const match = /^(\d+)x(?:(\d+)x)?(\d+)(?:o(\d+))?(?:i(\d+))?(q0)?$/.exec(part.trim());
    if (!match) return undefined;
    const [pes, lanes, broadcast, outWords, inWords] = [
      match[1],
      match[2] ?? "1",
      match[3],
      match[4] ?? "1",
      match[5] ?? "1",
    ].map(Number);
    const power = (n: number) => n >= 1 && (n & (n - 1)) === 0;
    const widths: readonly number[] = BROADCAST_WIDTHS;
    if (pes < 1 || !widths.includes(broadcast) || !power(outWords) || !power(inWords)) {
      return undefined;
    }
    if (!(LANE_COUNTS as readonly number[]).includes(lanes)) return undefined;
    if (pes % broadcast !== 0 || pes % outWords !== 0 || broadcast % inWords !== 0) {
      return undefined;
    }
    points.push({
      pes,
      lanes,
      broadcast,
      outWords,
      inWords,
      ...(match[6] ? { projQueue: false } : {}),
    });
  }
  return points;
}

/** The widest output beat for a PE count: the largest power of two up to 64 dividing it. */
export function widestOutWords(pes: number): number {
  let words = 1;
  while (words * 2 <= 64 && pes % (words * 2) === 0) words *= 2;
  return words;
}

/** Build and time every configuration on the test sequences (cycle model; yields between them). */
export async function deltaConfigTable(options: {
  model: RnnModel;
  accelerator: AcceleratorConfig;
  delta: DeltaConfig;
  sequences: number[][][];
  points: DeltaDesignPoint[];
  denseOps: number;
  budget: ResourceBudget;
  log?: (line: string) => void;
}): Promise<DeltaConfigTable> {
  const clockMhz = options.accelerator.clockMhz;
  const rows: DeltaConfigRow[] = [];
  for (const point of options.points) {
    const accelerator = { ...options.accelerator, pes: point.pes, outWords: point.outWords };
    const designs = builtDesigns(options.model, accelerator, {
      delta: options.delta,
      broadcast: point.broadcast,
      lanes: point.lanes,
      inWords: point.inWords,
      projQueue: point.projQueue,
    });
    const built = await builtDeltaCycles(designs, options.sequences, point.broadcast);
    const phases = built.phases;
    const limit = (Object.keys(phases) as (keyof DeltaPhases)[])
      .reduce((a, b) => phases[b] > phases[a] ? b : a);
    const microseconds = built.delta.mean / clockMhz;
    const memoryBlockRams = designBlockRams(designs.delta);
    const row = {
      ...point,
      denseCyclesPerFrame: built.denseCyclesPerFrame,
      delta: built.delta,
      idleCyclesPerFrame: built.idleCyclesPerFrame,
      phases,
      idlePhases: built.idlePhases,
      limit,
      microseconds,
      effectiveTops: options.denseOps / (microseconds * 1e-6) / 1e12,
      resources: deltaResources(point.pes, {
        budget: options.budget,
        memoryBram36: memoryBlockRams.bram36,
        lanes: point.lanes,
        broadcast: point.broadcast,
        projQueue: designs.delta.rtl.PQUEUE === 1,
      }),
      memoryBlockRams,
    };
    options.log?.(
      `config ${point.pes} PEs x ${point.lanes} lanes, W ${point.broadcast}, ` +
        `out ${point.outWords}, in ${point.inWords ?? 1}: ` +
        `${row.delta.mean.toFixed(1)} cycles per frame (idle ${row.idleCyclesPerFrame}), ` +
        `${microseconds.toFixed(2)} us, limit ${limit}; ${row.resources.label}`,
    );
    rows.push(row);
  }
  const fitting = rows.filter((row) => row.resources.fits);
  const best = fitting.reduce<DeltaConfigRow | null>(
    (a, b) => a === null || b.delta.mean < a.delta.mean ? b : a,
    null,
  );
  return {
    label: "computed: cycle model of each built delta design (rtl/delta_timing.ts, equal to " +
      "Verilator) over the test frames; time and TOp/s at the assumed clock",
    clockMhz,
    resourcesLabel: `computed: LUT, FF and DSP ${
      DELTA_PE_RESOURCES.label.replace(/^computed: /, "")
    }; BRAM36 the larger of that estimate and the ${MEMORY_BRAM_LABEL.replace(/^computed: /, "")}`,
    rows,
    best,
  };
}

/** The BRAM36 cell: both figures, the deciding one in bold. */
function bramCell(resources: ResourceEstimate): string {
  const { bram36Estimate: estimate, bram36FromMemories: memories, bram36Decided } = resources;
  return bram36Decided === "memories"
    ? `${estimate} / **${memories}** (memories)`
    : `**${estimate}** / ${memories} (estimate)`;
}

/** The table as Markdown. */
export function deltaConfigMarkdown(table: DeltaConfigTable): string[] {
  const f = (n: number) => n.toFixed(1);
  const lines = [
    `### Configurations (${table.label}, ${table.clockMhz} MHz assumed)`,
    "",
    "| PEs | lanes (q0: no projection queue) | W | out / in words | dense | delta mean / p50 / p99 / worst | no fire | matvec / EW + projection (+ next input part) / output wait (per frame) | limit | us | TOp/s | LUT / FF / DSP (scaled estimate) | BRAM36: scaled estimate / memories' bound (the larger decides) | fits |",
    "| --- | ----- | - | -------------- | ----- | ------------------------------ | ------- | --------------------------------------------- | ----- | -- | ----- | -------------------------------- | -------------------------------------------------------------- | ---- |",
  ];
  for (const r of table.rows) {
    const d = r.delta;
    const p = r.phases;
    lines.push(
      `| ${r.pes} | ${r.lanes}${
        r.projQueue === false ? " (q0)" : ""
      } | ${r.broadcast} | ${r.outWords} / ${r.inWords ?? 1} | ${
        cyclesText(r.denseCyclesPerFrame)
      } | ` +
        `${f(d.mean)} / ${d.p50} / ${d.p99} / ${d.worst} | ${f(r.idleCyclesPerFrame)} | ` +
        `${f(p.matvec)} / ${f(p.projection)} / ${f(p.outputWait)} | ${r.limit} | ` +
        `${r.microseconds.toFixed(2)} | ${r.effectiveTops.toFixed(2)} | ` +
        `${r.resources.lut} / ${r.resources.ff} / ${r.resources.dsp} | ${
          bramCell(r.resources)
        } | ` +
        `${r.resources.fits ? "yes" : `no: ${r.resources.over.join(", ")}`} |`,
    );
  }
  const b = table.best;
  lines.push(
    "",
    b
      ? `Fastest within the budget: **${b.pes} PEs x ${b.lanes} lanes, W = ${b.broadcast}, ` +
        `${b.outWords} output / ${b.inWords ?? 1} input elements per beat` +
        `${b.projQueue === false ? ", no projection queue" : ""}: ` +
        `${f(b.delta.mean)} cycles per frame, ${b.microseconds.toFixed(2)} us, ` +
        `${b.effectiveTops.toFixed(2)} TOp/s** (assumed clock); limit: ${b.limit}; ` +
        `${b.resources.label}.`
      : "No configuration fits the budget.",
    `Resources: ${table.resourcesLabel}.`,
    "",
  );
  return lines;
}
