/**
 * DEVELOPMENT ONLY: write a design directory around the stand-in DUT of this folder
 * (`rnnfab_top.v`, the accelerator of an all-zero model), to develop the cocotb flow before `gen`
 * writes real designs. Not used by the tests.
 *
 *     deno run -A sim/cocotb/dev/make_standin.ts OUT_DIR [lstm|gru] [inputSize] [hiddenSize]
 *
 * @module
 */

import { join } from "node:path";
import { quantizeModel } from "../../../gen/fixed.ts";
import { writeJsonAtomic } from "../../../gen/fs.ts";
import type { RnnKind } from "../../../gen/model.ts";
import { writeQuantizedModel } from "../../../gen/quantized_io.ts";
import { randomModel } from "../../../gen/random.ts";

/** Write the stand-in design into `dir`. */
export async function makeStandinDesign(
  dir: string,
  options: { kind: RnnKind; inputSize: number; hiddenSize: number; latency?: number },
): Promise<void> {
  const model = randomModel({ ...options, numLayers: 1, seed: 1 });
  for (const layer of model.layers) {
    for (const values of [layer.weightIh, layer.weightHh].map((m) => m.data)) values.fill(0);
    layer.biasIh.fill(0);
    layer.biasHh.fill(0);
  }
  const latency = options.latency ?? 5;
  await Deno.mkdir(join(dir, "rtl"), { recursive: true });
  await Deno.mkdir(join(dir, "mem"), { recursive: true });
  const source = await Deno.readTextFile(new URL("./rnnfab_top.v", import.meta.url));
  await Deno.writeTextFile(
    join(dir, "rtl", "rnnfab_top.v"),
    source
      .replace(/parameter INPUT_SIZE = \d+/, `parameter INPUT_SIZE = ${options.inputSize}`)
      .replace(/parameter OUTPUT_SIZE = \d+/, `parameter OUTPUT_SIZE = ${options.hiddenSize}`)
      .replace(/parameter LATENCY = \d+/, `parameter LATENCY = ${latency}`),
  );
  await writeQuantizedModel(join(dir, "quantized.json"), quantizeModel(model));
  await writeJsonAtomic(join(dir, "design.json"), {
    top: "rnnfab_top",
    model: {
      kind: options.kind,
      inputSize: options.inputSize,
      hiddenSize: options.hiddenSize,
      numLayers: 1,
      projSize: 0,
      outputSize: options.hiddenSize,
      peepholes: false,
    },
    accelerator: { pes: 1, format: "standin", activationBits: 16, clockMhz: 200 },
    rtlFiles: ["rtl/rnnfab_top.v"],
    work: { nonZerosPerStep: 0 },
    estimate: {
      cyclesPerStep: options.inputSize + latency + options.hiddenSize,
      firstStepCycles: options.inputSize + latency + options.hiddenSize,
    },
  });
}

if (import.meta.main) {
  const [dir, kind = "lstm", inputSize = "4", hiddenSize = "4"] = Deno.args;
  if (!dir) throw new Error("usage: make_standin.ts OUT_DIR [lstm|gru] [inputSize] [hiddenSize]");
  await makeStandinDesign(dir, {
    kind: kind as RnnKind,
    inputSize: Number(inputSize),
    hiddenSize: Number(hiddenSize),
  });
  console.log(`wrote the stand-in design to ${dir}`);
}
