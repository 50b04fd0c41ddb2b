/**
 * Wide output streams (`gen --out-words W`, docs/architecture.md "Streaming interface"): the
 * configuration's limits and refusals, the CLI's one-line errors (gen, and `sim --cocotb`, whose
 * bench streams one element per beat), and the cycle model's beats. The simulations (Verilator
 * with back-pressure, Icarus) are end-to-end cases: gru-rand5-pe8-ese-out4,
 * gru-2layer-mag5-pe32-ese-out8 (tests/e2e_cases.ts) and the delta LSTMP with theta_m at W = 4
 * (tests/e2e_delta_test.ts).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAcceleratorSettings, resolveAcceleratorConfig } from "../rtl/config.ts";
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

Deno.test("gen --out-words: one-line exit-2 errors; sim --cocotb refuses a wide design", async () => {
  await withTempDir("rnnfab-wide-cli-", async (dir) => {
    const out = join(dir, "design");
    const odd = await runDenoScript("cli/gen.ts", [
      "--model",
      GRU,
      "--out",
      out,
      "--pes",
      "6",
      "--out-words",
      "4",
    ]);
    assert.match(expectUserError(odd), /outWords \(4\) must divide pes \(6\)/);
    const design = join(dir, "wide");
    await writeDesign(design, caseDesign(TINY));
    const top = await Deno.readTextFile(join(design, "rtl", "rnnfab_top.v"));
    assert.match(top, /output wire \[63:0\] out_data/); // 4 words of 16 bits
    const cocotb = await runDenoScript("cli/sim.ts", [
      "--design",
      design,
      "--cocotb",
      "--steps",
      "2",
    ]);
    assert.match(expectUserError(cocotb), /outWords is 4; the cocotb bench streams one output/);
  });
});
