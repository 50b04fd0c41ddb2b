/**
 * Load a model from any supported file: rnnfab JSON (weights inline or in safetensors) or ONNX;
 * and the files a model path stands for, for the output-safety check (util/output.ts).
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import type { InputPath, OutputPath } from "../util/output.ts";
import { MAX_MODEL_JSON_BYTES } from "../util/limits.ts";
import { safetensorsPathFor } from "./model_io.ts";

export { loadAnyModel } from "./onnx/load_any.ts";

/** The files a model path reads: the model file and, for JSON, a safetensors weights file. */
export async function modelInputPaths(path: string, flag = "--model"): Promise<InputPath[]> {
  const inputs: InputPath[] = [{ path, flag }];
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > MAX_MODEL_JSON_BYTES || /\.onnx$/i.test(path)) return inputs;
    const weights = JSON.parse(await Deno.readTextFile(path))?.weights;
    if (typeof weights === "string") {
      inputs.push({ path: resolve(dirname(path), weights), flag: `${flag}'s weights` });
    }
  } catch {
    // unreadable or not JSON: loading the model reports it
  }
  return inputs;
}

/** The files `saveModel` writes for a model path (with its safetensors file, when asked). */
export function modelOutputPaths(
  path: string,
  options: { flag: string; safetensors: boolean },
): OutputPath[] {
  const outputs: OutputPath[] = [{ path, flag: options.flag, kind: "file" }];
  if (options.safetensors) {
    outputs.push({
      path: safetensorsPathFor(path),
      flag: `${options.flag}'s weights`,
      kind: "file",
    });
  }
  return outputs;
}
