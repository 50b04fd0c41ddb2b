/**
 * Load a model from a path by its extension: `.onnx` files through the ONNX importer (external
 * data read from the model's folder), anything else as an rnnfab JSON model file.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { readInputBytes } from "../../util/read.ts";
import type { RnnModel } from "../model.ts";
import { loadModel } from "../model_io.ts";
import { importOnnxDetailed, type OnnxImportResult } from "./import.ts";

/** Read an ONNX model file and import its LSTM/GRU stack (with notes on what was left out). */
export async function loadOnnxModel(path: string): Promise<OnnxImportResult> {
  const bytes = await readInputBytes(path, "ONNX file");
  return importOnnxDetailed(bytes, path, { baseDir: dirname(resolve(path)) });
}

/** Load an ONNX model (`.onnx`, any case) or else an rnnfab JSON model file. */
export async function loadAnyModel(path: string): Promise<RnnModel> {
  if (path.toLowerCase().endsWith(".onnx")) return (await loadOnnxModel(path)).model;
  return loadModel(path);
}
