/**
 * The accumulator width of the fixed-point model (docs/fixed-point.md, "The accumulator width"):
 * derived from the quantized weights, the largest sum any accumulator row can form.
 *
 * @module
 */

import type { RnnKind } from "./model.ts";

/** A row-major integer matrix (model/fixed.ts IntMatrix). */
interface IntegerRows {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

/**
 * What the accumulator width depends on: a quantized model's (model/fixed.ts QuantizedModel)
 * cell, size, formats and integers.
 */
export interface AccumulatorModel {
  /** Cell type. */
  kind: RnnKind;
  /** Cells per layer. */
  hiddenSize: number;
  /** The formats: weight width and fraction, activation width. */
  format: { weightBits: number; weightFrac: number; activationBits: number };
  /** Quantized layers, in the accumulator-row layout of docs/fixed-point.md. */
  layers: readonly {
    weightIh: IntegerRows;
    weightHh: IntegerRows;
    weightHr?: IntegerRows;
    bias: ArrayLike<number>;
    peephole?: ArrayLike<number>;
  }[];
}

/** Sum of |value| over one row of an integer matrix. */
function rowMagnitude(matrix: IntegerRows, row: number): number {
  let sum = 0;
  for (let k = row * matrix.cols; k < (row + 1) * matrix.cols; k++) sum += Math.abs(matrix.data[k]);
  return sum;
}

/** The bounds of one layer's accumulator rows (accumulatorRowBounds). */
export interface LayerAccumulatorBounds {
  /** The 4H gate rows, in accumulator-row order (LSTM i, f, g, o; GRU r, z, xn, hn). */
  gates: Float64Array;
  /** The P projection rows (empty without a projection). */
  projection: Float64Array;
}

/**
 * The largest magnitude each accumulator row of a quantized model can reach, for every input
 * (docs/fixed-point.md, "The accumulator width"): |bias| << WF plus the sum of the row's |weights|
 * (and, LSTM, its peephole's) times 2^(AB-1), the largest activation magnitude. Every value an
 * accumulator multiplies is an AB-bit activation (inputs, outputs, cell states, delta's
 * last-sent values), so every partial sum, in any order, stays within it too.
 */
export function accumulatorRowBounds(
  model: AccumulatorModel,
): LayerAccumulatorBounds[] {
  const hidden = model.hiddenSize;
  const biasScale = 2 ** model.format.weightFrac;
  const largestActivation = 2 ** (model.format.activationBits - 1);
  const bound = (weights: number, bias: number) =>
    weights * largestActivation + Math.abs(bias) * biasScale;
  // LSTM peephole p_i, p_f, p_o (stored i, f, o) of gate rows i, f, g, o
  const peepholeSlot = [0, 1, -1, 2];
  return model.layers.map((layer) => {
    const gates = new Float64Array(4 * hidden);
    for (let r = 0; r < layer.weightIh.rows; r++) {
      const gate = Math.floor(r / hidden);
      const cell = r % hidden;
      const input = rowMagnitude(layer.weightIh, r);
      const recurrent = rowMagnitude(layer.weightHh, r);
      if (model.kind === "gru" && gate === 2) {
        // rows xn (input part of n, bias b_in) and hn (recurrent part, bias b_hn)
        gates[r] = bound(input, layer.bias[r]);
        gates[r + hidden] = bound(recurrent, layer.bias[r + hidden]);
        continue;
      }
      const slot = peepholeSlot[gate];
      const peephole = layer.peephole && slot >= 0
        ? Math.abs(layer.peephole[slot * hidden + cell])
        : 0;
      gates[r] = bound(input + recurrent + peephole, layer.bias[r]);
    }
    const weightHr = layer.weightHr;
    const projection = Float64Array.from(
      { length: weightHr?.rows ?? 0 },
      (_, r) => bound(rowMagnitude(weightHr!, r), 0),
    );
    return { gates, projection };
  });
}

/** The largest of accumulatorRowBounds: what the accumulator width must hold. */
export function accumulatorBound(
  model: AccumulatorModel,
): number {
  let largest = 0;
  for (const { gates, projection } of accumulatorRowBounds(model)) {
    for (const value of [...gates, ...projection]) largest = Math.max(largest, value);
  }
  return largest;
}

/**
 * The accumulator width of a quantized model (docs/fixed-point.md): signed, wide enough for its
 * accumulatorBound, and at least WB + AB + 1, the width of a weight times a delta.
 */
export function accumulatorBitsFor(
  model: AccumulatorModel,
): number {
  const { weightBits, activationBits } = model.format;
  const magnitudeBits = Math.ceil(Math.log2(accumulatorBound(model) + 1));
  return Math.max(weightBits + activationBits + 1, magnitudeBits + 1);
}
