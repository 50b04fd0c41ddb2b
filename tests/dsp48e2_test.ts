/**
 * The DSP48E2 primitive path of the accumulator banks (rtl-templates/rnnfab_mac_dsp.v,
 * docs/architecture.md, "(a) the adder in the DSP slice"), which only the Xilinx synthesis flow
 * switches on (the define RNNFAB_DSP48E2, synth/script.ts), simulated with rnnfab's own
 * behavioural model of the primitive (sim/models/DSP48E2.v): a batch-4 LSTMP design with 4 lanes
 * (serial banks) lints clean under `verilator -Wall` with the define, elaborates one DSP48E2 per
 * bank, and runs bit-exact under Icarus with the cycle model exact.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { generateCase } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";
import { runProgram, verilatorLint } from "./helpers.ts";
import { simulateDesign } from "../sim/simulate.ts";

const MODEL = new URL("../sim/models/DSP48E2.v", import.meta.url);
const DEFINE_FILE = "rtl/rnnfab_dsp48e2_on.v";
const MODEL_FILE = "rtl/DSP48E2.v";

/** Switch the design in `dir` to the primitive path: the define first, the model beside it. */
async function switchOn(dir: string): Promise<string[]> {
  await Deno.writeTextFile(join(dir, DEFINE_FILE), "`define RNNFAB_DSP48E2\n");
  await Deno.copyFile(MODEL, join(dir, MODEL_FILE));
  const path = join(dir, "design.json");
  const json = JSON.parse(await Deno.readTextFile(path));
  json.rtlFiles = [DEFINE_FILE, MODEL_FILE, ...json.rtlFiles];
  await Deno.writeTextFile(path, JSON.stringify(json, null, 2));
  return json.rtlFiles;
}

Deno.test("DSP48E2 path (batch 4, 4 lanes, serial banks): lint clean, one slice a bank, bit-exact under Icarus, cycle model exact", async () => {
  const base = e2eCase("lstmp-peep-2layer-blocks40-pe3-bcr-lanes4");
  const c = { ...base, name: "dsp48e2", settings: { ...base.settings, batch: 4 } };
  const root = await Deno.makeTempDir({ prefix: "rnnfab-dsp48e2-" });
  try {
    const dir = join(root, c.name);
    await generateCase(c, dir);
    const files = (await switchOn(dir)).filter((file) => !file.endsWith(".vh"));
    const lint = await verilatorLint(dir, files);
    const warnings = lint.text.split("\n").filter((line) => line.trim() !== "");
    assert.equal(lint.code, 0, warnings.join("\n"));
    assert.deepEqual(warnings, []);
    // the primitive is really there: one DSP48E2 per bank (3 PEs x 4 copies x 4 lanes)
    const icarus = await runProgram(
      "iverilog",
      ["-g2005", "-Irtl", "-s", "rnnfab_top", "-o", "top.vvp", ...files],
      { cwd: dir },
    );
    assert.equal(icarus.code, 0, icarus.stderr);
    const netlist = await Deno.readTextFile(join(dir, "top.vvp"));
    assert.equal(netlist.match(/\.scope module, "[^"]*" "DSP48E2"/g)?.length, 3 * 4 * 4);
    await Deno.remove(join(dir, "top.vvp"));
    const result = await simulateDesign({
      designDir: dir,
      steps: 2,
      seed: c.seed,
      simulator: "icarus",
      resultPath: null,
      allowModified: true,
    });
    assert.deepEqual(result.failures, []);
    assert.equal(result.bitExact, true, JSON.stringify(result.mismatches[0]));
    assert.equal(result.cycles, result.estimate.cycles);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
