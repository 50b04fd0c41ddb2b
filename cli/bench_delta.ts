/**
 * `deno task bench:delta [--dense M] [--bcr B] [--delta-model D] [--head H] [--data T]
 * [--theta TX,TH] [--theta-input X] [--theta-m M] [--config C] [--pes N] [--format ese|bcr] [--lanes L] [--built-lanes L]
 * [--proj-queue on|off] [--clock MHZ]
 * [--broadcast W] [--out-words O] [--in-words I] [--configs LIST] [--verilator K] [--limit N] [--out FILE]
 * [--design-out DIR]`: the delta benchmark (bench/delta.ts,
 * docs/delta.md "Benchmark"): accuracy dense / BCR only / BCR + delta, fired fraction per layer,
 * cycles per frame without and with delta (the built ese datapath: its cycle model, Verilator on
 * K utterances; and the older analytical model), microseconds per frame and effective TOp/s at an assumed clock, and the
 * targets of issue 19. Writes FILE (bench/results/delta.json) and FILE with .md.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand, type FlagValues } from "./flags.ts";
import { limitFlag, numberChoiceFlag, onOff, pesFlag, positiveFlag } from "./shared_flags.ts";
import { DELTA_FLAG } from "./finetune_delta.ts";
import { UserError } from "../util/errors.ts";
import { checkOutputDir, writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { canonicalPath, guardPaths, MARKERS } from "../util/output.ts";
import { loadDataset } from "../model/dataset.ts";
import { loadHead } from "../model/head.ts";
import type { DeltaConfig } from "../model/delta.ts";
import { loadAnyModel } from "../model/load.ts";
import { outputSize, type RnnModel } from "../model/model.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import {
  type AcceleratorConfig,
  BROADCAST_WIDTHS,
  DEFAULT_ACCELERATOR_CONFIG,
  LANE_COUNTS,
} from "../rtl/config.ts";
import { runDeltaBench } from "../bench/delta.ts";
import { writeDesign } from "../rtl/mod.ts";
import { type BuiltDeltaOptions, builtDesigns, measureBuiltDelta } from "../bench/delta_built.ts";
import { balancedBuiltModel } from "../bench/delta_balance.ts";
import { describeCellBalance } from "../rtl/cell_balance.ts";
import { deltaMarkdown } from "../bench/delta_report.ts";
import { parseDesignPoints, widestOutWords } from "../bench/delta_configs.ts";
import { readRecordedThresholds, type RecordedThresholds } from "../bench/speech_record.ts";

const NAME = "deno task bench:delta";
/** The configuration table of `--set ese` (with --theta-m): within the budget, and 128 PEs over it. */
const ESE_CONFIGS = "32x8o32,64x16o64,96x16o32,112x16o16,128x16o64";
/** The configuration table of `--set ese-l16` (with --theta-m): the lanes the model was pruned for. */
const ESE_LANES_CONFIGS = "32x16x16o32,32x16x8o32,32x8x16o32,64x8x16o64,32x1x16o32";
/** The configuration table of `--set ese-l16-d125`: beats of 32 columns beside 16. */
const ESE_LANES_D125_CONFIGS = "32x16x32o32,32x16x16o32,32x8x32o32,32x32x32o32,64x8x64o64";
const MODELS = ".cache/speech/models";

/** The model sets of `deno task models:speech` (python/rnnfab/speech_models.py). */
const SETS = {
  small: { name: "speech_lstm", data: ".cache/speech/speech40_test.safetensors", broadcast: 8 },
  ese: {
    name: "speech_lstmp1024x512",
    data: ".cache/speech/speech153_test.safetensors",
    broadcast: 1,
  },
  "ese-l16": {
    name: "speech_lstmp1024x512_l16",
    /** Its dense model and head are the ese set's (models:speech "denseOf"). */
    denseName: "speech_lstmp1024x512",
    data: ".cache/speech/speech153_test.safetensors",
    broadcast: 1,
    /** The MAC lanes it was pruned for: the default of --built-lanes. */
    lanes: 16,
  },
  "ese-l16-s": {
    name: "speech_lstmp1024x512_l16_s",
    denseName: "speech_lstmp1024x512",
    /** Its pruned and BCR models are ese-l16's (models:speech "bcrOf"). */
    bcrName: "speech_lstmp1024x512_l16",
    data: ".cache/speech/speech153_test.safetensors",
    broadcast: 1,
    lanes: 16,
  },
  "ese-l16-cb": {
    name: "speech_lstmp1024x512_l16_cb",
    denseName: "speech_lstmp1024x512",
    data: ".cache/speech/speech153_test.safetensors",
    broadcast: 1,
    lanes: 16,
  },
  "ese-l16-d125": {
    name: "speech_lstmp1024x512_l16_d125",
    denseName: "speech_lstmp1024x512",
    data: ".cache/speech/speech153_test.safetensors",
    broadcast: 1,
    lanes: 16,
  },
} as const;

/** Each set's default results file. */
const OUT_FILES = {
  small: "bench/results/delta-small.json",
  ese: "bench/results/delta.json",
  "ese-l16": "bench/results/delta-lanes.json",
  "ese-l16-s": "bench/results/delta-search.json",
  "ese-l16-cb": "bench/results/delta-balanced.json",
  "ese-l16-d125": "bench/results/delta-lanes-d125.json",
} as const;

/** The --sweep flag: comma-separated non-negative thresholds. */
const SWEEP_FLAG = {
  type: "custom" as const,
  placeholder: "LIST",
  expected: "comma-separated non-negative numbers (real units), e.g. 0,0.1,0.3, or 'none'",
  parse: (text: string): number[] | undefined => {
    if (text === "none") return [];
    const values = text.split(",").map((part) => Number(part.trim()));
    return values.every((v) => Number.isFinite(v) && v >= 0) && values.length > 0
      ? values
      : undefined;
  },
  default: [0, 0.1, 0.2, 0.3, 0.5],
  defaultText: "0,0.1,0.2,0.3,0.5",
  help: "threshold sweep on the BCR + delta model (theta_x = theta_h): accuracy, fired " +
    "fraction, cycles of the built datapath",
};

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "[--dense M] [--bcr B] [--delta-model D] [--head H] [--data T] [--theta TX,TH] " +
    "[--theta-input X] [--theta-m M] [--config C] [--pes N] [--format ese|bcr] [--lanes L] " +
    "[--built-lanes L] [--proj-queue on|off] [--clock MHZ] [--broadcast W] " +
    "[--out-words O] [--in-words I] [--configs LIST] [--verilator K] [--limit N] [--out FILE] " +
    "[--design-out DIR] [--balance-data V] [--balance-sequences N]",
  description: `The delta benchmark on a model trained on the speech set (docs/delta.md,
"Benchmark"): accuracy of the dense, the BCR-pruned and the BCR + delta model (measured, fixed-point
golden models on T), fired fraction per layer (computed), cycles per frame of the built delta
datapath (ese, W columns per beat) without and with delta (its cycle model, equal to Verilator;
Verilator itself on the first K utterances) and of the older analytical model (modeled), time and effective TOp/s at an assumed clock, and issue 19's targets. Writes FILE and FILE.md.`,
  flags: {
    set: {
      type: "enum",
      values: ["small", "ese", "ese-l16", "ese-l16-s", "ese-l16-cb", "ese-l16-d125"],
      default: "small",
      help: "the model set of `deno task models:speech` whose files are the defaults of " +
        "--dense, --bcr, --delta-model, --head, --data (small: LSTM 40/64 x 2; ese: LSTMP " +
        "153/1024/512; ese-l16: the same dense model pruned for 32 PEs x 16 MAC lanes; " +
        "ese-l16-s: ese-l16 with the thresholds of the threshold search; ese-l16-cb: as " +
        "ese-l16-s, pruned with every column's lines balanced over the PEs; ese-l16-d125: the " +
        "same at density 0.125), of --theta, --theta-input, --theta-m (the thresholds in the " +
        "set's record, NAME.models.json, unless --delta-model is given), of --built-lanes (the " +
        "lanes sets: 16), --broadcast (8; ese: 1, the projection, unless theta_m), --configs " +
        "and --out",
    },
    dense: { type: "path", help: "the dense model", defaultText: `${MODELS}/NAME.json` },
    bcr: {
      type: "path",
      defaultText: `${MODELS}/NAME_bcr.json`,
      help: "the BCR-pruned, fine-tuned model",
    },
    "delta-model": {
      type: "path",
      defaultText: `${MODELS}/NAME_bcr_delta.json`,
      help: "the BCR model fine-tuned with the thresholds",
    },
    head: { type: "path", defaultText: `${MODELS}/NAME.head.json`, help: "the head" },
    data: {
      type: "path",
      defaultText: ".cache/speech/speech40_test.safetensors (ese: speech153)",
      help: "the labelled test set",
    },
    sweep: SWEEP_FLAG,
    theta: {
      ...DELTA_FLAG,
      help: "theta_x,theta_h (real units; the thresholds --delta-model was trained with)",
      defaultText: "the set's record, else 0.3,0.3",
    },
    "theta-input": {
      type: "number",
      min: 0,
      max: Infinity,
      placeholder: "X",
      help: "theta_x of layer 0 only (the input features, standardized to unit deviation, where " +
        "every other part holds hidden values in (-1, 1); real units); the sweep keeps " +
        "theta_x = theta_h everywhere",
      defaultText: "the set's record, else theta_x",
    },
    "theta-m": {
      type: "number",
      min: 0,
      max: Infinity,
      placeholder: "M",
      help: "theta_m of every layer (real units): delta-code the projection input m of an LSTM " +
        "with projection (docs/delta.md), here and in every sweep point; without it the " +
        "projection stays dense",
      defaultText: "the set's record, else none (dense projection)",
    },
    config: {
      type: "path",
      placeholder: "C",
      help: "fixed-point formats (JSON)",
      defaultText: "Q20.12 activations, 12-bit weights (Q16.12 saturates the speech models)",
    },
    pes: pesFlag({ default: 32 }),
    format: { type: "enum", values: ["ese", "bcr"], default: "bcr", help: "weight format" },
    lanes: numberChoiceFlag(LANE_COUNTS, {
      help: "MAC lanes per PE of the analytical model's design (bcr)",
      placeholder: "L",
      fallback: 1,
    }),
    "built-lanes": {
      ...numberChoiceFlag(LANE_COUNTS, {
        help: "MAC lanes per PE of the built delta designs (ese lines), their sweep and the " +
          "Verilator run (a model pruned for them: `prune --lanes`, the ese-l16 sets)",
        placeholder: "L",
        fallback: 1,
      }),
      default: undefined,
      defaultText: "1 (--set ese-l16, ese-l16-d125: 16, the lanes they were pruned for)",
    },
    clock: positiveFlag("assumed clock (MHz) for microseconds and TOp/s", { default: 200 }),
    broadcast: {
      ...numberChoiceFlag(BROADCAST_WIDTHS, {
        help: "columns per beat of the built delta datapath (ese; divides --pes)",
        placeholder: "W",
        fallback: 8,
      }),
      default: undefined,
      defaultText: "8 (--set ese: 1 without --theta-m)",
    },
    "out-words": {
      ...numberChoiceFlag([1, 2, 4, 8, 16, 32, 64], {
        help: "output elements per beat of the built designs (divides --pes)",
        placeholder: "O",
        fallback: 1,
      }),
      default: undefined,
      defaultText: "the largest power of two up to 64 that divides --pes",
    },
    "in-words": {
      ...numberChoiceFlag([1, 2, 4, 8, 16], {
        help: "input elements per beat of the built delta design (divides --broadcast)",
        placeholder: "I",
        fallback: 1,
      }),
      default: undefined,
      defaultText: "1",
    },
    "proj-queue": {
      type: "enum",
      values: ["on", "off"],
      help: "the built delta design's projection queue (rtl PQUEUE: one layer, early input; " +
        "off: without it, the q0 designs of --configs)",
      defaultText: "on",
    },
    configs: {
      type: "custom" as const,
      placeholder: "LIST",
      expected: "comma-separated PxW, PxWoO, PxLxWoO or PxLxWoOiI (PEs x MAC lanes x columns " +
        `per beat, O output and I input elements per beat; L one of ${LANE_COUNTS.join(", ")}, ` +
        "W and O powers of two dividing P, I one dividing W), e.g. 96x16o32, 64x16x16o64 or " +
        "32x16x32o32i2, or 'none'",
      parse: (text: string) => text === "none" ? [] : parseDesignPoints(text),
      help: "configuration table: the BCR + delta model built at each (cycle model on the test " +
        "set), its cycles, where they go, time, TOp/s, a resource estimate, and the fastest " +
        "within the XCKU060 budget",
      defaultText: `none (with --theta-m: --set ese ${ESE_CONFIGS}; ese-l16 ` +
        `${ESE_LANES_CONFIGS}; ese-l16-d125 ${ESE_LANES_D125_CONFIGS})`,
    },
    verilator: limitFlag({ min: 0, max: 1000 }, "simulate the built delta design on K utterances", {
      default: 2,
    }),
    limit: limitFlag({ min: 0, max: 1_000_000 }, "use the first N test sequences (0: all)", {
      default: 0,
    }),
    out: {
      type: "path",
      defaultText: "bench/results/delta.json (small: delta-small.json)",
      help: "results file",
    },
    "design-out": {
      type: "path",
      placeholder: "DIR",
      help: "also write the built delta design (gen's output: Verilog, memory images, " +
        "design.json) to DIR, for synth or pnr",
    },
    "balance-data": {
      type: "path",
      placeholder: "V",
      help: "balance the built delta design's cells over its PEs on the columns that fire on " +
        "the sequences of V (held out from --data, e.g. the set's validation split " +
        ".cache/speech/speech153_val.safetensors): the same function, fewer cycles " +
        '(docs/delta.md, "Balancing the cells over the PEs")',
    },
    "balance-sequences": limitFlag(
      { min: 1, max: 100_000 },
      "fit the balance on the first N sequences of --balance-data",
      { default: 30 },
    ),
  },
});

/**
 * The thresholds: --theta, with layer 0's theta_x replaced by --theta-input when given, and
 * theta_m from --theta-m.
 */
function thresholdsOf(
  theta: { thetaX: number; thetaH: number },
  extra: { input: number | undefined; thetaM: number | undefined },
  layers: number,
): DeltaConfig {
  const m = extra.thetaM === undefined ? {} : { thetaM: extra.thetaM };
  if (extra.input === undefined) return { ...theta, ...m };
  const input = extra.input;
  return {
    thetaX: Array.from({ length: layers }, (_, l) => l === 0 ? input : theta.thetaX),
    thetaH: theta.thetaH,
    ...m,
  };
}

/** The configuration table a model set runs by default (with theta_m only), or none. */
function setConfigsOf(set: string, thetaM: number | undefined) {
  const configs = ({
    ese: ESE_CONFIGS,
    "ese-l16": ESE_LANES_CONFIGS,
    "ese-l16-s": ESE_LANES_CONFIGS,
    "ese-l16-cb": ESE_LANES_CONFIGS,
    "ese-l16-d125": ESE_LANES_D125_CONFIGS,
  } as Record<string, string>)[set];
  return configs !== undefined && thetaM !== undefined ? parseDesignPoints(configs) : undefined;
}

/** The flags' paths with the model set's defaults filled in. */
function pathsOf(flags: FlagValues<typeof COMMAND.flags>, thetaM: number | undefined) {
  const set = SETS[flags.set as keyof typeof SETS];
  const model = (suffix: string) => `${MODELS}/${set.name}${suffix}.json`;
  const denseName = "denseName" in set ? set.denseName : set.name;
  const bcrName = "bcrName" in set ? set.bcrName : set.name;
  return {
    dense: flags.dense ?? `${MODELS}/${denseName}.json`,
    bcr: flags.bcr ?? `${MODELS}/${bcrName}_bcr.json`,
    bcrDelta: flags["delta-model"] ?? model("_bcr_delta"),
    head: flags.head ?? `${MODELS}/${denseName}.head.json`,
    test: flags.data ?? set.data,
    out: flags.out ?? OUT_FILES[flags.set as keyof typeof OUT_FILES],
    // a projection takes W > 1 only with a delta-coded input (theta_m)
    broadcast: flags.broadcast ?? (thetaM === undefined ? set.broadcast : 8),
    builtLanes: flags["built-lanes"] ?? ("lanes" in set ? set.lanes : 1),
  };
}

/**
 * The thresholds: the flags, else the set's record (the thresholds its BCR + delta model was
 * trained with or chosen by its search; only for the set's own --delta-model), else 0.3.
 */
async function flagThresholds(flags: FlagValues<typeof COMMAND.flags>) {
  const set = SETS[flags.set as keyof typeof SETS];
  const recorded: RecordedThresholds | undefined = flags["delta-model"] === undefined
    ? await readRecordedThresholds(`${MODELS}/${set.name}.models.json`)
    : undefined;
  const uniform = flags.theta ??
    (recorded ? { thetaX: recorded.theta, thetaH: recorded.theta } : { thetaX: 0.3, thetaH: 0.3 });
  const input = flags["theta-input"] ??
    (recorded && recorded.thetaInput !== recorded.theta ? recorded.thetaInput : undefined);
  if (recorded) {
    console.error(
      `bench:delta: thresholds of ${set.name}.models.json (flags override): theta ` +
        `${recorded.theta}, input ${recorded.thetaInput}, theta_m ${recorded.thetaM ?? "none"}`,
    );
  }
  return { uniform, input, thetaM: flags["theta-m"] ?? recorded?.thetaM };
}

/**
 * --balance-data: the BCR + delta model with its cells balanced for the built design on the
 * first N sequences of that file (bench/delta_balance.ts), which must not be the test set.
 */
async function balanceOf(
  model: RnnModel,
  built: BuiltDeltaOptions & { accelerator: AcceleratorConfig },
  data: {
    path: string;
    test: string;
    sequences: number;
    check: number[][];
    log: (line: string) => void;
  },
) {
  if (await canonicalPath(data.path) === await canonicalPath(data.test)) {
    throw new UserError(
      `${NAME}: --balance-data ${data.path}: is the test set --data (expected held-out sequences)`,
    );
  }
  const fit = (await loadDataset(data.path, { inputSize: model.inputSize })).sequences
    .slice(0, data.sequences);
  const balanced = balancedBuiltModel(model, built, { path: data.path, fit, check: data.check });
  describeCellBalance(balanced.summary).forEach(data.log);
  if (!balanced.summary.outputsEqual) {
    throw new Error("cell balance: the renumbered model's outputs differ (a bug)");
  }
  return balanced;
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { uniform, input, thetaM } = await flagThresholds(flags);
  const paths = pathsOf(flags, thetaM);
  await guardPaths({
    command: NAME,
    inputs: [
      ...[paths.dense, paths.bcr, paths.bcrDelta].map((path) => ({ path, flag: "a model" })),
      { path: paths.head, flag: "--head" },
      { path: paths.test, flag: "--data" },
      ...(flags["balance-data"] !== undefined
        ? [{ path: flags["balance-data"], flag: "--balance-data" }]
        : []),
    ],
    outputs: [
      { path: paths.out, flag: "--out", kind: "file" },
      ...(flags["design-out"] !== undefined
        ? [{ path: flags["design-out"], flag: "--design-out", kind: "dir" as const }]
        : []),
    ],
  });
  if (flags["design-out"] !== undefined) await checkOutputDir(flags["design-out"], MARKERS.gen);
  const fixed = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : { ...DEFAULT_FIXED_CONFIG, activationBits: 20 };
  const [dense, bcr, bcrDelta] = await Promise.all(
    [paths.dense, paths.bcr, paths.bcrDelta].map((path) => loadAnyModel(path)),
  );
  const head = await loadHead(paths.head, outputSize(dense));
  const theta = thresholdsOf(
    uniform,
    { input, thetaM },
    dense.numLayers,
  );
  const test = await loadDataset(paths.test, {
    inputSize: dense.inputSize,
    classes: head.weight.rows,
  });
  if (!test.labels || test.labels.kind !== "sequence") {
    throw new UserError(`${paths.test}: expected one label per sequence`);
  }
  if (flags.limit > 0) {
    test.sequences = test.sequences.slice(0, flags.limit);
    test.labels.values = test.labels.values.slice(0, flags.limit);
  }
  const accelerator = {
    ...DEFAULT_ACCELERATOR_CONFIG,
    pes: flags.pes,
    format: flags.format,
    lanes: flags.lanes,
    clockMhz: flags.clock,
    outWords: flags["out-words"] ?? widestOutWords(flags.pes),
    fixed,
  };
  const configs = flags.configs ?? setConfigsOf(flags.set as string, thetaM);
  const log = (line: string) => console.error(`bench:delta: ${line}`);
  const built = {
    accelerator: { ...accelerator, format: "ese" as const, lanes: 1 },
    delta: theta,
    broadcast: paths.broadcast,
    lanes: paths.builtLanes,
    inWords: flags["in-words"],
    projQueue: onOff(flags["proj-queue"]),
  };
  const balance = flags["balance-data"] === undefined
    ? undefined
    : await balanceOf(bcrDelta, built, {
      path: flags["balance-data"],
      test: paths.test,
      sequences: flags["balance-sequences"],
      check: test.sequences[0],
      log,
    });
  const builtModel = balance?.model ?? bcrDelta;
  const result = await runDeltaBench({
    models: { dense, bcr, bcrDelta },
    paths: { dense: paths.dense, bcr: paths.bcr, bcrDelta: paths.bcrDelta, test: paths.test },
    head,
    test,
    delta: theta,
    accelerator,
    broadcast: paths.broadcast,
    builtLanes: paths.builtLanes,
    builtInWords: flags["in-words"],
    builtProjQueue: built.projQueue,
    sweep: flags.sweep,
    configs,
    builtModel,
    cellBalance: balance?.summary,
    log,
  });
  const designs = () => builtDesigns(builtModel, built.accelerator, built);
  if (flags["design-out"] !== undefined) {
    await writeDesign(flags["design-out"], designs().delta);
    log(`wrote the built delta design to ${flags["design-out"]}`);
  }
  if (flags.verilator > 0) {
    const built = designs();
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-bench-delta-" });
    try {
      const sequences = test.sequences.slice(0, flags.verilator);
      result.cycles.built.verilator = await measureBuiltDelta(built.delta, sequences, dir);
      log(`Verilator: ${JSON.stringify(result.cycles.built.verilator)}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const markdown = deltaMarkdown(result);
  await writeJsonAtomic(paths.out, result);
  await writeFileAtomic(paths.out.replace(/\.json$/i, "") + ".md", markdown);
  console.log(markdown);
  console.log(`wrote ${paths.out}`);
});
