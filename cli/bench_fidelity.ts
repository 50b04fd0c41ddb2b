/**
 * `deno task bench:fidelity [--only NAMES] [--densities LIST] [--out FILE] [--work DIR]
 * [--merge A,B] [--one-shot EARLIER | --selected EARLIER]`: accuracy of
 * the trained examples after pruning, one-shot and fine-tuned (bench/fidelity.ts, docs/finetune.md).
 *
 * @module
 */

import { resolve } from "node:path";
import { parseCommand, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { defineCommand } from "./flags.ts";
import { exampleBenchFlags, mergeWhenAsked, selectExamples } from "./example_bench.ts";
import { FIDELITY_EXAMPLES, mergeFidelityReports, runFidelityBench } from "../bench/fidelity.ts";

const NAME = "deno task bench:fidelity";

const COMMAND = defineCommand({
  name: NAME,
  synopsis:
    "[--only NAME,...] [--densities LIST] [--out FILE] [--work DIR] [--merge A,B] [--one-shot EARLIER | --selected EARLIER]",
  description:
    `Test accuracy (float and fixed point) of the trained examples after pruning by magnitude, the
calibrated BCR search (alone, + the least-squares refit, + the bias correction, the held-out
selected one-shot result), BCR + masked
fine-tuning and BCR + ADMM, at each density; writes bench/results/fidelity.json and fidelity.md
(docs/finetune.md).`,
  flags: {
    ...exampleBenchFlags({
      examples: FIDELITY_EXAMPLES,
      densities: { default: [0.5, 0.25, 0.1, 0.05], text: "0.5,0.25,0.1,0.05" },
      resultFile: "fidelity.json",
      work: { dir: "fidelity", help: "where the data and the pruned models go" },
    }),
    "one-shot": {
      type: "path" as const,
      placeholder: "EARLIER",
      help:
        "run the one-shot columns only; keep the fine-tuned and ADMM columns of this earlier report (its search + refit must be reproduced exactly)",
    },
    selected: {
      type: "path" as const,
      placeholder: "EARLIER",
      help:
        "run the held-out selected one-shot column only (and the search it starts from, which must reproduce this earlier report's exactly); keep every other column of that report",
    },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  if (await mergeWhenAsked(flags, mergeFidelityReports, NAME)) return;
  const examples = selectExamples(NAME, flags.only, FIDELITY_EXAMPLES);
  const { densities, out, work } = flags;
  const { selected } = flags;
  const oneShot = flags["one-shot"];
  if (oneShot !== undefined && selected !== undefined) {
    throw new UserError(`${NAME}: --selected: expected no --one-shot beside it`);
  }
  for (const [flag, path] of [["--one-shot", oneShot], ["--selected", selected]]) {
    if (path !== undefined && resolve(path) === resolve(out)) {
      throw new UserError(`${NAME}: ${flag}: expected a file other than --out (${out})`);
    }
  }
  const markdown = await runFidelityBench({
    examples,
    densities: [...densities],
    out,
    work,
    oneShot,
    selected,
  });
  console.log(markdown);
  console.log(`wrote ${out}`);
});
