/**
 * The Yosys scripts of the synthesis flow, as text. The standard `synth_xilinx -family xcu` and
 * `synth_ice40 -dsp` flows are run label by label so that the flow can record what it needs on
 * the way: the multipliers before and after DSP mapping (`stat -width -json`), the memories before
 * technology mapping (`dump t:$mem_v2`), and the final per-module counts (`stat -json`).
 * Hierarchy is kept (no flattening) so that per-module figures exist.
 *
 * Two Yosys 0.23 defects are worked around here (see docs/synthesis.md):
 * - UltraScale LUT RAM: lutrams_xcu.txt offers a 2^16-deep single-port option that
 *   lutrams_xc5v_map.v cannot build ("invalid OPTION_ABITS/WIDTH combination"); the flow runs
 *   `memory_libmap` itself with a corrected copy of the library (at most 512 deep: RAM512X1S).
 * - iCE40 DSP packing: the `ice40_dsp` pass crashes (SIGSEGV) on a multiplier followed by two
 *   register stages and an adder; the flow can run the coarse stage without it (multipliers still
 *   become SB_MAC16; their pipeline registers then stay in fabric flip-flops).
 *
 * @module
 */

import { dirname } from "node:path";
import type { SynthTarget } from "./cells.ts";

/** Paths (absolute) of the files a script writes. */
export interface ScriptOutputs {
  /** `stat -width -json` before DSP mapping. */
  multipliersBefore: string;
  /** `stat -width -json` after DSP mapping (what is left as `$mul` stays in fabric). */
  multipliersAfter: string;
  /** `dump t:$mem_v2` before memory mapping. */
  memories: string;
  /** Final `stat -json` of the mapped design. */
  stat: string;
}

/** Options of `synthesisScript`. */
export interface ScriptOptions {
  /** Target family. */
  target: SynthTarget;
  /** Verilog files, as paths the Yosys working directory resolves. */
  files: readonly string[];
  /** Top module of the RTL (elaborated first, so that parameters propagate). */
  designTop: string;
  /** The module to synthesize: `designTop`, or one derived module (a PE) for per-PE runs. */
  synthTop: string;
  /** Derived modules to turn into black boxes before synthesis (the PEs of a per-PE run). */
  blackBoxes?: readonly string[];
  /** Where to write the recorded files. */
  outputs: ScriptOutputs;
  /**
   * xilinx: path of a corrected lutrams_xcu.txt (runs memory_libmap explicitly); absent: the
   * stock map_memory step.
   */
  lutramLibrary?: string;
  /** ice40: run the `ice40_dsp` packing pass (default true). */
  ice40DspPacking?: boolean;
}

/** A path as a Yosys script argument (quoted when it holds white space or quotes). */
export function quote(path: string): string {
  if (/[\s"]/.test(path)) return `"${path.replace(/"/g, '\\"')}"`;
  return path;
}

/**
 * `read_verilog -defer` of the sources with their folders and `includeDirs` on the include path
 * (rnnfab_pkg.vh), and `defines` (`-D NAME`); `.vh`/`.svh` headers in `files` are only included,
 * not read.
 */
export function readVerilog(
  files: readonly string[],
  includeDirs: readonly string[] = [],
  defines: readonly string[] = [],
): string {
  const folders = [...new Set([...files.map((file) => dirname(file)), ...includeDirs])];
  const sources = files.filter((file) => !/\.(vh|svh)$/.test(file));
  return `read_verilog -defer ${
    [
      ...defines.map((define) => `-D ${define}`),
      ...folders.map((folder) => `-I ${quote(folder)}`),
      ...sources.map(quote),
    ].join(" ")
  }`;
}

/**
 * The define of the Xilinx flow: the accumulator banks of rnnfab_acc_serial multiply and add in
 * an instantiated DSP48E2 (rnnfab_mac_dsp.v; Yosys 0.23 does not fold a registered multiply-add
 * into one itself). Other targets and the simulators keep the generic RTL.
 */
export const XILINX_DEFINES = ["RNNFAB_DSP48E2"] as const;

/** Options of `ice40CoarseSteps`. */
export interface Ice40CoarseOptions {
  /** The Yosys version whose `synth_ice40 -dsp` coarse step is spelled out. */
  yosys: "0.23" | "0.70";
  /** Run the `ice40_dsp` packing pass. */
  dspPacking: boolean;
  /** Commands run just before DSP mapping (e.g. a `stat` record). */
  beforeDsp?: string[];
  /** Commands run just after DSP mapping. */
  afterDsp?: string[];
}

/**
 * `synth_ice40 -dsp`'s coarse step label by label, as Yosys 0.23 (the synthesis flow) and 0.70
 * (the place-and-route flow) run it, with `ice40_dsp` optional and room for records around the DSP
 * mapping. The two versions differ only in the order of the first passes and 0.70's
 * `alumacc -macc-only; maccmap -unmap` before the multipliers are narrowed.
 */
export function ice40CoarseSteps(options: Ice40CoarseOptions): string[] {
  const newer = options.yosys === "0.70";
  return [
    ...(newer ? ["opt_expr", "check", "opt_clean"] : ["opt_expr", "opt_clean", "check"]),
    "opt -nodffe -nosdff",
    "fsm",
    "opt",
    "wreduce",
    "peepopt",
    "opt_clean",
    "share",
    "techmap -map +/cmp2lut.v -D LUT_WIDTH=4",
    "opt_expr",
    "opt_clean",
    "memory_dff",
    ...(newer ? ["alumacc -macc-only", "maccmap -unmap", "opt_clean"] : []),
    "wreduce t:$mul",
    ...options.beforeDsp ?? [],
    "techmap -map +/mul2dsp.v -map +/ice40/dsp_map.v -D DSP_A_MAXWIDTH=16 -D DSP_B_MAXWIDTH=16 " +
    "-D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_Y_MINWIDTH=11 -D DSP_NAME=$__MUL16X16",
    "select a:mul2dsp",
    "setattr -unset mul2dsp",
    "opt_expr -fine",
    "wreduce",
    "select -clear",
    ...(options.dspPacking ? ["ice40_dsp"] : []),
    "chtype -set $mul t:$__soft_mul",
    ...options.afterDsp ?? [],
    "alumacc",
    "opt",
    "memory -nomap",
    "opt_clean",
    // The iCE40 has no LUT RAM: a memory that asks for distributed RAM (the ESE engine's queue,
    // which should stay out of block RAM on ECP5 and Xilinx) is left to Yosys's own choice here.
    "setattr -unset ram_style a:ram_style=distributed",
  ];
}

function prelude(options: ScriptOptions): string[] {
  // (a DSP48E2 the design instantiates stays an unknown cell here: `hierarchy` without -check
  // leaves it, and synth_xilinx reads the primitives' library before its own hierarchy check)
  const defines = options.target === "xilinx" ? XILINX_DEFINES : [];
  const lines = [
    readVerilog(options.files, [], defines),
    `hierarchy -top ${options.designTop}`,
  ];
  if (options.blackBoxes && options.blackBoxes.length > 0) {
    lines.push(`blackbox ${options.blackBoxes.join(" ")}`);
  }
  return lines;
}

function xilinxScript(options: ScriptOptions): string[] {
  const synth = `synth_xilinx -family xcu -top ${options.synthTop} -noiopad -noclkbuf`;
  const out = options.outputs;
  const lines = [
    ...prelude(options),
    `${synth} -run begin:map_dsp`,
    `tee -q -o ${quote(out.multipliersBefore)} stat -width -json`,
    `${synth} -run map_dsp:map_memory`,
    `tee -q -o ${quote(out.multipliersAfter)} stat -width -json`,
    `tee -q -o ${quote(out.memories)} dump -m t:$mem_v2`,
  ];
  if (options.lutramLibrary) {
    lines.push(
      // synth_xilinx's map_memory step for xcu (Yosys 0.23), with the corrected LUT RAM library.
      `memory_libmap -logic-cost-rom 0.015625 -lib ${quote(options.lutramLibrary)} ` +
        `-lib +/xilinx/brams_xc4v.txt -D HAS_SIZE_36 -D HAS_MIXWIDTH_SDP -D HAS_ADDRCE ` +
        `-no-auto-huge`,
      `techmap -map +/xilinx/lutrams_xc5v_map.v`,
      `techmap -map +/xilinx/brams_xcu_map.v`,
      `${synth} -run map_ffram:`,
    );
  } else {
    lines.push(`${synth} -run map_memory:`);
  }
  lines.push(`tee -q -o ${quote(out.stat)} stat -json -tech xilinx -top ${options.synthTop}`);
  return lines;
}

function ice40Script(options: ScriptOptions): string[] {
  const synth = `synth_ice40 -device u -dsp -noflatten -top ${options.synthTop}`;
  const out = options.outputs;
  return [
    ...prelude(options),
    `${synth} -run begin:coarse`,
    ...ice40CoarseSteps({
      yosys: "0.23",
      dspPacking: options.ice40DspPacking !== false,
      beforeDsp: [`tee -q -o ${quote(out.multipliersBefore)} stat -width -json`],
      afterDsp: [`tee -q -o ${quote(out.multipliersAfter)} stat -width -json`],
    }),
    `tee -q -o ${quote(out.memories)} dump -m t:$mem_v2`,
    `${synth} -run map_ram:`,
    `tee -q -o ${quote(out.stat)} stat -json -top ${options.synthTop}`,
  ];
}

/** The Yosys script (one command a line) of one synthesis run. */
export function synthesisScript(options: ScriptOptions): string {
  const lines = options.target === "xilinx" ? xilinxScript(options) : ice40Script(options);
  return lines.join("\n") + "\n";
}

/** The script of an elaboration-only run: the module hierarchy with instance counts. */
export function elaborationScript(
  options: { files: readonly string[]; designTop: string; stat: string },
): string {
  return [
    readVerilog(options.files),
    `hierarchy -top ${options.designTop}`,
    `tee -q -o ${quote(options.stat)} stat -json -top ${options.designTop}`,
  ].join("\n") + "\n";
}

/**
 * Correct Yosys 0.23's UltraScale LUT RAM library (the 2^16-deep single-port option becomes the
 * 512-deep RAM512X1S that the mapping file implements). Returns undefined when `library` does not
 * contain the defect (a fixed Yosys).
 */
export function correctedLutramLibrary(library: string): string | undefined {
  const defect = /option "ABITS" 16 \{\s*abits 16;/;
  if (!defect.test(library)) return undefined;
  return library.replace(defect, 'option "ABITS" 9 {\n\t\tabits 9;');
}
