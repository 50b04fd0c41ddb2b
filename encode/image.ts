/**
 * The data types of an encoded weight image (the PEs' memories plus the manifest) and the small
 * bit helpers both formats share. The bit-level format is written down in `docs/encoding.md`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import type { IntMatrix, QuantizedModel } from "../model/fixed.ts";
import type {
  EncodingManifest,
  MemoryInfo,
  MemoryKind,
  PeSummary,
  SegmentLayout,
} from "./manifest.ts";

// The weight width limit lives beside the manifest's word width limit, which derives from it.
export { WEIGHT_BITS_LIMIT } from "./manifest.ts";

/** One matrix to encode, with the name it carries in the manifest (e.g. `weight_ih_l0`). */
export interface Segment {
  /** Name shown in the manifest and in messages. */
  name: string;
  /** The integer matrix (quantized weights). */
  matrix: IntMatrix;
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

/** Options every format's encoder takes. */
export interface ImageOptions {
  /** Number of PEs (rows interleaved: row i to PE i mod N). */
  pes: number;
  /** Width of one weight (two's complement). */
  weightBits: number;
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

/**
 * The words of a memory of an image, by its manifest entry. With lanes (bcr), a PE's `weights`
 * are its weight slots, `lanes` per memory word: use `memoryWordsWide` for the words themselves.
 */
export function memoryWords(image: EncodedImage, memory: MemoryInfo): number[] {
  if (memory.kind === "codebook") return image.codebook ?? [];
  const pe = image.peMemories[memory.pe ?? 0];
  return pe[memory.kind];
}

/** Whether a memory's words pack `lanes` weight slots each (a bcr weight memory with lanes). */
export function hasLaneWords(image: EncodedImage, memory: MemoryInfo): boolean {
  return memory.kind === "weights" && image.manifest.lanes > 1;
}

/**
 * Pack weight slots into words of `lanes` slots each, slot `a * lanes + l` in bits
 * [l * laneBits, (l + 1) * laneBits) of word a (lane 0 lowest).
 */
export function packLanes(slots: readonly number[], lanes: number, laneBits: number): bigint[] {
  const words: bigint[] = [];
  for (let a = 0; a * lanes < slots.length; a++) {
    let word = 0n;
    for (let lane = lanes - 1; lane >= 0; lane--) {
      word = (word << BigInt(laneBits)) | BigInt(slots[a * lanes + lane] ?? 0);
    }
    words.push(word);
  }
  return words;
}

/** Split words of `lanes` slots each back into the slots (the inverse of `packLanes`). */
export function unpackLanes(words: readonly bigint[], lanes: number, laneBits: number): number[] {
  const mask = (1n << BigInt(laneBits)) - 1n;
  const slots: number[] = [];
  for (const word of words) {
    for (let lane = 0; lane < lanes; lane++) {
      slots.push(Number((word >> BigInt(lane * laneBits)) & mask));
    }
  }
  return slots;
}

/** The words of a memory of an image as BigInt, lanes packed (any width). */
export function memoryWordsWide(image: EncodedImage, memory: MemoryInfo): bigint[] {
  const words = memoryWords(image, memory);
  if (!hasLaneWords(image, memory)) return words.map(BigInt);
  const lanes = image.manifest.lanes;
  return packLanes(words, lanes, memory.width / lanes);
}

/** Load balance of per-PE non-zero counts: max / mean (1 is perfect; 1 when all are zero). */
export function imbalance(perPe: { nonZeros: number }[]): number {
  const total = perPe.reduce((sum, pe) => sum + pe.nonZeros, 0);
  if (total === 0) return 1;
  const max = Math.max(...perPe.map((pe) => pe.nonZeros));
  return max / (total / perPe.length);
}

/** Throw a UserError unless `value` is an integer in `range` (`what` names it). */
export function checkRange(what: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new UserError(`${what} must be an integer in ${range.min}..${range.max}, got ${value}`);
  }
}

/** An image being encoded: each PE's memory words and counts, the segments placed so far. */
export interface ImageBuilder {
  /** Per PE, its memories' words. */
  peMemories: PeMemories[];
  /** Per PE, its counts (`entries` is set by `finishImage`). */
  perPe: PeSummary[];
  /** The segments placed so far. */
  segments: SegmentLayout[];
  /** Non-zero weights of those segments. */
  nonZeros: number;
}

/** An empty image for `pes` PEs. */
export function startImage(pes: number): ImageBuilder {
  return {
    peMemories: Array.from({ length: pes }, () => ({ weights: [], pointers: [], index: [] })),
    perPe: Array.from({ length: pes }, (_, pe) => ({
      pe,
      rows: 0,
      nonZeros: 0,
      entries: 0,
      zeroEntries: 0,
    })),
    segments: [],
    nonZeros: 0,
  };
}

/** Record where a segment went (its bases were taken before its words were pushed). */
export function placeSegment(
  builder: ImageBuilder,
  segment: Segment,
  bases: Pick<SegmentLayout, "pointerBase" | "weightBase" | "indexBase">,
): void {
  const { name, matrix } = segment;
  const nonZeros = countIntNonZeros(matrix);
  builder.nonZeros += nonZeros;
  builder.segments.push({ name, rows: matrix.rows, cols: matrix.cols, nonZeros, ...bases });
}

/**
 * The finished image: per PE its weight memory (`lanes` weights of `weights` bits per word) and
 * its pointer or index memory (`second`; ese with lanes: also its index memory, `third`), then the codebook words (weightBits wide) if any; the
 * manifest's counts and bit totals. `fields` are the format's manifest fields.
 */
export function finishImage(
  builder: ImageBuilder,
  widths: {
    weights: number;
    second: { kind: "pointers" | "index"; width: number };
    third?: { kind: "index"; width: number };
  },
  fields: Omit<
    EncodingManifest,
    "memories" | "totalBits" | "nonZeros" | "bitsPerNonZero" | "perPe" | "segments"
  >,
  codebook: number[] | null = null,
): EncodedImage {
  const { peMemories, perPe } = builder;
  const { lanes } = fields;
  for (const summary of perPe) summary.entries = peMemories[summary.pe].weights.length;
  const { kind, width } = widths.second;
  const memories: MemoryInfo[] = peMemories.flatMap((memory, pe) => [
    memoryInfo(
      memoryFile(pe, "weights"),
      "weights",
      pe,
      Math.ceil(memory.weights.length / lanes),
      widths.weights * lanes,
    ),
    memoryInfo(memoryFile(pe, kind), kind, pe, memory[kind].length, width),
    ...(widths.third
      ? [memoryInfo(memoryFile(pe, "index"), "index", pe, memory.index.length, widths.third.width)]
      : []),
  ]);
  if (codebook) {
    memories.push(memoryInfo(CODEBOOK_FILE, "codebook", null, codebook.length, fields.weightBits));
  }
  return {
    manifest: {
      ...fields,
      memories,
      ...bitTotals(memories, builder.nonZeros),
      perPe,
      segments: builder.segments,
    },
    peMemories,
    codebook,
  };
}

/** One non-zero product term as a PE sees it: local row, column, weight value. */
export type TermVisitor = (localRow: number, col: number, value: number) => void;

/** How a format walks one PE's share of one segment, calling `visit` for every stored term. */
export type SegmentWalk = (
  image: EncodedImage,
  pe: number,
  segment: number,
  visit: TermVisitor,
) => void;

/** Throw the Error of a malformed image of `format` (a corrupted image or a bug; not user input). */
export function malformedImage(format: string, message: string): never {
  throw new Error(`malformed ${format} image: ${message}`);
}

/** PE `pe`'s share of one segment of an image: where every format's walk starts. */
export interface PeShare {
  /** The segment's manifest entry. */
  seg: SegmentLayout;
  /** The PE's memories. */
  memory: PeMemories;
  /** The PE's local rows of the segment (rows interleaved: row i to PE i mod N). */
  localRows: number;
  /** Throw the error of a malformed image of the walk's format. */
  malformed: (message: string) => never;
}

/** PE `pe`'s share of segment `segment` of an image that must be of `format` (else malformed). */
export function peShare(
  image: EncodedImage,
  share: { format: EncodingManifest["format"]; pe: number; segment: number },
): PeShare {
  const { manifest } = image;
  const malformed = (message: string) => malformedImage(share.format, message);
  if (manifest.format !== share.format) {
    malformed(`not ${share.format === "ese" ? "an" : "a"} ${share.format} image`);
  }
  const seg = manifest.segments[share.segment];
  const localRows = peRowCount(seg.rows, manifest.pes, share.pe);
  return { seg, memory: image.peMemories[share.pe], localRows, malformed };
}

/**
 * Rebuild the segments' integer matrices from an image by walking every PE's terms; an element
 * stored twice is a malformed image (an Error naming the format).
 */
export function decodeSegments(image: EncodedImage, walk: SegmentWalk): Segment[] {
  const { pes, segments, format } = image.manifest;
  return segments.map((seg, index) => {
    const data = new Int32Array(seg.rows * seg.cols);
    const written = new Uint8Array(seg.rows * seg.cols);
    for (let pe = 0; pe < pes; pe++) {
      walk(image, pe, index, (local, col, value) => {
        const position = (local * pes + pe) * seg.cols + col;
        if (written[position]) {
          malformedImage(format, `${seg.name}: element (${local * pes + pe}, ${col}) twice`);
        }
        written[position] = 1;
        data[position] = value;
      });
    }
    return { name: seg.name, matrix: { rows: seg.rows, cols: seg.cols, data } };
  });
}
