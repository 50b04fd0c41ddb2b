/**
 * Batch designs (`gen --batch B`): the configuration's limits and refusals, the CLI's one-line
 * errors, what design.json and the top say, and the stream order of sim/batch_stream.ts. The
 * simulations are in tests/e2e_batch_test.ts.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAcceleratorSettings, resolveAcceleratorConfig } from "../rtl/config.ts";
import { ACC_SERIAL_DELAY, EW_LATENCY, writeDesign } from "../rtl/mod.ts";
import {
  groupForSlots,
  interleaveSequences,
  sequenceOf,
  slotRun,
  slotSequences,
} from "../sim/batch_stream.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { expectUserError, REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const GRU = `${REPO_ROOT}examples/gru.json`;

const TINY: E2eCase = {
  name: "batch-tiny",
  kind: "lstm",
  inputSize: 3,
  hiddenSize: 5,
  numLayers: 1,
  density: 1,
  pes: 2,
  format: "bcr",
  settings: { batch: 4 },
  seed: 3,
  steps: 1,
};

Deno.test("batch: 1/2/4/8/16 for both formats, default 1", () => {
  const resolve = (settings: Record<string, unknown>) =>
    resolveAcceleratorConfig([{ settings, source: "flags" }]);
  assert.equal(resolve({ format: "bcr" }).batch, 1);
  assert.equal(resolve({ format: "bcr", batch: 16 }).batch, 16);
  assert.equal(resolve({ format: "ese", batch: 2 }).batch, 2);
  assert.throws(
    () => parseAcceleratorSettings({ batch: 3 }, "c.json"),
    /batch must be 1, 2, 4, 8 or 16/,
  );
  // the beat widths' message lists every width the generator builds (it said "... or 16")
  assert.throws(
    () => parseAcceleratorSettings({ broadcast: 3 }, "c.json"),
    /broadcast must be one of 1, 2, 4, 8, 16, 32, 64/,
  );
});

Deno.test("gen --batch: a one-line exit-2 error naming the flag, nothing written", async () => {
  await withTempDir("rnnfab-batch-cli-", async (dir) => {
    const out = join(dir, "design");
    const odd = await runDenoScript("cli/gen.ts", [
      "--model",
      GRU,
      "--out",
      out,
      "--format",
      "bcr",
      "--batch",
      "3",
    ]);
    assert.match(expectUserError(odd), /--batch/);
    assert.equal(await Deno.stat(out).then(() => true, () => false), false);
  });
});

Deno.test("batch: design.json and the top have B copies of each PE and B-word streams", async () => {
  const design = caseDesign(TINY);
  assert.equal(design.accelerator.batch, 4);
  assert.equal(design.rtl.BATCH, 4);
  assert.equal(design.estimate.framesPerStep, 4);
  // the copies take copy 0's MACs in the same cycles and share one element-wise unit per PE:
  // each of the K cells is issued once per sequence, so a layer without projection takes
  // K x (B - 1) cycles more per step than at batch 1 (tests/e2e_batch_test.ts simulates them)
  const single = caseDesign({ ...TINY, settings: {} });
  assert.equal(single.estimate.framesPerStep, 1);
  // and past IDLE_PIPE_ENGINES engines (2 PEs x 4 copies) the step's one wait on the PEs takes a
  // cycle more (the registered idle AND, rnnfab_ctrl.v IDLE_PIPE)
  assert.equal(design.rtl.IDLE_PIPE - single.rtl.IDLE_PIPE, 1);
  const more = design.rtl.K * 3 + 1;
  assert.equal(design.estimate.cyclesPerStep, single.estimate.cyclesPerStep + more);
  assert.ok(design.estimate.firstStepCycles > single.estimate.firstStepCycles);
  await withTempDir("rnnfab-batch-top-", async (dir) => {
    await writeDesign(dir, design);
    const top = await Deno.readTextFile(join(dir, "rtl", "rnnfab_top.v"));
    const ab = design.accelerator.activationBits;
    assert.match(top, new RegExp(`input  wire \\[${4 * ab - 1}:0\\] in_data`));
    assert.match(top, new RegExp(`output wire \\[${4 * ab - 1}:0\\] out_data`));
    for (const name of ["pe0", "pe0_b1", "pe0_b3", "pe1", "pe1_b2"]) {
      assert.match(top, new RegExp(`\\) ${name} \\(`));
    }
    assert.match(top, /\.lead_in\(pe1_lead\)/);
    // the element-wise unit of copy 0: every copy's S1 cell in, the results out to the copies
    assert.match(top, /\.share_in\(ew1_share\), \.ewr_out\(ew1_ewr\)/);
    assert.match(top, /\.ewr_in\(ew1_ewr\)/);
    assert.match(top, /\.EW_SEQS\(BATCH\)/);
  });
});

Deno.test("batch: an LSTMP from batch 4 reads its accumulators a gate field a cycle", () => {
  // ACC_SERIAL (rtl/design.ts accumulatorsSerial): the unit's input 3 cycles later, so the
  // controller's and the cycle model's element-wise latency is 3 longer
  const lstmp = { ...TINY, hiddenSize: 8, projSize: 4, peepholes: true };
  for (const batch of [1, 2, 4, 8]) {
    const design = caseDesign({ ...lstmp, settings: { batch } });
    const serial = batch >= 4;
    assert.equal(design.rtl.ACC_SERIAL, serial ? 1 : 0, `batch ${batch}`);
    assert.equal(design.rtl.EW_LAT, EW_LATENCY.lstm + (serial ? ACC_SERIAL_DELAY : 0));
  }
  assert.equal(caseDesign(TINY).rtl.ACC_SERIAL, 0); // no projection
});

Deno.test("batch streams: element-major interleaving and back", () => {
  const a = [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6])];
  const b = [Int32Array.from([-1, -2, -3]), Int32Array.from([-4, -5, -6])];
  const rows = interleaveSequences([a, b]);
  assert.deepEqual(Array.from(rows[0]), [1, -1, 2, -2, 3, -3]);
  assert.deepEqual(sequenceOf(rows, 2, 1), [[-1, -2, -3], [-4, -5, -6]]);
  assert.deepEqual(sequenceOf(rows, 2, 0), [[1, 2, 3], [4, 5, 6]]);
  assert.throws(() => interleaveSequences([a, [a[0]]]));
});

Deno.test("batch streams: a data file's sequences B at a time, padded, and each slot's own words", () => {
  // longest first, equal lengths together; file order at batch 1
  assert.deepEqual(groupForSlots([2, 3, 2, 1, 3], 2), [
    { members: [1, 4], steps: 3 },
    { members: [0, 2], steps: 2 },
    { members: [3], steps: 1 },
  ]);
  assert.deepEqual(groupForSlots([2, 3], 1).map((g) => g.members), [[0], [1]]);
  // a shorter member padded with zero steps, an empty slot filled with the first member
  const x = [[Int32Array.from([1, 2])], [Int32Array.from([3, 4]), Int32Array.from([5, 6])]];
  const slots = slotSequences({ members: [1, 0], steps: 2 }, x, 2);
  assert.deepEqual(slots[1].map((step) => Array.from(step)), [[1, 2], [0, 0]]);
  assert.deepEqual(slotSequences({ members: [0], steps: 1 }, x, 2)[1], x[0]);
  // slot 1's words of its first step out of a 2-step batch-2 run with 2 outputs per step
  const beats = Array.from({ length: 8 }, (_, n) => ({ cycle: 10 + n, value: n, last: false }));
  const summary = {
    cycles: 17,
    simulatedCycles: 17,
    firstOutputCycle: 10,
    lastInputCycle: 5,
    inputsAccepted: 8,
    outputs: 8,
    expectedOutputs: 8,
    outputStallCycles: 3,
    inputStarvedCycles: 0,
    inputWaitCycles: 0,
    protocolViolations: 0,
    lastFlagErrors: 0,
    extraBeats: 0,
    timedOut: false,
    wallSeconds: null,
    cpuSeconds: null,
    initSeconds: null,
  };
  const own = slotRun({ beats, summary }, {
    batch: 2,
    slot: 1,
    steps: 1,
    inputSize: 2,
    outputSize: 2,
  });
  assert.deepEqual(own.beats.map((beat) => beat.value), [1, 3]);
  assert.deepEqual(
    [
      own.summary.cycles,
      own.summary.inputsAccepted,
      own.summary.outputs,
      own.summary.outputStallCycles,
    ],
    [13, 2, 2, 3],
  );
});
