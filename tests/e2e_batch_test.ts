/**
 * End-to-end cases of batch designs (`gen --batch B`, docs/architecture.md, "Batch"): B
 * sequences in one stream, every word bit-exact against the golden model run per sequence, and
 * the cycle model exactly equal to the simulated cycles (tests/e2e.ts); and `sim --input` with a
 * data file of sequences of several lengths, run B at a time (sim/batch.ts), on the build of a
 * case of the table.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { e2eTests, generateCase } from "./e2e.ts";
import type { E2eCase } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";
import { randomInputs } from "../model/random.ts";
import { simulateBatch } from "../sim/batch.ts";

/**
 * A case of the end-to-end table run again at batch B: its model, format and settings, B
 * sequences in one stream, and `changes` (simulator, back-pressure, further settings) on top.
 */
function batchOf(base: string, batch: number, changes: Partial<E2eCase> = {}): E2eCase {
  const source = e2eCase(base);
  const simulator = changes.simulator ?? source.simulator ?? "verilator";
  return {
    ...source,
    ...changes,
    name: `${base}-batch${batch}${simulator === source.simulator ? "" : `-${simulator}`}`,
    settings: { ...source.settings, ...changes.settings, batch },
    simulator,
  };
}

/** Batch cases: LSTMP with peepholes, LSTM, GRU, both formats, lanes, beats, odd sizes, back-pressure. */
export const BATCH_CASES: E2eCase[] = [
  // Verilator: LSTMP with peepholes, two layers, 4 lanes, batch 4: accumulator banks read a gate
  // field a cycle (ACC_SERIAL; batch 2 of LSTMP: the Icarus ese case below)
  batchOf("lstmp-peep-2layer-blocks40-pe3-bcr-lanes4", 4, { backpressure: 0.4 }),
  // GRU, two layers, 2 lanes, beats of 4 columns on 4 PEs (partial beats), batch 8 (128-bit
  // stream beats: the Verilator harness's wide ports)
  batchOf("gru-2layer-blocks50-pe4-bcr-lanes2-bcast4", 8, { backpressure: 0.4 }),
  // LSTM without projection, two layers, 8-bit weights, 2 PEs x 2 lanes, batch 4 (64-bit beats)
  batchOf("lstm-2layer-bcr50-pe2-bcr-lanes2-q8.6", 4, { backpressure: 0.4 }),
  // Icarus: LSTM with peepholes, odd sizes on 3 PEs, batch 4, back-pressure
  {
    name: "lstm-peep-rand50-pe3-bcr-batch4-icarus",
    kind: "lstm",
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 1,
    peepholes: true,
    density: 0.5,
    prune: { method: "random" },
    pes: 3,
    format: "bcr",
    settings: { batch: 4 },
    seed: 43,
    steps: 3,
    simulator: "icarus",
    backpressure: 0.3,
  },
  // Icarus, ese: the engine's activation queue holds B values per column (2 entries: stalls)
  batchOf("gru-2layer-rand30-pe3-ese", 4, {
    simulator: "icarus",
    settings: { queueDepth: 2 },
    backpressure: 0.3,
    steps: 3,
  }),
  // Icarus, ese: LSTMP with peepholes, two layers, a codebook, batch 2, and batch 4 (a gate field a
  // cycle, one bank a PE)
  batchOf("lstmp-peep-2layer-rand30-pe4-ese-codebook", 2, { simulator: "icarus", steps: 3 }),
  batchOf("lstmp-peep-2layer-rand30-pe4-ese-codebook", 4, { simulator: "icarus", steps: 2 }),
  // Icarus: bcr with a 4-bit codebook and lanes, batch 2 (the engine looks codes up, values pass)
  batchOf("gru-2layer-blocks50-pe3-bcr-lanes2-codebook4-q8.6", 2, {
    simulator: "icarus",
    backpressure: 0.3,
    steps: 3,
  }),
  // Icarus: GRU, batch 16 (256-bit stream beats), 2 PEs
  {
    name: "gru-dense-pe2-bcr-batch16-icarus",
    kind: "gru",
    inputSize: 3,
    hiddenSize: 4,
    numLayers: 1,
    density: 1,
    pes: 2,
    format: "bcr",
    settings: { batch: 16 },
    seed: 44,
    steps: 3,
    simulator: "icarus",
  },
];

e2eTests("batch", BATCH_CASES);

Deno.test("sim --input on a batch-4 design: sequences 4 at a time, each bit-exact in its slot, cycles as the model", async () => {
  // the design of BATCH_CASES[2]: its Verilator build is in the cache once the table has run
  const c = BATCH_CASES[2];
  const root = await Deno.makeTempDir({ prefix: "rnnfab-e2e-batch-data-" });
  try {
    const dir = join(root, c.name);
    await generateCase(c, dir);
    // lengths 3, 1, 3, 2, 3, 3: a group of four 3-step sequences, then one of 2 and 1 steps
    // (the 1-step one padded, two slots filled)
    const lengths = [3, 1, 3, 2, 3, 3];
    const sequences = lengths.map((steps, k) => randomInputs(steps, c.inputSize, 100 + k));
    const common = { designDir: dir, sequences, resultPath: null };
    const plain = await simulateBatch({ ...common, inputPath: "data.json" });
    assert.deepEqual(plain.failures, []);
    assert.equal(plain.passed, true);
    assert.deepEqual(
      plain.perSequence.map((s) => [s.steps, s.bitExact]),
      lengths.map((t) => [t, true]),
    );
    // each sequence's last word came exactly when the cycle model says its last step ends
    assert.deepEqual(plain.perSequence.map((s) => s.estimateRelativeError), lengths.map(() => 0));
    const stalled = await simulateBatch({ ...common, backpressure: 0.4, inputGaps: 0.2 });
    assert.equal(stalled.passed, true, stalled.failures.join("\n"));
    assert.equal(stalled.bitExact, true);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
