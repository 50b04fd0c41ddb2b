/**
 * The facts that TypeScript and the Verilog cores both state agree (docs/architecture.md,
 * "Parameters"): the element-wise latency (EW_LATENCY of rtl/design.ts, the units'
 * PIPELINE_LATENCY; tests/rtl_ew_test.ts measures it too) and the LUT-RAM depth threshold
 * (LUT_RAM_DEPTH, passed to every PE; the synthesis checks use the same number), and the
 * generated top passes them on.
 */

import assert from "node:assert/strict";
import { caseDesign } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";
import {
  EW_LATENCY,
  IDLE_PIPE_ENGINES,
  LUT_RAM_DEPTH,
  readTemplate,
  renderTop,
} from "../rtl/mod.ts";
import { LUT_RAM_MAX_DEPTH } from "../synth/mod.ts";

/** The value of `localparam NAME = <integer>;` in a template. */
function localparam(text: string, name: string): number {
  const match = text.match(new RegExp(`localparam ${name} = (\\d+);`));
  assert.ok(match, `localparam ${name} not found`);
  return Number(match[1]);
}

Deno.test("element-wise latency: EW_LATENCY equals each unit's PIPELINE_LATENCY", async () => {
  for (const kind of ["lstm", "gru"] as const) {
    const unit = await readTemplate(`rnnfab_ew_${kind}.v`);
    assert.equal(localparam(unit, "PIPELINE_LATENCY"), EW_LATENCY[kind], kind);
  }
});

Deno.test("LUT-RAM depth: one number for the PE and the synthesis checks", () => {
  assert.equal(LUT_RAM_MAX_DEPTH, LUT_RAM_DEPTH);
});

Deno.test("the generated top passes EW_LAT and LUT_RAM_DEPTH to the controller and every PE", async () => {
  const template = await readTemplate("rnnfab_top.v.njk");
  for (const name of ["lstmp-blocks25-pe3-bcr-chosen", "gru-2layer-rand30-pe3-ese"]) {
    const design = caseDesign(e2eCase(name));
    const top = renderTop(design, template);
    assert.equal(localparam(top, "EW_LAT"), EW_LATENCY[design.model.kind]);
    assert.equal(localparam(top, "LUT_RAM_DEPTH"), LUT_RAM_DEPTH);
    const pes = design.accelerator.pes;
    assert.equal(top.match(/\.EW_LAT\(EW_LAT\)/g)?.length, pes + 1, "controller and every PE");
    assert.equal(top.match(/\.LUT_RAM_DEPTH\(LUT_RAM_DEPTH\)/g)?.length, pes, "every PE");
  }
});

Deno.test("past IDLE_PIPE_ENGINES engines the controller registers the idle AND (IDLE_PIPE)", async () => {
  const template = await readTemplate("rnnfab_top.v.njk");
  const cases = [
    { name: "lstmp-blocks25-pe3-bcr-chosen", engines: 3 },
    { name: "lstmp-peep-bcr11-pe32-ese", engines: 32 },
  ];
  for (const { name, engines } of cases) {
    const design = caseDesign(e2eCase(name));
    const expected = engines > IDLE_PIPE_ENGINES ? 1 : 0;
    assert.equal(design.rtl.IDLE_PIPE, expected, name);
    const top = renderTop(design, template);
    assert.equal(localparam(top, "IDLE_PIPE"), expected, name);
    assert.match(top, /\.IDLE_PIPE\(IDLE_PIPE\)/);
  }
});
