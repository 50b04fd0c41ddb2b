/**
 * Compressed weight buffers: the `ese` and `bcr` encodings of quantized weight matrices into the
 * PEs' memory images, their decoders, a PE model that reads the images, weight sharing, and the
 * `.hex` + `manifest.json` files. The format is `docs/encoding.md`.
 *
 * @module
 */

import { type BcrOptions, decodeBcr, encodeBcr } from "./bcr.ts";
import { decodeEse, encodeEse, type EseOptions } from "./ese.ts";
import { type EncodedImage, imbalance, type Segment } from "./image.ts";

export * from "./image.ts";
export * from "./manifest.ts";
export * from "./pe_segments.ts";
export * from "./block_choice.ts";
export * from "./ese.ts";
export * from "./bcr.ts";
export * from "./codebook.ts";
export * from "./codes.ts";
export * from "./pe_model.ts";
export * from "./hex.ts";
export * from "./model_image.ts";
export * from "./balance_cells.ts";

/** Options of `encodeSegments`: the format and that format's options. */
export type EncodeOptions =
  | ({ format: "ese" } & EseOptions)
  | ({ format: "bcr" } & BcrOptions);

/** Encode segments in either format. */
export function encodeSegments(segments: Segment[], options: EncodeOptions): EncodedImage {
  return options.format === "ese" ? encodeEse(segments, options) : encodeBcr(segments, options);
}

/** Rebuild the segments of an image in either format. */
export function decodeImage(image: EncodedImage): Segment[] {
  return image.manifest.format === "ese" ? decodeEse(image) : decodeBcr(image);
}

/** The figures the CLI prints about an image, as data (all computed from the manifest). */
export interface EncodingSummary {
  /** Format name. */
  format: string;
  /** PE count. */
  pes: number;
  /** Sum over memories of depth * width. */
  totalBits: number;
  /** Non-zero weights. */
  nonZeros: number;
  /** totalBits / nonZeros, or null. */
  bitsPerNonZero: number | null;
  /** Bits in weight memories, in pointer/index memories, in the codebook. */
  bitsByKind: { weights: number; pointers: number; index: number; codebook: number };
  /** Per-PE non-zeros. */
  peNonZeros: number[];
  /** Per-PE weight-memory words. */
  peEntries: number[];
  /** max / mean of per-PE non-zeros (1 = balanced). */
  nonZeroImbalance: number;
  /** max / mean of per-PE weight-memory words (what sets the cycle count). */
  entryImbalance: number;
}

/** Summarise an image's manifest. */
export function summarizeImage(image: EncodedImage): EncodingSummary {
  const { manifest } = image;
  const bitsByKind = { weights: 0, pointers: 0, index: 0, codebook: 0 };
  for (const memory of manifest.memories) bitsByKind[memory.kind] += memory.bits;
  return {
    format: manifest.format,
    pes: manifest.pes,
    totalBits: manifest.totalBits,
    nonZeros: manifest.nonZeros,
    bitsPerNonZero: manifest.bitsPerNonZero,
    bitsByKind,
    peNonZeros: manifest.perPe.map((pe) => pe.nonZeros),
    peEntries: manifest.perPe.map((pe) => pe.entries),
    nonZeroImbalance: imbalance(manifest.perPe),
    entryImbalance: imbalance(manifest.perPe.map((pe) => ({ nonZeros: pe.entries }))),
  };
}
