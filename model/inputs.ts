/**
 * Input sequences (`{"inputs": [[...], ...]}`) and fixed-point config files, validated at the edge.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { readJsonFile } from "../util/read.ts";
import { checkFixedConfig, DEFAULT_FIXED_CONFIG, type FixedPointConfig } from "./fixed.ts";

/** Read a JSON file (re-exported from util/read.ts, where every input file is read). */
export { readJsonFile } from "../util/read.ts";

/** Validate an input sequence value: T >= 1 steps of exactly `inputSize` finite numbers. */
export function parseInputs(value: unknown, inputSize: number, source: string): number[][] {
  const schema = z.object({
    inputs: z.array(
      z.array(z.number().refine(Number.isFinite, { message: "expected a finite number" }))
        .length(inputSize, {
          message: `expected ${inputSize} numbers per step (the model's inputSize)`,
        }),
    ).min(1, { message: "expected at least one time step" }),
  });
  return parseWithSchema(schema, value, source).inputs;
}

/** Load an input sequence file for a model with `inputSize` inputs. */
export async function loadInputs(path: string, inputSize: number): Promise<number[][]> {
  return parseInputs(await readJsonFile(path, "input sequence"), inputSize, path);
}

const tableSchema = z.object({ stepLog2: z.number().int(), rangeLog2: z.number().int() }).strict();

/** zod schema of the fixed-point fields of a config file (all optional; defaults fill the rest). */
export const fixedConfigFields = {
  weightBits: z.number().int().optional(),
  weightFrac: z.number().int().optional(),
  activationBits: z.number().int().optional(),
  activationFrac: z.number().int().optional(),
  sigmoid: tableSchema.optional(),
  tanh: tableSchema.optional(),
};

/** Merge the fixed-point fields of a parsed config with the defaults and check the constraints. */
export function fixedConfigFrom(
  fields: Partial<FixedPointConfig>,
  source: string,
): FixedPointConfig {
  const config: FixedPointConfig = { ...DEFAULT_FIXED_CONFIG };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  const problems = checkFixedConfig(config);
  if (problems.length > 0) throw new UserError(`${source}: ${problems[0]}`);
  return config;
}
