/**
 * From job results to the sweep's rows: every figure with its provenance (computed, simulated,
 * synthesized, placed-and-routed), the clock labelled assumed or achieved, the budget check, the
 * screening (which estimated points can reach the front) and the Pareto fronts of pareto.json.
 *
 * @module
 */

import type { JobResult } from "./job.ts";
import { type FrontObjective, type FrontPoint, paretoFront } from "./pareto.ts";
import {
  ECP5_BUDGET_RESOURCES,
  MAXIMIZED,
  type Objective,
  type PartBudget,
  type SweepSpec,
} from "./spec.ts";

/** Where a figure comes from. */
export type Provenance = "computed" | "simulated" | "synthesized" | "placed-and-routed";

/** One figure of a point and its provenance (value null: the point did not run that stage). */
export interface Figure {
  /** The value, or null. */
  value: number | null;
  /** Where it comes from, or null with no value. */
  provenance: Provenance | null;
}

/** The figure keys of a row (the objectives plus what they are made of). */
export type FigureKey = Objective | "cyclesPerStep" | "memoryBits" | "density";

/** One line of results.jsonl. */
export interface SweepRow {
  /** The job hash (names DIR/jobs/<hash>.json). */
  hash: string;
  /** The axis values. */
  point: Record<string, number | string | boolean>;
  /** The deepest stage that ran ("none" when the estimate failed). */
  depth: string;
  /** "ok" or "failed". */
  status: "ok" | "failed";
  /** The failed stage and its message, or null. */
  failure: { stage: string; message: string } | null;
  /** The design's PEs, weight format and weight width (computed by gen), or null. */
  design: { pes: number; format: string; weightBits: number } | null;
  /** Every figure with its provenance. */
  figures: Record<FigureKey, Figure>;
  /** The clock of usPerFrame and gops: "assumed" (gen's clockMhz) or "achieved" (pnr's Fmax). */
  clock: { mhz: number | null; kind: "assumed" | "achieved" | null };
  /** Budget: true within, false over, null when a budgeted figure is unknown (or no budget). */
  withinBudget: boolean | null;
  /** The budgeted figures over their limits, e.g. "luts 1200 > 1000". */
  overBudget: string[];
  /** Whether screening sent the point to the full depth. */
  candidate: boolean;
  /** Whether the point is on the front of all objectives. */
  onFront: boolean;
  /** Measured wall seconds by stage (differs from run to run). */
  wallSeconds: Record<string, number>;
}

const none: Figure = { value: null, provenance: null };
const fig = (value: number | null | undefined, provenance: Provenance): Figure =>
  value === null || value === undefined ? none : { value, provenance };

/** The figures of a result: each from the deepest stage that measured it. */
export function rowFigures(result: JobResult): Pick<SweepRow, "figures" | "clock"> {
  const { estimate, synth, sim, pnr } = result.stages;
  const cycles = sim
    ? fig(sim.cyclesPerStep, "simulated")
    : fig(estimate?.cyclesPerStep, "computed");
  const clock = pnr
    ? { mhz: pnr.fmaxMhz, kind: "achieved" as const }
    : estimate
    ? { mhz: estimate.clockMhz, kind: "assumed" as const }
    : { mhz: null, kind: null };
  const us = cycles.value !== null && clock.mhz !== null ? cycles.value / clock.mhz : null;
  const latencyProvenance: Provenance = pnr ? "placed-and-routed" : cycles.provenance ?? "computed";
  const gops = us !== null && estimate ? (2 * estimate.nonZerosPerStep) / (us * 1000) : null;
  const fidelity = sim?.fidelityRelativeError !== null && sim?.fidelityRelativeError !== undefined
    ? fig(sim.fidelityRelativeError, "simulated")
    : fig(estimate?.fidelityRelativeError, "computed");
  return {
    figures: {
      usPerFrame: fig(us, latencyProvenance),
      gops: fig(gops, latencyProvenance),
      cyclesPerStep: cycles,
      luts: fig(synth?.luts, "synthesized"),
      flipFlops: fig(synth?.flipFlops, "synthesized"),
      blockRams: fig(synth?.blockRams, "synthesized"),
      dsps: fig(synth?.dsps, "synthesized"),
      fidelityError: fidelity,
      clockMhz: pnr ? fig(pnr.fmaxMhz, "placed-and-routed") : none,
      memoryBits: fig(estimate?.memoryBits, "computed"),
      density: fig(estimate?.density, "computed"),
    },
    clock,
  };
}

const BUDGET_KEYS = ["luts", "flipFlops", "blockRams", "dsps", "memoryBits"] as const;

/**
 * The figures a budget is checked against: the row's own, except that an ECP5 budget (`family`
 * "ecp5") takes LUTs, flip-flops, block RAMs and multipliers from place and route's utilization
 * (null before place and route).
 */
export function budgetFigures(
  figures: SweepRow["figures"],
  budget: PartBudget | null,
  placed: { resource: string; used: number }[] | undefined,
): Record<typeof BUDGET_KEYS[number], number | null> {
  const own = Object.fromEntries(BUDGET_KEYS.map((key) => [key, figures[key].value]));
  if (budget?.family !== "ecp5") return own as Record<typeof BUDGET_KEYS[number], number | null>;
  const used = (resource: string) =>
    placed === undefined ? null : placed.find((row) => row.resource === resource)?.used ?? 0;
  return {
    luts: used(ECP5_BUDGET_RESOURCES.luts),
    flipFlops: used(ECP5_BUDGET_RESOURCES.flipFlops),
    blockRams: used(ECP5_BUDGET_RESOURCES.blockRams),
    dsps: used(ECP5_BUDGET_RESOURCES.dsps),
    memoryBits: figures.memoryBits.value,
  };
}

/** Check a row's budget figures (`budgetFigures`) against a budget. */
export function checkBudget(
  values: Record<typeof BUDGET_KEYS[number], number | null>,
  budget: PartBudget | null,
): Pick<SweepRow, "withinBudget" | "overBudget"> {
  if (budget === null) return { withinBudget: null, overBudget: [] };
  const over: string[] = [];
  let unknown = false;
  for (const key of BUDGET_KEYS) {
    const limit = budget[key];
    if (limit === undefined) continue;
    const value = values[key];
    if (value === null) unknown = true;
    else if (value > limit) over.push(`${key} ${value} > ${limit}`);
  }
  return { withinBudget: over.length > 0 ? false : unknown ? null : true, overBudget: over };
}

/** The deepest stage of a result. */
function deepest(result: JobResult): string {
  const order = ["pnr", "sim", "synth", "estimate"] as const;
  return order.find((stage) => result.stages[stage] !== undefined) ?? "none";
}

/** A result as a row (screening and front flags false; see `markRows`). */
export function resultRow(result: JobResult, budget: PartBudget | null): SweepRow {
  const { figures, clock } = rowFigures(result);
  return {
    hash: result.hash,
    point: result.point,
    depth: deepest(result),
    status: result.failure === null ? "ok" : "failed",
    failure: result.failure,
    design: result.stages.estimate
      ? {
        pes: result.stages.estimate.pes,
        format: result.stages.estimate.format,
        weightBits: result.stages.estimate.weightBits,
      }
      : null,
    figures,
    clock,
    ...checkBudget(budgetFigures(figures, budget, result.stages.pnr?.utilization), budget),
    candidate: false,
    onFront: false,
    wallSeconds: result.wallSeconds,
  };
}

/** The figure values of a row, as the front functions take them. */
export function frontPoint(row: SweepRow): FrontPoint {
  return Object.fromEntries(Object.entries(row.figures).map(([key, f]) => [key, f.value]));
}

/** Front objectives of objective names. */
export function frontObjectives(keys: readonly string[]): FrontObjective[] {
  return keys.map((key) => ({ key, maximize: MAXIMIZED.has(key as Objective) }));
}

/** Rows that may be on a front: succeeded and not over budget. */
export function eligible(row: SweepRow): boolean {
  return row.status === "ok" && row.withinBudget !== false;
}

/** What the estimate can stand in for resources with: PEs, memory bits, weight width. */
const RESOURCE_OBJECTIVES: ReadonlySet<string> = new Set([
  "luts",
  "flipFlops",
  "blockRams",
  "dsps",
]);

/**
 * Screening: the estimated points that can reach the front. Latency (us at the assumed clock, or
 * cycles when place and route will set the clock) and fidelity are known; resources are not yet,
 * so PEs, memory bits and weight bits stand in for them (resources grow with each within one
 * weight format and synthesis target, which are compared only among themselves). A point that
 * another beats on all of these cannot reach the front and stops at the estimate.
 */
export function screenCandidates(rows: SweepRow[], spec: SweepSpec): Set<string> {
  const keys: { key: string; maximize: boolean }[] = [
    { key: spec.stages.includes("pnr") ? "cyclesPerStep" : "usPerFrame", maximize: false },
  ];
  if (spec.objectives.includes("fidelityError")) {
    keys.push({ key: "fidelityError", maximize: false });
  }
  if (spec.objectives.includes("gops") && !spec.stages.includes("pnr")) {
    keys.push({ key: "gops", maximize: true });
  }
  const resources = spec.objectives.some((o) => RESOURCE_OBJECTIVES.has(o)) ||
    spec.stages.includes("pnr");
  if (resources) {
    keys.push({ key: "pes", maximize: false }, { key: "memoryBits", maximize: false });
    keys.push({ key: "weightBits", maximize: false });
  }
  const groups = new Map<string, { row: SweepRow; point: FrontPoint }[]>();
  for (const row of rows.filter(eligible)) {
    const group = `${row.design?.format}|${row.point["synth.target"] ?? ""}`;
    const point = { ...frontPoint(row), ...proxies(row) };
    groups.set(group, [...(groups.get(group) ?? []), { row, point }]);
  }
  const chosen = new Set<string>();
  for (const members of groups.values()) {
    for (const i of paretoFront(members.map((m) => m.point), keys)) chosen.add(members[i].row.hash);
  }
  return chosen;
}

/** The resource stand-ins of a row (its design's PEs and weight width). */
function proxies(row: SweepRow): FrontPoint {
  return { pes: row.design?.pes ?? null, weightBits: row.design?.weightBits ?? null };
}

/** The fronts pareto.json reports: all objectives, and latency against each other objective. */
export function frontDefinitions(spec: SweepSpec): { name: string; keys: string[] }[] {
  const fronts = [{ name: "all objectives", keys: [...spec.objectives] as string[] }];
  for (const other of ["dsps", "luts", "blockRams", "fidelityError"]) {
    const pair = spec.objectives.includes(other as Objective) &&
      spec.objectives.includes("usPerFrame");
    if (pair && spec.objectives.length > 2) {
      fronts.push({ name: `usPerFrame vs ${other}`, keys: ["usPerFrame", other] });
    }
  }
  return fronts;
}

/** The hashes on a front over the eligible rows. */
export function frontHashes(rows: SweepRow[], keys: string[]): string[] {
  const candidates = rows.filter(eligible);
  const indices = paretoFront(candidates.map(frontPoint), frontObjectives(keys));
  return indices.map((i) => candidates[i].hash);
}
