/**
 * Load a model from any supported file: rnnfab JSON (weights inline or in safetensors) or ONNX.
 *
 * @module
 */

import { loadModel } from "./model_io.ts";
import type { RnnModel } from "./model.ts";

/** Load an rnnfab JSON model, or an ONNX model when the path ends in `.onnx`. */
export async function loadAnyModel(path: string): Promise<RnnModel> {
  if (path.toLowerCase().endsWith(".onnx")) {
    // The ONNX importer is loaded only when needed (it pulls in the protobuf schema).
    const onnxLoader = "./onnx/load_any.ts";
    const { loadAnyModel: loadOnnx } = await import(onnxLoader);
    return loadOnnx(path);
  }
  return loadModel(path);
}
