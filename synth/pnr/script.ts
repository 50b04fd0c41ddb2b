/**
 * The Yosys script of the place-and-route flow: read the design (its folders on the include
 * path, as synth/script.ts does), synthesize it flat for the family (`synth_ecp5`, or
 * `synth_ice40 -dsp` label by label), and write the netlist nextpnr reads, the cell counts
 * (`stat -json`) and the module of every flattened instance (`$scopeinfo` cells, the map from
 * nextpnr's hierarchical cell names back to the RTL).
 *
 * Multipliers to LUTs (`lutMultipliers`): the products the RTL marks with the attribute
 * `rnnfab_lut_multiplier` (the sigmoid units' interpolation products, rnnfab_act.v) are
 * turned into Booth-encoded LUT multipliers (Yosys `booth`) before synthesis infers DSP blocks,
 * for a design that needs more multipliers than the part has (flow.ts retries with it).
 *
 * iCE40: the `ice40_dsp` pass (packing pipeline registers into SB_MAC16) is left out. On our
 * multiply-register-register-add pipelines Yosys 0.23 crashed in it and Yosys 0.70 leaves a
 * driver-driver conflict that it "resolves" by tying the product register to a constant (a wrong
 * netlist); without it every multiplier is still an SB_MAC16, its pipeline registers in fabric.
 *
 * @module
 */

import { ice40CoarseSteps, quote, readVerilog } from "../script.ts";
import type { PnrFamily } from "./targets.ts";

/** Paths, relative to the Yosys working directory (the design folder), of what the script writes. */
export interface PnrScriptOutputs {
  /** The synthesized netlist (JSON) for nextpnr. */
  netlist: string;
  /** `stat -json` of the synthesized design. */
  stat: string;
  /** `dump t:$scopeinfo`: every flattened instance and its module. */
  scopes: string;
}

/** Options of `pnrSynthesisScript`. */
export interface PnrScriptOptions {
  /** Family. */
  family: PnrFamily;
  /** Verilog files (relative to the working directory); `.vh` headers are only included. */
  files: readonly string[];
  /** Top module. */
  top: string;
  /** Further include folders (the folders of `files` are always on the include path). */
  includeDirs?: readonly string[];
  /** Outputs. */
  outputs: PnrScriptOutputs;
  /** Map the products marked `rnnfab_lut_multiplier` to LUTs (Booth) instead of DSP blocks. */
  lutMultipliers?: boolean;
}

/** The RTL attribute that marks a product the flow may build from LUTs (rnnfab_act.v). */
export const LUT_MULTIPLIER_ATTRIBUTE = "rnnfab_lut_multiplier";

/** Notes the flow records about its script (docs/timing.md). */
export const SCRIPT_NOTES: Record<PnrFamily, string[]> = {
  ecp5: [],
  ice40: [
    "ice40_dsp left out (Yosys 0.70 ties the product register of our multiply-register-" +
    "register-add pipelines to a constant): multipliers are SB_MAC16, their pipeline " +
    "registers fabric flip-flops",
  ],
};

/** The Yosys script (one command a line) that synthesizes a design for place and route. */
export function pnrSynthesisScript(options: PnrScriptOptions): string {
  const out = options.outputs;
  const synth = options.family === "ecp5" ? [`synth_ecp5 -top ${options.top}`] : [
    `synth_ice40 -device u -dsp -top ${options.top} -run begin:coarse`,
    ...ice40CoarseSteps({ yosys: "0.70", dspPacking: false }),
    `synth_ice40 -device u -dsp -top ${options.top} -run map_ram:`,
  ];
  return [
    readVerilog(options.files, options.includeDirs),
    `hierarchy -top ${options.top}`,
    ...(options.lutMultipliers ? ["proc", `booth a:${LUT_MULTIPLIER_ATTRIBUTE}`] : []),
    ...synth,
    `tee -q -o ${quote(out.stat)} stat -json`,
    `tee -q -o ${quote(out.scopes)} dump t:$scopeinfo`,
    `write_json ${quote(out.netlist)}`,
  ].join("\n") + "\n";
}
