/**
 * `deno task bench:ese`: the ESE-shaped LSTM BCR-pruned with PE balance to about 11% density,
 * generated for 32 PEs at 200 MHz and simulated with Verilator over a few frames, in both weight
 * formats (`runEseBench`, bench/ese.ts). Prints the figures and writes bench/results/ese.json.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import {
  benchOutputFlags,
  blockFlag,
  fractionFlag,
  limitFlag,
  pesFlag,
  positiveFlag,
  wordsFlag,
} from "./shared_flags.ts";
import { MAX_SIMULATION_STEPS } from "../sim/limits.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { runEseBench } from "../bench/ese.ts";
import {
  parseScalingConfigs,
  runEseScaling,
  type ScalingConfig,
  scalingSummary,
} from "../bench/ese_scaling.ts";
import { loadModel } from "../model/model_io.ts";
import { ENCODING_FORMATS } from "../encode/manifest.ts";

const NAME = "deno task bench:ese";

/** A words flag that also takes "none" (no word). */
function noneOr<F extends { parse: (text: string) => unknown[] | undefined }>(flag: F): F {
  return { ...flag, parse: (text: string) => text.trim() === "none" ? [] : flag.parse(text) };
}

const DEFAULT_SCALING: ScalingConfig[] = parseScalingConfigs(
  "32x1,32x4,32x8,32x16,64x4,64x8,128x4,128x8,256x8",
)!;

const COMMAND = defineCommand({
  name: NAME,
  synopsis: `[--steps T] [--formats ese,bcr] [--density D] [--block RxC] [--pes N]
       [--scaling NxL,...] [--simulate-max-pes N] [--skip-synth] [--jobs J]
       [--clock-mhz F] [--work-dir DIR] [--reuse-build] [--out FILE]`,
  description:
    `Generates and simulates the ESE-shaped LSTMP (examples/ese_lstmp.json) and writes FILE
(default bench/results/ese.json).`,
  flags: {
    steps: limitFlag({ min: 2, max: MAX_SIMULATION_STEPS }, "frames (time steps) simulated", {
      placeholder: "T",
      default: 4,
    }),
    formats: noneOr(wordsFlag(ENCODING_FORMATS, {
      expected: "ese and/or bcr, comma-separated, or none",
      help: "weight formats to run",
    })),
    density: fractionFlag("BCR pruning density with PE balance", {
      placeholder: "D",
      default: 0.11,
    }),
    block: blockFlag({
      allowAll: true,
      help: "BCR block",
      default: { rows: 16, cols: 16 },
      defaultText: "16x16",
    }),
    pes: pesFlag({ default: 32 }),
    scaling: {
      type: "custom",
      placeholder: "LIST",
      expected: "PEs x lanes pairs such as 32x1,64x4 (lanes 1, 2, 4, ..., 64), optionally with " +
        "the broadcast width (64x8w4), b and the batch (32x4b4) and m for the cycle model only " +
        "(32x4m), comma-separated",
      parse: parseScalingConfigs,
      default: DEFAULT_SCALING,
      defaultText: "32x1,32x4,32x8,32x16,64x4,64x8,128x4,128x8,256x8",
      help: "bcr scaling table: PEs x MAC lanes (w: columns per broadcast beat, default gen's; " +
        "b: batch) " +
        "each pruned lane-aware ('none' to skip)",
    },
    "simulate-max-pes": limitFlag(
      { min: 0, max: 1024 },
      "scaling: simulate with Verilator up " +
        "to this many PEs (larger: the exact cycle model)",
      { placeholder: "N", default: 128 },
    ),
    jobs: limitFlag(
      { min: 1, max: 16 },
      "scaling configurations run at a time; above 1 the format runs go beside them",
      { placeholder: "J", default: 1 },
    ),
    "skip-synth": {
      type: "bool",
      help: "scaling: leave out the Yosys per-PE resource estimate",
    },
    "clock-mhz": positiveFlag("clock for the microsecond figures (as ESE)", {
      placeholder: "F",
      default: 200,
    }),
    ...benchOutputFlags({
      workDir: "out/bench-ese",
      workHelp: "where designs are generated",
      out: "bench/results/ese.json",
    }),
    "reuse-build": {
      type: "bool",
      help: "keep the Verilator builds of an earlier run (default: build afresh, so that the " +
        "build time is measured)",
    },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { steps, formats, density, block, pes } = flags;
  const clockMhz = flags["clock-mhz"];
  const workDir = resolve(flags["work-dir"]);
  await Deno.mkdir(workDir, { recursive: true });
  const cacheDir = join(workDir, "cache");
  if (!flags["reuse-build"]) await Deno.remove(cacheDir, { recursive: true }).catch(() => {});

  const jobs = flags.jobs;
  const formatsRun = runEseBench({
    steps,
    formats,
    density,
    block,
    pes,
    clockMhz,
    workDir,
    cacheDir,
    log: (line) => console.log(line),
  });
  // one job at a time: the formats first, then the scaling table
  if (jobs === 1) await formatsRun;
  const modelPath = new URL("../examples/ese_lstmp.json", import.meta.url).pathname;
  const scalingRun = flags.scaling.length === 0 ? Promise.resolve(null) : runEseScaling({
    dense: await loadModel(modelPath),
    configs: flags.scaling,
    density,
    block,
    clockMhz,
    steps,
    simulateMaxPes: flags["simulate-max-pes"],
    synth: !flags["skip-synth"],
    workDir,
    cacheDir,
    log: (line) => console.log(line),
    jobs,
    // the rows finished so far, written as they finish (complete: false until the end)
    onRows: (rows) =>
      writeJsonAtomic(flags.out, {
        complete: false,
        scaling: scalingSummary(rows, { clockMhz }),
      }),
  });
  const [output, scaling] = await Promise.all([formatsRun, scalingRun]);
  if (scaling?.headline) {
    const h = scaling.headline;
    console.log(
      `\nheadline (fastest${h.fitsXcku060 ? " within the XCKU060 budget" : ""}): ${h.pes} PEs x ` +
        `${h.lanes} lanes (broadcast ${h.broadcast}), ${
          h.usPerFrame.toFixed(2)
        } us/frame (target <= 5: ${h.meetsUsTarget ? "met" : "NOT met"}), ${
          h.effectiveGops.toFixed(1)
        } GOP/s, ${h.bitsPerNonZero?.toFixed(2)} bits/non-zero`,
    );
  }
  if (scaling?.throughputHeadline) {
    const t = scaling.throughputHeadline;
    console.log(
      `throughput headline (most GOP/s within the XCKU060 budget): ${t.pes} PEs x ${t.lanes} ` +
        `lanes, batch ${t.batch}, ${t.effectiveGops.toFixed(1)} GOP/s (target >= 282: ${
          t.meetsGopsTarget ? "met" : "NOT met"
        })`,
    );
  }
  const outPath = flags.out;
  await writeJsonAtomic(outPath, { ...output, scaling });
  console.log(`\nwrote ${outPath}`);
  if (output.formats.some((r) => !r.bitExact) || scaling?.rows.some((r) => r.bitExact === false)) {
    console.error("error: a design was not bit-exact (see the result above)");
    Deno.exit(1);
  }
});
