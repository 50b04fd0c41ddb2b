/**
 * `deno task synth --design DIR [--target xilinx|ice40] [--out FILE] [--per-pe | --whole]
 * [--pe-module NAME] [--timeout S] [--max-memory-mb M]`: synthesize a generated accelerator with
 * Yosys and write its resource report (LUTs, FFs, block RAMs, DSPs, logic cells) to
 * DIR/synth/resources.json.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { optionAsFlag } from "../util/errors.ts";
import { defineCommand } from "./flags.ts";
import { positiveFlag } from "./shared_flags.ts";
import { SYNTH_TARGETS } from "../synth/cells.ts";
import { AUTO_PER_PE_MIN_PES, synthesizeDesign } from "../synth/flow.ts";
import { formatMemoryMapping, formatResourceTable, resourceTable } from "../synth/table.ts";

const NAME = "deno task synth";

/** Smallest memory bound of a Yosys process (Yosys 0.23 crashes while starting below ~16 MiB). */
const MIN_YOSYS_MEMORY_MB = 64;

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--design DIR [options]",
  description:
    `Synthesizes the accelerator in DIR (DIR/rtl/*.v, top rnnfab_top, memory images in DIR/mem) with
Yosys 0.23 and writes the resources per module and in total to DIR/synth/resources.json
(resources_ice40.json for --target ice40); logs and scripts go to DIR/synth/<target>/. Prints a
table beside ESE's published XCKU060 figures, and warns when memories that belong in block RAM
or multipliers that belong in DSPs did not get there.`,
  flags: {
    design: { type: "path", required: true, placeholder: "DIR", help: "the design folder" },
    target: {
      type: "enum",
      values: SYNTH_TARGETS,
      default: "xilinx",
      help: "xilinx (UltraScale, the XCKU060's family) or ice40 (UltraPlus)",
    },
    out: { type: "path", help: "report path", defaultText: "DIR/synth/resources.json" },
    "per-pe": {
      type: "bool",
      help: "synthesize one PE and the shared logic, and scale by the PE count (automatic from " +
        `${AUTO_PER_PE_MIN_PES} PEs on; the report says "estimated")`,
    },
    whole: { type: "bool", help: "synthesize the whole design even with many PEs" },
    "pe-module": {
      type: "string",
      placeholder: "NAME",
      help: "the replicated PE module",
      defaultText: "design.json's peModule; a directory without design.json is synthesized whole " +
        "unless it is given",
    },
    timeout: positiveFlag("wall-clock budget of all Yosys runs in seconds", {
      defaultText: "1800",
    }),
    "max-memory-mb": {
      type: "number",
      min: MIN_YOSYS_MEMORY_MB,
      max: Infinity,
      placeholder: "M",
      help: "memory bound of each Yosys process in MiB",
      defaultText: "75% of RAM",
    },
    json: { type: "bool", help: "print the report JSON instead of the table" },
  },
  exclusive: [["per-pe", "whole"]],
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { design, target } = flags;
  const started = performance.now();
  const report = await synthesizeDesign(design, {
    target,
    out: flags.out,
    perPe: flags["per-pe"] ? true : flags.whole ? false : undefined,
    peModule: flags["pe-module"],
    timeoutSeconds: flags.timeout,
    maxMemoryMb: flags["max-memory-mb"],
    log: (line) => console.error(line),
  }).catch((error) => {
    throw optionAsFlag(error, { timeoutSeconds: "--timeout" });
  });
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(formatResourceTable(resourceTable(report, { publishedEse: true })));
  console.log(formatMemoryMapping(report));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${report.methodNote}; report: ${
      flags.out ??
        `${design}/synth/${target === "xilinx" ? "resources.json" : "resources_ice40.json"}`
    } (${seconds} s)`,
  );
});
