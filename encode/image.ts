/**
 * The data types of an encoded weight image (the PEs' memories plus the manifest) and the small
 * bit helpers both formats share. The bit-level format is written down in `docs/encoding.md`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import type { IntMatrix, QuantizedModel } from "../model/fixed.ts";

/** One matrix to encode, with the name it carries in the manifest (e.g. `weight_ih_l0`). */
export interface Segment {
  /** Name shown in the manifest and in messages. */
  name: string;
  /** The integer matrix (quantized weights). */
  matrix: IntMatrix;
}

/** The two encodings. */
export type EncodingFormat = "ese" | "bcr";

/** The names of the two encodings, for validation. */
export const ENCODING_FORMATS: readonly EncodingFormat[] = ["ese", "bcr"];

/** What a memory holds. */
export type MemoryKind = "weights" | "pointers" | "index" | "codebook";

/** One memory of the image as listed in the manifest. */
export interface MemoryInfo {
  /** File name of its `.hex` image, e.g. `pe0_weights.hex`. */
  file: string;
  /** What it holds. */
  kind: MemoryKind;
  /** The PE that owns it; null for the global codebook. */
  pe: number | null;
  /** Used words (0 for an empty memory, whose file still holds one word of 0). */
  depth: number;
  /** Word width in bits. */
  width: number;
  /** depth * width. */
  bits: number;
}

/** Where one segment lives in the memories. */
export interface SegmentLayout {
  /** Segment name. */
  name: string;
  /** Rows of the matrix. */
  rows: number;
  /** Columns of the matrix. */
  cols: number;
  /** Non-zero weights of the matrix. */
  nonZeros: number;
  /** ese: address of the segment's first pointer (the same in every PE); bcr: null. */
  pointerBase: number | null;
  /** Per PE: address in the PE's weight memory of the segment's first word. */
  weightBase: number[];
  /** bcr, per PE: address in the PE's index memory of the segment's first word; ese: null. */
  indexBase: number[] | null;
}

/** Per-PE counts. */
export interface PeSummary {
  /** PE number. */
  pe: number;
  /** Rows of all segments this PE owns (sum over segments). */
  rows: number;
  /** Non-zero weights stored by this PE. */
  nonZeros: number;
  /** Words of its weight memory (ese: entries including padding; bcr: weights including zeros). */
  entries: number;
  /** Entries holding 0 (ese: padding entries; bcr: zeros inside kept sub-blocks). */
  zeroEntries: number;
}

/** Field layout of the `ese` format. */
export interface EseLayout {
  /** Width of a weight-memory entry: deltaBits + valueBits. */
  entryWidth: number;
  /** Low field: the weight (two's complement) or the codebook code. */
  valueBits: number;
  /** High field: the relative row index (zero rows skipped). */
  deltaBits: number;
  /** delta of a padding entry: 2^deltaBits - 1 (its value field is 0). */
  paddingDelta: number;
  /** Width of a pointer word (the same for all PEs). */
  pointerWidth: number;
}

/** Field layout of the `bcr` format. */
export interface BcrLayout {
  /** Width of an index-memory word. */
  indexWidth: number;
  /** Header field rowCount, the high field: bits for the block height. */
  headerRowBits: number;
  /** Header field colCount, the low field: bits for the block width. */
  headerColBits: number;
  /** Bits of an absolute column index (largest column index of any segment). */
  columnIndexBits: number;
  /** Bits of a PE-local row index (largest local row of any segment). */
  localRowBits: number;
  /** Width of a weight word (two's complement). */
  weightWidth: number;
}

/** The manifest (`manifest.json`): everything needed to read the memories back. */
export interface EncodingManifest {
  /** Which encoding. */
  format: EncodingFormat;
  /** Number of PEs (rows interleaved: row r to PE r mod pes). */
  pes: number;
  /** Width of a weight value (ese without codebook, bcr) or of a codebook word. */
  weightBits: number;
  /** ese: bits of the relative row index; bcr: null. */
  indexBits: number | null;
  /** ese with weight sharing: code width k (2^k codebook words); otherwise null. */
  codebookBits: number | null;
  /** bcr: block height and width; ese: null. */
  block: { rows: number; cols: number } | null;
  /** ese field layout, or null. */
  ese: EseLayout | null;
  /** bcr field layout, or null. */
  bcr: BcrLayout | null;
  /** Every memory, PE by PE (weights, then pointers or index), then the codebook. */
  memories: MemoryInfo[];
  /** Sum over memories of depth * width. */
  totalBits: number;
  /** Non-zero weights over all segments. */
  nonZeros: number;
  /** totalBits / nonZeros; null when there is no non-zero weight. */
  bitsPerNonZero: number | null;
  /** Per-PE counts. */
  perPe: PeSummary[];
  /** The segments in encoding order. */
  segments: SegmentLayout[];
}

/** The words of one PE's memories (unsigned integers, two's complement folded in). */
export interface PeMemories {
  /** Weight memory. */
  weights: number[];
  /** ese: pointer memory; bcr: empty. */
  pointers: number[];
  /** bcr: index memory; ese: empty. */
  index: number[];
}

/** An encoded image: plain data, ready to be written as `.hex` files or read by a PE model. */
export interface EncodedImage {
  /** The manifest. */
  manifest: EncodingManifest;
  /** Per PE, its memories' words. */
  peMemories: PeMemories[];
  /** ese with weight sharing: the 2^k codebook words (weightBits wide, folded); else null. */
  codebook: number[] | null;
}

/** Number of bits of an unsigned integer (at least 1): bitsFor(0) = bitsFor(1) = 1, bitsFor(4) = 3. */
export function bitsFor(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`bitsFor: expected a non-negative safe integer, got ${value}`);
  }
  let bits = 1;
  while (2 ** bits <= value) bits++;
  return bits;
}

/** Smallest two's-complement width that holds `value` (at least 1; 2 for -2 and 1). */
export function signedBitsFor(value: number): number {
  let bits = 1;
  while (value < -(2 ** (bits - 1)) || value > 2 ** (bits - 1) - 1) bits++;
  return bits;
}

/** Whether `value` fits in a signed field of `bits` bits. */
export function fitsSigned(value: number, bits: number): boolean {
  return value >= -(2 ** (bits - 1)) && value <= 2 ** (bits - 1) - 1;
}

/** Fold a signed integer into an unsigned `bits`-bit word (two's complement). */
export function foldSigned(value: number, bits: number): number {
  return value < 0 ? value + 2 ** bits : value;
}

/** Read an unsigned `bits`-bit word as a two's-complement signed integer. */
export function unfoldSigned(word: number, bits: number): number {
  return word >= 2 ** (bits - 1) ? word - 2 ** bits : word;
}

/** Pack fields into one word; fields are listed high to low, each as [value, bits]. */
export function packFields(fields: [value: number, bits: number][]): number {
  let word = 0;
  for (const [value, bits] of fields) word = word * 2 ** bits + value;
  return word;
}

/** Split a word into its high part and its low `lowBits` bits. */
export function splitWord(word: number, lowBits: number): { high: number; low: number } {
  const scale = 2 ** lowBits;
  const high = Math.floor(word / scale);
  return { high, low: word - high * scale };
}

/** Number of rows of a `rows`-row segment that PE `pe` of `pes` owns (rows pe, pe+pes, ...). */
export function peRowCount(rows: number, pes: number, pe: number): number {
  return rows > pe ? Math.ceil((rows - pe) / pes) : 0;
}

/** Non-zero entries of an integer matrix. */
export function countIntNonZeros(matrix: IntMatrix): number {
  let count = 0;
  for (const value of matrix.data) if (value !== 0) count++;
  return count;
}

/** Largest signed width any value of the segments needs (1 when all are zero). */
export function segmentsWeightBits(segments: Segment[]): number {
  let low = 0;
  let high = 0;
  for (const { matrix } of segments) {
    for (const value of matrix.data) {
      if (value < low) low = value;
      if (value > high) high = value;
    }
  }
  return Math.max(signedBitsFor(low), signedBitsFor(high));
}

/** The weight matrices of a quantized model in the order of `namedMatrices` (model/model.ts). */
export function quantizedSegments(model: QuantizedModel): Segment[] {
  const segments: Segment[] = [];
  model.layers.forEach((layer, index) => {
    segments.push({ name: `weight_ih_l${index}`, matrix: layer.weightIh });
    segments.push({ name: `weight_hh_l${index}`, matrix: layer.weightHh });
    if (layer.weightHr) segments.push({ name: `weight_hr_l${index}`, matrix: layer.weightHr });
  });
  return segments;
}

/** Check what both encoders need: at least one non-empty segment, an integer PE count >= 1. */
export function checkSegments(segments: Segment[], pes: number): void {
  if (!Number.isInteger(pes) || pes < 1) {
    throw new UserError(`pes must be an integer >= 1, got ${pes}`);
  }
  if (segments.length === 0) throw new UserError("nothing to encode: no segments given");
  for (const { name, matrix } of segments) {
    const { rows, cols, data } = matrix;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new UserError(`${name}: expected at least 1 row and 1 column, got ${rows} x ${cols}`);
    }
    if (data.length !== rows * cols) {
      throw new UserError(`${name}: data has ${data.length} values, expected ${rows * cols}`);
    }
  }
}

/** The file name of a PE memory. */
export function memoryFile(pe: number, kind: "weights" | "pointers" | "index"): string {
  return `pe${pe}_${kind}.hex`;
}

/** File name of the codebook memory. */
export const CODEBOOK_FILE = "codebook.hex";

/** A memory's manifest entry. */
export function memoryInfo(
  file: string,
  kind: MemoryKind,
  pe: number | null,
  depth: number,
  width: number,
): MemoryInfo {
  return { file, kind, pe, depth, width, bits: depth * width };
}

/** The fields of the manifest computed from the memories: totals and bits per non-zero. */
export function bitTotals(
  memories: MemoryInfo[],
  nonZeros: number,
): { totalBits: number; nonZeros: number; bitsPerNonZero: number | null } {
  const totalBits = memories.reduce((sum, memory) => sum + memory.bits, 0);
  return { totalBits, nonZeros, bitsPerNonZero: nonZeros === 0 ? null : totalBits / nonZeros };
}

/** The words of a memory of an image, by its manifest entry. */
export function memoryWords(image: EncodedImage, memory: MemoryInfo): number[] {
  if (memory.kind === "codebook") return image.codebook ?? [];
  const pe = image.peMemories[memory.pe ?? 0];
  return pe[memory.kind];
}

/** Load balance of per-PE non-zero counts: max / mean (1 is perfect; 1 when all are zero). */
export function imbalance(perPe: { nonZeros: number }[]): number {
  const total = perPe.reduce((sum, pe) => sum + pe.nonZeros, 0);
  if (total === 0) return 1;
  const max = Math.max(...perPe.map((pe) => pe.nonZeros));
  return max / (total / perPe.length);
}
