/**
 * Yosys on a batch design (`gen --batch B`) and on one with element-wise groups (`gen --ew-group
 * G`): the per-PE estimate synthesizes one PE with its engine and unit, one batch copy and one PE
 * of a group without a unit apart (synth/collect.ts `findPeModule`), and its total agrees with
 * the whole-design synthesis. Narrow number formats (8-bit weights, Q12.8 activations, as the
 * place-and-route tests) shrink the datapath and so the Yosys runs.
 */

import assert from "node:assert/strict";
import { writeDesign } from "../rtl/mod.ts";
import { synthesizeDesign } from "../synth/flow.ts";
import type { SynthesisReport } from "../synth/report.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { withTempDir } from "./helpers.ts";
import { NARROW_FORMATS } from "./pnr_helpers.ts";

const CASE: E2eCase = {
  name: "batch-synth",
  kind: "gru",
  inputSize: 2,
  hiddenSize: 4,
  numLayers: 1,
  density: 1,
  pes: 2,
  format: "bcr",
  settings: { batch: 2, ...NARROW_FORMATS },
  seed: 5,
  steps: 1,
};

/** Synthesize `c` whole and per PE; the per-PE total within 5% of the whole (DSPs exact). */
async function perPeAgainstWhole(c: E2eCase, check: (perPe: SynthesisReport) => void) {
  await withTempDir("rnnfab-batch-synth-", async (dir) => {
    await writeDesign(dir, caseDesign(c));
    const whole = await synthesizeDesign(dir, { target: "xilinx", perPe: false });
    const perPe = await synthesizeDesign(dir, { target: "xilinx", perPe: true });
    check(perPe);
    // Multipliers are exact; the logic within a few percent (the PEs' images differ, and the
    // whole-design run optimizes across the top's wiring).
    assert.equal(perPe.total.dsps, whole.total.dsps);
    assert.ok(perPe.total.dsps > 0);
    for (const key of ["luts", "flipFlops", "blockRams"] as const) {
      const off = Math.abs(perPe.total[key] - whole.total[key]) / whole.total[key];
      assert.ok(off <= 0.05, `${key}: per-PE ${perPe.total[key]}, whole ${whole.total[key]}`);
    }
  });
}

Deno.test("synth: a batch design per PE (PE + copy) agrees with the whole design", async () => {
  await perPeAgainstWhole(CASE, (perPe) => {
    assert.equal(perPe.pes, 2);
    assert.equal(perPe.runs.map((run) => run.name).join(","), "elaborate,pe,pe-copy,shared");
    assert.match(perPe.methodNote, /x 2 .* and 2 batch copies/);
  });
});

Deno.test("synth: element-wise groups per PE (PE with the unit + PEs without) agree with the whole design", async () => {
  const grouped = {
    ...CASE,
    name: "ew-group-synth",
    pes: 4,
    settings: { ...CASE.settings, batch: 1, ewGroup: 2 },
  };
  await perPeAgainstWhole(grouped, (perPe) => {
    assert.equal(perPe.pes, 4);
    assert.equal(perPe.runs.map((run) => run.name).join(","), "elaborate,pe,pe-member,shared");
    assert.match(perPe.methodNote, /x 2 .* and 2 PEs of element-wise groups without a unit/);
  });
});
