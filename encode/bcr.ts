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
  checkRange,
  checkSegments,
  decodeSegments,
  type EncodedImage,
  finishImage,
  type ImageBuilder,
  type ImageOptions,
  packFields,
  peRowCount,
  peShare,
  placeSegment,
  type Segment,
  type SegmentWalk,
  splitWord,
  startImage,
  WEIGHT_BITS_LIMIT,
} from "./image.ts";
import { type BcrLayout, MAC_LANE_COUNTS } from "./manifest.ts";
import { type Codebook, codebookWords, weightFieldOf, weightOfField } from "./codes.ts";
import { laneRowOrder } from "../prune/mod.ts";

/** Options of `encodeBcr`. */
export interface BcrOptions extends ImageOptions {
  /** Block height Br. */
  blockRows: number;
  /** Block width Bc. */
  blockCols: number;
  /**
   * MAC lanes L (default 1): a weight word holds L weights, those of the L local rows of one
   * line (local rows line*L .. line*L + L-1), so that one kept column feeds L multipliers.
   */
  lanes?: number;
  /**
   * Optional weight sharing: weight slots then hold codes (`codebook.bits` wide, code 0 = 0) and
   * `weightBits` is the width of a codebook word.
   */
  codebook?: Codebook;
}

/** Limits of the options (keep every word within 48 bits, exact in a float64). */
export const BCR_LIMITS = {
  weightBits: WEIGHT_BITS_LIMIT,
  blockSide: { min: 1, max: 2 ** 20 },
  lanes: MAC_LANE_COUNTS,
} as const;

/**
 * The field widths of a `bcr` image of these segments that the shapes set; the header fields
 * (and so the index width) are set by `fitHeaders` once the block records are known.
 */
export function bcrLayout(segments: Segment[], options: BcrOptions): BcrLayout {
  const headerRowBits = bitsFor(options.blockRows);
  const headerColBits = bitsFor(options.blockCols);
  const maxCols = Math.max(...segments.map((s) => s.matrix.cols));
  const maxLocalRows = Math.max(...segments.map((s) => peRowCount(s.matrix.rows, options.pes, 0)));
  const columnIndexBits = bitsFor(maxCols - 1);
  const localRowBits = bitsFor(Math.ceil(maxLocalRows / (options.lanes ?? 1)) - 1);
  return {
    indexWidth: Math.max(headerRowBits + headerColBits, columnIndexBits, localRowBits),
    headerRowBits,
    headerColBits,
    columnIndexBits,
    localRowBits,
    weightWidth: options.codebook ? options.codebook.bits : options.weightBits,
    maxBlockLines: 0,
  };
}

/** A block record's header: where it is (PE, index address) and its counts. */
interface Header {
  pe: number;
  address: number;
  lines: number;
  cols: number;
}

/**
 * Narrow the header fields to the records: rowCount bits hold the most lines of one record (at
 * least the engine's row-slot depth: ceil(Br / N) with one lane), colCount bits the most kept
 * columns; then write the headers and set the index width (docs/encoding.md, "Changes" 3).
 */
function fitHeaders(
  builder: ImageBuilder,
  layout: BcrLayout,
  fit: { headers: Header[]; blockRows: number; lanes: number },
): void {
  const pes = builder.peMemories.length;
  const mostCols = fit.headers.reduce((most, header) => Math.max(most, header.cols), 1);
  const slots = fit.lanes === 1 ? Math.ceil(fit.blockRows / pes) : 1;
  layout.headerRowBits = bitsFor(Math.max(layout.maxBlockLines, slots));
  layout.headerColBits = bitsFor(mostCols);
  for (const { pe, address, lines, cols } of fit.headers) {
    builder.peMemories[pe].index[address] = packFields([
      [lines, layout.headerRowBits],
      [cols, layout.headerColBits],
    ]);
  }
  layout.indexWidth = Math.max(
    layout.headerRowBits + layout.headerColBits,
    layout.columnIndexBits,
    layout.localRowBits,
  );
}

/** A block of a segment: the rows listed (in the tiling order) x columns [colStart, colEnd). */
interface Block {
  rows: ArrayLike<number>;
  colStart: number;
  colEnd: number;
}

/** The kept rows (any non-zero in the block), flagged in `keptRow`, and kept columns of a block. */
function keptLines(matrix: IntMatrix, block: Block, keptRow: Uint8Array): number[] {
  const { cols, data } = matrix;
  const colKept = new Uint8Array(block.colEnd - block.colStart);
  for (let i = 0; i < block.rows.length; i++) {
    const row = block.rows[i];
    const base = row * cols;
    for (let col = block.colStart; col < block.colEnd; col++) {
      if (data[base + col] !== 0) {
        keptRow[row] = 1;
        colKept[col - block.colStart] = 1;
      }
    }
  }
  const keptCols: number[] = [];
  for (let col = block.colStart; col < block.colEnd; col++) {
    if (colKept[col - block.colStart]) keptCols.push(col);
  }
  return keptCols;
}

/**
 * Each PE's share of one block: a header {lines, columns}, its lines (local row div L, where the
 * PE has kept rows of the block), the kept columns, then per kept column the lines' weight words
 * (L weights each, the rows of the line; 0 where a row is not a kept row of this block).
 * `keptRow` is scratch (all 0 on entry and on return). Returns the most lines of one PE.
 */
function encodeBlock(
  builder: ImageBuilder,
  matrix: IntMatrix,
  block: Block,
  layout: {
    headers: Header[];
    lanes: number;
    weightField: (value: number) => number;
  },
  keptRow: Uint8Array,
): number {
  const keptCols = keptLines(matrix, block, keptRow);
  const pes = builder.peMemories.length;
  const { lanes } = layout;
  const linesOf = new Map<number, number[]>();
  for (let i = 0; i < block.rows.length; i++) {
    const row = block.rows[i];
    if (!keptRow[row]) continue;
    const pe = row % pes;
    const line = Math.floor(Math.floor(row / pes) / lanes);
    const lines = linesOf.get(pe) ?? [];
    if (!lines.includes(line)) lines.push(line);
    linesOf.set(pe, lines);
  }
  let mostLines = 0;
  // Each PE's memories are independent, so the PEs of a block may be visited in any order.
  for (const [pe, lines] of linesOf) {
    lines.sort((a, b) => a - b);
    mostLines = Math.max(mostLines, lines.length);
    const memory = builder.peMemories[pe];
    const summary = builder.perPe[pe];
    layout.headers.push({
      pe,
      address: memory.index.length,
      lines: lines.length,
      cols: keptCols.length,
    });
    memory.index.push(0); // written by fitHeaders
    for (const line of lines) memory.index.push(line);
    for (const col of keptCols) memory.index.push(col);
    for (const col of keptCols) {
      for (const line of lines) {
        for (let lane = 0; lane < lanes; lane++) {
          const row = (line * lanes + lane) * pes + pe;
          const value = row < matrix.rows && keptRow[row]
            ? matrix.data[row * matrix.cols + col]
            : 0;
          memory.weights.push(layout.weightField(value));
          if (value === 0) summary.zeroEntries++;
          else summary.nonZeros++;
        }
      }
    }
  }
  for (let i = 0; i < block.rows.length; i++) keptRow[block.rows[i]] = 0;
  return mostLines;
}

/** Encode segments in the `bcr` format for `options.pes` PEs. */
export function encodeBcr(segments: Segment[], options: BcrOptions): EncodedImage {
  const { pes, blockRows, blockCols, weightBits } = options;
  const lanes = options.lanes ?? 1;
  checkSegments(segments, pes);
  if (!(BCR_LIMITS.lanes as readonly number[]).includes(lanes)) {
    throw new UserError(`lanes must be one of ${BCR_LIMITS.lanes.join(", ")}, got ${lanes}`);
  }
  checkRange("block rows", blockRows, BCR_LIMITS.blockSide);
  checkRange("block cols", blockCols, BCR_LIMITS.blockSide);
  checkRange("weight bits", weightBits, BCR_LIMITS.weightBits);
  const layout = bcrLayout(segments, options);
  const weightField = weightFieldOf(weightBits, options.codebook);
  const endMarker = 0;
  const builder = startImage(pes);
  const headers: Header[] = [];
  for (const segment of segments) {
    const { name, matrix } = segment;
    const weightBase = builder.peMemories.map((memory) => memory.weights.length);
    const indexBase = builder.peMemories.map((memory) => memory.index.length);
    const order = laneRowOrder(matrix.rows, pes, lanes);
    const keptRow = new Uint8Array(matrix.rows);
    for (let rowStart = 0; rowStart < matrix.rows; rowStart += blockRows) {
      const rows = order.subarray(rowStart, Math.min(matrix.rows, rowStart + blockRows));
      for (let colStart = 0; colStart < matrix.cols; colStart += blockCols) {
        const colEnd = Math.min(matrix.cols, colStart + blockCols);
        const lines = encodeBlock(
          builder,
          matrix,
          { rows, colStart, colEnd },
          { headers, lanes, weightField: (value) => weightField(value, name) },
          keptRow,
        );
        layout.maxBlockLines = Math.max(layout.maxBlockLines, lines);
      }
    }
    for (let pe = 0; pe < pes; pe++) {
      builder.peMemories[pe].index.push(endMarker);
      builder.perPe[pe].rows += peRowCount(matrix.rows, pes, pe);
    }
    placeSegment(builder, segment, { pointerBase: null, weightBase, indexBase });
  }
  fitHeaders(builder, layout, { headers, blockRows, lanes });
  return finishImage(
    builder,
    { weights: layout.weightWidth, second: { kind: "index", width: layout.indexWidth } },
    {
      format: "bcr",
      pes,
      weightBits,
      lanes,
      indexBits: null,
      codebookBits: options.codebook ? options.codebook.bits : null,
      block: { rows: blockRows, cols: blockCols },
      ese: null,
      bcr: layout,
    },
    codebookWords(options.codebook, weightBits),
  );
}

/**
 * Walk PE `pe`'s share of segment `segment` exactly as the PE hardware does: from the segment's
 * index base, read a header {lineCount, colCount}; stop at {0, 0}; else read lineCount line
 * indices and colCount column indices, then lineCount x colCount weight words column-major from
 * the weight memory (L weights each: local rows line*L .. line*L + L-1), visiting
 * (localRow, col, weight) for each (zeros included; with lanes, zero weights are left out, as a
 * lane may stand for a row beyond the matrix or of another block).
 */
export const walkBcr: SegmentWalk = (image, pe, segment, visit) => {
  const { seg, memory, localRows, malformed } = peShare(image, { format: "bcr", pe, segment });
  const layout = image.manifest.bcr ?? malformed("no bcr layout");
  const lanes = image.manifest.lanes;
  let indexAddress = seg.indexBase?.[pe] ?? malformed(`segment ${seg.name} has no index base`);
  let weightAddress = seg.weightBase[pe];
  const weightOf = weightOfField(image, layout.weightWidth);
  const read = (what: string): number => {
    if (indexAddress >= memory.index.length) {
      malformed(`PE ${pe} ${seg.name}: index memory ends inside ${what}`);
    }
    return memory.index[indexAddress++];
  };
  for (;;) {
    const header = splitWord(read("a header"), layout.headerColBits);
    const lineCount = header.high;
    const colCount = header.low;
    if (lineCount === 0 && colCount === 0) break;
    if (lineCount === 0 || colCount === 0) malformed(`PE ${pe} ${seg.name}: empty block header`);
    const lines: number[] = [];
    for (let i = 0; i < lineCount; i++) {
      const line = read("row indices");
      if (line * lanes >= localRows) {
        malformed(`PE ${pe} ${seg.name}: local row ${line * lanes} out of range`);
      }
      lines.push(line);
    }
    const colIndices: number[] = [];
    for (let i = 0; i < colCount; i++) {
      const col = read("column indices");
      if (col >= seg.cols) malformed(`PE ${pe} ${seg.name}: column ${col} out of range`);
      colIndices.push(col);
    }
    if (weightAddress + lineCount * colCount * lanes > memory.weights.length) {
      malformed(`PE ${pe} ${seg.name}: weight memory ends inside a block`);
    }
    for (const col of colIndices) {
      for (const line of lines) {
        for (let lane = 0; lane < lanes; lane++) {
          const local = line * lanes + lane;
          const value = weightOf(memory.weights[weightAddress++]);
          if (lanes > 1 && value === 0) continue;
          if (local >= localRows) malformed(`PE ${pe} ${seg.name}: weight beyond the last row`);
          visit(local, col, value);
        }
      }
    }
  }
};

/** Rebuild the segments' integer matrices from a `bcr` image. */
export function decodeBcr(image: EncodedImage): Segment[] {
  return decodeSegments(image, walkBcr);
}
