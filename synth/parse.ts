/**
 * Reading what Yosys writes: `stat -json` (per-module cell counts), `dump t:$mem_v2` (the
 * memories before technology mapping), the log lines of `memory_libmap` (what each memory became)
 * and the `End of script` line (peak memory). Pure functions over text.
 *
 * @module
 */

import { type CellCounts, isPrimitive } from "./cells.ts";

/** One module of a `stat -json` report. */
export interface ModuleCells {
  /** Yosys module name without the leading backslash (e.g. `$paramod$4f..\rnnfab_pe`). */
  name: string;
  /** Mapped primitives (and, before mapping, Yosys internal cells) directly in the module. */
  cells: CellCounts;
  /** Instances of other modules of the design (or black boxes), by module name. */
  children: Record<string, number>;
}

/** Strip the backslash Yosys puts in front of public names. */
export function unescapeName(name: string): string {
  return name.startsWith("\\") ? name.slice(1) : name;
}

/**
 * The RTL module a Yosys module comes from: `$paramod$<hash>\rnnfab_pe` and
 * `$paramod\rnnfab_pe\K=...` are both `rnnfab_pe`.
 */
export function baseModuleName(name: string): string {
  const plain = unescapeName(name);
  const hashed = /^\$paramod\$[0-9a-f]+\\(.+)$/.exec(plain);
  if (hashed) return hashed[1];
  const listed = /^\$paramod\\([^\\]+)\\/.exec(plain);
  if (listed) return listed[1];
  return plain;
}

/**
 * Remove the lines Yosys 0.23 mixes into `stat -json` output for hierarchies deeper than one
 * level (the text-mode "design hierarchy" lines of nested modules, `   name   count`, which are
 * not JSON). Every genuine line of that output has a quote or is only braces and commas.
 */
export function sanitizeStatJson(text: string): string {
  return text.split("\n").filter((line) => line.includes('"') || /^[\s{}\[\],]*$/.test(line))
    .join("\n");
}

/**
 * Parse `stat -json` output into modules. `blackBoxes` are module names whose instances count as
 * children even though `stat` lists no module for them.
 */
export function parseStatJson(
  text: string,
  source: string,
  blackBoxes: readonly string[] = [],
): Map<string, ModuleCells> {
  let value: { modules?: Record<string, { num_cells_by_type?: Record<string, number> }> };
  try {
    value = JSON.parse(sanitizeStatJson(text));
  } catch (error) {
    throw new Error(`${source}: not the JSON of stat -json (${(error as Error).message})`);
  }
  if (!value.modules || typeof value.modules !== "object") {
    throw new Error(`${source}: no "modules" in stat -json output`);
  }
  const names = new Set([...Object.keys(value.modules).map(unescapeName), ...blackBoxes]);
  const modules = new Map<string, ModuleCells>();
  for (const [rawName, stats] of Object.entries(value.modules)) {
    const cells: CellCounts = {};
    const children: Record<string, number> = {};
    for (const [type, number] of Object.entries(stats.num_cells_by_type ?? {})) {
      const plainType = unescapeName(type);
      if (names.has(plainType)) children[plainType] = (children[plainType] ?? 0) + number;
      else cells[plainType] = (cells[plainType] ?? 0) + number;
    }
    modules.set(unescapeName(rawName), { name: unescapeName(rawName), cells, children });
  }
  return modules;
}

/** How many times each module is instantiated under `top` (the top itself counts once). */
export function instanceCounts(
  modules: Map<string, ModuleCells>,
  top: string,
): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (name: string, copies: number, depth: number) => {
    if (depth > 64) throw new Error(`module hierarchy under ${top} is deeper than 64 levels`);
    counts.set(name, (counts.get(name) ?? 0) + copies);
    const module = modules.get(name);
    if (!module) return;
    for (const [child, number] of Object.entries(module.children)) {
      visit(child, copies * number, depth + 1);
    }
  };
  visit(top, 1, 0);
  return counts;
}

/** Depth of each module under `top` (top = 0; the shallowest occurrence wins). */
export function moduleDepths(
  modules: Map<string, ModuleCells>,
  top: string,
): Map<string, number> {
  const depths = new Map<string, number>([[top, 0]]);
  const queue = [top];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const child of Object.keys(modules.get(name)?.children ?? {})) {
      if (!depths.has(child)) {
        depths.set(child, depths.get(name)! + 1);
        queue.push(child);
      }
    }
  }
  return depths;
}

/** Primitive cells of one instance of `name` including all its submodules. */
export function hierarchicalCells(
  modules: Map<string, ModuleCells>,
  name: string,
  options: { primitivesOnly?: boolean } = {},
): CellCounts {
  const memo = new Map<string, CellCounts>();
  const visit = (moduleName: string): CellCounts => {
    const known = memo.get(moduleName);
    if (known) return known;
    const module = modules.get(moduleName);
    const sum: CellCounts = {};
    if (module) {
      for (const [type, number] of Object.entries(module.cells)) {
        if (options.primitivesOnly && !isPrimitive(type)) continue;
        sum[type] = (sum[type] ?? 0) + number;
      }
      for (const [child, copies] of Object.entries(module.children)) {
        for (const [type, number] of Object.entries(visit(child))) {
          sum[type] = (sum[type] ?? 0) + number * copies;
        }
      }
    }
    memo.set(moduleName, sum);
    return sum;
  };
  return visit(name);
}

/** A memory as Yosys sees it after `memory -nomap`, before technology mapping. */
export interface MemoryShape {
  /** Yosys module name (unescaped). */
  module: string;
  /** Memory name in the RTL (hierarchical inside generate blocks, e.g. `gen_lstm.c_mem`). */
  name: string;
  /** Word width in bits. */
  width: number;
  /** Number of words. */
  depth: number;
  /** Read ports. */
  readPorts: number;
  /** Read ports without a clock (asynchronous reads cannot use block RAM). */
  asyncReadPorts: number;
  /** Write ports. */
  writePorts: number;
  /** The `ram_style` / `rom_style` attribute, if any. */
  style?: string;
  /** Source location from the `src` attribute. */
  source?: string;
}

function parameterNumber(line: string): number {
  const value = line.trim().split(/\s+/)[2] ?? "";
  const sized = /^(\d+)'([01xz]+)$/.exec(value);
  if (sized) return parseInt(sized[2].replace(/[xz]/g, "0"), 2);
  return Number(value);
}

function parameterBits(line: string): string {
  const value = line.trim().split(/\s+/)[2] ?? "";
  const sized = /^(\d+)'([01xz]+)$/.exec(value);
  return sized ? sized[2] : "";
}

function attributeString(line: string): string {
  const match = /^\s*attribute \\\S+ "(.*)"\s*$/.exec(line);
  return match ? match[1].replace(/\\\\/g, "\\") : "";
}

/** Parse `dump -m t:$mem_v2` (RTLIL text with module headers) into the memories it lists. */
export function parseMemoryDump(text: string): MemoryShape[] {
  const memories: MemoryShape[] = [];
  let module = "";
  let attributes: Record<string, string> = {};
  let current: MemoryShape | undefined;
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("parameter \\INIT ")) continue;
    if (trimmed.startsWith("module ")) {
      module = unescapeName(trimmed.slice("module ".length).trim());
      attributes = {};
    } else if (trimmed.startsWith("attribute ")) {
      const key = trimmed.split(/\s+/)[1] ?? "";
      attributes[key] = attributeString(trimmed);
    } else if (trimmed.startsWith("cell $mem_v2 ") || trimmed.startsWith("cell $mem ")) {
      current = {
        module,
        name: unescapeName(trimmed.split(/\s+/)[2] ?? ""),
        width: 0,
        depth: 0,
        readPorts: 0,
        asyncReadPorts: 0,
        writePorts: 0,
        style: attributes["\\ram_style"] || attributes["\\rom_style"] ||
          attributes["\\syn_ramstyle"] || attributes["\\syn_romstyle"] || undefined,
        source: attributes["\\src"] || undefined,
      };
      attributes = {};
    } else if (current && trimmed.startsWith("parameter ")) {
      const key = trimmed.split(/\s+/)[1];
      if (key === "\\WIDTH") current.width = parameterNumber(trimmed);
      else if (key === "\\SIZE") current.depth = parameterNumber(trimmed);
      else if (key === "\\RD_PORTS") current.readPorts = parameterNumber(trimmed);
      else if (key === "\\WR_PORTS") current.writePorts = parameterNumber(trimmed);
      else if (key === "\\RD_CLK_ENABLE") {
        current.asyncReadPorts = [...parameterBits(trimmed)].filter((bit) => bit === "0").length;
      }
    } else if (current && trimmed === "end") {
      memories.push(current);
      current = undefined;
    }
  }
  return memories;
}

/** What `memory_libmap` did with one memory. */
export interface MemoryMappingLine {
  /**
   * `block` (block RAM), `distributed` (LUT RAM), `huge` (UltraRAM/SPRAM) or `logic` (flip-flops
   * for a RAM, LUT logic for a ROM: Yosys's "FF mapping").
   */
  kind: "block" | "distributed" | "huge" | "logic";
  /** The Yosys mapping cell (e.g. `$__XILINX_BLOCKRAM_TDP_`), absent for logic. */
  cell?: string;
}

/** Classify a `memory_libmap` mapping cell name. */
export function mappingKind(cell: string): MemoryMappingLine["kind"] {
  if (/URAM|SPRAM|HUGE/i.test(cell)) return "huge";
  if (/LUTRAM|DISTRIBUTED/i.test(cell)) return "distributed";
  return "block";
}

/**
 * The `memory_libmap` lines of a Yosys log: `mapping memory <module>.<memory> via <cell>` and
 * `using FF mapping for memory <module>.<memory>`, keyed by `<module>.<memory>`.
 */
export function parseMemoryMappings(log: string): Map<string, MemoryMappingLine> {
  const mappings = new Map<string, MemoryMappingLine>();
  for (const match of log.matchAll(/^mapping memory (\S+) via (\S+)/gm)) {
    mappings.set(match[1], { kind: mappingKind(match[2]), cell: match[2] });
  }
  for (const match of log.matchAll(/^using FF mapping for memory (\S+)/gm)) {
    mappings.set(match[1], { kind: "logic" });
  }
  return mappings;
}

/** Multiplier cells (`$mul_<width>` from `stat -width`) of a cell map, as width -> count. */
export function multipliersByWidth(cells: CellCounts): Map<number, number> {
  const widths = new Map<number, number>();
  for (const [type, number] of Object.entries(cells)) {
    const match = /^\$mul(?:_(\d+))?$/.exec(type);
    if (!match) continue;
    const width = match[1] ? Number(match[1]) : 0;
    widths.set(width, (widths.get(width) ?? 0) + number);
  }
  return widths;
}

/** Peak memory in MB from Yosys's `End of script. ... MEM: 20.62 MB peak` line, if present. */
export function peakMemoryMb(log: string): number | undefined {
  const matches = [...log.matchAll(/MEM: ([\d.]+) MB peak/g)];
  return matches.length > 0 ? Number(matches[matches.length - 1][1]) : undefined;
}

/** The first `ERROR:` line of a Yosys log (with its file prefix), if any. */
export function firstError(log: string): string | undefined {
  const match = /^(.*ERROR:.*)$/m.exec(log);
  return match ? match[1].trim() : undefined;
}

/** The pass Yosys is running, from the last `N.M. Executing X pass` header of a log tail. */
export function currentPass(logTail: string): string | undefined {
  const matches = [...logTail.matchAll(/^([\d.]+) Executing (.+?)\.?$/gm)];
  return matches.length > 0 ? matches[matches.length - 1][2] : undefined;
}
