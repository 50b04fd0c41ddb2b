/**
 * `deno task bench:timing [--only IDS] [--target T] [--freq MHZ] [--seed S] [--work-dir DIR]
 * [--out FILE]`: generate the benchmark designs (bench/timing.ts), place and route each on the
 * ECP5-85F and write bench/results/timing.json: Fmax, critical path, utilization and
 * microseconds per frame at the achieved clock. Takes long (tens of minutes per design on a
 * small machine); a benchmark, not a test.
 *
 * @module
 */

import { resolve } from "node:path";
import { parseFlags, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import {
  formatTimingBench,
  runTimingBench,
  TIMING_BENCH_DESIGNS,
  writeTimingBench,
} from "../bench/timing.ts";
import { PNR_TARGET_IDS } from "../synth/pnr/targets.ts";

const NAME = "deno task bench:timing";
const IDS = TIMING_BENCH_DESIGNS.map((design) => design.id);
const USAGE =
  `[--only IDS] [--target T] [--freq MHZ] [--seed S] [--work-dir DIR] [--out FILE] [--reuse]

Generates, places and routes the timing benchmark's designs and writes FILE (default
bench/results/timing.json): achieved Fmax, critical path (RTL instances), utilization, and
microseconds per frame at the achieved clock. See docs/timing.md.

  --only IDS       comma-separated subset of ${IDS.join(", ")}
  --target T       ${PNR_TARGET_IDS.join(", ")} (default ecp5-85k)
  --freq MHZ       clock target of nextpnr (default 200)
  --seed S         placer seed (default 1)
  --timeout S      wall-clock limit of each tool in seconds (default 7200)
  --work-dir DIR   where designs are generated (default out/bench-timing)
  --out FILE       results (default bench/results/timing.json)
  --reuse          keep a design's earlier place and route when its RTL is unchanged`;

function positive(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !(number > 0) || !isFinite(number)) {
    throw new UserError(`${NAME}: --${flag}: expected a positive number, got ${value}`);
  }
  return number;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      only: { type: "string" },
      target: { type: "string", default: "ecp5-85k" },
      freq: { type: "string" },
      seed: { type: "string" },
      timeout: { type: "string" },
      "work-dir": { type: "string", default: "out/bench-timing" },
      out: { type: "string", default: "bench/results/timing.json" },
      reuse: { type: "boolean" },
    },
  });
  const only = typeof flags.only === "string" ? flags.only.split(",").map((id) => id.trim()) : IDS;
  for (const id of only) {
    if (!IDS.includes(id)) {
      throw new UserError(`${NAME}: --only: expected ${IDS.join(", ")}, got ${id}`);
    }
  }
  const target = String(flags.target);
  if (!PNR_TARGET_IDS.includes(target)) {
    throw new UserError(`${NAME}: --target: expected ${PNR_TARGET_IDS.join(", ")}, got ${target}`);
  }
  const seed = positive(flags.seed, "seed");
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new UserError(`${NAME}: --seed: expected a positive integer, got ${flags.seed}`);
  }
  const results = await runTimingBench({
    designs: TIMING_BENCH_DESIGNS.filter((design) => only.includes(design.id)),
    workDir: resolve(String(flags["work-dir"])),
    target,
    freqMhz: positive(flags.freq, "freq"),
    seed,
    timeoutSeconds: positive(flags.timeout, "timeout"),
    reuse: flags.reuse === true,
    log: (line) => console.error(`bench:timing: ${line}`),
  });
  await writeTimingBench(String(flags.out), results);
  for (const line of formatTimingBench(results)) console.log(line);
  console.log(`wrote ${flags.out}`);
});
