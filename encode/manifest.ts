/**
 * The encoder's artifact: `manifest.json` of an image directory (written by `deno task encode`
 * and into every design's `mem/`), as one zod schema. Its types are `z.infer` of the schema, so
 * the writer (`encodeEse`, `encodeBcr`) and every reader (`readImageDir`, the RTL generator)
 * share one description. The fields are documented in docs/encoding.md ("Files").
 *
 * @module
 */

import { z } from "zod";

const count = z.number().int().nonnegative();

/** The two encodings. */
export const ENCODING_FORMATS = ["ese", "bcr"] as const;

/** The two encodings. */
export type EncodingFormat = typeof ENCODING_FORMATS[number];

/** What a memory holds. */
export const memoryKindSchema = z.enum(["weights", "pointers", "index", "codebook"]);

/** What a memory holds. */
export type MemoryKind = z.infer<typeof memoryKindSchema>;

/**
 * One memory of the image: its `.hex` file (e.g. `pe0_weights.hex`), what it holds, the PE that
 * owns it (null for the global codebook), its used words (0 for an empty memory, whose file
 * still holds one word of 0), its word width and `bits = depth * width`.
 */
export const memoryInfoSchema = z.object({
  file: z.string().regex(/^[a-z0-9_]+\.hex$/),
  kind: memoryKindSchema,
  pe: count.nullable(),
  depth: count,
  width: z.number().int().min(1).max(52),
  bits: count,
});

/** One memory of the image as listed in the manifest. */
export type MemoryInfo = z.infer<typeof memoryInfoSchema>;

/**
 * Where one segment lives in the memories: its shape and non-zeros; ese: the address of its first
 * pointer (the same in every PE), bcr: null; per PE the address of its first weight word; bcr,
 * per PE, the address of its first index word (ese: null).
 */
export const segmentLayoutSchema = z.object({
  name: z.string(),
  rows: z.number().int().positive(),
  cols: z.number().int().positive(),
  nonZeros: count,
  pointerBase: count.nullable(),
  weightBase: z.array(count),
  indexBase: z.array(count).nullable(),
});

/** Where one segment lives in the memories. */
export type SegmentLayout = z.infer<typeof segmentLayoutSchema>;

/**
 * Per-PE counts: rows of all segments this PE owns, its non-zero weights, the words of its weight
 * memory (`entries`: ese entries including padding, bcr weights including zeros) and how many of
 * them hold 0 (`zeroEntries`).
 */
export const peSummarySchema = z.object({
  pe: count,
  rows: count,
  nonZeros: count,
  entries: count,
  zeroEntries: count,
});

/** Per-PE counts. */
export type PeSummary = z.infer<typeof peSummarySchema>;

/**
 * Field layout of the `ese` format: entry width = deltaBits + valueBits (the low field is the
 * weight or its codebook code, the high field the relative row index), the delta of a padding
 * entry (2^deltaBits - 1) and the pointer width (the same for all PEs).
 */
export const eseLayoutSchema = z.object({
  entryWidth: count,
  valueBits: count,
  deltaBits: count,
  paddingDelta: count,
  pointerWidth: count,
});

/** Field layout of the `ese` format. */
export type EseLayout = z.infer<typeof eseLayoutSchema>;

/**
 * Field layout of the `bcr` format: index-word width, the header fields rowCount (high) and
 * colCount (low), the bits of an absolute column index and of a PE-local row index, and the
 * weight-word width.
 */
export const bcrLayoutSchema = z.object({
  indexWidth: count,
  headerRowBits: count,
  headerColBits: count,
  columnIndexBits: count,
  localRowBits: count,
  weightWidth: count,
});

/** Field layout of the `bcr` format. */
export type BcrLayout = z.infer<typeof bcrLayoutSchema>;

/**
 * `manifest.json`: everything needed to read the memories back. `weightBits` is the width of a
 * weight value or codebook word; `indexBits` (ese) and `codebookBits` (ese with weight sharing)
 * are null otherwise; `block` is bcr's block; memories are listed PE by PE, the codebook last;
 * `totalBits` sums them; `bitsPerNonZero` is null without non-zero weights.
 */
export const manifestSchema = z.object({
  format: z.enum(ENCODING_FORMATS),
  pes: z.number().int().positive(),
  weightBits: z.number().int().positive(),
  indexBits: count.nullable(),
  codebookBits: count.nullable(),
  block: z.object({ rows: z.number().int().positive(), cols: z.number().int().positive() })
    .nullable(),
  ese: eseLayoutSchema.nullable(),
  bcr: bcrLayoutSchema.nullable(),
  memories: z.array(memoryInfoSchema),
  totalBits: count,
  nonZeros: count,
  bitsPerNonZero: z.number().nullable(),
  perPe: z.array(peSummarySchema),
  segments: z.array(segmentLayoutSchema),
});

/** The manifest (`manifest.json`). */
export type EncodingManifest = z.infer<typeof manifestSchema>;
