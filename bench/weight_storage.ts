/**
 * Weight storage per weight format: the bits per non-zero of a pruned model's bcr image at
 * 12-bit weights, at 8-bit weights and with a 4-bit codebook (weight sharing over 12-bit
 * weights), for one PEs x lanes configuration and block. Computed from the encoded images'
 * manifests (`totalBits / nonZeros`, every index, header and stored zero counted); the weights of
 * each format are quantized from the same float model (docs/fixed-point.md).
 *
 * @module
 */

import type { RnnModel } from "../model/model.ts";
import { DEFAULT_FIXED_CONFIG, quantizeModel } from "../model/fixed.ts";
import { encodeModel, summarizeImage } from "../encode/mod.ts";

/** The weight formats measured: name, quantized weight width, optional codebook width. */
export const WEIGHT_FORMATS = [
  { name: "12-bit", weightBits: 12 },
  { name: "8-bit", weightBits: 8 },
  { name: "codebook 4-bit", weightBits: 12, codebookBits: 4 },
] as const;

/** The storage targets (bits per non-zero, ESE-shaped model). */
export const STORAGE_TARGETS = { "12-bit": 14, "8-bit": 10 } as const;

/** The storage of one weight format (computed from its image's manifest). */
export interface WeightStorage {
  /** Weight format name (`WEIGHT_FORMATS`). */
  format: string;
  /** Width of a stored weight: the weight bits, or the code bits. */
  storedBits: number;
  /** Non-zero weights after quantization (and sharing). */
  nonZeros: number;
  /** Bits of all weight images (weights, indices, codebook). */
  totalBits: number;
  /** totalBits / nonZeros. */
  bitsPerNonZero: number | null;
  /** Width of an index word (bcr layout). */
  indexWidth: number;
  /** Bits in weight memories, index memories and the codebook. */
  bitsByKind: { weights: number; index: number; codebook: number };
}

/** The bcr image storage of `model` in every weight format of `WEIGHT_FORMATS`. */
export function weightStorage(
  model: RnnModel,
  options: { pes: number; lanes: number; block: { rows: number; cols: number } },
): WeightStorage[] {
  return WEIGHT_FORMATS.map((format) => {
    const quantized = quantizeModel(model, {
      ...DEFAULT_FIXED_CONFIG,
      weightBits: format.weightBits,
    });
    const codebookBits = "codebookBits" in format ? format.codebookBits : undefined;
    const { image } = encodeModel(quantized, {
      format: "bcr",
      pes: options.pes,
      lanes: options.lanes,
      block: options.block,
      codebookBits,
    });
    const summary = summarizeImage(image);
    return {
      format: format.name,
      storedBits: codebookBits ?? format.weightBits,
      nonZeros: summary.nonZeros,
      totalBits: summary.totalBits,
      bitsPerNonZero: summary.bitsPerNonZero,
      indexWidth: image.manifest.bcr?.indexWidth ?? 0,
      bitsByKind: {
        weights: summary.bitsByKind.weights,
        index: summary.bitsByKind.index,
        codebook: summary.bitsByKind.codebook,
      },
    };
  });
}

/** One line per weight format, for people. */
export function storageLine(rows: WeightStorage[]): string {
  return "bits/non-zero by weight format (computed from the images): " +
    rows.map((row) => `${row.format} ${row.bitsPerNonZero?.toFixed(2) ?? "-"}`).join(", ");
}
