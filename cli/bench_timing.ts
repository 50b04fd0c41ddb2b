/**
 * `deno task bench:timing [--only IDS] [--target T] [--freq MHZ] [--seed S] [--work-dir DIR]
 * [--out FILE]`: generate the benchmark designs (bench/timing.ts), place and route each on the
 * ECP5-85F and write bench/results/timing.json: Fmax, critical path, utilization and
 * microseconds per frame at the achieved clock. Takes long (tens of minutes per design on a
 * small machine); a benchmark, not a test.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { pnrRunFlags } from "./shared_flags.ts";
import { UserError } from "../util/errors.ts";
import {
  formatTimingBench,
  mergeTimingBench,
  readTimingBench,
  runTimingBench,
  TIMING_BENCH_DESIGNS,
  writeTimingBench,
} from "../bench/timing.ts";
import { PNR_TARGET_IDS } from "../synth/pnr/targets.ts";

const NAME = "deno task bench:timing";
const IDS = TIMING_BENCH_DESIGNS.map((design) => design.id);

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "[--only IDS] [--target T] [--freq MHZ] [--seed S | --seeds S,...] [--jobs N] " +
    "[--ports registered|direct] [--work-dir DIR] [--out FILE] [--merge] [--reuse] [--note TEXT]",
  description: `Generates, places and routes the timing benchmark's designs and writes FILE (default
bench/results/timing.json): achieved Fmax, critical path (RTL instances), utilization, and
microseconds per frame at the achieved clock. Takes tens of minutes per design on a small
machine. See docs/timing.md.`,
  flags: {
    only: {
      type: "custom",
      expected: `comma-separated ids of ${IDS.join(", ")}`,
      placeholder: "IDS",
      parse: (text: string) => {
        const ids = text.split(",").map((id) => id.trim());
        return ids.every((id) => IDS.includes(id)) ? ids : undefined;
      },
      help: "run only these designs",
      defaultText: "all",
    },
    target: { type: "enum", values: PNR_TARGET_IDS, default: "ecp5-85k", help: "the part" },
    ...pnrRunFlags(),
    "work-dir": {
      type: "path",
      default: "out/bench-timing",
      placeholder: "DIR",
      help: "where designs are generated",
    },
    out: { type: "path", default: "bench/results/timing.json", help: "results file" },
    seeds: {
      type: "custom",
      expected: "comma-separated placer seeds (positive integers)",
      placeholder: "S[,S...]",
      parse: (text: string) => {
        const seeds = text.split(",").map((seed) => Number(seed.trim()));
        return seeds.length > 0 && seeds.every((seed) => Number.isInteger(seed) && seed > 0)
          ? seeds
          : undefined;
      },
      help: "place and route each design once per seed; the best seed's Fmax is the entry's, " +
        "with the median and spread beside it (overrides --seed)",
      defaultText: "--seed",
    },
    jobs: {
      type: "int",
      min: 1,
      max: 16,
      default: 1,
      help: "runs at once (each nextpnr run takes one core)",
    },
    merge: {
      type: "bool",
      help: "keep FILE's entries of the designs not run (each entry's runAt says when it ran)",
    },
    reuse: {
      type: "bool",
      help: "keep a seed's earlier place and route when the current code generates the same " +
        "RTL and memory images for it (else place and route it again)",
    },
    note: {
      type: "string",
      placeholder: "TEXT",
      help: "a note kept with each entry of this run (what the RTL is, how the runs were made)",
    },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const only: string[] = flags.only ?? IDS;
  if (only.length === 0) throw new UserError(`${NAME}: --only: expected at least one design`);
  // read the file to merge into first: a bad one stops the benchmark before its long runs
  const earlier = flags.merge && existsSync(flags.out) ? await readTimingBench(flags.out) : null;
  const results = await runTimingBench({
    designs: TIMING_BENCH_DESIGNS.filter((design) => only.includes(design.id)),
    workDir: resolve(flags["work-dir"]),
    target: flags.target,
    freqMhz: flags.freq,
    seeds: flags.seeds ?? [flags.seed ?? 1],
    jobs: flags.jobs,
    ports: flags.ports,
    router: flags.router,
    timeoutSeconds: flags.timeout,
    reuse: flags.reuse,
    note: flags.note,
    log: (line) => console.error(`bench:timing: ${line}`),
  });
  await writeTimingBench(flags.out, earlier ? mergeTimingBench(earlier, results) : results);
  for (const line of formatTimingBench(results)) console.log(line);
  console.log(`wrote ${flags.out}`);
});
