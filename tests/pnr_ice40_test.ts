/**
 * A real place and route of the tiny generated GRU (1 PE, narrow formats: pnr_helpers.ts) on the
 * iCE40 UP5K (minutes on a loaded machine): timing.json, the critical path in RTL terms,
 * utilization, the clock helper.
 */

import assert from "node:assert/strict";
import { placeTiny } from "./pnr_helpers.ts";

Deno.test("pnr command: a tiny GRU placed and routed on the iCE40 UP5K, router2", async () => {
  const timing = await placeTiny("ice40-up5k", "50", ["--router", "router2"]);
  assert.equal(timing.router, "router2");
  assert.equal(timing.provenance, "placed and routed (nextpnr, iCE40 UP5K)");
  const dsp = timing.utilization.summary.find((row) => row.resource === "ICESTORM_DSP")!;
  assert.ok(dsp.used >= 1 && dsp.available === 8);
});
