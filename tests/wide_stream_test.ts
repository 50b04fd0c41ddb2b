/**
 * Wide streams, `gen --out-words W` and `gen --in-words W` (docs/architecture.md "Streaming
 * interface"): the configuration's limits and refusals, gen's one-line errors, the top's ports and
 * the cycle model's beats. The simulations are end-to-end cases (Verilator with back-pressure and
 * input gaps, Icarus): gru-rand5-pe8-ese-out4, gru-2layer-mag5-pe32-ese-out8,
 * lstmp-peep-2layer-rand60-pe2-bcr-bcast2-in2 (Icarus), lstmp-peep-bcr11-pe32-bcr-bcast32-in4
 * (tests/e2e_cases.ts), the delta LSTMPs with theta_m at 4 and 32 columns per beat with wide
 * output and input (tests/e2e_delta_test.ts), and the cocotb bench on a design with both
 * (tests/cocotb_params_test.ts).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAcceleratorSettings, resolveAcceleratorConfig } from "../rtl/config.ts";
import { simulateDeltaTiming } from "../rtl/delta_timing.ts";
import { writeDesign } from "../rtl/mod.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { expectUserError, REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const GRU = `${REPO_ROOT}examples/gru.json`;

const TINY: E2eCase = {
  name: "wide-tiny",
  kind: "lstm",
  inputSize: 3,
  hiddenSize: 9,
  numLayers: 1,
  density: 1,
  pes: 4,
  format: "ese",
  settings: { outWords: 4 },
  seed: 3,
  steps: 3,
};

/**
 * A delta LSTM, 61 inputs on 4 columns per broadcast beat: 15 beats of 4 and one of 1 with 4 input
 * words (a delta design skips the columns that did not fire, so its input stream can bound a step).
 */
const TINY_IN: E2eCase = {
  name: "wide-in-tiny",
  kind: "lstm",
  inputSize: 61,
  hiddenSize: 8,
  numLayers: 1,
  density: 1,
  pes: 4,
  format: "ese",
  settings: { delta: { thetaX: 0.1, thetaH: 0.1 }, broadcast: 4, inWords: 4 },
  seed: 5,
  steps: 3,
};

Deno.test("outWords: a power of two dividing pes, batch 1, default 1", () => {
  const resolve = (settings: Record<string, unknown>) =>
    resolveAcceleratorConfig([{ settings, source: "c.json" }]);
  assert.equal(resolve({}).outWords, 1);
  assert.equal(resolve({ pes: 8, outWords: 8 }).outWords, 8);
  assert.throws(
    () => parseAcceleratorSettings({ outWords: 3 }, "c.json"),
    /outWords must be a power of two from 1 to 64/,
  );
  assert.throws(() => resolve({ pes: 6, outWords: 4 }), /outWords \(4\) must divide pes \(6\)/);
  assert.throws(() => resolve({ pes: 4, outWords: 2, batch: 2 }), /outWords > 1 needs batch 1/);
});

Deno.test("outWords: the top's output port and the cycle model's beats", () => {
  const wide = caseDesign(TINY);
  const narrow = caseDesign({ ...TINY, settings: {} });
  assert.equal(wide.rtl.OUT_WORDS, 4);
  assert.equal(narrow.rtl.OUT_WORDS, 1);
  // 9 outputs: 3 beats (4, 4, 1) instead of 9; the step ends earlier by the beats saved at most
  const saved = narrow.estimate.firstStepCycles - wide.estimate.firstStepCycles;
  assert.ok(saved > 0 && saved <= 6, `saved ${saved}`);
});

Deno.test("inWords: a power of two dividing the broadcast width, batch 1, default 1", () => {
  const resolve = (settings: Record<string, unknown>) =>
    resolveAcceleratorConfig([{ settings, source: "c.json" }]);
  assert.equal(resolve({}).inWords, 1);
  assert.equal(resolve({ pes: 8, format: "bcr", broadcast: 8, inWords: 8 }).inWords, 8);
  assert.throws(
    () => parseAcceleratorSettings({ inWords: 3 }, "c.json"),
    /inWords must be a power of two from 1 to 16/,
  );
  assert.throws(
    () => resolve({ pes: 8, format: "bcr", broadcast: 2, inWords: 4 }),
    /inWords \(4\) must divide broadcast \(2\)/,
  );
  assert.throws(() => resolve({ pes: 4, inWords: 2 }), /inWords \(2\) must divide broadcast \(1\)/);
  assert.throws(
    () => resolve({ pes: 4, format: "bcr", broadcast: 4, inWords: 2, batch: 2 }),
    /inWords > 1 needs batch 1/,
  );
});

Deno.test("inWords: the top's input port, and the cycle model takes a step's input in ceil(I / W) beats", () => {
  const wide = caseDesign(TINY_IN);
  const narrow = caseDesign({ ...TINY_IN, settings: { ...TINY_IN.settings, inWords: 1 } });
  assert.equal(wide.rtl.IN_WORDS, 4);
  assert.equal(narrow.rtl.IN_WORDS, 1);
  // no column fires: a step costs its input stream or its element-wise work (~50 cycles), so the
  // input of 61 elements bounds the narrow design's period (61 beats) and not the wide one's (16)
  const steps = 8;
  const none = Array.from({ length: steps }, () => [new Set<number>()]);
  const period = (design: typeof wide) => {
    const ends = simulateDeltaTiming(
      { rtl: design.rtl, image: design.image, delta: design.delta! },
      none,
    ).stepEndCycles;
    return ends[steps - 1] - ends[steps - 2];
  };
  assert.ok(period(narrow) >= 61, `narrow period ${period(narrow)}`);
  assert.ok(period(wide) < period(narrow), `wide ${period(wide)}, narrow ${period(narrow)}`);
});

/** A wide stream's CLI checks: gen's refusal and the top's port. */
interface WideCliCase {
  /** The gen flags refused, and the message expected. */
  refused: { flags: string[]; message: RegExp };
  /** A wide design and its top's port. */
  design: E2eCase;
  port: RegExp;
}

const CLI_CASES: [string, WideCliCase][] = [
  ["out", {
    refused: {
      flags: ["--pes", "6", "--out-words", "4"],
      message: /outWords \(4\) must divide pes \(6\)/,
    },
    design: TINY,
    port: /output wire \[63:0\] out_data/, // 4 words of 16 bits
  }],
  ["in", {
    refused: {
      flags: ["--pes", "4", "--in-words", "2"],
      message: /inWords \(2\) must divide broadcast \(1\)/,
    },
    design: TINY_IN,
    port: /input {2}wire \[63:0\] in_data/,
  }],
];

for (const [direction, c] of CLI_CASES) {
  Deno.test(`gen --${direction}-words: one-line exit-2 errors; the top's port`, async () => {
    await withTempDir("rnnfab-wide-cli-", async (dir) => {
      const out = join(dir, "design");
      const refused = await runDenoScript("cli/gen.ts", [
        "--model",
        GRU,
        "--out",
        out,
        ...c.refused.flags,
      ]);
      assert.match(expectUserError(refused), c.refused.message);
      const design = join(dir, "wide");
      await writeDesign(design, caseDesign(c.design));
      const top = await Deno.readTextFile(join(design, "rtl", "rnnfab_top.v"));
      assert.match(top, c.port);
    });
  });
}
