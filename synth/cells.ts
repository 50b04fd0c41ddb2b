/**
 * Turning Yosys cell counts into FPGA resources: which primitive is a LUT, a flip-flop, a block
 * RAM or a DSP on each target, how many LUTs a distributed RAM occupies, and the logic-cell
 * estimate. Pure functions over `{cellType: count}` maps.
 *
 * @module
 */

import { z } from "zod";
import { sameFields } from "../util/schema.ts";

/** Every synthesis target, in the order of `--help`. */
export const SYNTH_TARGETS = ["xilinx", "ice40"] as const;

/** Synthesis targets: Xilinx UltraScale (the XCKU060's family) or Lattice iCE40 UltraPlus. */
export type SynthTarget = typeof SYNTH_TARGETS[number];

/** Cell type -> count. */
export const cellCountsSchema = z.record(z.string(), z.number().nonnegative());

/** Cell type -> count. */
export type CellCounts = z.infer<typeof cellCountsSchema>;

/**
 * FPGA resources of a module or a design (counts of mapped primitives, some weighted): LUTs in
 * total (logic plus LUTs used as memory), LUTs as logic (xilinx LUT1..LUT6, ice40 SB_LUT4), LUTs
 * as memory (distributed RAM and SRL primitives, in LUT equivalents), flip-flops and latches,
 * block RAM tiles (xilinx RAMB36 equivalents, a RAMB18 counts 0.5; ice40 SB_RAM40_4K) and their
 * primitives by type, UltraRAM (xilinx) or SPRAM (ice40) primitives, DSP slices (DSP48E1/E2) or
 * SB_MAC16 blocks, carry-chain primitives, estimated logic cells (Yosys's xilinx LC estimate, or
 * max(LUTs, FFs) on ice40), and every primitive by type (what the rest is derived from).
 */
export const resourcesSchema = sameFields(
  z.number().nonnegative(),
  "luts",
  "lutsAsLogic",
  "lutsAsMemory",
  "flipFlops",
  "blockRams",
  "hugeRams",
  "dsps",
  "carries",
  "logicCells",
).extend({ blockRamCells: cellCountsSchema, cells: cellCountsSchema });

/** FPGA resources of a module or a design. */
export type Resources = z.infer<typeof resourcesSchema>;

const XILINX_LUTS = ["LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"];
const XILINX_FLIP_FLOPS = ["FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE", "FDRE_1", "FDSE_1"];
/** LUTs each xilinx distributed-RAM / shift-register primitive occupies (UG574 / UG474). */
const XILINX_LUT_MEMORY: Record<string, number> = {
  RAM16X1S: 1,
  RAM32X1S: 1,
  RAM64X1S: 1,
  RAM128X1S: 2,
  RAM256X1S: 4,
  RAM512X1S: 8,
  RAM16X1D: 2,
  RAM32X1D: 2,
  RAM64X1D: 2,
  RAM128X1D: 4,
  RAM256X1D: 8,
  RAM32M: 4,
  RAM64M: 4,
  RAM32M16: 8,
  RAM64M8: 8,
  RAM32X16DR8: 8,
  RAM64X8SW: 8,
  SRL16E: 1,
  SRLC16E: 1,
  SRLC32E: 1,
};
const XILINX_BLOCK_RAMS: Record<string, number> = {
  RAMB18E1: 0.5,
  RAMB18E2: 0.5,
  RAMB36E1: 1,
  RAMB36E2: 1,
  FIFO18E1: 0.5,
  FIFO36E1: 1,
  FIFO18E2: 0.5,
  FIFO36E2: 1,
};
const XILINX_DSPS = ["DSP48E1", "DSP48E2", "DSP48A1"];

function count(cells: CellCounts, type: string): number {
  return cells[type] ?? 0;
}

function sumOf(cells: CellCounts, types: Iterable<string>): number {
  let total = 0;
  for (const type of types) total += count(cells, type);
  return total;
}

/**
 * Yosys's xilinx logic-cell estimate (`stat -tech xilinx`, passes/cmds/stat.cc
 * `estimate_xilinx_lc`): every LUT6/LUT5/LUT4/LUT3 is one cell, LUT1s and LUT2s pair up with them
 * (fractured LUT6_2) and with each other.
 */
export function estimateXilinxLogicCells(cells: CellCounts): number {
  const lut6 = count(cells, "LUT6");
  let lut5 = count(cells, "LUT5");
  let lut4 = count(cells, "LUT4");
  let lut3 = count(cells, "LUT3");
  let lut2 = count(cells, "LUT2");
  let lut1 = count(cells, "LUT1");
  // a LUT of 5, 4 or 3 inputs pairs with a smaller one (LUT1 first, then LUT2) in a LUT6_2
  const pair = (large: number, small: number) => {
    const paired = Math.min(large, small);
    return [large - paired, small - paired];
  };
  let total = lut6 + lut5;
  [lut5, lut1] = pair(lut5, lut1);
  total += lut4;
  [lut4, lut1] = pair(lut4, lut1);
  [lut4, lut2] = pair(lut4, lut2);
  total += lut3;
  [lut3, lut1] = pair(lut3, lut1);
  [lut3, lut2] = pair(lut3, lut2);
  total += Math.floor((lut2 + lut1 + 1) / 2);
  return total;
}

function xilinxResources(cells: CellCounts): Resources {
  const lutsAsLogic = sumOf(cells, XILINX_LUTS);
  let lutsAsMemory = 0;
  for (const [type, luts] of Object.entries(XILINX_LUT_MEMORY)) {
    lutsAsMemory += count(cells, type) * luts;
  }
  let blockRams = 0;
  const blockRamCells: CellCounts = {};
  for (const [type, tiles] of Object.entries(XILINX_BLOCK_RAMS)) {
    if (count(cells, type) === 0) continue;
    blockRams += count(cells, type) * tiles;
    blockRamCells[type] = count(cells, type);
  }
  return {
    luts: lutsAsLogic + lutsAsMemory,
    lutsAsLogic,
    lutsAsMemory,
    flipFlops: sumOf(cells, XILINX_FLIP_FLOPS),
    blockRams,
    blockRamCells,
    hugeRams: count(cells, "URAM288") + count(cells, "URAM288_BASE"),
    dsps: sumOf(cells, XILINX_DSPS),
    carries: count(cells, "CARRY4") + count(cells, "CARRY8"),
    logicCells: estimateXilinxLogicCells(cells),
    cells: { ...cells },
  };
}

function ice40Resources(cells: CellCounts): Resources {
  let flipFlops = 0;
  let blockRams = 0;
  const blockRamCells: CellCounts = {};
  for (const [type, number] of Object.entries(cells)) {
    if (type.startsWith("SB_DFF")) flipFlops += number;
    if (type.startsWith("SB_RAM40_4K")) {
      blockRams += number;
      blockRamCells[type] = number;
    }
  }
  const luts = count(cells, "SB_LUT4");
  return {
    luts,
    lutsAsLogic: luts,
    lutsAsMemory: 0,
    flipFlops,
    blockRams,
    blockRamCells,
    hugeRams: count(cells, "SB_SPRAM256KA"),
    dsps: count(cells, "SB_MAC16"),
    carries: count(cells, "SB_CARRY"),
    // An iCE40 logic cell holds one LUT4, one flip-flop and one carry: a lower bound; nextpnr
    // reports the packed count.
    logicCells: Math.max(luts, flipFlops),
    cells: { ...cells },
  };
}

/** The resources that a set of primitives occupies on `target`. */
export function resourcesOf(cells: CellCounts, target: SynthTarget): Resources {
  return target === "xilinx" ? xilinxResources(cells) : ice40Resources(cells);
}

/** Cell counts of `count` copies of `cells`, plus `base` (for hierarchy and per-PE scaling). */
export function addCells(base: CellCounts, cells: CellCounts, copies = 1): CellCounts {
  const sum: CellCounts = { ...base };
  for (const [type, number] of Object.entries(cells)) {
    sum[type] = (sum[type] ?? 0) + number * copies;
  }
  return sum;
}

/** Per-copy average of cell counts (for a module with `copies` instances). */
export function scaleCells(cells: CellCounts, factor: number): CellCounts {
  const scaled: CellCounts = {};
  for (const [type, number] of Object.entries(cells)) scaled[type] = number * factor;
  return scaled;
}

/** Whether a cell type is a mapped primitive of `target` (not a Yosys internal `$` cell). */
export function isPrimitive(type: string): boolean {
  return !type.startsWith("$") && !type.startsWith("\\");
}

/** Block RAM capacity of one tile on each target, in bits (for utilization notes). */
export const BLOCK_RAM_BITS: Record<SynthTarget, number> = {
  xilinx: 36 * 1024,
  ice40: 4 * 1024,
};

/** Narrowest multiplier (largest of operand and result widths) the target maps to a DSP. */
export const DSP_MIN_WIDTH: Record<SynthTarget, number> = {
  xilinx: 9,
  ice40: 11,
};
