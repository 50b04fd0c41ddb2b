/**
 * `deno task finetune --model DENSE (--pruned P | --density D) --data D --out F
 * [--schedule fixed|gradual|gap|imp|admm] [schedule knobs] [--checkpoint C [--resume]]`: train a
 * sparse model with one of the pruning schedules (prune/schedules.ts, PyTorch in python/rnnfab),
 * the BCR structure kept; `fixed` fine-tunes P with its zero mask held. See docs/finetune.md and
 * docs/pruning.md ("Pruning schedules").
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { FINETUNE_COMMAND, FINETUNE_NAME as NAME, KNOB_FLAGS } from "./finetune_flags.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { type Dataset, loadDataset } from "../model/dataset.ts";
import { runSequences } from "../model/evaluate.ts";
import { DEFAULT_FIXED_CONFIG, type FixedPointConfig } from "../model/fixed.ts";
import { type Head, loadHead, taskMetrics } from "../model/head.ts";
import { loadAnyModel, modelInputPaths, modelOutputPaths } from "../model/load.ts";
import { runDeltaFinetune } from "./finetune_delta.ts";
import { checkDerivedOutput, guardPaths, jsonHasTool, TOOLS } from "../util/output.ts";
import { compareOutputs } from "../model/metrics.ts";
import { namedMatrices, outputSize, type RnnModel, weightDensity } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { type BlockSize, formatBlock, parseBlock } from "../prune/mod.ts";
import {
  checkStructure,
  knobProblem,
  measuredDensities,
  type ScheduleKnobs,
  type ScheduleName,
  targetDensities,
  trainSchedule,
} from "../prune/schedules.ts";

function checkSameShape(dense: RnnModel, pruned: RnnModel, densePath: string, prunedPath: string) {
  const a = namedMatrices(dense);
  const b = namedMatrices(pruned);
  const same = dense.kind === pruned.kind && a.length === b.length &&
    a.every(({ matrix }, i) =>
      matrix.rows === b[i].matrix.rows && matrix.cols === b[i].matrix.cols
    );
  if (!same) {
    throw new UserError(
      `${prunedPath}: expected the shape of ${densePath} (${dense.kind}, ${dense.numLayers} layer(s), ${dense.hiddenSize} cells): the pruned model must be the dense model pruned`,
    );
  }
}

/** The block and column share of the masks: --block/--col-share, else P's report, else 4x4/0.5. */
async function maskShape(
  flags: { block?: BlockSize; "col-share"?: number },
  prunedPath: string | undefined,
  schedule: ScheduleName,
): Promise<{ block: BlockSize; colShare: number }> {
  let report: { hyperparameters?: { block?: string; colShare?: number } } = {};
  const reportPath = prunedPath ? prunedPath.replace(/\.json$/i, "") + ".prune.json" : undefined;
  if (reportPath) {
    try {
      report = JSON.parse(await Deno.readTextFile(reportPath));
    } catch {
      // no report: --block is required for the schedules that compute masks
    }
  }
  const text = report.hyperparameters?.block;
  const block = flags.block ?? (text ? parseBlock(text) : null);
  if (!block && reportPath && schedule !== "fixed") {
    throw new UserError(
      `${NAME}: --schedule ${schedule} needs --block RxC (the block ${prunedPath} was pruned with; no ${reportPath} to read it from)`,
    );
  }
  return {
    block: block ?? { rows: 4, cols: 4 },
    colShare: flags["col-share"] ?? report.hyperparameters?.colShare ?? 0.5,
  };
}

/**
 * No output may be an input (docs/reliability.md); the report and the weights file beside `--out`
 * are overwritten only when they are earlier outputs of rnnfab.
 */
async function guardFinetunePaths(paths: {
  model: string;
  pruned?: string;
  data: string;
  head?: string;
  config?: string;
  out: string;
  reportPath: string;
  safetensors: boolean;
  checkpoint?: string;
}): Promise<void> {
  const optional = (path: string | undefined, flag: string) => path ? [{ path, flag }] : [];
  await guardPaths({
    command: NAME,
    inputs: [
      ...await modelInputPaths(paths.model),
      ...(paths.pruned ? await modelInputPaths(paths.pruned, "--pruned") : []),
      { path: paths.data, flag: "--data" },
      ...optional(paths.head, "--head"),
      ...optional(paths.config, "--config"),
    ],
    outputs: [
      ...modelOutputPaths(paths.out, { flag: "--out", safetensors: paths.safetensors }),
      { path: paths.reportPath, flag: "report", kind: "file" },
      ...(paths.checkpoint
        ? [{ path: paths.checkpoint, flag: "--checkpoint", kind: "file" as const }]
        : []),
    ],
  });
  await checkDerivedOutput(paths.reportPath, {
    command: NAME,
    what: "fine-tuning report",
    isOurs: (head) => jsonHasTool(head, TOOLS.finetune),
  });
}

type Flags = ReturnType<typeof parseCommand<typeof FINETUNE_COMMAND.flags>>;

/** The schedule's knobs from the flags (absent ones stay absent: Python's defaults apply). */
function knobsOf(flags: Flags): ScheduleKnobs {
  return {
    gradualStart: flags["gradual-start"],
    gradualEnd: flags["gradual-end"],
    gradualUpdates: flags["gradual-updates"],
    gapParts: flags["gap-parts"],
    gapInterval: flags["gap-interval"],
    finalEpochs: flags["final-epochs"],
    fromScratch: flags["from-scratch"] || undefined,
    impRounds: flags["imp-rounds"],
    rewindEpoch: flags["rewind-epoch"],
    admmEpochs: flags["admm-epochs"],
    rho: flags.rho,
    rhoGrowth: flags["rho-growth"],
    stopAfter: flags["stop-after"],
  };
}

/** --schedule, with --admm as its alias. */
function scheduleOf(flags: Flags): ScheduleName {
  if (flags.admm && flags.schedule !== "fixed" && flags.schedule !== "admm") {
    throw new UserError(
      `${NAME}: --admm is --schedule admm; it cannot go with --schedule ${flags.schedule}`,
    );
  }
  return flags.admm ? "admm" : flags.schedule;
}

/** Checks of the checkpoint flags: C is no input and not --out; an existing C needs --resume. */
async function checkCheckpoint(flags: Flags): Promise<void> {
  const { checkpoint, resume } = flags;
  if ((resume || flags["stop-after"] !== undefined) && checkpoint === undefined) {
    throw new UserError(`${NAME}: ${resume ? "--resume" : "--stop-after"} needs --checkpoint C`);
  }
  if (checkpoint === undefined) return;
  const exists = await Deno.stat(checkpoint).then(() => true, () => false);
  if (exists && !resume) {
    throw new UserError(
      `${NAME}: --checkpoint ${checkpoint}: exists; add --resume to continue from it, or remove it`,
    );
  }
}

/** Float and fixed-point figures of the start and the result over the whole data file. */
async function summarise(
  models: [string, RnnModel][],
  context: { dense: RnnModel; data: Dataset; head?: Head; config: FixedPointConfig; path: string },
): Promise<Record<string, unknown>> {
  const { dense, data, head, config } = context;
  const summary: Record<string, unknown> = {};
  const reference = (await runSequences(dense, data.sequences)).outputs;
  for (const [name, model] of models) {
    for (const mode of ["float", "fixed"] as const) {
      const { outputs } = await runSequences(model, data.sequences, { mode, config });
      const error = compareOutputs(reference.flat(), outputs.flat()).relativeRmsError;
      const metrics = head && data.labels ? taskMetrics(head, outputs, data.labels) : undefined;
      summary[`${name}.${mode}`] = { relativeRmsError: error, ...(metrics ?? {}) };
      console.log(
        `${name.padEnd(9)} ${mode.padEnd(5)} on all of ${context.path} (measured): relative RMS ` +
          `error vs dense ${error.toFixed(5)}${
            metrics ? `, accuracy ${(metrics.accuracy * 100).toFixed(2)}%` : ""
          }`,
      );
    }
  }
  return summary;
}

/** Everything the command has read and checked before training. */
async function prepare(flags: Flags) {
  const { model: densePath, data: dataPath, out: outPath } = flags;
  const schedule = scheduleOf(flags);
  const prunedPath = flags.pruned;
  const config = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : DEFAULT_FIXED_CONFIG;
  const dense = await loadAnyModel(densePath);
  const pruned = prunedPath ? await loadAnyModel(prunedPath) : undefined;
  if (pruned) checkSameShape(dense, pruned, densePath, prunedPath!);
  if (!pruned && flags.density === undefined) {
    throw new UserError(`${NAME}: --schedule ${schedule} needs --pruned P or --density D`);
  }
  const knobs = knobsOf(flags);
  const problem = knobProblem(
    schedule,
    flags.epochs,
    knobs,
    (knob) => KNOB_FLAGS[knob],
    namedMatrices(dense).length,
  );
  if (problem) throw new UserError(`${NAME}: ${problem}`);
  await checkCheckpoint(flags);
  const headPath = typeof flags.head === "string" ? flags.head : undefined;
  const safetensors = namedMatrices(dense).reduce((s, m) => s + m.matrix.data.length, 0) >
    1_000_000;
  const reportPath = outPath.replace(/\.json$/i, "") + ".finetune.json";
  await guardFinetunePaths({
    ...flags,
    pruned: prunedPath,
    head: headPath,
    safetensors,
    reportPath,
  });
  const head = headPath ? await loadHead(headPath, outputSize(dense)) : undefined;
  const data = await loadDataset(dataPath, {
    inputSize: dense.inputSize,
    classes: head?.weight.rows,
  });
  if (flags.objective === "labels" && (!head || !data.labels)) {
    throw new UserError(`${NAME}: --objective labels needs --head H and labels in ${dataPath}`);
  }
  const shape = await maskShape(flags, prunedPath, schedule);
  const densities = pruned ? measuredDensities(pruned) : targetDensities(dense, flags.density!);
  return {
    schedule,
    config,
    dense,
    pruned,
    knobs,
    headPath,
    head,
    data,
    safetensors,
    reportPath,
    shape,
    densities,
  };
}

await runCommand(async () => {
  const flags = parseCommand(FINETUNE_COMMAND);
  const { data: dataPath, out: outPath, objective, epochs, lr, seed } = flags;
  const context = await prepare(flags);
  const { schedule, config, dense, pruned, knobs, headPath, head, data, shape } = context;
  const start = pruned ?? dense;
  const qat = flags.qat
    ? {
      weightBits: config.weightBits,
      activationBits: config.activationBits,
      activationFrac: config.activationFrac,
    }
    : undefined;
  if (flags.delta) {
    const training = { objective, epochs, lr, seed, batchSize: flags["batch-size"], qat };
    return await runDeltaFinetune({
      ...context,
      delta: flags.delta,
      densePath: flags.model,
      prunedPath: flags.pruned,
      dataPath,
      outPath,
      training,
    });
  }
  console.log(
    `training ${flags.pruned ?? flags.model} (density ${
      weightDensity(start).toFixed(4)
    }) with the ${schedule} schedule on ${data.sequences.length} sequences of ${dataPath}: ` +
      `${flags.structure}${flags.structure === "bcr" ? ` ${formatBlock(shape.block)}` : ""}, ` +
      `objective ${objective}, ${epochs} epochs, lr ${lr}${
        qat ? `, QAT ${config.weightBits}-bit weights` : ""
      }`,
  );
  const result = await trainSchedule({
    schedule,
    dense,
    maskFrom: schedule === "fixed" ? pruned : undefined,
    densities: context.densities,
    structure: flags.structure,
    block: shape.block,
    colShare: shape.colShare,
    pes: flags.pes,
    dataPath,
    headPath,
    objective,
    epochs,
    lr,
    seed,
    batchSize: flags["batch-size"],
    qat,
    knobs,
    checkpoint: flags.checkpoint,
    resume: flags.resume,
    onLine: (line) => console.log(`  ${line}`),
  });
  if (!result.model) {
    console.log(
      `stopped after --stop-after ${flags["stop-after"]} epochs: nothing written; continue with ` +
        `--checkpoint ${flags.checkpoint} --resume`,
    );
    return;
  }
  // Figures over the whole data file (training part included), float64 reference and fixed point.
  const summary = await summarise([["start", start], ["finetuned", result.model]], {
    dense,
    data,
    head,
    config,
    path: dataPath,
  });
  const structure = checkStructure(result.model, {
    ...shape,
    structure: flags.structure,
    pes: flags.pes,
  });
  const ticket = result.summary?.winningTicket;
  if (ticket) {
    console.log(
      `winning ticket (${ticket.measure}, the sparse network retrained from the rewound weights ` +
        `against the dense run with the same budget): ${ticket.held ? "held" : "not held"}`,
    );
  }
  await saveModel(result.model, outPath, {
    safetensors: context.safetensors,
    tool: TOOLS.finetune,
  });
  await writeJsonAtomic(context.reportPath, {
    tool: TOOLS.finetune,
    model: flags.model,
    pruned: flags.pruned ?? null,
    data: dataPath,
    head: headPath ?? null,
    out: outPath,
    schedule,
    structure: flags.structure,
    block: formatBlock(shape.block),
    colShare: shape.colShare,
    pes: flags.pes,
    targetDensities: context.densities,
    knobs,
    objective,
    epochs,
    lr,
    seed,
    qat: qat ? config : null,
    density: weightDensity(result.model),
    structureCheck: structure,
    maskUnchanged: schedule === "fixed" && pruned ? true : null,
    winningTicket: ticket ?? null,
    summary,
    history: result.history,
  });
  console.log(
    `wrote ${outPath} (${
      schedule === "fixed" && pruned ? "zero mask unchanged" : `BCR structure`
    }: checked; density ${weightDensity(result.model).toFixed(4)}) and ${context.reportPath}`,
  );
});
