/**
 * Detection of the BCR structure of an existing (already pruned) matrix: per block, the kept rows
 * and columns and the holes (exact zeros inside them), whether the matrix is BCR for a block
 * shape, and the largest block shapes for which it is.
 *
 * @module
 */

import type { Matrix } from "../model/model.ts";
import { blockColCount, blockRowCount, type BlockSize, clipBlock, makeGrid } from "./block.ts";
import type { BcrBlockPattern } from "./bcr.ts";

/** The BCR structure of one block of an existing matrix. */
export interface BlockStructure extends BcrBlockPattern {
  /** Non-zeros in the block. */
  nonZeros: number;
  /** keptRows x keptCols positions that hold an exact zero (0 for a BCR block). */
  holes: number;
}

/** Summary of `detectBcr`. */
export interface BcrCheck {
  /** Block shape checked (clipped to the matrix). */
  block: BlockSize;
  /**
   * True when, in every block, the non-zeros fill the rectangle of the block's non-zero rows x
   * non-zero columns exactly (no holes). Empty blocks count as BCR.
   */
  isBcr: boolean;
  /** Exact zeros inside the kept rectangles, summed over blocks. */
  holes: number;
  /** Non-zeros / area of the kept rectangles (1 for BCR; 1 when everything is zero). */
  fill: number;
  /** Non-zeros of the matrix. */
  nonZeros: number;
  /** nonZeros / (rows * cols). */
  density: number;
  /** Number of blocks. */
  blocks: number;
  /** Blocks without any non-zero. */
  emptyBlocks: number;
  /** Blocks whose kept rectangle has holes. */
  blocksWithHoles: number;
  /** Kept columns / columns, over non-empty blocks (the effective column keep fraction). */
  colKeep: number;
  /** Kept rows / rows, over non-empty blocks (the effective row keep fraction). */
  rowKeep: number;
}

/**
 * The block structure of a matrix: for every block, its rows with any non-zero (kept rows), its
 * columns with any non-zero (kept columns), its non-zeros and its holes (exact zeros inside
 * kept rows x kept columns).
 */
export function bcrStructure(matrix: Matrix, block: BlockSize): BlockStructure[] {
  const grid = makeGrid(matrix, block);
  const { cols, data } = matrix;
  const out: BlockStructure[] = [];
  for (let gr = 0; gr < grid.gridRows; gr++) {
    for (let gc = 0; gc < grid.gridCols; gc++) {
      const rowStart = gr * grid.blockRows;
      const colStart = gc * grid.blockCols;
      const height = blockRowCount(grid, gr);
      const width = blockColCount(grid, gc);
      const colAny = new Uint8Array(width);
      const keptRows: number[] = [];
      let nonZeros = 0;
      for (let r = rowStart; r < rowStart + height; r++) {
        let rowCount = 0;
        for (let c = 0; c < width; c++) {
          if (data[r * cols + colStart + c] !== 0) {
            rowCount++;
            colAny[c] = 1;
          }
        }
        if (rowCount > 0) keptRows.push(r);
        nonZeros += rowCount;
      }
      const keptCols: number[] = [];
      colAny.forEach((flag, c) => {
        if (flag) keptCols.push(colStart + c);
      });
      out.push({
        rowStart,
        colStart,
        rows: height,
        cols: width,
        keptRows,
        keptCols,
        nonZeros,
        holes: keptRows.length * keptCols.length - nonZeros,
      });
    }
  }
  return out;
}

/**
 * Whether a matrix is BCR for a block shape: in every block the non-zeros fill exactly the
 * rectangle of the block's non-zero rows x non-zero columns. An exact-zero weight inside a kept
 * row and kept column (a "hole") makes the answer false; the count of holes and the fill say how
 * far from BCR the matrix is. Any matrix is BCR for 1 x C and R x 1 blocks.
 */
export function detectBcr(matrix: Matrix, block: BlockSize): BcrCheck {
  const grid = makeGrid(matrix, block);
  const { cols, data } = matrix;
  let holes = 0;
  let nonZeros = 0;
  let emptyBlocks = 0;
  let blocksWithHoles = 0;
  let keptColSum = 0;
  let colSum = 0;
  let keptRowSum = 0;
  let rowSum = 0;
  const colAny = new Uint8Array(cols);
  const keptRowCount = new Int32Array(grid.gridCols);
  const blockNonZeros = new Int32Array(grid.gridCols);
  for (let gr = 0; gr < grid.gridRows; gr++) {
    colAny.fill(0);
    keptRowCount.fill(0);
    blockNonZeros.fill(0);
    const rowStart = gr * grid.blockRows;
    const height = blockRowCount(grid, gr);
    for (let r = rowStart; r < rowStart + height; r++) {
      const base = r * cols;
      for (let gc = 0; gc < grid.gridCols; gc++) {
        const colStart = gc * grid.blockCols;
        const colEnd = colStart + blockColCount(grid, gc);
        let count = 0;
        for (let c = colStart; c < colEnd; c++) {
          if (data[base + c] !== 0) {
            count++;
            colAny[c] = 1;
          }
        }
        if (count > 0) keptRowCount[gc]++;
        blockNonZeros[gc] += count;
      }
    }
    for (let gc = 0; gc < grid.gridCols; gc++) {
      const colStart = gc * grid.blockCols;
      const width = blockColCount(grid, gc);
      let keptColCount = 0;
      for (let c = colStart; c < colStart + width; c++) keptColCount += colAny[c];
      const blockHoles = keptRowCount[gc] * keptColCount - blockNonZeros[gc];
      holes += blockHoles;
      nonZeros += blockNonZeros[gc];
      if (blockHoles > 0) blocksWithHoles++;
      if (blockNonZeros[gc] === 0) {
        emptyBlocks++;
        continue;
      }
      keptColSum += keptColCount;
      colSum += width;
      keptRowSum += keptRowCount[gc];
      rowSum += height;
    }
  }
  const weights = matrix.rows * matrix.cols;
  return {
    block: clipBlock(block, matrix),
    isBcr: holes === 0,
    holes,
    fill: nonZeros + holes > 0 ? nonZeros / (nonZeros + holes) : 1,
    nonZeros,
    density: weights > 0 ? nonZeros / weights : 0,
    blocks: grid.gridRows * grid.gridCols,
    emptyBlocks,
    blocksWithHoles,
    colKeep: colSum > 0 ? keptColSum / colSum : 0,
    rowKeep: rowSum > 0 ? keptRowSum / rowSum : 0,
  };
}

/**
 * The largest power-of-two block shapes (plus the whole dimensions) for which a matrix is BCR:
 * for every block height, the widest block width that still is BCR, keeping only shapes not
 * contained in another one found. BCR-ness is inherited by aligned sub-blocks, so this is the
 * detected block structure of an already pruned matrix.
 */
export function findBcrBlocks(matrix: Matrix): BlockSize[] {
  const sides = (n: number) => {
    const out: number[] = [];
    for (let s = 1; s < n; s *= 2) out.push(s);
    out.push(n);
    return out;
  };
  const found: BlockSize[] = [];
  for (const rows of sides(matrix.rows)) {
    let widest = 0;
    for (const cols of sides(matrix.cols)) {
      if (!detectBcr(matrix, { rows, cols }).isBcr) break;
      widest = cols;
    }
    if (widest > 0) found.push({ rows, cols: widest });
  }
  return found.filter((a) => !found.some((b) => b !== a && b.rows >= a.rows && b.cols >= a.cols));
}
