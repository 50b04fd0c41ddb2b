/**
 * Comparisons between output sequences (T x N real numbers).
 *
 * @module
 */

/** Error of `actual` against `reference`. */
export interface OutputError {
  /** Largest absolute difference. */
  maxAbsError: number;
  /** Root mean square of the differences. */
  rmsError: number;
  /** RMS difference divided by the RMS of the reference (0 when both are zero). */
  relativeRmsError: number;
  /** Cosine similarity of the flattened sequences (1 when both are zero). */
  cosine: number;
}

/** Compare two output sequences of the same shape. */
export function compareOutputs(reference: number[][], actual: number[][]): OutputError {
  if (reference.length !== actual.length) {
    throw new Error(`sequence lengths differ: ${reference.length} vs ${actual.length}`);
  }
  let maxAbsError = 0;
  let squaredError = 0;
  let squaredReference = 0;
  let squaredActual = 0;
  let dot = 0;
  let count = 0;
  reference.forEach((row, t) => {
    if (row.length !== actual[t].length) {
      throw new Error(`step ${t}: widths differ: ${row.length} vs ${actual[t].length}`);
    }
    row.forEach((expected, j) => {
      const got = actual[t][j];
      const difference = got - expected;
      maxAbsError = Math.max(maxAbsError, Math.abs(difference));
      squaredError += difference * difference;
      squaredReference += expected * expected;
      squaredActual += got * got;
      dot += expected * got;
      count++;
    });
  });
  const rmsError = count ? Math.sqrt(squaredError / count) : 0;
  const rmsReference = count ? Math.sqrt(squaredReference / count) : 0;
  const norms = Math.sqrt(squaredReference * squaredActual);
  return {
    maxAbsError,
    rmsError,
    relativeRmsError: rmsReference > 0 ? rmsError / rmsReference : rmsError === 0 ? 0 : Infinity,
    cosine: norms > 0 ? dot / norms : squaredReference === squaredActual ? 1 : 0,
  };
}
