/**
 * The block RAM an `ese` design's own memories need at least (`bench:delta --configs`, docs/delta.md
 * "Benchmark"): every memory the generated RTL puts in block RAM by design, with its depth, the
 * width that needs storage and its read ports, mapped on Xilinx's block RAM shapes
 * (synth/xilinx_bram.ts). Which memories are block RAM by design (rtl-templates/):
 * - `rnnfab_mv_ese.v`: the weight memory (`ram_style = "block"`; one read port counted: the delta
 *   engine reads one entry a cycle) and the pointer memory (block; two read ports in delta mode,
 *   the column's start and end), every PE; the activation queue only past 128 entries;
 * - `rnnfab_act.v`: every activation unit's table ROM (`rom_style = "block"`, two read ports),
 *   five units per element-wise unit for LSTM (three sigmoid, two tanh), three for GRU;
 * - `rnnfab_pe.v`, `rnnfab_acc_mem.v`, `rnnfab_ew_unit.v`: the state memories and the bias and
 *   peephole ROMs only when deeper than LUT_RAM_DEPTH words (else LUT RAM); the gate accumulators
 *   (the delta memories M) one memory per gate field, ACC bits wide.
 * Memories without a block RAM attribute (the controller's input buffer, the delta encoders' v_hat
 * banks and queues, read asynchronously) are not counted: a lower bound.
 *
 * @module
 */

import type { DesignParams } from "../rtl/mod.ts";
import { memoryWordsWide } from "../encode/mod.ts";
import { usedWidth, XILINX_BRAM36_BITS, xilinxBram36 } from "../synth/xilinx_bram.ts";

/** One memory of the design's RTL, summed over its copies. */
export interface BlockRamMemory {
  /** Its name in the RTL (e.g. `weight_mem`, `table_rom`). */
  memory: string;
  /** Copies in the design (PEs, or PEs x units). */
  copies: number;
  /** Words of the deepest copy. */
  depth: number;
  /** Word width in the RTL, and the widest copy's bits that need storage. */
  width: number;
  usedWidth: number;
  /** Read ports with addresses of their own. */
  readPorts: number;
  /** BRAM36 of all copies (a RAMB18 counts 0.5). */
  bram36: number;
}

/** The design's block RAM lower bound. */
export interface DesignBlockRams {
  /** BRAM36, every memory that is block RAM by design. */
  bram36: number;
  /** Bits stored in them and bits / 36,864 (the weaker bound). */
  bits: number;
  bram36FromBits: number;
  /** Memory by memory. */
  memories: BlockRamMemory[];
}

/** The label of the memories' bound. */
export const MEMORY_BRAM_LABEL = "computed: lower bound from this design's own memories that are " +
  "block RAM by design (weights, pointers, activation tables; state memories and bias ROMs deeper " +
  "than LUT_RAM_DEPTH), each mapped on its own onto Xilinx block RAM shapes (RAMB36 512x72 ... " +
  "32Kx1, RAMB18 = 0.5; bench/delta_memories.ts)";

interface Copy {
  memory: string;
  depth: number;
  width: number;
  usedWidth: number;
  readPorts: number;
  copies: number;
}

/** The memories of one PE (every PE the same shape: the state memories and tables). */
function stateMemories(design: DesignParams): Copy[] {
  const r = design.rtl;
  const deep = (depth: number) => depth > r.LUT_RAM_DEPTH;
  const copies = r.N * r.BATCH;
  const memories: Copy[] = [];
  const add = (memory: string, depth: number, width: number, readPorts: number, times = 1) => {
    if (deep(depth)) {
      memories.push({ memory, depth, width, usedWidth: width, readPorts, copies: copies * times });
    }
  };
  const cDepth = r.LAYERS * r.K;
  // the gate accumulators: one memory per field and lane bank (delta: the memories M of every
  // layer)
  add("acc_mem (gates)", Math.ceil((r.DELTA ? cDepth : r.K) / r.LANES), r.ACC, 1, 4 * r.LANES);
  if (r.PROJ) {
    const pdelta = design.delta?.thetaM !== undefined;
    // a bank per lane (theta_m: each layer's rows padded to whole lines, rnnfab_acc_proj.v)
    const lines = Math.ceil(r.KP / r.LANES);
    add("acc_mem (projection)", pdelta ? r.LAYERS * lines : lines, r.ACC, 1, r.LANES);
    add("m_mem", r.K, r.AB, 1);
  }
  add("h_mem", r.LAYERS * r.KO, r.AB, 2);
  if (!r.GRU) add("c_mem", cDepth, r.AB, 1);
  const queue = Math.max(r.QUEUE_DEPTH, 5);
  if (queue > 128) {
    const fields = r.DELTA ? 2 * r.PTR_W : r.PTR_W + 2;
    memories.push({
      memory: "queue_mem",
      depth: queue,
      width: 1 + fields + r.AB + r.DELTA,
      usedWidth: 1 + fields + r.AB + r.DELTA,
      readPorts: 1,
      copies: r.N,
    });
  }
  return memories;
}

/**
 * The memories with an image: weights, pointers, index (ese with lanes: the line deltas; per PE),
 * bias and peephole ROMs, tables.
 */
function imageMemories(design: DesignParams): Copy[] {
  const r = design.rtl;
  const copies: Copy[] = [];
  const encoded = new Map(design.image.manifest.memories.map((m) => [m.file, m]));
  for (const pe of design.image.peMemories.keys()) {
    for (const info of design.memories.filter((m) => m.pe === pe)) {
      const manifestMemory = encoded.get(info.file);
      // the words as the memory holds them (with lanes: L weight slots packed per word)
      const image = manifestMemory ? memoryWordsWide(design.image, manifestMemory) : undefined;
      const aux = design.auxMemories.find((m) => m.file === info.file);
      const romDeep = info.depth > r.LUT_RAM_DEPTH;
      if (!image && !(aux && romDeep && (aux.kind === "bias" || aux.kind === "peephole"))) {
        continue;
      }
      const data = image ?? aux!.words;
      copies.push({
        memory: info.rtlName,
        depth: Math.max(1, info.depth),
        width: info.width,
        usedWidth: usedWidth(data, info.width),
        // delta: the pointer memory reads a column's start and end, the weight memory (and the
        // index memory beside it) one entry a cycle; without delta the prefetch reads two a cycle
        readPorts: (info.role === "pointers") === (r.DELTA !== 0) ? 2 : 1,
        copies: 1,
      });
    }
  }
  // activation tables: one ROM per activation unit, one element-wise unit per PE
  const units = { sigmoid: r.GRU ? 2 : 3, tanh: r.GRU ? 1 : 2 };
  for (const aux of design.auxMemories) {
    if (aux.kind !== "sigmoid" && aux.kind !== "tanh") continue;
    copies.push({
      memory: `table_rom (${aux.kind})`,
      depth: aux.depth,
      width: aux.width,
      usedWidth: usedWidth(aux.words, aux.width),
      readPorts: 2,
      copies: r.N * units[aux.kind],
    });
  }
  return copies;
}

/** The BRAM36 an `ese` design's memories that are block RAM by design need at least. */
export function designBlockRams(design: DesignParams): DesignBlockRams {
  if (design.accelerator.format !== "ese") {
    throw new Error(`designBlockRams: ese designs only (got ${design.accelerator.format})`);
  }
  const byName = new Map<string, BlockRamMemory>();
  let bits = 0;
  for (const copy of [...imageMemories(design), ...stateMemories(design)]) {
    const each = xilinxBram36({
      depth: copy.depth,
      width: copy.usedWidth,
      readPorts: copy.readPorts,
    });
    bits += copy.copies * copy.depth * copy.usedWidth;
    const row = byName.get(copy.memory);
    if (!row) {
      byName.set(copy.memory, { ...copy, bram36: copy.copies * each });
      continue;
    }
    row.copies += copy.copies;
    row.depth = Math.max(row.depth, copy.depth);
    row.usedWidth = Math.max(row.usedWidth, copy.usedWidth);
    row.bram36 += copy.copies * each;
  }
  const memories = [...byName.values()];
  return {
    bram36: memories.reduce((sum, m) => sum + m.bram36, 0),
    bits,
    bram36FromBits: bits / XILINX_BRAM36_BITS,
    memories,
  };
}
