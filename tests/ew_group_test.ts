/**
 * Element-wise units shared by groups of PEs (`gen --ew-group G`, docs/architecture.md, "Shared
 * element-wise units"): the configuration's limits and refusals, the CLI's one-line errors, what
 * design.json, the memory images, the cycle model and the top say. The simulations are in
 * tests/e2e_ew_group_test.ts.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAcceleratorSettings, resolveAcceleratorConfig } from "../rtl/config.ts";
import { EW_GROUP_DELAY, EW_LATENCY, writeDesign } from "../rtl/mod.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { expectUserError, REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const LSTMP: E2eCase = {
  name: "ew-group-lstmp",
  kind: "lstm",
  inputSize: 5,
  hiddenSize: 13,
  numLayers: 2,
  projSize: 6,
  peepholes: true,
  density: 1,
  pes: 4,
  format: "ese",
  seed: 5,
  steps: 1,
};

Deno.test("ew group: 1/2/4/8/16 dividing the PEs, dense designs only, default 1", () => {
  const resolve = (settings: Record<string, unknown>) =>
    resolveAcceleratorConfig([{ settings, source: "c.json" }]);
  assert.equal(resolve({}).ewGroup, 1);
  assert.equal(resolve({ pes: 16, ewGroup: 4 }).ewGroup, 4);
  assert.throws(
    () => parseAcceleratorSettings({ ewGroup: 3 }, "c.json"),
    /ewGroup must be one of 1, 2, 4, 8, 16/,
  );
  assert.throws(
    () => resolve({ pes: 6, ewGroup: 4 }),
    /c\.json: ewGroup \(4\) must divide pes \(6\)/,
  );
  assert.throws(
    () => resolve({ pes: 4, ewGroup: 2, delta: { thetaX: 0.1, thetaH: 0.1 } }),
    /c\.json: ewGroup > 1 needs a dense design/,
  );
});

Deno.test("gen --ew-group: a one-line exit-2 error naming the setting, nothing written", async () => {
  await withTempDir("rnnfab-ew-group-cli-", async (dir) => {
    const out = join(dir, "design");
    const model = `${REPO_ROOT}examples/gru.json`;
    const odd = await runDenoScript("cli/gen.ts", [
      "--model",
      model,
      "--out",
      out,
      "--ew-group",
      "3",
    ]);
    assert.match(expectUserError(odd), /--ew-group/);
    const apart = await runDenoScript("cli/gen.ts", [
      "--model",
      model,
      "--out",
      out,
      "--pes",
      "6",
      "--ew-group",
      "4",
    ]);
    assert.match(expectUserError(apart), /ewGroup \(4\) must divide pes \(6\)/);
    assert.equal(await Deno.stat(out).then(() => true, () => false), false);
  });
});

Deno.test("ew group: design.json, the cycle model and the ROM images of a unit per G PEs", () => {
  const single = caseDesign(LSTMP);
  const grouped = caseDesign({ ...LSTMP, settings: { ewGroup: 4 } });
  assert.equal(grouped.accelerator.ewGroup, 4);
  assert.equal(grouped.rtl.EW_GROUP, 4);
  assert.equal(single.rtl.EW_GROUP, 1);
  // the unit's input a cycle later (S1b), so the element-wise latency is one longer
  assert.equal(grouped.rtl.EW_LAT, EW_LATENCY.lstm + EW_GROUP_DELAY);
  assert.equal(single.rtl.EW_LAT, EW_LATENCY.lstm);
  // each of the K cells issued once per PE of the group: a layer's element-wise step takes
  // K x (G - 1) issue cycles more, and its last round lands a cycle later; in one layer without
  // projection the issue cycles add to a step, else the next phase's overlap hides some
  const K = grouped.rtl.K;
  const more = grouped.rtl.LAYERS * (K * 3 + EW_GROUP_DELAY);
  const added = grouped.estimate.cyclesPerStep - single.estimate.cyclesPerStep;
  assert.ok(added > 0 && added <= more, `${added} cycles more, at most ${more}`);
  const plain = { ...LSTMP, numLayers: 1, projSize: 0, peepholes: false };
  const plainAdded = caseDesign({ ...plain, settings: { ewGroup: 4 } }).estimate.cyclesPerStep -
    caseDesign(plain).estimate.cyclesPerStep;
  assert.ok(plainAdded >= K * 3 && plainAdded <= K * 3 + EW_GROUP_DELAY, `${plainAdded}`);
  // one bias and one peephole ROM per unit, the group's words side by side: PE q + g's word of
  // cell address a at a * G + g
  const roms = (design: typeof single, kind: string) =>
    design.auxMemories.filter((memory) => memory.kind === kind);
  assert.deepEqual(roms(grouped, "bias").map((m) => [m.file, m.pe]), [["ew0_bias.hex", 0]]);
  assert.deepEqual(roms(grouped, "peephole").map((m) => m.file), ["ew0_peephole.hex"]);
  assert.deepEqual(
    roms(single, "bias").map((m) => m.file),
    ["pe0_bias.hex", "pe1_bias.hex", "pe2_bias.hex", "pe3_bias.hex"],
  );
  for (const kind of ["bias", "peephole"]) {
    const words = roms(grouped, kind)[0].words;
    assert.equal(words.length, 4 * 2 * K);
    roms(single, kind).forEach((pe, place) => {
      pe.words.forEach((word, address) => assert.equal(words[address * 4 + place], word));
    });
  }
  // the memory bits are the same: the words only moved
  assert.equal(grouped.memoryBits.total, single.memoryBits.total);
});

Deno.test("ew group: the top gives every group one unit, its PEs' cells in and its results out", async () => {
  const design = caseDesign({ ...LSTMP, pes: 8, settings: { ewGroup: 4, batch: 2 } });
  await withTempDir("rnnfab-ew-group-top-", async (dir) => {
    await writeDesign(dir, design);
    const top = await Deno.readTextFile(join(dir, "rtl", "rnnfab_top.v"));
    // units in PE 0 and PE 4 (copy 0), the slots sequence x 4 + place
    assert.match(top, /\.share_in\(ew0_share\), \.ewr_out\(ew0_ewr\)/);
    assert.match(top, /\.share_in\(ew4_share\), \.ewr_out\(ew4_ewr\)/);
    assert.doesNotMatch(top, /\.share_in\(ew[1235-7]_share\)/);
    assert.match(top, /\.share_out\(ew4_share\[7\*SHARE_W\+:SHARE_W\]\)/); // PE 7, copy 1
    assert.match(top, /\.share_out\(ew0_share\[5\*SHARE_W\+:SHARE_W\]\)/); // PE 1, copy 1
    assert.match(top, /\.EW_GROUP\(EW_GROUP\), \.PLACE\(3\)/);
    assert.match(top, /8 PEs, batch 2, an element-wise unit per 4 PEs, ese/);
    assert.match(top, /\.BIAS_FILE\(\{MEM_DIR, "ew4_bias\.hex"\}\)/);
    const files = [...Deno.readDirSync(join(dir, "mem"))].map((entry) => entry.name);
    assert.ok(files.includes("ew4_bias.hex") && !files.includes("pe4_bias.hex"), files.join());
  });
});
