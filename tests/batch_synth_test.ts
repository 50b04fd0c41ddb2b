/**
 * Yosys on a batch design (`gen --batch B`): the per-PE estimate synthesizes one PE with its
 * engine and one batch copy apart (synth/collect.ts `findPeModule`), and on a design whose PEs
 * and copies are alike it equals the whole-design synthesis.
 */

import assert from "node:assert/strict";
import { writeDesign } from "../rtl/mod.ts";
import { synthesizeDesign } from "../synth/flow.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { withTempDir } from "./helpers.ts";

const CASE: E2eCase = {
  name: "batch-synth",
  kind: "gru",
  inputSize: 2,
  hiddenSize: 4,
  numLayers: 1,
  density: 1,
  pes: 2,
  format: "bcr",
  settings: { batch: 2 },
  seed: 5,
  steps: 1,
};

Deno.test("synth: a batch design per PE (PE + copy) equals the whole design", async () => {
  await withTempDir("rnnfab-batch-synth-", async (dir) => {
    await writeDesign(dir, caseDesign(CASE));
    const whole = await synthesizeDesign(dir, { target: "xilinx", perPe: false });
    const perPe = await synthesizeDesign(dir, { target: "xilinx", perPe: true });
    assert.equal(perPe.pes, 2);
    assert.equal(perPe.runs.map((run) => run.name).join(","), "elaborate,pe,pe-copy,shared");
    assert.match(perPe.methodNote, /x 2 .* and 2 batch copies/);
    for (const key of ["luts", "flipFlops", "blockRams", "dsps"] as const) {
      assert.equal(perPe.total[key], whole.total[key], key);
    }
    // a copy has its own multiplier and element-wise unit but no engine: fewer block RAMs
    assert.ok(perPe.total.dsps > 0);
  });
});
