/**
 * The part of a generated design directory that the simulation flows read: `design.json`, parsed
 * with the generator's schema (rtl/design_schema.ts), and the absolute paths of its Verilog files.
 * The directory's layout is docs/architecture.md ("Files of a design directory").
 *
 * @module
 */

import { resolve } from "node:path";
import { type DesignJson, designRtlPaths, readDesignJson } from "../rtl/design_schema.ts";

/** A design as the simulation flows see it: design.json, where it is, its Verilog files. */
export interface SimDesign extends Omit<DesignJson, "rtlFiles"> {
  /** Absolute path of the design directory. */
  dir: string;
  /** Absolute paths of every Verilog file, top first (design.json lists them relative). */
  rtlFiles: string[];
}

/** Cycles the analytical estimate predicts for a sequence of `steps` time steps. */
export function estimatedCycles(
  estimate: { cyclesPerStep: number; firstStepCycles: number },
  steps: number,
): number {
  return estimate.firstStepCycles + (steps - 1) * estimate.cyclesPerStep;
}

/** Read and validate `DIR/design.json` and locate the Verilog files of the design. */
export async function readDesign(dir: string): Promise<SimDesign> {
  const json = await readDesignJson(dir);
  return { ...json, dir: resolve(dir), rtlFiles: await designRtlPaths(dir, json) };
}
