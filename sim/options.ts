/**
 * Options every simulation flow shares (Verilator and Icarus runs, batches, the cocotb bench):
 * which design, the stimulus settings, where the result goes. Each flow's options extend these.
 *
 * @module
 */

import { join } from "node:path";
import { OptionError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import type { VerilatorOpt } from "./verilator.ts";
import type { VerilatorChoice } from "./verilator_tool.ts";

/** The design, the random stimulus and the report of a simulation run. */
export interface StimulusOptions {
  /** The design directory written by `gen`. */
  designDir: string;
  /** Where the inputs came from, for the report (a file path). */
  inputPath?: string;
  /** Seed of random inputs, back-pressure, input gaps and random initial values (default 1). */
  seed?: number;
  /** Probability that out_ready is low in a cycle, in [0, 0.95] (default 0). */
  backpressure?: number;
  /** Probability that a pending input beat is withheld in a cycle, in [0, 0.95] (default 0). */
  inputGaps?: number;
  /** Initial values of unreset state (Verilator; default "random", seeded; see HarnessSettings). */
  initialValues?: "random" | "zero";
  /** Build cache root (default: $RNNFAB_SIM_CACHE or ./.cache/rnnfab-sim). */
  cacheDir?: string;
  /** Where to write the result (default DIR/sim/result.json; null: do not write). */
  resultPath?: string | null;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

/** How the Verilator model is built. */
export interface VerilatorProfileOptions {
  /**
   * Verilator build profile: "build" (shortest build), "run" (fastest simulation) or "auto"
   * (default: the one that minimises build + run for the cycles this run expects).
   */
  opt?: VerilatorOpt;
  /** Which Verilator (default $RNNFAB_VERILATOR, else the venv's when installed). */
  verilator?: VerilatorChoice;
}

/** The stimulus settings of a run, defaults filled in. */
export interface StimulusSettings {
  seed: number;
  backpressure: number;
  inputGaps: number;
  initialValues: "random" | "zero";
}

/**
 * The stimulus settings of `options` with their defaults (seed 1, no back-pressure, no input
 * gaps, random initial values), checked: an `OptionError` naming the option when a probability
 * is outside [0, 0.95] or the seed is not a non-negative integer.
 */
export function stimulusSettings(options: StimulusOptions): StimulusSettings {
  const settings: StimulusSettings = {
    seed: options.seed ?? 1,
    backpressure: options.backpressure ?? 0,
    inputGaps: options.inputGaps ?? 0,
    initialValues: options.initialValues ?? "random",
  };
  for (const option of ["backpressure", "inputGaps"] as const) {
    const value = settings[option];
    if (!(Number.isFinite(value) && value >= 0 && value <= 0.95)) {
      throw new OptionError(option, `expected a probability in [0, 0.95], got ${value}`);
    }
  }
  if (!Number.isSafeInteger(settings.seed) || settings.seed < 0) {
    throw new OptionError("seed", `expected a non-negative integer, got ${settings.seed}`);
  }
  return settings;
}

/**
 * Write a run's result where `options.resultPath` says: by default `DIR/sim/result.json` of the
 * design directory `designDir`; null: nowhere.
 */
export async function writeRunResult(
  result: unknown,
  options: Pick<StimulusOptions, "resultPath">,
  designDir: string,
): Promise<void> {
  const path = options.resultPath === undefined
    ? join(designDir, "sim", "result.json")
    : options.resultPath;
  if (path !== null) await writeJsonAtomic(path, result);
}
