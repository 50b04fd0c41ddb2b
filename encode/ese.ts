/**
 * The `ese` encoding (ESE/EIE style): per PE, column-major sparse entries of {relative row index,
 * weight or codebook code}, with padding entries for long gaps, and a pointer memory giving each
 * column's first entry. Bit by bit in `docs/encoding.md`.
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
  fitsSigned,
  foldSigned,
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
  unfoldSigned,
  WEIGHT_BITS_LIMIT,
} from "./image.ts";
import type { EseLayout } from "./manifest.ts";

/** A shared-weight codebook: 2^bits values in weight format, value 0 at code 0. */
export interface Codebook {
  /** Code width k. */
  bits: number;
  /** The 2^k values; values[0] must be 0. */
  values: Int32Array;
}

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
  codebookBits: { min: 1, max: 16 },
} as const;

/** Map each codebook value to its lowest non-zero code (code 0 is reserved for padding). */
function codeLookup(codebook: Codebook, weightBits: number): Map<number, number> {
  checkRange("codebook bits", codebook.bits, ESE_LIMITS.codebookBits);
  if (codebook.values.length !== 2 ** codebook.bits) {
    throw new UserError(
      `codebook: expected 2^${codebook.bits} = ${
        2 ** codebook.bits
      } values, got ${codebook.values.length}`,
    );
  }
  if (codebook.values[0] !== 0) {
    throw new UserError(`codebook: code 0 must hold 0 (padding), got ${codebook.values[0]}`);
  }
  const lookup = new Map<number, number>();
  codebook.values.forEach((value, code) => {
    if (!fitsSigned(value, weightBits)) {
      throw new UserError(
        `codebook: value ${value} (code ${code}) does not fit ${weightBits} bits`,
      );
    }
    if (code > 0 && value !== 0 && !lookup.has(value)) lookup.set(value, code);
  });
  return lookup;
}

/** How an entry's value field is made: the weight folded, or its codebook code. */
function valueFieldOf(
  weightBits: number,
  codebook: Codebook | undefined,
): (value: number, name: string) => number {
  const lookup = codebook ? codeLookup(codebook, weightBits) : null;
  return (value, name) => {
    if (lookup) {
      const code = lookup.get(value);
      if (code === undefined) {
        throw new UserError(`${name}: weight ${value} is not a value of the codebook`);
      }
      return code;
    }
    if (!fitsSigned(value, weightBits)) {
      throw new UserError(`${name}: weight ${value} does not fit ${weightBits}-bit weights`);
    }
    return foldSigned(value, weightBits);
  };
}

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
  const valueField = valueFieldOf(weightBits, codebook);
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
    codebook ? Array.from(codebook.values, (value) => foldSigned(value, weightBits)) : null,
  );
}

/** The signed weight values the codes of an image stand for (null without a codebook). */
export function codebookValues(image: EncodedImage): Int32Array | null {
  if (!image.codebook) return null;
  const bits = image.manifest.weightBits;
  return Int32Array.from(image.codebook, (word) => unfoldSigned(word, bits));
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
  const values = codebookValues(image);
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
      const value = values ? values[field] : unfoldSigned(field, layout.valueBits);
      visit(cursor, col, value);
    }
  }
};

/** Rebuild the segments' integer matrices from an `ese` image. */
export function decodeEse(image: EncodedImage): Segment[] {
  return decodeSegments(image, walkEse);
}
