/**
 * `deno task bench:fidelity [--only NAMES] [--densities LIST] [--out FILE] [--work DIR]`: accuracy of
 * the trained examples after pruning, one-shot and fine-tuned (bench/fidelity.ts, docs/finetune.md).
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { exampleBenchFlags, mergeWhenAsked, selectExamples } from "./example_bench.ts";
import { FIDELITY_EXAMPLES, mergeFidelityReports, runFidelityBench } from "../bench/fidelity.ts";

const NAME = "deno task bench:fidelity";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "[--only NAME,...] [--densities LIST] [--out FILE] [--work DIR] [--merge A,B]",
  description:
    `Test accuracy (float and fixed point) of the trained examples after pruning by magnitude, the
calibrated BCR search (with and without the least-squares refit), BCR + masked fine-tuning and
BCR + ADMM, at each density; writes bench/results/fidelity.json and fidelity.md (docs/finetune.md).`,
  flags: exampleBenchFlags({
    examples: FIDELITY_EXAMPLES,
    densities: { default: [0.5, 0.25, 0.1, 0.05], text: "0.5,0.25,0.1,0.05" },
    resultFile: "fidelity.json",
    work: { dir: "fidelity", help: "where the data and the pruned models go" },
  }),
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  if (await mergeWhenAsked(flags, mergeFidelityReports)) return;
  const examples = selectExamples(NAME, flags.only, FIDELITY_EXAMPLES);
  const { densities, out, work } = flags;
  const markdown = await runFidelityBench({ examples, densities: [...densities], out, work });
  console.log(markdown);
  console.log(`wrote ${out}`);
});
