/**
 * A real place and route of the tiny generated GRU (1 PE, narrow formats: pnr_helpers.ts) on the
 * ECP5-25F (minutes on a loaded machine): timing.json, the critical path in RTL terms,
 * utilization, the block RAM output registers, the clock helper.
 */

import assert from "node:assert/strict";
import { placeTiny } from "./pnr_helpers.ts";
import { PNR_TARGETS } from "../synth/pnr/targets.ts";

Deno.test("pnr command: a tiny GRU placed and routed on the ECP5-25F", async () => {
  const timing = await placeTiny("ecp5-25k", "200", ["--bram-output-registers"]);
  assert.equal(timing.router, "router1");
  assert.equal(timing.provenance, "placed and routed (nextpnr, ECP5-25F, -8)");
  assert.equal(timing.target.speedGrade, "8");
  const bram = timing.utilization.summary.find((row) => row.resource === "DP16KD")!;
  assert.ok(bram.used >= 2 && bram.available === PNR_TARGETS[0].resources[2].available);
  // --bram-output-registers: the flip-flops after the block RAM reads went into their output
  // registers, so what nextpnr placed is Yosys's count less those
  assert.equal(timing.flow, 4);
  const packed = timing.blockRamOutputRegisters!;
  assert.equal(packed.scope, "all");
  assert.ok(packed.ports >= 2 && packed.flipFlops >= packed.ports, JSON.stringify(packed));
  assert.equal(
    timing.utilization.resources.TRELLIS_FF.used,
    timing.utilization.synthesizedCells.TRELLIS_FF - packed.flipFlops,
  );
});
