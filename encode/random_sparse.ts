/**
 * Deterministic random sparse integer matrices for the encoders' tests and benchmarks: plain
 * random sparsity or BCR-like block structure, with forced empty rows and columns.
 *
 * @module
 */

import type { IntMatrix } from "../model/fixed.ts";
import { seededRandom } from "../model/random.ts";

/** What `randomSparseMatrix` draws. */
export interface SparseMatrixSpec {
  /** Rows. */
  rows: number;
  /** Columns. */
  cols: number;
  /** Probability that a candidate element is non-zero (0..1). */
  density: number;
  /** Fraction of rows forced to zero (0..1). */
  emptyRowRate: number;
  /** Fraction of columns forced to zero (0..1). */
  emptyColRate: number;
  /** "random": each element is a candidate; "blocks": per blockRows x blockCols block, a random
   * subset of columns and of rows is kept and only their crossings are candidates (BCR-like). */
  structure: "random" | "blocks";
  /** Block height for "blocks". */
  blockRows: number;
  /** Block width for "blocks". */
  blockCols: number;
  /** Width of the signed values drawn (non-zero values span the whole range, extremes included). */
  valueBits: number;
  /** Seed of the generator. */
  seed: number;
}

/** A random non-zero value of `bits` signed bits; one draw in eight is an extreme value. */
function nonZeroValue(random: () => number, bits: number): number {
  const min = -(2 ** (bits - 1));
  const max = 2 ** (bits - 1) - 1;
  if (random() < 0.125) return random() < 0.5 ? min : max;
  const span = max - min; // values min..max without 0
  const draw = min + Math.floor(random() * span);
  return draw >= 0 ? draw + 1 : draw;
}

/** Draw a sparse integer matrix as `spec` says (deterministic in `spec.seed`). */
export function randomSparseMatrix(spec: SparseMatrixSpec): IntMatrix {
  const random = seededRandom(spec.seed);
  const { rows, cols } = spec;
  const data = new Int32Array(rows * cols);
  const rowAlive = Array.from({ length: rows }, () => random() >= spec.emptyRowRate);
  const colAlive = Array.from({ length: cols }, () => random() >= spec.emptyColRate);
  const candidate = new Uint8Array(rows * cols);
  if (spec.structure === "random") {
    candidate.fill(1);
  } else {
    for (let rowStart = 0; rowStart < rows; rowStart += spec.blockRows) {
      for (let colStart = 0; colStart < cols; colStart += spec.blockCols) {
        const keepCol = random();
        const keepRow = random();
        const rowEnd = Math.min(rows, rowStart + spec.blockRows);
        const colEnd = Math.min(cols, colStart + spec.blockCols);
        const keptCols: number[] = [];
        for (let col = colStart; col < colEnd; col++) if (random() < keepCol) keptCols.push(col);
        for (let row = rowStart; row < rowEnd; row++) {
          if (random() >= keepRow) continue;
          for (const col of keptCols) candidate[row * cols + col] = 1;
        }
      }
    }
  }
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const position = row * cols + col;
      if (!candidate[position] || !rowAlive[row] || !colAlive[col]) continue;
      if (random() < spec.density) data[position] = nonZeroValue(random, spec.valueBits);
    }
  }
  return { rows, cols, data };
}
