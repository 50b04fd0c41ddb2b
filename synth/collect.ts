/**
 * From the recorded Yosys runs to the report's figures: per-module resources (a per-PE run's
 * counts multiplied by the PE count), every memory with its mapping and role, the multipliers,
 * and the replicated PE module in the hierarchy.
 *
 * @module
 */

import type { MemoryRole } from "../rtl/design_schema.ts";
import { addCells, type CellCounts, resourcesOf, scaleCells, type SynthTarget } from "./cells.ts";
import { expectsBlockRam, memoryRole } from "./checks.ts";
import {
  baseModuleName,
  hierarchicalCells,
  instanceCounts,
  type MemoryMappingLine,
  type MemoryShape,
  type ModuleCells,
  multipliersByWidth,
} from "./parse.ts";
import type { MemoryReport, ModuleReport, MultiplierReport, RunReport } from "./report.ts";

/** What one Yosys synthesis run recorded, and how many copies of its top the design has. */
export interface RunData {
  /** "whole", "pe" or "shared". */
  name: string;
  /** The module synthesized. */
  top: string;
  /** Cells per module of the mapped netlist. */
  modules: Map<string, ModuleCells>;
  /** Cells per module before and after DSP mapping (the multipliers). */
  before: Map<string, ModuleCells>;
  after: Map<string, ModuleCells>;
  /** Every memory before technology mapping, and what `memory_libmap` made of each. */
  memories: MemoryShape[];
  mappings: Map<string, MemoryMappingLine>;
  /** The run in the report. */
  report: RunReport;
  /** Copies of `top` in the design (the PE count for a per-PE run). */
  copies: number;
  /** Modules kept as black boxes (the PEs of the shared run). */
  blackBoxes: string[];
}

/**
 * One kind of PE instance that the per-PE estimate synthesizes once and multiplies: "pe" (an
 * engine and an element-wise unit), "pe-member" (an engine, its group's unit in another PE: `gen
 * --ew-group`), "pe-copy" (a batch copy: neither; `gen --batch`).
 */
export interface PePart {
  /** The run's name. */
  run: "pe" | "pe-member" | "pe-copy";
  /** The parameterization synthesized (the first of the part's). */
  variant: string;
  /** Every instance of the part's parameterizations. */
  instances: number;
}

/**
 * The replicated PE module `name` in the elaborated hierarchy: its parameterizations, its
 * instances with an engine (the PEs) and the parts the per-PE estimate synthesizes apart, or
 * undefined when no module of that name is instantiated under `top`.
 */
export function findPeModule(
  modules: Map<string, ModuleCells>,
  top: string,
  name: string,
): { name: string; variants: string[]; instances: number; parts: PePart[] } | undefined {
  const counts = instanceCounts(modules, top);
  const variants: string[] = [];
  for (const [module] of counts) {
    if (module === top || !modules.has(module) || baseModuleName(module) !== name) continue;
    variants.push(module);
  }
  if (variants.length === 0) return undefined;
  // Batch designs (gen --batch B): a PE's B-1 copies have no matrix-vector engine of their own;
  // element-wise groups (gen --ew-group G): a group's PEs past the first have no element-wise
  // unit (docs/architecture.md, "Batch", "Shared element-wise units"). Each kind is synthesized
  // apart; a module without either kind of child (not a PE) is one part.
  const has = (variant: string, pattern: RegExp) =>
    Object.keys(modules.get(variant)?.children ?? {}).some((child) =>
      pattern.test(baseModuleName(child))
    );
  const engine = (variant: string) => has(variant, /^rnnfab_mv_/);
  const unit = (variant: string) => has(variant, /^rnnfab_ew_(unit|lstm|gru)$/);
  const anyEngine = variants.some(engine);
  const anyUnit = variants.some((variant) => engine(variant) && unit(variant));
  const runOf = (variant: string): PePart["run"] =>
    !anyEngine
      ? "pe"
      : !engine(variant)
      ? "pe-copy"
      : unit(variant) || !anyUnit
      ? "pe"
      : "pe-member";
  const parts: PePart[] = [];
  const ordered: string[] = [];
  for (const run of ["pe", "pe-member", "pe-copy"] as const) {
    const members = variants.filter((variant) => runOf(variant) === run);
    if (members.length === 0) continue;
    ordered.push(...members);
    const instances = members.reduce((sum, variant) => sum + (counts.get(variant) ?? 0), 0);
    parts.push({ run, variant: members[0], instances });
  }
  const pes = parts.filter((part) => part.run !== "pe-copy")
    .reduce((sum, part) => sum + part.instances, 0);
  return { name, variants: ordered, instances: pes, parts };
}

/** Every memory of the runs, grouped by module, name, shape and mapping. */
export function collectMemories(runs: RunData[], roles: Map<string, MemoryRole>): MemoryReport[] {
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

/** The multipliers before and after DSP mapping, over all runs. */
export function collectMultipliers(runs: RunData[], target: SynthTarget): MultiplierReport {
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

/** Resources of every RTL module, over all runs. */
export function collectModules(runs: RunData[], target: SynthTarget): ModuleReport[] {
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

/** `total` minus `copies` x `part`, cell by cell. */
export function subtractCells(total: CellCounts, part: CellCounts, copies: number): CellCounts {
  const difference: CellCounts = {};
  for (const [type, number] of Object.entries(total)) {
    const rest = number - (part[type] ?? 0) * copies;
    if (Math.abs(rest) > 1e-9) difference[type] = rest;
  }
  return difference;
}
