/**
 * The simulation harnesses on their own, with small hand-written DUTs (no generator involved):
 * the result-file parser, the word-by-word comparison, and the harness's protocol checks: a
 * correct DUT under back-pressure, a DUT that changes a held beat, one with a wrong out_last, one
 * that sends an extra beat and one that never answers (bounded, never hangs), in Verilator and in
 * Icarus.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { hashParts } from "../sim/cache.ts";
import type { SimDesign } from "../sim/design.ts";
import {
  batchStimulusText,
  type HarnessSettings,
  parseBatchHarnessResult,
  parseHarnessResult,
  stimulusText,
} from "../sim/harness_io.ts";
import { buildIcarusHarness, runIcarusHarness } from "../sim/icarus.ts";
import { compareBeats } from "../sim/result.ts";
import { cycleLimit } from "../sim/simulate.ts";
import {
  buildVerilatorHarness,
  chooseProfile,
  RUN_PROFILE_MIN_CYCLES,
  runVerilatorHarness,
  runVerilatorHarnessRaw,
} from "../sim/verilator.ts";
import { makeOverrides, versionNumber } from "../sim/verilator_tool.ts";
import { parseSequences } from "../sim/batch.ts";
import { sampleDesignJson, withDefaults } from "./helpers.ts";

/**
 * A DUT that collects one step of 3 input words, adds 1 to each and sends them back. Its fault
 * comes from the plusarg +mode=M (one build serves every case): 0 correct; 1 changes a held
 * beat's data; 2 never raises out_last; 3 sends one extra beat after the sequence; 4 never
 * sends anything.
 */
const ECHO_DUT = `\`default_nettype none
module rnnfab_top #(
    parameter MEM_DIR = "mem/"  // unused
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [15:0] in_data,
    input  wire        in_valid,
    output wire        in_ready,
    output wire [15:0] out_data,
    output wire        out_valid,
    input  wire        out_ready,
    output wire        out_last
);
  localparam N = 3;
  integer MODE;
  initial if (!$value$plusargs("mode=%d", MODE)) MODE = 0;
  reg [15:0] buffer_q[0:N-1];
  reg [1:0] count_q;
  reg sending_q;
  reg extra_q;
  reg [7:0] steps_q;
  reg wiggle_q;
  wire [15:0] word = buffer_q[count_q] + 16'd1 + ((MODE == 1 && wiggle_q) ? 16'd1 : 16'd0);
  assign in_ready = !sending_q;
  assign out_valid = MODE == 4 ? 1'b0 : (sending_q || extra_q);
  assign out_data = word;
  assign out_last = MODE == 2 ? 1'b0 : (sending_q && count_q == N - 1);
  always @(posedge clk) begin
    if (rst) begin
      count_q <= 2'd0;
      sending_q <= 1'b0;
      extra_q <= 1'b0;
      steps_q <= 8'd0;
      wiggle_q <= 1'b0;
    end else begin
      wiggle_q <= out_valid && !out_ready;
      if (extra_q && out_ready) extra_q <= 1'b0;
      if (!sending_q && in_valid) begin
        buffer_q[count_q] <= in_data;
        count_q <= count_q == N - 1 ? 2'd0 : count_q + 2'd1;
        sending_q <= count_q == N - 1;
      end else if (sending_q && out_ready) begin
        count_q <= count_q == N - 1 ? 2'd0 : count_q + 2'd1;
        if (count_q == N - 1) begin
          sending_q <= 1'b0;
          steps_q <= steps_q + 8'd1;
          if (MODE == 3 && steps_q == 8'd1) extra_q <= 1'b1;
        end
      end
    end
  end
endmodule
\`default_nettype wire
`;

async function echoDesign(root: string, mode: number): Promise<SimDesign> {
  const dir = join(root, `echo-mode${mode}`);
  await Deno.mkdir(join(dir, "rtl"), { recursive: true });
  const top = join(dir, "rtl", "rnnfab_top.v");
  await Deno.writeTextFile(top, ECHO_DUT);
  // design.json of a real 3 -> 3 LSTM design; the harness uses the shape and the top only
  const json = await sampleDesignJson({ kind: "lstm", inputSize: 3, hiddenSize: 3 }, { pes: 1 });
  return { ...json, dir, rtlFiles: [top] };
}

const INPUTS = [Int32Array.of(-5, 0, 7), Int32Array.of(32766, -32768, 1)];
const EXPECTED = INPUTS.map((step) => step.map((x) => ((x + 1 + 32768) & 0xffff) - 32768));

const settings = withDefaults<HarnessSettings>({
  backpressure: 0,
  inputGaps: 0,
  seed: 5,
  maxCycles: 2000,
  initialValues: "random",
});

async function simulate(
  root: string,
  mode: number,
  simulator: "verilator" | "icarus",
  overrides: Partial<HarnessSettings> = {},
) {
  const design = await echoDesign(root, mode);
  const stimulusPath = join(design.dir, "stimulus.txt");
  const resultPath = join(design.dir, "result.txt");
  await Deno.writeTextFile(stimulusPath, stimulusText(INPUTS, 3, 3));
  const cacheRoot = join(root, "cache");
  const runSettings = settings(overrides);
  if (simulator === "verilator") {
    const harness = await buildVerilatorHarness({
      design,
      trace: false,
      cacheRoot,
    });
    return await runVerilatorHarness({
      harness,
      design,
      stimulusPath,
      resultPath,
      settings: runSettings,
      plusargs: [`+mode=${mode}`],
    });
  }
  const harness = await buildIcarusHarness({
    design,
    steps: INPUTS.length,
    settings: runSettings,
    cacheRoot,
  });
  return await runIcarusHarness({
    harness,
    design,
    stimulusPath,
    resultPath,
    maxCycles: runSettings.maxCycles,
    plusargs: [`+mode=${mode}`],
  });
}

Deno.test("harness result files parse; incomplete ones are rejected", () => {
  const text = "beat 4 -3 0\nbeat 5 x 1\n" +
    [
      "cycles 5",
      "simulatedCycles 5",
      "firstOutputCycle 4",
      "lastInputCycle 3",
      "inputsAccepted 3",
      "outputs 2",
      "expectedOutputs 2",
      "outputStallCycles 0",
      "inputStarvedCycles 0",
      "inputWaitCycles 1",
      "protocolViolations 0",
      "lastFlagErrors 0",
      "extraBeats 0",
      "timedOut 0",
    ].map((line) => `summary ${line}\n`).join("");
  const run = parseHarnessResult(text + "summary end 1\n", "r.txt");
  assert.deepEqual(run.beats, [
    { cycle: 4, value: -3, last: false },
    { cycle: 5, value: null, last: true },
  ]);
  assert.equal(run.summary.inputWaitCycles, 1);
  assert.throws(() => parseHarnessResult(text, "r.txt"), /incomplete/);
  assert.throws(() => parseHarnessResult("hello\n", "r.txt"), /unexpected harness output/);
  const comparison = compareBeats(run, [Int32Array.of(-3, 4)]);
  assert.equal(comparison.compared, 2);
  assert.deepEqual(comparison.mismatches, [
    { step: 0, index: 1, expected: 4, got: null, cycle: 5 },
  ]);
});

Deno.test("cache keys and cycle limits", () => {
  const a = hashParts([{ name: "a", content: "xy" }, { name: "b", content: "z" }]);
  const b = hashParts([{ name: "a", content: "x" }, { name: "b", content: "yz" }]);
  assert.notEqual(a, b);
  assert.equal(a, hashParts([{ name: "a", content: "xy" }, { name: "b", content: "z" }]));
  const design = { estimate: { cyclesPerStep: 100, firstStepCycles: 150 } };
  assert.equal(cycleLimit(design, 3, { backpressure: 0, inputGaps: 0 }), 4 * 350 + 10000);
  assert.equal(cycleLimit(design, 3, { backpressure: 0.5, inputGaps: 0 }), 2 * (4 * 350 + 10000));
});

for (const simulator of ["verilator", "icarus"] as const) {
  Deno.test(`${simulator} harness: echo DUT exact under back-pressure; protocol faults caught`, async (t) => {
    const root = await Deno.makeTempDir({ prefix: `rnnfab-harness-${simulator}-` });
    try {
      await t.step("correct DUT, plain and back-pressured", async () => {
        const plain = await simulate(root, 0, simulator);
        assert.deepEqual(compareBeats(plain, EXPECTED).mismatches, []);
        assert.equal(plain.summary.outputs, 6);
        assert.equal(plain.summary.protocolViolations, 0);
        assert.equal(plain.summary.lastFlagErrors, 0);
        assert.equal(plain.summary.extraBeats, 0);
        // 3 input beats, then 3 output beats, twice: the last word transfers at cycle 12.
        assert.equal(plain.summary.cycles, 12);
        assert.equal(plain.summary.firstOutputCycle, 4);
        assert.deepEqual(plain.beats.map((b) => b.last), [false, false, true, false, false, true]);
        const stalled = await simulate(root, 0, simulator, { backpressure: 0.5, inputGaps: 0.3 });
        assert.deepEqual(compareBeats(stalled, EXPECTED).mismatches, []);
        assert.ok(stalled.summary.outputStallCycles > 0);
        assert.ok(stalled.summary.inputStarvedCycles > 0);
        assert.ok(stalled.summary.cycles > 12);
        assert.equal(stalled.summary.protocolViolations, 0);
      });
      await t.step("a held beat that changes is a protocol violation", async () => {
        const run = await simulate(root, 1, simulator, { backpressure: 0.5 });
        assert.ok(run.summary.protocolViolations > 0);
      });
      await t.step("a missing out_last is counted", async () => {
        const run = await simulate(root, 2, simulator);
        assert.equal(run.summary.lastFlagErrors, 2);
      });
      await t.step("an extra beat after the sequence is counted", async () => {
        const run = await simulate(root, 3, simulator);
        assert.equal(run.summary.extraBeats > 0, true);
      });
      await t.step("a silent DUT times out at the cycle limit", async () => {
        const run = await simulate(root, 4, simulator, { maxCycles: 300 });
        assert.equal(run.summary.timedOut, true);
        assert.equal(run.summary.outputs, 0);
        assert.equal(run.summary.simulatedCycles, 300);
      });
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  });
}

Deno.test("verilator harness: a batch runs back to back, each sequence counted from its reset", async () => {
  const root = await Deno.makeTempDir({ prefix: "rnnfab-harness-batch-" });
  try {
    const design = await echoDesign(root, 0);
    const stimulusPath = join(design.dir, "batch.txt");
    const resultPath = join(design.dir, "batch_result.txt");
    const third = [Int32Array.of(9, 8, 7)];
    await Deno.writeTextFile(
      stimulusPath,
      batchStimulusText(
        [{ inputs: INPUTS, maxCycles: 2000 }, { inputs: third, maxCycles: 2000 }, {
          inputs: INPUTS,
          maxCycles: 2000,
        }],
        { inputSize: 3, outputSize: 3 },
      ),
    );
    const harness = await buildVerilatorHarness({
      design,
      trace: false,
      cacheRoot: join(root, "cache"),
    });
    const { text } = await runVerilatorHarnessRaw({
      harness,
      design,
      stimulusPath,
      resultPath,
      settings: settings(),
    });
    const runs = parseBatchHarnessResult(text, resultPath, 3);
    assert.deepEqual(compareBeats(runs[0], EXPECTED).mismatches, []);
    assert.deepEqual(compareBeats(runs[1], [Int32Array.of(10, 9, 8)]).mismatches, []);
    assert.deepEqual(compareBeats(runs[2], EXPECTED).mismatches, []);
    // After a 2-cycle reset the echo DUT starts afresh: the same cycles as the first sequence.
    assert.equal(runs[0].summary.cycles, 12);
    assert.equal(runs[1].summary.cycles, 6);
    assert.equal(runs[2].summary.cycles, 12);
    assert.deepEqual(runs[2].beats.map((b) => b.cycle), runs[0].beats.map((b) => b.cycle));
    assert.ok(runs[0].summary.initSeconds !== null && runs[1].summary.initSeconds === null);
    assert.throws(() => parseBatchHarnessResult(text, resultPath, 4), /3 of 4 sequences/);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("batch data files: sequences or a single inputs sequence, checked field by field", () => {
  assert.deepEqual(parseSequences({ inputs: [[1, 2]] }, 2, "x.json"), [[[1, 2]]]);
  assert.deepEqual(parseSequences({ sequences: [[[1, 2]], [[3, 4], [5, 6]]] }, 2, "x.json"), [
    [[1, 2]],
    [[3, 4], [5, 6]],
  ]);
  assert.throws(
    () => parseSequences({ sequences: [[[1, 2]], [[3]]] }, 2, "x.json"),
    /x\.json: sequences\[1\]\[0\]: expected 2 numbers per step/,
  );
  assert.throws(() => parseSequences({ sequences: [] }, 2, "x.json"), /at least one sequence/);
});

Deno.test("build profiles: auto picks run for long runs or when cached; make overrides", () => {
  assert.equal(chooseProfile({ expectedCycles: 1000, runProfileCached: false }), "build");
  assert.equal(chooseProfile({ expectedCycles: 1000, runProfileCached: true }), "run");
  assert.equal(
    chooseProfile({ expectedCycles: RUN_PROFILE_MIN_CYCLES, runProfileCached: false }),
    "run",
  );
  const mk = "CXX = /opt/elsewhere/c++\nAR = ar\nPERL = \nCFG_CXXFLAGS_PCH_I = \n" +
    "CFG_CXXFLAGS_PCH_I = -include\nCFG_LDLIBS_THREADS = -pthread\nCFG_CXXFLAGS_COROUTINES = \n";
  assert.deepEqual(makeOverrides(mk, () => false), [
    "CXX=g++",
    "PERL=perl",
    "CFG_CXXFLAGS_PCH_I=-include",
    "CFG_CXXFLAGS_COROUTINES=-fcoroutines",
  ]);
  assert.deepEqual(makeOverrides("CXX = /usr/bin/g++\n", () => true), []);
  assert.equal(versionNumber("5.48.0"), 5.048);
  assert.equal(versionNumber("Verilator 5.006 2023-01-22"), 5.006);
});
