/**
 * Config files (`--config C`): one schema for every command, so the same file serves `infer`,
 * `encode` and `gen`, and a misspelt field is an error everywhere instead of silently ignored.
 *
 * @module
 */

import type { FixedPointConfig } from "../model/fixed.ts";
import { fixedConfigFrom, readJsonFile } from "../model/inputs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { MAX_CONFIG_BYTES } from "../util/limits.ts";
import { acceleratorConfigSchema } from "./config.ts";

/** Load a config file and return its fixed-point part (accelerator fields are validated too). */
export async function loadFixedConfig(path: string): Promise<FixedPointConfig> {
  const value = await readJsonFile(path, "config", MAX_CONFIG_BYTES);
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
