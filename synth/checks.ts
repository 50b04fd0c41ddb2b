/**
 * The mapping checks of the synthesis report: what each memory holds (its role, from
 * design.json), whether it belongs in block RAM, and the warnings for memories and multipliers
 * that did not end up where they belong. Pure functions.
 *
 * @module
 */

import type { DesignJson, MemoryRole } from "../rtl/design_schema.ts";
import { LUT_RAM_DEPTH } from "../rtl/design.ts";
import { DSP_MIN_WIDTH, type SynthTarget } from "./cells.ts";
import type { MemoryShape } from "./parse.ts";
import type { MemoryReport, MultiplierReport, SynthMemoryRole } from "./report.ts";

/** Memories of at least this many bits belong in block RAM whatever their role. */
export const BLOCK_RAM_MIN_BITS = 4096;

/** Memories of at least this many bits should not be built from logic (flip-flops or LUTs). */
export const LOGIC_MEMORY_MAX_BITS = 256;

/**
 * Written memories (working state: accumulators, cell state, queues, buffers) of at most this
 * many words may stay in LUT RAM whatever their size, and ROMs of at most this many words in
 * LUTs (a LUT ROM): an UltraScale LUT RAM is 32 or 64 words deep, a block RAM at least 512
 * words deep in its widest (72-bit) mode, so a block RAM would leave at least 7/8 of its words
 * unused, and a wide shallow memory (e.g. the PE's 32 x 156-bit gate accumulators) would take
 * several block RAMs for a few Kbit. It is the generator's `LUT_RAM_DEPTH`: the PE marks its
 * memories deeper than this block RAM.
 */
export const LUT_RAM_MAX_DEPTH = LUT_RAM_DEPTH;

/** RTL memory name -> role, from design.json's `memories` (`rtlName`, `role`). */
export function designMemoryRoles(design: Pick<DesignJson, "memories">): Map<string, MemoryRole> {
  return new Map(design.memories.map((memory) => [memory.rtlName, memory.role]));
}

/**
 * What a memory holds: the role design.json gives its RTL name (a hierarchical name by its
 * leaf), else `state` for a memory the design writes and `other` for a ROM.
 */
export function memoryRole(
  memory: Pick<MemoryShape, "name" | "writePorts">,
  roles: ReadonlyMap<string, MemoryRole> = new Map(),
): SynthMemoryRole {
  const leaf = memory.name.split(".").pop() ?? memory.name;
  return roles.get(memory.name) ?? roles.get(leaf) ?? (memory.writePorts > 0 ? "state" : "other");
}

/**
 * Whether a memory belongs in block RAM: it is marked so (`ram_style`/`rom_style` "block"), it
 * holds weights, pointers or an index, or it has at least `BLOCK_RAM_MIN_BITS` bits, unless it
 * is a state memory of at most `LUT_RAM_MAX_DEPTH` words (LUT RAM is the right place).
 */
export function expectsBlockRam(
  memory: Pick<MemoryShape, "width" | "depth" | "style">,
  role: SynthMemoryRole,
): boolean {
  if (memory.style?.toLowerCase() === "block") return true;
  if (role === "weights" || role === "pointers" || role === "index") return true;
  if (role === "state" && memory.depth <= LUT_RAM_MAX_DEPTH) return false;
  return memory.width * memory.depth >= BLOCK_RAM_MIN_BITS;
}

/**
 * The mapping checks: memories expected in block RAM that are not, state memories deeper than
 * `LUT_RAM_MAX_DEPTH` words that could not be block RAM (asynchronous reads), large memories
 * built from logic (except ROMs of at most `LUT_RAM_MAX_DEPTH` words: LUT ROMs), and multipliers
 * at least as wide as the target's DSP threshold left in LUTs.
 */
export function mappingChecks(
  memories: readonly MemoryReport[],
  multipliers: MultiplierReport,
  target: SynthTarget,
): { warnings: string[]; memoriesInBlockRam: boolean; multipliersInDsp: boolean } {
  const warnings: string[] = [];
  let memoriesInBlockRam = true;
  for (const memory of memories) {
    const shape = `${memory.depth} x ${memory.width}`;
    const where = `${memory.module}.${memory.name} (${shape}, ${memory.instances}x)`;
    const inBlock = memory.mapping === "block" || memory.mapping === "huge";
    if (memory.expectedInBlockRam && !inBlock) {
      memoriesInBlockRam = false;
      const why = memory.asyncReadPorts > 0
        ? `it has ${memory.asyncReadPorts} asynchronous read port(s); register the read address ` +
          `or data (synchronous read) and mark it (* ram_style = "block" *)`
        : memory.readPorts + memory.writePorts > 2
        ? `it has ${memory.readPorts} read and ${memory.writePorts} write ports; block RAM has 2`
        : `mark it (* ram_style = "block" *)`;
      warnings.push(`memory ${where} became ${memory.mapping}, not block RAM: ${why}`);
    } else if (
      memory.role === "state" && memory.depth > LUT_RAM_MAX_DEPTH && memory.asyncReadPorts > 0
    ) {
      memoriesInBlockRam = false;
      warnings.push(
        `memory ${where} is a state memory deeper than ${LUT_RAM_MAX_DEPTH} words with ` +
          `${memory.asyncReadPorts} asynchronous read port(s): it cannot be block RAM; read it ` +
          `synchronously`,
      );
    } else if (
      memory.mapping === "logic" && memory.bits >= LOGIC_MEMORY_MAX_BITS &&
      !(memory.writePorts === 0 && memory.depth <= LUT_RAM_MAX_DEPTH)
    ) {
      warnings.push(
        `memory ${where} became logic (flip-flops for a RAM, LUTs for a ROM)` +
          (memory.asyncReadPorts > 0
            ? `: ${memory.asyncReadPorts} asynchronous read port(s) with ` +
              `${memory.readPorts} read ports`
            : ""),
      );
    }
  }
  let multipliersInDsp = true;
  for (const entry of multipliers.inLogic) {
    if (entry.width < DSP_MIN_WIDTH[target]) continue;
    multipliersInDsp = false;
    warnings.push(
      `${entry.count} multiplier(s) of ${entry.width} bits in ${entry.module} stayed in LUTs, ` +
        `not DSPs`,
    );
  }
  return { warnings, memoriesInBlockRam, multipliersInDsp };
}
