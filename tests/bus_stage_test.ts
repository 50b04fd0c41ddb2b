/**
 * The bus stage (`gen --bus-stage on`, docs/architecture.md, "Bus stage"): the setting's limits
 * and refusals, the CLI's one-line error, what design.json, the cycle model and the top say, and
 * that a generated design with the stage passes the content check. The simulations are in
 * tests/e2e_bus_stage_test.ts.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAcceleratorSettings, resolveAcceleratorConfig } from "../rtl/config.ts";
import { eseQueueEntries } from "../rtl/timing_engines.ts";
import { writeDesign } from "../rtl/mod.ts";
import { verifyDesign } from "../sim/verify_design.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";
import { expectUserError, REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

/** An LSTMP with peepholes, two layers, on 4 PEs (a case of the end-to-end table). */
const LSTMP: E2eCase = { ...e2eCase("lstmp-peep-2layer-rand30-pe4-ese-codebook"), steps: 1 };

Deno.test("bus stage: dense ese designs only, off by default", () => {
  const resolve = (settings: Record<string, unknown>) =>
    resolveAcceleratorConfig([{ settings, source: "c.json" }]);
  assert.equal(resolve({}).busStage, undefined);
  assert.equal(resolve({ busStage: true }).busStage, true);
  assert.throws(
    () => parseAcceleratorSettings({ busStage: 1 }, "c.json"),
    /busStage must be true or false/,
  );
  assert.throws(
    () => resolve({ busStage: true, format: "bcr" }),
    /^UserError: c\.json: busStage needs a dense ese design \(format "ese" without delta\), not format "bcr"$/,
  );
  assert.throws(
    () => resolve({ busStage: true, delta: { thetaX: 0.1, thetaH: 0.1 } }),
    /c\.json: busStage needs a dense ese design .*not a delta design/,
  );
  // off is allowed everywhere
  assert.equal(resolve({ busStage: false, format: "bcr" }).busStage, false);
});

Deno.test("gen --bus-stage: a one-line exit-2 error for bcr, nothing written", async () => {
  await withTempDir("rnnfab-bus-stage-cli-", async (dir) => {
    const out = join(dir, "design");
    const result = await runDenoScript("cli/gen.ts", [
      "--model",
      `${REPO_ROOT}examples/gru.json`,
      "--out",
      out,
      "--format",
      "bcr",
      "--bus-stage",
      "on",
    ]);
    assert.match(expectUserError(result), /busStage needs a dense ese design/);
    assert.equal(await Deno.stat(out).then(() => true, () => false), false);
  });
});

Deno.test("bus stage: design.json, the queue, the cycle model and the top", async () => {
  const plain = caseDesign(LSTMP);
  const staged = caseDesign({
    ...LSTMP,
    settings: { ...LSTMP.settings, busStage: true, queueDepth: 8 },
  });
  assert.equal(staged.accelerator.busStage, true);
  assert.equal(plain.accelerator.busStage, undefined); // written only when on
  assert.equal(staged.rtl.BUS_STAGE, 1);
  assert.equal(plain.rtl.BUS_STAGE, 0);
  // one queue entry more, the stall threshold where it was
  assert.equal(eseQueueEntries(8, true), 9);
  assert.equal(eseQueueEntries(8), 8);
  assert.equal(eseQueueEntries(2, true), 6);
  // a column a cycle later: about one cycle per matrix-vector phase (gates and projection of
  // each layer), never fewer
  const added = caseDesign({ ...LSTMP, settings: { ...LSTMP.settings, busStage: true } })
    .estimate.cyclesPerStep - plain.estimate.cyclesPerStep;
  assert.ok(added >= 1 && added <= 2 * LSTMP.numLayers, `${added} cycles more`);
  await withTempDir("rnnfab-bus-stage-top-", async (dir) => {
    await writeDesign(dir, staged);
    const top = await Deno.readTextFile(join(dir, "rtl", "rnnfab_top.v"));
    assert.match(top, /localparam BUS_STAGE = 1;/);
    assert.match(top, /\.IDLE_PIPE\(IDLE_PIPE\), \.BUS_STAGE\(BUS_STAGE\)/);
    assert.match(top, /\.PQUEUE\(PQUEUE\), \.BUS_STAGE\(BUS_STAGE\)/);
    assert.match(top, /4 PEs, bus stage, ese/);
    const verified = await verifyDesign(dir, { command: "test" });
    assert.deepEqual(verified.modifications, []);
  });
});
