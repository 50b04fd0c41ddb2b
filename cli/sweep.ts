/**
 * `deno task sweep --spec S.json --out DIR [--jobs N] [--engine local|ray] [--address A]`:
 * design-space exploration (docs/sweep.md). Every point of the spec's axes is estimated with the
 * cycle model; the points that can reach the Pareto front run to the spec's depth (synthesis,
 * simulation, place and route). Writes DIR/jobs/<hash>.json (one content-addressed result per
 * point: a rerun reuses it, a killed sweep resumes), DIR/results.jsonl, DIR/pareto.json and
 * DIR/sweep.html.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { UserError } from "../util/errors.ts";
import { readJsonFile } from "../util/read.ts";
import { MAX_CONFIG_BYTES } from "../util/limits.ts";
import { guardPaths } from "../util/output.ts";
import { modelInputPaths } from "../model/load.ts";
import { formatNumber } from "../bench/markdown.ts";
import { parseSweepSpec, runSweep } from "../sweep/mod.ts";

const NAME = "deno task sweep";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--spec S.json --out DIR [--jobs N] [--engine local|ray] [--address A]",
  description:
    `Sweeps the design space the spec S describes (docs/sweep.md): every point is estimated with the
cycle model, the points that can reach the Pareto front run to the spec's depth. Results are
content-addressed (DIR/jobs/<hash>.json): a rerun reuses them and a killed sweep resumes. Writes
DIR/results.jsonl, DIR/pareto.json and DIR/sweep.html (the fronts and a sortable table).`,
  flags: {
    spec: { type: "path", required: true, placeholder: "S", help: "the sweep spec (JSON)" },
    out: { type: "path", required: true, placeholder: "DIR", help: "the sweep's output folder" },
    jobs: {
      type: "int",
      min: 1,
      max: 1024,
      default: 2,
      placeholder: "N",
      help: "jobs at once (local), or CPUs of the local Ray instance (ray)",
    },
    engine: {
      type: "enum",
      values: ["local", "ray"],
      default: "local",
      help: "local: in this process; ray: one Ray task per point (python/rnnfab/sweep_ray.py)",
    },
    address: {
      type: "string",
      placeholder: "A",
      help: "ray: address of a running cluster (default: start a local instance)",
    },
    verbose: { type: "bool", help: "print the tools' progress lines too" },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  if (flags.address !== undefined && flags.engine !== "ray") {
    throw new UserError(`${NAME}: --address needs --engine ray`);
  }
  const value = await readJsonFile(flags.spec, "sweep spec", MAX_CONFIG_BYTES);
  const spec = parseSweepSpec(value, flags.spec, dirname(resolve(flags.spec)));
  await guardPaths({
    command: NAME,
    inputs: [
      { path: flags.spec, flag: "--spec" },
      ...await modelInputPaths(spec.modelPath, "spec's model"),
    ],
    outputs: [{ path: flags.out, flag: "--out", kind: "dir" }],
  });
  const summary = await runSweep({
    spec,
    outDir: flags.out,
    jobs: flags.jobs,
    engine: flags.engine,
    address: flags.address,
    log: (line) => console.error(line),
    toolLog: flags.verbose ? (line) => console.error(`  ${line}`) : undefined,
  });
  console.log(
    `sweep: ${summary.points} points, ${summary.candidates} front candidates run to ` +
      `${spec.stages.join(" + ")}; ${summary.computed} jobs computed, ${summary.cached} cached, ` +
      `${summary.failed} failed, ${summary.seconds.toFixed(1)} s (measured)`,
  );
  const front = summary.fronts[0];
  const byHash = new Map(summary.rows.map((row) => [row.hash, row]));
  console.log(`Pareto front (${front.keys.join(", ")}): ${front.hashes.length} points`);
  for (const hash of front.hashes) {
    const row = byHash.get(hash)!;
    const point = Object.entries(row.point).map(([k, v]) => `${k}=${v}`).join(" ");
    const figures = front.keys.map((key) => {
      const f = row.figures[key as keyof typeof row.figures];
      return `${key} ${formatNumber(f.value, 4)} (${f.provenance})`;
    });
    console.log(`  ${hash.slice(0, 10)} ${point}: ${figures.join(", ")}`);
  }
  console.log(`wrote ${flags.out}/results.jsonl, pareto.json, sweep.html`);
});
