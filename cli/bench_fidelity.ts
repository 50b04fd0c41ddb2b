/**
 * `deno task bench:fidelity [--only NAMES] [--densities LIST] [--out FILE] [--work DIR]`: accuracy of
 * the trained examples after pruning, one-shot and fine-tuned (bench/fidelity.ts, docs/finetune.md).
 *
 * @module
 */

import { parseFlags, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { FIDELITY_EXAMPLES, mergeFidelityReports, runFidelityBench } from "../bench/fidelity.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NAME = "deno task bench:fidelity";
const USAGE = `[--only NAME,...] [--densities LIST] [--out FILE] [--work DIR] [--merge A,B]

Test accuracy (float and fixed point) of the trained examples after pruning by magnitude, the
calibrated BCR search, BCR + masked fine-tuning and BCR + ADMM, at each density; writes
bench/results/fidelity.json and fidelity.md (docs/finetune.md).

  --only NAMES      examples to run (default digits_lstm,digits_gru,vowels_lstm)
  --densities LIST  default 0.5,0.25,0.1,0.05
  --out FILE        default bench/results/fidelity.json
  --work DIR        where data and pruned models go (default out/fidelity)
  --merge A,B       combine result files of separate runs (e.g. --only runs in parallel) into --out`;

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      only: { type: "string" },
      densities: { type: "string", default: "0.5,0.25,0.1,0.05" },
      out: { type: "string", default: `${ROOT}bench/results/fidelity.json` },
      work: { type: "string", default: `${ROOT}out/fidelity` },
      merge: { type: "string" },
    },
  });
  if (typeof flags.merge === "string") {
    console.log(await mergeFidelityReports(flags.merge.split(","), String(flags.out)));
    console.log(`wrote ${flags.out}`);
    return;
  }
  const densities = String(flags.densities).split(",").map(Number);
  if (densities.some((d) => !(d > 0 && d <= 1))) {
    throw new UserError(`${NAME}: --densities: expected numbers in (0, 1], got ${flags.densities}`);
  }
  const names = typeof flags.only === "string" ? flags.only.split(",") : undefined;
  const examples = FIDELITY_EXAMPLES.filter((e) => !names || names.includes(e.name));
  if (names && examples.length !== names.length) {
    throw new UserError(
      `${NAME}: --only: expected names among ${FIDELITY_EXAMPLES.map((e) => e.name).join(", ")}`,
    );
  }
  const work = String(flags.work);
  const markdown = await runFidelityBench({ examples, densities, out: String(flags.out), work });
  console.log(markdown);
  console.log(`wrote ${flags.out}`);
});
