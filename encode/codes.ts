/**
 * Weight fields shared by both encodings: a weight is stored either as itself (two's complement,
 * `weightBits` wide) or, with weight sharing, as a code into a codebook of 2^k weight values
 * (code 0 = 0). `docs/encoding.md`, "Codebook".
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { checkRange, type EncodedImage, fitsSigned, foldSigned, unfoldSigned } from "./image.ts";

/** A shared-weight codebook: 2^bits values in weight format, value 0 at code 0. */
export interface Codebook {
  /** Code width k. */
  bits: number;
  /** The 2^k values; values[0] must be 0. */
  values: Int32Array;
}

/** Code widths the encoders accept (the commands take 1..12). */
export const CODEBOOK_BITS_LIMIT = { min: 1, max: 16 } as const;

/** Map each codebook value to its lowest non-zero code (code 0 is reserved for 0). */
function codeLookup(codebook: Codebook, weightBits: number): Map<number, number> {
  checkRange("codebook bits", codebook.bits, CODEBOOK_BITS_LIMIT);
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

/**
 * How a stored weight field is made from a weight (`name` is the segment, for messages): the
 * weight folded into `weightBits` bits, or its codebook code (0 for the weight 0).
 */
export function weightFieldOf(
  weightBits: number,
  codebook: Codebook | undefined,
): (value: number, name: string) => number {
  const lookup = codebook ? codeLookup(codebook, weightBits) : null;
  return (value, name) => {
    if (lookup) {
      if (value === 0) return 0;
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

/** The codebook's words as stored in `codebook.hex` (weightBits wide, folded), or null. */
export function codebookWords(codebook: Codebook | undefined, weightBits: number): number[] | null {
  return codebook ? Array.from(codebook.values, (value) => foldSigned(value, weightBits)) : null;
}

/** The signed weight values the codes of an image stand for (null without a codebook). */
export function codebookValues(image: EncodedImage): Int32Array | null {
  if (!image.codebook) return null;
  const bits = image.manifest.weightBits;
  return Int32Array.from(image.codebook, (word) => unfoldSigned(word, bits));
}

/**
 * The weight a stored field of `fieldBits` bits stands for in an image: the codebook value of the
 * code, or the field read as two's complement.
 */
export function weightOfField(image: EncodedImage, fieldBits: number): (field: number) => number {
  const values = codebookValues(image);
  return values ? (field) => values[field] : (field) => unfoldSigned(field, fieldBits);
}
