/**
 * The synthesis flow of `deno task synth`: elaborate the design, synthesize it with Yosys (whole,
 * or one PE plus the shared logic, scaled by the PE count), and turn the recorded statistics into
 * a resource report (`DIR/synth/resources.json`, synth/report.ts): LUTs, flip-flops, block RAMs,
 * DSPs and logic cells per module and in total, what every memory and multiplier became, and
 * warnings when memories that belong in block RAM or multipliers that belong in DSPs did not get
 * there. A generated design's design.json says which module is the PE and what each memory
 * holds; a directory of hand-written Verilog (rtl/*.v, no design.json) is synthesized whole
 * unless the PE module is named.
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import { totalmem } from "node:os";
import { OptionError, UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import {
  designRtlPaths,
  type MemoryRole,
  readDesignJson,
  TOP_MODULE,
} from "../rtl/design_schema.ts";
import { addCells, type CellCounts, resourcesOf, scaleCells, type SynthTarget } from "./cells.ts";
import { designMemoryRoles, mappingChecks } from "./checks.ts";
import {
  collectMemories,
  collectModules,
  collectMultipliers,
  findPeModule,
  type RunData,
  subtractCells,
} from "./collect.ts";
import { hierarchicalCells } from "./parse.ts";
import type { SynthesisReport } from "./report.ts";
import { elaborate, type FlowContext, prepareLutramLibrary, synthesize } from "./runs.ts";
import { pathExists } from "../util/fs.ts";
import { checkMemoryBound, checkYosys } from "./yosys.ts";

/** PE counts from which `synthesizeDesign` estimates per PE unless told otherwise. */
export const AUTO_PER_PE_MIN_PES = 8;

/** Options of `synthesizeDesign`. */
export interface SynthesizeOptions {
  /** Target family (default "xilinx": UltraScale, the XCKU060's family). */
  target?: SynthTarget;
  /** true: per-PE estimate; false: whole design; undefined: per-PE from 8 PEs on. */
  perPe?: boolean;
  /** Name of the replicated PE module (default: design.json's `peModule`). */
  peModule?: string;
  /** Wall-clock budget of all Yosys runs together, in seconds (default 1800). */
  timeoutSeconds?: number;
  /** Address-space limit of each Yosys process in MiB (default 75% of the machine's memory). */
  maxMemoryMb?: number;
  /** Report path (default DIR/synth/resources.json; resources_ice40.json for ice40). */
  out?: string;
  /** Yosys command (default "yosys" on PATH). */
  yosys?: string;
  /** Progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
  /** Interval of the progress heartbeat in seconds (default 15). */
  progressSeconds?: number;
}

/** What the flow knows about the design before running Yosys. */
interface DesignInput {
  /** Absolute design directory. */
  dir: string;
  /** Top module. */
  top: string;
  /** Verilog files, relative to `dir`. */
  files: string[];
  /** design.json's PE count and PE module (absent without design.json). */
  pes?: number;
  peModule?: string;
  /** RTL memory name -> role (design.json's memories; empty without design.json). */
  memoryRoles: Map<string, MemoryRole>;
}

/** The Verilog files of a directory without design.json: rtl/*.v, sorted. */
async function bareVerilogFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(dir, "rtl"))) {
      if (entry.isFile && entry.name.endsWith(".v")) files.push(join("rtl", entry.name));
    }
  } catch {
    // no rtl folder: reported by the caller
  }
  return files.sort();
}

/** The design directory: design.json (parsed with the generator's schema) or bare Verilog. */
async function readDesignInput(dir: string): Promise<DesignInput> {
  const absolute = resolve(dir);
  const info = await Deno.stat(absolute).catch(() => undefined);
  if (!info) throw new UserError(`${dir}: no such design directory`);
  if (!info.isDirectory) throw new UserError(`${dir}: not a directory (expected a design dir)`);
  if (await pathExists(join(absolute, "design.json"))) {
    const design = await readDesignJson(dir);
    const paths = await designRtlPaths(dir, design);
    return {
      dir: absolute,
      top: design.top,
      files: paths.map((path) => relative(absolute, path)),
      pes: design.accelerator.pes,
      peModule: design.peModule,
      memoryRoles: designMemoryRoles(design),
    };
  }
  const files = await bareVerilogFiles(absolute);
  if (files.length === 0) {
    throw new UserError(`${dir}: no Verilog files (expected ${join(dir, "rtl")}/*.v)`);
  }
  return { dir: absolute, top: TOP_MODULE, files, memoryRoles: new Map() };
}

function flowName(target: SynthTarget): string {
  return target === "xilinx"
    ? "Yosys synth_xilinx -family xcu (Xilinx UltraScale, the XCKU060's family), out of " +
      "context (no I/O buffers), hierarchy kept"
    : "Yosys synth_ice40 -device u -dsp (Lattice iCE40 UltraPlus), hierarchy kept";
}

/** The replicated PE module (the option, else design.json's) and whether to synthesize per PE. */
async function planRuns(
  context: FlowContext,
  design: DesignInput,
  options: SynthesizeOptions,
): Promise<{ elaboration: RunReport; pe?: PeModule; perPe: boolean }> {
  const elaboration = await elaborate(context);
  if (!elaboration.modules.has(design.top)) {
    throw new UserError(`${design.dir}: top module ${design.top} not found in the Verilog files`);
  }
  const peName = options.peModule ?? design.peModule;
  const pe = peName ? findPeModule(elaboration.modules, design.top, peName) : undefined;
  if (peName && !pe) {
    throw new OptionError("peModule", `${peName}: no such module under ${design.top}`);
  }
  if (options.perPe === true && !pe) {
    throw new OptionError(
      "perPe",
      `no PE module: ${design.dir} has no design.json and no PE module was named`,
    );
  }
  if (pe && design.pes !== undefined && pe.instances !== design.pes) {
    context.notes.push(
      `design.json says ${design.pes} PEs; the hierarchy has ${pe.instances} ${pe.name} instances.`,
    );
  }
  const perPe = pe !== undefined && (options.perPe ?? pe.instances >= AUTO_PER_PE_MIN_PES);
  return { elaboration: elaboration.report, pe, perPe };
}

/** The replicated PE module in the hierarchy. */
type PeModule = NonNullable<ReturnType<typeof findPeModule>>;

type RunReport = SynthesisReport["runs"][number];

/** Synthesize: one PE and the rest with the PEs as black boxes (per PE), or the whole design. */
async function runSynthesis(
  context: FlowContext,
  pe: PeModule | undefined,
  perPe: boolean,
): Promise<RunData[]> {
  const top = context.design.top;
  if (!perPe || !pe) {
    return [await synthesize(context, { name: "whole", synthTop: top, blackBoxes: [], copies: 1 })];
  }
  const parts: RunData[] = [];
  for (const part of pe.parts) {
    parts.push(
      await synthesize(context, {
        name: part.run,
        synthTop: part.variant,
        blackBoxes: [],
        copies: part.instances,
      }),
    );
  }
  return [
    ...parts,
    await synthesize(context, {
      name: "shared",
      synthTop: top,
      blackBoxes: pe.variants,
      copies: 1,
    }),
  ];
}

/** The report from the runs: totals, one PE, the shared logic, modules, memories, checks. */
function assembleReport(
  context: FlowContext,
  design: DesignInput,
  plan: { elaboration: RunReport; pe?: PeModule; perPe: boolean; runs: RunData[] },
): Omit<SynthesisReport, "design" | "seconds"> {
  const { pe, perPe, runs } = plan;
  const target = context.target;
  let totalCells: CellCounts = {};
  for (const run of runs) {
    const cells = hierarchicalCells(run.modules, run.top, { primitivesOnly: true });
    totalCells = addCells(totalCells, cells, run.copies);
  }
  const modules = collectModules(runs, target);
  const peReport = pe ? modules.find((module) => module.name === pe.name) : undefined;
  const perPeCells = perPe
    ? hierarchicalCells(runs[0].modules, runs[0].top, { primitivesOnly: true })
    : peReport
    ? scaleCells(peReport.perInstance.cells, 1)
    : undefined;
  const memories = collectMemories(runs, design.memoryRoles);
  const multipliers = collectMultipliers(runs, target);
  const total = resourcesOf(totalCells, target);
  const checks = mappingChecks(memories, multipliers, target);
  if (multipliers.inRtl > 0 && total.dsps === 0) {
    checks.multipliersInDsp = false;
    checks.warnings.push(`${multipliers.inRtl} multipliers in the RTL but no DSP in the netlist`);
  }
  const pes = pe?.instances ?? null;
  // the per-PE runs: one PE with its engine and element-wise unit (runs[0]), and where a design
  // has them a group's PEs without a unit and batch copies, each subtracted from the shared part
  const partRuns = perPe && pe ? runs.slice(0, pe.parts.length) : [];
  let partsCells: CellCounts = {};
  for (const run of partRuns) {
    const cells = hierarchicalCells(run.modules, run.top, { primitivesOnly: true });
    partsCells = addCells(partsCells, cells, run.copies);
  }
  const partNames: Record<string, string> = {
    "pe-member": "PEs of element-wise groups without a unit",
    "pe-copy": "batch copies",
  };
  const partsNote = perPe && pe
    ? pe.parts.slice(1).map((part) =>
      ` and ${part.instances} ${partNames[part.run]} (one synthesized and multiplied)`
    ).join("")
    : "";
  const leaders = pe?.parts[0]?.instances ?? 0;
  return {
    format: "rnnfab-synth-1",
    top: design.top,
    target,
    flow: flowName(target),
    yosys: context.yosys.version,
    method: perPe ? "per-pe" : "whole",
    estimated: perPe,
    methodNote: perPe
      ? `estimated: per-PE synthesis x ${leaders} (one ${pe!.name} synthesized and multiplied ` +
        `by ${leaders})${partsNote} plus the shared logic synthesized once with the PEs as ` +
        `black boxes`
      : `measured: whole-design synthesis (${runs[0].report.seconds} s)`,
    pes,
    peModule: pe?.name ?? null,
    total,
    perPe: perPeCells ? resourcesOf(perPeCells, target) : null,
    // the rest of the design: the total less the per-PE runs' cells (per PE), or less one PE's
    // average instance times the PEs (whole)
    shared: perPeCells && pes
      ? resourcesOf(
        perPe
          ? subtractCells(totalCells, partsCells, 1)
          : subtractCells(totalCells, perPeCells, pes),
        target,
      )
      : null,
    modules,
    memories,
    multipliers,
    checks,
    notes: context.notes,
    runs: [plan.elaboration, ...runs.map((run) => run.report)],
  };
}

/**
 * Synthesize the design in `dir` with Yosys and write its resource report (see
 * `SynthesisReport`); returns the report. Throws UserError for a missing or unusable Yosys, a
 * bad design directory and Yosys errors (naming the log), OptionError for a time-out
 * (`timeoutSeconds`), an exhausted memory bound (`maxMemoryMb`) or an unknown PE module.
 */
export async function synthesizeDesign(
  dir: string,
  options: SynthesizeOptions = {},
): Promise<SynthesisReport> {
  const started = performance.now();
  const target = options.target ?? "xilinx";
  const log = options.log ?? (() => {});
  checkMemoryBound(options.maxMemoryMb);
  const yosys = await checkYosys(options.yosys ?? "yosys");
  const design = await readDesignInput(dir);
  const workDir = join(design.dir, "synth", target);
  await Deno.mkdir(workDir, { recursive: true });
  const context: FlowContext = {
    design,
    target,
    yosys,
    workDir,
    deadline: started + (options.timeoutSeconds ?? 1800) * 1000,
    maxMemoryMb: options.maxMemoryMb ?? Math.floor(totalmem() / 1048576 * 0.75),
    log,
    progressSeconds: options.progressSeconds ?? 15,
    notes: [],
  };
  if (yosys.untested) {
    context.notes.push(`Yosys ${yosys.version} is not the tested 0.23; figures may differ.`);
    log(`synth: warning: Yosys ${yosys.version} is untested (the flow is tested with 0.23)`);
  }
  await prepareLutramLibrary(context);
  const plan = await planRuns(context, design, options);
  const runs = await runSynthesis(context, plan.pe, plan.perPe);
  const assembled = assembleReport(context, design, { ...plan, runs });
  for (const warning of assembled.checks.warnings) log(`synth: warning: ${warning}`);
  const report: SynthesisReport = {
    ...assembled,
    design: dir,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const out = options.out ??
    join(design.dir, "synth", target === "xilinx" ? "resources.json" : "resources_ice40.json");
  await writeJsonAtomic(out, report);
  return report;
}
