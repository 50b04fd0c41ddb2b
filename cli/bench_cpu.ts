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
import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { blockFlag, fractionFlag, stepsFlag } from "./shared_flags.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import { guardPaths } from "../util/output.ts";
import { type BlockSize, parseBlock } from "../prune/mod.ts";
import { runCpuBench, TARGET_SPEEDUP } from "../bench/cpu.ts";
import { formatNumber } from "../bench/markdown.ts";

const NAME = "deno task bench:cpu";
const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");

/** A comma-separated list of block shapes ("" for none). */
function blockList(text: string): BlockSize[] | undefined {
  if (text.trim() === "") return [];
  const blocks = text.split(",").map((part) => parseBlock(part.trim()));
  return blocks.every((block) => block !== null) ? blocks as BlockSize[] : undefined;
}

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "[--model M] [--density D] [--block RxC] [--sweep-blocks LIST] [--out FILE]",
  description:
    `Measures the generated BCR C kernel against ONNX Runtime (dense) on the host CPU, 1 thread each,
and writes the ratio to bench/results/cpu.json.`,
  flags: {
    model: {
      type: "path",
      placeholder: "M",
      default: join(ROOT, "examples", "ese_lstmp.json"),
      defaultText: "examples/ese_lstmp.json, the ESE-shaped LSTMP",
      help: "model",
    },
    density: fractionFlag("BCR density", { placeholder: "D", default: 0.1 }),
    block: blockFlag({
      allowAll: true,
      help: "block shape of the headline figure",
      default: { rows: 128, cols: 128 },
      defaultText: "128x128",
    }),
    "sweep-blocks": {
      type: "custom",
      placeholder: "LIST",
      expected: 'comma-separated RxC block shapes, or "" for none',
      parse: blockList,
      default: blockList("16x16,64x64,256x256")!,
      defaultText: "16x16,64x64,256x256",
      help: "other block shapes measured too",
    },
    steps: stepsFlag({ help: "sequence length", default: 16 }),
    rounds: { type: "int", min: 1, max: 1000, default: 5, help: "alternating rounds" },
    repeats: { type: "int", min: 1, max: 1000, default: 7, help: "timed runs per round and side" },
    out: {
      type: "path",
      placeholder: "FILE",
      default: join(ROOT, "bench", "results", "cpu.json"),
      defaultText: "bench/results/cpu.json",
      help: "result file",
    },
  },
});

await runCommand(async () => {
  const { model: modelPath, density, block, steps, rounds, repeats, out: outPath, ...flags } =
    parseCommand(COMMAND);
  const others = flags["sweep-blocks"];
  await guardPaths({
    command: COMMAND.name,
    inputs: await modelInputPaths(modelPath),
    outputs: [{ path: outPath, flag: "--out", kind: "file" }],
  });

  const workDir = await Deno.makeTempDir({ prefix: "rnnfab-bench-cpu-" });
  let result;
  try {
    result = await runCpuBench({
      model: await loadAnyModel(modelPath),
      modelPath,
      root: ROOT,
      density,
      blocks: [block, ...others],
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
