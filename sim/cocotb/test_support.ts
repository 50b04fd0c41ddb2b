/**
 * Assertions shared by the cocotb tests (`tests/cocotb_*_test.ts`): a run that passed in every
 * respect, and fault injection that must fail each cocotb test at exactly the flipped word.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readDesign } from "../design.ts";
import { type CocotbResult, type CocotbSimulator, runCocotb } from "./run.ts";
import { COCOTB_TESTS } from "../../rtl/testbench.ts";

/** Assert that a cocotb run passed: every test, bit-exact, in the bridge's check and in cocotb. */
export function assertPassed(result: CocotbResult): void {
  assert.deepEqual(result.failures, [], result.failures.join("\n"));
  assert.equal(result.passed, true);
  assert.equal(result.bitExact, true);
  assert.equal(result.cocotb.exitCode, 0);
  assert.deepEqual(result.cocotb.tests.map((test) => test.test), [...COCOTB_TESTS]);
  for (const test of result.cocotb.tests) {
    assert.equal(test.passed, true, `${test.test}: ${test.failures.join("; ")}`);
    assert.equal(test.cocotbPassed, true, `${test.test}: cocotb says ${test.cocotbMessage}`);
    assert.ok(test.compared > 0, `${test.test} compared no word`);
  }
  const reset = result.cocotb.tests.find((test) => test.test === "test_reset_mid_sequence")!;
  // one entry per stream (its slot-0 sequence; a batch design's streams carry B sequences)
  const streams = reset.sequences.filter((s) => s.slot === 0);
  assert.deepEqual(streams.map((s) => s.aborted), [true, true, false]);
  assert.equal(result.mismatchCount, 0);
  assert.equal(result.outputs.length, result.steps);
  assert.ok(result.cycles > 0 && result.firstOutputCycle > 0);
}

/** Flip `bit` of an activation word of `bits` bits, as the test bench does. */
export function flipWordBit(value: number, bit: number, bits: number): number {
  const raw = ((value & (2 ** bits - 1)) ^ (1 << bit)) >>> 0;
  return raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw;
}

/**
 * Run the cocotb tests with one output bit flipped in each of them and assert that each test fails
 * with exactly one mismatch, at the flipped word (sequence, step, element), with the flipped value.
 */
export async function assertFlipsCaught(options: {
  designDir: string;
  simulator: CocotbSimulator;
  seed: number;
}): Promise<CocotbResult> {
  const design = await readDesign(options.designDir);
  const size = design.model.outputSize;
  const bits = design.accelerator.activationBits;
  const batch = design.accelerator.batch ?? 1;
  // Where each flip lands: output beat `beat` of the test (counted over its streams), slot
  // `slot` of a batch design's beats (the last one: a tagged word other than slot 0); the word
  // number counts every slot of every beat. test_reset_mid_sequence's flip is in the prefix of
  // the stream a reset cuts short; test_back_to_back's in its second stream (its first is 1 step).
  const slot = batch - 1;
  const flips = [
    { test: "test_sequence", beat: size + 1, bit: 0, stream: 0, step: 1, index: 1 },
    { test: "test_random_backpressure", beat: 3, bit: bits - 1, stream: 0, step: 0, index: 3 },
    { test: "test_reset_mid_sequence", beat: 2, bit: 5, stream: 0, step: 0, index: 2 },
    { test: "test_back_to_back", beat: size + 1, bit: 11, stream: 1, step: 0, index: 1 },
  ].map((flip) => ({
    ...flip,
    word: flip.beat * batch + slot,
    sequence: flip.stream * batch + slot,
  }));
  const result = await runCocotb({
    designDir: options.designDir,
    simulator: options.simulator,
    seed: options.seed,
    steps: 3,
    backpressure: 0.2,
    flipOutputBits: flips.map(({ test, word, bit }) => ({ test, word, bit })),
    resultPath: null,
  });
  assert.equal(result.passed, false);
  assert.equal(result.bitExact, false);
  for (const flip of flips) {
    const test = result.cocotb.tests.find((t) => t.test === flip.test);
    assert.ok(test, `${flip.test} did not run`);
    assert.equal(test.passed, false, `${flip.test} passed despite a flipped bit`);
    assert.equal(test.cocotbPassed, false, `cocotb passed ${flip.test} despite a flipped bit`);
    assert.equal(test.mismatchCount, 1, test.failures.join("\n"));
    const [mismatch] = test.mismatches;
    assert.deepEqual(
      { sequence: mismatch.sequence, step: mismatch.step, index: mismatch.index },
      { sequence: flip.sequence, step: flip.step, index: flip.index },
    );
    assert.equal(mismatch.got, flipWordBit(mismatch.expected, flip.bit, bits));
    assert.equal(test.failures.length, 1, test.failures.join("\n"));
  }
  return result;
}
