/**
 * `deno task bench:fidelity [--only NAMES] [--densities LIST] [--out FILE] [--work DIR]`: accuracy of
 * the trained examples after pruning, one-shot and fine-tuned (bench/fidelity.ts, docs/finetune.md).
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { UserError } from "../util/errors.ts";
import { FIDELITY_EXAMPLES, mergeFidelityReports, runFidelityBench } from "../bench/fidelity.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NAME = "deno task bench:fidelity";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "[--only NAME,...] [--densities LIST] [--out FILE] [--work DIR] [--merge A,B]",
  description:
    `Test accuracy (float and fixed point) of the trained examples after pruning by magnitude, the
calibrated BCR search (with and without the least-squares refit), BCR + masked fine-tuning and
BCR + ADMM, at each density; writes bench/results/fidelity.json and fidelity.md (docs/finetune.md).`,
  flags: {
    only: {
      type: "string",
      placeholder: "NAMES",
      help: "examples to run, comma-separated",
      defaultText: FIDELITY_EXAMPLES.map((e) => e.name).join(","),
    },
    densities: {
      type: "custom",
      placeholder: "LIST",
      expected: "comma-separated numbers in (0, 1]",
      parse: (text: string) => {
        const values = text.split(",").map(Number);
        return values.every((d) => d > 0 && d <= 1) ? values : undefined;
      },
      default: [0.5, 0.25, 0.1, 0.05],
      defaultText: "0.5,0.25,0.1,0.05",
      help: "target densities",
    },
    out: {
      type: "path",
      placeholder: "FILE",
      default: `${ROOT}bench/results/fidelity.json`,
      defaultText: "bench/results/fidelity.json",
      help: "result file (the Markdown table goes beside it)",
    },
    work: {
      type: "path",
      placeholder: "DIR",
      default: `${ROOT}out/fidelity`,
      defaultText: "out/fidelity",
      help: "where the data and the pruned models go",
    },
    merge: {
      type: "string",
      placeholder: "A,B",
      help: "combine result files of separate runs (e.g. --only runs in parallel) into --out",
    },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  if (flags.merge !== undefined) {
    console.log(await mergeFidelityReports(flags.merge.split(","), flags.out));
    console.log(`wrote ${flags.out}`);
    return;
  }
  const names = flags.only?.split(",");
  const examples = FIDELITY_EXAMPLES.filter((e) => !names || names.includes(e.name));
  if (names && examples.length !== names.length) {
    throw new UserError(
      `${NAME}: --only: expected names among ${FIDELITY_EXAMPLES.map((e) => e.name).join(", ")}`,
    );
  }
  const { densities, out, work } = flags;
  const markdown = await runFidelityBench({ examples, densities: [...densities], out, work });
  console.log(markdown);
  console.log(`wrote ${out}`);
});
