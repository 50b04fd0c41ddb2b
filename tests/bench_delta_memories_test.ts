import assert from "node:assert/strict";
import { builtDesigns } from "../bench/delta_built.ts";
import {
  DELTA_PE_RESOURCES,
  deltaConfigMarkdown,
  deltaConfigTable,
  deltaResources,
  parseDesignPoints,
  peResourcesAt,
  piecewiseLinear,
  sharedResourcesAt,
} from "../bench/delta_configs.ts";
import { designBlockRams } from "../bench/delta_memories.ts";
import type { DeltaConfig } from "../model/delta.ts";
import { DEFAULT_ACCELERATOR_CONFIG } from "../rtl/config.ts";
import { usedWidth, XILINX_BRAM36_BITS, xilinxBram36 } from "../synth/xilinx_bram.ts";
import { densePrunedPair } from "./helpers.ts";

const THETA: DeltaConfig = { thetaX: 0.1, thetaH: 0.05 };

Deno.test("xilinxBram36: the cheapest Xilinx block RAM shapes, RAMB18 as half, two read ports true dual port only", () => {
  // 7,250 x 16: three 2K x 18 RAMB36 and, for the last 1,106 words (over a RAMB18's 1K x 18), a
  // fourth; 7,144 words: the last 1,000 fit a RAMB18
  assert.equal(xilinxBram36({ depth: 7250, width: 16, readPorts: 1 }), 4);
  assert.equal(xilinxBram36({ depth: 6144 + 1000, width: 16, readPorts: 1 }), 3.5);
  // an activation table: 129 words, 13 bits used, two read ports: one RAMB18 (1K x 18)
  assert.equal(xilinxBram36({ depth: 129, width: 13, readPorts: 2 }), 0.5);
  // 20 bits with two read ports: wider than a RAMB18's true dual port (18)
  assert.equal(xilinxBram36({ depth: 129, width: 20, readPorts: 2 }), 1);
  // 72 bits: one RAMB36 as simple dual port (one read port), two with two read ports
  assert.equal(xilinxBram36({ depth: 512, width: 72, readPorts: 1 }), 1);
  assert.equal(xilinxBram36({ depth: 512, width: 72, readPorts: 2 }), 2);
  assert.equal(xilinxBram36({ depth: 1, width: 1, readPorts: 1 }), 0.5);
  assert.equal(xilinxBram36({ depth: 100, width: 0, readPorts: 1 }), 0);
  // never below the bits bound
  for (const [depth, width] of [[3000, 7], [70000, 3], [5000, 40], [1500, 100]]) {
    const blocks = xilinxBram36({ depth, width, readPorts: 2 });
    assert.ok(blocks >= (depth * width) / XILINX_BRAM36_BITS, `${depth} x ${width}: ${blocks}`);
  }
  // constant lanes need no storage (bit 0 always 1, bits 3-7 always 0)
  assert.equal(usedWidth([0b0101, 0b0111, 0b0001], 8), 2);
  assert.equal(usedWidth([5n, 5n], 4), 0);
});

Deno.test("designBlockRams: a tiny delta LSTMP's weights, pointers and activation tables, 3.5 BRAM36 per PE", () => {
  const { pruned } = densePrunedPair(
    { kind: "lstm", inputSize: 4, hiddenSize: 8, projSize: 4, numLayers: 1, seed: 22 },
    { rows: 4, cols: 2, density: 0.5 },
  );
  const accelerator = { ...DEFAULT_ACCELERATOR_CONFIG, pes: 4, outWords: 4 };
  const { delta } = builtDesigns(pruned, accelerator, {
    delta: { ...THETA, thetaM: 0.05 },
    broadcast: 2,
  });
  const rams = designBlockRams(delta);
  const byName = Object.fromEntries(rams.memories.map((m) => [m.memory, m]));
  assert.deepEqual(Object.keys(byName).sort(), [
    "pointer_mem",
    "table_rom (sigmoid)",
    "table_rom (tanh)",
    "weight_mem",
  ]);
  // every memory is small: one RAMB18 each; per PE weights, pointers (two read ports) and five
  // tables (three sigmoid, two tanh): 3.5, as Yosys maps the generated tiny design (docs/synthesis.md)
  assert.equal(byName.weight_mem.copies, 4);
  assert.equal(byName.pointer_mem.readPorts, 2);
  assert.equal(byName["table_rom (sigmoid)"].copies, 12);
  assert.equal(byName["table_rom (tanh)"].copies, 8);
  assert.equal(rams.bram36, 4 * 3.5);
  assert.ok(rams.bram36 >= rams.bram36FromBits);
});

Deno.test("designBlockRams: state memories deeper than LUT_RAM_DEPTH and the bias ROM count; the table's fit check takes the larger BRAM36 figure", async () => {
  // one PE, 80 cells: K = 80 > 64, so the memories M (four gate fields), c, h and the bias ROM are
  // block RAM; 26,846 weight entries of 16 bits: 13.5 BRAM36 alone
  const { pruned } = densePrunedPair(
    { kind: "lstm", inputSize: 32, hiddenSize: 80, numLayers: 1, seed: 5 },
    { rows: 4, cols: 2, density: 0.75 },
  );
  const sequences = [
    Array.from({ length: 4 }, (_, t) => Array.from({ length: 32 }, (_, j) => Math.sin(t + j))),
  ];
  const table = await deltaConfigTable({
    model: pruned,
    accelerator: DEFAULT_ACCELERATOR_CONFIG,
    delta: THETA,
    sequences,
    points: [{ pes: 1, lanes: 1, broadcast: 1, outWords: 1 }],
    denseOps: 1000,
    budget: { lut: 1e9, ff: 1e9, dsp: 1e9, bram36: 10 },
  });
  const [row] = table.rows;
  const names = row.memoryBlockRams.memories.map((m) => m.memory);
  for (const name of ["acc_mem (gates)", "c_mem", "h_mem", "bias_rom", "weight_mem"]) {
    assert.ok(names.includes(name), `${name} in ${names}`);
  }
  const gates = row.memoryBlockRams.memories.find((m) => m.memory === "acc_mem (gates)")!;
  assert.equal(gates.copies, 4);
  const r = row.resources;
  assert.equal(r.bram36Estimate, DELTA_PE_RESOURCES.bram36PerPe);
  assert.equal(r.bram36FromMemories, row.memoryBlockRams.bram36);
  assert.ok(r.bram36FromMemories > r.bram36Estimate && r.bram36FromMemories > 10);
  assert.equal(r.bram36, r.bram36FromMemories);
  assert.equal(r.bram36Decided, "memories");
  assert.equal(r.fits, false);
  assert.match(r.label, /BRAM36: [\d.]+ from this design's memories/);
  assert.equal(table.best, null);
  const markdown = deltaConfigMarkdown(table).join("\n");
  assert.match(
    markdown,
    new RegExp(
      `\\| ${r.bram36Estimate} / \\*\\*${r.bram36}\\*\\* \\(memories\\) \\| no: BRAM36 \\|`,
    ),
  );
  assert.match(markdown, /No configuration fits the budget/);
  assert.match(markdown, /the larger of that estimate and the lower bound from this design's/);
});

Deno.test("deltaResources: the memories' bound or the scaled estimate, whichever is larger, decides BRAM36 and the fit", () => {
  const budget = { lut: 294_000, ff: 453_000, bram36: 947, dsp: 1504 };
  const estimate = 40 * DELTA_PE_RESOURCES.bram36PerPe; // 620 (15.5 a PE)
  const under = deltaResources(40, { budget, memoryBram36: 500 });
  assert.equal(under.bram36, estimate);
  assert.equal(under.bram36Decided, "estimate");
  assert.ok(under.fits);
  assert.match(
    under.label,
    new RegExp(`BRAM36: ${estimate} from the scaled Yosys estimate .*at least 500`),
  );
  const over = deltaResources(40, { budget, memoryBram36: 1000 });
  assert.equal(over.bram36, 1000);
  assert.equal(over.bram36Estimate, estimate);
  assert.equal(over.bram36Decided, "memories");
  assert.equal(over.fits, false);
  assert.match(
    over.label,
    new RegExp(
      `from this design's memories \\(lower bound; the scaled estimate says ${estimate}\\)`,
    ),
  );
  assert.match(over.label, /^LUT, FF and DSP: the scaled Yosys estimate/);
  assert.deepEqual(over.over, ["BRAM36"]);
});

Deno.test("design points with MAC lanes, input words and no projection queue (PxLxWoOiIq0); resources and block RAM count the lanes", () => {
  assert.deepEqual(parseDesignPoints("32x16x32o32i4q0"), [
    { pes: 32, lanes: 16, broadcast: 32, outWords: 32, inWords: 4, projQueue: false },
  ]);
  assert.deepEqual(parseDesignPoints("96x16o32, 32x8x16o32, 4x2x1, 32x32x16o32, 32x16x32o32i2"), [
    { pes: 96, lanes: 1, broadcast: 16, outWords: 32, inWords: 1 },
    { pes: 32, lanes: 8, broadcast: 16, outWords: 32, inWords: 1 },
    { pes: 4, lanes: 2, broadcast: 1, outWords: 1, inWords: 1 },
    { pes: 32, lanes: 32, broadcast: 16, outWords: 32, inWords: 1 },
    { pes: 32, lanes: 16, broadcast: 32, outWords: 32, inWords: 2 },
  ]);
  for (
    const bad of ["32x3x16", "32x128x16", "32x8x3", "30x8x16", "32x8x4o4i8", "32x8x4o4i3", "32x8q1"]
  ) {
    assert.equal(parseDesignPoints(bad), undefined, bad);
  }
  const budget = { lut: 294_000, ff: 453_000, bram36: 947, dsp: 1504 };
  // the synthesized points themselves (32 PEs: the designs that were synthesized, session 23)
  const [one, sixteen, thirtyTwo] = DELTA_PE_RESOURCES.perPe;
  const at16 = deltaResources(32, { budget, memoryBram36: 0, lanes: 16, broadcast: 16 });
  // the W = 16 shared logic (session 15) and the 16-lane PE without the projection's queue
  assert.equal(at16.lut, 19555 + 32 * sixteen.lut);
  assert.equal(at16.lut, 19555 + 32 * 6662);
  // 32 PEs x 16 lanes at W = 32 with the projection's own queue: the built design's synthesis
  // (7,252 LUTs and 11,730 FFs a PE, 24,349 and 8,334 shared), within the LUTs and FFs
  const queued = deltaResources(32, {
    budget,
    memoryBram36: 0,
    lanes: 16,
    broadcast: 32,
    projQueue: true,
  });
  assert.deepEqual([queued.lut, queued.ff], [24349 + 32 * 7252, 8334 + 32 * 11730]);
  assert.deepEqual(queued.over, []);
  const without = deltaResources(32, { budget, memoryBram36: 0, lanes: 16, broadcast: 32 });
  assert.deepEqual([without.lut, without.ff], [24349 + 32 * 6662, 8334 + 32 * 11659]);
  assert.equal(at16.dsp, 864);
  assert.ok(at16.fits);
  const at32 = deltaResources(32, { budget, memoryBram36: 0, lanes: 32, broadcast: 32 });
  // 32 lanes at W = 32: the PE synthesized (8,995 LUTs, 23,117 FFs), over both
  assert.equal(at32.lut, 24349 + 32 * thirtyTwo.lut);
  assert.equal(at32.ff, 8334 + 32 * thirtyTwo.ff);
  assert.deepEqual(at32.over, ["LUT", "FF"]);
  // the queue's cost interpolated between the points like the PE's
  assert.equal(peResourcesAt(8, true).lut - peResourcesAt(8).lut, Math.round(620 - 30 * 7 / 15));
  // between points: linear; one lane a DSP
  const at8 = deltaResources(1, { budget, memoryBram36: 0, lanes: 8 });
  assert.equal(at8.dsp, one.dsp + 7);
  assert.ok(at8.lut > one.lut && at8.lut < sixteen.lut + 19555);
  // past the last point: extrapolated from the last two
  const at64 = deltaResources(1, { budget, memoryBram36: 0, lanes: 64, broadcast: 64 });
  assert.equal(
    at64.lut - sharedResourcesAt(64).lut,
    thirtyTwo.lut + 2 * (thirtyTwo.lut - sixteen.lut),
  );
  assert.equal(sharedResourcesAt(64).lut, 24349 + 2 * (24349 - 19555));
  assert.equal(piecewiseLinear([{ x: 1, y: 10 }], 5), 10);
  assert.equal(piecewiseLinear([{ x: 0, y: 0 }, { x: 2, y: 4 }, { x: 4, y: 6 }], 1), 2);
  assert.equal(piecewiseLinear([{ x: 0, y: 0 }, { x: 2, y: 4 }, { x: 4, y: 6 }], -1), -2);
  assert.equal(piecewiseLinear([{ x: 0, y: 0 }, { x: 2, y: 4 }, { x: 4, y: 6 }], 6), 8);
  // a delta design with 4 lanes: weight words of 4 weights beside the line-delta index memory
  const { pruned } = densePrunedPair(
    { kind: "lstm", inputSize: 6, hiddenSize: 16, numLayers: 1, seed: 5 },
    { rows: 4, cols: 2, density: 0.5 },
  );
  const { delta } = builtDesigns(pruned, { ...DEFAULT_ACCELERATOR_CONFIG, pes: 2 }, {
    delta: THETA,
    broadcast: 1,
    lanes: 4,
  });
  assert.equal(delta.rtl.LANES, 4);
  const rams = designBlockRams(delta);
  const copies = (name: string) =>
    rams.memories.filter((m) => m.memory === name).reduce((sum, m) => sum + m.copies, 0);
  assert.equal(copies("weight_mem"), 2);
  assert.equal(copies("index_mem"), 2);
  for (const m of rams.memories.filter((m) => m.memory === "weight_mem")) {
    assert.equal(m.width, 4 * delta.rtl.VAL_BITS);
  }
});
