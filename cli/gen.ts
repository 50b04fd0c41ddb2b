/**
 * `deno task gen --model M [--config C] --out DIR [options]`: generate the Verilog accelerator
 * of a model: DIR/rtl (Verilog), DIR/mem (memory images), DIR/design.json (every parameter and
 * the cycle estimate) and DIR/quantized.json (the integer model the hardware holds).
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { readJsonFile } from "../model/inputs.ts";
import { loadAnyModel } from "../model/load.ts";
import {
  type AcceleratorSettings,
  DEFAULT_ACCELERATOR_CONFIG,
  describeDesign,
  generateFromModel,
  parseAcceleratorSettings,
  resolveAcceleratorConfig,
  writeDesign,
} from "../rtl/mod.ts";
import { formatClock } from "../rtl/clock.ts";
import { clockForDesign } from "../synth/pnr/clock.ts";

const NAME = "deno task gen";
const D = DEFAULT_ACCELERATOR_CONFIG;
const USAGE = `--model M --out DIR [--config C] [options]

Generates the accelerator for the model M (rnnfab JSON, or ONNX): DIR/rtl/*.v (top module
rnnfab_top), DIR/mem/*.hex, DIR/design.json (parameters, memory bits, cycle estimate) and
DIR/quantized.json. DIR is replaced atomically, and only when generation succeeds.

Options (flags override the config file C, a JSON object with the same names in camelCase):
  --pes N               processing elements (default ${D.pes})
  --format ese|bcr      weight format (default ${D.format})
  --clock-mhz F         clock used to report microseconds (default ${D.clockMhz})
  --index-bits B        ese: relative row index width (default ${D.indexBits})
  --codebook-bits K     ese: share weights with a 2^K-word codebook (default: off)
  --queue-depth Q       ese: activation queue depth per PE (default ${D.queueDepth})
  --block RxC           bcr: block size (default: chosen from the model's sparsity, e.g. the
                        pruning block); or --block-rows/--block-cols
  --max-memory-bits B   refuse designs whose memories need more bits
  --weight-bits W, --weight-frac F, --activation-bits A, --activation-frac F
                        fixed-point formats (docs/fixed-point.md; weightFrac is chosen when absent)`;

/** Flag name -> config field, for the numeric flags. */
const NUMERIC_FLAGS: Record<string, keyof AcceleratorSettings> = {
  "pes": "pes",
  "clock-mhz": "clockMhz",
  "index-bits": "indexBits",
  "codebook-bits": "codebookBits",
  "queue-depth": "queueDepth",
  "block-rows": "blockRows",
  "block-cols": "blockCols",
  "max-memory-bits": "maxMemoryBits",
  "weight-bits": "weightBits",
  "weight-frac": "weightFrac",
  "activation-bits": "activationBits",
  "activation-frac": "activationFrac",
};

function numberFlag(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new UserError(`${NAME}: --${flag}: expected a number, got "${text}"`);
  }
  return value;
}

/** Settings given as flags. */
function flagSettings(flags: Record<string, string | boolean | undefined>): AcceleratorSettings {
  const settings: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(NUMERIC_FLAGS)) {
    const text = flags[flag];
    if (typeof text === "string") settings[field] = numberFlag(flag, text);
  }
  if (typeof flags.format === "string") settings.format = flags.format;
  if (typeof flags.block === "string") {
    const match = /^(\d+)x(\d+)$/.exec(flags.block);
    if (!match) {
      throw new UserError(`${NAME}: --block: expected RxC (e.g. 64x16), got "${flags.block}"`);
    }
    settings.blockRows = Number(match[1]);
    settings.blockCols = Number(match[2]);
  }
  return parseAcceleratorSettings(settings, `${NAME} flags`);
}

await runCommand(async () => {
  const options: Record<string, { type: "string" }> = {
    model: { type: "string" },
    out: { type: "string" },
    config: { type: "string" },
    format: { type: "string" },
    block: { type: "string" },
  };
  for (const flag of Object.keys(NUMERIC_FLAGS)) options[flag] = { type: "string" };
  const flags = parseFlags(Deno.args, { name: NAME, usage: USAGE, options });
  const modelPath = requireFlag(flags, "model", NAME);
  const outDir = requireFlag(flags, "out", NAME);
  const layers: { settings: AcceleratorSettings; source: string }[] = [];
  if (typeof flags.config === "string") {
    const value = await readJsonFile(flags.config, "accelerator config");
    layers.push({ settings: parseAcceleratorSettings(value, flags.config), source: flags.config });
  }
  layers.push({ settings: flagSettings(flags), source: `${NAME} flags` });
  const config = resolveAcceleratorConfig(layers);

  const started = performance.now();
  const model = await loadAnyModel(modelPath);
  const { design, saturatedBiases } = generateFromModel(model, config);
  await writeDesign(outDir, design);
  const seconds = (performance.now() - started) / 1000;

  if (saturatedBiases > 0) {
    console.error(`warning: ${saturatedBiases} bias values saturated in the activation format`);
  }
  const e = design.estimate;
  const sharing = design.weightSharing;
  console.log(`wrote ${outDir}: ${describeDesign(design)}`);
  console.log(
    `memories: ${design.memoryBits.total} bits (${design.memoryBits.weightImage} in the weight ` +
      `image, ${(design.image.manifest.bitsPerNonZero ?? 0).toFixed(2)} bits per non-zero)`,
  );
  if (sharing) {
    console.log(
      `weight sharing: ${sharing.distinctCodes} values in a ${2 ** sharing.codebookBits}-word ` +
        `codebook, max error ${sharing.maxAbsError} LSB` +
        (sharing.zeroedWeights > 0 ? `, ${sharing.zeroedWeights} weights became 0` : ""),
    );
  }
  const clock = await clockForDesign(outDir);
  console.log(
    `estimate (computed by the cycle model): ${e.cyclesPerStep} cycles per step ` +
      `(${(e.cyclesPerStep / clock.mhz).toFixed(2)} us at ${formatClock(clock)}), first step ` +
      `${e.firstStepCycles}; ideal ${design.work.idealCyclesPerStep.toFixed(0)} ` +
      `(non-zeros / PEs); generated in ${seconds.toFixed(2)} s`,
  );
});
