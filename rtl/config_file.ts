/**
 * Config files (`--config C`): one schema for every command, so the same file serves `infer`,
 * `encode` and `gen`, and a misspelt field is an error everywhere instead of silently ignored.
 *
 * @module
 */

import type { FixedPointConfig } from "../model/fixed.ts";
import { fixedConfigFrom, readJsonFile } from "../model/inputs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { acceleratorConfigSchema } from "./config.ts";

/** Load a config file and return its fixed-point part (accelerator fields are validated too). */
export async function loadFixedConfig(path: string): Promise<FixedPointConfig> {
  const value = await readJsonFile(path, "config");
  const { weightBits, weightFrac, activationBits, activationFrac, sigmoid, tanh } = parseWithSchema(
    acceleratorConfigSchema,
    value,
    path,
  );
  return fixedConfigFrom(
    { weightBits, weightFrac, activationBits, activationFrac, sigmoid, tanh },
    path,
  );
}
