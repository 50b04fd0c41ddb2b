/**
 * The generated C kernel (bench/ckernel.ts) against the float64 reference: LSTM, LSTM with
 * projection and peepholes, GRU, dense and BCR-pruned, with the native and portable gcc builds
 * and the aarch64 cross-build under qemu-user (skipped when the tools are absent). Also the
 * compact BCR storage itself.
 */

import assert from "node:assert/strict";
import { runFloat } from "../model/float.ts";
import { compareOutputs } from "../model/metrics.ts";
import type { Matrix, RnnModel } from "../model/model.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { checkAarch64 } from "../bench/aarch64.ts";
import { bcrStorageBytes, toBcrStorage } from "../bench/bcr_storage.ts";
import { buildKernel, runKernel, toolchainMissing, TOOLCHAINS } from "../bench/cbuild.ts";
import { generateKernel } from "../bench/ckernel.ts";
import { FLOAT32_TOLERANCE } from "../bench/host_cpu.ts";
import { withTempDir } from "./helpers.ts";

/** The small models of the kernel tests. */
function testModels(): { name: string; model: RnnModel }[] {
  const lstm = randomModel({ kind: "lstm", inputSize: 12, hiddenSize: 40, numLayers: 2, seed: 21 });
  const lstmp = randomModel({
    kind: "lstm",
    inputSize: 15,
    hiddenSize: 48,
    numLayers: 2,
    projSize: 20,
    peepholes: true,
    seed: 22,
  });
  const gru = randomModel({ kind: "gru", inputSize: 10, hiddenSize: 36, numLayers: 2, seed: 23 });
  const pruned = (model: RnnModel, rows: number, cols: number) =>
    pruneModelBcr(model, { block: { rows, cols }, rates: { density: 0.2 } }).model;
  return [
    { name: "LSTM dense", model: lstm },
    { name: "LSTM BCR 8x8", model: pruned(lstm, 8, 8) },
    { name: "LSTMP+peepholes dense", model: lstmp },
    { name: "LSTMP+peepholes BCR 16x16", model: pruned(lstmp, 16, 16) },
    { name: "GRU dense", model: gru },
    { name: "GRU BCR 12x4", model: pruned(gru, 12, 4) },
  ];
}

Deno.test("compact BCR storage keeps exactly the non-zeros of a BCR-pruned matrix", () => {
  const model = randomModel({ kind: "lstm", inputSize: 24, hiddenSize: 32, numLayers: 1, seed: 5 });
  const pruned = pruneModelBcr(model, { block: { rows: 16, cols: 8 }, rates: { density: 0.25 } });
  const matrix = pruned.model.layers[0].weightHh; // 128 x 32
  const storage = toBcrStorage(matrix, { blockRows: 16, blockCols: 8 });
  assert.deepStrictEqual(storage.storedValues, storage.nonZeros);
  assert(storage.nonZeros > 0);
  // Each group: one block shape; values column-major over the kept rows; indices ascending.
  for (const group of storage.groups) {
    for (const block of group.blocks) {
      assert.deepStrictEqual(block.columnIndices.length, group.rowLength);
      assert.deepStrictEqual(block.rowIndices.length, group.keptRows);
      block.columnIndices.forEach((c, k) => {
        block.rowIndices.forEach((r, i) => {
          assert.deepStrictEqual(
            block.values[k * block.rowIndices.length + i],
            matrix.data[r * matrix.cols + c],
          );
        });
      });
    }
  }
  const bytes = bcrStorageBytes(storage);
  // The automatic grid needs no more bytes than the pruning grid and stores no zeros either.
  const auto = toBcrStorage(matrix);
  assert.deepStrictEqual(auto.storedValues, auto.nonZeros);
  assert(bcrStorageBytes(auto).totalBytes <= bytes.totalBytes);
  assert.deepStrictEqual(bytes.valueBytes, 4 * storage.nonZeros);
  assert.deepStrictEqual(bytes.indexBytes, 2 * (storage.columnIndexCount + storage.rowIndexCount));
});

Deno.test("compact BCR storage: hand-made 4x4 matrix with 2x2 blocks", () => {
  // Block (0,0) keeps rows 0,1 x column 1; block (1,1) keeps row 3 x columns 2,3; others empty.
  const matrix: Matrix = {
    rows: 4,
    cols: 4,
    data: Float64Array.from([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4]),
  };
  const storage = toBcrStorage(matrix, { blockRows: 2, blockCols: 2 });
  assert.deepStrictEqual(storage.keptBlocks, 2);
  assert.deepStrictEqual(storage.storedValues, 4);
  assert.deepStrictEqual(storage.columnIndexCount, 3);
  assert.deepStrictEqual(storage.rowIndexCount, 3);
  assert.deepStrictEqual(storage.groups.map((g) => [g.rowLength, g.keptRows]), [[1, 2], [2, 1]]);
  assert.deepStrictEqual(storage.groups[0].blocks[0].columnIndices, [1]);
  assert.deepStrictEqual(storage.groups[0].blocks[0].rowIndices, [0, 1]);
  assert.deepStrictEqual(Array.from(storage.groups[1].blocks[0].values), [3, 4]);
  // The only automatic candidate for a 4x4 matrix is the whole matrix: rows {0,1,3} x
  // columns {1,2,3} = 9 values (36 bytes) + 6 indices (12 bytes).
  const whole = toBcrStorage(matrix);
  assert.deepStrictEqual([whole.blockRows, whole.blockCols], [4, 4]);
  assert.deepStrictEqual(bcrStorageBytes(whole).totalBytes, 48);
});

for (const toolchainId of ["native", "portable"] as const) {
  Deno.test(`C kernel (${toolchainId}) matches the float reference: LSTM, LSTMP, GRU, dense and BCR`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-kernel-" });
    const loops = { packed: 0, single: 0 };
    try {
      for (const { name, model } of testModels()) {
        const inputs = randomInputs(7, model.inputSize, 4);
        const reference = runFloat(model, inputs);
        const kernel = generateKernel(model);
        loops.packed += kernel.source.split("one per lane").length - 1;
        loops.single += kernel.source.split("rows of length").length - 1 -
          (kernel.source.split("one per lane").length - 1);
        const built = await buildKernel(kernel, {
          dir: `${dir}/${name.replaceAll(/\W+/g, "_")}`,
          toolchain: TOOLCHAINS[toolchainId],
        });
        const run = await runKernel(built, {
          inputs,
          warmup: 1,
          repeats: 2,
          dir: `${dir}/${name.replaceAll(/\W+/g, "_")}`,
        });
        const sparse = compareOutputs(reference, run.sparseOutputs);
        const dense = compareOutputs(reference, run.denseOutputs);
        assert(sparse.maxAbsError <= FLOAT32_TOLERANCE, `${name} sparse: ${sparse.maxAbsError}`);
        assert(dense.maxAbsError <= FLOAT32_TOLERANCE, `${name} dense: ${dense.maxAbsError}`);
        // Not trivially zero: the outputs carry signal.
        assert(sparse.cosine > 0.999999, `${name}: cosine ${sparse.cosine}`);
        assert.deepStrictEqual(run.sparseNs.length, 2);
        assert(run.sparseNs.every((ns) => ns > 0));
        // A pruned model's sparse path stores no more values than its non-zeros.
        const stored = kernel.matrices.reduce((sum, m) => sum + m.storedValues, 0);
        const nonZeros = kernel.matrices.reduce((sum, m) => sum + m.nonZeros, 0);
        assert.deepStrictEqual(
          stored,
          nonZeros,
          `${name}: stored ${stored} values for ${nonZeros} non-zeros`,
        );
      }
      // Both loop kinds were exercised: blocks packed across vector lanes, and single blocks.
      assert(loops.packed > 0 && loops.single > 0, JSON.stringify(loops));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const aarch64Missing = toolchainMissing(TOOLCHAINS.aarch64);
if (aarch64Missing) console.warn(`bench_kernel_test: aarch64 test skipped: ${aarch64Missing}`);

Deno.test({
  name: "C kernel cross-built for aarch64 runs under qemu-user and matches the float reference",
  ignore: aarch64Missing !== undefined,
  fn: async () => {
    await withTempDir("rnnfab-aarch64-", async (dir) => {
      for (const { name, model } of testModels().filter((_, i) => i % 2 === 1)) {
        const inputs = randomInputs(5, model.inputSize, 9);
        const check = await checkAarch64(model, {
          inputs,
          workDir: `${dir}/${name.replaceAll(/\W+/g, "_")}`,
        });
        assert.deepStrictEqual(check.status, "passed", `${name}: ${check.reason}`);
        assert(check.sparseMaxAbsError! <= FLOAT32_TOLERANCE);
        const header = await Deno.readFile(check.executable!);
        assert.deepStrictEqual(
          header[18] | (header[19] << 8),
          183,
          "ELF machine is not EM_AARCH64",
        );
      }
    });
  },
});
