/**
 * The flags of `deno task finetune` (cli/finetune.ts): the training flags, and each pruning
 * schedule's knobs in its own --help group (docs/pruning.md, "Pruning schedules").
 *
 * @module
 */

import { defineCommand } from "./flags.ts";
import { blockFlag, fractionFlag, pesFlag, positiveFlag, seedFlag } from "./shared_flags.ts";
import { type ScheduleKnobs, SCHEDULES } from "../prune/schedules.ts";
import { DELTA_FLAG } from "./finetune_delta.ts";

/** The command's name. */
export const FINETUNE_NAME = "deno task finetune";

const epochsFlag = (help: string, group: string, defaultText: string) => ({
  type: "int" as const,
  min: 0,
  max: 10000,
  placeholder: "E",
  help,
  group,
  defaultText,
});

/** The command line of `deno task finetune`. */
export const FINETUNE_COMMAND = defineCommand({
  name: FINETUNE_NAME,
  synopsis: `--model DENSE (--pruned P | --density D) --data D --out F [--head H]
       [--schedule fixed|gradual|gap|imp|admm] [--structure bcr|unstructured] [--block RxC]
       [--epochs N] [--lr X] [--objective distill|labels] [--qat] [--config C] [--delta TX,TH]
       [schedule knobs, below] [--checkpoint C [--resume] [--stop-after N]] [--seed S]`,
  description: `Trains a sparse model with a pruning schedule, with PyTorch from the project's .venv
(docs/pruning.md, "Pruning schedules"; docs/finetune.md). fixed (the default) fine-tunes P with
its BCR zero mask held (the zeros never change: F passes "deno task prune --check-block" for P's
block); gradual, gap, imp and admm prune DENSE to P's per-matrix densities (or --density) while
training, keeping the BCR block structure (checked on the result).`,
  flags: {
    model: { type: "path", required: true, placeholder: "DENSE", help: "the dense model" },
    pruned: {
      type: "path",
      placeholder: "P",
      help: "the pruned model: fixed's mask; the other schedules' per-matrix target densities",
    },
    density: fractionFlag("target density of every weight matrix (instead of --pruned)", {
      placeholder: "D",
    }),
    data: {
      type: "path",
      required: true,
      placeholder: "D",
      help: 'data file ({"sequences": ..., "labels": ...} or .safetensors); 10% of it is held ' +
        "out for the per-epoch figures and the choice of the best epoch",
    },
    out: { type: "path", required: true, placeholder: "F", help: "trained model to write" },
    head: {
      type: "path",
      placeholder: "H",
      help: 'classification head ({"weight": [[...]], "bias": [...]}); with labels the held-out ' +
        "accuracy is printed every epoch",
    },
    schedule: {
      type: "enum",
      values: SCHEDULES,
      default: "fixed",
      help: "fixed: P's mask held; gradual: mask recomputed, density lowered on a cubic " +
        "schedule; gap: grow-and-prune cycling through the matrices; imp: lottery-ticket " +
        "iterative magnitude pruning with rewinding; admm: ADMM, then the mask, then fine-tuning",
    },
    structure: {
      type: "enum",
      values: ["bcr", "unstructured"],
      default: "bcr",
      help: "bcr: rnnfab's BCR blocks; unstructured: magnitude masks (for comparison; not " +
        "what the accelerator runs efficiently)",
    },
    block: blockFlag({
      allowAll: true,
      help: "BCR block of the masks the schedules compute",
      defaultText: "P's, from its .prune.json report; 4x4 without --pruned",
    }),
    "col-share": {
      type: "number",
      min: 0,
      max: 1,
      placeholder: "S",
      help: "share of the pruning done by columns in each block (colKeep = density^S)",
      defaultText: "P's, from its report; 0.5",
    },
    pes: pesFlag({
      help: "balance the kept rows over N PEs (rows interleaved) whenever a mask is computed",
      default: 1,
    }),
    objective: {
      type: "enum",
      values: ["distill", "labels"],
      default: "distill",
      help: "distill: reproduce DENSE's outputs on D's sequences (no labels needed); labels: " +
        "cross-entropy of the head H (kept fixed) against D's labels",
    },
    epochs: {
      type: "int",
      min: 1,
      max: 10000,
      default: 10,
      help: "epochs: fixed and admm: masked fine-tuning; gradual and gap: in all; imp: per " +
        "round (and the dense run)",
    },
    lr: positiveFlag("Adam learning rate, cosine decay to 0 in every stage", {
      placeholder: "X",
      default: 0.002,
    }),
    qat: {
      type: "bool",
      help: "train through the fixed-point formats of --config (straight-through rounding of " +
        'weights and inputs), e.g. {"weightBits": 8}',
    },
    config: { type: "path", placeholder: "C", help: "fixed-point formats (JSON, as for infer)" },
    delta: DELTA_FLAG,
    seed: seedFlag({ help: "split, shuffling and --from-scratch initialisation seed", default: 1 }),
    "batch-size": { type: "int", min: 1, max: 65536, default: 32, help: "minibatch size" },
    "gradual-start": epochsFlag("epoch at which the density starts to fall", "gradual", "0"),
    "gradual-end": epochsFlag(
      "epoch at which it reaches the target (the epochs after it train at the target)",
      "gradual",
      "3/4 of --epochs",
    ),
    "gradual-updates": {
      type: "int",
      min: 1,
      max: 10000,
      placeholder: "K",
      group: "gradual",
      help: "mask recomputations per epoch",
      defaultText: "4",
    },
    "gap-parts": {
      type: "int",
      min: 1,
      max: 1000,
      placeholder: "K",
      group: "gap",
      help: "parts (consecutive weight matrices) grown to dense in turn",
      defaultText: "one per weight matrix",
    },
    "gap-interval": {
      type: "int",
      min: 1,
      max: 10000,
      placeholder: "E",
      group: "gap",
      help: "epochs a part stays grown before it is pruned back and the next grows",
      defaultText: "1",
    },
    "final-epochs": epochsFlag(
      "masked fine-tuning epochs at the end (part of --epochs)",
      "gap",
      "a quarter of --epochs",
    ),
    "from-scratch": {
      type: "bool",
      group: "gap",
      help: "gap, imp: start from random initialisation (seeded), not from DENSE's weights",
    },
    "imp-rounds": {
      type: "int",
      min: 1,
      max: 100,
      placeholder: "R",
      group: "imp",
      help: "prune-rewind-retrain rounds (density D^(k/R) after round k)",
      defaultText: "3",
    },
    "rewind-epoch": epochsFlag(
      "epoch of the dense run whose weights the kept weights rewind to",
      "imp",
      "1",
    ),
    admm: { type: "bool", group: "admm", help: "the same as --schedule admm" },
    "admm-epochs": {
      type: "int",
      min: 1,
      max: 10000,
      placeholder: "N",
      group: "admm",
      help: "ADMM epochs before the hard mask",
      defaultText: "--epochs",
    },
    rho: positiveFlag("initial ADMM penalty", { group: "admm", defaultText: "0.001" }),
    "rho-growth": {
      type: "number",
      min: 1,
      max: 100,
      group: "admm",
      help: "growth of rho per ADMM epoch",
      defaultText: "1.3",
    },
    checkpoint: {
      type: "path",
      placeholder: "C",
      group: "checkpoints",
      help: "checkpoint written after every epoch (weights, optimizer, masks, random states); " +
        "an existing C needs --resume",
    },
    resume: {
      type: "bool",
      group: "checkpoints",
      help: "continue from --checkpoint C (same result as an uninterrupted run)",
    },
    "stop-after": {
      type: "int",
      min: 1,
      max: 1000000,
      placeholder: "N",
      group: "checkpoints",
      help: "stop after N epochs (no output; continue later with --resume)",
    },
  },
  exclusive: [["pruned", "density"]],
  notes: "The report goes to F with .json replaced by .finetune.json.",
});

/** The knob of each schedule flag. */
export const KNOB_FLAGS: Record<keyof ScheduleKnobs, string> = {
  gradualStart: "--gradual-start",
  gradualEnd: "--gradual-end",
  gradualUpdates: "--gradual-updates",
  gapParts: "--gap-parts",
  gapInterval: "--gap-interval",
  finalEpochs: "--final-epochs",
  fromScratch: "--from-scratch",
  impRounds: "--imp-rounds",
  rewindEpoch: "--rewind-epoch",
  admmEpochs: "--admm-epochs",
  rho: "--rho",
  rhoGrowth: "--rho-growth",
  stopAfter: "--stop-after",
};
