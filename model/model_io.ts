/**
 * Model files in and out: the JSON model format (`lstm.json` / `gru.json`) with weights inline or
 * in a `.safetensors` file beside it, validated once with zod. Every problem becomes a one-line
 * `UserError` naming the file, the field and what was expected.
 *
 * @module
 */

import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { readJsonFile } from "../util/read.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import {
  gateCount,
  layerInputSize,
  type LayerWeights,
  type Matrix,
  outputSize,
  type RnnModel,
} from "./model.ts";

/** A tensor read from a safetensors file, converted to float64. */
export interface Tensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Values, row-major. */
  data: Float64Array;
}

type NestedNumbers = number | NestedNumbers[];

const positiveInt = z.number().int().positive();

const modelFileSchema = z.object({
  format: z.literal("rnnfab-model").optional(),
  version: z.literal(1).optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  kind: z.enum(["lstm", "gru"]),
  inputSize: positiveInt,
  hiddenSize: positiveInt,
  numLayers: positiveInt.max(64),
  projSize: z.number().int().nonnegative().optional(),
  weights: z.union([
    z.string().min(1),
    z.record(z.string(), z.unknown()),
  ], {
    message: "expected a .safetensors path (relative to the model file) or an object of tensors",
  }),
}).catchall(z.unknown());

/** One tensor of a safetensors header. */
const tensorEntrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

/** The tensor names and shapes a model of this header must have. */
export function expectedTensors(
  header: Pick<RnnModel, "kind" | "inputSize" | "hiddenSize" | "numLayers" | "projSize">,
): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const rows = gateCount(header.kind) * header.hiddenSize;
  for (let layer = 0; layer < header.numLayers; layer++) {
    shapes.set(`weight_ih_l${layer}`, [rows, layerInputSize(header, layer)]);
    shapes.set(`weight_hh_l${layer}`, [rows, outputSize(header)]);
    shapes.set(`bias_ih_l${layer}`, [rows]);
    shapes.set(`bias_hh_l${layer}`, [rows]);
    if (header.projSize > 0) {
      shapes.set(`weight_hr_l${layer}`, [header.projSize, header.hiddenSize]);
    }
  }
  return shapes;
}

/** Turn an inline nested array into a tensor, checking that it is rectangular and finite. */
function inlineTensor(value: unknown, where: string): Tensor {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  if (shape.length === 0) {
    throw new UserError(`${where}: expected a nested array of numbers, got ${typeof value}`);
  }
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let offset = 0;
  const walk = (node: NestedNumbers, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof node !== "number") {
        throw new UserError(
          `${where}${path}: expected a number, got ${node === null ? "null" : typeof node}`,
        );
      }
      if (!Number.isFinite(node)) {
        throw new UserError(`${where}${path}: expected a finite number, got ${node}`);
      }
      data[offset++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new UserError(
        `${where}${path}: expected an array of length ${
          shape[depth]
        } (the tensor is not rectangular)`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(value as NestedNumbers, 0, "");
  return { shape, data };
}

const dtypeSizes: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Decode an IEEE half-precision value. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Read a safetensors file: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}`, then raw little-endian tensors.
 * Supports F64, F32, F16 and BF16; every value must be finite.
 */
export function readSafetensors(bytes: Uint8Array, source: string): Map<string, Tensor> {
  if (bytes.length < 8) {
    throw new UserError(
      `${source}: not a safetensors file (only ${bytes.length} bytes; truncated?)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    throw new UserError(
      `${source}: header length ${headerLength} exceeds the file size ${bytes.length} (truncated or not safetensors)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch {
    throw new UserError(
      `${source}: the safetensors header is not valid JSON (truncated or not safetensors)`,
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new UserError(`${source}: the safetensors header must be a JSON object`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = parseWithSchema(
      tensorEntrySchema,
      entry,
      `${source}: tensor ${name}`,
    );
    const size = dtypeSizes[dtype];
    if (!size) {
      throw new UserError(
        `${source}: tensor ${name}: unsupported dtype ${dtype} (expected F32, F64, F16 or BF16)`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) {
      throw new UserError(
        `${source}: tensor ${name}: data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes (truncated?)`,
      );
    }
    if (end - begin !== count * size) {
      throw new UserError(
        `${source}: tensor ${name}: ${end - begin} bytes do not hold shape [${shape}] of ${dtype}`,
      );
    }
    const data = new Float64Array(count);
    const base = dataStart + begin;
    for (let i = 0; i < count; i++) {
      const at = base + i * size;
      const value = dtype === "F64"
        ? view.getFloat64(at, true)
        : dtype === "F32"
        ? view.getFloat32(at, true)
        : dtype === "F16"
        ? halfToFloat(view.getUint16(at, true))
        : new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0];
      if (!Number.isFinite(value)) {
        throw new UserError(
          `${source}: tensor ${name}: element ${i} is ${value} (expected a finite number)`,
        );
      }
      data[i] = value;
    }
    tensors.set(name, { shape, data });
  }
  return tensors;
}

/** Write tensors as a safetensors file (F32 unless a tensor needs F64 to be exact). */
export function writeSafetensors(
  tensors: Map<string, Tensor>,
  options: { dtype?: "F32" | "F64" } = {},
): Uint8Array {
  const dtype = options.dtype ??
    (Array.from(tensors.values()).every((t) => t.data.every((v) => Math.fround(v) === v))
      ? "F32"
      : "F64");
  const size = dtypeSizes[dtype];
  const header: Record<string, unknown> = {};
  let offset = 0;
  const names = Array.from(tensors.keys()).sort();
  for (const name of names) {
    const tensor = tensors.get(name)!;
    const length = tensor.data.length * size;
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let headerText = JSON.stringify(header);
  while ((8 + headerText.length) % 8 !== 0) headerText += " ";
  const headerBytes = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    for (const value of tensors.get(name)!.data) {
      if (dtype === "F32") view.setFloat32(at, value, true);
      else view.setFloat64(at, value, true);
      at += size;
    }
  }
  return bytes;
}

/** Resolve a weights path relative to the model file, refusing paths that leave its folder. */
async function resolveWeightsPath(modelPath: string, weightsPath: string): Promise<string> {
  const folder = resolve(dirname(modelPath));
  if (isAbsolute(weightsPath)) {
    throw new UserError(
      `${modelPath}: weights: expected a path relative to the model's folder, got the absolute path ${weightsPath}`,
    );
  }
  const target = resolve(folder, weightsPath);
  const escapes = (path: string, root: string) => {
    const rel = relative(root, path);
    return rel.startsWith("..") || isAbsolute(rel);
  };
  if (escapes(target, folder)) {
    throw new UserError(`${modelPath}: weights: path ${weightsPath} leaves the model's folder`);
  }
  let real: string;
  try {
    real = await Deno.realPath(target);
  } catch {
    throw new UserError(`${modelPath}: weights: cannot read ${weightsPath} (no such file)`);
  }
  if (escapes(real, await Deno.realPath(folder))) {
    throw new UserError(
      `${modelPath}: weights: path ${weightsPath} leaves the model's folder (through a link)`,
    );
  }
  return real;
}

function toMatrix(tensor: Tensor): Matrix {
  return { rows: tensor.shape[0], cols: tensor.shape[1], data: tensor.data };
}

/**
 * Build a model from a parsed model file. `source` names the file in messages; `modelPath` is
 * where relative weight paths are resolved (defaults to `source`).
 */
export async function parseModelJson(
  value: unknown,
  source: string,
  modelPath = source,
): Promise<RnnModel> {
  const file = parseWithSchema(modelFileSchema, value, source);
  const header = { ...file, projSize: file.projSize ?? 0 };
  if (header.projSize > 0 && header.kind !== "lstm") {
    throw new UserError(`${source}: projSize: only LSTM models can have a projection`);
  }
  if (header.projSize >= header.hiddenSize) {
    throw new UserError(
      `${source}: projSize: expected less than hiddenSize (${header.hiddenSize}), got ${header.projSize}`,
    );
  }

  let tensors: Map<string, Tensor>;
  let tensorSource: string;
  if (typeof file.weights === "string") {
    const weightsPath = await resolveWeightsPath(modelPath, file.weights);
    tensorSource = `${source} -> ${file.weights}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(weightsPath);
    } catch (error) {
      throw new UserError(
        `${source}: weights: cannot read ${file.weights} (${(error as Error).message})`,
      );
    }
    tensors = readSafetensors(bytes, tensorSource);
  } else {
    tensorSource = source;
    tensors = new Map();
    for (const [name, tensorValue] of Object.entries(file.weights)) {
      tensors.set(name, inlineTensor(tensorValue, `${source}: weights.${name}`));
    }
  }
  // Peepholes may also be given as top-level fields peephole_lK.
  for (let layer = 0; layer < header.numLayers; layer++) {
    const key = `peephole_l${layer}`;
    if (key in file) {
      if (tensors.has(key)) {
        throw new UserError(`${source}: ${key}: given both at the top level and among the weights`);
      }
      tensors.set(key, inlineTensor(file[key], `${source}: ${key}`));
    }
  }

  const expected = expectedTensors(header);
  const hasAnyBias = Array.from(tensors.keys()).some((name) => name.startsWith("bias_"));
  const peepholeShape = [3 * header.hiddenSize];
  for (const [name, tensor] of tensors) {
    const peephole = /^peephole_l(\d+)$/.exec(name);
    if (peephole) {
      if (header.kind !== "lstm") {
        throw new UserError(`${tensorSource}: ${name}: only LSTM models have peepholes`);
      }
      if (Number(peephole[1]) >= header.numLayers) {
        throw new UserError(
          `${tensorSource}: ${name}: the model has only ${header.numLayers} layer(s)`,
        );
      }
      if (tensor.shape.join() !== peepholeShape.join()) {
        throw new UserError(
          `${tensorSource}: ${name}: expected shape [${peepholeShape}] (3H, gates i,f,o), got [${tensor.shape}]`,
        );
      }
      continue;
    }
    const shape = expected.get(name);
    if (!shape) {
      throw new UserError(
        `${tensorSource}: ${name}: unexpected tensor for a ${header.numLayers}-layer ${header.kind.toUpperCase()}${
          header.projSize ? " with projection" : ""
        }`,
      );
    }
    if (tensor.shape.join() !== shape.join()) {
      throw new UserError(
        `${tensorSource}: ${name}: expected shape [${shape}], got [${tensor.shape}]`,
      );
    }
  }
  for (const name of expected.keys()) {
    if (tensors.has(name)) continue;
    if (name.startsWith("bias_") && !hasAnyBias) continue; // a model without biases (bias=False)
    throw new UserError(
      `${tensorSource}: ${name}: missing tensor (expected shape [${expected.get(name)}])`,
    );
  }

  const rows = gateCount(header.kind) * header.hiddenSize;
  const layers: LayerWeights[] = [];
  for (let layer = 0; layer < header.numLayers; layer++) {
    const get = (name: string) => tensors.get(`${name}_l${layer}`);
    layers.push({
      weightIh: toMatrix(get("weight_ih")!),
      weightHh: toMatrix(get("weight_hh")!),
      biasIh: get("bias_ih")?.data ?? new Float64Array(rows),
      biasHh: get("bias_hh")?.data ?? new Float64Array(rows),
      weightHr: header.projSize > 0 ? toMatrix(get("weight_hr")!) : undefined,
      peephole: get("peephole")?.data,
    });
  }
  return {
    kind: header.kind,
    inputSize: header.inputSize,
    hiddenSize: header.hiddenSize,
    numLayers: header.numLayers,
    projSize: header.projSize,
    layers,
  };
}

/** Load and validate a model file (JSON, weights inline or in a safetensors file beside it). */
export async function loadModel(path: string): Promise<RnnModel> {
  return parseModelJson(await readJsonFile(path, "model file"), path);
}

/** The model's tensors under their PyTorch state-dict names (plus peephole_lK). */
export function modelTensors(model: RnnModel): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  const matrix = (m: Matrix): Tensor => ({ shape: [m.rows, m.cols], data: m.data });
  model.layers.forEach((w, layer) => {
    tensors.set(`weight_ih_l${layer}`, matrix(w.weightIh));
    tensors.set(`weight_hh_l${layer}`, matrix(w.weightHh));
    tensors.set(`bias_ih_l${layer}`, { shape: [w.biasIh.length], data: w.biasIh });
    tensors.set(`bias_hh_l${layer}`, { shape: [w.biasHh.length], data: w.biasHh });
    if (w.weightHr) tensors.set(`weight_hr_l${layer}`, matrix(w.weightHr));
    if (w.peephole) {
      tensors.set(`peephole_l${layer}`, { shape: [w.peephole.length], data: w.peephole });
    }
  });
  return tensors;
}

function nested(tensor: Tensor): number[] | number[][] {
  if (tensor.shape.length === 1) return Array.from(tensor.data);
  const [rows, cols] = tensor.shape;
  return Array.from(
    { length: rows },
    (_, r) => Array.from(tensor.data.subarray(r * cols, (r + 1) * cols)),
  );
}

/** The JSON form of a model with inline weights (or a weights path when `weightsPath` is given). */
export function modelToJson(model: RnnModel, weightsPath?: string): Record<string, unknown> {
  const head: Record<string, unknown> = {
    format: "rnnfab-model",
    version: 1,
    kind: model.kind,
    inputSize: model.inputSize,
    hiddenSize: model.hiddenSize,
    numLayers: model.numLayers,
    projSize: model.projSize,
  };
  if (weightsPath) return { ...head, weights: weightsPath };
  const weights: Record<string, unknown> = {};
  for (const [name, tensor] of modelTensors(model)) weights[name] = nested(tensor);
  return { ...head, weights };
}

/** Options of `saveModel`. */
export interface SaveModelOptions {
  /** Store weights in `<name>.safetensors` beside the JSON file instead of inline. */
  safetensors?: boolean;
}

/** Save a model file atomically (and its safetensors file, when asked). */
export async function saveModel(
  model: RnnModel,
  path: string,
  options: SaveModelOptions = {},
): Promise<void> {
  if (options.safetensors) {
    const weightsName = basename(path).replace(/\.json$/i, "") + ".safetensors";
    await writeFileAtomic(
      resolve(dirname(path), weightsName),
      writeSafetensors(modelTensors(model)),
    );
    await writeFileAtomic(path, JSON.stringify(modelToJson(model, weightsName), null, 2) + "\n");
  } else {
    await writeFileAtomic(path, JSON.stringify(modelToJson(model)) + "\n");
  }
}
