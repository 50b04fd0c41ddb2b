/**
 * Writes the memory images of the small synthesis test design (tests/data/synth/small): a random
 * sparse 64 x 64 matrix of 12-bit weights (10 fraction bits), rows interleaved over 2 PEs, stored
 * per PE as column pointers ({end, begin}, 10 bits each) and entries ({weight, local row}).
 * Deterministic; run from the repository root: `deno run -A tests/data/synth/make_small.ts`.
 *
 * @module
 */

import { seededRandom } from "../../../model/random.ts";

const PES = 2;
const INPUTS = 64;
const ROWS = 64;
const WEIGHT_BITS = 12;
const NZ_DEPTH = 512;
const DENSITY = 0.22;
const ROW_BITS = 5;
const POINTER_BITS = 10;
const DIR = new URL("./small/", import.meta.url).pathname;

function hex(value: number, bits: number): string {
  const masked = BigInt.asUintN(bits, BigInt(value));
  return masked.toString(16).padStart(Math.ceil(bits / 4), "0");
}

const random = seededRandom(7);
const weights: number[][] = [];
for (let row = 0; row < ROWS; row++) {
  weights.push([]);
  for (let column = 0; column < INPUTS; column++) {
    const keep = random() < DENSITY;
    const value = Math.round((random() * 2 - 1) * (1 << (WEIGHT_BITS - 1)));
    weights[row].push(keep ? Math.max(-(1 << (WEIGHT_BITS - 1)), Math.min((1 << (WEIGHT_BITS - 1)) - 1, value)) : 0);
  }
}

await Deno.mkdir(`${DIR}mem`, { recursive: true });
for (let pe = 0; pe < PES; pe++) {
  const entries: string[] = [];
  const pointers: string[] = [];
  for (let column = 0; column < INPUTS; column++) {
    const begin = entries.length;
    for (let row = pe; row < ROWS; row += PES) {
      const weight = weights[row][column];
      if (weight === 0) continue;
      const localRow = (row - pe) / PES;
      const entry = (BigInt.asUintN(WEIGHT_BITS, BigInt(weight)) << BigInt(ROW_BITS)) |
        BigInt(localRow);
      entries.push(entry.toString(16).padStart(Math.ceil((WEIGHT_BITS + ROW_BITS) / 4), "0"));
    }
    pointers.push(hex((entries.length << POINTER_BITS) | begin, 2 * POINTER_BITS));
  }
  if (entries.length > NZ_DEPTH) throw new Error(`PE ${pe}: ${entries.length} entries`);
  while (entries.length < NZ_DEPTH) entries.push(hex(0, WEIGHT_BITS + ROW_BITS));
  await Deno.writeTextFile(`${DIR}mem/pe${pe}_weights.hex`, entries.join("\n") + "\n");
  await Deno.writeTextFile(`${DIR}mem/pe${pe}_pointers.hex`, pointers.join("\n") + "\n");
}
