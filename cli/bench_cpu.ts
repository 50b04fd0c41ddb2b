/**
 * `deno task bench:cpu`: the measured host-CPU ratio of the generated BCR kernel to ONNX Runtime
 * (dense) on the ESE-shaped model (153 inputs, 1024 cells, 512 projection, peepholes) BCR-pruned
 * to about 10% density. Prints the figures and writes bench/results/cpu.json. The headline uses
 * 128x128 blocks; the same measurement at other block shapes (the pruner's 16x16 default among
 * them) is printed and written next to it, so the effect of the block shape is visible.
 *
 * The measurement is `runCpuBench` (bench/cpu.ts); our target: at least 5x.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { parseFlags, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadAnyModel } from "../model/load.ts";
import { type BlockSize, parseBlock } from "../prune/prune.ts";
import { runCpuBench, TARGET_SPEEDUP } from "../bench/cpu.ts";
import { formatNumber } from "../bench/markdown.ts";

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

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");

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

  const workDir = await Deno.makeTempDir({ prefix: "rnnfab-bench-cpu-" });
  let result;
  try {
    result = await runCpuBench({
      model: await loadAnyModel(modelPath),
      modelPath,
      root: ROOT,
      density,
      blocks: [headline[0], ...others],
      steps,
      rounds,
      repeats,
      workDir,
      log: (line) => console.log(line),
    });
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
  await writeJsonAtomic(outPath, result);
  console.log(
    `speedupBcrVsOrt ${formatNumber(result.speedupBcrVsOrt)}x at density ` +
      `${result.density.toFixed(4)} (block ${result.block}; target ${TARGET_SPEEDUP}x: ` +
      `${result.meetsTarget ? "met" : "NOT met"}); wrote ${outPath}`,
  );
});
