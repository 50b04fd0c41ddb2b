/**
 * `deno task bench:cpu`: the measured host-CPU ratio of the generated BCR kernel to ONNX Runtime
 * (dense) on the ESE-shaped model (153 inputs, 1024 cells, 512 projection, peepholes) BCR-pruned
 * to about 10% density. Prints the figures and writes bench/results/cpu.json. The headline uses
 * 128x128 blocks; the same measurement at other block shapes (the pruner's 16x16 default among
 * them) is printed and written next to it, so the effect of the block shape is visible.
 *
 * Both sides run single-threaded on the same weights and the same input sequence, in
 * alternating rounds of one process (see `host_cpu.ts`); outputs are checked against the float64
 * reference. Our target: at least 5x.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { parseFlags, runCommand } from "../cli/common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadAnyModel } from "../model/load.ts";
import { weightDensity } from "../model/model.ts";
import { type BlockSize, formatBlock, parseBlock, pruneModelBcr } from "../prune/mod.ts";
import { randomInputs } from "../model/random.ts";
import { measureHostCpu } from "./host_cpu.ts";
import { formatNumber } from "./markdown.ts";

const NAME = "deno task bench:cpu";
const USAGE = `[--model M] [--density D] [--block RxC] [--sweep-blocks LIST] [--out FILE]

Measures the generated BCR C kernel against ONNX Runtime (dense) on the host CPU, 1 thread each,
and writes the ratio to bench/results/cpu.json.

  --model M            model (default examples/ese_lstmp.json, the ESE-shaped LSTMP)
  --density D          BCR density (default 0.1)
  --block RxC          block shape of the headline figure (default 128x128)
  --sweep-blocks LIST  other block shapes measured too (default 16x16,64x64,256x256; "" for none)
  --steps T            sequence length (default 16)
  --rounds N           alternating rounds (default 5)
  --repeats N          timed runs per round and side (default 7)
  --out FILE           result file (default bench/results/cpu.json)`;

/** The speed-up we aim for. */
export const TARGET_SPEEDUP = 5;

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");

/** One block shape's measurement. */
interface BlockMeasurement {
  block: string;
  density: number;
  ortMedianUsPerFrame: number;
  bcrMedianUsPerFrame: number;
  denseCMedianUsPerFrame: number;
  speedupBcrVsOrt: number;
  ortMaxAbsError: number;
  bcrMaxAbsError: number;
}

function parseBlocks(text: string): BlockSize[] {
  if (text.trim() === "") return [];
  return text.split(",").map((part) => {
    const block = parseBlock(part.trim());
    if (!block) throw new UserError(`${NAME}: --sweep-blocks: expected RxC, got ${part}`);
    return block;
  });
}

function parsePositive(value: string | boolean | undefined, flag: string, fallback: number) {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (typeof value !== "string" || !(number > 0) || !Number.isFinite(number)) {
    throw new UserError(`${NAME}: --${flag}: expected a positive number, got ${value}`);
  }
  return number;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      model: { type: "string" },
      density: { type: "string" },
      block: { type: "string" },
      "sweep-blocks": { type: "string" },
      steps: { type: "string" },
      rounds: { type: "string" },
      repeats: { type: "string" },
      out: { type: "string" },
    },
  });
  const modelPath = typeof flags.model === "string"
    ? flags.model
    : join(ROOT, "examples", "ese_lstmp.json");
  const density = parsePositive(flags.density, "density", 0.1);
  if (density > 1) throw new UserError(`${NAME}: --density: expected at most 1, got ${density}`);
  const headline = parseBlocks(typeof flags.block === "string" ? flags.block : "128x128");
  if (headline.length !== 1) throw new UserError(`${NAME}: --block: expected one RxC`);
  const others = parseBlocks(
    typeof flags["sweep-blocks"] === "string" ? flags["sweep-blocks"] : "16x16,64x64,256x256",
  );
  const steps = Math.round(parsePositive(flags.steps, "steps", 16));
  const rounds = Math.round(parsePositive(flags.rounds, "rounds", 5));
  const repeats = Math.round(parsePositive(flags.repeats, "repeats", 7));
  const outPath = typeof flags.out === "string"
    ? flags.out
    : join(ROOT, "bench", "results", "cpu.json");

  const base = await loadAnyModel(modelPath);
  const inputs = randomInputs(steps, base.inputSize, 1);
  const workDir = await Deno.makeTempDir({ prefix: "rnnfab-bench-cpu-" });
  const measurements: BlockMeasurement[] = [];
  let cpu = "";
  let compiler = "";
  try {
    for (const block of [headline[0], ...others]) {
      const model = pruneModelBcr(base, { block, rates: { density } }).model;
      const result = await measureHostCpu(model, {
        inputs,
        workDir: join(workDir, formatBlock(block)),
        rounds,
        repeatsPerRound: repeats,
      });
      cpu = result.cpu;
      compiler = result.compiler;
      if (!result.ort.agreesWithFloat || !result.bcr.agreesWithFloat) {
        throw new Error(
          `${formatBlock(block)}: outputs disagree with the float reference (ORT ` +
            `${result.ort.errorVsFloat.maxAbsError}, BCR ${result.bcr.errorVsFloat.maxAbsError})`,
        );
      }
      const measurement: BlockMeasurement = {
        block: formatBlock(block),
        density: weightDensity(model),
        ortMedianUsPerFrame: result.ort.usPerFrame,
        bcrMedianUsPerFrame: result.bcr.usPerFrame,
        denseCMedianUsPerFrame: result.denseC.usPerFrame,
        speedupBcrVsOrt: result.speedupBcrVsOrt,
        ortMaxAbsError: result.ort.errorVsFloat.maxAbsError,
        bcrMaxAbsError: result.bcr.errorVsFloat.maxAbsError,
      };
      measurements.push(measurement);
      console.log(
        `block ${measurement.block.padEnd(9)} density ${measurement.density.toFixed(4)}: ` +
          `ORT dense ${formatNumber(measurement.ortMedianUsPerFrame)} us/frame, ` +
          `BCR kernel ${formatNumber(measurement.bcrMedianUsPerFrame)} us/frame, ` +
          `C dense ${formatNumber(measurement.denseCMedianUsPerFrame)} us/frame: ` +
          `${formatNumber(measurement.speedupBcrVsOrt)}x`,
      );
    }
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
  const main = measurements[0];
  const result = {
    provenance: "measured",
    what: "host-CPU time per frame (one LSTM step, batch 1) of the generated BCR C kernel " +
      "against ONNX Runtime running the same pruned weights densely; medians",
    model: relative(ROOT, resolve(modelPath)),
    cpu,
    compiler,
    threads: { ort: "1 intra-op, 1 inter-op", kernel: 1 },
    steps,
    rounds,
    repeatsPerRound: repeats,
    block: main.block,
    colShare: 0.5,
    density: main.density,
    ortMedianUsPerFrame: main.ortMedianUsPerFrame,
    bcrMedianUsPerFrame: main.bcrMedianUsPerFrame,
    denseCMedianUsPerFrame: main.denseCMedianUsPerFrame,
    speedupBcrVsOrt: main.speedupBcrVsOrt,
    targetSpeedup: TARGET_SPEEDUP,
    meetsTarget: main.speedupBcrVsOrt >= TARGET_SPEEDUP,
    maxAbsErrorVsFloat: { ort: main.ortMaxAbsError, bcr: main.bcrMaxAbsError },
    otherBlocks: measurements.slice(1),
    measuredAt: new Date().toISOString(),
  };
  await writeJsonAtomic(outPath, result);
  console.log(
    `speedupBcrVsOrt ${formatNumber(result.speedupBcrVsOrt)}x at density ` +
      `${result.density.toFixed(4)} (block ${result.block}; target ${TARGET_SPEEDUP}x: ` +
      `${result.meetsTarget ? "met" : "NOT met"}); wrote ${outPath}`,
  );
});
