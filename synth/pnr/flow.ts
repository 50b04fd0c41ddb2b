/**
 * The place-and-route flow behind `deno task pnr`: check that the design can fit the part,
 * synthesize it flat with Yosys for the family, place and route it with nextpnr at the requested
 * clock, and write `DIR/pnr/timing.json` (schema.ts): the achieved Fmax, pass/fail, the critical
 * path in RTL terms, every resource used and available, run times, tool versions, seed and part.
 *
 * Files of a run go to DIR/pnr/<target>/ (script, logs, netlist, nextpnr's report, timing.json),
 * written in a temporary folder that replaces it only when the run succeeded; a failed run's logs
 * are kept in DIR/pnr/<target>.failed/. DIR/pnr/timing.json is the latest successful run.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../../util/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../util/fs.ts";
import { tail, type ToolRun } from "../../util/process.ts";
import { firstError } from "../parse.ts";
import {
  type Netlist,
  type OutputRegisterPacking,
  type OutputRegisterScope,
  packBlockRamOutputRegisters,
} from "./bram_registers.ts";
import { designDigest, type PnrDesign, readPnrDesign } from "./design.ts";
import {
  designShortfalls,
  fitMessage,
  nextpnrShortfalls,
  PLACER_CELL_ATTEMPTS_DIVISOR,
  type Shortfall,
  shortfalls,
  synthesisNeeds,
  unplaceableCell,
  unplaceableMessage,
} from "./fit.ts";
import { parseScopes, type Scope, scopeIndex } from "./hierarchy.ts";
import { parseNextpnrReport } from "./nextpnr_report.ts";
import { nextpnrPhase, router2StallWatch, runLogged, yosysPhase } from "./run.ts";
import { timingReportFrom } from "./result.ts";
import type { TimingReport } from "./schema.ts";
import { pnrSynthesisScript, SCRIPT_NOTES } from "./script.ts";
import { DEFAULT_ROUTER, type PnrRouter, type PnrTarget, pnrTarget } from "./targets.ts";
import { DEFAULT_VENV, findPnrTools, type PnrTools } from "./tools.ts";
import {
  DEFAULT_PORT_MODE,
  type PortMode,
  portsNote,
  stageWrapper,
  WRAPPER_TOP,
  wrapperParameters,
} from "./ports.ts";

/** Default clock target, MHz (the clock rnnfab designs assume). */
export const DEFAULT_PNR_MHZ = 200;

/**
 * The version of the flow between the RTL and nextpnr, recorded in timing.json (`flow`): 2 moved
 * the flip-flops after ECP5 block RAM reads into the block RAMs (bram_registers.ts) always, 3 only
 * on request (`blockRamOutputRegisters`: measured no faster, docs/timing.md, session 26), 4 moves
 * the pipeline registers among them always (those only flip-flops read: the weight prefetch's
 * F1B stage) and every one on request. A result of another version is placed and routed again by
 * `bench:timing --reuse`.
 */
export const PNR_FLOW_VERSION = 4;

/** Options of `placeAndRoute`. */
export interface PlaceAndRouteOptions {
  /** `--target` name: ecp5-25k, ecp5-45k, ecp5-85k or ice40-up5k. */
  target: string;
  /** Clock target, MHz (default 200). */
  freqMhz?: number;
  /** nextpnr's placer seed (default 1). */
  seed?: number;
  /** Wall-clock limit of each tool, seconds (default 7200). */
  timeoutSeconds?: number;
  /** Python environment holding the YoWASP tools (default the project's .venv). */
  venv?: string;
  /** Further Verilog include folders (relative to the design folder or absolute). */
  includeDirs?: string[];
  /** How the ports meet the pins (ports.ts; default "registered": the core behind slices). */
  ports?: PortMode;
  /** nextpnr's router (default router1; router2 copes better with congestion on large designs). */
  router?: PnrRouter;
  /**
   * ECP5: move every flip-flop after a block RAM read into the DP16KD output registers before
   * nextpnr (bram_registers.ts; default: only the pipeline registers among them, those that only
   * flip-flops read: moving all was measured no faster, docs/timing.md, session 26).
   */
  blockRamOutputRegisters?: boolean;
  /** Progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
  /** Heartbeat interval, seconds (default 10). */
  heartbeatSeconds?: number;
}

/** The folders and relative paths of one run. */
interface RunFiles {
  /** Absolute final folder DIR/pnr/<target>. */
  finalDir: string;
  /** Absolute temporary folder of the run. */
  workDir: string;
  /** The temporary folder relative to the design folder (the tools' paths). */
  work: string;
  /** The final folder relative to the design folder (recorded paths). */
  final: string;
}

const FILE_NAMES = {
  script: "synth.ys",
  yosysLog: "yosys.log",
  stat: "stat.json",
  scopes: "scopes.txt",
  netlist: "netlist.json",
  nextpnrLog: "nextpnr.log",
  report: "nextpnr_report.json",
  timing: "timing.json",
};

async function runFiles(design: PnrDesign, target: PnrTarget): Promise<RunFiles> {
  const final = join("pnr", target.id);
  const work = `${final}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(join(design.dir, work), { recursive: true });
  return { finalDir: join(design.dir, final), workDir: join(design.dir, work), work, final };
}

async function replaceFolder(from: string, to: string): Promise<void> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await Deno.rename(from, to);
}

/** A failed tool run: a UserError for what the user can fix, else an Error; both name the log. */
function toolFailure(name: string, run: ToolRun, log: string, logPath: string): Error {
  if (run.timedOut) {
    return new UserError(`${name} ran past the time limit (raise --timeout); log: ${logPath}`);
  }
  if (run.killedBecause !== undefined) {
    return new UserError(`${name} stopped: ${run.killedBecause}; log: ${logPath}`);
  }
  const error = firstError(log);
  const detail = error ?? tail(run, 3).replaceAll("\n", " | ");
  return error && /syntax error|not found|can't open|Can't open|unknown|undefined/i.test(error)
    ? new UserError(`${name} failed: ${error}; log: ${logPath}`)
    : new Error(`${name} failed (exit ${run.code}): ${detail}; log: ${logPath}`);
}

/** What one synthesis gives: cell counts, instances, seconds, and what the part lacks. */
interface Synthesis {
  /** Yosys cell counts by type. */
  cells: Record<string, number>;
  /** Every flattened instance and its module. */
  scopes: Scope[];
  /** Yosys wall seconds. */
  seconds: number;
  /** Resources the synthesized design needs more of than the part has (empty: it fits). */
  missing: Shortfall[];
  /** Where the log will be when the run fails (for messages). */
  logPath: string;
}

/** Synthesize: the script, Yosys, the fit check on its cell counts, the instances. */
async function synthesize(
  design: PnrDesign,
  target: PnrTarget,
  tools: PnrTools,
  files: RunFiles,
  options: PlaceAndRouteOptions & { lutMultipliers: boolean },
): Promise<Synthesis> {
  const path = (name: string) => join(files.work, name);
  const wrapped = (options.ports ?? DEFAULT_PORT_MODE) === "registered";
  const wrapperFiles = wrapped ? await stageWrapper(files.workDir, files.work) : [];
  const top = wrapped ? WRAPPER_TOP : design.top;
  const script = pnrSynthesisScript({
    family: target.family,
    files: [...design.rtlFiles, ...wrapperFiles],
    top,
    parameters: wrapped ? wrapperParameters(design.streamBits) : undefined,
    includeDirs: options.includeDirs,
    lutMultipliers: options.lutMultipliers,
    outputs: {
      netlist: path(FILE_NAMES.netlist),
      stat: path(FILE_NAMES.stat),
      scopes: path(FILE_NAMES.scopes),
    },
  });
  await Deno.writeTextFile(join(design.dir, path(FILE_NAMES.script)), script);
  const label = `yosys synth_${target.family}`;
  options.log?.(
    `${label}: synthesizing ${design.top}${wrapped ? ` inside ${WRAPPER_TOP}` : ""} ` +
      `(${design.description})`,
  );
  const run = await runLogged(tools.yosys, [
    "-q",
    "-l",
    path(FILE_NAMES.yosysLog),
    "-s",
    path(FILE_NAMES.script),
  ], {
    cwd: design.dir,
    log: path(FILE_NAMES.yosysLog),
    timeoutSeconds: options.timeoutSeconds ?? 7200,
    heartbeatSeconds: options.heartbeatSeconds,
    onProgress: options.log,
    label,
    phase: yosysPhase,
  });
  const logPath = join(files.final + ".failed", FILE_NAMES.yosysLog);
  const log = await Deno.readTextFile(join(design.dir, path(FILE_NAMES.yosysLog))).catch(() => "");
  if (run.code !== 0) throw toolFailure("yosys", run, log, join(design.given, logPath));
  const conflict = /^Warning: Driver-driver conflict.*$/m.exec(log);
  if (conflict) {
    throw new Error(
      `yosys left a wrong netlist (${conflict[0].slice(9, 160)}); log: ${
        join(design.given, logPath)
      }`,
    );
  }
  const stat = JSON.parse(await Deno.readTextFile(join(design.dir, path(FILE_NAMES.stat))));
  const totals = stat.design ?? Object.values(stat.modules ?? {})[0];
  const cells: Record<string, number> = { ...(totals?.num_cells_by_type ?? {}) };
  delete cells["$scopeinfo"];
  const needs = synthesisNeeds(cells, totals?.num_port_bits ?? 0, target.family);
  const missing = shortfalls(needs, target);
  if (missing.length > 0) {
    return {
      cells,
      scopes: [],
      seconds: run.seconds,
      missing,
      logPath: join(design.given, logPath),
    };
  }
  const scopes = parseScopes(await Deno.readTextFile(join(design.dir, path(FILE_NAMES.scopes))));
  options.log?.(`${label}: done in ${run.seconds.toFixed(0)} s: ${summarizeCells(cells)}`);
  return { cells, scopes, seconds: run.seconds, missing, logPath: join(design.given, logPath) };
}

/** The part's multiplier resources: what mapping products to LUTs can relieve. */
const MULTIPLIER_RESOURCES = new Set(["MULT18X18D", "ICESTORM_DSP"]);

/**
 * Synthesize so that the design fits: when the part lacks only multipliers, synthesize again
 * with the sigmoid units' interpolation products in LUTs (script.ts, `lutMultipliers`); the
 * note says so with the figures. A design that still does not fit is a UserError with them.
 */
async function synthesizeToFit(
  design: PnrDesign,
  target: PnrTarget,
  tools: PnrTools,
  files: RunFiles,
  options: PlaceAndRouteOptions,
): Promise<Synthesis & { notes: string[] }> {
  const fitError = (synthesis: Synthesis, how: string) =>
    new UserError(
      fitMessage(
        synthesis.missing,
        target,
        `Yosys synthesis estimate${how}, lower bounds (log: ${synthesis.logPath})`,
      ),
    );
  const first = await synthesize(design, target, tools, files, {
    ...options,
    lutMultipliers: false,
  });
  if (first.missing.length === 0) return { ...first, notes: [] };
  if (!first.missing.every((shortfall) => MULTIPLIER_RESOURCES.has(shortfall.resource))) {
    throw fitError(first, "");
  }
  const short = first.missing.map((s) => `${s.needed} ${s.name}, the part has ${s.available}`);
  options.log?.(
    `the design needs ${short.join("; ")}: synthesizing again with the sigmoid ` +
      `interpolation products in LUTs`,
  );
  const second = await synthesize(design, target, tools, files, {
    ...options,
    lutMultipliers: true,
  });
  if (second.missing.length > 0) {
    throw fitError(second, " with the sigmoid interpolation products in LUTs");
  }
  const mapped = (first.cells["MULT18X18D"] ?? first.cells["SB_MAC16"] ?? 0) -
    (second.cells["MULT18X18D"] ?? second.cells["SB_MAC16"] ?? 0);
  return {
    ...second,
    notes: [
      `multipliers: the design needs ${short.join("; ")} with every product in a DSP block; ` +
      `the ${mapped} sigmoid interpolation products (rnnfab_act) are Booth multipliers in ` +
      `LUTs (Yosys booth)`,
    ],
  };
}

/**
 * ECP5: move the flip-flops after block RAM reads into the DP16KD output registers
 * (bram_registers.ts: the pipeline registers among them, or every one with `scope` "all"),
 * rewriting the netlist nextpnr reads; returns what moved and the note that says so (null and
 * none on other families).
 */
async function packNetlist(
  design: PnrDesign,
  target: PnrTarget,
  files: RunFiles,
  options: { scope: OutputRegisterScope; log?: (line: string) => void },
): Promise<{ packing: OutputRegisterPacking | null; notes: string[] }> {
  if (target.family !== "ecp5") return { packing: null, notes: [] };
  const file = join(design.dir, files.work, FILE_NAMES.netlist);
  const netlist = JSON.parse(await Deno.readTextFile(file)) as Netlist;
  const { netlist: packed, packing } = packBlockRamOutputRegisters(netlist, options.scope);
  if (packing.ports > 0) await writeFileAtomic(file, JSON.stringify(packed)); // else unchanged
  const which = options.scope === "all"
    ? "flip-flops"
    : "pipeline flip-flops (only flip-flops read them)";
  const note = `block RAM output registers: ${packing.flipFlops} ${which} after block RAM ` +
    `reads moved into the output registers of ${packing.ports} DP16KD read ports after ` +
    `synthesis (REGMODE OUTREG; ${packing.portsLeft} read ports left as Yosys mapped them; ` +
    `synth/pnr/bram_registers.ts), so Yosys's flip-flop count is that much above what was placed`;
  options.log?.(
    `block RAM output registers: ${packing.flipFlops} ${which} into ${packing.ports} ` +
      `DP16KD read ports`,
  );
  return { packing, notes: [note] };
}

function summarizeCells(cells: Record<string, number>): string {
  return Object.entries(cells)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([type, count]) => `${count.toLocaleString("en-US")} ${type}`)
    .join(", ");
}

/** Place and route with nextpnr; a design that does not fit is a UserError with the figures. */
async function placeAndRouteNetlist(
  design: PnrDesign,
  target: PnrTarget,
  tools: PnrTools,
  files: RunFiles,
  options: PlaceAndRouteOptions & { freqMhz: number; seed: number },
): Promise<{ report: unknown; seconds: number }> {
  const path = (name: string) => join(files.work, name);
  const label = `nextpnr-${target.family}`;
  options.log?.(
    `${label}: placing and routing on ${target.part} (${target.package}) at ${options.freqMhz} MHz, seed ${options.seed}, ${
      options.router ?? DEFAULT_ROUTER
    }`,
  );
  const args = [
    ...target.nextpnrArgs,
    "--freq",
    String(options.freqMhz),
    "--seed",
    String(options.seed),
    "--router",
    options.router ?? DEFAULT_ROUTER,
    "--json",
    path(FILE_NAMES.netlist),
    "--report",
    path(FILE_NAMES.report),
    target.family === "ecp5" ? "--lpf-allow-unconstrained" : "--pcf-allow-unconstrained",
    "--timing-allow-fail",
    "--placer-heap-cell-placement-timeout",
    String(PLACER_CELL_ATTEMPTS_DIVISOR),
    "-q",
    "-l",
    path(FILE_NAMES.nextpnrLog),
  ];
  const run = await runLogged(tools.nextpnr, args, {
    cwd: design.dir,
    log: path(FILE_NAMES.nextpnrLog),
    timeoutSeconds: options.timeoutSeconds ?? 7200,
    heartbeatSeconds: options.heartbeatSeconds,
    onProgress: options.log,
    label,
    phase: nextpnrPhase,
    stalled: (options.router ?? DEFAULT_ROUTER) === "router2" ? router2StallWatch() : undefined,
  });
  const logPath = join(design.given, files.final + ".failed", FILE_NAMES.nextpnrLog);
  const log = await Deno.readTextFile(join(design.dir, path(FILE_NAMES.nextpnrLog))).catch(() =>
    ""
  );
  if (run.code !== 0) {
    const missing = nextpnrShortfalls(log, target);
    if (missing.length > 0) {
      throw new UserError(fitMessage(missing, target, `nextpnr (log: ${logPath})`));
    }
    const unplaced = unplaceableCell(log);
    if (unplaced) throw new UserError(unplaceableMessage(unplaced, target, `log: ${logPath}`));
    throw toolFailure("nextpnr", run, log, logPath);
  }
  options.log?.(`${label}: done in ${run.seconds.toFixed(0)} s`);
  const text = await Deno.readTextFile(join(design.dir, path(FILE_NAMES.report)));
  return { report: JSON.parse(text), seconds: run.seconds };
}

/**
 * Place and route a generated design on a part and write DIR/pnr/timing.json (and
 * DIR/pnr/<target>/). Bad input, a missing tool and a design that cannot fit are UserErrors (one
 * line, with the figures); a tool crash is an Error naming its log.
 */
export async function placeAndRoute(
  dir: string,
  options: PlaceAndRouteOptions,
): Promise<TimingReport> {
  const started = performance.now();
  const target = pnrTarget(options.target, "--target");
  const freqMhz = options.freqMhz ?? DEFAULT_PNR_MHZ;
  const seed = options.seed ?? 1;
  const ports = options.ports ?? DEFAULT_PORT_MODE;
  const design = await readPnrDesign(dir);
  const early = designShortfalls(design.memories, target);
  if (early.length > 0) {
    throw new UserError(
      fitMessage(
        early,
        target,
        `lower bound from ${
          join(dir, "design.json")
        } (weight, pointer and index memories are block RAM); nothing was synthesized`,
      ),
    );
  }
  const tools = await findPnrTools(target.family, options.venv ?? DEFAULT_VENV, options.log);
  const digest = await designDigest(design.dir, design.rtlFiles);
  const files = await runFiles(design, target);
  try {
    const synthesis = await synthesizeToFit(design, target, tools, files, options);
    const packed = await packNetlist(design, target, files, {
      scope: options.blockRamOutputRegisters ? "all" : "pipeline",
      log: options.log,
    });
    const routed = await placeAndRouteNetlist(design, target, tools, files, {
      ...options,
      freqMhz,
      seed,
    });
    const report = parseNextpnrReport(routed.report, join(files.work, FILE_NAMES.report));
    const timing = timingReportFrom({
      design,
      target,
      tools,
      digest,
      seed,
      ports,
      router: options.router ?? DEFAULT_ROUTER,
      freqMhz,
      report,
      index: scopeIndex(
        synthesis.scopes,
        ports === "registered" ? WRAPPER_TOP : design.top,
        design.peModule,
      ),
      cells: synthesis.cells,
      seconds: {
        synthesis: synthesis.seconds,
        placeAndRoute: routed.seconds,
        total: (performance.now() - started) / 1000,
      },
      files: Object.fromEntries(
        Object.entries(FILE_NAMES).map(([key, name]) => [key, join(files.final, name)]),
      ),
      flow: PNR_FLOW_VERSION,
      blockRamOutputRegisters: packed.packing,
      notes: [
        portsNote(ports),
        ...SCRIPT_NOTES[target.family],
        ...synthesis.notes,
        ...packed.notes,
      ],
    });
    await writeJsonAtomic(join(files.workDir, FILE_NAMES.timing), timing);
    await replaceFolder(files.workDir, files.finalDir);
    await writeJsonAtomic(join(design.dir, "pnr", FILE_NAMES.timing), timing);
    return timing;
  } catch (error) {
    await replaceFolder(files.workDir, `${files.finalDir}.failed`).catch(() => {});
    throw error;
  }
}
