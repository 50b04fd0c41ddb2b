/**
 * Exact operation and byte counts of one time step of a model, for the dense model (every weight
 * stored as float32) and for the sparse model (compact BCR storage, as the generated C kernel
 * holds it: float32 values of the kept sub-blocks plus uint16 row and column indices). These
 * counts feed the roofline model (`roofline.ts`) and the effective-throughput figures.
 *
 * What is counted, per time step, over all layers:
 * - `macs`: multiply-accumulates of the matrix-vector products (dense: rows x cols of every
 *   matrix; sparse: the values the kernel stores and multiplies, which equal the non-zeros for a
 *   BCR-pruned model). Two FLOPs each.
 * - `elementwiseFlops`: the additions and multiplications outside the products, as the kernel
 *   computes them (LSTM per cell: 4 bias additions, peepholes 3 multiplications + 3 additions,
 *   c = f*c + i*g 3, m = o*tanh(c) 1; GRU per cell: r, z 1 addition each, n 2, h = (1-z)n + zh 4).
 * - `activations`: sigmoid and tanh evaluations (LSTM 5 per cell, GRU 3 per cell), converted to
 *   FLOPs at `FLOPS_PER_ACTIVATION`.
 * - Bytes: weights in their storage format, index bytes (sparse only), biases and peepholes
 *   (float32), and activation traffic (layer input read, h(t-1) and c(t-1) read, h(t) and c(t)
 *   written, all float32), each once per step: nothing is assumed to stay cached between steps.
 *
 * @module
 */

import {
  gateCount,
  layerInputSize,
  namedMatrices,
  outputSize,
  type RnnModel,
} from "../model/model.ts";
import { bcrStorageBytes, toBcrStorage } from "./bcr_storage.ts";

/** FLOPs charged per sigmoid or tanh (the generated kernel's exp-based evaluation, rounded). */
export const FLOPS_PER_ACTIVATION = 25;

/** Bytes of a float32. */
const FLOAT_BYTES = 4;

/** Per-step work and traffic of one model in one storage format. */
export interface StepCounts {
  /** "dense" (all weights, float32) or "bcr" (compact BCR storage). */
  format: "dense" | "bcr";
  /** Multiply-accumulates of the matrix-vector products. */
  macs: number;
  /** Non-zero weights (the useful part of `macs`). */
  nonZeroWeights: number;
  /** All weights of the dense model (rows x cols summed). */
  denseWeights: number;
  /** Additions and multiplications outside the products. */
  elementwiseFlops: number;
  /** Sigmoid and tanh evaluations. */
  activations: number;
  /** 2 x macs + elementwiseFlops + activations x FLOPS_PER_ACTIVATION. */
  flops: number;
  /** Weight values in their storage format. */
  weightBytes: number;
  /** Index bytes of the storage format (0 for dense). */
  indexBytes: number;
  /** Biases and peepholes (float32). */
  parameterBytes: number;
  /** Inputs, states and outputs read and written (float32). */
  activationBytes: number;
  /** Sum of the four byte counts. */
  totalBytes: number;
  /** flops / totalBytes. */
  arithmeticIntensity: number;
}

/** Element-wise FLOPs and activation evaluations of one step of one layer. */
function elementwiseWork(
  model: RnnModel,
  layer: number,
): { flops: number; activations: number } {
  const cells = model.hiddenSize;
  if (model.kind === "gru") return { flops: 8 * cells, activations: 3 * cells };
  const peepholeFlops = model.layers[layer].peephole ? 6 : 0;
  return { flops: (8 + peepholeFlops) * cells, activations: 5 * cells };
}

/** Bytes of biases, peepholes and activation traffic of one step of one layer. */
function layerTraffic(model: RnnModel, layer: number): { parameters: number; activations: number } {
  const weights = model.layers[layer];
  const gates = gateCount(model.kind) * model.hiddenSize;
  const parameters = (2 * gates + (weights.peephole?.length ?? 0)) * FLOAT_BYTES;
  const input = layerInputSize(model, layer);
  const output = outputSize(model);
  const cellState = model.kind === "lstm" ? 2 * model.hiddenSize : 0;
  // x read, h(t-1) read, h(t) written, c(t-1) read and c(t) written (LSTM).
  const activations = (input + 2 * output + cellState) * FLOAT_BYTES;
  return { parameters, activations };
}

/** Storage summary of one matrix, as `ckernel.ts` reports it (only what the counts need). */
export interface MatrixStorage {
  /** Values stored (kept rows x kept columns over all kept blocks). */
  storedValues: number;
  /** Bytes of the values. */
  valueBytes: number;
  /** Bytes of the indices. */
  indexBytes: number;
}

/**
 * Count one time step of `model` in the given format. For "bcr", `storage` (one entry per
 * matrix in `namedMatrices` order, e.g. `GeneratedKernel.matrices`) avoids recomputing the
 * storage; when absent it is computed with `toBcrStorage` (grid chosen automatically).
 */
export function countStep(
  model: RnnModel,
  format: "dense" | "bcr",
  storage?: MatrixStorage[],
): StepCounts {
  const matrices = namedMatrices(model);
  let denseWeights = 0;
  let nonZeroWeights = 0;
  for (const { matrix } of matrices) {
    denseWeights += matrix.rows * matrix.cols;
    for (const value of matrix.data) if (value !== 0) nonZeroWeights++;
  }
  let macs = denseWeights;
  let weightBytes = denseWeights * FLOAT_BYTES;
  let indexBytes = 0;
  if (format === "bcr") {
    const stored = storage ?? matrices.map(({ matrix }) => {
      const bcr = toBcrStorage(matrix);
      return { storedValues: bcr.storedValues, ...bcrStorageBytes(bcr) };
    });
    if (stored.length !== matrices.length) {
      throw new Error(`storage has ${stored.length} matrices, the model ${matrices.length}`);
    }
    macs = stored.reduce((sum, s) => sum + s.storedValues, 0);
    weightBytes = stored.reduce((sum, s) => sum + s.valueBytes, 0);
    indexBytes = stored.reduce((sum, s) => sum + s.indexBytes, 0);
  }
  let elementwiseFlops = 0;
  let activations = 0;
  let parameterBytes = 0;
  let activationBytes = 0;
  for (let layer = 0; layer < model.numLayers; layer++) {
    const work = elementwiseWork(model, layer);
    elementwiseFlops += work.flops;
    activations += work.activations;
    const traffic = layerTraffic(model, layer);
    parameterBytes += traffic.parameters;
    activationBytes += traffic.activations;
  }
  const flops = 2 * macs + elementwiseFlops + activations * FLOPS_PER_ACTIVATION;
  const totalBytes = weightBytes + indexBytes + parameterBytes + activationBytes;
  return {
    format,
    macs,
    nonZeroWeights,
    denseWeights,
    elementwiseFlops,
    activations,
    flops,
    weightBytes,
    indexBytes,
    parameterBytes,
    activationBytes,
    totalBytes,
    arithmeticIntensity: flops / totalBytes,
  };
}
