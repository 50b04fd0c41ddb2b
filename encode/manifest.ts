/**
 * The encoder's artifact: `manifest.json` of an image directory (written by `deno task encode`
 * and into every design's `mem/`), as one zod schema. Its types are `z.infer` of the schema, so
 * the writer (`encodeEse`, `encodeBcr`) and every reader (`readImageDir`, the RTL generator)
 * share one description. The fields are documented in docs/encoding.md ("Files").
 *
 * @module
 */

import { z } from "zod";
import { sameFields } from "../util/schema.ts";

const count = z.number().int().nonnegative();

/** The weight width every format accepts (keeps every word within 48 bits, exact in a float64). */
export const WEIGHT_BITS_LIMIT = { min: 2, max: 24 } as const;

/**
 * The MAC lane counts L both encodings (and the generator, `rtl/config.ts` LANE_COUNTS) accept:
 * powers of two, since a PE banks its accumulators by local row mod L.
 */
export const MAC_LANE_COUNTS = [1, 2, 4, 8, 16, 32, 64] as const;

/**
 * Widest memory word of an image: a weight word of the most lanes of the widest weights (a weight
 * word of lanes is read as BigInt, `memoryWordsWide`; every other word is within 48 bits).
 */
export const MAX_WORD_BITS = Math.max(...MAC_LANE_COUNTS) * WEIGHT_BITS_LIMIT.max;

/** The two encodings. */
export const ENCODING_FORMATS = ["ese", "bcr"] as const;

/** The two encodings. */
export type EncodingFormat = typeof ENCODING_FORMATS[number];

/** What a memory holds. */
export const memoryKindSchema = z.enum(["weights", "pointers", "index", "codebook"]);

/** What a memory holds. */
export type MemoryKind = z.infer<typeof memoryKindSchema>;

/**
 * `manifest.json`: everything needed to read the memories back (docs/encoding.md, "Files").
 * - `lanes`: weights per weight-memory word (L multipliers fed by one word; ese with lanes: the
 *   weights of a line of L rows, its line delta in the index memory);
 * - `weightBits`: the width of a weight value or codebook word; `indexBits` (ese) and
 *   `codebookBits` (ese with weight sharing), null otherwise; `block`: bcr's block;
 * - `ese`: entry width = deltaBits + lanes * valueBits (one lane: the low field is the weight or its
 *   codebook code, the high field the relative row index; lanes: two memories, docs/encoding.md), the delta of a padding entry (2^deltaBits - 1) and
 *   the pointer width (the same for all PEs); `bcr`: index-word width, the header fields
 *   rowCount (high) and colCount (low), the bits of an absolute column index and of a PE-local
 *   row index (with lanes: a line index, local row div L), the width of one weight (a weight
 *   word holds `lanes` of them) and the most row (line) words one block record of one PE has;
 * - `memories`, PE by PE, the codebook last: the `.hex` file, what it holds, the owning PE (null
 *   for the codebook), used words (0 for an empty memory, whose file still holds one word of 0),
 *   word width and `bits = depth * width`; `totalBits` sums them; `bitsPerNonZero` is null
 *   without non-zero weights;
 * - `perPe`: rows of all segments the PE owns, its non-zero weights, the words of its weight
 *   memory (`entries`: ese entries including padding, bcr weights including zeros) and how many
 *   hold 0;
 * - `segments`: each segment's shape and non-zeros; ese: the address of its first pointer (the
 *   same in every PE); per PE the address of its first weight word; bcr, per PE, of its first
 *   index word.
 */
export const manifestSchema = z.object({
  format: z.enum(ENCODING_FORMATS),
  ...sameFields(z.number().int().positive(), "pes", "weightBits", "lanes").shape,
  ...sameFields(count.nullable(), "indexBits", "codebookBits").shape,
  block: sameFields(z.number().int().positive(), "rows", "cols").nullable(),
  ese: sameFields(count, "entryWidth", "valueBits", "deltaBits", "paddingDelta", "pointerWidth")
    .nullable(),
  bcr: sameFields(count, "indexWidth", "headerRowBits", "headerColBits", "columnIndexBits")
    .extend(sameFields(count, "localRowBits", "weightWidth", "maxBlockLines").shape).nullable(),
  memories: z.array(
    sameFields(count, "depth", "bits").extend({
      file: z.string().regex(/^[a-z0-9_]+\.hex$/),
      kind: memoryKindSchema,
      pe: count.nullable(),
      width: z.number().int().min(1).max(MAX_WORD_BITS),
    }),
  ),
  ...sameFields(count, "totalBits", "nonZeros").shape,
  bitsPerNonZero: z.number().nullable(),
  perPe: z.array(sameFields(count, "pe", "rows", "nonZeros", "entries", "zeroEntries")),
  segments: z.array(
    sameFields(z.number().int().positive(), "rows", "cols").extend({
      name: z.string(),
      nonZeros: count,
      pointerBase: count.nullable(),
      weightBase: z.array(count),
      indexBase: z.array(count).nullable(),
    }),
  ),
});

/** The manifest (`manifest.json`). */
export type EncodingManifest = z.infer<typeof manifestSchema>;

/** One memory of the image as listed in the manifest. */
export type MemoryInfo = EncodingManifest["memories"][number];

/** Where one segment lives in the memories. */
export type SegmentLayout = EncodingManifest["segments"][number];

/** Per-PE counts. */
export type PeSummary = EncodingManifest["perPe"][number];

/** Field layout of the `ese` format. */
export type EseLayout = NonNullable<EncodingManifest["ese"]>;

/** Field layout of the `bcr` format. */
export type BcrLayout = NonNullable<EncodingManifest["bcr"]>;
