/**
 * Real Yosys synthesis of the hand-written test designs (tests/data/synth): a 2-PE sparse
 * matrix-vector accelerator with $readmemh weight and pointer ROMs, accumulator RAMs and a
 * multiply-accumulate per PE, for both targets, whole and per PE; and a design whose weight ROM
 * is read asynchronously, which the mapping check must flag.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { synthesizeDesign } from "../synth/flow.ts";
import { readSynthesisReport, type SynthesisReport } from "../synth/report.ts";
import { formatResourceTable, resourceTable } from "../synth/table.ts";

const DATA = new URL("./data/synth/", import.meta.url).pathname;

async function copyDesign(name: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: `rnnfab-synth-${name}-` });
  const dir = join(root, name);
  for (const sub of ["rtl", "mem"]) {
    await Deno.mkdir(join(dir, sub), { recursive: true });
    for await (const entry of Deno.readDir(join(DATA, name, sub))) {
      await Deno.copyFile(join(DATA, name, sub, entry.name), join(dir, sub, entry.name));
    }
  }
  return dir;
}

function memoryMapping(report: SynthesisReport, name: string): string {
  const found = report.memories.filter((memory) => memory.name === name);
  assert.ok(found.length > 0, `memory ${name} missing from the report`);
  return [...new Set(found.map((memory) => memory.mapping))].join(",");
}

Deno.test("synth: small 2-PE design on xilinx, whole and per PE", async () => {
  const dir = await copyDesign("small");
  try {
    // a hand-written design has no design.json: the PE module is named
    const named = { peModule: "rnnfab_pe" };
    const whole = await synthesizeDesign(dir, { target: "xilinx", perPe: false, ...named });
    assert.equal(whole.method, "whole");
    assert.equal(whole.estimated, false);
    assert.match(whole.methodNote, /^measured: whole-design synthesis/);
    assert.equal(whole.pes, 2);
    assert.equal(whole.peModule, "rnnfab_pe");
    // Weight and pointer ROMs and the accumulator RAM of each PE are block RAM.
    for (const name of ["weights", "pointers", "accumulators"]) {
      assert.equal(memoryMapping(whole, name), "block", name);
    }
    assert.equal(whole.memories.find((memory) => memory.name === "weights")?.instances, 2);
    assert.equal(whole.checks.memoriesInBlockRam, true);
    // One 12 x 16 multiply per PE, each in a DSP48E2.
    assert.equal(whole.total.dsps, 2);
    assert.equal(whole.total.cells.DSP48E2, 2);
    assert.equal(whole.multipliers.inLogic.filter((entry) => entry.width >= 9).length, 0);
    assert.equal(whole.checks.multipliersInDsp, true);
    assert.equal(whole.total.blockRams, 3); // 6 RAMB18E2
    assert.equal(whole.total.blockRamCells.RAMB18E2, 6);
    assert.ok(whole.total.luts > 100 && whole.total.flipFlops > 100, JSON.stringify(whole.total));
    assert.equal(whole.checks.warnings.length, 0, whole.checks.warnings.join("\n"));
    // Totals are the PEs plus the shared logic; the report file holds the same data.
    assert.equal(whole.shared!.luts + 2 * whole.perPe!.luts, whole.total.luts);
    assert.equal(whole.shared!.flipFlops + 2 * whole.perPe!.flipFlops, whole.total.flipFlops);
    const written = await readSynthesisReport(join(dir, "synth", "resources.json"));
    assert.deepEqual(written, whole);
    const pe = whole.modules.find((module) => module.name === "rnnfab_pe")!;
    assert.equal(pe.instances, 2);
    assert.equal(pe.variants, 2);

    const perPe = await synthesizeDesign(dir, { target: "xilinx", perPe: true, ...named });
    assert.equal(perPe.method, "per-pe");
    assert.equal(perPe.estimated, true);
    assert.match(perPe.methodNote, /^estimated: per-PE synthesis x 2/);
    // The PEs differ only in their memory images: scaling one reproduces the whole design.
    for (const key of ["luts", "flipFlops", "blockRams", "dsps"] as const) {
      assert.equal(perPe.total[key], whole.total[key], key);
    }
    assert.equal(memoryMapping(perPe, "weights"), "block");
    assert.equal(perPe.memories.find((memory) => memory.name === "weights")?.instances, 2);
    assert.equal(perPe.runs.map((run) => run.name).join(","), "elaborate,pe,shared");

    const table = resourceTable(perPe, { publishedEse: true });
    assert.deepEqual(table.rows.map((row) => row.kind), [
      "measured",
      "measured",
      "estimated",
      "published",
    ]);
    assert.equal(table.rows[3].luts, 294_000);
    assert.equal(table.rows[2].dsps, 2);
    const markdown = formatResourceTable(table);
    assert.match(markdown, /\| rnnfab: total, 2 PEs \| 3\d\d \|/);
    assert.match(
      markdown,
      /ESE on XCKU060 \(published, approximate\) \| 294,000 \| 453,000 \| 947/,
    );
    assert.match(markdown, /estimated: per-PE synthesis x 2/);
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("synth: small 2-PE design on ice40 (SB_RAM40_4K, SB_MAC16)", async () => {
  const dir = await copyDesign("small");
  try {
    const report = await synthesizeDesign(dir, { target: "ice40", peModule: "rnnfab_pe" });
    assert.equal(report.method, "whole"); // 2 PEs: below the automatic per-PE threshold
    for (const name of ["weights", "pointers", "accumulators"]) {
      assert.equal(memoryMapping(report, name), "block", name);
    }
    assert.ok((report.total.cells.SB_RAM40_4K ?? 0) >= 6, JSON.stringify(report.total.cells));
    assert.equal(report.total.blockRams, report.total.cells.SB_RAM40_4K);
    assert.equal(report.total.cells.SB_MAC16, 2);
    assert.equal(report.total.dsps, 2);
    assert.equal(report.checks.memoriesInBlockRam, true);
    assert.equal(report.checks.multipliersInDsp, true);
    assert.ok(report.total.luts > 100, JSON.stringify(report.total));
    const written = await readSynthesisReport(join(dir, "synth", "resources_ice40.json"));
    assert.equal(written.target, "ice40");
    const table = resourceTable(report, { publishedEse: true });
    assert.equal(table.rows.some((row) => row.kind === "published"), false);
    assert.equal(table.blockRamUnit, "EBR (4 Kbit)");
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("synth: an asynchronously read weight ROM is flagged on both targets", async () => {
  const dir = await copyDesign("async_read");
  try {
    for (const target of ["xilinx", "ice40"] as const) {
      const report = await synthesizeDesign(dir, { target });
      const weights = report.memories.find((memory) => memory.name === "weights")!;
      assert.equal(weights.expectedInBlockRam, true);
      assert.notEqual(weights.mapping, "block");
      assert.equal(weights.asyncReadPorts, 1);
      assert.equal(report.checks.memoriesInBlockRam, false, target);
      assert.equal(report.total.blockRams, 0, target);
      assert.match(report.checks.warnings.join("\n"), /weights .* not block RAM: .*asynchronous/);
      // The multiplier is still in a DSP.
      assert.equal(report.total.dsps, 1, target);
      assert.equal(report.checks.multipliersInDsp, true, target);
    }
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});
