/**
 * Bit widths, shared by the encoder (field widths of the memory images) and the RTL generator
 * (address and index widths): one definition, the same rule as the cores' `$clog2`-based widths.
 *
 * @module
 */

/** Number of bits of an unsigned integer (at least 1): bitsFor(0) = bitsFor(1) = 1, bitsFor(4) = 3. */
export function bitsFor(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`bitsFor: expected a non-negative safe integer, got ${value}`);
  }
  let bits = 1;
  while (2 ** bits <= value) bits++;
  return bits;
}
