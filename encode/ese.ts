/**
 * The `ese` encoding (ESE/EIE style): per PE, column-major sparse entries of {relative row index,
 * weight or codebook code}, with padding entries for long gaps, and a pointer memory giving each
 * column's first entry. Bit by bit in `docs/encoding.md`.
 *
 * @module
 */

import { bitsFor } from "../util/bits.ts";
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
import type { EseLayout } from "./manifest.ts";
import {
  type Codebook,
  CODEBOOK_BITS_LIMIT,
  codebookWords,
  weightFieldOf,
  weightOfField,
} from "./codes.ts";

/** Options of `encodeEse`. */
export interface EseOptions extends ImageOptions {
  /** Bits of the relative row index (delta) of an entry. */
  indexBits: number;
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
} as const;

/** The entry words of one segment: per PE, column by column, with its pointers. */
function encodeEseSegment(
  builder: ImageBuilder,
  segment: Segment,
  entry: { indexBits: number; valueBits: number; valueField: (value: number) => number },
): void {
  const { rows, cols, data } = segment.matrix;
  const pes = builder.peMemories.length;
  const paddingDelta = 2 ** entry.indexBits - 1;
  const paddingWord = packFields([[paddingDelta, entry.indexBits], [0, entry.valueBits]]);
  for (let pe = 0; pe < pes; pe++) {
    const memory = builder.peMemories[pe];
    const summary = builder.perPe[pe];
    const localRows = peRowCount(rows, pes, pe);
    summary.rows += localRows;
    for (let col = 0; col < cols; col++) {
      memory.pointers.push(memory.weights.length);
      let cursor = -1;
      for (let local = 0; local < localRows; local++) {
        const value = data[(local * pes + pe) * cols + col];
        if (value === 0) continue;
        let delta = local - cursor - 1;
        while (delta > paddingDelta) {
          memory.weights.push(paddingWord);
          summary.zeroEntries++;
          delta -= paddingDelta + 1;
        }
        const field = entry.valueField(value);
        memory.weights.push(packFields([[delta, entry.indexBits], [field, entry.valueBits]]));
        summary.nonZeros++;
        cursor = local;
      }
    }
    memory.pointers.push(memory.weights.length);
  }
}

/** Encode segments in the `ese` format for `options.pes` PEs. */
export function encodeEse(segments: Segment[], options: EseOptions): EncodedImage {
  const { pes, indexBits, weightBits, codebook } = options;
  checkSegments(segments, pes);
  checkRange("index bits", indexBits, ESE_LIMITS.indexBits);
  checkRange("weight bits", weightBits, ESE_LIMITS.weightBits);
  const valueField = weightFieldOf(weightBits, codebook);
  const valueBits = codebook ? codebook.bits : weightBits;
  const builder = startImage(pes);
  let pointerBase = 0;
  for (const segment of segments) {
    const weightBase = builder.peMemories.map((memory) => memory.weights.length);
    encodeEseSegment(builder, segment, {
      indexBits,
      valueBits,
      valueField: (value) => valueField(value, segment.name),
    });
    placeSegment(builder, segment, { pointerBase, weightBase, indexBase: null });
    pointerBase += segment.matrix.cols + 1;
  }
  const longest = Math.max(...builder.peMemories.map((memory) => memory.weights.length));
  const pointerWidth = bitsFor(longest);
  const entryWidth = indexBits + valueBits;
  const ese: EseLayout = {
    entryWidth,
    valueBits,
    deltaBits: indexBits,
    paddingDelta: 2 ** indexBits - 1,
    pointerWidth,
  };
  return finishImage(
    builder,
    { weights: entryWidth, second: { kind: "pointers", width: pointerWidth } },
    {
      format: "ese",
      pes,
      weightBits,
      lanes: 1,
      indexBits,
      codebookBits: codebook ? codebook.bits : null,
      block: null,
      ese,
      bcr: null,
    },
    codebookWords(codebook, weightBits),
  );
}

/**
 * Walk PE `pe`'s share of segment `segment` exactly as the PE hardware does: for each column, read
 * ptr[c] and ptr[c+1] from the pointer memory, then each entry word from the weight memory, split
 * it into {delta, value}, advance the row cursor by delta + 1 and visit (cursor, c, weight).
 * Padding entries (value field 0) advance the cursor and are not visited.
 */
export const walkEse: SegmentWalk = (image, pe, segment, visit) => {
  const { seg, memory, localRows, malformed } = peShare(image, { format: "ese", pe, segment });
  const layout = image.manifest.ese ?? malformed("no ese layout");
  const weightOf = weightOfField(image, layout.valueBits);
  const base = seg.pointerBase ?? malformed(`segment ${seg.name} has no pointer base`);
  for (let col = 0; col < seg.cols; col++) {
    const start = memory.pointers[base + col];
    const end = memory.pointers[base + col + 1];
    if (!(start <= end && end <= memory.weights.length)) {
      malformed(`PE ${pe} ${seg.name} column ${col}: pointers ${start}..${end}`);
    }
    let cursor = -1;
    for (let address = start; address < end; address++) {
      const { high: delta, low: field } = splitWord(memory.weights[address], layout.valueBits);
      cursor += delta + 1;
      if (field === 0) {
        if (delta !== layout.paddingDelta) {
          malformed(`PE ${pe} address ${address}: zero entry with delta ${delta} is not padding`);
        }
        continue;
      }
      if (cursor >= localRows) {
        malformed(`PE ${pe} ${seg.name} column ${col}: row ${cursor} beyond ${localRows} rows`);
      }
      visit(cursor, col, weightOf(field));
    }
  }
};

/** Rebuild the segments' integer matrices from an `ese` image. */
export function decodeEse(image: EncodedImage): Segment[] {
  return decodeSegments(image, walkEse);
}
