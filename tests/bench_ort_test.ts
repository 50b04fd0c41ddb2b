/**
 * Host-CPU measurements (bench/host_cpu.ts): ONNX Runtime on rnnfab's ONNX export and the
 * generated C kernel, both checked against the float64 reference, on small LSTM, LSTMP (ONNX
 * Scan graph) and GRU models, dense and BCR-pruned.
 */

import assert from "node:assert/strict";
import { runFloat } from "../model/float.ts";
import { compareOutputs } from "../model/metrics.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { exportOnnx } from "../model/onnx/export.ts";
import { openOnnxSession } from "../model/onnx/ort.ts";
import { FLOAT32_TOLERANCE, measureHostCpu } from "../bench/host_cpu.ts";
import { withTempDir } from "./helpers.ts";

const MODELS = [
  randomModel({ kind: "lstm", inputSize: 8, hiddenSize: 24, numLayers: 2, seed: 31 }),
  randomModel({
    kind: "lstm",
    inputSize: 9,
    hiddenSize: 32,
    numLayers: 1,
    projSize: 12,
    peepholes: true,
    seed: 32,
  }),
  randomModel({ kind: "gru", inputSize: 7, hiddenSize: 20, numLayers: 2, seed: 33 }),
];

Deno.test("ONNX Runtime (1 thread) on the ONNX export agrees with the float reference", async () => {
  for (const model of MODELS) {
    const inputs = randomInputs(6, model.inputSize, 2);
    const session = await openOnnxSession(exportOnnx(model), { intraOpThreads: 1 });
    try {
      const error = compareOutputs(runFloat(model, inputs), await session.run(inputs));
      assert(
        error.maxAbsError <= FLOAT32_TOLERANCE,
        `${model.kind} P=${model.projSize}: ${error.maxAbsError}`,
      );
      assert(error.cosine > 0.999999);
    } finally {
      await session.release();
    }
  }
});

Deno.test("measureHostCpu: ORT, BCR and dense C all agree with the float reference", async () => {
  await withTempDir("rnnfab-hostcpu-", async (dir) => {
    for (const [index, dense] of MODELS.entries()) {
      const model = pruneModelBcr(dense, { block: { rows: 8, cols: 4 }, rates: { density: 0.3 } })
        .model;
      const inputs = randomInputs(5, model.inputSize, 3);
      const result = await measureHostCpu(model, {
        inputs,
        workDir: `${dir}/${index}`,
        warmup: 1,
        repeatsPerRound: 2,
        rounds: 2,
      });
      for (const timed of [result.ort, result.bcr, result.denseC]) {
        assert(timed.agreesWithFloat, `${timed.description}: ${timed.errorVsFloat.maxAbsError}`);
        assert.equal(timed.timedRuns, 4);
        assert(timed.usPerFrame > 0 && timed.minUsPerFrame <= timed.usPerFrame);
      }
      assert.equal(result.threads, 1);
      assert.equal(result.onnxGraph, model.projSize > 0 ? "scan" : "operators");
      assert.equal(result.speedupBcrVsOrt, result.ort.usPerFrame / result.bcr.usPerFrame);
      const nonZeros = result.matrices.reduce((sum, m) => sum + m.nonZeros, 0);
      const stored = result.matrices.reduce((sum, m) => sum + m.storedValues, 0);
      assert.equal(stored, nonZeros);
    }
  });
});
