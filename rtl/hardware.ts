/**
 * The hardware view of a quantized model: how cells, accumulator rows and vector elements are
 * spread over the PEs (the geometry), the per-layer matrices in the row order the PEs want (the
 * "hardware matrices", cut into the segments the encoder packs), and the small memories the PEs
 * hold besides the weights (biases, peepholes, activation tables). See docs/architecture.md.
 *
 * @module
 */

import { activationTable, type IntMatrix, type QuantizedModel } from "../model/fixed.ts";
import { gateCount, layerInputSize, outputSize } from "../model/model.ts";
import type { Segment } from "../encode/mod.ts";
import type { HardwareFormat } from "./config.ts";

/** How a model maps onto N PEs. Element e of any vector lives in PE e mod N at e div N. */
export interface Geometry {
  /** Number of PEs N. */
  pes: number;
  /** Gate rows per cell in W_ih / W_hh: 4 (LSTM i,f,g,o) or 3 (GRU r,z,n). */
  gates: number;
  /** Cells per PE: K = ceil(H / N). */
  cellsPerPe: number;
  /** H padded to a multiple of N: K * N (each gate's rows are padded to this). */
  paddedHidden: number;
  /** Projection rows per PE: ceil(P / N); 1 without a projection (unused). */
  projRowsPerPe: number;
  /** Output elements per PE: ceil(outputSize / N). */
  outputsPerPe: number;
  /** Input size of each layer. */
  layerInputs: number[];
  /** Output size of a layer (P with a projection, else H). */
  outputSize: number;
  /** Longest vector broadcast in one phase: max(I_l + O, H with a projection). */
  longestPhase: number;
}

/** Compute the geometry of a model on `pes` PEs. */
export function modelGeometry(model: QuantizedModel, pes: number): Geometry {
  const cellsPerPe = Math.ceil(model.hiddenSize / pes);
  const out = outputSize(model);
  const layerInputs = Array.from({ length: model.numLayers }, (_, l) => layerInputSize(model, l));
  const longestPhase = Math.max(
    ...layerInputs.map((size) => size + out),
    model.projSize > 0 ? model.hiddenSize : 0,
  );
  return {
    pes,
    gates: gateCount(model.kind),
    cellsPerPe,
    paddedHidden: cellsPerPe * pes,
    projRowsPerPe: model.projSize > 0 ? Math.ceil(model.projSize / pes) : 1,
    outputsPerPe: Math.ceil(out / pes),
    layerInputs,
    outputSize: out,
    longestPhase,
  };
}

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
 * Rows of a gate matrix in hardware order: the G gate groups of H rows are each padded to
 * K*N rows, so that global row g*K*N + j (cell j of gate g) lands, by the encoders' plain
 * interleaving rule (row r -> PE r mod N, local row r div N), in PE j mod N at local row
 * g*K + j div N: every PE owns all gate rows of its cells.
 */
export function paddedGateMatrix(matrix: IntMatrix, gates: number, hidden: number, padded: number) {
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
 * The segments of a model in the order every time step walks them: per layer, the input part of
 * the gate matrix, its recurrent part, then the projection. For `bcr` each matrix is cut into
 * segments one block column wide, so that a PE needs the broadcast columns in increasing order.
 */
export function hardwareSegments(
  model: QuantizedModel,
  geometry: Geometry,
  format: HardwareFormat,
  blockCols: number,
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
  const { gates, paddedHidden } = geometry;
  model.layers.forEach((layer, l) => {
    push(
      `weight_ih_l${l}`,
      l,
      "x",
      paddedGateMatrix(layer.weightIh, gates, model.hiddenSize, paddedHidden),
    );
    push(
      `weight_hh_l${l}`,
      l,
      "h",
      paddedGateMatrix(layer.weightHh, gates, model.hiddenSize, paddedHidden),
    );
    if (layer.weightHr) push(`weight_hr_l${l}`, l, "proj", layer.weightHr);
  });
  return segments;
}

/** A memory the generator writes besides the encoder's weight images. */
export interface AuxMemory {
  /** File name in mem/. */
  file: string;
  /** What it holds. */
  kind: "bias" | "peephole" | "sigmoid" | "tanh";
  /** Owning PE, or null for the shared tables. */
  pe: number | null;
  /** Words. */
  depth: number;
  /** Word width in bits. */
  width: number;
  /** depth * width. */
  bits: number;
  /** The words (unsigned, two's complement folded), as BigInt because words may be wide. */
  words: bigint[];
}

/** Fold signed fields (listed high to low) into one unsigned word. */
export function packSignedFields(fields: number[], width: number): bigint {
  let word = 0n;
  const mask = (1n << BigInt(width)) - 1n;
  for (const value of fields) word = (word << BigInt(width)) | (BigInt(value) & mask);
  return word;
}

/**
 * Per-PE bias and peephole ROMs and the two activation tables. Bias word of PE p at address
 * l*K + k (cell j = k*N + p): {b3, b2, b1, b0}, the four accumulator-row biases (LSTM i,f,g,o;
 * GRU r,z,xn,hn). Peephole word: {p_o, p_f, p_i}. Cells beyond H hold zeros.
 */
export function auxMemories(model: QuantizedModel, geometry: Geometry): AuxMemory[] {
  const { pes, cellsPerPe } = geometry;
  const { activationBits: ab, weightBits: wb } = model.format;
  const hidden = model.hiddenSize;
  const memories: AuxMemory[] = [];
  const hasPeepholes = model.layers.some((layer) => layer.peephole !== undefined);
  for (let pe = 0; pe < pes; pe++) {
    const bias: bigint[] = [];
    const peephole: bigint[] = [];
    for (const layer of model.layers) {
      for (let k = 0; k < cellsPerPe; k++) {
        const j = k * pes + pe;
        const inside = j < hidden;
        const rowBias = (g: number) => inside ? layer.bias[g * hidden + j] : 0;
        bias.push(packSignedFields([rowBias(3), rowBias(2), rowBias(1), rowBias(0)], ab));
        const p = (g: number) => inside && layer.peephole ? layer.peephole[g * hidden + j] : 0;
        peephole.push(packSignedFields([p(2), p(1), p(0)], wb));
      }
    }
    memories.push(memory(`pe${pe}_bias.hex`, "bias", pe, 4 * ab, bias));
    if (hasPeepholes) {
      memories.push(memory(`pe${pe}_peephole.hex`, "peephole", pe, 3 * wb, peephole));
    }
  }
  for (const fn of ["sigmoid", "tanh"] as const) {
    const table = Array.from(activationTable(fn, model.format), (v) => packSignedFields([v], ab));
    memories.push(memory(`${fn}.hex`, fn, null, ab, table));
  }
  return memories;
}

function memory(
  file: string,
  kind: AuxMemory["kind"],
  pe: number | null,
  width: number,
  words: bigint[],
): AuxMemory {
  return { file, kind, pe, depth: words.length, width, bits: words.length * width, words };
}

/** The `$readmemh` text of wide words: exactly ceil(width/4) lowercase hex digits per line. */
export function wideHexText(words: readonly bigint[], width: number): string {
  const digits = Math.ceil(width / 4);
  const lines = words.length === 0
    ? ["0".repeat(digits)]
    : words.map((word) => word.toString(16).padStart(digits, "0"));
  return lines.join("\n") + "\n";
}
