/**
 * Compact BCR storage of one weight matrix, in the spirit of GRIM's compiler (Niu et al., TPAMI
 * 2022): the matrix is cut into a grid of blocks; inside each block only the rows and the columns
 * that hold a non-zero are kept, and the kept sub-block is stored densely (its kept column indices
 * once, its kept row indices once, then the dense values over those rows and columns, column by
 * column). No per-element index
 * is stored. Blocks are then reordered so that blocks with the same kept-column count (= rows of
 * the same length) form one group, which lets the generated C use a constant trip count per group.
 *
 * The storage is derived from the matrix's non-zero pattern, so it is exact for any matrix: a
 * BCR-pruned matrix whose pruning grid matches (or is a multiple of) the storage grid stores no
 * zeros; any other pattern stores the zeros inside kept sub-blocks explicitly and stays correct.
 *
 * @module
 */

import type { Matrix } from "../model/model.ts";

/** One kept sub-block: its kept rows x its kept columns, stored densely. */
export interface KeptBlock {
  /** Kept row indices (into the whole matrix), ascending. */
  rowIndices: number[];
  /** Kept column indices (into the whole matrix), ascending. */
  columnIndices: number[];
  /**
   * The kept sub-block, column-major: column k (over the kept rows) starts at
   * `k * rowIndices.length`. Column-major lets the kernel update all kept rows with one vector
   * loop per kept column.
   */
  values: Float64Array;
}

/**
 * Blocks of the same shape: the same number of kept rows, all of the same length (the same number
 * of kept columns), so that the kernel's loops over a group have constant trip counts.
 */
export interface BlockShapeGroup {
  /** Number of kept columns of every block of the group (the length of each kept row). */
  rowLength: number;
  /** Number of kept rows of every block of the group. */
  keptRows: number;
  /** The blocks, in grid order (row block, then column block). */
  blocks: KeptBlock[];
}

/** A weight matrix in compact BCR storage. */
export interface BcrMatrix {
  /** Rows of the whole matrix. */
  rows: number;
  /** Columns of the whole matrix. */
  cols: number;
  /** Rows per storage block. */
  blockRows: number;
  /** Columns per storage block. */
  blockCols: number;
  /** Kept blocks grouped by shape: shortest rows first, then fewest rows. */
  groups: BlockShapeGroup[];
  /** Non-zero weights of the matrix. */
  nonZeros: number;
  /** Values stored (kept rows x kept columns, summed over blocks); >= nonZeros. */
  storedValues: number;
  /** Number of kept blocks. */
  keptBlocks: number;
  /** Column indices stored (one per kept column per block). */
  columnIndexCount: number;
  /** Row indices stored (one per kept row per block). */
  rowIndexCount: number;
}

/** Byte sizes of the storage elements (the C kernel's types). */
export const BCR_ELEMENT_BYTES = {
  /** float32 weight value. */
  value: 4,
  /** uint16 column or row index. */
  index: 2,
} as const;

/** Bytes of a BCR matrix in the C kernel's format: values, indices and per-block row counts. */
export function bcrStorageBytes(
  matrix: Pick<BcrMatrix, "storedValues" | "columnIndexCount" | "rowIndexCount" | "keptBlocks">,
): { valueBytes: number; indexBytes: number; totalBytes: number } {
  const valueBytes = matrix.storedValues * BCR_ELEMENT_BYTES.value;
  const indexBytes = (matrix.columnIndexCount + matrix.rowIndexCount) * BCR_ELEMENT_BYTES.index;
  return { valueBytes, indexBytes, totalBytes: valueBytes + indexBytes };
}

/** Counts of a storage grid without building it (used to choose the grid). */
interface GridCounts {
  storedValues: number;
  keptBlocks: number;
  columnIndexCount: number;
  rowIndexCount: number;
}

/** Positions of the non-zeros of a matrix, as parallel arrays. */
function nonZeroPositions(matrix: Matrix): { rows: Int32Array; cols: Int32Array } {
  let count = 0;
  for (const value of matrix.data) if (value !== 0) count++;
  const rows = new Int32Array(count);
  const cols = new Int32Array(count);
  let next = 0;
  for (let r = 0; r < matrix.rows; r++) {
    for (let c = 0; c < matrix.cols; c++) {
      if (matrix.data[r * matrix.cols + c] !== 0) {
        rows[next] = r;
        cols[next] = c;
        next++;
      }
    }
  }
  return { rows, cols };
}

/** Count kept rows, columns and stored values of a grid from the non-zero positions. */
function countGrid(
  matrix: Matrix,
  positions: { rows: Int32Array; cols: Int32Array },
  blockRows: number,
  blockCols: number,
): GridCounts {
  const rowBlocks = Math.ceil(matrix.rows / blockRows);
  const colBlocks = Math.ceil(matrix.cols / blockCols);
  // rowKept[columnBlock * rows + row]: row `row` has a non-zero in block (row / blockRows, cb).
  const rowKept = new Uint8Array(colBlocks * matrix.rows);
  // colKept[rowBlock * cols + col]: column `col` has a non-zero in block (rb, col / blockCols).
  const colKept = new Uint8Array(rowBlocks * matrix.cols);
  for (let n = 0; n < positions.rows.length; n++) {
    const r = positions.rows[n];
    const c = positions.cols[n];
    rowKept[Math.floor(c / blockCols) * matrix.rows + r] = 1;
    colKept[Math.floor(r / blockRows) * matrix.cols + c] = 1;
  }
  let storedValues = 0;
  let keptBlocks = 0;
  let columnIndexCount = 0;
  let rowIndexCount = 0;
  for (let rb = 0; rb < rowBlocks; rb++) {
    for (let cb = 0; cb < colBlocks; cb++) {
      let keptRows = 0;
      for (let r = rb * blockRows; r < Math.min(matrix.rows, (rb + 1) * blockRows); r++) {
        keptRows += rowKept[cb * matrix.rows + r];
      }
      let keptCols = 0;
      for (let c = cb * blockCols; c < Math.min(matrix.cols, (cb + 1) * blockCols); c++) {
        keptCols += colKept[rb * matrix.cols + c];
      }
      if (keptRows === 0) continue;
      keptBlocks++;
      storedValues += keptRows * keptCols;
      rowIndexCount += keptRows;
      columnIndexCount += keptCols;
    }
  }
  return { storedValues, keptBlocks, columnIndexCount, rowIndexCount };
}

/** Candidate block sides for a dimension: powers of two from 4 up to the dimension, and the whole. */
function candidateSides(size: number): number[] {
  const sides: number[] = [];
  for (let side = 4; side < size; side *= 2) sides.push(side);
  sides.push(size);
  return sides;
}

/** Options of {@link toBcrStorage}. */
export interface BcrStorageOptions {
  /** Rows per block; chosen automatically (fewest storage bytes) when absent. */
  blockRows?: number;
  /** Columns per block; chosen automatically (fewest storage bytes) when absent. */
  blockCols?: number;
}

/**
 * Choose the storage grid that needs the fewest bytes (values + indices + block headers) among
 * power-of-two block shapes; ties go to the larger blocks (fewer, longer loops). This is the
 * "parameter auto-tuning" step, on storage size rather than on timed runs.
 */
export function chooseBlockShape(matrix: Matrix): { blockRows: number; blockCols: number } {
  const positions = nonZeroPositions(matrix);
  let best = { blockRows: matrix.rows, blockCols: matrix.cols, bytes: Infinity };
  for (const blockRows of candidateSides(matrix.rows).reverse()) {
    for (const blockCols of candidateSides(matrix.cols).reverse()) {
      const bytes = bcrStorageBytes(countGrid(matrix, positions, blockRows, blockCols)).totalBytes;
      if (bytes < best.bytes) best = { blockRows, blockCols, bytes };
    }
  }
  return { blockRows: best.blockRows, blockCols: best.blockCols };
}

/** Build the compact BCR storage of a matrix (grid chosen by {@link chooseBlockShape} if not given). */
export function toBcrStorage(matrix: Matrix, options: BcrStorageOptions = {}): BcrMatrix {
  if (matrix.rows > 65535 || matrix.cols > 65535) {
    throw new Error(
      `matrix ${matrix.rows}x${matrix.cols} exceeds the 16-bit indices of BCR storage`,
    );
  }
  const chosen = options.blockRows && options.blockCols
    ? { blockRows: options.blockRows, blockCols: options.blockCols }
    : chooseBlockShape(matrix);
  const blockRows = options.blockRows ?? chosen.blockRows;
  const blockCols = options.blockCols ?? chosen.blockCols;
  const byShape = new Map<string, BlockShapeGroup>();
  let nonZeros = 0;
  for (const value of matrix.data) if (value !== 0) nonZeros++;
  for (let rowStart = 0; rowStart < matrix.rows; rowStart += blockRows) {
    const rowEnd = Math.min(matrix.rows, rowStart + blockRows);
    for (let colStart = 0; colStart < matrix.cols; colStart += blockCols) {
      const colEnd = Math.min(matrix.cols, colStart + blockCols);
      const rowIndices: number[] = [];
      const colHasNonZero = new Uint8Array(colEnd - colStart);
      for (let r = rowStart; r < rowEnd; r++) {
        let rowHasNonZero = false;
        for (let c = colStart; c < colEnd; c++) {
          if (matrix.data[r * matrix.cols + c] !== 0) {
            rowHasNonZero = true;
            colHasNonZero[c - colStart] = 1;
          }
        }
        if (rowHasNonZero) rowIndices.push(r);
      }
      if (rowIndices.length === 0) continue;
      const columnIndices: number[] = [];
      colHasNonZero.forEach((kept, offset) => {
        if (kept) columnIndices.push(colStart + offset);
      });
      const values = new Float64Array(rowIndices.length * columnIndices.length);
      rowIndices.forEach((r, i) => {
        columnIndices.forEach((c, k) => {
          values[k * rowIndices.length + i] = matrix.data[r * matrix.cols + c];
        });
      });
      const key = `${columnIndices.length}x${rowIndices.length}`;
      const group = byShape.get(key) ??
        { rowLength: columnIndices.length, keptRows: rowIndices.length, blocks: [] };
      group.blocks.push({ rowIndices, columnIndices, values });
      byShape.set(key, group);
    }
  }
  const groups = [...byShape.values()]
    .sort((a, b) => a.rowLength - b.rowLength || a.keptRows - b.keptRows);
  const all = groups.flatMap((group) => group.blocks);
  return {
    rows: matrix.rows,
    cols: matrix.cols,
    blockRows,
    blockCols,
    groups,
    nonZeros,
    storedValues: all.reduce((sum, b) => sum + b.values.length, 0),
    keptBlocks: all.length,
    columnIndexCount: all.reduce((sum, b) => sum + b.columnIndices.length, 0),
    rowIndexCount: all.reduce((sum, b) => sum + b.rowIndices.length, 0),
  };
}
