/**
 * The synthesis flow's artifact: `DIR/synth/resources.json` (format `rnnfab-synth-1`), as one zod
 * schema. `synthesizeDesign` writes it; readers parse it with `readSynthesisReport`. The types are
 * `z.infer` of the schema. What the numbers mean: docs/synthesis.md.
 *
 * @module
 */

import { z } from "zod";
import { sameFields } from "../util/schema.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { readJsonFile } from "../model/inputs.ts";
import { memoryRoleSchema } from "../rtl/design_schema.ts";
import { resourcesSchema, SYNTH_TARGETS } from "./cells.ts";

const count = z.number().nonnegative();

/**
 * What a memory holds, for the mapping checks: design.json's roles (`weights`, `pointers`,
 * `index`, `table`, `constants`), `state` for any other memory the design writes, `other` for any
 * other ROM.
 */
export const synthMemoryRoleSchema = z.enum([...memoryRoleSchema.options, "state", "other"]);

/** What a memory holds, for the mapping checks. */
export type SynthMemoryRole = z.infer<typeof synthMemoryRoleSchema>;

/**
 * One memory of the design and what synthesis made of it: the RTL module holding it and its
 * name there, word width, words and bits, read ports (and how many are asynchronous: those
 * cannot be block RAM), write ports, its ram_style/rom_style attribute, what it became (block
 * RAM, distributed LUT RAM, UltraRAM/SPRAM, logic, or not in the log) and the Yosys cell, its
 * copies in the whole design, its role, whether the flow expects it in block RAM, and its source.
 */
export const memoryReportSchema = z.object({
  ...sameFields(z.string(), "module", "name").shape,
  ...sameFields(count, "width", "depth", "bits", "readPorts", "asyncReadPorts", "writePorts").shape,
  ...sameFields(z.string().nullable(), "style", "mappedTo", "source").shape,
  mapping: z.enum(["block", "distributed", "huge", "logic", "unknown"]),
  instances: count,
  role: synthMemoryRoleSchema,
  expectedInBlockRam: z.boolean(),
});

/** One memory of the design and what synthesis made of it. */
export type MemoryReport = z.infer<typeof memoryReportSchema>;

/**
 * Multipliers: `$mul` cells in the RTL after coarse optimization, DSP blocks right after DSP
 * mapping (wide multipliers take several), and those left in fabric by module and width (the
 * widest of operands and result).
 */
export const multiplierReportSchema = z.object({
  inRtl: count,
  dspBlocks: count,
  inLogic: z.array(z.object({ module: z.string(), width: count, count })),
});

/** Multipliers before and after DSP mapping. */
export type MultiplierReport = z.infer<typeof multiplierReportSchema>;

/**
 * Resources of one RTL module: its parameterizations (distinct parameter sets), its instances in
 * the whole design, one instance with its submodules (mean over instances), and its own cells
 * (submodules excluded) over all its instances.
 */
export const moduleReportSchema = z.object({
  name: z.string(),
  variants: count,
  instances: count,
  perInstance: resourcesSchema,
  own: resourcesSchema,
});

/** Resources of one RTL module. */
export type ModuleReport = z.infer<typeof moduleReportSchema>;

/**
 * One Yosys run of the flow ("elaborate", "whole", "pe" or "shared"): the module synthesized,
 * wall seconds, the peak memory Yosys reported (MB), its log and script files.
 */
export const runReportSchema = sameFields(z.string(), "name", "top", "log", "script").extend({
  seconds: count,
  peakMemoryMb: count.nullable(),
});

/** One Yosys run of the flow. */
export type RunReport = z.infer<typeof runReportSchema>;

/**
 * `resources.json`: the design directory, top, target and flow in words, the Yosys version,
 * the method ("whole": every module synthesized; "per-pe": one PE synthesized and multiplied,
 * then `estimated` is true) and its note (starting "measured:" or "estimated:"), the PE count
 * and module (null without a replicated PE module), the totals, one PE with its submodules and
 * everything outside the PEs (null without a PE module), every module, memory and the
 * multipliers, the mapping checks (with one warning per problem), notes on the flow, the Yosys
 * runs and the flow's wall seconds.
 */
export const synthesisReportSchema = z.object({
  format: z.literal("rnnfab-synth-1"),
  ...sameFields(z.string(), "design", "top", "flow", "yosys").shape,
  target: z.enum(SYNTH_TARGETS),
  method: z.enum(["whole", "per-pe"]),
  estimated: z.boolean(),
  methodNote: z.string(),
  pes: count.nullable(),
  peModule: z.string().nullable(),
  total: resourcesSchema,
  perPe: resourcesSchema.nullable(),
  shared: resourcesSchema.nullable(),
  modules: z.array(moduleReportSchema),
  memories: z.array(memoryReportSchema),
  multipliers: multiplierReportSchema,
  checks: z.object({
    memoriesInBlockRam: z.boolean(),
    multipliersInDsp: z.boolean(),
    warnings: z.array(z.string()),
  }),
  notes: z.array(z.string()),
  runs: z.array(runReportSchema),
  seconds: count,
});

/** The report written to `DIR/synth/resources.json`. */
export type SynthesisReport = z.infer<typeof synthesisReportSchema>;

/** Read and validate a synthesis report (`DIR/synth/resources.json`). */
export async function readSynthesisReport(path: string): Promise<SynthesisReport> {
  return parseWithSchema(synthesisReportSchema, await readJsonFile(path, "synthesis report"), path);
}
