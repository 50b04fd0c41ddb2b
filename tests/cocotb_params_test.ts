/**
 * The cocotb flow on Icarus for the accelerator parameters the other cocotb files leave out, one
 * small design each and one cocotb run (the four tests): an LSTMP (projection) with peepholes, ese
 * weights with a 4-bit codebook of 8-bit values, at batch 2 (two tagged sequences per stream
 * beat); a delta design (GRU of 2 layers, ese, thresholds 0.2: columns that did not fire are
 * skipped), checked against the delta golden model; and wide streams (a delta LSTM with 4 input
 * and 4 output elements a beat, each step's last beat partial). test_sequence streams without
 * stalls, so its cycles are compared with the cycle model (design.json's for the batch design, the
 * delta model of rtl/delta_timing.ts for the delta designs); the other three tests stall both
 * streams at random.
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

/** The delta cycle model's step ends of a case's inputs (test_sequence streams them unstalled). */
function deltaModelEnds(c: E2eCase) {
  const design = caseDesign(c);
  const inputs = quantizeInputs(
    randomInputs(c.steps, c.inputSize, c.seed),
    design.quantized.format,
  );
  const fired = firedColumnsOf(design.quantized, inputs, design.delta!);
  const model = simulateDeltaTiming(
    { rtl: design.rtl, image: design.image, delta: design.delta! },
    fired,
  );
  return { design, inputs, ends: model.stepEndCycles };
}

Deno.test("cocotb delta GRU, 2 layers (ese, theta 0.2) on Icarus: bit-exact against the delta golden model, cycles = delta model", async () => {
  const result = await icarusPasses(DELTA_GRU, await deltaDesign());
  const { design, inputs, ends } = deltaModelEnds(DELTA_GRU);
  assert.deepEqual(result.stepEndCycles, ends, "delta cycle model vs cocotb");
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

/** 7 inputs in beats of 4 (4 + 3) and 6 outputs in beats of 4 (4 + 2) on a delta LSTM. */
const WIDE: E2eCase = {
  name: "cocotb-delta-lstm-in4-out4",
  kind: "lstm",
  inputSize: 7,
  hiddenSize: 6,
  numLayers: 1,
  density: 0.7,
  pes: 4,
  format: "ese",
  settings: { delta: { thetaX: 0.1, thetaH: 0.1 }, broadcast: 4, inWords: 4, outWords: 4 },
  seed: 9,
  steps: 5,
};
const wideDesign = lazyCaseDesign(WIDE).design;

Deno.test("cocotb wide streams (4 input and 4 output elements a beat, partial last beats) on Icarus: bit-exact, cycles = delta model", async () => {
  const result = await icarusPasses(WIDE, await wideDesign());
  const { ends } = deltaModelEnds(WIDE);
  assert.deepEqual(result.stepEndCycles, ends, "delta cycle model vs cocotb");
  // every element was checked, 6 words a step in 2 beats (the bridge also checked that the bench
  // counted 7 input words a step accepted, in 2 beats)
  assert.equal(result.cocotb.tests[0].sequences[0].words, WIDE.steps * WIDE.hiddenSize);
});
