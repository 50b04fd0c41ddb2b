/**
 * `deno task gen --model M [--config C] --out DIR [options]`: generate the Verilog accelerator
 * of a model: DIR/rtl (Verilog), DIR/mem (memory images), DIR/design.json (every parameter and
 * the cycle estimate) and DIR/quantized.json (the integer model the hardware holds).
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand, type FlagValues } from "./flags.ts";
import {
  blockFlag,
  FIXED_POINT_FLAGS,
  LANE_FLAG_VALUES,
  limitFlag,
  onOff,
  pesFlag,
  positiveFlag,
  withGroup,
} from "./shared_flags.ts";
import { readJsonFile } from "../model/inputs.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import { UserError } from "../util/errors.ts";
import { MAX_CONFIG_BYTES } from "../util/limits.ts";
import { guardPaths } from "../util/output.ts";
import { ACCELERATOR_LIMITS, type AcceleratorConfig, BROADCAST_WIDTHS } from "../rtl/config.ts";
import { balanceModelCells, describeCellBalance } from "../rtl/cell_balance.ts";
import { loadDataset } from "../model/dataset.ts";
import type { RnnModel } from "../model/model.ts";
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
const LIMITS = ACCELERATOR_LIMITS;
const OPTIONS = "Options (flags override the config file C)";
const FIXED_POINT = "Fixed-point formats (docs/fixed-point.md)";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--model M --out DIR [--config C] [options]",
  description:
    `Generates the accelerator for the model M (rnnfab JSON, or ONNX): DIR/rtl/*.v (top module
rnnfab_top), DIR/mem/*.hex, DIR/design.json (parameters, memory bits, cycle estimate) and
DIR/quantized.json. DIR is replaced atomically, and only when generation succeeds.`,
  flags: {
    model: { type: "path", required: true, placeholder: "M", help: "model file (JSON or ONNX)" },
    out: { type: "path", required: true, placeholder: "DIR", help: "design folder to write" },
    config: {
      type: "path",
      placeholder: "C",
      help: "accelerator and fixed-point options (JSON, the flag names in camelCase)",
    },
    pes: pesFlag({ group: OPTIONS, defaultText: String(D.pes) }),
    format: {
      type: "enum",
      values: ["ese", "bcr"],
      group: OPTIONS,
      help: "weight format",
      defaultText: D.format,
    },
    "clock-mhz": positiveFlag("clock used to report microseconds", {
      group: OPTIONS,
      defaultText: String(D.clockMhz),
      placeholder: "F",
    }),
    "index-bits": limitFlag(LIMITS.indexBits, "ese: relative row index width", {
      group: OPTIONS,
      defaultText: String(D.indexBits),
      placeholder: "B",
    }),
    "codebook-bits": limitFlag(
      LIMITS.codebookBits,
      "share weights with a 2^K-word codebook (K-bit codes)",
      {
        group: OPTIONS,
        defaultText: "off",
        placeholder: "K",
      },
    ),
    "queue-depth": limitFlag(LIMITS.queueDepth, "ese: activation queue depth per PE", {
      group: OPTIONS,
      defaultText: String(D.queueDepth),
      placeholder: "Q",
    }),
    block: blockFlag({
      allowAll: false,
      group: OPTIONS,
      help: "bcr: block size; or --block-rows/--block-cols",
      defaultText: "chosen from the model's sparsity, e.g. the pruning block",
    }),
    "block-rows": limitFlag(LIMITS.blockSide, "bcr: block height", { group: OPTIONS }),
    "block-cols": limitFlag(LIMITS.blockSide, "bcr: block width", { group: OPTIONS }),
    lanes: {
      type: "enum",
      values: LANE_FLAG_VALUES,
      group: OPTIONS,
      help: "MAC lanes per PE (one weight word feeds L multipliers; bcr or ese)",
      defaultText: String(D.lanes),
      placeholder: "L",
    },
    broadcast: {
      type: "enum",
      values: BROADCAST_WIDTHS.map(String),
      group: OPTIONS,
      help: "bcr, or ese with delta: vector elements broadcast per cycle (must divide --pes)",
      defaultText: "the largest power of two up to --lanes and 16 that divides --pes",
      placeholder: "W",
    },
    batch: {
      type: "enum",
      values: ["1", "2", "4", "8", "16"],
      group: OPTIONS,
      help: "independent sequences sharing every weight read (B elements per stream beat)",
      defaultText: String(D.batch),
      placeholder: "B",
    },
    "ew-group": {
      type: "enum",
      values: ["1", "2", "4", "8", "16"],
      group: OPTIONS,
      help: "PEs sharing one element-wise unit, fed in turn (must divide --pes; dense designs): " +
        "G times fewer units for G x K element-wise issue cycles per layer",
      defaultText: "1",
      placeholder: "G",
    },
    "out-words": {
      type: "enum",
      values: ["1", "2", "4", "8", "16", "32", "64"],
      group: OPTIONS,
      help: "output stream elements per beat (must divide --pes; batch 1): the output of a " +
        "step takes ceil(P / W) beats",
      defaultText: "1",
      placeholder: "W",
    },
    "in-words": {
      type: "enum",
      values: ["1", "2", "4", "8", "16"],
      group: OPTIONS,
      help: "input stream elements per beat (must divide --broadcast; batch 1): the input of a " +
        "step takes ceil(I / W) beats",
      defaultText: "1",
      placeholder: "W",
    },
    "early-input": {
      type: "enum",
      values: ["on", "off"],
      group: OPTIONS,
      help: "delta with theta_m and a projection: walk layer 0's next input part during the " +
        'projection phase (docs/delta.md, "Early input"); off: it waits for the projection',
      defaultText: "on",
    },
    "read-ahead-m": {
      type: "enum",
      values: ["on", "off", "4"],
      group: OPTIONS,
      help: "with early input and 2 or more lanes: read the memories M two cells a cycle (a " +
        "shorter hold; off saves LUT RAM in every PE; 4: four cells a cycle, up to the lanes, a " +
        "shorter hold still for more LUTs)",
      defaultText: "on",
    },
    "bus-stage": {
      type: "enum",
      values: ["on", "off"],
      group: OPTIONS,
      help: "dense ese: every PE registers the broadcast bus and its bank read data once more " +
        "(designs of many PEs: the bus spans the chip; about a cycle more per phase)",
      defaultText: "off",
    },
    "proj-queue": {
      type: "enum",
      values: ["on", "off"],
      group: OPTIONS,
      help: "delta with early input and one layer: a queue of the projection's own in every PE, " +
        "taken first (fewer cycles; off saves about 600 LUTs a PE on the ESE shape)",
      defaultText: "on",
    },
    "balance-data": {
      type: "path",
      group: OPTIONS,
      placeholder: "V",
      help: "delta designs: renumber the cells so that the busiest PE's lines are fewest on the " +
        "columns that fire on the sequences of V (a dataset like the design's inputs; the same " +
        'function: docs/delta.md, "Balancing the cells over the PEs"); design.json records it',
    },
    "balance-sequences": {
      type: "int",
      min: 1,
      max: 100_000,
      default: 30,
      group: OPTIONS,
      placeholder: "N",
      help: "--balance-data: fit on its first N sequences",
    },
    "max-memory-bits": positiveFlag("refuse designs whose memories need more bits", {
      group: OPTIONS,
      placeholder: "B",
    }),
    ...withGroup(FIXED_POINT_FLAGS, FIXED_POINT),
  },
});

/** Settings given as flags. */
function flagSettings(flags: FlagValues<typeof COMMAND.flags>): AcceleratorSettings {
  return parseAcceleratorSettings({
    pes: flags.pes,
    format: flags.format,
    clockMhz: flags["clock-mhz"],
    indexBits: flags["index-bits"],
    codebookBits: flags["codebook-bits"],
    queueDepth: flags["queue-depth"],
    blockRows: flags.block?.rows ?? flags["block-rows"],
    blockCols: flags.block?.cols ?? flags["block-cols"],
    lanes: flags.lanes === undefined ? undefined : Number(flags.lanes),
    broadcast: flags.broadcast === undefined ? undefined : Number(flags.broadcast),
    batch: flags.batch === undefined ? undefined : Number(flags.batch),
    ewGroup: flags["ew-group"] === undefined ? undefined : Number(flags["ew-group"]),
    outWords: flags["out-words"] === undefined ? undefined : Number(flags["out-words"]),
    inWords: flags["in-words"] === undefined ? undefined : Number(flags["in-words"]),
    earlyInput: onOff(flags["early-input"]),
    readAheadM: readAheadOf(flags["read-ahead-m"]),
    projQueue: onOff(flags["proj-queue"]),
    busStage: onOff(flags["bus-stage"]),
    maxMemoryBits: flags["max-memory-bits"],
    weightBits: flags["weight-bits"],
    weightFrac: flags["weight-frac"],
    activationBits: flags["activation-bits"],
    activationFrac: flags["activation-frac"],
  }, `${NAME} flags`);
}

/** `--read-ahead-m`: on / off, or 4 (four cells a cycle). */
function readAheadOf(value: "on" | "off" | "4" | undefined): boolean | 4 | undefined {
  return value === "4" ? 4 : onOff(value);
}

/** Run `make`, naming the model file in front of a UserError that does not name it yet. */
function withSource<T>(modelPath: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof UserError && !error.message.startsWith(modelPath)) {
      throw new UserError(`${modelPath}: ${error.message}`);
    }
    throw error;
  }
}

/** --balance-data: the model with its cells balanced on the first `count` sequences of `path`. */
async function balancedModel(
  model: RnnModel,
  config: AcceleratorConfig,
  path: string,
  count: number,
) {
  const sequences = (await loadDataset(path, { inputSize: model.inputSize })).sequences
    .slice(0, count);
  const balanced = balanceModelCells(model, config, { data: path, sequences });
  describeCellBalance(balanced.record).forEach((line) => console.error(line));
  return balanced;
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { model: modelPath, out: outDir } = flags;
  await guardPaths({
    command: NAME,
    inputs: [
      ...await modelInputPaths(modelPath),
      ...(flags.config !== undefined ? [{ path: flags.config, flag: "--config" }] : []),
      ...(flags["balance-data"] !== undefined
        ? [{ path: flags["balance-data"], flag: "--balance-data" }]
        : []),
    ],
    outputs: [{ path: outDir, flag: "--out", kind: "dir" }],
  });
  const layers: { settings: AcceleratorSettings; source: string }[] = [];
  if (flags.config !== undefined) {
    const value = await readJsonFile(flags.config, "accelerator config", MAX_CONFIG_BYTES);
    layers.push({ settings: parseAcceleratorSettings(value, flags.config), source: flags.config });
  }
  layers.push({ settings: flagSettings(flags), source: `${NAME} flags` });
  const config = resolveAcceleratorConfig(layers);

  const started = performance.now();
  const loaded = await loadAnyModel(modelPath);
  const balance = flags["balance-data"] === undefined
    ? undefined
    : await balancedModel(loaded, config, flags["balance-data"], flags["balance-sequences"]);
  const model = balance?.model ?? loaded;
  const { design, saturatedBiases } = withSource(modelPath, () => generateFromModel(model, config));
  if (balance) design.cellBalance = balance.record;
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
      (e.framesPerStep > 1 ? `of ${e.framesPerStep} sequences ` : "") +
      (e.noneFiredCyclesPerStep !== undefined
        ? `with every column fired, ${e.noneFiredCyclesPerStep} with none (delta: the inputs ` +
          `decide between) `
        : "") +
      `(${(e.cyclesPerStep / clock.mhz).toFixed(2)} us at ${formatClock(clock)}), first step ` +
      `${e.firstStepCycles}; ideal ${design.work.idealCyclesPerStep.toFixed(0)} ` +
      `(non-zeros / (PEs x lanes)); generated in ${seconds.toFixed(2)} s`,
  );
});
