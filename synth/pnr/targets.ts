/**
 * The parts `deno task pnr` places and routes on: the Lattice ECP5 (LFE5U-25F, -45F, -85F in the
 * CABGA381 package, speed grade 8) and the iCE40 UltraPlus UP5K (SG48), with the nextpnr flags
 * that select them and what each part has: the `available` counts nextpnr 0.11 reports for the
 * part (tests/pnr_test.ts checks the ECP5-25F's against a captured report), except the ECP5 I/O
 * pins, which are the CABGA381's bonded pins (Lattice DS1044: 197, 203, 205; nextpnr counts every
 * I/O site of the 45F and 85F dies, 245 and 365).
 *
 * @module
 */

import { UserError } from "../../util/errors.ts";

/** nextpnr's routers. */
export const PNR_ROUTERS = ["router1", "router2"] as const;

/** A nextpnr router. */
export type PnrRouter = typeof PNR_ROUTERS[number];

/** nextpnr's default router. */
export const DEFAULT_ROUTER: PnrRouter = "router1";

/** FPGA family: which Yosys script (`synth_ecp5`, `synth_ice40`) and which nextpnr. */
export type PnrFamily = "ecp5" | "ice40";

/** A resource of a part that designs can run out of, by its nextpnr name. */
export interface PartResource {
  /** nextpnr's bel type, e.g. "TRELLIS_COMB", "DP16KD", "ICESTORM_LC". */
  resource: string;
  /** What it is, e.g. "LUT4", "block RAM (DP16KD, 18 Kbit)". */
  name: string;
  /** How many the part has. */
  available: number;
}

/** One part of `deno task pnr --target`. */
export interface PnrTarget {
  /** The `--target` name, e.g. "ecp5-85k". */
  id: string;
  /** Family. */
  family: PnrFamily;
  /** Lattice part number without speed grade and package, e.g. "LFE5U-85F". */
  part: string;
  /** Short label for reports, e.g. "ECP5-85F". */
  label: string;
  /** Package. */
  package: string;
  /** Speed grade ("8" for ECP5; null for iCE40, which has one). */
  speedGrade: string | null;
  /** Device flags of nextpnr (part, package, speed grade). */
  nextpnrArgs: string[];
  /** The resources checked before and after synthesis, headline ones first. */
  resources: PartResource[];
  /** Bits of one block RAM (for the check before synthesis). */
  blockRamBits: number;
  /** nextpnr's name of the block RAM resource. */
  blockRamResource: string;
}

function ecp5(size: "25" | "45" | "85", counts: number[]): PnrTarget {
  const [luts, brams, multipliers, ios] = counts;
  return {
    id: `ecp5-${size}k`,
    family: "ecp5",
    part: `LFE5U-${size}F`,
    label: `ECP5-${size}F`,
    package: "CABGA381",
    speedGrade: "8",
    nextpnrArgs: [`--${size}k`, "--package", "CABGA381", "--speed", "8"],
    resources: [
      { resource: "TRELLIS_COMB", name: "LUT4 (logic, carry and LUT-RAM halves)", available: luts },
      { resource: "TRELLIS_FF", name: "flip-flops", available: luts },
      { resource: "DP16KD", name: "block RAM (DP16KD, 18 Kbit)", available: brams },
      { resource: "MULT18X18D", name: "multipliers (MULT18X18D)", available: multipliers },
      { resource: "TRELLIS_RAMW", name: "LUT-RAM write ports (TRELLIS_RAMW)", available: luts / 8 },
      { resource: "TRELLIS_IO", name: "I/O pins", available: ios },
    ],
    blockRamBits: 18432,
    blockRamResource: "DP16KD",
  };
}

/** Every supported `--target`. */
export const PNR_TARGETS: readonly PnrTarget[] = [
  ecp5("25", [24288, 56, 28, 197]),
  ecp5("45", [43848, 108, 72, 203]),
  ecp5("85", [83640, 208, 156, 205]),
  {
    id: "ice40-up5k",
    family: "ice40",
    part: "iCE40UP5K",
    label: "iCE40 UP5K",
    package: "sg48",
    speedGrade: null,
    nextpnrArgs: ["--up5k", "--package", "sg48"],
    resources: [
      { resource: "ICESTORM_LC", name: "logic cells (LUT4 + FF)", available: 5280 },
      { resource: "ICESTORM_RAM", name: "block RAM (SB_RAM40_4K, 4 Kbit)", available: 30 },
      { resource: "ICESTORM_DSP", name: "DSPs (SB_MAC16)", available: 8 },
      { resource: "ICESTORM_SPRAM", name: "single-port RAM (SB_SPRAM256KA)", available: 4 },
      { resource: "SB_IO", name: "I/O pins", available: 39 },
    ],
    blockRamBits: 4096,
    blockRamResource: "ICESTORM_RAM",
  },
];

/** The `--target` names, for messages. */
export const PNR_TARGET_IDS: readonly string[] = PNR_TARGETS.map((target) => target.id);

/** The target named `id`, or a UserError naming `source` (e.g. "deno task pnr: --target"). */
export function pnrTarget(id: string, source: string): PnrTarget {
  const target = PNR_TARGETS.find((candidate) => candidate.id === id);
  if (!target) {
    throw new UserError(`${source}: expected ${PNR_TARGET_IDS.join(", ")}, got ${id}`);
  }
  return target;
}

/** How reports name the part: "ECP5-85F, -8" or "iCE40 UP5K". */
export function partLabel(target: PnrTarget): string {
  return target.speedGrade ? `${target.label}, -${target.speedGrade}` : target.label;
}
