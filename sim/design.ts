/**
 * The part of a generated design directory that the simulation flows read: `design.json`
 * (validated with zod, only the fields `sim` needs; everything else passes through) and the list
 * of Verilog files. See /tmp/hw-interface.md, kept in docs/simulation.md.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { readJsonFile } from "../model/inputs.ts";

const positiveInt = z.number().int().positive();

const designSchema = z.looseObject({
  top: z.string().min(1).default("rnnfab_top"),
  model: z.looseObject({
    kind: z.enum(["lstm", "gru"]),
    inputSize: positiveInt,
    hiddenSize: positiveInt,
    numLayers: positiveInt,
    projSize: z.number().int().nonnegative().default(0),
    outputSize: positiveInt,
  }),
  accelerator: z.looseObject({
    pes: positiveInt,
    format: z.string(),
    activationBits: positiveInt,
    clockMhz: z.number().positive().default(200),
  }),
  rtlFiles: z.array(z.string().min(1)).optional(),
  work: z.looseObject({ nonZerosPerStep: z.number().nonnegative() }),
  estimate: z.looseObject({
    cyclesPerStep: z.number().positive(),
    firstStepCycles: z.number().positive(),
  }),
});

/** The fields of `design.json` that simulation uses (the rest of the file is kept as `raw`). */
export interface SimDesign {
  /** Absolute path of the design directory. */
  dir: string;
  /** Top module name. */
  top: string;
  /** Model shape. */
  model: {
    kind: "lstm" | "gru";
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    projSize: number;
    outputSize: number;
  };
  /** Accelerator parameters used by the flows and reports. */
  accelerator: { pes: number; format: string; activationBits: number; clockMhz: number };
  /** Absolute paths of every Verilog file, top first if it is listed. */
  rtlFiles: string[];
  /** Useful multiply-accumulates per time step over all layers. */
  nonZerosPerStep: number;
  /** Analytical estimate: total cycles for T steps = firstStepCycles + (T - 1) * cyclesPerStep. */
  estimate: { cyclesPerStep: number; firstStepCycles: number };
  /** The whole parsed `design.json`. */
  raw: Record<string, unknown>;
}

/** Cycles the analytical estimate predicts for a sequence of `steps` time steps. */
export function estimatedCycles(
  estimate: { cyclesPerStep: number; firstStepCycles: number },
  steps: number,
): number {
  return estimate.firstStepCycles + (steps - 1) * estimate.cyclesPerStep;
}

async function listVerilog(rtlDir: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(rtlDir)) {
      if (entry.isFile && entry.name.endsWith(".v")) files.push(join(rtlDir, entry.name));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return files.sort();
}

async function resolveRtlFile(dir: string, name: string, source: string): Promise<string> {
  for (const candidate of [resolve(dir, name), resolve(dir, "rtl", name)]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // try the next candidate
    }
  }
  throw new UserError(`${source}: rtlFiles: ${name} does not exist in the design directory`);
}

/** Read and validate `DIR/design.json` and locate the Verilog files of the design. */
export async function readDesign(dir: string): Promise<SimDesign> {
  const absoluteDir = resolve(dir);
  const source = join(dir, "design.json");
  const value = await readJsonFile(source, "design description");
  const design = parseWithSchema(designSchema, value, source);
  let rtlFiles: string[];
  if (design.rtlFiles && design.rtlFiles.length > 0) {
    rtlFiles = [];
    for (const name of design.rtlFiles) {
      rtlFiles.push(await resolveRtlFile(absoluteDir, name, source));
    }
  } else {
    rtlFiles = await listVerilog(join(absoluteDir, "rtl"));
  }
  if (rtlFiles.length === 0) {
    throw new UserError(`${source}: no Verilog files (rtlFiles empty and no rtl/*.v)`);
  }
  return {
    dir: absoluteDir,
    top: design.top,
    model: design.model,
    accelerator: design.accelerator,
    rtlFiles,
    nonZerosPerStep: design.work.nonZerosPerStep,
    estimate: design.estimate,
    raw: value as Record<string, unknown>,
  };
}

/** Whether the top module declares the optional `stat_pe_stall` output (checked in its source). */
export async function hasPeStallPort(design: SimDesign): Promise<boolean> {
  for (const file of design.rtlFiles) {
    const text = await Deno.readTextFile(file);
    const start = text.search(new RegExp(`\\bmodule\\s+${design.top}\\b`));
    if (start < 0) continue;
    const end = text.indexOf("endmodule", start);
    const body = text.slice(start, end < 0 ? undefined : end);
    return /\boutput\s+(wire\s+)?stat_pe_stall\b/.test(body);
  }
  return false;
}
