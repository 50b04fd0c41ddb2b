/**
 * nextpnr's JSON report (`--report FILE`): the achieved Fmax per clock, the critical paths as
 * lists of segments (clock-to-q, logic, routing, setup) with the cells and nets they cross, and
 * the utilization of every bel type. `parseNextpnrReport` validates it; `criticalPath` turns the
 * clock domain's worst path into RTL terms with hierarchy.ts (which PE, which unit, which signal),
 * split into logic and routing delay; `ioPaths` keeps the unconstrained port paths apart.
 *
 * @module
 */

import { z } from "zod";
import { parseWithSchema } from "../../util/zod_error.ts";
import {
  locate,
  refineLocation,
  type RtlLocation,
  type ScopeIndex,
  sourceModule,
} from "./hierarchy.ts";

const endpointSchema = z.object({ cell: z.string(), port: z.string() }).passthrough();

const segmentSchema = z.object({
  type: z.string(),
  delay: z.number(),
  from: endpointSchema,
  to: endpointSchema,
  net: z.string().optional(),
  sources: z.array(z.string()).optional(),
}).passthrough();

/** The parts of nextpnr's `--report` JSON the flow reads. */
export const nextpnrReportSchema = z.object({
  fmax: z.record(z.string(), z.object({ achieved: z.number(), constraint: z.number() })),
  critical_paths: z.array(
    z.object({ from: z.string(), to: z.string(), path: z.array(segmentSchema) }).passthrough(),
  ),
  utilization: z.record(z.string(), z.object({ used: z.number(), available: z.number() })),
}).passthrough();

/** nextpnr's report. */
export type NextpnrReport = z.infer<typeof nextpnrReportSchema>;

/** One segment of a nextpnr path. */
export type NextpnrSegment = z.infer<typeof segmentSchema>;

/** Validate a parsed nextpnr report; a malformed one is a UserError naming `source`. */
export function parseNextpnrReport(value: unknown, source: string): NextpnrReport {
  return parseWithSchema(nextpnrReportSchema, value, source, "a nextpnr --report JSON file");
}

/** A run of consecutive path segments inside one RTL instance. */
export interface PathHop {
  /** Instance path ("" for the top module). */
  instance: string;
  /** Its module. */
  module: string;
  /** Modules from the top's child down to `module`. */
  modules: string[];
  /** PE index, or null for the shared logic. */
  pe: number | null;
  /** RTL signals and memories the path crosses here, in order. */
  signals: string[];
  /** RTL source lines of the nets crossed here (file:line). */
  sources: string[];
  /** Logic delay (clock-to-q, cells, setup) inside this hop, ns. */
  logicNs: number;
  /** Routing delay of the nets arriving in this hop, ns. */
  routingNs: number;
}

/** The worst register-to-register path of a clock, in RTL terms. */
export interface CriticalPath {
  /** nextpnr's start point (cell.port). */
  from: string;
  /** nextpnr's end point (cell.port). */
  to: string;
  /** Total delay, ns. */
  totalNs: number;
  /** Clock-to-q, cell and setup delays, ns. */
  logicNs: number;
  /** Routing delays, ns. */
  routingNs: number;
  /** Segments in nextpnr's report. */
  segments: number;
  /** The path as the RTL instances it runs through, in order. */
  hops: PathHop[];
}

/** The worst path between a port and the clock domain (unconstrained: not part of Fmax). */
export interface IoPath {
  /** "input -> register" or "register -> output". */
  kind: string;
  /** Total delay, ns. */
  delayNs: number;
  /** The port's net, e.g. "rst" or "out_data". */
  port: string | null;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

function isClockDomain(name: string): boolean {
  return !name.includes("<async>");
}

function rtlSources(sources: readonly string[] | undefined): string[] {
  return (sources ?? [])
    .filter((source) => !source.startsWith("/"))
    .map((source) => source.replace(/^(.*?:\d+)\..*$/, "$1"));
}

/** The name a routing segment is known by: its net, else the cell it arrives at. */
function routingName(segment: NextpnrSegment): string {
  return segment.net && !segment.net.startsWith("$") ? segment.net : segment.to.cell;
}

/**
 * The RTL location of every segment: a routing segment where its net comes from (its name,
 * corrected by its RTL source, hierarchy.ts `refineLocation`); a logic cell's delay where the net
 * it drives comes from; the launching clock-to-q and the final setup where their registers are.
 */
export function segmentLocations(
  path: readonly NextpnrSegment[],
  index: ScopeIndex,
): RtlLocation[] {
  const locations: (RtlLocation | undefined)[] = new Array(path.length);
  let previous: RtlLocation | undefined;
  path.forEach((segment, i) => {
    if (segment.type !== "routing") return;
    const module = rtlSources(segment.sources).map(sourceModule).find((m) => m !== null) ?? null;
    const byName = locate(routingName(segment), index);
    const refined = refineLocation(byName, module, index, previous?.instance);
    // A net without an RTL source, named after a signal above the instance the path is in, is
    // still that instance's logic (the name is the downstream signal it feeds).
    const inherit = module === null && previous !== undefined &&
      previous.instance.startsWith(`${byName.instance}${byName.instance ? "." : ""}`) &&
      previous.instance !== byName.instance;
    locations[i] = inherit
      ? { ...previous!, signal: null }
      : refined.instance === byName.instance
      ? byName
      : refined;
    previous = locations[i];
  });
  return path.map((segment, i) => {
    if (locations[i]) return locations[i]!;
    const next = path[i + 1];
    if (segment.type === "logic" && next?.type === "routing") return locations[i + 1]!;
    return locate(segment.type === "setup" ? segment.to.cell : segment.from.cell, index);
  });
}

function addSegment(hops: PathHop[], segment: NextpnrSegment, where: RtlLocation): void {
  let hop = hops[hops.length - 1];
  if (!hop || hop.instance !== where.instance) {
    const { instance, module, modules, pe } = where;
    hop = { instance, module, modules, pe, signals: [], sources: [], logicNs: 0, routingNs: 0 };
    hops.push(hop);
  }
  if (where.signal && !hop.signals.includes(where.signal)) hop.signals.push(where.signal);
  for (const source of rtlSources(segment.sources)) {
    if (!hop.sources.includes(source)) hop.sources.push(source);
  }
  if (segment.type === "routing") hop.routingNs += segment.delay;
  else hop.logicNs += segment.delay;
}

/** One nextpnr path in RTL terms. */
export function describePath(
  path: readonly NextpnrSegment[],
  index: ScopeIndex,
): CriticalPath {
  const hops: PathHop[] = [];
  const locations = segmentLocations(path, index);
  path.forEach((segment, i) => addSegment(hops, segment, locations[i]));
  const routingNs = path.filter((s) => s.type === "routing").reduce((t, s) => t + s.delay, 0);
  const totalNs = path.reduce((t, s) => t + s.delay, 0);
  const first = path[0];
  const last = path[path.length - 1];
  return {
    from: first ? `${first.from.cell}.${first.from.port}` : "",
    to: last ? `${last.to.cell}.${last.to.port}` : "",
    totalNs: round(totalNs),
    logicNs: round(totalNs - routingNs),
    routingNs: round(routingNs),
    segments: path.length,
    hops: hops.map((hop) => ({
      ...hop,
      logicNs: round(hop.logicNs),
      routingNs: round(hop.routingNs),
    })),
  };
}

/** The clock's achieved Fmax (the slowest clock if there are several), MHz; null if none. */
export function achievedFmax(report: NextpnrReport): { clock: string; mhz: number } | null {
  const clocks = Object.entries(report.fmax);
  if (clocks.length === 0) return null;
  const [clock, figures] = clocks.reduce((worst, entry) =>
    entry[1].achieved < worst[1].achieved ? entry : worst
  );
  return { clock, mhz: figures.achieved };
}

/** The worst register-to-register path in RTL terms, or null when the report has none. */
export function criticalPath(report: NextpnrReport, index: ScopeIndex): CriticalPath | null {
  const paths = report.critical_paths.filter((path) =>
    isClockDomain(path.from) && isClockDomain(path.to)
  );
  if (paths.length === 0) return null;
  const total = (path: (typeof paths)[number]) => path.path.reduce((t, s) => t + s.delay, 0);
  const worst = paths.reduce((a, b) => (total(b) > total(a) ? b : a));
  return describePath(worst.path, index);
}

function portNet(net: string | undefined): string | null {
  if (!net) return null;
  return net.replace(/\$.*$/, "").replace(/\[\d+\]$/, "");
}

/** The port paths of the report (input to register, register to output). */
export function ioPaths(report: NextpnrReport): IoPath[] {
  return report.critical_paths
    .filter((path) => !isClockDomain(path.from) || !isClockDomain(path.to))
    .map((path) => {
      const input = !isClockDomain(path.from);
      const segments = path.path;
      const edge = input
        ? segments.find((s) => s.type === "routing")
        : [...segments].reverse().find((s) => s.type === "routing");
      return {
        kind: input ? "input -> register" : "register -> output",
        delayNs: round(segments.reduce((t, s) => t + s.delay, 0)),
        port: portNet(edge?.net),
      };
    });
}
