/**
 * Will the design fit the part? Three checks, each as early as it can be made, each saying what
 * was needed and what the part has:
 * 1. before synthesis, from design.json: the weight, pointer and index memories are block RAM
 *    by design (`ram_style = "block"`), so their bits give a lower bound on the block RAMs;
 * 2. after synthesis, from Yosys's cell counts: lower bounds on every resource of the part;
 * 3. nextpnr's own utilization table, when nextpnr stops on a design too big.
 *
 * @module
 */

import type { PnrFamily, PnrTarget } from "./targets.ts";

/** A resource the design needs more of than the part has. */
export interface Shortfall {
  /** nextpnr resource name. */
  resource: string;
  /** What it is. */
  name: string;
  /** Needed (a lower bound, or nextpnr's count). */
  needed: number;
  /** What the part has. */
  available: number;
}

/** A memory of design.json (only the fields the check reads). */
export interface DesignMemoryBits {
  /** weights, pointers, index, table, constants. */
  role?: string;
  /** Owning PE (absent for shared memories such as the activation tables). */
  pe?: number | null;
  /** Bits of the image. */
  bits: number;
}

/** Memories that are block RAM by design: a PE's weights, pointers and index. */
const BLOCK_RAM_ROLES = new Set(["weights", "pointers", "index"]);

/** Lower bound on the block RAMs the design's weight, pointer and index memories take. */
export function blockRamLowerBound(
  memories: readonly DesignMemoryBits[],
  blockRamBits: number,
): { blocks: number; bits: number } {
  let blocks = 0;
  let bits = 0;
  for (const memory of memories) {
    if (memory.pe === undefined || memory.pe === null || !BLOCK_RAM_ROLES.has(memory.role ?? "")) {
      continue;
    }
    blocks += Math.max(1, Math.ceil(memory.bits / blockRamBits));
    bits += memory.bits;
  }
  return { blocks, bits };
}

/** Check 1: the block RAMs design.json's memories need at least, against the part. */
export function designShortfalls(
  memories: readonly DesignMemoryBits[],
  target: PnrTarget,
): Shortfall[] {
  const resource = target.resources.find((r) => r.resource === target.blockRamResource)!;
  const { blocks } = blockRamLowerBound(memories, target.blockRamBits);
  return blocks > resource.available
    ? [{ ...resource, needed: blocks, available: resource.available }]
    : [];
}

/** Yosys cell counts (`stat -json`'s num_cells_by_type) -> lower bounds per nextpnr resource. */
export function synthesisNeeds(
  cells: Record<string, number>,
  portBits: number,
  family: PnrFamily,
): Record<string, number> {
  const count = (type: string) => cells[type] ?? 0;
  const sum = (types: string[]) => types.reduce((total, type) => total + count(type), 0);
  if (family === "ecp5") {
    return {
      // One TRELLIS_COMB per LUT4, two per CCU2C (carry), six per 16x4 LUT RAM (as nextpnr packs).
      TRELLIS_COMB: count("LUT4") + 2 * count("CCU2C") + 6 * count("TRELLIS_DPR16X4"),
      TRELLIS_FF: count("TRELLIS_FF"),
      DP16KD: count("DP16KD"),
      MULT18X18D: count("MULT18X18D"),
      TRELLIS_IO: portBits,
    };
  }
  const flipFlops = sum(Object.keys(cells).filter((type) => type.startsWith("SB_DFF")));
  return {
    // A logic cell holds one LUT4, one carry and one flip-flop.
    ICESTORM_LC: Math.max(count("SB_LUT4"), count("SB_CARRY"), flipFlops),
    ICESTORM_RAM: count("SB_RAM40_4K"),
    ICESTORM_DSP: count("SB_MAC16"),
    ICESTORM_SPRAM: count("SB_SPRAM256KA"),
    SB_IO: portBits,
  };
}

/** The resources whose need exceeds what the part has. */
export function shortfalls(needs: Record<string, number>, target: PnrTarget): Shortfall[] {
  return target.resources
    .filter((resource) => (needs[resource.resource] ?? 0) > resource.available)
    .map((resource) => ({ ...resource, needed: needs[resource.resource] }));
}

/** nextpnr's "Device utilisation" table in its log: resource -> used / available. */
export function parseUtilisationLog(
  log: string,
): Record<string, { used: number; available: number }> {
  const table: Record<string, { used: number; available: number }> = {};
  const start = log.lastIndexOf("Device utilisation:");
  if (start < 0) return table;
  for (const line of log.slice(start).split("\n").slice(1)) {
    const match = /^Info:\s+([A-Za-z0-9_]+):\s+(\d+)\/\s*(\d+)/.exec(line);
    if (!match) break;
    table[match[1]] = { used: Number(match[2]), available: Number(match[3]) };
  }
  return table;
}

/**
 * nextpnr's analytical placer tries a bounded number of places for a cell before it gives up
 * (`--placer-heap-cell-placement-timeout N`: max(10,000, cells^2 / N) attempts; nextpnr's default
 * N = 8 allowed 356 million on the 8-PE LSTMP, so a cell with no legal place at all kept the
 * placer busy for hours without a line of output; docs/timing.md, session 27). With N = 64 an
 * unplaceable cell stops it within minutes while a legal design keeps ample room (a cell needs
 * far fewer attempts than that where the part has a place for it).
 */
export const PLACER_CELL_ATTEMPTS_DIVISOR = 64;

/** The cell nextpnr's placer found no legal place for (its log's error), or null. */
export function unplaceableCell(log: string): { cell: string; type: string } | null {
  const match = /Unable to find legal placement for cell '([^']+)' of type '([^']+)'/.exec(log);
  return match ? { cell: match[1], type: match[2] } : null;
}

/** One line for a cell nextpnr could not place, with what limits its kind on the part. */
export function unplaceableMessage(
  unplaced: { cell: string; type: string },
  target: PnrTarget,
  basis: string,
): string {
  const why = unplaced.type === "MULT18X18D"
    ? "the multipliers of one ECP5 DSP block (four MULT18X18D) share at most four distinct " +
      "clock, four clock-enable and four reset nets, so multipliers with different clock " +
      "enables take more blocks than the multiplier count suggests"
    : "the part has no legal place left for its kind (utilization or placement constraints)";
  return `the design does not fit the ${target.label} (${target.part}): nextpnr found no legal ` +
    `place for ${unplaced.cell} (${unplaced.type}): ${why}; ${basis}`;
}

/** Check 3: what nextpnr's log says the design uses beyond the part. */
export function nextpnrShortfalls(log: string, target: PnrTarget): Shortfall[] {
  const table = parseUtilisationLog(log);
  return Object.entries(table)
    .filter(([, figures]) => figures.used > figures.available)
    .map(([resource, figures]) => ({
      resource,
      name: target.resources.find((r) => r.resource === resource)?.name ?? resource,
      needed: figures.used,
      available: figures.available,
    }));
}

/** One line: "does not fit the ECP5-25F (LFE5U-25F): needs 70 block RAM (...) , the part has 56". */
export function fitMessage(
  shortfall: readonly Shortfall[],
  target: PnrTarget,
  basis: string,
): string {
  const figures = shortfall.map((s) =>
    `${s.needed.toLocaleString("en-US")} ${s.name} (the part has ${
      s.available.toLocaleString("en-US")
    })`
  );
  return `the design does not fit the ${target.label} (${target.part}): it needs ` +
    `${figures.join(", ")}; ${basis}`;
}
