/**
 * Choosing the `bcr` block when the user does not give one: every candidate block shape (powers
 * of two, and the whole dimension) is scored on the hardware matrices by a quick count of what a
 * PE of the bcr engine does with it (its kept sub-blocks, zeros included, and the reads of its
 * block records), and the shape with the fewest cycles on the most loaded PE wins; ties go to
 * the fewest memory words. For a BCR-pruned model this finds the pruning block (a larger block
 * would include zeros, a smaller one only adds index words), for a dense model one block per
 * matrix.
 *
 * @module
 */

import { z } from "zod";
import type { IntMatrix } from "../model/fixed.ts";
import { laneRowOrder } from "../prune/mod.ts";

/**
 * A scored block shape: its height and width, the approximate engine cycles per step of the most
 * loaded PE, and the weight plus index words over all PEs.
 */
export const blockScoreSchema = z.object({
  rows: z.number().int().positive(),
  cols: z.number().int().positive(),
  maxPeCycles: z.number().nonnegative(),
  words: z.number().int().nonnegative(),
});

/** A scored block shape. */
export type BlockScore = z.infer<typeof blockScoreSchema>;

/**
 * How the bcr block was set: its sides, "given" (both sides given) or "chosen" (`chooseBlock`
 * scored the candidates, keeping a given side), and the winning score (chosen only).
 */
export const blockChoiceSchema = z.object({
  rows: z.number().int().positive(),
  cols: z.number().int().positive(),
  how: z.enum(["given", "chosen"]),
  score: blockScoreSchema.nullable(),
});

/** How the bcr block was set. */
export type BlockChoice = z.infer<typeof blockChoiceSchema>;

/** Candidate sides for a dimension: 1, 2, 4, ... below `size`, and `size` itself. */
export function candidateSides(size: number, largest: number): number[] {
  const sides: number[] = [];
  for (let side = 1; side < size && side <= largest; side *= 2) sides.push(side);
  sides.push(size);
  return sides;
}

/** A matrix as the column indices of its non-zeros, row by row (CSR without values). */
export interface SparsePattern {
  /** Rows. */
  rows: number;
  /** Columns. */
  cols: number;
  /** rowStart[r]..rowStart[r+1] index `columns` for row r. */
  rowStart: Int32Array;
  /** Column of each non-zero, increasing within a row. */
  columns: Int32Array;
}

/** The sparsity pattern of an integer matrix. */
export function sparsePattern(matrix: IntMatrix): SparsePattern {
  const { rows, cols, data } = matrix;
  const rowStart = new Int32Array(rows + 1);
  const columns: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (data[r * cols + c] !== 0) columns.push(c);
    rowStart[r + 1] = columns.length;
  }
  return { rows, cols, rowStart, columns: Int32Array.from(columns) };
}

/**
 * Score one block shape over the patterns (rows interleaved over `pes` PEs, blocks cut in
 * `laneRowOrder`, the rows themselves with one lane): per PE, each block
 * share of R kept lines (with L lanes, local row div L; R kept rows with one lane) and C kept
 * columns costs max(R * C, C, 1 + R) cycles (the MACs, the column reader, the descriptor reader)
 * and R * C + 1 + R + C words; each segment end marker one of each, and each matrix the width of
 * one segment (the engine waits for a segment's columns).
 */
export function scoreBlock(
  patterns: SparsePattern[],
  pes: number,
  blockRows: number,
  blockCols: number,
  lanes = 1,
): BlockScore {
  const peCycles = new Float64Array(pes);
  let words = 0;
  for (const pattern of patterns) {
    const { rows, cols, rowStart, columns } = pattern;
    const br = Math.min(blockRows, rows);
    const bc = Math.min(blockCols, cols);
    const gridCols = Math.ceil(cols / bc);
    const keptCols = new Int32Array(gridCols);
    const columnStamp = new Int32Array(cols).fill(-1);
    const share = new Int32Array(gridCols * pes);
    const blockStamp = new Int32Array(gridCols).fill(-1);
    const lineStamp = new Int32Array(gridCols * pes).fill(-1);
    const touched: number[] = [];
    const order = laneRowOrder(rows, pes, lanes);
    for (let stripe = 0; stripe * br < rows; stripe++) {
      const rowEnd = Math.min(rows, (stripe + 1) * br);
      for (let position = stripe * br; position < rowEnd; position++) {
        const r = order[position];
        const pe = r % pes;
        for (let i = rowStart[r]; i < rowStart[r + 1]; i++) {
          const c = columns[i];
          const k = Math.floor(c / bc);
          if (columnStamp[c] !== stripe) {
            columnStamp[c] = stripe;
            keptCols[k]++;
          }
          const key = k * pes + pe;
          const line = Math.floor(Math.floor(r / pes) / lanes);
          if (blockStamp[k] !== r && (share[key] === 0 || lineStamp[key] !== line)) {
            lineStamp[key] = line;
            if (share[key] === 0) touched.push(key);
            share[key]++;
          }
          blockStamp[k] = r;
        }
      }
      for (const key of touched) {
        const k = Math.floor(key / pes);
        const kept = share[key];
        const c = keptCols[k];
        peCycles[key % pes] += Math.max(kept * c, c, 1 + kept);
        words += kept * c + 1 + kept + c;
        share[key] = 0;
        lineStamp[key] = -1;
      }
      for (const key of touched) keptCols[Math.floor(key / pes)] = 0;
      touched.length = 0;
    }
    // end markers, and the wait for the first segment's columns to be broadcast (the engine
    // follows the broadcast one segment behind at best)
    for (let pe = 0; pe < pes; pe++) peCycles[pe] += gridCols + Math.min(bc, cols);
    words += gridCols * pes;
  }
  return { rows: blockRows, cols: blockCols, maxPeCycles: Math.max(...peCycles), words };
}

/**
 * The best block shape for the matrices: fewest cycles on the most loaded PE, then fewest
 * words. Candidate heights are powers of two up to the tallest matrix (and its height), widths
 * 2..64 (and the widest matrix's width); a given side is kept fixed.
 */
export function chooseBlock(
  matrices: IntMatrix[],
  pes: number,
  fixed: { rows?: number; cols?: number } = {},
  lanes = 1,
): BlockScore {
  const patterns = matrices.map(sparsePattern);
  const tallest = Math.max(...matrices.map((m) => m.rows));
  const widest = Math.max(...matrices.map((m) => m.cols));
  const heights = fixed.rows !== undefined ? [fixed.rows] : candidateSides(tallest, tallest);
  const widths = fixed.cols !== undefined
    ? [fixed.cols]
    : candidateSides(widest, 64).filter((side) => side > 1 || widest === 1);
  let best: BlockScore | null = null;
  for (const rows of heights) {
    for (const cols of widths) {
      const score = scoreBlock(patterns, pes, rows, cols, lanes);
      if (
        best === null || score.maxPeCycles < best.maxPeCycles ||
        (score.maxPeCycles === best.maxPeCycles && score.words < best.words)
      ) {
        best = score;
      }
    }
  }
  return best!;
}
