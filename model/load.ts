/**
 * Load a model from any supported file: rnnfab JSON (weights inline or in safetensors) or ONNX.
 *
 * @module
 */

export { loadAnyModel } from "./onnx/load_any.ts";
