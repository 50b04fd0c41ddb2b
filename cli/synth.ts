/**
 * `deno task synth --design DIR [--target xilinx|ice40] [--out FILE] [--per-pe | --whole]
 * [--pe-module NAME] [--timeout S] [--max-memory-mb M]`: synthesize a generated accelerator with
 * Yosys and write its resource report (LUTs, FFs, block RAMs, DSPs, logic cells) to
 * DIR/synth/resources.json.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { optionAsFlag, UserError } from "../util/errors.ts";
import { SYNTH_TARGETS, type SynthTarget } from "../synth/cells.ts";
import { AUTO_PER_PE_MIN_PES, synthesizeDesign } from "../synth/flow.ts";
import { formatMemoryMapping, formatResourceTable, resourceTable } from "../synth/table.ts";

const NAME = "deno task synth";
const USAGE = `--design DIR [options]

Synthesizes the accelerator in DIR (DIR/rtl/*.v, top rnnfab_top, memory images in DIR/mem) with
Yosys 0.23 and writes the resources per module and in total to DIR/synth/resources.json
(resources_ice40.json for --target ice40); logs and scripts go to DIR/synth/<target>/. Prints a
table beside ESE's published XCKU060 figures, and warns when memories that belong in block RAM
or multipliers that belong in DSPs did not get there.

  --target T           xilinx (default: UltraScale, the XCKU060's family) or ice40 (UltraPlus)
  --out FILE           report path (default DIR/synth/resources.json)
  --per-pe             synthesize one PE and the shared logic, and scale by the PE count
                       (automatic from ${AUTO_PER_PE_MIN_PES} PEs on; the report says "estimated")
  --whole              synthesize the whole design even with many PEs
  --pe-module NAME     the replicated PE module (default: design.json's peModule; a directory
                       without design.json is synthesized whole unless it is given)
  --timeout S          wall-clock budget of all Yosys runs in seconds (default 1800)
  --max-memory-mb M    memory bound of each Yosys process in MiB (default 75% of RAM)
  --json               print the report JSON instead of the table`;

function positiveNumber(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(number) || number <= 0) {
    throw new UserError(`${NAME}: --${flag}: expected a positive number, got ${value}`);
  }
  return number;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      design: { type: "string" },
      target: { type: "string", default: "xilinx" },
      out: { type: "string" },
      "per-pe": { type: "boolean" },
      whole: { type: "boolean" },
      "pe-module": { type: "string" },
      timeout: { type: "string" },
      "max-memory-mb": { type: "string" },
      json: { type: "boolean" },
    },
  });
  const design = requireFlag(flags, "design", NAME);
  const target = flags.target as SynthTarget;
  if (!SYNTH_TARGETS.includes(target)) {
    throw new UserError(`${NAME}: --target: expected ${SYNTH_TARGETS.join(" or ")}, got ${target}`);
  }
  if (flags["per-pe"] && flags.whole) {
    throw new UserError(`${NAME}: give either --per-pe or --whole, not both`);
  }
  const started = performance.now();
  const report = await synthesizeDesign(design, {
    target,
    out: typeof flags.out === "string" ? flags.out : undefined,
    perPe: flags["per-pe"] ? true : flags.whole ? false : undefined,
    peModule: typeof flags["pe-module"] === "string" ? flags["pe-module"] : undefined,
    timeoutSeconds: positiveNumber(flags.timeout, "timeout"),
    maxMemoryMb: positiveNumber(flags["max-memory-mb"], "max-memory-mb"),
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
      typeof flags.out === "string"
        ? flags.out
        : `${design}/synth/${target === "xilinx" ? "resources.json" : "resources_ice40.json"}`
    } (${seconds} s)`,
  );
});
