/**
 * The pure parts of the synth flow on real Yosys 0.23 output: stat -json (with the hierarchy
 * lines 0.23 mixes into it), memory dumps and memory_libmap log lines, module names, the logic
 * cell estimate, the PE-module choice, the LUT RAM library correction and the mapping checks.
 */

import assert from "node:assert/strict";
import {
  baseModuleName,
  currentPass,
  hierarchicalCells,
  instanceCounts,
  parseMemoryDump,
  parseMemoryMappings,
  parseStatJson,
  peakMemoryMb,
} from "../synth/parse.ts";
import { estimateXilinxLogicCells, resourcesOf } from "../synth/cells.ts";
import {
  designMemoryRoles,
  expectsBlockRam,
  LUT_RAM_MAX_DEPTH,
  mappingChecks,
  memoryRole,
} from "../synth/checks.ts";
import { findPeModule } from "../synth/collect.ts";
import type { MemoryReport } from "../synth/report.ts";
import { sampleDesignJson, withDefaults } from "./helpers.ts";
import { correctedLutramLibrary } from "../synth/script.ts";

const NESTED_STAT = new URL("./data/synth/stat_nested_yosys023.txt", import.meta.url).pathname;

Deno.test("xilinx logic-cell estimate equals the numbers Yosys 0.23 printed", () => {
  // `stat -tech xilinx` of tests/data/synth/small: "Estimated number of LCs" per module.
  assert.equal(estimateXilinxLogicCells({ LUT2: 85, LUT3: 19, LUT6: 12 }), 64);
  assert.equal(estimateXilinxLogicCells({ LUT2: 19, LUT3: 45, LUT4: 6, LUT5: 5, LUT6: 15 }), 71);
  assert.equal(
    estimateXilinxLogicCells({ LUT2: 189, LUT3: 83, LUT4: 6, LUT5: 5, LUT6: 39 }),
    183,
  );
});

Deno.test("resources: LUT RAM in LUT equivalents, RAMB18 as half a BRAM36, ice40 primitives", () => {
  const xilinx = resourcesOf(
    { LUT6: 10, RAM32M16: 2, SRLC32E: 3, FDRE: 7, FDSE: 1, RAMB18E2: 3, RAMB36E2: 2, DSP48E2: 4 },
    "xilinx",
  );
  assert.equal(xilinx.lutsAsLogic, 10);
  assert.equal(xilinx.lutsAsMemory, 2 * 8 + 3);
  assert.equal(xilinx.luts, 29);
  assert.equal(xilinx.flipFlops, 8);
  assert.equal(xilinx.blockRams, 3.5);
  assert.equal(xilinx.dsps, 4);
  const ice40 = resourcesOf(
    { SB_LUT4: 12, SB_DFF: 3, SB_DFFESR: 20, SB_RAM40_4K: 5, SB_MAC16: 2, SB_CARRY: 4 },
    "ice40",
  );
  assert.deepEqual(
    [ice40.luts, ice40.flipFlops, ice40.blockRams, ice40.dsps, ice40.carries, ice40.logicCells],
    [12, 23, 5, 2, 4, 23],
  );
});

Deno.test("module names: $paramod variants map to their RTL module", () => {
  assert.equal(
    baseModuleName("$paramod$b0642914865883c9675705881c30af7b32eacd9f\\rnnfab_pe"),
    "rnnfab_pe",
  );
  assert.equal(
    baseModuleName("$paramod\\rnnfab_act\\AB=s32'00000000000000000000000000010000"),
    "rnnfab_act",
  );
  assert.equal(baseModuleName("\\rnnfab_top"), "rnnfab_top");
  assert.equal(baseModuleName("rnnfab_top"), "rnnfab_top");
});

Deno.test("stat -json of Yosys 0.23 with nested hierarchy lines parses; instances multiply", async () => {
  const text = await Deno.readTextFile(NESTED_STAT);
  assert.throws(() => JSON.parse(text)); // the defect the parser works around is in the file
  const modules = parseStatJson(text, NESTED_STAT);
  const counts = instanceCounts(modules, "rnnfab_top");
  const byBase = new Map<string, number>();
  for (const [name, count] of counts) {
    byBase.set(baseModuleName(name), (byBase.get(baseModuleName(name)) ?? 0) + count);
  }
  assert.equal(byBase.get("rnnfab_top"), 1);
  assert.equal(byBase.get("rnnfab_ctrl"), 1);
  assert.equal(byBase.get("rnnfab_pe"), 2);
  assert.equal(byBase.get("rnnfab_mv_ese"), 2);
  assert.equal(byBase.get("rnnfab_ew_lstm"), 2);
  assert.equal(byBase.get("rnnfab_act"), 10);
  const total = hierarchicalCells(modules, "rnnfab_top");
  assert.equal(total["$mul"] > 0, true);

  // The PE module is named (design.json's peModule): its parameterizations and instances.
  const pe = findPeModule(modules, "rnnfab_top", "rnnfab_pe");
  assert.equal(pe?.name, "rnnfab_pe");
  assert.equal(pe?.instances, 2);
  assert.equal(pe?.variants.length, 2);
  assert.equal(findPeModule(modules, "rnnfab_top", "rnnfab_act")?.instances, 10);
  assert.equal(findPeModule(modules, "rnnfab_top", "nonexistent"), undefined);
});

const DUMP = `
autoidx 5172

attribute \\hdlname "\\\\rnnfab_pe"
module $paramod$b0642914865883c9675705881c30af7b32eacd9f\\rnnfab_pe

  parameter \\K 16

  attribute \\src "rtl/rnnfab_pe.v:236.20-236.25"
  cell $mem_v2 \\gen_lstm.c_mem
    parameter \\ABITS 5
    parameter \\INIT 512'0000000000000000000000000000000000000000000000000000000000000000
    parameter \\MEMID "\\\\gen_lstm.c_mem"
    parameter \\RD_CLK_ENABLE 1'0
    parameter \\RD_PORTS 1
    parameter \\SIZE 32
    parameter \\WIDTH 16
    parameter \\WR_PORTS 1
    connect \\RD_ADDR \\s1_caddr
  end

  attribute \\ram_style "block"
  attribute \\src "rtl/rnnfab_pe.v:34.44-34.56"
  cell $mem_v2 \\accumulators
    parameter \\RD_CLK_ENABLE 2'10
    parameter \\RD_PORTS 2
    parameter \\SIZE 32
    parameter \\WIDTH 36
    parameter \\WR_PORTS 1
  end
end
`;

Deno.test("memory dumps and memory_libmap lines", () => {
  const memories = parseMemoryDump(DUMP);
  assert.deepEqual(memories.map((memory) => [memory.name, memory.depth, memory.width]), [
    ["gen_lstm.c_mem", 32, 16],
    ["accumulators", 32, 36],
  ]);
  assert.equal(memories[0].module, "$paramod$b0642914865883c9675705881c30af7b32eacd9f\\rnnfab_pe");
  assert.equal(memories[0].asyncReadPorts, 1);
  assert.equal(memories[0].style, undefined);
  assert.equal(memories[1].asyncReadPorts, 1);
  assert.equal(memories[1].readPorts, 2);
  assert.equal(memories[1].style, "block");
  assert.equal(memories[1].source, "rtl/rnnfab_pe.v:34.44-34.56");

  const log = [
    "3.29. Executing MEMORY_LIBMAP pass (mapping memories to cells).",
    "using FF mapping for memory $paramod$1753f1\\rnnfab_act.table_rom",
    "mapping memory $paramod$1f0093\\rnnfab_mv_ese.queue_mem via $__XILINX_LUTRAM_SDP_",
    "mapping memory $paramod$1f0093\\rnnfab_mv_ese.weight_mem via $__XILINX_BLOCKRAM_TDP_",
    "mapping memory $paramod$b06429\\rnnfab_pe.gen_lstm.c_mem via $__ICE40_RAM4K_",
    "End of script. Logfile hash: 731f8fe214, CPU: user 0.84s system 0.00s, MEM: 20.62 MB peak",
  ].join("\n");
  const mappings = parseMemoryMappings(log);
  assert.deepEqual(mappings.get("$paramod$1753f1\\rnnfab_act.table_rom"), { kind: "logic" });
  assert.equal(mappings.get("$paramod$1f0093\\rnnfab_mv_ese.queue_mem")?.kind, "distributed");
  assert.equal(mappings.get("$paramod$1f0093\\rnnfab_mv_ese.weight_mem")?.kind, "block");
  assert.equal(mappings.get("$paramod$b06429\\rnnfab_pe.gen_lstm.c_mem")?.kind, "block");
  assert.equal(peakMemoryMb(log), 20.62);
  assert.equal(currentPass(log), "MEMORY_LIBMAP pass (mapping memories to cells)");
});

Deno.test("the UltraScale LUT RAM library correction applies to Yosys 0.23's file only", async () => {
  const installed = "/usr/share/yosys/xilinx/lutrams_xcu.txt";
  const library = await Deno.readTextFile(installed).catch(() => undefined);
  if (library !== undefined && /option "ABITS" 16/.test(library)) {
    const corrected = correctedLutramLibrary(library)!;
    assert.match(corrected, /option "ABITS" 9 \{\s*abits 9;/);
    assert.doesNotMatch(corrected, /abits 16;/);
    assert.equal(correctedLutramLibrary(corrected), undefined);
  }
  assert.equal(correctedLutramLibrary("ram distributed $__X_ { abits 5; }"), undefined);
});

const memory = withDefaults<MemoryReport>({
  module: "rnnfab_pe",
  name: "weight_mem",
  width: 16,
  depth: 1024,
  bits: 16384,
  readPorts: 1,
  asyncReadPorts: 0,
  writePorts: 0,
  style: null,
  mapping: "block",
  mappedTo: "$__XILINX_BLOCKRAM_TDP_",
  instances: 32,
  role: "weights",
  expectedInBlockRam: true,
  source: null,
});

Deno.test("mapping checks: what is flagged and what is not", () => {
  const clean = mappingChecks(
    [
      memory({}),
      memory({ name: "h_mem", bits: 512, mapping: "distributed", expectedInBlockRam: false }),
    ],
    { inRtl: 32, dspBlocks: 32, inLogic: [{ module: "rnnfab_act", width: 8, count: 4 }] },
    "xilinx",
  );
  assert.deepEqual(clean, { warnings: [], memoriesInBlockRam: true, multipliersInDsp: true });

  const bad = mappingChecks(
    [
      memory({ mapping: "distributed", asyncReadPorts: 1 }),
      memory({ name: "table_rom", bits: 2048, mapping: "logic", expectedInBlockRam: false }),
    ],
    { inRtl: 32, dspBlocks: 31, inLogic: [{ module: "rnnfab_pe", width: 28, count: 1 }] },
    "xilinx",
  );
  assert.equal(bad.memoriesInBlockRam, false);
  assert.equal(bad.multipliersInDsp, false);
  assert.equal(bad.warnings.length, 3);
  assert.match(bad.warnings[0], /weight_mem .* became distributed, not block RAM: .*asynchronous/);
  assert.match(bad.warnings[1], /table_rom .* became logic/);
  assert.match(bad.warnings[2], /1 multiplier\(s\) of 28 bits in rnnfab_pe stayed in LUTs/);
});

Deno.test("mapping checks: memory roles and which memories belong in block RAM", async () => {
  // design.json's roles (hierarchical names by their leaf), else written -> state, ROM -> other.
  const ese = designMemoryRoles(
    await sampleDesignJson({ kind: "lstm", inputSize: 3, hiddenSize: 4 }, { pes: 2 }),
  );
  const bcr = designMemoryRoles(
    await sampleDesignJson({ kind: "lstm", inputSize: 3, hiddenSize: 4 }, { format: "bcr" }),
  );
  assert.equal(memoryRole({ name: "gen_x.table_rom", writePorts: 0 }, ese), "table");
  assert.equal(memoryRole({ name: "weight_mem", writePorts: 0 }, ese), "weights");
  assert.equal(memoryRole({ name: "pointer_mem", writePorts: 0 }, ese), "pointers");
  assert.equal(memoryRole({ name: "index_mem", writePorts: 0 }, bcr), "index");
  assert.equal(memoryRole({ name: "bias_rom", writePorts: 0 }, ese), "constants");
  assert.equal(memoryRole({ name: "gen_lstm.c_mem", writePorts: 1 }, ese), "state");
  assert.equal(memoryRole({ name: "acc_gate", writePorts: 1 }), "state");
  assert.equal(memoryRole({ name: "weights", writePorts: 0 }), "other");

  const shape = (width: number, depth: number, style?: string) => ({ width, depth, style });
  // Weights, pointers and index memories belong in block RAM at any size.
  assert.equal(expectsBlockRam(shape(4, 14), "pointers"), true);
  assert.equal(expectsBlockRam(shape(12, 192), "weights"), true);
  // A shallow state memory is fine in LUT RAM even above 4 Kbit (the 32 x 156-bit accumulators);
  // a deeper one of that size (the 306 x 16-bit input buffer) is not.
  assert.equal(expectsBlockRam(shape(156, 32), "state"), false);
  assert.equal(expectsBlockRam(shape(156, LUT_RAM_MAX_DEPTH), "state"), false);
  assert.equal(expectsBlockRam(shape(16, 306), "state"), true);
  assert.equal(expectsBlockRam(shape(16, 64), "state"), false);
  // Marked block: expected there whatever its role; otherwise 4 Kbit decides.
  assert.equal(expectsBlockRam(shape(128, 32, "block"), "state"), true);
  assert.equal(expectsBlockRam(shape(13, 129), "table"), false);
  assert.equal(expectsBlockRam(shape(13, 129, "block"), "table"), true);
  assert.equal(expectsBlockRam(shape(16, 512), "other"), true);

  // A 32-word ROM in LUTs is a LUT ROM, not flagged; a deeper ROM or a RAM in logic is.
  const checks = mappingChecks(
    [
      memory({ name: "bias_rom", width: 64, depth: 32, bits: 2048, mapping: "logic" }),
      memory({ name: "deep_rom", width: 16, depth: 128, bits: 2048, mapping: "logic" }),
      memory({
        name: "acc_gate",
        width: 156,
        depth: 32,
        bits: 4992,
        writePorts: 1,
        asyncReadPorts: 2,
        mapping: "distributed",
        role: "state",
        expectedInBlockRam: false,
      }),
    ].map((entry) => ({ ...entry, expectedInBlockRam: false })),
    { inRtl: 0, dspBlocks: 0, inLogic: [] },
    "xilinx",
  );
  assert.equal(checks.memoriesInBlockRam, true);
  assert.deepEqual(checks.warnings.length, 1, checks.warnings.join("\n"));
  assert.match(checks.warnings[0], /deep_rom .* became logic/);

  // A state memory deeper than 64 words must be block-RAM capable: read asynchronously it is
  // flagged even when it is too small to be expected in block RAM; read synchronously it is not.
  const deep = (asyncReadPorts: number) =>
    mappingChecks(
      [memory({
        name: "h_mem",
        width: 16,
        depth: 65,
        bits: 1040,
        writePorts: 1,
        asyncReadPorts,
        mapping: "distributed",
        role: "state",
        expectedInBlockRam: false,
      })],
      { inRtl: 0, dspBlocks: 0, inLogic: [] },
      "xilinx",
    );
  assert.equal(deep(1).memoriesInBlockRam, false);
  assert.match(deep(1).warnings[0], /h_mem .* deeper than 64 words .* cannot be block RAM/);
  assert.deepEqual(deep(0), { warnings: [], memoriesInBlockRam: true, multipliersInDsp: true });
});
