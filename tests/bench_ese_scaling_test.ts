/**
 * bench:ese's scaling table helpers (bench/ese_scaling.ts): the --scaling list (broadcast width,
 * cycle-model-only rows) and the pool that runs configurations J at a time in order.
 */

import assert from "node:assert/strict";
import { parseScalingConfigs, runPool } from "../bench/ese_scaling.ts";

Deno.test("scaling list: PEs x lanes, w broadcast width, m cycle model only; bad items refused", () => {
  assert.deepEqual(parseScalingConfigs("32x16, 64x8w4,128x4m,64x8w4m"), [
    { pes: 32, lanes: 16 },
    { pes: 64, lanes: 8, broadcast: 4 },
    { pes: 128, lanes: 4, modelOnly: true },
    { pes: 64, lanes: 8, broadcast: 4, modelOnly: true },
  ]);
  assert.deepEqual(parseScalingConfigs("none"), []);
  for (const bad of ["32x3", "0x4", "6x4w4", "32x4x", "32x4mm", "32x4n"]) {
    assert.equal(parseScalingConfigs(bad), undefined, bad);
  }
});

Deno.test("runPool: at most J tasks at a time, results in task order", async () => {
  let running = 0;
  let peak = 0;
  const tasks = [30, 5, 20, 1, 10].map((ms, i) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running--;
    return i;
  });
  assert.deepEqual(await runPool(tasks, 2), [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.deepEqual(await runPool([], 3), []);
});
