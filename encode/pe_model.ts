/**
 * A TypeScript model of the PEs reading their memory images: each PE walks its own memories (ese:
 * pointers, then entries with relative row indices; bcr: headers, row and column indices, then
 * column-major weights) and accumulates exact integer products into its local rows.
 *
 * @module
 */

import type { IntMatrix } from "../model/fixed.ts";
import { walkBcr } from "./bcr.ts";
import { walkEse } from "./ese.ts";
import { type EncodedImage, peRowCount } from "./image.ts";

/**
 * The accumulators of PE `pe` after it multiplies its share of segment `segment` by `vector`
 * (length = the segment's columns): one exact integer per local row u (global row u * pes + pe).
 * Products are summed in the order the PE reads them; every partial sum is an integer below
 * 2^53, so the result is exact.
 */
export function peMatVec(
  image: EncodedImage,
  pe: number,
  segment: number,
  vector: ArrayLike<number>,
): Float64Array {
  const { manifest } = image;
  const seg = manifest.segments[segment];
  if (vector.length !== seg.cols) {
    throw new Error(`${seg.name}: vector has ${vector.length} values, expected ${seg.cols}`);
  }
  const accumulators = new Float64Array(peRowCount(seg.rows, manifest.pes, pe));
  const walk = manifest.format === "ese" ? walkEse : walkBcr;
  walk(image, pe, segment, (local, col, value) => {
    accumulators[local] += value * vector[col];
  });
  return accumulators;
}

/** The full product of segment `segment` and `vector`: every PE's accumulators, rows reassembled. */
export function imageMatVec(
  image: EncodedImage,
  segment: number,
  vector: ArrayLike<number>,
): Float64Array {
  const { pes, segments } = image.manifest;
  const result = new Float64Array(segments[segment].rows);
  for (let pe = 0; pe < pes; pe++) {
    peMatVec(image, pe, segment, vector).forEach((sum, local) => {
      result[local * pes + pe] = sum;
    });
  }
  return result;
}

/** The dense reference product of an integer matrix and a vector (row by row, exact). */
export function denseMatVec(matrix: IntMatrix, vector: ArrayLike<number>): Float64Array {
  const result = new Float64Array(matrix.rows);
  for (let row = 0; row < matrix.rows; row++) {
    let sum = 0;
    for (let col = 0; col < matrix.cols; col++) {
      sum += matrix.data[row * matrix.cols + col] * vector[col];
    }
    result[row] = sum;
  }
  return result;
}
