/**
 * The `ese` encoding (ESE/EIE style): per PE, column-major sparse entries of {relative row index,
 * weight or codebook code}, with padding entries for long gaps, and a pointer memory giving each
 * column's first entry. Bit by bit in `docs/encoding.md`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { bitsFor } from "../util/bits.ts";
import type { IntMatrix } from "../model/fixed.ts";
import {
  bitTotals,
  checkSegments,
  CODEBOOK_FILE,
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
import type { EseLayout, MemoryInfo, PeSummary, SegmentLayout } from "./manifest.ts";

/** A shared-weight codebook: 2^bits values in weight format, value 0 at code 0. */
export interface Codebook {
  /** Code width k. */
  bits: number;
  /** The 2^k values; values[0] must be 0. */
  values: Int32Array;
}

/** Options of `encodeEse`. */
export interface EseOptions {
  /** Number of PEs (rows interleaved). */
  pes: number;
  /** Bits of the relative row index (delta) of an entry. */
  indexBits: number;
  /** Width of a weight (two's complement); with a codebook, the width of a codebook word. */
  weightBits: number;
  /** Optional weight sharing: entries then hold codes; every non-zero weight must be a value. */
  codebook?: Codebook;
}

/** Limits of the options (keep every word within 48 bits, exact in a float64). */
export const ESE_LIMITS = {
  indexBits: { min: 1, max: 24 },
  weightBits: { min: 2, max: 24 },
  codebookBits: { min: 1, max: 16 },
} as const;

function checkRange(what: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new UserError(`${what} must be an integer in ${range.min}..${range.max}, got ${value}`);
  }
}

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

/** Encode segments in the `ese` format for `options.pes` PEs. */
export function encodeEse(segments: Segment[], options: EseOptions): EncodedImage {
  const { pes, indexBits, weightBits, codebook } = options;
  checkSegments(segments, pes);
  checkRange("index bits", indexBits, ESE_LIMITS.indexBits);
  checkRange("weight bits", weightBits, ESE_LIMITS.weightBits);
  const lookup = codebook ? codeLookup(codebook, weightBits) : null;
  const valueBits = codebook ? codebook.bits : weightBits;
  const paddingDelta = 2 ** indexBits - 1;
  const paddingWord = packFields([[paddingDelta, indexBits], [0, valueBits]]);
  const valueField = (value: number, name: string): number => {
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
  let pointerBase = 0;
  let nonZeros = 0;
  for (const { name, matrix } of segments) {
    const { rows, cols, data } = matrix;
    const weightBase: number[] = [];
    for (let pe = 0; pe < pes; pe++) {
      const memory = peMemories[pe];
      const summary = perPe[pe];
      const localRows = peRowCount(rows, pes, pe);
      summary.rows += localRows;
      weightBase.push(memory.weights.length);
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
          memory.weights.push(
            packFields([[delta, indexBits], [valueField(value, name), valueBits]]),
          );
          summary.nonZeros++;
          cursor = local;
        }
      }
      memory.pointers.push(memory.weights.length);
    }
    const segmentNonZeros = countIntNonZeros(matrix);
    nonZeros += segmentNonZeros;
    layouts.push({
      name,
      rows,
      cols,
      nonZeros: segmentNonZeros,
      pointerBase,
      weightBase,
      indexBase: null,
    });
    pointerBase += cols + 1;
  }
  for (const summary of perPe) summary.entries = peMemories[summary.pe].weights.length;

  const pointerWidth = bitsFor(Math.max(...peMemories.map((memory) => memory.weights.length)));
  const entryWidth = indexBits + valueBits;
  const memories: MemoryInfo[] = [];
  peMemories.forEach((memory, pe) => {
    memories.push(
      memoryInfo(memoryFile(pe, "weights"), "weights", pe, memory.weights.length, entryWidth),
    );
    memories.push(
      memoryInfo(memoryFile(pe, "pointers"), "pointers", pe, memory.pointers.length, pointerWidth),
    );
  });
  let codebookWords: number[] | null = null;
  if (codebook) {
    codebookWords = Array.from(codebook.values, (value) => foldSigned(value, weightBits));
    memories.push(memoryInfo(CODEBOOK_FILE, "codebook", null, codebookWords.length, weightBits));
  }
  const ese: EseLayout = {
    entryWidth,
    valueBits,
    deltaBits: indexBits,
    paddingDelta,
    pointerWidth,
  };
  return {
    manifest: {
      format: "ese",
      pes,
      weightBits,
      indexBits,
      codebookBits: codebook ? codebook.bits : null,
      block: null,
      ese,
      bcr: null,
      memories,
      ...bitTotals(memories, nonZeros),
      perPe,
      segments: layouts,
    },
    peMemories,
    codebook: codebookWords,
  };
}

/** One non-zero product term as a PE sees it: local row, column, weight value. */
export type TermVisitor = (localRow: number, col: number, value: number) => void;

/** Throw the error of a malformed image. */
function malformed(message: string): never {
  throw new Error(`malformed ese image: ${message}`);
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
export function walkEse(
  image: EncodedImage,
  pe: number,
  segment: number,
  visit: TermVisitor,
): void {
  const { manifest } = image;
  const layout = manifest.ese;
  if (manifest.format !== "ese" || !layout) malformed("not an ese image");
  const seg = manifest.segments[segment];
  const memory = image.peMemories[pe];
  const values = codebookValues(image);
  const localRows = peRowCount(seg.rows, manifest.pes, pe);
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
}

/** Rebuild the segments' integer matrices from an `ese` image. */
export function decodeEse(image: EncodedImage): Segment[] {
  const { pes, segments } = image.manifest;
  return segments.map((seg, index) => {
    const matrix: IntMatrix = {
      rows: seg.rows,
      cols: seg.cols,
      data: new Int32Array(seg.rows * seg.cols),
    };
    for (let pe = 0; pe < pes; pe++) {
      walkEse(image, pe, index, (local, col, value) => {
        matrix.data[(local * pes + pe) * seg.cols + col] = value;
      });
    }
    return { name: seg.name, matrix };
  });
}
