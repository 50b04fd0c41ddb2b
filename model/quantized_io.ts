/**
 * The integer model a generated design holds (`DIR/quantized.json`): written by `gen`, read by
 * `sim` to compute the golden outputs. Integers are stored as plain JSON arrays.
 *
 * @module
 */

import { z } from "zod";
import { parseWithSchema } from "../util/zod_error.ts";
import { readJsonFile } from "../util/read.ts";
import type { IntMatrix, QuantizedLayer, QuantizedModel } from "./fixed.ts";
import { writeJsonAtomic } from "../util/fs.ts";

const intArray = z.array(z.number().int());
const intMatrix = z.object({
  rows: z.number().int().nonnegative(),
  cols: z.number().int().nonnegative(),
  data: intArray,
})
  .refine((m) => m.data.length === m.rows * m.cols, {
    message: "data length must equal rows * cols",
  });
const tableSpec = z.object({ stepLog2: z.number().int(), rangeLog2: z.number().int() });
const quantizedSchema = z.object({
  kind: z.enum(["lstm", "gru"]),
  inputSize: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  numLayers: z.number().int().positive(),
  projSize: z.number().int().nonnegative(),
  format: z.object({
    weightBits: z.number().int(),
    weightFrac: z.number().int(),
    activationBits: z.number().int(),
    activationFrac: z.number().int(),
    accumulatorBits: z.number().int(),
    sigmoid: tableSpec,
    tanh: tableSpec,
  }),
  layers: z.array(z.object({
    weightIh: intMatrix,
    weightHh: intMatrix,
    weightHr: intMatrix.optional(),
    bias: intArray,
    peephole: intArray.optional(),
  })),
  saturatedValues: z.number().int().nonnegative(),
});

const toPlainMatrix = (m: IntMatrix) => ({ rows: m.rows, cols: m.cols, data: Array.from(m.data) });
const toIntMatrix = (m: { rows: number; cols: number; data: number[] }): IntMatrix => ({
  rows: m.rows,
  cols: m.cols,
  data: Int32Array.from(m.data),
});

/** The JSON-ready form of a quantized model. */
export function serializeQuantizedModel(model: QuantizedModel): unknown {
  return {
    ...model,
    layers: model.layers.map((layer) => ({
      weightIh: toPlainMatrix(layer.weightIh),
      weightHh: toPlainMatrix(layer.weightHh),
      weightHr: layer.weightHr ? toPlainMatrix(layer.weightHr) : undefined,
      bias: Array.from(layer.bias),
      peephole: layer.peephole ? Array.from(layer.peephole) : undefined,
    })),
  };
}

/** Validate and rebuild a quantized model; `source` names the file in error messages. */
export function parseQuantizedModel(value: unknown, source: string): QuantizedModel {
  const data = parseWithSchema(quantizedSchema, value, source);
  return {
    ...data,
    layers: data.layers.map((layer): QuantizedLayer => ({
      weightIh: toIntMatrix(layer.weightIh),
      weightHh: toIntMatrix(layer.weightHh),
      weightHr: layer.weightHr ? toIntMatrix(layer.weightHr) : undefined,
      bias: Int32Array.from(layer.bias),
      peephole: layer.peephole ? Int32Array.from(layer.peephole) : undefined,
    })),
  };
}

/** Write `quantized.json` atomically. */
export function writeQuantizedModel(path: string, model: QuantizedModel): Promise<void> {
  return writeJsonAtomic(path, serializeQuantizedModel(model));
}

/** Read and validate `quantized.json`. */
export async function readQuantizedModel(path: string): Promise<QuantizedModel> {
  return parseQuantizedModel(await readJsonFile(path, "quantized model"), path);
}
