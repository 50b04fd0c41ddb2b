/**
 * The registered ports of place and route (synth/pnr/ports.ts, synth/pnr/rtl/): the stream
 * register slice passes every beat once and in order under random gaps and back-pressure, and a
 * beat every cycle without them (Icarus, its self-checking bench); the wrapper around a generated
 * design is `verilator -Wall` clean and compiles under Icarus; the Yosys script sets its widths.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { readPnrDesign } from "../synth/pnr/design.ts";
import { stageWrapper, WRAPPER_TOP, wrapperParameters } from "../synth/pnr/ports.ts";
import { pnrSynthesisScript } from "../synth/pnr/script.ts";
import { findVerilator, verilatorCommand } from "../sim/verilator_tool.ts";
import { generate, PNR_FORMATS, TINY_GRU } from "./pnr_helpers.ts";
import { runProgram, withoutVerilatorReport, withTempDir } from "./helpers.ts";

const RTL = new URL("../synth/pnr/rtl/", import.meta.url).pathname;

async function runSliceBench(dir: string, parameters: Record<string, number>): Promise<string> {
  const image = join(dir, `tb-${Object.values(parameters).join("-")}.vvp`);
  const compile = await runProgram("iverilog", [
    "-g2005",
    "-s",
    "rnnfab_stream_reg_tb",
    ...Object.entries(parameters).map(([name, value]) => `-Prnnfab_stream_reg_tb.${name}=${value}`),
    "-o",
    image,
    join(RTL, "tb", "rnnfab_stream_reg_tb.v"),
    join(RTL, "rnnfab_stream_reg.v"),
  ], { cwd: dir });
  assert.equal(compile.code, 0, compile.stdout + compile.stderr);
  const run = await runProgram("vvp", ["-n", image], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  return run.stdout.trim();
}

Deno.test("pnr ports: the stream register slice keeps every beat, in order, at full rate", async () => {
  await withTempDir("rnnfab-stream-reg-", async (dir) => {
    for (const seed of [1, 2, 3]) {
      const stalls = { SEED: seed, BEATS: 1500, GAP_PCT: 20 * seed, STALL_PCT: 70 - 15 * seed };
      assert.match(await runSliceBench(dir, stalls), /^PASS 1500 \d+$/);
    }
    // no gaps, no back-pressure: a beat every cycle, one cycle of latency
    const free = await runSliceBench(dir, { BEATS: 1000, GAP_PCT: 0, STALL_PCT: 0, DATA_W: 1 });
    assert.equal(free, "PASS 1000 1002");
  });
});

Deno.test("pnr ports: the wrapper around a generated design is lint-clean and elaborates", async () => {
  await withTempDir("rnnfab-pnr-wrap-", async (root) => {
    const dir = await generate(root, "gru", TINY_GRU, { pes: 1, ...PNR_FORMATS });
    const design = await readPnrDesign(dir);
    assert.deepEqual(design.streamBits, { input: 8, output: 8 });
    await Deno.mkdir(join(dir, "wrap"));
    const files = [...design.rtlFiles, ...await stageWrapper(join(dir, "wrap"), "wrap")];
    const sources = files.filter((file) => file.endsWith(".v"));
    const parameters = Object.entries(wrapperParameters(design.streamBits));
    const lint = await runProgram(
      ...verilatorCommand(await findVerilator(), [
        "--lint-only",
        "-Wall",
        "-Irtl",
        "--top-module",
        WRAPPER_TOP,
        ...parameters.map(([name, value]) => `-G${name}=${value}`),
        ...sources,
      ]),
      { cwd: dir },
    );
    const text = withoutVerilatorReport(lint.stdout + lint.stderr);
    assert.equal(lint.code, 0, text);
    assert.equal(text.trim(), "", "no warnings expected");
    const icarus = await runProgram("iverilog", [
      "-g2005",
      "-Irtl",
      "-s",
      WRAPPER_TOP,
      ...parameters.map(([name, value]) => `-P${WRAPPER_TOP}.${name}=${value}`),
      "-o",
      "wrap.vvp",
      ...sources,
    ], { cwd: dir });
    assert.equal(icarus.code, 0, icarus.stdout + icarus.stderr);
  });
});

Deno.test("pnr ports: the Yosys script elaborates the wrapper with the design's widths", () => {
  const outputs = { netlist: "n.json", stat: "s.json", scopes: "s.txt" };
  const script = pnrSynthesisScript({
    family: "ecp5",
    files: ["rtl/rnnfab_top.v", "pnr/w/rnnfab_pnr_top.v"],
    top: WRAPPER_TOP,
    parameters: wrapperParameters({ input: 12, output: 48 }),
    outputs,
  });
  assert.match(script, /^hierarchy -top rnnfab_pnr_top -chparam IN_W 12 -chparam OUT_W 48$/m);
  assert.match(script, /^synth_ecp5 -top rnnfab_pnr_top$/m);
});
