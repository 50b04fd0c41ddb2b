/**
 * The `ese` encoding (ESE/EIE style): per PE, column-major sparse entries of {relative row index,
 * weight or codebook code}, with padding entries for long gaps, and a pointer memory giving each
 * column's first entry. With MAC lanes L > 1 an entry is a **line** (local rows line*L ..
 * line*L + L-1): its L weights fill one weight word (L slots, lane 0 lowest, 0 where the line's row
 * is zero or beyond the matrix) and its relative line index is the word of the same address in the
 * index memory. Bit by bit in `docs/encoding.md`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { bitsFor } from "../util/bits.ts";
import {
  checkRange,
  checkSegments,
  decodeSegments,
  type EncodedImage,
  finishImage,
  type ImageBuilder,
  type ImageOptions,
  malformedImage,
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
import { type EseLayout, MAC_LANE_COUNTS } from "./manifest.ts";
import {
  type Codebook,
  CODEBOOK_BITS_LIMIT,
  codebookWords,
  weightFieldOf,
  weightOfField,
} from "./codes.ts";

/** Options of `encodeEse`. */
export interface EseOptions extends ImageOptions {
  /** Bits of the relative row index (delta) of an entry (with lanes: of a line index). */
  indexBits: number;
  /**
   * MAC lanes L (default 1): an entry holds the L weights of one line of L local rows of one
   * column, in a weight word of L slots, and the line's relative index in the index memory.
   */
  lanes?: number;
  /**
   * Optional weight sharing: entries then hold codes; every non-zero weight must be a value, and
   * `weightBits` is the width of a codebook word.
   */
  codebook?: Codebook;
}

/** Limits of the options (keep every word within 48 bits, exact in a float64). */
export const ESE_LIMITS = {
  indexBits: { min: 1, max: 24 },
  weightBits: WEIGHT_BITS_LIMIT,
  codebookBits: CODEBOOK_BITS_LIMIT,
  lanes: MAC_LANE_COUNTS,
} as const;

/** How one entry is written: the fields' widths and the weight (or code) of a value. */
interface EntryFormat {
  indexBits: number;
  valueBits: number;
  lanes: number;
  valueField: (value: number) => number;
}

/**
 * Push one entry: with one lane the word {delta, value} into the weight memory; with lanes the L
 * value slots into the weight memory and delta into the index memory (same address).
 */
function pushEntry(
  memory: { weights: number[]; index: number[] },
  entry: EntryFormat,
  word: { delta: number; fields: number[] },
): void {
  if (entry.lanes === 1) {
    memory.weights.push(
      packFields([[word.delta, entry.indexBits], [word.fields[0], entry.valueBits]]),
    );
    return;
  }
  memory.index.push(word.delta);
  for (const field of word.fields) memory.weights.push(field);
}

/**
 * The entry words of one segment: per PE, column by column (lines with any non-zero in the
 * column, in increasing order; padding entries where a gap exceeds the index), with its pointers.
 */
function encodeEseSegment(builder: ImageBuilder, segment: Segment, entry: EntryFormat): void {
  const { rows, cols, data } = segment.matrix;
  const { lanes } = entry;
  const pes = builder.peMemories.length;
  const paddingDelta = 2 ** entry.indexBits - 1;
  const padding = { delta: paddingDelta, fields: new Array<number>(lanes).fill(0) };
  for (let pe = 0; pe < pes; pe++) {
    const memory = builder.peMemories[pe];
    const summary = builder.perPe[pe];
    const localRows = peRowCount(rows, pes, pe);
    const lines = Math.ceil(localRows / lanes);
    summary.rows += localRows;
    for (let col = 0; col < cols; col++) {
      memory.pointers.push(entryCount(memory, lanes));
      let cursor = -1;
      for (let line = 0; line < lines; line++) {
        const values: number[] = [];
        for (let lane = 0; lane < lanes; lane++) {
          const local = line * lanes + lane;
          values.push(local < localRows ? data[(local * pes + pe) * cols + col] : 0);
        }
        if (values.every((value) => value === 0)) continue;
        let delta = line - cursor - 1;
        while (delta > paddingDelta) {
          pushEntry(memory, entry, padding);
          summary.zeroEntries += lanes;
          delta -= paddingDelta + 1;
        }
        pushEntry(memory, entry, { delta, fields: values.map(entry.valueField) });
        for (const value of values) {
          if (value === 0) summary.zeroEntries++;
          else summary.nonZeros++;
        }
        cursor = line;
      }
    }
    memory.pointers.push(entryCount(memory, lanes));
  }
}

/** Entries (weight words) of a PE's weight memory so far. */
function entryCount(memory: { weights: number[] }, lanes: number): number {
  return memory.weights.length / lanes;
}

/** Encode segments in the `ese` format for `options.pes` PEs. */
export function encodeEse(segments: Segment[], options: EseOptions): EncodedImage {
  const { pes, indexBits, weightBits, codebook } = options;
  const lanes = options.lanes ?? 1;
  checkSegments(segments, pes);
  if (!(ESE_LIMITS.lanes as readonly number[]).includes(lanes)) {
    throw new UserError(`lanes must be one of ${ESE_LIMITS.lanes.join(", ")}, got ${lanes}`);
  }
  checkRange("index bits", indexBits, ESE_LIMITS.indexBits);
  checkRange("weight bits", weightBits, ESE_LIMITS.weightBits);
  const valueField = weightFieldOf(weightBits, codebook);
  const valueBits = codebook ? codebook.bits : weightBits;
  const builder = startImage(pes);
  let pointerBase = 0;
  for (const segment of segments) {
    const weightBase = builder.peMemories.map((memory) => entryCount(memory, lanes));
    encodeEseSegment(builder, segment, {
      indexBits,
      valueBits,
      lanes,
      valueField: (value) => valueField(value, segment.name),
    });
    placeSegment(builder, segment, { pointerBase, weightBase, indexBase: null });
    pointerBase += segment.matrix.cols + 1;
  }
  const longest = Math.max(...builder.peMemories.map((memory) => entryCount(memory, lanes)));
  const pointerWidth = bitsFor(longest);
  const ese: EseLayout = {
    entryWidth: indexBits + lanes * valueBits,
    valueBits,
    deltaBits: indexBits,
    paddingDelta: 2 ** indexBits - 1,
    pointerWidth,
  };
  return finishImage(
    builder,
    {
      weights: lanes === 1 ? indexBits + valueBits : valueBits,
      second: { kind: "pointers", width: pointerWidth },
      ...(lanes === 1 ? {} : { third: { kind: "index" as const, width: indexBits } }),
    },
    {
      format: "ese",
      pes,
      weightBits,
      lanes,
      indexBits,
      codebookBits: codebook ? codebook.bits : null,
      block: null,
      ese,
      bcr: null,
    },
    codebookWords(codebook, weightBits),
  );
}

/** One entry of an ese weight memory: its relative row (line) index and value fields. */
export interface EseEntry {
  /** Relative row index (with lanes: relative line index). */
  delta: number;
  /** The value fields (weight or codebook code), lane 0 first; one with one lane. */
  fields: number[];
  /** A padding entry: every field 0. */
  padding: boolean;
}

/** Entry `address` of PE `pe`'s weight memory of an `ese` image (either layout). */
export function eseEntry(image: EncodedImage, pe: number, address: number): EseEntry {
  const { manifest } = image;
  const memory = image.peMemories[pe];
  const layout = manifest.ese ?? malformedImage("ese", "no ese layout");
  const lanes = manifest.lanes;
  if (lanes === 1) {
    const { high, low } = splitWord(memory.weights[address], layout.valueBits);
    return { delta: high, fields: [low], padding: low === 0 };
  }
  const fields = memory.weights.slice(address * lanes, (address + 1) * lanes);
  return { delta: memory.index[address], fields, padding: fields.every((field) => field === 0) };
}

/** Per entry of PE `pe`'s weight memory of an `ese` image: 1 for a padding entry, else 0. */
export function esePaddingFlags(image: EncodedImage, pe: number): Uint8Array {
  const lanes = image.manifest.lanes;
  const count = image.peMemories[pe].weights.length / lanes;
  return Uint8Array.from({ length: count }, (_, address) => {
    return eseEntry(image, pe, address).padding ? 1 : 0;
  });
}

/**
 * Walk PE `pe`'s share of segment `segment` exactly as the PE hardware does: for each column, read
 * ptr[c] and ptr[c+1] from the pointer memory, then each entry from the weight (and, with lanes,
 * index) memory, split it into {delta, values}, advance the row (line) cursor by delta + 1 and
 * visit (local row, c, weight) for each non-zero value (lane l of line v: local row v*L + l).
 * Padding entries (every value field 0) advance the cursor and are not visited.
 */
export const walkEse: SegmentWalk = (image, pe, segment, visit) => {
  const { seg, memory, localRows, malformed } = peShare(image, { format: "ese", pe, segment });
  const layout = image.manifest.ese ?? malformed("no ese layout");
  const lanes = image.manifest.lanes;
  const weightOf = weightOfField(image, layout.valueBits);
  const base = seg.pointerBase ?? malformed(`segment ${seg.name} has no pointer base`);
  const entries = memory.weights.length / lanes;
  if (lanes > 1 && memory.index.length !== entries) {
    malformed(`PE ${pe}: ${memory.index.length} index words for ${entries} weight words`);
  }
  for (let col = 0; col < seg.cols; col++) {
    const start = memory.pointers[base + col];
    const end = memory.pointers[base + col + 1];
    if (!(start <= end && end <= entries)) {
      malformed(`PE ${pe} ${seg.name} column ${col}: pointers ${start}..${end}`);
    }
    let cursor = -1;
    for (let address = start; address < end; address++) {
      const { delta, fields, padding } = eseEntry(image, pe, address);
      cursor += delta + 1;
      if (padding) {
        if (delta !== layout.paddingDelta) {
          malformed(`PE ${pe} address ${address}: zero entry with delta ${delta} is not padding`);
        }
        continue;
      }
      fields.forEach((field, lane) => {
        if (field === 0 && lanes > 1) return;
        const local = cursor * lanes + lane;
        if (local >= localRows) {
          malformed(`PE ${pe} ${seg.name} column ${col}: row ${local} beyond ${localRows} rows`);
        }
        visit(local, col, weightOf(field));
      });
    }
  }
};

/** Rebuild the segments' integer matrices from an `ese` image. */
export function decodeEse(image: EncodedImage): Segment[] {
  return decodeSegments(image, walkEse);
}
