/**
 * From a quantized model to its weight image: the model's weight matrices in `namedMatrices`
 * order, optional weight sharing, checks of the widths, and (bcr) the block size. This is what
 * `deno task encode` and the RTL generator call.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import { encodeBcr } from "./bcr.ts";
import { type SharedWeights, shareWeights } from "./codebook.ts";
import { encodeEse } from "./ese.ts";
import {
  type EncodedImage,
  type EncodingFormat,
  quantizedSegments,
  type Segment,
  segmentsWeightBits,
} from "./image.ts";

/** A bcr block size; `Infinity` in a field means the whole dimension (as in prune/prune.ts). */
export interface BcrBlock {
  /** Block height (Infinity: every segment's full height). */
  rows: number;
  /** Block width (Infinity: every segment's full width). */
  cols: number;
}

/** Options of `encodeModel`. */
export interface ModelEncodeOptions {
  /** Which encoding. */
  format: EncodingFormat;
  /** Number of PEs. */
  pes: number;
  /** ese: relative row index width (default 4, as ESE). */
  indexBits?: number;
  /** Stored weight width (default: the model's format.weightBits); must hold every weight. */
  weightBits?: number;
  /** ese: share weights with a 2^k codebook (k-means); absent: linear weights. */
  codebookBits?: number;
  /** bcr: block size; absent: the candidate with the fewest total bits (see `chooseBlock`). */
  block?: BcrBlock;
}

/** The result of `encodeModel`. */
export interface ModelImage {
  /** The encoded image. */
  image: EncodedImage;
  /** The segments that were encoded (after weight sharing, if any). */
  segments: Segment[];
  /** With a codebook: the shared model (the golden model must run on it), codebook and report. */
  sharing: SharedWeights | null;
  /** bcr: the block size used, and whether it was chosen automatically. */
  block: (BcrBlock & { chosen: boolean }) | null;
}

/** Default relative-index width of the ese format (ESE: 4 bits). */
export const DEFAULT_INDEX_BITS = 4;

/** Block sides tried when no bcr block is given (square blocks). */
export const BLOCK_CANDIDATES = [1, 2, 4, 8, 16, 32, 64] as const;

/** Whether a block fits inside at least one of the segments (a whole dimension always fits). */
export function blockFitsSomeSegment(segments: Segment[], block: BcrBlock): boolean {
  return segments.some(({ matrix }) =>
    (block.rows === Infinity || block.rows <= matrix.rows) &&
    (block.cols === Infinity || block.cols <= matrix.cols)
  );
}

/**
 * A block with whole dimensions resolved: Infinity becomes the largest height (width) of the
 * segments, which tiles every segment with a single block row (column), as "whole" means.
 */
export function resolveBlock(segments: Segment[], block: BcrBlock): BcrBlock {
  return {
    rows: block.rows === Infinity ? Math.max(...segments.map((s) => s.matrix.rows)) : block.rows,
    cols: block.cols === Infinity ? Math.max(...segments.map((s) => s.matrix.cols)) : block.cols,
  };
}

/**
 * Choose a bcr block: among square candidate blocks that fit in at least one segment, the one whose
 * image has the fewest total bits (computed by encoding each); ties go to the smaller block.
 */
export function chooseBlock(segments: Segment[], pes: number, weightBits: number): BcrBlock {
  let best: { block: BcrBlock; bits: number } | null = null;
  for (const side of BLOCK_CANDIDATES) {
    const block = { rows: side, cols: side };
    if (!blockFitsSomeSegment(segments, block)) continue;
    const { totalBits } = encodeBcr(segments, {
      pes,
      blockRows: side,
      blockCols: side,
      weightBits,
    }).manifest;
    if (best === null || totalBits < best.bits) best = { block, bits: totalBits };
  }
  return best?.block ?? { rows: 1, cols: 1 };
}

/** Describe where the widest weight is, for the error message. */
function widestWeight(segments: Segment[]): string {
  let found = { name: "", value: 0, bits: 0 };
  for (const { name, matrix } of segments) {
    const bits = segmentsWeightBits([{ name, matrix }]);
    if (bits > found.bits) {
      const value = matrix.data.reduce((a, b) => Math.abs(b) > Math.abs(a) ? b : a, 0);
      found = { name, value, bits };
    }
  }
  return `${found.name} holds ${found.value}`;
}

/** Encode every weight matrix of a quantized model (weight_ih_l0, weight_hh_l0, weight_hr_l0, ...). */
export function encodeModel(model: QuantizedModel, options: ModelEncodeOptions): ModelImage {
  const weightBits = options.weightBits ?? model.format.weightBits;
  if (options.format === "bcr" && options.codebookBits !== undefined) {
    throw new UserError("a codebook (weight sharing) is only available with the ese format");
  }
  if (options.format === "ese" && options.block !== undefined) {
    throw new UserError("a block size only applies to the bcr format");
  }
  if (options.format === "bcr" && options.indexBits !== undefined) {
    throw new UserError("index bits only apply to the ese format");
  }
  const sharing = options.codebookBits === undefined
    ? null
    : shareWeights(model, options.codebookBits);
  const segments = quantizedSegments(sharing ? sharing.model : model);
  const needed = segmentsWeightBits(segments);
  if (needed > weightBits) {
    throw new UserError(
      `weight bits ${weightBits} is narrower than the quantized weights need (${needed} bits; ${
        widestWeight(segments)
      })`,
    );
  }
  if (options.format === "ese") {
    const image = encodeEse(segments, {
      pes: options.pes,
      indexBits: options.indexBits ?? DEFAULT_INDEX_BITS,
      weightBits,
      codebook: sharing ? { bits: options.codebookBits!, values: sharing.codebook } : undefined,
    });
    return { image, segments, sharing, block: null };
  }
  let block: BcrBlock & { chosen: boolean };
  if (options.block) {
    if (!blockFitsSomeSegment(segments, options.block)) {
      const shapes = segments.map(({ matrix }) => `${matrix.rows}x${matrix.cols}`).join(", ");
      throw new UserError(
        `block ${options.block.rows}x${options.block.cols} is larger than every weight matrix (${shapes})`,
      );
    }
    block = { ...resolveBlock(segments, options.block), chosen: false };
  } else {
    if (!Number.isInteger(options.pes) || options.pes < 1) {
      throw new UserError(`pes must be an integer >= 1, got ${options.pes}`);
    }
    block = { ...chooseBlock(segments, options.pes, weightBits), chosen: true };
  }
  const image = encodeBcr(segments, {
    pes: options.pes,
    blockRows: block.rows,
    blockCols: block.cols,
    weightBits,
  });
  return { image, segments, sharing: null, block };
}
