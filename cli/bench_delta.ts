/**
 * `deno task bench:delta [--dense M] [--bcr B] [--delta-model D] [--head H] [--data T]
 * [--theta TX,TH] [--config C] [--pes N] [--format ese|bcr] [--lanes L] [--clock MHZ]
 * [--broadcast W] [--verilator K] [--limit N] [--out FILE]`: the delta benchmark (bench/delta.ts,
 * docs/delta.md "Benchmark"): accuracy dense / BCR only / BCR + delta, fired fraction per layer,
 * cycles per frame without and with delta (the built ese datapath: its cycle model, Verilator on
 * K utterances; and the older analytical model), microseconds per frame and effective TOp/s at an assumed clock, and the
 * targets of issue 19. Writes FILE (bench/results/delta.json) and FILE with .md.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { limitFlag, numberChoiceFlag, pesFlag, positiveFlag } from "./shared_flags.ts";
import { DELTA_FLAG } from "./finetune_delta.ts";
import { UserError } from "../util/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { loadDataset } from "../model/dataset.ts";
import { loadHead } from "../model/head.ts";
import { loadAnyModel } from "../model/load.ts";
import { outputSize } from "../model/model.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { BROADCAST_WIDTHS, DEFAULT_ACCELERATOR_CONFIG, LANE_COUNTS } from "../rtl/config.ts";
import { runDeltaBench } from "../bench/delta.ts";
import { builtDesigns, measureBuiltDelta } from "../bench/delta_built.ts";
import { deltaMarkdown } from "../bench/delta_report.ts";

const NAME = "deno task bench:delta";
const MODELS = ".cache/speech/models";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "[--dense M] [--bcr B] [--delta-model D] [--head H] [--data T] [--theta TX,TH] " +
    "[--config C] [--pes N] [--format ese|bcr] [--lanes L] [--clock MHZ] [--broadcast W] " +
    "[--verilator K] [--limit N] [--out FILE]",
  description: `The delta benchmark on a model trained on the speech set (docs/delta.md,
"Benchmark"): accuracy of the dense, the BCR-pruned and the BCR + delta model (measured, fixed-point
golden models on T), fired fraction per layer (computed), cycles per frame of the built delta
datapath (ese, W columns per beat) without and with delta (its cycle model, equal to Verilator;
Verilator itself on the first K utterances) and of the older analytical model (modeled), time and effective TOp/s at an assumed clock, and issue 19's targets. Writes FILE and FILE.md.`,
  flags: {
    dense: { type: "path", default: `${MODELS}/speech_lstm.json`, help: "the dense model" },
    bcr: {
      type: "path",
      default: `${MODELS}/speech_lstm_bcr.json`,
      help: "the BCR-pruned, fine-tuned model (finetune --pruned)",
    },
    "delta-model": {
      type: "path",
      default: `${MODELS}/speech_lstm_bcr_delta.json`,
      help: "the BCR model fine-tuned with the thresholds (finetune --delta)",
    },
    head: { type: "path", default: `${MODELS}/speech_lstm.head.json`, help: "the head" },
    data: {
      type: "path",
      default: ".cache/speech/speech40_test.safetensors",
      help: "the labelled test set",
    },
    theta: {
      ...DELTA_FLAG,
      help: "theta_x,theta_h (real units; the thresholds --delta-model was trained with)",
      defaultText: "0.3,0.3",
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
      help: "MAC lanes per PE (bcr)",
      placeholder: "L",
      fallback: 1,
    }),
    clock: positiveFlag("assumed clock (MHz) for microseconds and TOp/s", { default: 200 }),
    broadcast: numberChoiceFlag(BROADCAST_WIDTHS, {
      help: "columns per beat of the built delta datapath (ese; divides --pes)",
      placeholder: "W",
      fallback: 8,
    }),
    verilator: limitFlag({ min: 0, max: 1000 }, "simulate the built delta design on K utterances", {
      default: 2,
    }),
    limit: limitFlag({ min: 0, max: 1_000_000 }, "use the first N test sequences (0: all)", {
      default: 0,
    }),
    out: { type: "path", default: "bench/results/delta.json", help: "results file" },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const theta = flags.theta ?? { thetaX: 0.3, thetaH: 0.3 };
  const fixed = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : { ...DEFAULT_FIXED_CONFIG, activationBits: 20 };
  const [dense, bcr, bcrDelta] = await Promise.all(
    [flags.dense, flags.bcr, flags["delta-model"]].map((path) => loadAnyModel(path)),
  );
  const head = await loadHead(flags.head, outputSize(dense));
  const test = await loadDataset(flags.data, {
    inputSize: dense.inputSize,
    classes: head.weight.rows,
  });
  if (!test.labels || test.labels.kind !== "sequence") {
    throw new UserError(`${flags.data}: expected one label per sequence`);
  }
  if (flags.limit > 0) {
    test.sequences = test.sequences.slice(0, flags.limit);
    test.labels.values = test.labels.values.slice(0, flags.limit);
  }
  const result = runDeltaBench({
    models: { dense, bcr, bcrDelta },
    paths: { dense: flags.dense, bcr: flags.bcr, bcrDelta: flags["delta-model"], test: flags.data },
    head,
    test,
    delta: theta,
    accelerator: {
      ...DEFAULT_ACCELERATOR_CONFIG,
      pes: flags.pes,
      format: flags.format,
      lanes: flags.lanes,
      clockMhz: flags.clock,
      fixed,
    },
    broadcast: flags.broadcast,
    log: (line) => console.error(`bench:delta: ${line}`),
  });
  if (flags.verilator > 0) {
    const designs = builtDesigns(bcrDelta, {
      ...DEFAULT_ACCELERATOR_CONFIG,
      pes: flags.pes,
      clockMhz: flags.clock,
      fixed,
    }, { delta: theta, broadcast: flags.broadcast });
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-bench-delta-" });
    try {
      const sequences = test.sequences.slice(0, flags.verilator);
      result.cycles.built.verilator = await measureBuiltDelta(designs.delta, sequences, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const markdown = deltaMarkdown(result);
  await writeJsonAtomic(flags.out, result);
  await writeFileAtomic(flags.out.replace(/\.json$/i, "") + ".md", markdown);
  console.log(markdown);
  console.log(`wrote ${flags.out}`);
});
