/**
 * The part of a generated design directory that the simulation flows read: `design.json`, parsed
 * with the generator's schema (rtl/design_schema.ts), and the absolute paths of its Verilog files.
 * The directory's layout is docs/architecture.md ("Files of a design directory").
 *
 * @module
 */

import { join, resolve } from "node:path";
import type { QuantizedModel } from "../model/fixed.ts";
import { outputSize } from "../model/model.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import { UserError } from "../util/errors.ts";
import { type DesignJson, designRtlPaths, readDesignJson } from "../rtl/design_schema.ts";

/** A design as the simulation flows see it: design.json, where it is, its Verilog files. */
export interface SimDesign extends Omit<DesignJson, "rtlFiles"> {
  /** Absolute path of the design directory. */
  dir: string;
  /** Absolute paths of every Verilog file, top first (design.json lists them relative). */
  rtlFiles: string[];
}

/**
 * Cycles the cycle model predicts for a sequence of `steps` time steps: the modeled step's end
 * when the model ran that far (`stepEndCycles`, exact), past it the last two steps repeated (a
 * step time that settles to one value or alternates between two stays exact), and without step
 * ends `firstStepCycles + (T-1) * cyclesPerStep`.
 */
export function estimatedCycles(
  estimate: { cyclesPerStep: number; firstStepCycles: number; stepEndCycles?: number[] },
  steps: number,
): number {
  const ends = estimate.stepEndCycles ?? [];
  const n = ends.length;
  if (steps <= n) return ends[steps - 1];
  if (n >= 3) {
    const last = n - 1 - ((steps - n) % 2); // the modeled step of the same parity as steps - 1
    return ends[last] + ((steps - 1 - last) / 2) * (ends[n - 1] - ends[n - 3]);
  }
  return estimate.firstStepCycles + (steps - 1) * estimate.cyclesPerStep;
}

/** Read and validate `DIR/design.json` and locate the Verilog files of the design. */
export async function readDesign(dir: string): Promise<SimDesign> {
  const json = await readDesignJson(dir);
  return { ...json, dir: resolve(dir), rtlFiles: await designRtlPaths(dir, json) };
}

/**
 * Read the design's `quantized.json` (the golden model) and check it against design.json: the
 * same input and output sizes and the same activation width, or a `UserError` naming the file.
 */
export async function readDesignModel(design: SimDesign): Promise<QuantizedModel> {
  const path = join(design.dir, "quantized.json");
  const model = await readQuantizedModel(path);
  if (model.inputSize !== design.model.inputSize || outputSize(model) !== design.model.outputSize) {
    throw new UserError(
      `${path}: shape ${model.inputSize} -> ${outputSize(model)} does not match ` +
        `design.json (${design.model.inputSize} -> ${design.model.outputSize})`,
    );
  }
  if (model.format.activationBits !== design.accelerator.activationBits) {
    throw new UserError(
      `${path}: format.activationBits ${model.format.activationBits} differs from ` +
        `design.json accelerator.activationBits ${design.accelerator.activationBits}`,
    );
  }
  return model;
}
