/**
 * Step counts, the roofline arithmetic on a hand-computed case, device profiles (validation and
 * user overrides) and the provenance of the report rows built from them.
 */

import assert from "node:assert/strict";
import { UserError } from "../util/errors.ts";
import type { RnnModel } from "../model/model.ts";
import { countStep, FLOPS_PER_ACTIVATION } from "../bench/counts.ts";
import { BUILT_IN_DEVICES, parseDevices } from "../bench/devices.ts";
import { rooflineEstimate } from "../bench/roofline.ts";
import { buildReport } from "../bench/report.ts";

/** LSTM, 2 inputs, 3 cells, peepholes; weight_ih non-zero only in rows 0..3 of column 0. */
function handModel(): RnnModel {
  const weightIh = { rows: 12, cols: 2, data: new Float64Array(24) };
  for (let r = 0; r < 4; r++) weightIh.data[r * 2] = 0.5;
  return {
    kind: "lstm",
    inputSize: 2,
    hiddenSize: 3,
    numLayers: 1,
    projSize: 0,
    layers: [{
      weightIh,
      weightHh: { rows: 12, cols: 3, data: new Float64Array(36) },
      biasIh: new Float64Array(12),
      biasHh: new Float64Array(12),
      peephole: new Float64Array(9),
    }],
  };
}

Deno.test("step counts of a hand-computed LSTM, dense and BCR", () => {
  assert.equal(FLOPS_PER_ACTIVATION, 25);
  const dense = countStep(handModel(), "dense");
  assert.equal(dense.macs, 12 * 2 + 12 * 3); // 60
  assert.equal(dense.nonZeroWeights, 4);
  assert.equal(dense.elementwiseFlops, (8 + 6) * 3); // 42
  assert.equal(dense.activations, 5 * 3); // 15
  assert.equal(dense.flops, 2 * 60 + 42 + 15 * 25); // 537
  assert.equal(dense.weightBytes, 60 * 4); // 240
  assert.equal(dense.indexBytes, 0);
  assert.equal(dense.parameterBytes, (12 + 12 + 9) * 4); // 132
  assert.equal(dense.activationBytes, (2 + 2 * 3 + 2 * 3) * 4); // 56: x, h in/out, c in/out
  assert.equal(dense.totalBytes, 428);
  const bcr = countStep(handModel(), "bcr");
  // One kept block: rows 0..3 x column 0: 4 values, 1 column index, 4 row indices.
  assert.equal(bcr.macs, 4);
  assert.equal(bcr.weightBytes, 16);
  assert.equal(bcr.indexBytes, 10);
  assert.equal(bcr.flops, 2 * 4 + 42 + 375); // 425
  assert.equal(bcr.totalBytes, 16 + 10 + 132 + 56); // 214
});

Deno.test("roofline arithmetic on a hand-computed case", () => {
  const device = {
    peakGflops: 1,
    bandwidthGBs: 2,
    computeEfficiency: 0.5,
    bandwidthEfficiency: 1,
    overheadUsPerStep: 0.25,
  };
  // 537 FLOPs at 0.5 GFLOP/s = 1.074 us; 428 bytes at 2 GB/s = 0.214 us; + 0.25 us overhead.
  const compute = rooflineEstimate({ flops: 537, totalBytes: 428 }, device);
  assert.ok(Math.abs(compute.computeUs - 1.074) < 1e-12);
  assert.ok(Math.abs(compute.memoryUs - 0.214) < 1e-12);
  assert.ok(Math.abs(compute.usPerFrame - 1.324) < 1e-12);
  assert.equal(compute.bound, "compute");
  assert.equal(compute.ridgeIntensity, 0.25);
  // A memory-bound case: 2e6 FLOPs, 4e6 bytes on 100 GFLOP/s and 10 GB/s: 20 us vs 400 us.
  const memory = rooflineEstimate(
    { flops: 2e6, totalBytes: 4e6 },
    { ...device, peakGflops: 100, bandwidthGBs: 10, computeEfficiency: 1, overheadUsPerStep: 0 },
  );
  assert.equal(memory.computeUs, 20);
  assert.equal(memory.memoryUs, 400);
  assert.equal(memory.usPerFrame, 400);
  assert.equal(memory.bound, "memory");
  assert.equal(memory.attainableGflops, 5);
});

Deno.test("built-in device profiles carry the REFERENCE.md figures", () => {
  const byId = new Map(BUILT_IN_DEVICES.map((d) => [d.id, d]));
  assert.equal(byId.get("sd855-cpu-big")?.peakGflops, 161.6); // 16 x (2.84 + 3 x 2.42)
  assert.ok(Math.abs(16 * (2.84 + 3 * 2.42) - 161.6) < 1e-9);
  assert.equal(byId.get("sd855-cpu-big")?.bandwidthGBs, 34.1);
  assert.equal(byId.get("adreno640")?.peakGflops, 407);
  assert.equal(byId.get("adreno640")?.bandwidthGBs, 30);
  assert.ok(Math.abs((byId.get("sd855-cpu-prime")?.peakGflops ?? 0) - 16 * 2.84) < 1e-9);
});

Deno.test("devices file: new devices, overrides of built-ins, one-line errors", () => {
  const devices = parseDevices({
    devices: [
      { id: "sd855-cpu-big", measured: { sparseUsPerFrame: 42, note: "taskset big cores" } },
      {
        id: "my-gpu",
        name: "My GPU",
        kind: "gpu",
        peakGflops: 1000,
        bandwidthGBs: 100,
        overheadUsPerStep: 20,
      },
    ],
  }, "d.json");
  const big = devices.find((d) => d.id === "sd855-cpu-big")!;
  assert.equal(big.peakGflops, 161.6);
  assert.equal(big.measured?.sparseUsPerFrame, 42);
  assert.equal(big.origin, "d.json");
  const mine = devices.find((d) => d.id === "my-gpu")!;
  assert.equal(mine.computeEfficiency, 1);
  assert.equal(mine.overheadUsPerStep, 20);
  assert.equal(devices.length, BUILT_IN_DEVICES.length + 1);

  const message = (value: unknown) => {
    try {
      parseDevices(value, "d.json");
    } catch (error) {
      assert.ok(error instanceof UserError);
      return error.message;
    }
    assert.fail("expected a UserError");
  };
  assert.equal(
    message({ devices: [{ id: "x", name: "X", kind: "cpu", bandwidthGBs: 1 }] }),
    'd.json: devices[0].peakGflops: required for a new device ("x" is not a built-in: ' +
      "sd855-cpu-big, sd855-cpu-prime, adreno640)",
  );
  assert.match(
    message({ devices: [{ id: "adreno640", peakGflops: -1 }] }),
    /^d\.json: devices\[0\]\.peakGflops: /,
  );
  assert.match(
    message({ devices: [{ id: "adreno640", speed: 3 }] }),
    /^d\.json: devices\[0\]: .*speed/,
  );
  assert.match(
    message({ devices: [{ id: "adreno640", measured: {} }] }),
    /denseUsPerFrame and\/or sparseUsPerFrame/,
  );
  assert.match(message({ devices: [{ id: "a b" }] }), /devices\[0\]\.id: expected letters/);
  assert.match(message({ devices: [{ id: "adreno640" }, { id: "adreno640" }] }), /appears twice/);
  assert.match(message([]), /^d\.json: /);
});

Deno.test("report rows: modeled unless a user measured, published rows are theirs", () => {
  const devices = parseDevices({
    devices: [{ id: "adreno640", measured: { denseUsPerFrame: 7 } }],
  }, "d.json");
  const report = buildReport({
    modelPath: "hand",
    model: handModel(),
    pruning: null,
    sequence: { steps: 1, seed: 1 },
    hostCpu: { skipped: "test" },
    aarch64: { status: "skipped", reason: "test", flags: [], runner: "", tolerance: 1e-5 },
    fpga: { missing: "test" },
    devices,
    densitySweep: [],
    generatedAt: "2026-01-01T00:00:00Z",
  });
  const row = (id: string) => report.rows.find((r) => r.id === id)!;
  assert.equal(row("adreno640-dense").provenance, "measured");
  assert.equal(row("adreno640-dense").provenanceLabel, "measured (user)");
  assert.equal(row("adreno640-dense").usPerFrame, 7);
  assert.equal(row("adreno640-bcr").provenance, "modeled");
  const modeled = report.modeled.devices.find((d) => d.device.id === "adreno640")!;
  assert.equal(row("adreno640-bcr").usPerFrame, modeled.bcr.usPerFrame);
  assert.equal(row("sd855-cpu-big-dense").provenance, "modeled");
  // 537 FLOPs / 161.6 GFLOP/s vs 428 bytes / 34.1 GB/s: memory-bound, 0.01255 us.
  assert.ok(Math.abs((row("sd855-cpu-big-dense").usPerFrame ?? 0) - 428 / 34.1e3) < 1e-12);
  const published = report.rows.filter((r) => r.provenance === "published");
  assert.ok(published.length >= 4);
  assert.ok(published.every((r) => r.modelOwner === "theirs" && r.id.startsWith("published-")));
  assert.ok(
    report.rows.filter((r) => r.modelOwner === "theirs").every((r) => r.provenance === "published"),
  );
  assert.equal(row("published-ese-xcku060").usPerFrame, 82.7);
  assert.ok(!report.rows.some((r) => r.id === "fpga" || r.id.startsWith("host-")));
});
