/**
 * The memory images on disk: the manifest's bit accounting equals the bits actually written
 * (every .hex file parsed back line by line), words have exactly ceil(width/4) lowercase hex
 * digits and fit their width, and an image read back from disk decodes to the same matrices.
 *
 * Runs use fast-check's random seed; set FC_SEED to replay one.
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Codebook,
  decodeImage,
  type EncodedImage,
  encodeSegments,
  hexDigits,
  memoryWords,
  parseHexText,
  readImageDir,
  type Segment,
  toHexLines,
  writeImageDir,
} from "../encode/mod.ts";
import { randomSparseMatrix } from "../encode/random_sparse.ts";
import { UserError } from "../util/errors.ts";
import { dimensionArbitrary, fcParameters, withTempDir } from "./helpers.ts";

const dimension = dimensionArbitrary(1);

/** An image of 1..3 random segments in either format, with or without a codebook. */
const imageCase: fc.Arbitrary<{ segments: Segment[]; image: EncodedImage }> = fc.record({
  weightBits: fc.integer({ min: 2, max: 16 }),
  shapes: fc.array(
    fc.record({
      rows: dimension,
      cols: dimension,
      density: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
      seed: fc.integer(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  pes: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 })),
  format: fc.constantFrom("ese", "ese-codebook", "bcr", "bcr-codebook"),
  lanes: fc.constantFrom(1, 2, 4, 32, 64),
  indexBits: fc.integer({ min: 1, max: 8 }),
  codebookBits: fc.integer({ min: 1, max: 5 }),
  blockRows: fc.integer({ min: 1, max: 24 }),
  blockCols: fc.integer({ min: 1, max: 24 }),
}).map((c) => {
  let segments: Segment[] = c.shapes.map((shape, index) => ({
    name: `m${index}`,
    matrix: randomSparseMatrix({
      ...shape,
      emptyRowRate: 0.2,
      emptyColRate: 0.2,
      structure: "random",
      blockRows: 1,
      blockCols: 1,
      valueBits: c.weightBits,
    }),
  }));
  let codebook: Codebook | undefined;
  if (c.format.endsWith("-codebook")) {
    // Codebook: 0, then 2^k - 1 distinct values spread over the weight range.
    const codes = 2 ** c.codebookBits;
    const low = -(2 ** (c.weightBits - 1));
    const values = Int32Array.from(
      { length: codes },
      (_, code) => code === 0 ? 0 : low + Math.floor((code * (2 ** c.weightBits - 1)) / codes),
    );
    segments = segments.map(({ name, matrix }) => ({
      name,
      matrix: {
        ...matrix,
        data: matrix.data.map((v) =>
          v === 0 ? 0 : values[1 + (Math.abs(v) % (codes - 1))] || values[codes - 1]
        ),
      },
    }));
    codebook = { bits: c.codebookBits, values };
  }
  const image = c.format.startsWith("ese")
    ? encodeSegments(segments, {
      format: "ese",
      pes: c.pes,
      indexBits: c.indexBits,
      weightBits: c.weightBits,
      lanes: c.lanes,
      codebook,
    })
    : encodeSegments(segments, {
      format: "bcr",
      pes: c.pes,
      blockRows: c.blockRows,
      blockCols: c.blockCols,
      weightBits: c.weightBits,
      lanes: c.lanes,
      codebook,
    });
  return { segments, image };
});

Deno.test("the manifest's bit accounting equals the bits written to the .hex files", async () => {
  await withTempDir("rnnfab-encode-", async (root) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(imageCase, async ({ segments, image }) => {
        const dir = join(root, `image${run++}`);
        await writeImageDir(dir, image);
        const { manifest } = image;
        let writtenBits = 0;
        for (const memory of manifest.memories) {
          const text = await Deno.readTextFile(join(dir, memory.file));
          assert.ok(text.endsWith("\n"), `${memory.file} ends with a newline`);
          const lines = text.slice(0, -1).split("\n");
          // An empty memory holds one word of 0 and counts 0 used words.
          assert.equal(lines.length, Math.max(memory.depth, 1), memory.file);
          const digits = Math.ceil(memory.width / 4);
          for (const line of lines) {
            assert.match(line, new RegExp(`^[0-9a-f]{${digits}}$`), memory.file);
            const fits = BigInt(`0x${line}`) < 1n << BigInt(memory.width);
            assert.ok(fits, `${line} fits ${memory.width} bits`);
          }
          if (memory.depth === 0) assert.equal(parseInt(lines[0], 16), 0);
          const usedBits = memory.depth === 0 ? 0 : lines.length * memory.width;
          assert.equal(memory.bits, usedBits, memory.file);
          writtenBits += usedBits;
        }
        assert.equal(manifest.totalBits, writtenBits);
        const nonZeros = segments.reduce(
          (sum, { matrix }) => sum + matrix.data.filter((v) => v !== 0).length,
          0,
        );
        assert.equal(manifest.nonZeros, nonZeros);
        assert.equal(
          manifest.bitsPerNonZero,
          nonZeros === 0 ? null : writtenBits / nonZeros,
        );
        // Every file of the directory is listed in the manifest, and nothing else is there but
        // encode's marker (docs/reliability.md).
        const files = [];
        for await (const entry of Deno.readDir(dir)) files.push(entry.name);
        assert.deepStrictEqual(
          files.sort(),
          [...manifest.memories.map((m) => m.file), "manifest.json", "encode.json"].sort(),
        );
        // Read back from disk: same words, same matrices.
        const reread = await readImageDir(dir);
        assert.deepStrictEqual(reread.manifest, manifest);
        for (const memory of manifest.memories) {
          assert.deepStrictEqual(memoryWords(reread, memory), memoryWords(image, memory));
        }
        decodeImage(reread).forEach((segment, index) =>
          assert.deepStrictEqual(segment.matrix.data, segments[index].matrix.data)
        );
        await Deno.remove(dir, { recursive: true });
      }),
      fcParameters(300),
    );
  });
});

Deno.test("the widest word: 64 lanes of 24-bit weights (ese and bcr) written and read back", async () => {
  await withTempDir("rnnfab-encode-", async (root) => {
    const matrix = randomSparseMatrix({
      rows: 130,
      cols: 5,
      density: 0.7,
      seed: 7,
      emptyRowRate: 0,
      emptyColRate: 0,
      structure: "random",
      blockRows: 1,
      blockCols: 1,
      valueBits: 24,
    });
    const segments = [{ name: "m0", matrix }];
    const common = { pes: 2, weightBits: 24, lanes: 64 };
    const images = [
      encodeSegments(segments, { format: "ese", indexBits: 2, ...common }),
      encodeSegments(segments, { format: "bcr", blockRows: 128, blockCols: 5, ...common }),
    ];
    for (const [index, image] of images.entries()) {
      const weights = image.manifest.memories.find((m) => m.kind === "weights")!;
      assert.equal(weights.width, 64 * 24);
      const dir = join(root, `image${index}`);
      await writeImageDir(dir, image);
      const reread = await readImageDir(dir);
      assert.deepStrictEqual(reread.manifest, image.manifest);
      assert.deepStrictEqual(decodeImage(reread)[0].matrix.data, matrix.data);
    }
  });
});

Deno.test("toHexLines: exact digit count, lowercase, one zero word for an empty memory", () => {
  assert.deepStrictEqual(toHexLines([0, 1, 0x1f], 5), ["00", "01", "1f"]);
  assert.deepStrictEqual(toHexLines([0xabc], 12), ["abc"]);
  assert.deepStrictEqual(toHexLines([1], 1), ["1"]);
  assert.deepStrictEqual(toHexLines([], 16), ["0000"]);
  assert.deepStrictEqual(toHexLines([2 ** 47 + 5], 48), ["800000000005"]);
  assert.equal(hexDigits(13), 4);
  assert.throws(() => toHexLines([32], 5), /does not fit 5 bits/);
  assert.throws(() => toHexLines([-1], 5), /does not fit 5 bits/);
});

Deno.test("parseHexText rejects wrong digit counts, upper case and words wider than the width", () => {
  assert.deepStrictEqual(parseHexText("00\n1f\n", 5, "m.hex"), [0, 31]);
  assert.throws(() => parseHexText("0\n", 5, "m.hex"), UserError);
  assert.throws(() => parseHexText("1F\n", 5, "m.hex"), UserError);
  assert.throws(() => parseHexText("20\n", 5, "m.hex"), /does not fit 5 bits/);
});

Deno.test("readImageDir rejects a .hex file whose length disagrees with the manifest", async () => {
  await withTempDir("rnnfab-encode-", async (dir) => {
    const data = Int32Array.from([1, 0, 0, 2, 0, -3]);
    const image = encodeSegments([{ name: "w", matrix: { rows: 3, cols: 2, data } }], {
      format: "ese",
      pes: 2,
      indexBits: 2,
      weightBits: 4,
    });
    const out = join(dir, "image");
    await writeImageDir(out, image);
    await Deno.writeTextFile(join(out, "pe0_weights.hex"), "00\n00\n00\n00\n00\n");
    await assert.rejects(() => readImageDir(out), /manifest depth is 2/);
  });
});
