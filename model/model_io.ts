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
import { MAX_MODEL_JSON_BYTES, MAX_SAFETENSORS_BYTES } from "../util/limits.ts";
import { checkDerivedOutput } from "../util/output.ts";
import { readInputBytes, readJsonFile } from "../util/read.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { isRnnfabSafetensors } from "./safetensors_check.ts";
import { readSafetensors, type Tensor, writeSafetensors } from "./safetensors.ts";
import {
  gateCount,
  layerInputSize,
  type LayerWeights,
  type Matrix,
  outputSize,
  type RnnModel,
} from "./model.ts";

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

/** The top-level fields a model file may have (besides peephole_lK). */
const MODEL_FIELDS = Object.keys(modelFileSchema.shape);

/** Refuse unknown top-level fields (a misspelt "projsize" must not be silently ignored). */
function checkTopLevelFields(value: unknown, source: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (!MODEL_FIELDS.includes(key) && !/^peephole_l\d+$/.test(key)) {
      throw new UserError(
        `${source}: unknown field "${key}" (expected ${MODEL_FIELDS.join(", ")} or peephole_lK)`,
      );
    }
  }
}

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
  checkTopLevelFields(value, source);
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
    const bytes = await readInputBytes(
      weightsPath,
      "safetensors weights file",
      MAX_SAFETENSORS_BYTES,
    );
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
  return parseModelJson(await readJsonFile(path, "model file", MAX_MODEL_JSON_BYTES), path);
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
  /**
   * The command writing the model (e.g. "rnnfab prune"), recorded in the safetensors metadata;
   * with it, an existing `.safetensors` beside the output that rnnfab did not write is refused.
   */
  tool?: string;
}

/** The `.safetensors` file `saveModel` writes beside a model file `path`. */
export function safetensorsPathFor(path: string): string {
  return resolve(dirname(path), basename(path).replace(/\.json$/i, "") + ".safetensors");
}

/** Save a model file atomically (and its safetensors file, when asked). */
export async function saveModel(
  model: RnnModel,
  path: string,
  options: SaveModelOptions = {},
): Promise<void> {
  if (options.safetensors) {
    const weightsPath = safetensorsPathFor(path);
    if (options.tool) {
      await checkDerivedOutput(weightsPath, {
        command: options.tool,
        what: "weights file of the model",
        isOurs: isRnnfabSafetensors,
      });
    }
    const metadata = options.tool ? { tool: options.tool } : undefined;
    await writeFileAtomic(weightsPath, writeSafetensors(modelTensors(model), { metadata }));
    await writeFileAtomic(
      path,
      JSON.stringify(modelToJson(model, basename(weightsPath)), null, 2) + "\n",
    );
  } else {
    await writeFileAtomic(path, JSON.stringify(modelToJson(model)) + "\n");
  }
}
