/**
 * Property tests of the weight encodings (docs/encoding.md): decode(encode(W)) = W, and the PE
 * model reading the images computes the dense product bit for bit, for arbitrary shapes,
 * densities (empty rows, empty columns, all-zero matrices included), PE counts, index and weight
 * widths, several segments, both formats, with and without a codebook.
 *
 * Runs use fast-check's random seed; a failure prints the seed and the shrunk case. Set FC_SEED to
 * replay a seed.
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import {
  type Codebook,
  decodeImage,
  denseMatVec,
  type EncodedImage,
  encodeSegments,
  imageMatVec,
  memoryWords,
  peMatVec,
  peRowCount,
  type Segment,
  toHexLines,
} from "../encode/mod.ts";
import { randomSparseMatrix, type SparseMatrixSpec } from "../encode/random_sparse.ts";
import { seededRandom } from "../model/random.ts";
import { dimensionArbitrary, fcParameters } from "./helpers.ts";

const dimension = dimensionArbitrary(2);

const density = fc.oneof(
  fc.constantFrom(0, 1, 0.01, 0.05),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

const matrixSpec = (valueBits: number): fc.Arbitrary<SparseMatrixSpec> =>
  fc.record({
    rows: dimension,
    cols: dimension,
    density,
    emptyRowRate: fc.constantFrom(0, 0, 0.3, 0.8),
    emptyColRate: fc.constantFrom(0, 0, 0.3, 0.8),
    structure: fc.constantFrom("random" as const, "blocks" as const),
    blockRows: fc.integer({ min: 1, max: 20 }),
    blockCols: fc.integer({ min: 1, max: 20 }),
    valueBits: fc.constant(valueBits),
    seed: fc.integer(),
  });

/** PE counts 1..40, mostly small. */
const peCount = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) },
);

interface EncodeCase {
  segments: Segment[];
  image: EncodedImage;
  vectorSeed: number;
}

function makeSegments(specs: SparseMatrixSpec[]): Segment[] {
  return specs.map((spec, index) => ({ name: `m${index}`, matrix: randomSparseMatrix(spec) }));
}

/** Replace every non-zero by a codebook value (code 1..2^k-1 drawn at random; may become 0). */
function applyCodebook(segments: Segment[], codebook: Codebook, seed: number): Segment[] {
  const random = seededRandom(seed);
  const codes = codebook.values.length;
  return segments.map(({ name, matrix }) => ({
    name,
    matrix: {
      ...matrix,
      data: matrix.data.map((value) =>
        value === 0 ? 0 : codebook.values[1 + Math.floor(random() * (codes - 1))]
      ),
    },
  }));
}

/** A codebook of 2^bits values of `weightBits` bits: 0, then random values (duplicates and 0 allowed). */
function randomCodebook(weightBits: number, bits: number, seed: number): Codebook {
  const random = seededRandom(seed);
  const values = new Int32Array(2 ** bits);
  for (let code = 1; code < values.length; code++) {
    values[code] = -(2 ** (weightBits - 1)) + Math.floor(random() * 2 ** weightBits);
  }
  return { bits, values };
}

const eseCase: fc.Arbitrary<EncodeCase> = fc.integer({ min: 2, max: 16 }).chain((weightBits) =>
  fc.record({
    specs: fc.array(matrixSpec(weightBits), { minLength: 1, maxLength: 3 }),
    pes: peCount,
    indexBits: fc.integer({ min: 1, max: 8 }),
    vectorSeed: fc.integer(),
  }).map(({ specs, pes, indexBits, vectorSeed }) => {
    const segments = makeSegments(specs);
    const image = encodeSegments(segments, { format: "ese", pes, indexBits, weightBits });
    return { segments, image, vectorSeed };
  })
);

/** ese with MAC lanes (lines of L local rows per entry), half of the cases with a codebook. */
const eseLanesCase: fc.Arbitrary<EncodeCase> = fc.integer({ min: 2, max: 16 }).chain((weightBits) =>
  fc.record({
    specs: fc.array(matrixSpec(weightBits), { minLength: 1, maxLength: 3 }),
    pes: peCount,
    indexBits: fc.integer({ min: 1, max: 8 }),
    lanes: fc.constantFrom(2, 4, 8, 16, 32, 64),
    codebookBits: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    codeSeed: fc.integer(),
    vectorSeed: fc.integer(),
  }).map(({ specs, pes, indexBits, lanes, codebookBits, codeSeed, vectorSeed }) => {
    const codebook = codebookBits === undefined
      ? undefined
      : randomCodebook(weightBits, codebookBits, codeSeed);
    const plain = makeSegments(specs);
    const segments = codebook ? applyCodebook(plain, codebook, codeSeed + 1) : plain;
    const image = encodeSegments(segments, {
      format: "ese",
      pes,
      indexBits,
      weightBits,
      lanes,
      codebook,
    });
    return { segments, image, vectorSeed };
  })
);

const codebookCase: fc.Arbitrary<EncodeCase> = fc.integer({ min: 2, max: 16 }).chain((weightBits) =>
  fc.record({
    specs: fc.array(matrixSpec(weightBits), { minLength: 1, maxLength: 3 }),
    pes: peCount,
    indexBits: fc.integer({ min: 1, max: 8 }),
    codebookBits: fc.integer({ min: 1, max: 6 }),
    codeSeed: fc.integer(),
    vectorSeed: fc.integer(),
  }).map(({ specs, pes, indexBits, codebookBits, codeSeed, vectorSeed }) => {
    const codebook = randomCodebook(weightBits, codebookBits, codeSeed);
    const segments = applyCodebook(makeSegments(specs), codebook, codeSeed + 1);
    const image = encodeSegments(segments, {
      format: "ese",
      pes,
      indexBits,
      weightBits,
      codebook,
    });
    return { segments, image, vectorSeed };
  })
);

/** bcr, with lanes, half of the cases with a codebook (weight slots then hold codes). */
const bcrCase: fc.Arbitrary<EncodeCase> = fc.integer({ min: 2, max: 16 }).chain((weightBits) =>
  fc.record({
    specs: fc.array(matrixSpec(weightBits), { minLength: 1, maxLength: 3 }),
    pes: peCount,
    blockRows: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 300 })),
    blockCols: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 300 })),
    lanes: fc.constantFrom(1, 1, 2, 4, 8, 16, 32, 64),
    codebookBits: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    codeSeed: fc.integer(),
    vectorSeed: fc.integer(),
  }).map(({ specs, pes, blockRows, blockCols, lanes, codebookBits, codeSeed, vectorSeed }) => {
    const codebook = codebookBits === undefined
      ? undefined
      : randomCodebook(weightBits, codebookBits, codeSeed);
    const plain = makeSegments(specs);
    const segments = codebook ? applyCodebook(plain, codebook, codeSeed + 1) : plain;
    const image = encodeSegments(segments, {
      format: "bcr",
      pes,
      blockRows,
      blockCols,
      weightBits,
      lanes,
      codebook,
    });
    return { segments, image, vectorSeed };
  })
);

function assertRoundTrip({ segments, image }: EncodeCase): void {
  const decoded = decodeImage(image);
  assert.deepStrictEqual(decoded.length, segments.length);
  decoded.forEach((segment, index) => {
    const original = segments[index];
    assert.deepStrictEqual(segment.name, original.name);
    assert.deepStrictEqual([segment.matrix.rows, segment.matrix.cols], [
      original.matrix.rows,
      original.matrix.cols,
    ]);
    assert.deepStrictEqual(segment.matrix.data, original.matrix.data);
  });
  const nonZeros = segments.reduce(
    (sum, { matrix }) => sum + matrix.data.filter((value) => value !== 0).length,
    0,
  );
  assert.deepStrictEqual(image.manifest.nonZeros, nonZeros);
  assert.deepStrictEqual(image.manifest.perPe.reduce((sum, pe) => sum + pe.nonZeros, 0), nonZeros);
}

/** A 16-bit activation vector with extremes, as the hardware would see. */
function randomVector(length: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  return Int32Array.from({ length }, () => {
    const draw = random();
    if (draw < 0.1) return -32768;
    if (draw < 0.2) return 32767;
    if (draw < 0.3) return 0;
    return Math.floor(random() * 65536) - 32768;
  });
}

function assertMatVec({ segments, image, vectorSeed }: EncodeCase): void {
  const { pes } = image.manifest;
  segments.forEach(({ matrix }, index) => {
    const vector = randomVector(matrix.cols, vectorSeed + index);
    const dense = denseMatVec(matrix, vector);
    for (let pe = 0; pe < pes; pe++) {
      const local = peMatVec(image, pe, index, vector);
      assert.deepStrictEqual(local.length, peRowCount(matrix.rows, pes, pe));
      local.forEach((sum, u) => assert.deepStrictEqual(sum, dense[u * pes + pe]));
    }
    assert.deepStrictEqual(imageMatVec(image, index, vector), dense);
  });
}

/** The property runs: each case kind through the round trip and the PE model's product. */
const PROPERTIES: [name: string, arbitrary: typeof eseCase, runs: number, productRuns: number][] = [
  ["ese", eseCase, 1000, 600],
  ["ese with codebook", codebookCase, 600, 400],
  ["ese with lanes (with and without a codebook)", eseLanesCase, 600, 400],
  ["bcr (with and without a codebook)", bcrCase, 1000, 600],
];
for (const [name, arbitrary, runs, productRuns] of PROPERTIES) {
  Deno.test(`${name}: decode(encode(W)) = W for arbitrary shapes, PEs and widths`, () => {
    fc.assert(fc.property(arbitrary, assertRoundTrip), fcParameters(runs));
  });
  Deno.test(`${name}: the PE model reading its image computes the dense product bit for bit`, () => {
    fc.assert(fc.property(arbitrary, assertMatVec), fcParameters(productRuns));
  });
}

Deno.test("ese: padding entries appear exactly when a gap exceeds the index range", () => {
  // One column, one PE, non-zeros at rows 0 and 9 with 2-bit indices: gap 8 > 3 -> two paddings.
  const data = new Int32Array(10);
  data[0] = 1;
  data[9] = -1;
  const image = encodeSegments([{ name: "w", matrix: { rows: 10, cols: 1, data } }], {
    format: "ese",
    pes: 1,
    indexBits: 2,
    weightBits: 4,
  });
  // entry = delta (2 bits) | weight (4 bits): 0|1, pad 3|0, pad 3|0, delta 0|-1 (0xf).
  assert.deepStrictEqual(image.peMemories[0].weights, [0x01, 0x30, 0x30, 0x0f]);
  assert.deepStrictEqual(image.peMemories[0].pointers, [0, 4]);
  assert.deepStrictEqual(image.manifest.perPe[0].zeroEntries, 2);
});

Deno.test("ese with lanes: lines, relative line indices, padding lines and the index memory", () => {
  // One column, one PE, 2 lanes: non-zeros at rows 0, 1 (line 0) and 13 (line 6), 2-bit indices:
  // line gap 5 > 3 -> one padding entry (delta 3), then line 6 at delta 1.
  const data = new Int32Array(14);
  data[0] = 1;
  data[1] = -1;
  data[13] = 2;
  const image = encodeSegments([{ name: "w", matrix: { rows: 14, cols: 1, data } }], {
    format: "ese",
    pes: 1,
    indexBits: 2,
    weightBits: 4,
    lanes: 2,
  });
  const pe = image.peMemories[0];
  assert.deepStrictEqual(pe.weights, [0x1, 0xf, 0, 0, 0, 0x2]);
  assert.deepStrictEqual(pe.index, [0, 3, 1]);
  assert.deepStrictEqual(pe.pointers, [0, 3]);
  const widths = image.manifest.memories.map((m) => [m.file, m.depth, m.width]);
  assert.deepStrictEqual(widths, [
    ["pe0_weights.hex", 3, 8],
    ["pe0_pointers.hex", 2, 2],
    ["pe0_index.hex", 3, 2],
  ]);
  assert.deepStrictEqual(image.manifest.ese?.entryWidth, 2 + 2 * 4);
  assert.deepStrictEqual(image.manifest.perPe[0].zeroEntries, 3);
  assert.deepStrictEqual(decodeImage(image)[0].matrix.data, data);
});

Deno.test("edge cases: 300x300 dense and empty, 1x1, more PEs than rows, 1-bit indices", () => {
  const cases: SparseMatrixSpec[] = [
    { rows: 300, cols: 300, density: 1, emptyRowRate: 0, emptyColRate: 0 },
    { rows: 300, cols: 300, density: 0, emptyRowRate: 0, emptyColRate: 0 },
    { rows: 300, cols: 7, density: 0.02, emptyRowRate: 0, emptyColRate: 0 },
    { rows: 1, cols: 1, density: 1, emptyRowRate: 0, emptyColRate: 0 },
    { rows: 3, cols: 300, density: 0.5, emptyRowRate: 0.5, emptyColRate: 0.5 },
  ].map((shape, seed) => ({
    ...shape,
    structure: "random",
    blockRows: 1,
    blockCols: 1,
    valueBits: 16,
    seed,
  }));
  for (const spec of cases) {
    const segments = makeSegments([spec, spec]);
    for (const pes of [1, 7, 40]) {
      for (
        const image of [
          encodeSegments(segments, { format: "ese", pes, indexBits: 1, weightBits: 16 }),
          encodeSegments(segments, { format: "ese", pes, indexBits: 8, weightBits: 16 }),
          encodeSegments(segments, {
            format: "bcr",
            pes,
            blockRows: 16,
            blockCols: 300,
            weightBits: 16,
          }),
          encodeSegments(segments, {
            format: "bcr",
            pes,
            blockRows: 1,
            blockCols: 1,
            weightBits: 16,
          }),
        ]
      ) {
        const encodeCase = { segments, image, vectorSeed: pes };
        assertRoundTrip(encodeCase);
        assertMatVec(encodeCase);
      }
    }
  }
});

Deno.test("the worked example of docs/encoding.md, word for word", () => {
  const matrix = {
    rows: 6,
    cols: 5,
    data: Int32Array.from([
      ...[3, 0, 0, -2, 0],
      ...[0, 0, 0, 0, 0],
      ...[0, 5, 0, 1, 0],
      ...[-1, 0, 0, 0, 0],
      ...[0, 0, 0, 0, 0],
      ...[0, 0, 0, 0, 7],
    ]),
  };
  const segments = [{ name: "W", matrix }];
  const hex = (image: EncodedImage) =>
    Object.fromEntries(
      image.manifest.memories.map((memory) => [
        memory.file,
        toHexLines(memoryWords(image, memory), memory.width).join(" "),
      ]),
    );
  const eseOptions = { format: "ese", pes: 2, indexBits: 1, weightBits: 4 } as const;
  const codebook = { bits: 3, values: Int32Array.from([0, -2, -1, 1, 3, 5, 7, 7]) };
  const pointers = { "pe0_pointers.hex": "0 1 2 2 4 4", "pe1_pointers.hex": "0 1 1 1 1 3" };
  // Each format's options, the words of every memory, and the total bits.
  const expectations: [Parameters<typeof encodeSegments>[1], Record<string, string>, number][] = [
    [
      eseOptions,
      { "pe0_weights.hex": "03 15 0e 01", "pe1_weights.hex": "1f 10 07", ...pointers },
      71,
    ],
    [{ ...eseOptions, codebook }, {
      "pe0_weights.hex": "4 d 1 3",
      "pe1_weights.hex": "a 8 6",
      ...pointers,
      "codebook.hex": "0 e f 1 3 5 7 7",
    }, 96],
    [{ format: "bcr", pes: 2, blockRows: 3, blockCols: 2, weightBits: 4 }, {
      "pe0_weights.hex": "3 0 0 5 e 1",
      "pe0_index.hex": "a 0 1 0 1 9 0 1 3 0",
      "pe1_weights.hex": "f 7",
      "pe1_index.hex": "5 1 0 5 2 4 0",
    }, 100],
  ];
  for (const [options, files, totalBits] of expectations) {
    const image = encodeSegments(segments, options);
    assert.deepStrictEqual(hex(image), files);
    assert.equal(image.manifest.totalBits, totalBits);
  }
});
