/**
 * bench:ese's scaling table helpers (bench/ese_scaling.ts): the --scaling list (broadcast width,
 * cycle-model-only rows) and the pool that runs configurations J at a time in order.
 */

import assert from "node:assert/strict";
import { parseScalingConfigs } from "../bench/ese_scaling.ts";
import { runPool } from "../util/pool.ts";

Deno.test("scaling list: PEs x lanes, w broadcast width, b batch, m cycle model only; bad items refused", () => {
  assert.deepEqual(parseScalingConfigs("32x16, 64x8w4,128x4m,64x8w4m,32x4b4,32x8w4b2m,32x32"), [
    { pes: 32, lanes: 16 },
    { pes: 64, lanes: 8, broadcast: 4 },
    { pes: 128, lanes: 4, modelOnly: true },
    { pes: 64, lanes: 8, broadcast: 4, modelOnly: true },
    { pes: 32, lanes: 4, batch: 4 },
    { pes: 32, lanes: 8, broadcast: 4, batch: 2, modelOnly: true },
    { pes: 32, lanes: 32 },
  ]);
  assert.deepEqual(parseScalingConfigs("none"), []);
  for (
    const bad of ["32x3", "0x4", "6x4w4", "32x4x", "32x4mm", "32x4n", "32x4b3", "32x4mb2", "32x128"]
  ) {
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

Deno.test("scaling summary: the batch-1 headline is the fastest fitting row; throughput any batch", async () => {
  const { scalingSummary } = await import("../bench/ese_scaling.ts");
  const row = (batch: number, usPerFrame: number, fits: boolean) => ({
    pes: 32,
    lanes: 4,
    broadcast: 4,
    batch,
    usPerFrame,
    effectiveGops: (batch * 711.778) / usPerFrame,
    bitsPerNonZero: 14,
    weightStorage: [],
    cyclesSource: "computed (cycle model)",
    resources: { fitsXcku060: fits },
  });
  const rows = [row(1, 14, true), row(2, 14, true), row(4, 14, false), row(1, 20, true)];
  // deno-lint-ignore no-explicit-any
  const summary = scalingSummary(rows as any, { clockMhz: 200 });
  assert.equal(summary.headline?.usPerFrame, 14);
  assert.equal(summary.throughputHeadline?.batch, 2);
  assert.equal(summary.throughputHeadline?.meetsGopsTarget, false);
});
