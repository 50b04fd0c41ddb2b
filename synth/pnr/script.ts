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
  /** Parameters of the top module (`hierarchy -chparam`), e.g. the wrapper's widths. */
  parameters?: Record<string, number>;
  /** Further include folders (the folders of `files` are always on the include path). */
  includeDirs?: readonly string[];
  /** Outputs. */
  outputs: PnrScriptOutputs;
  /** Map the products marked `rnnfab_lut_multiplier` to LUTs (Booth) instead of DSP blocks. */
  lutMultipliers?: boolean;
}

/** The RTL attribute that marks a product the flow may build from LUTs (rnnfab_act.v). */
export const LUT_MULTIPLIER_ATTRIBUTE = "rnnfab_lut_multiplier";

/**
 * ECP5: the define under which rnnfab_mul.v instantiates a MULT18X18D whose own input and output
 * registers hold its operands and product (Yosys 0.70 maps none into an inferred one), and the
 * attribute of those instances. The parameters are set after synthesis (`setparam`): a
 * parameterized blackbox instance fails under `read_verilog -defer` once the design is flattened.
 */
export const ECP5_MULT_DEFINE = "RNNFAB_ECP5_MULT";
const ECP5_MULT_ATTRIBUTE = "rnnfab_mult_registers";
const ECP5_MULT_REGISTERS = ["REG_INPUTA_CLK", "REG_INPUTB_CLK", "REG_OUTPUT_CLK"]
  .map((name) => `-set ${name} "CLK0"`).join(" ") + ` -set REG_OUTPUT_CE "CE1"`;

/** Notes the flow records about its script (docs/timing.md). */
export const SCRIPT_NOTES: Record<PnrFamily, string[]> = {
  ecp5: [
    "element-wise and MAC multipliers (rnnfab_mul.v, operands up to 18 bits) instantiated as " +
    "MULT18X18D with their input and output registers (CLK0; CE0 operands, CE1 product, both " +
    "tied to 1: one set of control nets, so that four share a DSP block)",
  ],
  ice40: [
    "ice40_dsp left out (Yosys 0.70 ties the product register of our multiply-register-" +
    "register-add pipelines to a constant): multipliers are SB_MAC16, their pipeline " +
    "registers fabric flip-flops",
  ],
};

/** The Yosys script (one command a line) that synthesizes a design for place and route. */
export function pnrSynthesisScript(options: PnrScriptOptions): string {
  const out = options.outputs;
  const ecp5 = options.family === "ecp5";
  // the LUT fallback's products stay generic RTL, so that `booth` sees them (rnnfab_mul.v)
  const defines = ecp5
    ? [ECP5_MULT_DEFINE, ...(options.lutMultipliers ? ["RNNFAB_LUT_MULTIPLIERS"] : [])]
    : [];
  const synth = ecp5
    ? [
      `synth_ecp5 -top ${options.top}`,
      `setparam ${ECP5_MULT_REGISTERS} t:MULT18X18D a:${ECP5_MULT_ATTRIBUTE} %i`,
    ]
    : [
      `synth_ice40 -device u -dsp -top ${options.top} -run begin:coarse`,
      ...ice40CoarseSteps({ yosys: "0.70", dspPacking: false }),
      `synth_ice40 -device u -dsp -top ${options.top} -run map_ram:`,
    ];
  return [
    readVerilog(options.files, options.includeDirs, defines),
    [
      `hierarchy -top ${options.top}`,
      ...Object.entries(options.parameters ?? {}).map(([name, value]) =>
        `-chparam ${name} ${value}`
      ),
    ].join(" "),
    ...(options.lutMultipliers ? ["proc", `booth a:${LUT_MULTIPLIER_ATTRIBUTE}`] : []),
    ...synth,
    `tee -q -o ${quote(out.stat)} stat -json`,
    `tee -q -o ${quote(out.scopes)} dump t:$scopeinfo`,
    `write_json ${quote(out.netlist)}`,
  ].join("\n") + "\n";
}
