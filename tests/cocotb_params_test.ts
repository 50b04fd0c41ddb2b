/**
 * The cocotb flow on Icarus for the accelerator parameters the other cocotb files leave out, one
 * small design each and one cocotb run (the four tests): an LSTMP (projection) with peepholes, ese
 * weights with a 4-bit codebook of 8-bit values, at batch 2 (two tagged sequences per stream
 * beat); and a delta design (GRU of 2 layers, ese, thresholds 0.2: columns that did not fire are
 * skipped), checked against the delta golden model. test_sequence streams without stalls, so its cycles are compared with
 * the cycle model (design.json's for the batch design, the delta model of rtl/delta_timing.ts for
 * the delta design); the other three tests stall both streams at random.
 */

import assert from "node:assert/strict";
import type { E2eCase } from "./e2e.ts";
import { caseDesign } from "./e2e.ts";
import { assertCycleModelExact, lazyCaseDesign } from "./cocotb_helpers.ts";
import { runCocotb } from "../sim/cocotb/run.ts";
import { assertPassed } from "../sim/cocotb/test_support.ts";
import { firedColumnsOf, simulateDeltaTiming } from "../rtl/delta_timing.ts";
import { quantizeInputs, runFixed } from "../model/fixed.ts";
import { goldenOutputs } from "../sim/golden.ts";
import { randomInputs } from "../model/random.ts";

/** cocotb on Icarus, test_sequence without stalls: every test passed; the result. */
async function icarusPasses(c: E2eCase, designDir: string) {
  const result = await runCocotb({
    designDir,
    simulator: "icarus",
    steps: c.steps,
    seed: c.seed,
    resultPath: null,
  });
  assertPassed(result);
  const stalled = result.cocotb.tests.find((t) => t.test === "test_random_backpressure")!;
  assert.ok(stalled.sequences.some((s) => (s.outputStallCycles ?? 0) > 0), "no stall");
  return result;
}

const LSTM_ESE_BATCH: E2eCase = {
  name: "cocotb-lstmp-peep-ese-codebook4-q8-batch2",
  kind: "lstm",
  inputSize: 5,
  hiddenSize: 6,
  projSize: 4,
  numLayers: 1,
  peepholes: true,
  density: 0.5,
  pes: 2,
  format: "ese",
  settings: { batch: 2, codebookBits: 4, weightBits: 8, weightFrac: 6 },
  seed: 23,
  steps: 4,
};
const lstmDesign = lazyCaseDesign(LSTM_ESE_BATCH).design;

Deno.test("cocotb LSTMP batch 2, ese with a 4-bit codebook of 8-bit weights, on Icarus: bit-exact per sequence, cycles = model", async () => {
  const result = await icarusPasses(LSTM_ESE_BATCH, await lstmDesign());
  assertCycleModelExact(result);
  assert.deepEqual(result.cocotb.tests[0].sequences.map((s) => s.slot), [0, 1]);
});

const DELTA_GRU: E2eCase = {
  name: "cocotb-delta-gru2",
  kind: "gru",
  inputSize: 6,
  hiddenSize: 8,
  numLayers: 2,
  density: 0.5,
  pes: 4,
  format: "ese",
  settings: { delta: { thetaX: 0.2, thetaH: 0.2 } },
  seed: 3,
  steps: 6,
};
const deltaDesign = lazyCaseDesign(DELTA_GRU).design;

Deno.test("cocotb delta GRU, 2 layers (ese, theta 0.2) on Icarus: bit-exact against the delta golden model, cycles = delta model", async () => {
  const result = await icarusPasses(DELTA_GRU, await deltaDesign());
  const design = caseDesign(DELTA_GRU);
  const inputs = quantizeInputs(
    randomInputs(DELTA_GRU.steps, DELTA_GRU.inputSize, DELTA_GRU.seed),
    design.quantized.format,
  );
  const fired = firedColumnsOf(design.quantized, inputs, design.delta!);
  const model = simulateDeltaTiming(
    { rtl: design.rtl, image: design.image, delta: design.delta! },
    fired,
  );
  assert.deepEqual(result.stepEndCycles, model.stepEndCycles, "delta cycle model vs cocotb");
  // some columns were skipped, and the delta golden outputs differ from the dense model's: the
  // delta datapath, not the dense one, was exercised and checked
  assert.ok(
    result.delta!.firedFraction.every((f) => f < 1),
    `fired ${result.delta!.firedFraction}`,
  );
  assert.notDeepEqual(
    runFixed(design.quantized, inputs),
    goldenOutputs(design, design.quantized, inputs),
  );
});
