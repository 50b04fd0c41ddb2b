/**
 * `deno task bench --model M [--design DIR] [--devices FILE] --out REPORT_DIR`: compare the FPGA
 * design of a model with the same model on the host CPU (measured: generated BCR C kernel and
 * ONNX Runtime), on phone CPUs and GPUs (modeled by a roofline, or measured by users) and with
 * published figures. Writes report.json, report.md and report.html. See docs/benchmarks.md.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand, type FlagValues, numberFromText } from "./flags.ts";
import {
  blockFlag,
  fractionFlag,
  pesFlag,
  positiveFlag,
  seedFlag,
  stepsFlag,
} from "./shared_flags.ts";
import { checkDensityRange, checkKeepsWeights } from "./density_limits.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import { guardPaths } from "../util/output.ts";
import { verifyDesign } from "../sim/verify_design.ts";
import { join } from "node:path";
import type { RnnModel } from "../model/model.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { loadDevices } from "../bench/devices.ts";
import { formatNumber } from "../bench/markdown.ts";
import { type BenchAccuracyOptions, runBench } from "../bench/run.ts";
import { loadDataset } from "../model/dataset.ts";
import { loadHead } from "../model/head.ts";
import { outputSize } from "../model/model.ts";
import { UserError } from "../util/errors.ts";

const NAME = "deno task bench";
/** Parse a comma-separated list of densities in (0, 1]. */
function densityList(text: string): number[] | undefined {
  const values = text.split(",").map(numberFromText);
  return values.every((value) => value > 0 && value <= 1) ? values : undefined;
}

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--model M --out REPORT_DIR [options]",
  description:
    `Compares one model across platforms and writes REPORT_DIR/report.json (all figures with units and
provenance), report.md and report.html (plots, viewable offline). Every figure is labelled
measured, modeled (roofline, not a measurement) or published (their model, not ours).`,
  flags: {
    model: { type: "path", required: true, placeholder: "M", help: "model file (JSON or ONNX)" },
    out: {
      type: "path",
      required: true,
      placeholder: "DIR",
      help: "report folder (also holds the C kernel and any generated design)",
    },
    density: fractionFlag("BCR-prune the model to density D first", {
      placeholder: "D",
      defaultText: "use it as given",
    }),
    block: blockFlag({
      allowAll: true,
      help: 'block shape of that pruning ("all" = whole dimension)',
      defaultText: "16x16",
    }),
    "col-share": {
      type: "number",
      min: 0,
      max: 1,
      placeholder: "S",
      help: "share of that pruning done by columns",
      defaultText: "0.5",
    },
    design: {
      type: "path",
      placeholder: "DIR",
      help: "an existing design of this model (deno task gen); its sim/result.json is used, or " +
        "made with deno task sim when missing",
    },
    "no-fpga": { type: "bool", help: "no FPGA row (skip gen and sim)" },
    pes: pesFlag({ help: "PEs of a design generated here", defaultText: "8" }),
    format: {
      type: "enum",
      values: ["bcr", "ese"],
      help: "weight format of a design generated here",
      defaultText: "bcr",
    },
    "clock-mhz": positiveFlag("clock of a design generated here", {
      placeholder: "F",
      defaultText: "gen's",
    }),
    sweep: {
      type: "custom",
      placeholder: "LIST",
      expected: "comma-separated densities in (0, 1], e.g. 0.1,0.25,0.5",
      parse: densityList,
      help: "also generate and simulate designs at these densities, e.g. 0.1,0.25,0.5",
    },
    "sweep-estimate": {
      type: "bool",
      help: "for the sweep, use gen's cycle estimate (modeled) instead of simulating",
    },
    devices: {
      type: "path",
      help: "device profiles and user-measured times (JSON, see docs/benchmarks.md)",
    },
    steps: stepsFlag({ help: "input sequence length", defaultText: "16" }),
    seed: seedFlag({ help: "input sequence seed", defaultText: "1" }),
    repeats: { type: "int", min: 1, max: 1000, help: "timed runs per round", defaultText: "7" },
    rounds: {
      type: "int",
      min: 1,
      max: 1000,
      help: "alternating measurement rounds",
      defaultText: "3",
    },
    warmup: { type: "int", min: 0, max: 1000, help: "warm-up runs per round", defaultText: "3" },
    "skip-host": { type: "bool", help: "skip the host-CPU measurements" },
    quiet: { type: "bool", help: "print only the summary" },
    "allow-modified": {
      type: "bool",
      help: "use a --design that fails verification (every difference printed; " +
        "docs/reliability.md)",
    },
    data: {
      type: "path",
      placeholder: "D",
      help: "data file (docs/finetune.md): report the accuracy and output error of the dense, " +
        "pruned, fine-tuned, fixed-point and RTL models on its sequences",
    },
    head: {
      type: "path",
      placeholder: "H",
      help: "linear head of the model (with labels in --data: accuracy)",
    },
    finetuned: {
      type: "path",
      placeholder: "F",
      help: "a fine-tuned model (deno task finetune) measured beside the others on --data",
    },
  },
  exclusive: [["design", "no-fpga"]],
});

/**
 * Refuse densities that keep no weight of the model, before anything is written: first the
 * share of one weight, then the bench's own pruning setting tried on the model.
 */
function checkDensities(
  model: RnnModel,
  modelPath: string,
  flags: FlagValues<typeof COMMAND.flags>,
): void {
  const block = flags.block ?? { rows: 16, cols: 16 };
  const rates = { colShare: flags["col-share"] ?? 0.5 };
  const asked = [
    ...(flags.density !== undefined ? [{ density: flags.density, flag: "density" as const }] : []),
    ...(flags.sweep ?? []).map((density) => ({ density, flag: "sweep" as const })),
  ];
  for (const { density, flag } of asked) {
    const source = { command: NAME, flag, given: String(density) };
    checkDensityRange(model, modelPath, density, source);
    const { report } = pruneModelBcr(model, {
      block,
      rates: { density, ...rates },
      pes: flags.pes ?? 8,
    });
    checkKeepsWeights(report.nonZeros, block, source);
  }
}

/** Verify a given design first; then no output may be an input or a folder holding one. */
async function guardBenchPaths(paths: {
  modelPath: string;
  outDir: string;
  designDir?: string;
  /** Further input files by flag name (devices, data, head, finetuned). */
  files: Record<string, string | undefined>;
  allowModified: boolean;
}): Promise<void> {
  const inputs = await modelInputPaths(paths.modelPath);
  for (const [flag, path] of Object.entries(paths.files)) {
    if (path !== undefined) inputs.push({ path, flag: `--${flag}` });
  }
  if (paths.designDir !== undefined) {
    const verified = await verifyDesign(paths.designDir, {
      command: NAME,
      allowModified: paths.allowModified,
    });
    inputs.push({ path: paths.designDir, flag: "--design" });
    for (const file of verified.files) {
      inputs.push({ path: join(paths.designDir, file), flag: "--design" });
    }
  }
  await guardPaths({
    command: NAME,
    inputs,
    outputs: [{ path: paths.outDir, flag: "--out", kind: "dir" }],
  });
}

/** `--data`, `--head` and `--finetuned`, loaded and checked against the model. */
async function loadAccuracyInputs(
  model: RnnModel,
  flags: FlagValues<typeof COMMAND.flags>,
): Promise<BenchAccuracyOptions | undefined> {
  if (flags.data === undefined) {
    const alone = flags.head !== undefined ? "--head" : flags.finetuned ? "--finetuned" : null;
    if (alone) throw new UserError(`${NAME}: ${alone} needs --data D`);
    return undefined;
  }
  const head = flags.head !== undefined
    ? { head: await loadHead(flags.head, outputSize(model)), path: flags.head }
    : undefined;
  const dataset = await loadDataset(flags.data, {
    inputSize: model.inputSize,
    classes: head?.head.weight.rows,
  });
  let finetuned: BenchAccuracyOptions["finetuned"];
  if (flags.finetuned !== undefined) {
    const tuned = await loadAnyModel(flags.finetuned);
    const shape = (m: RnnModel) =>
      `${m.kind} ${m.inputSize} -> ${m.hiddenSize} x${m.numLayers}, projection ${m.projSize}`;
    if (shape(tuned) !== shape(model)) {
      throw new UserError(
        `${flags.finetuned}: expected a model of the --model's shape (${shape(model)}), got ${
          shape(tuned)
        }`,
      );
    }
    finetuned = { model: tuned, path: flags.finetuned };
  }
  return { dataset, dataPath: flags.data, head, finetuned };
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { model: modelPath, out: outDir, sweep, quiet } = flags;
  const allowModified = flags["allow-modified"];
  await guardBenchPaths({
    modelPath,
    outDir,
    designDir: flags.design,
    files: {
      devices: flags.devices,
      data: flags.data,
      head: flags.head,
      finetuned: flags.finetuned,
    },
    allowModified,
  });
  const devices = flags.devices !== undefined ? await loadDevices(flags.devices) : undefined;
  const model = await loadAnyModel(modelPath);
  checkDensities(model, modelPath, flags);
  const accuracy = await loadAccuracyInputs(model, flags);
  const report = await runBench({
    modelPath,
    model,
    outDir,
    density: flags.density,
    block: flags.block,
    colShare: flags["col-share"],
    designDir: flags.design,
    fpga: !flags["no-fpga"],
    pes: flags.pes,
    format: flags.format,
    clockMhz: flags["clock-mhz"],
    sweep,
    sweepMode: flags["sweep-estimate"] ? "estimate" : "sim",
    devices,
    steps: flags.steps,
    seed: flags.seed,
    repeats: flags.repeats,
    rounds: flags.rounds,
    warmup: flags.warmup,
    skipHostCpu: flags["skip-host"],
    allowModified,
    accuracy,
    log: quiet ? undefined : (message) => console.error(`bench: ${message}`),
  });
  for (const row of report.rows.filter((r) => r.modelOwner === "ours")) {
    console.log(
      `${row.provenanceLabel.padEnd(26)} ${formatNumber(row.usPerFrame).padStart(9)} us/frame  ` +
        `${row.platform} | ${row.workload}`,
    );
  }
  const failed = report.checks.filter((check) => check.passed === false);
  for (const check of failed) console.error(`check FAILED: ${check.name}: ${check.detail}`);
  console.log(`wrote ${outDir}/report.json, report.md, report.html`);
  if (failed.length > 0) Deno.exit(1);
});
