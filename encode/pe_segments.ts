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
): IntMatrix {
  const { cols } = matrix;
  const data = new Int32Array(gates * padded * cols);
  for (let g = 0; g < gates; g++) {
    for (let j = 0; j < hidden; j++) {
      const from = (g * hidden + j) * cols;
      data.set(matrix.data.subarray(from, from + cols), (g * padded + j) * cols);
    }
  }
  return { rows: gates * padded, cols, data };
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
 * With L MAC lanes (bcr) K is a multiple of L (the PE banks its accumulators by cell mod L).
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
  model.layers.forEach((layer, l) => {
    push(`weight_ih_l${l}`, l, "x", paddedGateMatrix(layer.weightIh, gates, hidden, padded));
    push(`weight_hh_l${l}`, l, "h", paddedGateMatrix(layer.weightHh, gates, hidden, padded));
    if (layer.weightHr) push(`weight_hr_l${l}`, l, "proj", layer.weightHr);
  });
  return segments;
}
