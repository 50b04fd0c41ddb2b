/**
 * Lane order of a model's weight matrices for lane-aware pruning (`prune --pes N --lanes L`): the
 * rows as the PEs' weight words hold them (`modelLaneOrder` of balance.ts), and the matrix in that
 * order, and the column balance of a matrix in lines.
 *
 * @module
 */

import { gateCount, type Matrix, type RnnModel } from "../model/model.ts";
import { modelLaneOrder } from "./balance.ts";
import { columnBalanceOf, type ColumnBalanceStats } from "./balance_columns.ts";

/** Where a model's weight matrix goes: its name, the model, the PEs and their MAC lanes. */
export interface MatrixLayout {
  /** State-dict name, e.g. "weight_ih_l0". */
  name: string;
  /** The model (its kind and hidden size give the gate layout). */
  model: RnnModel;
  /** PEs. */
  pes: number;
  /** MAC lanes of a PE. */
  lanes: number;
}

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
 * Column balance (`columnBalanceOf`) of a model's weight matrix on `pes` PEs: with `lanes` > 1 in
 * lines of the lane order (a PE's count of a column is the lines it holds with a non-zero there:
 * the cycles a fired column costs it), with 1 lane in entries (row r to PE r mod pes).
 */
export function matrixColumnBalance(
  matrix: Matrix,
  options: MatrixLayout,
): ColumnBalanceStats {
  const { name, model, pes, lanes } = options;
  if (lanes <= 1) return columnBalanceOf(matrix, pes);
  const { order, groups } = matrixLaneOrder(matrix.rows, name, model, pes, lanes);
  const rowGroups = new Int32Array(matrix.rows);
  order.forEach((row, i) => rowGroups[row] = groups[i]);
  return columnBalanceOf(matrix, pes, rowGroups);
}

/**
 * A model's weight matrix as `prune --pes N --lanes L` tiles it: rows in lane order (the lines of
 * L rows one weight word holds, consecutive), so that BCR blocks of the lane-aware pruning are
 * blocks of this matrix (for checks such as `detectBcr`).
 */
export function laneOrderedMatrix(
  matrix: Matrix,
  options: MatrixLayout,
): Matrix {
  const { name, model, pes, lanes } = options;
  const { order } = matrixLaneOrder(matrix.rows, name, model, pes, lanes);
  return { rows: matrix.rows, cols: matrix.cols, data: permuteRows(matrix, order) };
}
