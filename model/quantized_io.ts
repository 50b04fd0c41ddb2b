/**
 * The integer model a generated design holds (`DIR/quantized.json`): written by `gen`, read by
 * `sim` to compute the golden outputs. Integers are stored as plain JSON arrays.
 *
 * @module
 */

import { z } from "zod";
import { accumulatorBitsFor } from "./accumulator.ts";
import type { FixedFormat, IntMatrix, QuantizedModel } from "./fixed.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { MAX_QUANTIZED_BYTES } from "../util/limits.ts";
import { readJsonFile } from "../util/read.ts";
import { parseWithSchema } from "../util/zod_error.ts";

const intArray = z.array(z.number().int());
const int32Array = intArray.transform((values) => Int32Array.from(values));
const intMatrix = z.object({
  rows: z.number().int().nonnegative(),
  cols: z.number().int().nonnegative(),
  data: int32Array,
})
  .refine((m) => m.data.length === m.rows * m.cols, {
    message: "data length must equal rows * cols",
  });
const tableSpec = z.object({ stepLog2: z.number().int(), rangeLog2: z.number().int() });

/** A resolved fixed-point format (`FixedFormat`), as `quantized.json` and design.json hold it. */
export const fixedFormatSchema = z.object({
  weightBits: z.number().int(),
  weightFrac: z.number().int(),
  activationBits: z.number().int(),
  activationFrac: z.number().int(),
  accumulatorBits: z.number().int(),
  sigmoid: tableSpec,
  tanh: tableSpec,
}) satisfies z.ZodType<FixedFormat>;

/**
 * `quantized.json`: the integer model a design holds. Parsing turns the plain arrays back into
 * Int32Arrays, so the parsed value is a `QuantizedModel` (checked by the compiler).
 */
export const quantizedModelSchema = z.object({
  kind: z.enum(["lstm", "gru"]),
  inputSize: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  numLayers: z.number().int().positive(),
  projSize: z.number().int().nonnegative(),
  format: fixedFormatSchema,
  layers: z.array(z.object({
    weightIh: intMatrix,
    weightHh: intMatrix,
    weightHr: intMatrix.optional(),
    bias: int32Array,
    peephole: int32Array.optional(),
  })),
  saturatedValues: z.number().int().nonnegative(),
}).superRefine((model, context) => {
  // every sum the hardware forms must fit (model/fixed.ts accumulatorBitsFor)
  const needed = accumulatorBitsFor(model);
  if (model.format.accumulatorBits < needed) {
    context.addIssue({
      code: "custom",
      path: ["format", "accumulatorBits"],
      message:
        `${model.format.accumulatorBits} bits cannot hold these weights' sums: expected at ` +
        `least ${needed}`,
    });
  }
}) satisfies z.ZodType<QuantizedModel>;

/** `quantized.json` as stored: plain JSON arrays of integers. */
export type QuantizedModelFile = z.input<typeof quantizedModelSchema>;

const toPlainMatrix = (m: IntMatrix) => ({ rows: m.rows, cols: m.cols, data: Array.from(m.data) });

/** The JSON-ready form of a quantized model. */
export function serializeQuantizedModel(model: QuantizedModel): QuantizedModelFile {
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
  return parseWithSchema(quantizedModelSchema, value, source);
}

/** Write `quantized.json` atomically. */
export function writeQuantizedModel(path: string, model: QuantizedModel): Promise<void> {
  return writeJsonAtomic(path, serializeQuantizedModel(model));
}

/** Read and validate `quantized.json` (a regular file within MAX_QUANTIZED_BYTES). */
export async function readQuantizedModel(path: string): Promise<QuantizedModel> {
  const value = await readJsonFile(path, "quantized model", MAX_QUANTIZED_BYTES);
  return parseQuantizedModel(value, path);
}
