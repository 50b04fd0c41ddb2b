/**
 * A C code generator for one recurrent model: a sparse path on compact BCR storage (see
 * `bcr_storage.ts`) and a dense reference path, both computing the full LSTM/GRU step (gates,
 * peepholes, projection) in float32 with PyTorch semantics. The model's structure (sizes, groups
 * of equal-length rows, their trip counts, byte offsets) is compiled into the source; the weights
 * travel in a binary blob read at start-up, so the source stays small even for large models.
 *
 * The program: `kernel WEIGHTS INPUTS STEPS SPARSE_OUT DENSE_OUT WARMUP REPEATS` reads float32
 * inputs (STEPS x inputSize), runs each path WARMUP times untimed and REPEATS times timed (whole
 * sequence from a zero state, CLOCK_MONOTONIC), writes each path's float32 outputs
 * (STEPS x outputSize) and prints one JSON line `{"sparseNs":[...],"denseNs":[...]}`.
 *
 * @module
 */

import {
  gateCount,
  layerInputSize,
  type Matrix,
  outputSize,
  type RnnModel,
} from "../model/model.ts";
import {
  type BcrMatrix,
  bcrStorageBytes,
  type BcrStorageOptions,
  type BlockShapeGroup,
  toBcrStorage,
} from "./bcr_storage.ts";
import { programMain, programPrelude } from "./ckernel_program.ts";

/** Where one array lives in the weight blob. */
interface BlobArray {
  /** C identifier stem of the array. */
  name: string;
  /** Byte offset in the blob (a multiple of 64). */
  offset: number;
  /** Element count. */
  length: number;
  /** Element type. */
  type: "float" | "uint16_t";
}

/** Appends typed arrays to a blob, each aligned to 64 bytes. */
class BlobBuilder {
  #parts: Uint8Array[] = [];
  #size = 0;
  /** Arrays appended so far. */
  readonly arrays = new Map<string, BlobArray>();

  /** Append float32 values (converted from float64) under a name. */
  addFloats(name: string, values: ArrayLike<number>): void {
    this.#add(name, new Uint8Array(Float32Array.from(values).buffer), values.length, "float");
  }

  /** Append uint16 values under a name. */
  addUint16(name: string, values: ArrayLike<number>): void {
    this.#add(name, new Uint8Array(Uint16Array.from(values).buffer), values.length, "uint16_t");
  }

  #add(name: string, bytes: Uint8Array, length: number, type: BlobArray["type"]): void {
    const padding = (64 - (this.#size % 64)) % 64;
    if (padding > 0) this.#parts.push(new Uint8Array(padding));
    this.#size += padding;
    this.arrays.set(name, { name, offset: this.#size, length, type });
    this.#parts.push(bytes);
    this.#size += bytes.length;
  }

  /** The finished blob. */
  build(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

/** The matrices of one layer, by role. */
type MatrixRole = "ih" | "hh" | "hr";

/** Storage summary of one matrix of the kernel. */
export interface KernelMatrixInfo {
  /** PyTorch name, e.g. `weight_ih_l0`. */
  name: string;
  /** Rows x columns. */
  rows: number;
  /** Columns. */
  cols: number;
  /** Storage grid rows per block. */
  blockRows: number;
  /** Storage grid columns per block. */
  blockCols: number;
  /** Non-zero weights. */
  nonZeros: number;
  /** Values stored by the sparse path (>= nonZeros). */
  storedValues: number;
  /** Kept sub-blocks. */
  keptBlocks: number;
  /** Distinct kept-block shapes (= specialized loops in the generated code). */
  shapeGroups: number;
  /** Bytes of float32 values in the sparse path. */
  valueBytes: number;
  /** Bytes of uint16 indices and block headers in the sparse path. */
  indexBytes: number;
}

/** A generated kernel: C source, weight blob and the storage it used. */
export interface GeneratedKernel {
  /** The C source (C11 with GNU extensions, needs `-lm`). */
  source: string;
  /** The weight blob the program reads (sparse and dense paths, biases, peepholes). */
  weights: Uint8Array;
  /** Model input size (floats per step read from the inputs file). */
  inputSize: number;
  /** Model output size (floats per step written per path). */
  outputSize: number;
  /** Storage of every weight matrix. */
  matrices: KernelMatrixInfo[];
}

/** Options of {@link generateKernel}. */
export interface KernelOptions {
  /** Storage grid for all matrices; chosen per matrix (fewest bytes) when absent. */
  storage?: BcrStorageOptions;
}

/** The matrices of a layer with their roles. */
function layerMatrices(model: RnnModel, layer: number): { role: MatrixRole; matrix: Matrix }[] {
  const weights = model.layers[layer];
  const out: { role: MatrixRole; matrix: Matrix }[] = [
    { role: "ih", matrix: weights.weightIh },
    { role: "hh", matrix: weights.weightHh },
  ];
  if (weights.weightHr) out.push({ role: "hr", matrix: weights.weightHr });
  return out;
}

/** Vector accumulators one pass keeps in registers (16 architectural vector registers). */
const ACCUMULATORS_PER_PASS = 12;

/** Blocks processed together, one per vector lane, in a pack of short blocks. */
const PACK_BLOCKS = 8;

/**
 * Floats per generic vector (GCC vector extensions) of the two code variants the kernel carries:
 * 8 (32-byte vectors) when the compiler targets AVX, 4 (16-byte vectors: SSE, NEON) otherwise.
 * The weight blob is the same for both.
 */
const VECTOR_WIDTHS = [8, 4] as const;

/**
 * C code of the loop over the blocks of one shape group (`rows` kept rows of `length` kept
 * columns), one block at a time: per pass of at most ACCUMULATORS_PER_PASS vectors of rows, the
 * partial sums stay in registers while the kept columns stream by (x gathered once per column),
 * then are added to y.
 */
function groupLoopCode(length: number, rows: number, blocks: number, width: number): string {
  const lines = [`  for (int b = 0; b < ${blocks}; b++) { /* ${rows} rows of length ${length} */`];
  for (let first = 0; first < rows; first += ACCUMULATORS_PER_PASS * width) {
    const last = Math.min(rows, first + ACCUMULATORS_PER_PASS * width);
    const vectors = Math.floor((last - first) / width);
    const scalars = (last - first) % width;
    const vectorIds = Array.from({ length: vectors }, (_, i) => i);
    const scalarIds = Array.from({ length: scalars }, (_, i) => i);
    lines.push(`    { /* rows ${first}..${last - 1} */`);
    if (vectors > 0) lines.push(`      vecf ${vectorIds.map((i) => `a${i} = {0}`).join(", ")};`);
    if (scalars > 0) lines.push(`      float ${scalarIds.map((i) => `s${i} = 0.0f`).join(", ")};`);
    lines.push(
      `      const float *w = v + ${first};`,
      `      for (int k = 0; k < ${length}; k++) {`,
      `        const float xk = x[ci[k]];`,
      ...vectorIds.map((i) => `        a${i} += load_vecf(w + ${i * width}) * xk;`),
      ...scalarIds.map((i) => `        s${i} += w[${vectors * width + i}] * xk;`),
      `        w += ${rows};`,
      `      }`,
    );
    if (vectors > 0) {
      lines.push(
        `      for (int l = 0; l < ${width}; l++) {`,
        ...vectorIds.map((i) => `        y[ri[${first + i * width} + l]] += a${i}[l];`),
        `      }`,
      );
    }
    lines.push(
      ...scalarIds.map((i) => `      y[ri[${first + vectors * width + i}]] += s${i};`),
      `    }`,
    );
  }
  lines.push(`    v += ${rows * length};`, `    ci += ${length};`, `    ri += ${rows};`, `  }`);
  return lines.join("\n");
}

/**
 * How a shape group is laid out in the blob. Groups of short blocks (fewer kept rows than
 * PACK_BLOCKS) are processed PACK_BLOCKS blocks at a time, one block per vector lane: such a
 * "pack" stores, for each kept column k and kept row r, the 8 blocks' values side by side, the 8
 * blocks' k-th column indices side by side, and the 8 blocks' r-th row indices side by side.
 * The remaining blocks (and every block of taller groups) are stored one after the other: column
 * indices, row indices, and values column by column.
 */
interface GroupLayout {
  /** Blocks processed in packs (a multiple of PACK_BLOCKS). */
  packedBlocks: number;
  /** Blocks processed one at a time. */
  singleBlocks: number;
  /** Values in blob order. */
  values: number[];
  /** Column indices in blob order. */
  columns: number[];
  /** Row indices in blob order. */
  rows: number[];
}

/** Lay out one shape group (see {@link GroupLayout}). */
function layoutGroup(group: BlockShapeGroup): GroupLayout {
  const { rowLength, keptRows, blocks } = group;
  const packedBlocks = keptRows < PACK_BLOCKS ? blocks.length - (blocks.length % PACK_BLOCKS) : 0;
  const values: number[] = [];
  const columns: number[] = [];
  const rows: number[] = [];
  for (let first = 0; first < packedBlocks; first += PACK_BLOCKS) {
    const pack = blocks.slice(first, first + PACK_BLOCKS);
    for (let k = 0; k < rowLength; k++) {
      for (const block of pack) columns.push(block.columnIndices[k]);
    }
    for (let r = 0; r < keptRows; r++) {
      for (const block of pack) rows.push(block.rowIndices[r]);
    }
    for (let k = 0; k < rowLength; k++) {
      for (let r = 0; r < keptRows; r++) {
        for (const block of pack) values.push(block.values[k * keptRows + r]);
      }
    }
  }
  for (const block of blocks.slice(packedBlocks)) {
    columns.push(...block.columnIndices);
    rows.push(...block.rowIndices);
    values.push(...block.values);
  }
  return { packedBlocks, singleBlocks: blocks.length - packedBlocks, values, columns, rows };
}

/**
 * C code of the packed loop of a group of short blocks: PACK_BLOCKS blocks at once, one per lane
 * (PACK_BLOCKS / width vectors per kept row); per kept column, the x values of the 8 blocks are
 * gathered into vectors.
 */
function packedLoopCode(length: number, rows: number, packs: number, width: number): string {
  const halves = Array.from({ length: PACK_BLOCKS / width }, (_, i) => i);
  const rowIds = Array.from({ length: rows }, (_, i) => i);
  const lanes = Array.from({ length: width }, (_, i) => i);
  const accumulators = rowIds.flatMap((i) => halves.map((h) => `a${i}_${h}`));
  return [
    `  for (int b = 0; b < ${packs}; b++) { /* ${PACK_BLOCKS} blocks of ${rows} rows of length ${length}, one per lane */`,
    `    vecf ${accumulators.map((name) => `${name} = {0}`).join(", ")};`,
    `    for (int k = 0; k < ${length}; k++) {`,
    `      const uint16_t *c = ci + k * ${PACK_BLOCKS};`,
    ...halves.map((h) =>
      `      const vecf x${h} = {${lanes.map((l) => `x[c[${h * width + l}]]`).join(", ")}};`
    ),
    ...rowIds.flatMap((i) =>
      halves.map((h) =>
        `      a${i}_${h} += load_vecf(v + ${i * PACK_BLOCKS + h * width}) * x${h};`
      )
    ),
    `      v += ${rows * PACK_BLOCKS};`,
    `    }`,
    `    for (int l = 0; l < ${width}; l++) {`,
    ...rowIds.flatMap((i) =>
      halves.map((h) => `      y[ri[${i * PACK_BLOCKS + h * width} + l]] += a${i}_${h}[l];`)
    ),
    `    }`,
    `    ci += ${length * PACK_BLOCKS};`,
    `    ri += ${rows * PACK_BLOCKS};`,
    `  }`,
  ].join("\n");
}

/** C code of the sparse matrix-vector product y += W x for one BCR matrix, both vector widths. */
function sparseProductCode(id: string, storage: BcrMatrix, arrays: Map<string, BlobArray>): string {
  const at = (suffix: string) => arrays.get(`${id}_${suffix}`)!.offset;
  const layouts = storage.groups.map(layoutGroup);
  const lines = [
    `/* ${id}: ${storage.rows}x${storage.cols}, grid ${storage.blockRows}x${storage.blockCols}, ` +
    `${storage.keptBlocks} kept blocks in ${storage.groups.length} shape groups */`,
    `static void sparse_${id}(const float *restrict x, float *restrict y) {`,
    `  const float *v = (const float *)(blob + ${at("values")});`,
    `  const uint16_t *ci = (const uint16_t *)(blob + ${at("cols")});`,
    `  const uint16_t *ri = (const uint16_t *)(blob + ${at("rows")});`,
  ];
  if (storage.keptBlocks === 0) lines.push("  (void)x; (void)y; (void)v; (void)ci; (void)ri;");
  VECTOR_WIDTHS.forEach((width, index) => {
    lines.push(
      index === 0 ? `#if RNNFAB_VECTOR_WIDTH == ${width}` : `#elif RNNFAB_VECTOR_WIDTH == ${width}`,
    );
    storage.groups.forEach((group, g) => {
      const layout = layouts[g];
      if (layout.packedBlocks > 0) {
        lines.push(
          packedLoopCode(group.rowLength, group.keptRows, layout.packedBlocks / PACK_BLOCKS, width),
        );
      }
      if (layout.singleBlocks > 0) {
        lines.push(groupLoopCode(group.rowLength, group.keptRows, layout.singleBlocks, width));
      }
    });
  });
  lines.push("#else", "#error unsupported RNNFAB_VECTOR_WIDTH", "#endif", "}");
  return lines.join("\n");
}

/** C code of one layer's step for one path ("sparse" or "dense"). */
function layerStepCode(
  model: RnnModel,
  layer: number,
  path: "sparse" | "dense",
  arrays: Map<string, BlobArray>,
): string {
  const hidden = model.hiddenSize;
  const inputs = layerInputSize(model, layer);
  const recurrent = outputSize(model);
  const gates = gateCount(model.kind) * hidden;
  const weights = model.layers[layer];
  const at = (name: string) => arrays.get(name)!.offset;
  const product = (role: MatrixRole, rows: number, cols: number, x: string, y: string) =>
    path === "sparse"
      ? `  sparse_l${layer}_${role}(${x}, ${y});`
      : `  dense_product((const float *)(blob + ${
        at(`l${layer}_${role}_dense`)
      }), ${rows}, ${cols}, ${x}, ${y});`;
  const lines = [
    `static void ${path}_layer${layer}(const float *restrict x, float *restrict h, float *restrict c) {`,
    `  const float *bih = (const float *)(blob + ${at(`l${layer}_bias_ih`)});`,
    `  const float *bhh = (const float *)(blob + ${at(`l${layer}_bias_hh`)});`,
  ];
  if (model.kind === "lstm") {
    lines.push(
      `  static float gates[${gates}];`,
      `  static float m[${hidden}];`,
      `  for (int j = 0; j < ${gates}; j++) gates[j] = bih[j] + bhh[j];`,
      product("ih", gates, inputs, "x", "gates"),
      product("hh", gates, recurrent, "h", "gates"),
    );
    const peephole = weights.peephole !== undefined;
    if (peephole) {
      lines.push(`  const float *p = (const float *)(blob + ${at(`l${layer}_peephole`)});`);
    }
    const peep = (
      gate: number,
      state: string,
    ) => (peephole ? ` + p[${gate * hidden} + j] * ${state}` : "");
    lines.push(
      `  for (int j = 0; j < ${hidden}; j++) {`,
      `    const float cp = c[j];`,
      `    const float i = sigmoid_f(gates[j]${peep(0, "cp")});`,
      `    const float f = sigmoid_f(gates[${hidden} + j]${peep(1, "cp")});`,
      `    const float g = tanh_f(gates[${2 * hidden} + j]);`,
      `    const float cn = f * cp + i * g;`,
      `    const float o = sigmoid_f(gates[${3 * hidden} + j]${peep(2, "cn")});`,
      `    c[j] = cn;`,
      `    m[j] = o * tanh_f(cn);`,
      `  }`,
    );
    if (weights.weightHr) {
      lines.push(
        `  for (int p2 = 0; p2 < ${recurrent}; p2++) h[p2] = 0.0f;`,
        product("hr", recurrent, hidden, "m", "h"),
      );
    } else {
      lines.push(`  for (int j = 0; j < ${hidden}; j++) h[j] = m[j];`);
    }
  } else {
    lines.push(
      `  static float gi[${gates}];`,
      `  static float gh[${gates}];`,
      `  for (int j = 0; j < ${gates}; j++) { gi[j] = bih[j]; gh[j] = bhh[j]; }`,
      product("ih", gates, inputs, "x", "gi"),
      product("hh", gates, recurrent, "h", "gh"),
      `  for (int j = 0; j < ${hidden}; j++) {`,
      `    const float r = sigmoid_f(gi[j] + gh[j]);`,
      `    const float z = sigmoid_f(gi[${hidden} + j] + gh[${hidden} + j]);`,
      `    const float n = tanh_f(gi[${2 * hidden} + j] + r * gh[${2 * hidden} + j]);`,
      `    h[j] = (1.0f - z) * n + z * h[j];`,
      `  }`,
    );
  }
  lines.push("  (void)c;", "}");
  return lines.join("\n");
}

/** C code of a whole-sequence run for one path. */
function sequenceCode(model: RnnModel, path: "sparse" | "dense"): string {
  const hidden = model.hiddenSize;
  const out = outputSize(model);
  const lines = [
    `static void ${path}_sequence(const float *inputs, int steps, float *outputs) {`,
    `  static float h[${model.numLayers}][${out}];`,
    `  static float c[${model.numLayers}][${hidden}];`,
    `  memset(h, 0, sizeof h);`,
    `  memset(c, 0, sizeof c);`,
    `  for (int t = 0; t < steps; t++) {`,
    `    const float *x = inputs + (size_t)t * ${model.inputSize};`,
  ];
  for (let layer = 0; layer < model.numLayers; layer++) {
    lines.push(
      `    ${path}_layer${layer}(${
        layer === 0 ? "x" : `h[${layer - 1}]`
      }, h[${layer}], c[${layer}]);`,
    );
  }
  lines.push(
    `    memcpy(outputs + (size_t)t * ${out}, h[${model.numLayers - 1}], sizeof(float) * ${out});`,
    `  }`,
    `}`,
  );
  return lines.join("\n");
}

/**
 * Generate the C kernel of a model: compact BCR storage for the sparse path, row-major float32
 * matrices for the dense path, both in one weight blob.
 */
export function generateKernel(model: RnnModel, options: KernelOptions = {}): GeneratedKernel {
  const blob = new BlobBuilder();
  const storages: { id: string; storage: BcrMatrix; name: string }[] = [];
  model.layers.forEach((weights, layer) => {
    blob.addFloats(`l${layer}_bias_ih`, weights.biasIh);
    blob.addFloats(`l${layer}_bias_hh`, weights.biasHh);
    if (model.kind === "lstm" && weights.peephole) {
      blob.addFloats(`l${layer}_peephole`, weights.peephole);
    }
    for (const { role, matrix } of layerMatrices(model, layer)) {
      const id = `l${layer}_${role}`;
      const storage = toBcrStorage(matrix, options.storage);
      storages.push({ id, storage, name: `weight_${role}_l${layer}` });
      const layouts = storage.groups.map(layoutGroup);
      blob.addFloats(`${id}_values`, layouts.flatMap((layout) => layout.values));
      blob.addUint16(`${id}_cols`, layouts.flatMap((layout) => layout.columns));
      blob.addUint16(`${id}_rows`, layouts.flatMap((layout) => layout.rows));
      blob.addFloats(`${id}_dense`, matrix.data);
    }
  });
  const weights = blob.build();
  const out = outputSize(model);
  const parts = [
    "/* Generated by rnnfab bench/ckernel.ts: sparse (compact BCR) and dense float32 paths. */",
    "#include <math.h>",
    "#include <stdint.h>",
    "#include <stdio.h>",
    "#include <stdlib.h>",
    "#include <string.h>",
    "#include <time.h>",
    programPrelude(),
    ...storages.map(({ id, storage }) => sparseProductCode(id, storage, blob.arrays)),
  ];
  for (const path of ["sparse", "dense"] as const) {
    for (let layer = 0; layer < model.numLayers; layer++) {
      parts.push(layerStepCode(model, layer, path, blob.arrays));
    }
    parts.push(sequenceCode(model, path));
  }
  parts.push(programMain(model.kind, model.inputSize, out, weights.length));
  return {
    source: parts.join("\n\n"),
    weights,
    inputSize: model.inputSize,
    outputSize: out,
    matrices: storages.map(({ storage, name }) => {
      const bytes = bcrStorageBytes(storage);
      return {
        name,
        rows: storage.rows,
        cols: storage.cols,
        blockRows: storage.blockRows,
        blockCols: storage.blockCols,
        nonZeros: storage.nonZeros,
        storedValues: storage.storedValues,
        keptBlocks: storage.keptBlocks,
        shapeGroups: storage.groups.length,
        valueBytes: bytes.valueBytes,
        indexBytes: bytes.indexBytes,
      };
    }),
  };
}
