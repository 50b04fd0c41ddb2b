/**
 * The synthesis flow of `deno task synth`: elaborate the design, synthesize it with Yosys (whole,
 * or one PE plus the shared logic, scaled by the PE count), and turn the recorded statistics into
 * a resource report (`DIR/synth/resources.json`): LUTs, flip-flops, block RAMs, DSPs and logic
 * cells per module and in total, what every memory and multiplier became, and warnings when
 * memories that belong in block RAM or multipliers that belong in DSPs did not get there.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { totalmem } from "node:os";
import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { readJsonFile } from "../model/inputs.ts";
import { LUT_RAM_DEPTH } from "../rtl/design.ts";
import {
  addCells,
  type CellCounts,
  DSP_MIN_WIDTH,
  type Resources,
  resourcesOf,
  scaleCells,
  type SynthTarget,
} from "./cells.ts";
import {
  baseModuleName,
  currentPass,
  firstError,
  hierarchicalCells,
  instanceCounts,
  type MemoryMappingLine,
  type MemoryShape,
  type ModuleCells,
  moduleDepths,
  multipliersByWidth,
  parseMemoryDump,
  parseMemoryMappings,
  parseStatJson,
  peakMemoryMb,
} from "./parse.ts";
import {
  correctedLutramLibrary,
  elaborationScript,
  type ScriptOutputs,
  synthesisScript,
} from "./script.ts";
import { checkYosys, logTail, runYosys, type YosysInfo } from "./yosys.ts";

/** PE counts from which `synthesizeDesign` estimates per PE unless told otherwise. */
export const AUTO_PER_PE_MIN_PES = 8;

/** Memories of at least this many bits belong in block RAM whatever their role. */
export const BLOCK_RAM_MIN_BITS = 4096;

/** Memories of at least this many bits should not be built from logic (flip-flops or LUTs). */
export const LOGIC_MEMORY_MAX_BITS = 256;

/**
 * Written memories (working state: accumulators, cell state, queues, buffers) of at most this
 * many words may stay in LUT RAM whatever their size, and ROMs of at most this many words in
 * LUTs (a LUT ROM): an UltraScale LUT RAM is 32 or 64 words deep, a block RAM at least 512
 * words deep in its widest (72-bit) mode, so a block RAM would leave at least 7/8 of its words
 * unused, and a wide shallow memory (e.g. the PE's 32 x 156-bit gate accumulators) would take
 * several block RAMs for a few Kbit. It is the generator's `LUT_RAM_DEPTH`: the PE marks its
 * memories deeper than this block RAM.
 */
export const LUT_RAM_MAX_DEPTH = LUT_RAM_DEPTH;

/**
 * What a memory holds, for the mapping checks: design.json's roles (`weights`, `pointers`,
 * `index`, `table`, `constants`), `state` for a memory the design writes, `other` for any other
 * ROM.
 */
export type MemoryRole =
  | "weights"
  | "pointers"
  | "index"
  | "table"
  | "constants"
  | "state"
  | "other";

const MEMORY_ROLES: readonly MemoryRole[] = [
  "weights",
  "pointers",
  "index",
  "table",
  "constants",
  "state",
  "other",
];

/** Options of `synthesizeDesign`. */
export interface SynthesizeOptions {
  /** Target family (default "xilinx": UltraScale, the XCKU060's family). */
  target?: SynthTarget;
  /** true: per-PE estimate; false: whole design; undefined: per-PE from 8 PEs on. */
  perPe?: boolean;
  /** Name of the replicated PE module (default: found in the hierarchy). */
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

/** One memory of the design and what synthesis made of it. */
export interface MemoryReport {
  /** RTL module holding it. */
  module: string;
  /** Memory name in that module. */
  name: string;
  /** Word width in bits. */
  width: number;
  /** Number of words. */
  depth: number;
  /** width x depth. */
  bits: number;
  /** Read ports. */
  readPorts: number;
  /** Read ports without a clock (asynchronous: cannot be block RAM). */
  asyncReadPorts: number;
  /** Write ports. */
  writePorts: number;
  /** ram_style/rom_style attribute, if any. */
  style: string | null;
  /** block RAM, distributed (LUT) RAM, UltraRAM/SPRAM, logic (FFs/LUTs), or not in the log. */
  mapping: MemoryMappingLine["kind"] | "unknown";
  /** Yosys mapping cell, e.g. $__XILINX_BLOCKRAM_TDP_. */
  mappedTo: string | null;
  /** Copies in the whole design. */
  instances: number;
  /** What it holds: from design.json's `memories` (`rtlName`, `role`), else by name and ports. */
  role: MemoryRole;
  /**
   * Whether the flow expects it in block RAM: marked `ram_style`/`rom_style` "block", a weight,
   * pointer or index memory, or at least 4 Kbit, except state memories of at most 64 words.
   */
  expectedInBlockRam: boolean;
  /** Source location. */
  source: string | null;
}

/** Multipliers before and after DSP mapping. */
export interface MultiplierReport {
  /** `$mul` cells in the RTL after coarse optimization (whole design). */
  inRtl: number;
  /** DSP blocks right after DSP mapping (wide multipliers take several). */
  dspBlocks: number;
  /** Left in fabric (LUTs), by module and width (width = widest of operands and result). */
  inLogic: Array<{ module: string; width: number; count: number }>;
}

/** Resources of one RTL module. */
export interface ModuleReport {
  /** RTL module name. */
  name: string;
  /** Parameterizations Yosys derived (distinct parameter sets). */
  variants: number;
  /** Instances in the whole design. */
  instances: number;
  /** One instance including its submodules (mean over instances). */
  perInstance: Resources;
  /** The module's own cells (submodules excluded) over all its instances. */
  own: Resources;
}

/** One Yosys run of the flow. */
export interface RunReport {
  /** "elaborate", "whole", "pe" or "shared". */
  name: string;
  /** Module synthesized. */
  top: string;
  /** Wall seconds. */
  seconds: number;
  /** Peak memory Yosys reported, in MB. */
  peakMemoryMb: number | null;
  /** Log file. */
  log: string;
  /** Script file. */
  script: string;
}

/** The report written to `DIR/synth/resources.json`. */
export interface SynthesisReport {
  /** Report format. */
  format: "rnnfab-synth-1";
  /** Design directory. */
  design: string;
  /** Top module. */
  top: string;
  /** Target family. */
  target: SynthTarget;
  /** The flow in words, e.g. "Yosys synth_xilinx -family xcu (UltraScale), out of context". */
  flow: string;
  /** Yosys version. */
  yosys: string;
  /** "whole": every module synthesized; "per-pe": one PE synthesized and multiplied. */
  method: "whole" | "per-pe";
  /** true when the totals are scaled from one PE (per-pe). */
  estimated: boolean;
  /** The method in words, starting with "measured:" or "estimated:". */
  methodNote: string;
  /** Number of PEs (instances of the PE module), null when there is no replicated module. */
  pes: number | null;
  /** The PE module, null when there is none. */
  peModule: string | null;
  /** The whole design. */
  total: Resources;
  /** One PE including its submodules (null without a PE module). */
  perPe: Resources | null;
  /** Everything outside the PEs: total - pes x perPe (null without a PE module). */
  shared: Resources | null;
  /** Per RTL module. */
  modules: ModuleReport[];
  /** Every memory. */
  memories: MemoryReport[];
  /** Multipliers. */
  multipliers: MultiplierReport;
  /** The mapping checks. */
  checks: {
    /** Every memory expected in block RAM is in block RAM. */
    memoriesInBlockRam: boolean;
    /** Every multiplier at least as wide as the target's DSP threshold is in a DSP. */
    multipliersInDsp: boolean;
    /** One line per problem. */
    warnings: string[];
  };
  /** Facts about the flow a reader needs (workarounds applied, scaling). */
  notes: string[];
  /** The Yosys runs. */
  runs: RunReport[];
  /** Wall seconds of the whole flow. */
  seconds: number;
}

const designSchema = z.looseObject({
  top: z.string().min(1).optional(),
  rtlFiles: z.array(z.string().min(1)).optional(),
  accelerator: z.looseObject({ pes: z.number().int().positive().optional() }).optional(),
  memories: z.array(z.unknown()).optional(),
});

interface DesignInput {
  dir: string;
  top: string;
  files: string[];
  pes?: number;
  memoryRoles: Map<string, MemoryRole>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The role a description names (a role of design.json, or words such as "weights"). */
function roleFromText(text: string): MemoryRole | undefined {
  const known = MEMORY_ROLES.find((role) => role === text);
  if (known) return known;
  if (/weight/i.test(text)) return "weights";
  if (/pointer/i.test(text)) return "pointers";
  if (/index/i.test(text)) return "index";
  if (/state|accumulat/i.test(text)) return "state";
  if (/sigmoid|tanh|table|codebook/i.test(text)) return "table";
  if (/bias|peephole/i.test(text)) return "constants";
  return undefined;
}

/** RTL memory name -> role, from design.json's `memories` (`rtlName`, `role`, `kind`). */
function memoryRoles(entries: unknown[]): Map<string, MemoryRole> {
  const roles = new Map<string, MemoryRole>();
  for (const entry of entries) {
    if (!entry || typeof entry !== "object") continue;
    const record = entry as Record<string, unknown>;
    const texts = [record.role, record.kind, record.contents, record.name].filter((value) =>
      typeof value === "string"
    ) as string[];
    const role = texts.map(roleFromText).find((found) => found !== undefined);
    if (!role) continue;
    for (const key of ["rtlName", "memory", "name"]) {
      if (typeof record[key] === "string") roles.set(record[key] as string, role);
    }
  }
  return roles;
}

async function readDesignInput(dir: string): Promise<DesignInput> {
  const absolute = resolve(dir);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(absolute);
  } catch {
    throw new UserError(`${dir}: no such design directory`);
  }
  if (!info.isDirectory) throw new UserError(`${dir}: not a directory (expected a design dir)`);
  const designPath = join(absolute, "design.json");
  let parsed: z.infer<typeof designSchema> = {};
  if (await exists(designPath)) {
    const result = designSchema.safeParse(await readJsonFile(designPath, "design description"));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new UserError(
        `${join(dir, "design.json")}: ${issue.path.map(String).join(".")}: ${issue.message}`,
      );
    }
    parsed = result.data;
  }
  const files: string[] = [];
  if (parsed.rtlFiles && parsed.rtlFiles.length > 0) {
    for (const name of parsed.rtlFiles) {
      const candidates = [join(absolute, name), join(absolute, "rtl", name)];
      const found = (await Promise.all(candidates.map(exists))).findIndex(Boolean);
      if (found < 0) {
        throw new UserError(`${join(dir, "design.json")}: rtlFiles: ${name} does not exist`);
      }
      files.push(relative(absolute, candidates[found]));
    }
  } else {
    try {
      for await (const entry of Deno.readDir(join(absolute, "rtl"))) {
        if (entry.isFile && entry.name.endsWith(".v")) files.push(join("rtl", entry.name));
      }
    } catch {
      // no rtl folder: reported below
    }
    files.sort();
  }
  if (files.length === 0) {
    throw new UserError(`${dir}: no Verilog files (expected ${join(dir, "rtl")}/*.v)`);
  }
  return {
    dir: absolute,
    top: parsed.top ?? "rnnfab_top",
    files,
    pes: parsed.accelerator?.pes,
    memoryRoles: memoryRoles(parsed.memories ?? []),
  };
}

interface RunData {
  name: string;
  top: string;
  modules: Map<string, ModuleCells>;
  before: Map<string, ModuleCells>;
  after: Map<string, ModuleCells>;
  memories: MemoryShape[];
  mappings: Map<string, MemoryMappingLine>;
  report: RunReport;
  copies: number;
  blackBoxes: string[];
}

interface FlowContext {
  design: DesignInput;
  target: SynthTarget;
  yosys: YosysInfo;
  workDir: string;
  deadline: number;
  maxMemoryMb: number;
  log: (line: string) => void;
  progressSeconds: number;
  lutramLibrary?: string;
  notes: string[];
}

function remainingSeconds(context: FlowContext): number {
  return Math.max(0, (context.deadline - performance.now()) / 1000);
}

async function runScript(
  context: FlowContext,
  name: string,
  script: string,
): Promise<{ log: string; report: RunReport }> {
  const scriptPath = join(context.workDir, `${name}.ys`);
  const logPath = join(context.workDir, `${name}.log`);
  await Deno.writeTextFile(scriptPath, script);
  const budget = remainingSeconds(context);
  if (budget <= 0) {
    throw new UserError(`synthesis ran out of its time budget before the ${name} run (--timeout)`);
  }
  const run = await runYosys(scriptPath, {
    command: context.yosys.command,
    cwd: context.design.dir,
    logPath,
    timeoutSeconds: budget,
    maxMemoryMb: context.maxMemoryMb,
    progressSeconds: context.progressSeconds,
    onProgress: (seconds, pass) =>
      context.log(`synth: ${name}: yosys running ${seconds} s${pass ? ` (${pass})` : ""}`),
  });
  const log = await Deno.readTextFile(logPath).catch(() => "");
  const where = `log: ${logPath}`;
  if (run.timedOut) {
    const pass = currentPass(await logTail(logPath));
    throw new UserError(
      `yosys ${name} run timed out after ${Math.round(run.seconds)} s` +
        `${pass ? ` in ${pass}` : ""} (raise --timeout, or use --per-pe); ${where}`,
    );
  }
  if (run.code !== 0) {
    const text = `${log}\n${run.output}`;
    if (/bad_alloc|out of memory|cannot allocate memory|failed to map segment/i.test(text)) {
      throw new UserError(
        `yosys ${name} run ran out of memory (limit ${context.maxMemoryMb} MiB; raise ` +
          `--max-memory-mb, or use --per-pe); ${where}`,
      );
    }
    const error = firstError(text);
    if (error) throw new UserError(`yosys ${name} run failed: ${error}; ${where}`);
    throw new SynthCrash(
      `yosys ${name} run ${
        run.signal ? `crashed (${run.signal})` : `exited ${run.code}`
      }; ${where}`,
      log,
    );
  }
  return {
    log,
    report: {
      name,
      top: "",
      seconds: Math.round(run.seconds * 10) / 10,
      peakMemoryMb: peakMemoryMb(log) ?? null,
      log: logPath,
      script: scriptPath,
    },
  };
}

/** A Yosys crash (a signal, not an ERROR line); `log` is the log text. */
class SynthCrash extends Error {
  constructor(message: string, readonly log: string) {
    super(message);
    this.name = "SynthCrash";
  }
}

async function elaborate(
  context: FlowContext,
): Promise<{ modules: Map<string, ModuleCells>; report: RunReport }> {
  const statPath = join(context.workDir, "elaborate.json");
  context.log(`synth: elaborating ${context.design.files.length} Verilog files`);
  const { report } = await runScript(
    context,
    "elaborate",
    elaborationScript({
      files: context.design.files,
      designTop: context.design.top,
      stat: statPath,
    }),
  );
  return {
    modules: parseStatJson(await Deno.readTextFile(statPath), statPath),
    report: { ...report, top: context.design.top },
  };
}

async function synthesize(
  context: FlowContext,
  options: { name: string; synthTop: string; blackBoxes: string[]; copies: number },
): Promise<RunData> {
  const outputs: ScriptOutputs = {
    multipliersBefore: join(context.workDir, `${options.name}_multipliers_before.json`),
    multipliersAfter: join(context.workDir, `${options.name}_multipliers_after.json`),
    memories: join(context.workDir, `${options.name}_memories.il`),
    stat: join(context.workDir, `${options.name}_stat.json`),
  };
  const script = (ice40DspPacking: boolean) =>
    synthesisScript({
      target: context.target,
      files: context.design.files,
      designTop: context.design.top,
      synthTop: options.synthTop,
      blackBoxes: options.blackBoxes,
      outputs,
      lutramLibrary: context.lutramLibrary,
      ice40DspPacking,
    });
  context.log(
    `synth: ${options.name}: synthesizing ${baseModuleName(options.synthTop)}` +
      (options.copies > 1 ? ` (one of ${options.copies})` : ""),
  );
  let result: { log: string; report: RunReport };
  try {
    result = await runScript(context, options.name, script(true));
  } catch (error) {
    const crashedInDsp = error instanceof SynthCrash && context.target === "ice40" &&
      /Executing ICE40_DSP pass[^\n]*\n?\s*$/.test(error.log.trimEnd() + "\n");
    if (!crashedInDsp) throw error;
    context.notes.push(
      `Yosys ${context.yosys.version} crashed in ice40_dsp (a known defect with pipelined ` +
        `multiply-accumulates); the ${options.name} run was repeated without DSP register ` +
        `packing: multipliers are still SB_MAC16 blocks, their pipeline registers are fabric FFs.`,
    );
    context.log(`synth: ${options.name}: ice40_dsp crashed; repeating without DSP packing`);
    result = await runScript(context, options.name, script(false));
  }
  const blackBoxes = options.blackBoxes;
  const read = async (path: string) =>
    parseStatJson(await Deno.readTextFile(path), path, blackBoxes);
  return {
    name: options.name,
    top: options.synthTop,
    modules: await read(outputs.stat),
    before: await read(outputs.multipliersBefore),
    after: await read(outputs.multipliersAfter),
    memories: parseMemoryDump(await Deno.readTextFile(outputs.memories)),
    mappings: parseMemoryMappings(result.log),
    report: { ...result.report, top: options.synthTop },
    copies: options.copies,
    blackBoxes,
  };
}

/** Choose the replicated PE module from the elaborated hierarchy. */
export function findPeModule(
  modules: Map<string, ModuleCells>,
  top: string,
  options: { peModule?: string; pes?: number } = {},
): { name: string; variants: string[]; instances: number } | undefined {
  const counts = instanceCounts(modules, top);
  const depths = moduleDepths(modules, top);
  const groups = new Map<string, { variants: string[]; instances: number; depth: number }>();
  for (const [name, instances] of counts) {
    if (name === top || !modules.has(name)) continue;
    const base = baseModuleName(name);
    const group = groups.get(base) ?? { variants: [], instances: 0, depth: Infinity };
    group.variants.push(name);
    group.instances += instances;
    group.depth = Math.min(group.depth, depths.get(name) ?? Infinity);
    groups.set(base, group);
  }
  const pick = (base: string) => {
    const group = groups.get(base)!;
    return { name: base, variants: group.variants, instances: group.instances };
  };
  if (options.peModule) {
    return groups.has(options.peModule) ? pick(options.peModule) : undefined;
  }
  const candidates = [...groups.entries()].filter(([, group]) => group.instances >= 2);
  const matching = options.pes
    ? candidates.filter(([, group]) => group.instances === options.pes)
    : [];
  const pool = matching.length > 0 ? matching : candidates;
  if (pool.length === 0) return undefined;
  pool.sort(([nameA, a], [nameB, b]) =>
    a.depth - b.depth || b.instances - a.instances ||
    Number(/pe/i.test(nameB)) - Number(/pe/i.test(nameA))
  );
  return pick(pool[0][0]);
}

/**
 * What a memory holds: design.json's role for its RTL name, else its name (weight, pointer,
 * index, ...), else `state` for a memory the design writes and `other` for a ROM.
 */
export function memoryRole(
  memory: Pick<MemoryShape, "name" | "writePorts">,
  roles: ReadonlyMap<string, MemoryRole> = new Map(),
): MemoryRole {
  const leaf = memory.name.split(".").pop() ?? memory.name;
  const known = roles.get(memory.name) ?? roles.get(leaf);
  if (known) return known;
  const byName = roleFromText(leaf);
  if (byName && byName !== "state") return byName;
  return memory.writePorts > 0 ? "state" : "other";
}

/**
 * Whether a memory belongs in block RAM: it is marked so (`ram_style`/`rom_style` "block"), it
 * holds weights, pointers or an index, or it has at least `BLOCK_RAM_MIN_BITS` bits, unless it
 * is a state memory of at most `LUT_RAM_MAX_DEPTH` words (LUT RAM is the right place).
 */
export function expectsBlockRam(
  memory: Pick<MemoryShape, "width" | "depth" | "style">,
  role: MemoryRole,
): boolean {
  if (memory.style?.toLowerCase() === "block") return true;
  if (role === "weights" || role === "pointers" || role === "index") return true;
  if (role === "state" && memory.depth <= LUT_RAM_MAX_DEPTH) return false;
  return memory.width * memory.depth >= BLOCK_RAM_MIN_BITS;
}

function collectMemories(runs: RunData[], roles: Map<string, MemoryRole>): MemoryReport[] {
  const grouped = new Map<string, MemoryReport>();
  for (const run of runs) {
    const counts = instanceCounts(run.modules, run.top);
    for (const memory of run.memories) {
      const mapping = run.mappings.get(`${memory.module}.${memory.name}`);
      const instances = (counts.get(memory.module) ?? 0) * run.copies;
      const report: MemoryReport = {
        module: baseModuleName(memory.module),
        name: memory.name,
        width: memory.width,
        depth: memory.depth,
        bits: memory.width * memory.depth,
        readPorts: memory.readPorts,
        asyncReadPorts: memory.asyncReadPorts,
        writePorts: memory.writePorts,
        style: memory.style ?? null,
        mapping: mapping?.kind ?? "unknown",
        mappedTo: mapping?.cell ?? null,
        instances,
        role: memoryRole(memory, roles),
        expectedInBlockRam: expectsBlockRam(memory, memoryRole(memory, roles)),
        source: memory.source ?? null,
      };
      const key = [report.module, report.name, report.width, report.depth, report.mapping].join(
        "|",
      );
      const known = grouped.get(key);
      if (known) known.instances += instances;
      else grouped.set(key, report);
    }
  }
  return [...grouped.values()].filter((memory) => memory.instances > 0);
}

function collectMultipliers(runs: RunData[], target: SynthTarget): MultiplierReport {
  let inRtl = 0;
  let dspBlocks = 0;
  const inLogic = new Map<string, { module: string; width: number; count: number }>();
  for (const run of runs) {
    const beforeCounts = instanceCounts(run.before, run.top);
    for (const [name, module] of run.before) {
      const copies = (beforeCounts.get(name) ?? 0) * run.copies;
      for (const [, number] of multipliersByWidth(module.cells)) inRtl += number * copies;
    }
    const afterCounts = instanceCounts(run.after, run.top);
    for (const [name, module] of run.after) {
      const copies = (afterCounts.get(name) ?? 0) * run.copies;
      dspBlocks += resourcesOf(module.cells, target).dsps * copies;
      for (const [width, number] of multipliersByWidth(module.cells)) {
        const key = `${baseModuleName(name)}|${width}`;
        const entry = inLogic.get(key) ?? { module: baseModuleName(name), width, count: 0 };
        entry.count += number * copies;
        inLogic.set(key, entry);
      }
    }
  }
  return {
    inRtl,
    dspBlocks,
    inLogic: [...inLogic.values()].filter((entry) => entry.count > 0),
  };
}

function collectModules(runs: RunData[], target: SynthTarget): ModuleReport[] {
  const groups = new Map<
    string,
    { variants: Set<string>; instances: number; hierarchical: CellCounts; own: CellCounts }
  >();
  for (const run of runs) {
    const counts = instanceCounts(run.modules, run.top);
    for (const [name, module] of run.modules) {
      const instances = (counts.get(name) ?? 0) * run.copies;
      if (instances === 0) continue;
      const base = baseModuleName(name);
      const group = groups.get(base) ??
        { variants: new Set<string>(), instances: 0, hierarchical: {}, own: {} };
      group.variants.add(name);
      group.instances += instances;
      group.hierarchical = addCells(
        group.hierarchical,
        hierarchicalCells(run.modules, name, { primitivesOnly: true }),
        instances,
      );
      group.own = addCells(group.own, module.cells, instances);
      groups.set(base, group);
    }
  }
  return [...groups.entries()].map(([name, group]) => ({
    name,
    variants: group.variants.size,
    instances: group.instances,
    perInstance: resourcesOf(scaleCells(group.hierarchical, 1 / group.instances), target),
    own: resourcesOf(group.own, target),
  }));
}

function subtractCells(total: CellCounts, part: CellCounts, copies: number): CellCounts {
  const difference: CellCounts = {};
  for (const [type, number] of Object.entries(total)) {
    const rest = number - (part[type] ?? 0) * copies;
    if (Math.abs(rest) > 1e-9) difference[type] = rest;
  }
  return difference;
}

/**
 * The mapping checks: memories expected in block RAM that are not, state memories deeper than
 * `LUT_RAM_MAX_DEPTH` words that could not be block RAM (asynchronous reads), large memories
 * built from logic (except ROMs of at most `LUT_RAM_MAX_DEPTH` words: LUT ROMs), and multipliers
 * at least as wide as the target's DSP threshold left in LUTs.
 */
export function mappingChecks(
  memories: readonly MemoryReport[],
  multipliers: MultiplierReport,
  target: SynthTarget,
): { warnings: string[]; memoriesInBlockRam: boolean; multipliersInDsp: boolean } {
  const warnings: string[] = [];
  let memoriesInBlockRam = true;
  for (const memory of memories) {
    const shape = `${memory.depth} x ${memory.width}`;
    const where = `${memory.module}.${memory.name} (${shape}, ${memory.instances}x)`;
    const inBlock = memory.mapping === "block" || memory.mapping === "huge";
    if (memory.expectedInBlockRam && !inBlock) {
      memoriesInBlockRam = false;
      const why = memory.asyncReadPorts > 0
        ? `it has ${memory.asyncReadPorts} asynchronous read port(s); register the read address ` +
          `or data (synchronous read) and mark it (* ram_style = "block" *)`
        : memory.readPorts + memory.writePorts > 2
        ? `it has ${memory.readPorts} read and ${memory.writePorts} write ports; block RAM has 2`
        : `mark it (* ram_style = "block" *)`;
      warnings.push(`memory ${where} became ${memory.mapping}, not block RAM: ${why}`);
    } else if (
      memory.role === "state" && memory.depth > LUT_RAM_MAX_DEPTH && memory.asyncReadPorts > 0
    ) {
      memoriesInBlockRam = false;
      warnings.push(
        `memory ${where} is a state memory deeper than ${LUT_RAM_MAX_DEPTH} words with ` +
          `${memory.asyncReadPorts} asynchronous read port(s): it cannot be block RAM; read it ` +
          `synchronously`,
      );
    } else if (
      memory.mapping === "logic" && memory.bits >= LOGIC_MEMORY_MAX_BITS &&
      !(memory.writePorts === 0 && memory.depth <= LUT_RAM_MAX_DEPTH)
    ) {
      warnings.push(
        `memory ${where} became logic (flip-flops for a RAM, LUTs for a ROM)` +
          (memory.asyncReadPorts > 0
            ? `: ${memory.asyncReadPorts} asynchronous read port(s) with ` +
              `${memory.readPorts} read ports`
            : ""),
      );
    }
  }
  let multipliersInDsp = true;
  for (const entry of multipliers.inLogic) {
    if (entry.width < DSP_MIN_WIDTH[target]) continue;
    multipliersInDsp = false;
    warnings.push(
      `${entry.count} multiplier(s) of ${entry.width} bits in ${entry.module} stayed in LUTs, ` +
        `not DSPs`,
    );
  }
  return { warnings, memoriesInBlockRam, multipliersInDsp };
}

function flowName(target: SynthTarget): string {
  return target === "xilinx"
    ? "Yosys synth_xilinx -family xcu (Xilinx UltraScale, the XCKU060's family), out of " +
      "context (no I/O buffers), hierarchy kept"
    : "Yosys synth_ice40 -device u -dsp (Lattice iCE40 UltraPlus), hierarchy kept";
}

async function yosysShareFolders(command: string): Promise<string[]> {
  let binary: string | undefined;
  if (command.includes("/")) binary = resolve(command);
  else {
    for (const folder of (Deno.env.get("PATH") ?? "").split(":")) {
      if (folder && await exists(join(folder, command))) {
        binary = join(folder, command);
        break;
      }
    }
  }
  if (!binary) return [];
  const real = await Deno.realPath(binary).catch(() => binary!);
  return [
    join(dirname(real), "..", "share", "yosys"),
    join(dirname(binary), "..", "share", "yosys"),
  ];
}

async function prepareLutramLibrary(context: FlowContext): Promise<void> {
  if (context.target !== "xilinx") return;
  for (const share of await yosysShareFolders(context.yosys.command)) {
    const library = join(share, "xilinx", "lutrams_xcu.txt");
    if (!(await exists(library))) continue;
    const corrected = correctedLutramLibrary(await Deno.readTextFile(library));
    if (!corrected) return;
    context.lutramLibrary = join(context.workDir, "lutrams_xcu_corrected.txt");
    await Deno.writeTextFile(context.lutramLibrary, corrected);
    context.notes.push(
      "Yosys 0.23's UltraScale LUT RAM library offers a 64K-deep single-port option its " +
        "mapping file cannot build; the flow used a corrected copy (at most RAM512X1S deep).",
    );
    return;
  }
}

/**
 * Synthesize the design in `dir` with Yosys and write its resource report (see
 * `SynthesisReport`); returns the report. Throws UserError for a missing or unusable Yosys, a
 * bad design directory, a time-out or an exhausted memory bound, and Yosys errors (naming the
 * log).
 */
export async function synthesizeDesign(
  dir: string,
  options: SynthesizeOptions = {},
): Promise<SynthesisReport> {
  const started = performance.now();
  const target = options.target ?? "xilinx";
  const log = options.log ?? (() => {});
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

  const elaboration = await elaborate(context);
  const elaborated = elaboration.modules;
  if (!elaborated.has(design.top)) {
    throw new UserError(`${dir}: top module ${design.top} not found in the Verilog files`);
  }
  const pe = findPeModule(elaborated, design.top, { peModule: options.peModule, pes: design.pes });
  if (options.peModule && !pe) {
    throw new UserError(`--pe-module ${options.peModule}: no such module under ${design.top}`);
  }
  if (options.perPe === true && !pe) {
    throw new UserError(
      `--per-pe: no module is instantiated more than once under ${design.top} (use --pe-module)`,
    );
  }
  const perPe = pe !== undefined &&
    (options.perPe ?? pe.instances >= AUTO_PER_PE_MIN_PES);
  if (pe && design.pes !== undefined && pe.instances !== design.pes) {
    context.notes.push(
      `design.json says ${design.pes} PEs; the hierarchy has ${pe.instances} ${pe.name} instances.`,
    );
  }

  const runs: RunData[] = [];
  if (perPe && pe) {
    runs.push(
      await synthesize(context, {
        name: "pe",
        synthTop: pe.variants[0],
        blackBoxes: [],
        copies: pe.instances,
      }),
    );
    runs.push(
      await synthesize(context, {
        name: "shared",
        synthTop: design.top,
        blackBoxes: pe.variants,
        copies: 1,
      }),
    );
  } else {
    runs.push(
      await synthesize(context, {
        name: "whole",
        synthTop: design.top,
        blackBoxes: [],
        copies: 1,
      }),
    );
  }

  let totalCells: CellCounts = {};
  for (const run of runs) {
    totalCells = addCells(
      totalCells,
      hierarchicalCells(run.modules, run.top, { primitivesOnly: true }),
      run.copies,
    );
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
  const methodNote = perPe
    ? `estimated: per-PE synthesis x ${pes} (one ${pe!.name} synthesized and multiplied by ` +
      `${pes}) plus the shared logic synthesized once with the PEs as black boxes`
    : `measured: whole-design synthesis (${runs[0].report.seconds} s)`;
  for (const warning of checks.warnings) log(`synth: warning: ${warning}`);
  const report: SynthesisReport = {
    format: "rnnfab-synth-1",
    design: dir,
    top: design.top,
    target,
    flow: flowName(target),
    yosys: yosys.version,
    method: perPe ? "per-pe" : "whole",
    estimated: perPe,
    methodNote,
    pes,
    peModule: pe?.name ?? null,
    total,
    perPe: perPeCells ? resourcesOf(perPeCells, target) : null,
    shared: perPeCells && pes
      ? resourcesOf(subtractCells(totalCells, perPeCells, pes), target)
      : null,
    modules,
    memories,
    multipliers,
    checks: {
      memoriesInBlockRam: checks.memoriesInBlockRam,
      multipliersInDsp: checks.multipliersInDsp,
      warnings: checks.warnings,
    },
    notes: context.notes,
    runs: [elaboration.report, ...runs.map((run) => run.report)],
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const out = options.out ??
    join(design.dir, "synth", target === "xilinx" ? "resources.json" : "resources_ice40.json");
  await writeJsonAtomic(out, report);
  return report;
}
