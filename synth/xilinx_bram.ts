/**
 * How many Xilinx block RAMs a memory of a given shape needs at least (UltraScale RAMB36E2 and
 * RAMB18E2, counted in BRAM36 as Yosys's and Vivado's tables do: a RAMB18 is half a BRAM36).
 *
 * A block RAM takes a memory in one of a few shapes (depth x width): a RAMB36 32K x 1, 16K x 2,
 * 8K x 4, 4K x 9, 2K x 18 or 1K x 36 with two independent ports (true dual port), 512 x 72 with one
 * read and one write port (simple dual port); a RAMB18 half of each depth, 512 x 36 simple dual
 * port at most. A memory is cut into slices of its width, each slice the memory's full depth in one
 * shape (the last words of a slice may go into a shallower shape of the same width or wider, e.g.
 * a RAMB18 under a stack of RAMB36), and the cheapest cut is taken. Lanes that hold the same bit in
 * every word (a ROM's constant bits) need no storage, and the caller may pass the used width.
 * With two read ports only the true dual-port shapes apply. Each memory is mapped on its own (two
 * memories never share a block, except two RAMB18 in one BRAM36 tile, which the half counts).
 *
 * @module
 */

/** Bits of one BRAM36 (parity bits included: 1K x 36). */
export const XILINX_BRAM36_BITS = 36_864;

/** One block RAM shape: BRAM36 it counts as, depth and width, and whether it has two read ports. */
export interface BlockRamShape {
  /** 1 for a RAMB36, 0.5 for a RAMB18. */
  blocks: number;
  /** Words. */
  depth: number;
  /** Bits per word. */
  width: number;
  /** True dual port (two read ports); false: simple dual port (one read, one write). */
  twoPorts: boolean;
}

/** UltraScale block RAM shapes (UG573): RAMB36E2 and RAMB18E2. */
export const XILINX_BRAM_SHAPES: readonly BlockRamShape[] = [
  ...[[32768, 1], [16384, 2], [8192, 4], [4096, 9], [2048, 18], [1024, 36]].map((
    [depth, width],
  ) => ({ blocks: 1, depth, width, twoPorts: true })),
  { blocks: 1, depth: 512, width: 72, twoPorts: false },
  ...[[16384, 1], [8192, 2], [4096, 4], [2048, 9], [1024, 18]].map(([depth, width]) => ({
    blocks: 0.5,
    depth,
    width,
    twoPorts: true,
  })),
  { blocks: 0.5, depth: 512, width: 36, twoPorts: false },
];

/** A memory's shape as the block RAM mapping sees it. */
export interface MemoryShape {
  /** Words. */
  depth: number;
  /** Bits per word that need storage (constant lanes left out). */
  width: number;
  /** Read ports with addresses of their own (1 or 2). */
  readPorts: number;
}

/** The fewest BRAM36 (a RAMB18 counts 0.5) a memory of this shape takes on its own. */
export function xilinxBram36(shape: MemoryShape): number {
  const { depth, width } = shape;
  if (depth <= 0 || width <= 0) return 0;
  if (shape.readPorts > 2) throw new Error(`xilinxBram36: ${shape.readPorts} read ports`);
  const shapes = XILINX_BRAM_SHAPES.filter((s) => s.twoPorts || shape.readPorts < 2);
  // the words of a slice beyond whole blocks of shape s: the cheapest shape as wide or wider
  const tail = (s: BlockRamShape, words: number) =>
    words === 0 ? 0 : Math.min(
      ...shapes.filter((t) => t.width >= s.width).map((t) => Math.ceil(words / t.depth) * t.blocks),
    );
  const slice = (s: BlockRamShape) =>
    Math.floor(depth / s.depth) * s.blocks + tail(s, depth % s.depth);
  // cost[w]: the cheapest cut of w bits into slices (a slice may be wider than what is left)
  const cost = [0];
  for (let w = 1; w <= width; w++) {
    cost.push(Math.min(...shapes.map((s) => slice(s) + cost[Math.max(0, w - s.width)])));
  }
  return cost[width];
}

/** Bits that vary over the words (lanes constant in every word need no storage). */
export function usedWidth(words: readonly (number | bigint)[], width: number): number {
  if (words.length === 0) return 0;
  let ones = 0n;
  let zeros = 0n;
  const mask = (1n << BigInt(width)) - 1n;
  for (const word of words) {
    const value = BigInt(word) & mask;
    ones |= value;
    zeros |= ~value & mask;
  }
  let varying = ones & zeros;
  let count = 0;
  while (varying > 0n) {
    count += Number(varying & 1n);
    varying >>= 1n;
  }
  return count;
}
