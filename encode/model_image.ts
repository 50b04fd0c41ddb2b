/**
 * From a quantized model to the weight image the PEs hold: optional weight sharing, the model's
 * matrices in the PEs' row order (`hardwareSegments`: gate rows padded to K*N, bcr cut into block
 * columns), the bcr block (given, or chosen by `chooseBlock`), checks of the widths, and the
 * encoding. This is the one encoder of the pipeline: `deno task encode` writes its image, and the
 * RTL generator builds the design around the same image.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import { encodeBcr } from "./bcr.ts";
import { type BlockChoice, chooseBlock } from "./block_choice.ts";
import { type SharedWeights, shareWeights } from "./codebook.ts";
import { encodeEse } from "./ese.ts";
import { type EncodedImage, type Segment, segmentsWeightBits } from "./image.ts";
import type { EncodingFormat } from "./manifest.ts";
import { type HardwareSegment, hardwareSegments } from "./pe_segments.ts";

/** A bcr block as given: a side left out is chosen; `Infinity` means the whole dimension. */
export interface BcrBlock {
  /** Block height (Infinity: the tallest matrix's full height). */
  rows?: number;
  /** Block width (Infinity: the widest matrix's full width). */
  cols?: number;
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
  /** bcr: the block; absent (or a side absent): chosen by `chooseBlock`. */
  block?: BcrBlock;
  /** MAC lanes L (weights per weight word; default 1; ese: one line of L rows per entry). */
  lanes?: number;
}

/** The result of `encodeModel`. */
export interface ModelImage {
  /** The encoded image. */
  image: EncodedImage;
  /** The segments that were encoded, in the PEs' row order (after weight sharing, if any). */
  segments: HardwareSegment[];
  /** The integer model the image holds: the shared model with a codebook, else the input. */
  model: QuantizedModel;
  /** With a codebook: the shared model (the golden model must run on it), codebook and report. */
  sharing: SharedWeights | null;
  /** bcr: the block used and how it was set; ese: null. */
  block: BlockChoice | null;
}

/** Default relative-index width of the ese format (ESE: 4 bits). */
export const DEFAULT_INDEX_BITS = 4;

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

/** Reject option combinations that do not apply to the format. */
function checkFormatOptions(options: ModelEncodeOptions): void {
  if (options.format === "ese" && options.block !== undefined) {
    throw new UserError("a block size only applies to the bcr format");
  }
  if (options.format === "bcr" && options.indexBits !== undefined) {
    throw new UserError("index bits only apply to the ese format");
  }
  if (!Number.isInteger(options.pes) || options.pes < 1) {
    throw new UserError(`pes must be an integer >= 1, got ${options.pes}`);
  }
}

/**
 * The bcr block for these (whole, uncut) segments: given sides kept (Infinity resolved to the
 * largest matrix), missing sides chosen by `chooseBlock`. A fully given block must fit inside at
 * least one matrix.
 */
export function resolveBlock(
  segments: Segment[],
  pes: number,
  block: BcrBlock = {},
  lanes = 1,
): BlockChoice {
  const matrices = segments.map((segment) => segment.matrix);
  const whole = (side: number | undefined, size: (m: { rows: number; cols: number }) => number) =>
    side === Infinity ? Math.max(...matrices.map(size)) : side;
  const rows = whole(block.rows, (m) => m.rows);
  const cols = whole(block.cols, (m) => m.cols);
  if (rows === undefined || cols === undefined) {
    const score = chooseBlock(matrices, pes, { rows, cols }, lanes);
    return { rows: score.rows, cols: score.cols, how: "chosen", score };
  }
  if (!matrices.some((m) => rows <= m.rows && cols <= m.cols)) {
    const shapes = matrices.map((m) => `${m.rows}x${m.cols}`).join(", ");
    throw new UserError(`block ${rows}x${cols} is larger than every weight matrix (${shapes})`);
  }
  return { rows, cols, how: "given", score: null };
}

/**
 * Encode every weight matrix of a quantized model for `pes` PEs (weight_ih_l0, weight_hh_l0,
 * weight_hr_l0, weight_ih_l1, ..., in the PEs' row order). Throws a UserError for options that do
 * not apply to the format, a block larger than every matrix and weights wider than `weightBits`.
 */
export function encodeModel(model: QuantizedModel, options: ModelEncodeOptions): ModelImage {
  checkFormatOptions(options);
  const { pes, format } = options;
  const weightBits = options.weightBits ?? model.format.weightBits;
  const sharing = options.codebookBits === undefined
    ? null
    : shareWeights(model, options.codebookBits);
  const held = sharing ? sharing.model : model;
  const whole = hardwareSegments(held, pes, "ese", 1);
  const needed = segmentsWeightBits(whole);
  if (needed > weightBits) {
    throw new UserError(
      `weight bits ${weightBits} is narrower than the quantized weights need (${needed} bits; ${
        widestWeight(whole)
      })`,
    );
  }
  const codebook = sharing ? { bits: options.codebookBits!, values: sharing.codebook } : undefined;
  const lanes = options.lanes ?? 1;
  if (format === "ese") {
    const segments = lanes === 1 ? whole : hardwareSegments(held, pes, "ese", 1, lanes);
    const image = encodeEse(segments, {
      pes,
      indexBits: options.indexBits ?? DEFAULT_INDEX_BITS,
      weightBits,
      lanes,
      codebook,
    });
    return { image, segments, model: held, sharing, block: null };
  }
  const padded = lanes === 1 ? whole : hardwareSegments(held, pes, "ese", 1, lanes);
  const block = resolveBlock(padded, pes, options.block, lanes);
  const segments = hardwareSegments(held, pes, "bcr", block.cols, lanes);
  const image = encodeBcr(segments, {
    pes,
    blockRows: block.rows,
    blockCols: block.cols,
    weightBits,
    lanes,
    codebook,
  });
  return { image, segments, model: held, sharing, block };
}
