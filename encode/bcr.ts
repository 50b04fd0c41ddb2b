/**
 * The `bcr` encoding (block-compact): per block, the PE's kept row indices and the block's kept
 * column indices in an index memory, and the dense kept sub-block, column-major, in the weight
 * memory, so that a PE streams its weights without any per-element index. Bit by bit in
 * `docs/encoding.md`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { bitsFor } from "../util/bits.ts";
import type { IntMatrix } from "../model/fixed.ts";
import {
  bitTotals,
  checkSegments,
  countIntNonZeros,
  type EncodedImage,
  fitsSigned,
  foldSigned,
  memoryFile,
  memoryInfo,
  packFields,
  type PeMemories,
  peRowCount,
  type Segment,
  splitWord,
  unfoldSigned,
} from "./image.ts";
import type { BcrLayout, MemoryInfo, PeSummary, SegmentLayout } from "./manifest.ts";
import type { TermVisitor } from "./ese.ts";

/** Options of `encodeBcr`. */
export interface BcrOptions {
  /** Number of PEs (rows interleaved). */
  pes: number;
  /** Block height Br. */
  blockRows: number;
  /** Block width Bc. */
  blockCols: number;
  /** Width of a weight word (two's complement). */
  weightBits: number;
}

/** Limits of the options (keep every word within 48 bits, exact in a float64). */
export const BCR_LIMITS = {
  weightBits: { min: 2, max: 24 },
  blockSide: { min: 1, max: 2 ** 20 },
} as const;

function checkRange(what: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new UserError(`${what} must be an integer in ${range.min}..${range.max}, got ${value}`);
  }
}

/** The field widths of a `bcr` image of these segments. */
export function bcrLayout(segments: Segment[], options: BcrOptions): BcrLayout {
  const headerRowBits = bitsFor(options.blockRows);
  const headerColBits = bitsFor(options.blockCols);
  const maxCols = Math.max(...segments.map((s) => s.matrix.cols));
  const maxLocalRows = Math.max(...segments.map((s) => peRowCount(s.matrix.rows, options.pes, 0)));
  const columnIndexBits = bitsFor(maxCols - 1);
  const localRowBits = bitsFor(maxLocalRows - 1);
  return {
    indexWidth: Math.max(headerRowBits + headerColBits, columnIndexBits, localRowBits),
    headerRowBits,
    headerColBits,
    columnIndexBits,
    localRowBits,
    weightWidth: options.weightBits,
  };
}

/** Encode segments in the `bcr` format for `options.pes` PEs. */
export function encodeBcr(segments: Segment[], options: BcrOptions): EncodedImage {
  const { pes, blockRows, blockCols, weightBits } = options;
  checkSegments(segments, pes);
  checkRange("block rows", blockRows, BCR_LIMITS.blockSide);
  checkRange("block cols", blockCols, BCR_LIMITS.blockSide);
  checkRange("weight bits", weightBits, BCR_LIMITS.weightBits);
  const layout = bcrLayout(segments, options);
  const endMarker = 0;

  const peMemories: PeMemories[] = Array.from({ length: pes }, () => ({
    weights: [],
    pointers: [],
    index: [],
  }));
  const perPe: PeSummary[] = Array.from(
    { length: pes },
    (_, pe) => ({ pe, rows: 0, nonZeros: 0, entries: 0, zeroEntries: 0 }),
  );
  const layouts: SegmentLayout[] = [];
  let nonZeros = 0;
  for (const { name, matrix } of segments) {
    const { rows, cols, data } = matrix;
    for (const value of data) {
      if (!fitsSigned(value, weightBits)) {
        throw new UserError(`${name}: weight ${value} does not fit ${weightBits}-bit weights`);
      }
    }
    const weightBase = peMemories.map((memory) => memory.weights.length);
    const indexBase = peMemories.map((memory) => memory.index.length);
    const rowKept = new Uint8Array(Math.min(rows, blockRows));
    const colKept = new Uint8Array(Math.min(cols, blockCols));
    for (let rowStart = 0; rowStart < rows; rowStart += blockRows) {
      const rowEnd = Math.min(rows, rowStart + blockRows);
      for (let colStart = 0; colStart < cols; colStart += blockCols) {
        const colEnd = Math.min(cols, colStart + blockCols);
        rowKept.fill(0);
        colKept.fill(0);
        for (let row = rowStart; row < rowEnd; row++) {
          const base = row * cols;
          for (let col = colStart; col < colEnd; col++) {
            if (data[base + col] !== 0) {
              rowKept[row - rowStart] = 1;
              colKept[col - colStart] = 1;
            }
          }
        }
        const keptCols: number[] = [];
        for (let col = colStart; col < colEnd; col++) {
          if (colKept[col - colStart]) keptCols.push(col);
        }
        if (keptCols.length === 0) continue;
        // Each PE's memories are independent, so the PEs of a block may be visited in any order:
        // the rows of the PE owning row rowStart + offset are rowStart + offset + k * pes.
        for (let offset = 0; offset < Math.min(pes, rowEnd - rowStart); offset++) {
          const firstRow = rowStart + offset;
          const pe = firstRow % pes;
          const peRows: number[] = [];
          for (let row = firstRow; row < rowEnd; row += pes) {
            if (rowKept[row - rowStart]) peRows.push(row);
          }
          if (peRows.length === 0) continue;
          const memory = peMemories[pe];
          const summary = perPe[pe];
          memory.index.push(
            packFields([[peRows.length, layout.headerRowBits], [
              keptCols.length,
              layout.headerColBits,
            ]]),
          );
          for (const row of peRows) memory.index.push((row - pe) / pes);
          for (const col of keptCols) memory.index.push(col);
          for (const col of keptCols) {
            for (const row of peRows) {
              const value = data[row * cols + col];
              memory.weights.push(foldSigned(value, weightBits));
              if (value === 0) summary.zeroEntries++;
              else summary.nonZeros++;
            }
          }
        }
      }
    }
    for (let pe = 0; pe < pes; pe++) {
      peMemories[pe].index.push(endMarker);
      perPe[pe].rows += peRowCount(rows, pes, pe);
    }
    const segmentNonZeros = countIntNonZeros(matrix);
    nonZeros += segmentNonZeros;
    layouts.push({
      name,
      rows,
      cols,
      nonZeros: segmentNonZeros,
      pointerBase: null,
      weightBase,
      indexBase,
    });
  }
  for (const summary of perPe) summary.entries = peMemories[summary.pe].weights.length;

  const memories: MemoryInfo[] = [];
  peMemories.forEach((memory, pe) => {
    memories.push(
      memoryInfo(memoryFile(pe, "weights"), "weights", pe, memory.weights.length, weightBits),
    );
    memories.push(
      memoryInfo(memoryFile(pe, "index"), "index", pe, memory.index.length, layout.indexWidth),
    );
  });
  return {
    manifest: {
      format: "bcr",
      pes,
      weightBits,
      indexBits: null,
      codebookBits: null,
      block: { rows: blockRows, cols: blockCols },
      ese: null,
      bcr: layout,
      memories,
      ...bitTotals(memories, nonZeros),
      perPe,
      segments: layouts,
    },
    peMemories,
    codebook: null,
  };
}

/** Throw the error of a malformed image. */
function malformed(message: string): never {
  throw new Error(`malformed bcr image: ${message}`);
}

/**
 * Walk PE `pe`'s share of segment `segment` exactly as the PE hardware does: from the segment's
 * index base, read a header {rowCount, colCount}; stop at {0, 0}; else read rowCount local row
 * indices and colCount column indices, then rowCount x colCount weights column-major from the
 * weight memory, visiting (localRow, col, weight) for each (zeros included).
 */
export function walkBcr(
  image: EncodedImage,
  pe: number,
  segment: number,
  visit: TermVisitor,
): void {
  const { manifest } = image;
  const layout = manifest.bcr;
  if (manifest.format !== "bcr" || !layout) malformed("not a bcr image");
  const seg = manifest.segments[segment];
  const memory = image.peMemories[pe];
  const localRows = peRowCount(seg.rows, manifest.pes, pe);
  let indexAddress = seg.indexBase?.[pe] ?? malformed(`segment ${seg.name} has no index base`);
  let weightAddress = seg.weightBase[pe];
  const read = (what: string): number => {
    if (indexAddress >= memory.index.length) {
      malformed(`PE ${pe} ${seg.name}: index memory ends inside ${what}`);
    }
    return memory.index[indexAddress++];
  };
  for (;;) {
    const header = splitWord(read("a header"), layout.headerColBits);
    const rowCount = header.high;
    const colCount = header.low;
    if (rowCount === 0 && colCount === 0) break;
    if (rowCount === 0 || colCount === 0) malformed(`PE ${pe} ${seg.name}: empty block header`);
    const rowIndices: number[] = [];
    for (let i = 0; i < rowCount; i++) {
      const local = read("row indices");
      if (local >= localRows) malformed(`PE ${pe} ${seg.name}: local row ${local} out of range`);
      rowIndices.push(local);
    }
    const colIndices: number[] = [];
    for (let i = 0; i < colCount; i++) {
      const col = read("column indices");
      if (col >= seg.cols) malformed(`PE ${pe} ${seg.name}: column ${col} out of range`);
      colIndices.push(col);
    }
    if (weightAddress + rowCount * colCount > memory.weights.length) {
      malformed(`PE ${pe} ${seg.name}: weight memory ends inside a block`);
    }
    for (const col of colIndices) {
      for (const local of rowIndices) {
        visit(local, col, unfoldSigned(memory.weights[weightAddress++], layout.weightWidth));
      }
    }
  }
}

/** Rebuild the segments' integer matrices from a `bcr` image. */
export function decodeBcr(image: EncodedImage): Segment[] {
  const { pes, segments } = image.manifest;
  return segments.map((seg, index) => {
    const matrix: IntMatrix = {
      rows: seg.rows,
      cols: seg.cols,
      data: new Int32Array(seg.rows * seg.cols),
    };
    const written = new Uint8Array(seg.rows * seg.cols);
    for (let pe = 0; pe < pes; pe++) {
      walkBcr(image, pe, index, (local, col, value) => {
        const position = (local * pes + pe) * seg.cols + col;
        if (written[position]) {
          malformed(`${seg.name}: element (${local * pes + pe}, ${col}) twice`);
        }
        written[position] = 1;
        matrix.data[position] = value;
      });
    }
    return { name: seg.name, matrix };
  });
}
