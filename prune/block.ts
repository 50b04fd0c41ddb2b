/**
 * Block shapes and block grids shared by BCR pruning, load balancing and structure detection:
 * parsing and printing "RxC" ("all" for a whole dimension), clipping a block to a matrix, and the
 * grid of blocks that tiles a matrix.
 *
 * @module
 */

import { type Matrix, namedMatrices, type RnnModel } from "../model/model.ts";

/** A block shape. `Infinity` in a field means "the whole dimension of the matrix". */
export interface BlockSize {
  /** Rows per block (the last block row of a matrix may be shorter). */
  rows: number;
  /** Columns per block (the last block column of a matrix may be narrower). */
  cols: number;
}

/** Tolerance of the keep-count arithmetic (fractions times sizes). */
export const EPSILON = 1e-9;

/** Whole-dimension-aware clip of a block to a matrix. */
export function clipBlock(block: BlockSize, matrix: Pick<Matrix, "rows" | "cols">): BlockSize {
  return {
    rows: Math.max(1, Math.min(block.rows, matrix.rows)),
    cols: Math.max(1, Math.min(block.cols, matrix.cols)),
  };
}

/** "16x16", with "all" for a whole dimension. */
export function formatBlock(block: BlockSize): string {
  const side = (n: number) => Number.isFinite(n) ? String(n) : "all";
  return `${side(block.rows)}x${side(block.cols)}`;
}

/**
 * Parse "RxC" (R, C positive integers or "all" for the whole dimension); null when malformed.
 */
export function parseBlock(text: string): BlockSize | null {
  const match = /^\s*([0-9]+|all)\s*[xX]\s*([0-9]+|all)\s*$/.exec(text);
  if (!match) return null;
  const side = (s: string) => s === "all" ? Infinity : Number(s);
  const block = { rows: side(match[1]), cols: side(match[2]) };
  return block.rows >= 1 && block.cols >= 1 ? block : null;
}

/**
 * The names of matrices a block does not fit in (block rows > matrix rows or block cols > matrix
 * cols; "all" always fits), each with its shape, e.g. "weight_ih_l0 (32x3)".
 */
export function checkBlockFits(model: RnnModel, block: BlockSize): string[] {
  return namedMatrices(model)
    .filter(({ matrix }) =>
      (Number.isFinite(block.rows) && block.rows > matrix.rows) ||
      (Number.isFinite(block.cols) && block.cols > matrix.cols)
    )
    .map(({ name, matrix }) => `${name} (${matrix.rows}x${matrix.cols})`);
}

/** The block grid of a matrix. */
export interface Grid {
  /** Matrix rows. */
  rows: number;
  /** Matrix columns. */
  cols: number;
  /** Rows per block (clipped to the matrix). */
  blockRows: number;
  /** Columns per block (clipped to the matrix). */
  blockCols: number;
  /** Block rows in the grid. */
  gridRows: number;
  /** Block columns in the grid. */
  gridCols: number;
}

/** The grid of `block`-shaped blocks over a matrix (edge blocks may be smaller). */
export function makeGrid(matrix: Pick<Matrix, "rows" | "cols">, block: BlockSize): Grid {
  const clipped = clipBlock(block, matrix);
  return {
    rows: matrix.rows,
    cols: matrix.cols,
    blockRows: clipped.rows,
    blockCols: clipped.cols,
    gridRows: Math.ceil(matrix.rows / clipped.rows),
    gridCols: Math.ceil(matrix.cols / clipped.cols),
  };
}

/** Rows of the blocks in block row `gridRow` (the last may be shorter). */
export function blockRowCount(grid: Grid, gridRow: number): number {
  return Math.min(grid.blockRows, grid.rows - gridRow * grid.blockRows);
}

/** Columns of the blocks in block column `gridCol` (the last may be narrower). */
export function blockColCount(grid: Grid, gridCol: number): number {
  return Math.min(grid.blockCols, grid.cols - gridCol * grid.blockCols);
}

/** Throw a RangeError unless `value` is in (0, 1]. */
export function validateFraction(value: number, what: string): void {
  if (!(value > 0 && value <= 1)) throw new RangeError(`${what} must be in (0, 1], got ${value}`);
}
