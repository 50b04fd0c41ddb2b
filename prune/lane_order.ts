/**
 * Lane order of a model's weight matrices for lane-aware pruning (`prune --pes N --lanes L`): the
 * rows as the PEs' weight words hold them (`modelLaneOrder` of balance.ts), and the matrix in that
 * order.
 *
 * @module
 */

import { gateCount, type Matrix, type RnnModel } from "../model/model.ts";
import { modelLaneOrder } from "./balance.ts";

/** A weight matrix's rows in lane order (`modelLaneOrder`; gate matrices by their gates). */
export function matrixLaneOrder(
  rows: number,
  name: string,
  model: RnnModel,
  pes: number,
  lanes: number,
): { order: Int32Array; groups: Int32Array } {
  const gate = name.startsWith("weight_ih") || name.startsWith("weight_hh")
    ? { gates: gateCount(model.kind), hidden: model.hiddenSize }
    : null;
  return modelLaneOrder(rows, gate, pes, lanes);
}

/** The matrix with row `order[i]` at row i. */
export function permuteRows(matrix: Matrix, order: Int32Array): Float64Array {
  const { cols } = matrix;
  const permuted = new Float64Array(matrix.rows * cols);
  order.forEach((row, i) =>
    permuted.set(matrix.data.subarray(row * cols, (row + 1) * cols), i * cols)
  );
  return permuted;
}

/**
 * A model's weight matrix as `prune --pes N --lanes L` tiles it: rows in lane order (the lines of
 * L rows one weight word holds, consecutive), so that BCR blocks of the lane-aware pruning are
 * blocks of this matrix (for checks such as `detectBcr`).
 */
export function laneOrderedMatrix(
  matrix: Matrix,
  options: { name: string; model: RnnModel; pes: number; lanes: number },
): Matrix {
  const { name, model, pes, lanes } = options;
  const { order } = matrixLaneOrder(matrix.rows, name, model, pes, lanes);
  return { rows: matrix.rows, cols: matrix.cols, data: permuteRows(matrix, order) };
}
