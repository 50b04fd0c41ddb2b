/**
 * Config files (`--config C`): one schema for every command, so the same file serves `infer`,
 * `encode` and `gen`, and a misspelt field is an error everywhere instead of silently ignored.
 *
 * @module
 */

import type { FixedPointConfig } from "../model/fixed.ts";
import type { DeltaConfig } from "../model/delta.ts";
import { fixedConfigFrom, readJsonFile } from "../model/inputs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { MAX_CONFIG_BYTES } from "../util/limits.ts";
import { acceleratorConfigSchema } from "./config.ts";

/** Load a config file and return its fixed-point part (accelerator fields are validated too). */
export async function loadFixedConfig(path: string): Promise<FixedPointConfig> {
  return (await loadModelConfig(path)).fixed;
}

/**
 * Load a config file and return what the models need: the fixed-point formats and, when the file
 * has one, the `delta` field (docs/delta.md). Accelerator fields are validated too.
 */
export async function loadModelConfig(
  path: string,
): Promise<{ fixed: FixedPointConfig; delta?: DeltaConfig }> {
  const value = await readJsonFile(path, "config", MAX_CONFIG_BYTES);
  const { weightBits, weightFrac, activationBits, activationFrac, sigmoid, tanh, delta } =
    parseWithSchema(acceleratorConfigSchema, value, path);
  const fixed = fixedConfigFrom(
    { weightBits, weightFrac, activationBits, activationFrac, sigmoid, tanh },
    path,
  );
  return { fixed, delta };
}
