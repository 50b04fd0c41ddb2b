/**
 * Renumbering a layer's cells (hidden units): the model with cell `order[c]` of layer l at
 * position c computes the same function. Every weight that belongs to a cell moves with it: its
 * row in each gate block of W_ih and W_hh, its biases and peepholes, and every column that reads
 * its output: W_hr's column with a projection; without one, the layer's own W_hh column and the
 * next layer's W_ih column. So the outputs are unchanged, except where the cells are the model's
 * outputs (the last layer without a projection), which `cellsPermutable` refuses.
 *
 * In fixed point the outputs are the same bits: a cell's arithmetic does not depend on its
 * position, and every sum over cells is an exact integer sum (docs/fixed-point.md), whose order
 * does not matter. In float the sums round in another order (last-bit differences).
 *
 * @module
 */

import { gateCount, type LayerWeights, type Matrix, type RnnModel } from "./model.ts";

/** Whether layer `layer`'s cells may be renumbered without renumbering the model's outputs. */
export function cellsPermutable(model: RnnModel, layer: number): boolean {
  return model.projSize > 0 || layer < model.numLayers - 1;
}

/** Whether `order` is a permutation of 0 .. n - 1. */
export function isPermutation(order: ArrayLike<number>, n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const value = order[i];
    if (!Number.isInteger(value) || value < 0 || value >= n || seen[value]) return false;
    seen[value] = 1;
  }
  return true;
}

/** Rows of each of `blocks` blocks of `size` rows renumbered: row b*size + c from b*size + order[c]. */
function permuteRowBlocks(matrix: Matrix, blocks: number, order: ArrayLike<number>): Matrix {
  const { cols } = matrix;
  const size = order.length;
  const data = new Float64Array(matrix.data.length);
  for (let block = 0; block < blocks; block++) {
    for (let cell = 0; cell < size; cell++) {
      const from = (block * size + order[cell]) * cols;
      data.set(matrix.data.subarray(from, from + cols), (block * size + cell) * cols);
    }
  }
  return { rows: matrix.rows, cols, data };
}

/** A vector of `blocks` blocks renumbered like `permuteRowBlocks`. */
function permuteVectorBlocks(
  vector: Float64Array,
  blocks: number,
  order: ArrayLike<number>,
): Float64Array {
  const size = order.length;
  const out = new Float64Array(vector.length);
  for (let block = 0; block < blocks; block++) {
    for (let cell = 0; cell < size; cell++) {
      out[block * size + cell] = vector[block * size + order[cell]];
    }
  }
  return out;
}

/** Columns renumbered: column c from column order[c] (the matrix has order.length columns). */
function permuteColumns(matrix: Matrix, order: ArrayLike<number>): Matrix {
  const { rows, cols } = matrix;
  const data = new Float64Array(matrix.data.length);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      data[row * cols + col] = matrix.data[row * cols + order[col]];
    }
  }
  return { rows, cols, data };
}

/**
 * The model with layer `layer`'s cells renumbered: new cell c is old cell `order[c]`. Throws
 * when `order` is not a permutation of the layer's cells or the cells are the model's outputs
 * (`cellsPermutable`).
 */
export function permuteCells(model: RnnModel, layer: number, order: ArrayLike<number>): RnnModel {
  const hidden = model.hiddenSize;
  if (!isPermutation(order, hidden)) {
    throw new Error(`permuteCells: expected a permutation of ${hidden} cells`);
  }
  if (!cellsPermutable(model, layer)) {
    throw new Error(`permuteCells: layer ${layer}'s cells are the model's outputs`);
  }
  const gates = gateCount(model.kind);
  const layers = model.layers.map((weights, index): LayerWeights => {
    if (index === layer) {
      const projected = weights.weightHr !== undefined;
      return {
        weightIh: permuteRowBlocks(weights.weightIh, gates, order),
        weightHh: projected
          ? permuteRowBlocks(weights.weightHh, gates, order)
          : permuteColumns(permuteRowBlocks(weights.weightHh, gates, order), order),
        biasIh: permuteVectorBlocks(weights.biasIh, gates, order),
        biasHh: permuteVectorBlocks(weights.biasHh, gates, order),
        weightHr: projected ? permuteColumns(weights.weightHr!, order) : undefined,
        peephole: weights.peephole ? permuteVectorBlocks(weights.peephole, 3, order) : undefined,
      };
    }
    if (index === layer + 1 && model.projSize === 0) {
      return { ...weights, weightIh: permuteColumns(weights.weightIh, order) };
    }
    return weights;
  });
  return { ...model, layers };
}
