/**
 * The ports of a placed and routed design. By default place and route builds the generated
 * accelerator inside `rnnfab_pnr_top` (synth/pnr/rtl/): both streams behind a registered
 * valid/ready slice (`rnnfab_stream_reg`) and the reset through two registers, the way the core
 * sits on a board behind AXI-stream register slices. No path then runs from an I/O pin into the
 * core's logic or out of it in one cycle, so nextpnr's unconstrained pin placement cannot set the
 * core's Fmax. `direct` places and routes rnnfab_top with its ports on the pins, as before.
 *
 * @module
 */

import { join } from "node:path";

/** How the design's ports meet the pins. */
export type PortMode = "registered" | "direct";

/** The port modes, for flags and schemas. */
export const PORT_MODES: readonly PortMode[] = ["registered", "direct"];

/** The default: every port registered. */
export const DEFAULT_PORT_MODE: PortMode = "registered";

/** Top module of the wrapper. */
export const WRAPPER_TOP = "rnnfab_pnr_top";

/** Instance name of the generated top inside the wrapper (the prefix of its netlist names). */
export const WRAPPER_CORE_INSTANCE = "core";

/** The wrapper's Verilog files (synth/pnr/rtl/). */
export const WRAPPER_FILES = ["rnnfab_stream_reg.v", "rnnfab_pnr_top.v"] as const;

const WRAPPER_DIR = new URL("./rtl/", import.meta.url);

/** The stream widths of a generated top (design.json's rtl parameters). */
export interface StreamBits {
  /** in_data bits: AB x BATCH x IN_WORDS. */
  input: number;
  /** out_data bits: AB x BATCH x OUT_WORDS. */
  output: number;
}

/** The wrapper's parameters for a design. */
export function wrapperParameters(bits: StreamBits): Record<string, number> {
  return { IN_W: bits.input, OUT_W: bits.output };
}

/**
 * Copy the wrapper's Verilog into `dir` (the run's folder, under the design folder: the YoWASP
 * tools only see files below their working folder) and return the paths, joined to `relativeDir`.
 */
export async function stageWrapper(dir: string, relativeDir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const name of WRAPPER_FILES) {
    await Deno.writeTextFile(join(dir, name), await Deno.readTextFile(new URL(name, WRAPPER_DIR)));
    paths.push(join(relativeDir, name));
  }
  return paths;
}

/** The note timing.json carries about the ports. */
export function portsNote(mode: PortMode): string {
  return mode === "registered"
    ? "ports registered (rnnfab_pnr_top: both streams behind a register slice, the reset " +
      "through two registers; the core is instance `core`): Fmax is the core's, no path " +
      "through an I/O pin"
    : "ports direct: rnnfab_top's ports on the pins (placed unconstrained); a path through a " +
      "pin can set Fmax";
}
