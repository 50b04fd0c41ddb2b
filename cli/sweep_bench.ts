/**
 * `deno task bench:sweep [--no-ray] [--work-dir DIR] [--out FILE]`: the sweep benchmark
 * (sweep/bench.ts): a 24-point sweep of the ESE-shaped model with 1 and 2 local jobs and on Ray
 * with 2 workers, then a rerun; prints measured points per minute, the rerun time and the front.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { formatNumber } from "../bench/markdown.ts";
import { runSweepBench } from "../sweep/bench.ts";

const COMMAND = defineCommand({
  name: "deno task bench:sweep",
  synopsis: "[--no-ray] [--work-dir DIR] [--out FILE]",
  description: `Runs a 24-point sweep (density x PEs x format) of examples/ese_lstmp.json with the
local engine at 1 and 2 jobs and on a local Ray instance with 2 workers, then reruns it (every
point cached); writes FILE (default bench/results/sweep.json).`,
  flags: {
    "no-ray": { type: "bool", help: "skip the Ray run" },
    "work-dir": {
      type: "path",
      default: "out/bench-sweep",
      placeholder: "DIR",
      help: "sweep folders",
    },
    out: { type: "path", default: "bench/results/sweep.json", help: "results file" },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const report = await runSweepBench({
    workDir: flags["work-dir"],
    out: flags.out,
    ray: !flags["no-ray"],
    log: (line) => console.error(line),
  });
  console.log(`sweep benchmark (${report.cpus} CPUs on this host, measured wall times):`);
  for (const run of report.runs) {
    console.log(
      `  ${run.name}: ${run.seconds.toFixed(1)} s, ${run.pointsPerMinute.toFixed(1)} points/min ` +
        `(${run.computed} computed, ${run.cached} cached)`,
    );
  }
  console.log(`front (usPerFrame at the assumed clock, fidelity error; computed):`);
  for (const point of report.front) {
    console.log(
      `  ${Object.entries(point.point).map(([k, v]) => `${k}=${v}`).join(" ")}: ` +
        `${formatNumber(point.usPerFrame)} us, error ${formatNumber(point.fidelityError)}`,
    );
  }
  console.log(`wrote ${flags.out}`);
});
