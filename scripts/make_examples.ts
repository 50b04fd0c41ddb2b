/**
 * Makes the embedded example models in examples/ deterministically: `deno task examples`.
 *
 * Every weight is drawn by `randomModel` (model/random.ts: mulberry32 seeded as below, values
 * uniform in (-1/sqrt(H), 1/sqrt(H)) as PyTorch initialises nn.LSTM/nn.GRU, rounded to float32),
 * so re-running this script reproduces the files byte for byte. These are untrained models:
 * they exercise every part of rnnfab, but say nothing about accuracy on a task.
 */

import { saveModel } from "../model/model_io.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { writeJsonAtomic } from "../util/fs.ts";

const here = new URL("../examples/", import.meta.url).pathname;

/** The examples: file name, model options (seed included), weights inline or in safetensors. */
export const EXAMPLES = [
  {
    file: "lstm.json",
    safetensors: false,
    options: { kind: "lstm", inputSize: 16, hiddenSize: 32, numLayers: 2, seed: 1 },
  },
  {
    file: "gru.json",
    safetensors: false,
    options: { kind: "gru", inputSize: 16, hiddenSize: 32, numLayers: 2, seed: 2 },
  },
  {
    file: "ese_lstmp.json",
    safetensors: true,
    options: {
      kind: "lstm",
      inputSize: 153,
      hiddenSize: 1024,
      numLayers: 1,
      projSize: 512,
      peepholes: true,
      seed: 3,
    },
  },
] as const;

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(`usage: deno task examples

Re-makes the example models and input sequences in examples/ deterministically (see
examples/README.md for the seeds); re-running reproduces the files byte for byte.`);
    Deno.exit(0);
  }
  if (Deno.args.length > 0) {
    console.error(
      `error: deno task examples: takes no arguments, got ${Deno.args.join(" ")} (see --help)`,
    );
    Deno.exit(2);
  }
  for (const example of EXAMPLES) {
    const model = randomModel({ ...example.options });
    await saveModel(model, `${here}${example.file}`, { safetensors: example.safetensors });
    console.log(`wrote examples/${example.file}`);
  }
  await writeJsonAtomic(`${here}input16.json`, { inputs: randomInputs(8, 16, 11) });
  await writeJsonAtomic(`${here}input153.json`, { inputs: randomInputs(4, 153, 12) });
  console.log("wrote examples/input16.json, examples/input153.json");
}
