/**
 * The segments the encoder packs for N PEs: a quantized model's weight matrices in the row order
 * the PEs want and cut the way they walk them. Each gate's H rows are padded to K*N rows
 * (K = ceil(H / N)), so that the encoders' plain interleaving rule (row r to PE r mod N, local row
 * r div N) gives every PE all gate rows of its cells (docs/architecture.md, "How the model maps
 * onto the PEs"); for `bcr` every matrix is cut into segments one block column wide. When N
 * divides H the padding adds nothing and the rows keep PyTorch's order.
 *
 * @module
 */

import type { IntMatrix, QuantizedModel } from "../model/fixed.ts";
import { gateCount } from "../model/model.ts";
import type { Segment } from "./image.ts";
import type { EncodingFormat } from "./manifest.ts";

/** Which part of a layer's work a segment belongs to. */
export type SegmentPart = "x" | "h" | "proj";

/** A segment as the hardware walks it, with where it came from. */
export interface HardwareSegment extends Segment {
  /** Layer index. */
  layer: number;
  /** x: W_ih columns (phase A, input part); h: W_hh (phase A, recurrent part); proj: W_hr. */
  part: SegmentPart;
  /** First column of the segment within its matrix (bcr segments are one block column wide). */
  columnOffset: number;
}

/**
 * Cells per PE when `hidden` cells are spread over `pes` PEs: K = ceil(H / N), rounded up to a
 * multiple of the MAC lanes L (the PE banks its accumulators by local cell mod L).
 */
export function cellsPerPe(hidden: number, pes: number, lanes = 1): number {
  return lanes * Math.ceil(Math.ceil(hidden / pes) / lanes);
}

/**
 * Where each cell of a layer sits in hardware order with L MAC lanes: `positions[j]` is the
 * hardware cell j' (PE j' mod N, local cell k = j' div N) of model cell j. Positions 0..H-1 are
 * filled (the broadcaster sends a vector's first H elements); a PE's local cells form lines of L
 * (k div L), and the lines are filled with consecutive model cells, line 0 of PE 0, line 0 of
 * PE 1, ..., then line 1, so that the L rows of one line are consecutive rows of a gate, the rows
 * of one pruning block that share its kept columns. With L = 1 it is the identity.
 */
export function cellPositions(hidden: number, pes: number, lanes: number): Int32Array {
  const positions = new Int32Array(hidden);
  const perPe = (pe: number) => (hidden > pe ? Math.ceil((hidden - pe) / pes) : 0);
  let cell = 0;
  for (let line = 0; cell < hidden; line++) {
    for (let pe = 0; pe < pes && cell < hidden; pe++) {
      for (let k = line * lanes; k < Math.min(perPe(pe), (line + 1) * lanes); k++) {
        positions[cell++] = k * pes + pe;
      }
    }
  }
  return positions;
}

/**
 * Whether layer `layer`'s cells are reordered by `cellPositions` with L lanes: always with a
 * projection (the cells feed only the projection), else every layer but the last, whose h is the
 * model's output and keeps its order (its rows stay interleaved).
 */
export function reorderedLayer(model: QuantizedModel, layer: number, lanes: number): boolean {
  return lanes > 1 && (model.projSize > 0 || layer < model.numLayers - 1);
}

/** The hardware cell of each model cell of every layer (identity where not reordered). */
export function layerCellPositions(
  model: QuantizedModel,
  pes: number,
  lanes: number,
): Int32Array[] {
  const hidden = model.hiddenSize;
  const identity = Int32Array.from({ length: hidden }, (_, j) => j);
  const reordered = cellPositions(hidden, pes, lanes);
  return model.layers.map((_, l) => reorderedLayer(model, l, lanes) ? reordered : identity);
}

/**
 * Rows of a gate matrix in hardware order: the G gate groups of H rows are each padded to
 * `padded` = K*N rows, so that global row g*K*N + j (cell j of gate g) lands, by the encoders'
 * plain interleaving rule (row r -> PE r mod N, local row r div N), in PE j mod N at local row
 * g*K + j div N: every PE owns all gate rows of its cells.
 */
export function paddedGateMatrix(
  matrix: IntMatrix,
  gates: number,
  hidden: number,
  padded: number,
  positions?: ArrayLike<number>,
): IntMatrix {
  const { cols } = matrix;
  const data = new Int32Array(gates * padded * cols);
  for (let g = 0; g < gates; g++) {
    for (let j = 0; j < hidden; j++) {
      const from = (g * hidden + j) * cols;
      const to = positions ? positions[j] : j;
      data.set(matrix.data.subarray(from, from + cols), (g * padded + to) * cols);
    }
  }
  return { rows: gates * padded, cols, data };
}

/** A matrix whose column c moves to column positions[c] (a vector in hardware order). */
export function reorderColumns(matrix: IntMatrix, positions: ArrayLike<number>): IntMatrix {
  const { rows, cols } = matrix;
  const data = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[r * cols + positions[c]] = matrix.data[r * cols + c];
  }
  return { rows, cols, data };
}

/** Columns [start, end) of a matrix. */
function columnSlice(matrix: IntMatrix, start: number, end: number): IntMatrix {
  const cols = end - start;
  const data = new Int32Array(matrix.rows * cols);
  for (let r = 0; r < matrix.rows; r++) {
    data.set(matrix.data.subarray(r * matrix.cols + start, r * matrix.cols + end), r * cols);
  }
  return { rows: matrix.rows, cols, data };
}

/**
 * The segments of a model on `pes` PEs, in the order every time step walks them: per layer, the
 * input part of the gate matrix (`weight_ih_l{l}`), its recurrent part (`weight_hh_l{l}`), then
 * the projection (`weight_hr_l{l}`). For `bcr` each matrix is cut into segments `blockCols` wide
 * (named `weight_ih_l0[0:4]`, ...), so that a PE needs the broadcast columns in increasing order.
 * With L MAC lanes (bcr) the cells of a layer take the hardware order of `layerCellPositions`:
 * its gate rows, and the columns that read its cells (its own W_hh without a projection, its
 * W_hr, the next layer's W_ih without a projection), move with them.
 */
export function hardwareSegments(
  model: QuantizedModel,
  pes: number,
  format: EncodingFormat,
  blockCols: number,
  lanes = 1,
): HardwareSegment[] {
  const segments: HardwareSegment[] = [];
  const push = (name: string, layer: number, part: SegmentPart, matrix: IntMatrix) => {
    if (format === "ese") {
      segments.push({ name, layer, part, columnOffset: 0, matrix });
      return;
    }
    for (let start = 0; start < matrix.cols; start += blockCols) {
      const end = Math.min(matrix.cols, start + blockCols);
      segments.push({
        name: `${name}[${start}:${end}]`,
        layer,
        part,
        columnOffset: start,
        matrix: columnSlice(matrix, start, end),
      });
    }
  };
  const gates = gateCount(model.kind);
  const hidden = model.hiddenSize;
  const padded = cellsPerPe(hidden, pes, lanes) * pes;
  const positions = layerCellPositions(model, pes, lanes);
  const proj = model.projSize > 0;
  model.layers.forEach((layer, l) => {
    const rows = (matrix: IntMatrix) =>
      paddedGateMatrix(matrix, gates, hidden, padded, positions[l]);
    const weightIh = l > 0 && !proj
      ? reorderColumns(layer.weightIh, positions[l - 1])
      : layer.weightIh;
    const weightHh = proj ? layer.weightHh : reorderColumns(layer.weightHh, positions[l]);
    push(`weight_ih_l${l}`, l, "x", rows(weightIh));
    push(`weight_hh_l${l}`, l, "h", rows(weightHh));
    if (layer.weightHr) {
      push(`weight_hr_l${l}`, l, "proj", reorderColumns(layer.weightHr, positions[l]));
    }
  });
  return segments;
}
