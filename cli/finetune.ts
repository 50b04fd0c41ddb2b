/**
 * `deno task finetune --model DENSE --pruned P --data D --out F [--head H] [--epochs N] [--lr X]
 * [--objective distill|labels] [--qat] [--config C] [--admm] [--admm-epochs N] [--block RxC]`:
 * fine-tune a pruned model with its BCR zero mask held (PyTorch, python/rnnfab), optionally after
 * ADMM. See docs/finetune.md.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { blockFlag, positiveFlag, seedFlag } from "./shared_flags.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadDataset } from "../model/dataset.ts";
import { runSequences } from "../model/evaluate.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";
import { loadHead, taskMetrics } from "../model/head.ts";
import { loadAnyModel, modelInputPaths, modelOutputPaths } from "../model/load.ts";
import { checkDerivedOutput, guardPaths, jsonHasTool, TOOLS } from "../util/output.ts";
import { compareOutputs } from "../model/metrics.ts";
import { namedMatrices, outputSize, type RnnModel, weightDensity } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { type BlockSize, formatBlock, parseBlock } from "../prune/mod.ts";
import { finetune } from "../prune/finetune.ts";

const NAME = "deno task finetune";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: `--model DENSE --pruned P --data D --out F [--head H] [--epochs N] [--lr X]
       [--objective distill|labels] [--qat] [--config C] [--admm] [--admm-epochs N] [--block RxC]
       [--seed S] [--batch-size B]`,
  description:
    `Fine-tunes the pruned model P with its BCR zero mask held (the zeros never change: F passes
"deno task prune --check-block" for P's block), with PyTorch from the project's .venv
(docs/finetune.md).`,
  flags: {
    model: { type: "path", required: true, placeholder: "DENSE", help: "the dense model" },
    pruned: { type: "path", required: true, placeholder: "P", help: "the pruned model (the mask)" },
    data: {
      type: "path",
      required: true,
      placeholder: "D",
      help: 'data file ({"sequences": ..., "labels": ...} or .safetensors); 10% of it is held ' +
        "out for the per-epoch figures and the choice of the best epoch",
    },
    out: { type: "path", required: true, placeholder: "F", help: "fine-tuned model to write" },
    head: {
      type: "path",
      placeholder: "H",
      help: 'classification head ({"weight": [[...]], "bias": [...]}); with labels the held-out ' +
        "accuracy is printed every epoch",
    },
    objective: {
      type: "enum",
      values: ["distill", "labels"],
      default: "distill",
      help: "distill: reproduce DENSE's outputs on D's sequences (no labels needed); labels: " +
        "cross-entropy of the head H (kept fixed) against D's labels",
    },
    epochs: { type: "int", min: 1, max: 10000, default: 10, help: "masked fine-tuning epochs" },
    lr: positiveFlag("Adam learning rate, cosine decay to 0", { placeholder: "X", default: 0.002 }),
    qat: {
      type: "bool",
      help: "fine-tune through the fixed-point formats of --config (straight-through rounding of " +
        'weights and inputs), e.g. {"weightBits": 8}',
    },
    config: { type: "path", placeholder: "C", help: "fixed-point formats (JSON, as for infer)" },
    admm: {
      type: "bool",
      help: "ADMM from DENSE towards P's BCR structure (block, per-matrix densities), then " +
        "rnnfab's BCR pruning, then masked fine-tuning",
    },
    "admm-epochs": {
      type: "int",
      min: 1,
      max: 10000,
      placeholder: "N",
      help: "ADMM epochs",
      defaultText: "--epochs",
    },
    block: blockFlag({
      allowAll: true,
      help: "the block P was pruned with, for --admm",
      defaultText: "from P's .prune.json report",
    }),
    seed: seedFlag({ help: "split and shuffling seed", default: 1 }),
    "batch-size": { type: "int", min: 1, max: 65536, default: 32, help: "minibatch size" },
  },
  notes: "The report goes to F with .json replaced by .finetune.json.",
});

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

/** The block P was pruned with: --block, else P's .prune.json report. */
async function admmBlock(
  flag: BlockSize | undefined,
  prunedPath: string,
): Promise<{ block: BlockSize; colShare: number }> {
  const reportPath = prunedPath.replace(/\.json$/i, "") + ".prune.json";
  let report: { hyperparameters?: { block?: string; colShare?: number } } = {};
  try {
    report = JSON.parse(await Deno.readTextFile(reportPath));
  } catch {
    // no report: --block is required
  }
  const text = report.hyperparameters?.block;
  const block = flag ?? (text ? parseBlock(text) : null);
  if (!block) {
    throw new UserError(
      `${NAME}: --admm needs --block RxC (the block ${prunedPath} was pruned with; no ${reportPath} to read it from)`,
    );
  }
  return { block, colShare: report.hyperparameters?.colShare ?? 0.5 };
}

/**
 * No output may be an input (docs/reliability.md); the report and the weights file beside `--out`
 * are overwritten only when they are earlier outputs of rnnfab.
 */
async function guardFinetunePaths(paths: {
  model: string;
  pruned: string;
  data: string;
  head?: string;
  config?: string;
  out: string;
  reportPath: string;
  safetensors: boolean;
}): Promise<void> {
  const optional = (path: string | undefined, flag: string) => path ? [{ path, flag }] : [];
  await guardPaths({
    command: NAME,
    inputs: [
      ...await modelInputPaths(paths.model),
      ...await modelInputPaths(paths.pruned, "--pruned"),
      { path: paths.data, flag: "--data" },
      ...optional(paths.head, "--head"),
      ...optional(paths.config, "--config"),
    ],
    outputs: [
      ...modelOutputPaths(paths.out, { flag: "--out", safetensors: paths.safetensors }),
      { path: paths.reportPath, flag: "report", kind: "file" },
    ],
  });
  await checkDerivedOutput(paths.reportPath, {
    command: NAME,
    what: "fine-tuning report",
    isOurs: (head) => jsonHasTool(head, TOOLS.finetune),
  });
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { model: densePath, pruned: prunedPath, data: dataPath, out: outPath } = flags;
  const { objective, epochs, lr, seed } = flags;
  const batchSize = flags["batch-size"];
  const admmEpochs = flags["admm-epochs"] ?? epochs;
  const config = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : DEFAULT_FIXED_CONFIG;
  const dense = await loadAnyModel(densePath);
  const pruned = await loadAnyModel(prunedPath);
  checkSameShape(dense, pruned, densePath, prunedPath);
  const headPath = typeof flags.head === "string" ? flags.head : undefined;
  const safetensors = namedMatrices(dense).reduce((s, m) => s + m.matrix.data.length, 0) >
    1_000_000;
  const reportPath = outPath.replace(/\.json$/i, "") + ".finetune.json";
  await guardFinetunePaths({ ...flags, head: headPath, safetensors, reportPath });
  const head = headPath ? await loadHead(headPath, outputSize(dense)) : undefined;
  const data = await loadDataset(dataPath, {
    inputSize: dense.inputSize,
    classes: head?.weight.rows,
  });
  if (objective === "labels" && (!head || !data.labels)) {
    throw new UserError(`${NAME}: --objective labels needs --head H and labels in ${dataPath}`);
  }
  const admm = flags.admm
    ? { epochs: admmEpochs, ...(await admmBlock(flags.block, prunedPath)) }
    : undefined;
  console.log(
    `fine-tuning ${prunedPath} (density ${
      weightDensity(pruned).toFixed(4)
    }) on ${data.sequences.length} sequences of ${dataPath}: objective ${objective}, ${epochs} epochs, lr ${lr}${
      flags.qat ? `, QAT ${config.weightBits}-bit weights` : ""
    }${admm ? `, after ${admm.epochs} ADMM epochs towards block ${formatBlock(admm.block)}` : ""}`,
  );
  const result = await finetune({
    dense,
    pruned,
    dataPath,
    headPath,
    objective,
    epochs,
    lr,
    seed,
    batchSize,
    qat: flags.qat
      ? {
        weightBits: config.weightBits,
        activationBits: config.activationBits,
        activationFrac: config.activationFrac,
      }
      : undefined,
    admm,
    onLine: (line) => console.log(`  ${line}`),
  });
  // Figures over the whole data file (training part included), float64 reference and fixed point.
  const summary: Record<string, unknown> = {};
  const reference = runSequences(dense, data.sequences).outputs;
  for (const [name, model] of [["start", result.start], ["finetuned", result.model]] as const) {
    for (const mode of ["float", "fixed"] as const) {
      const outputs = runSequences(model, data.sequences, { mode, config }).outputs;
      const error = compareOutputs(reference.flat(), outputs.flat()).relativeRmsError;
      const metrics = head && data.labels ? taskMetrics(head, outputs, data.labels) : undefined;
      summary[`${name}.${mode}`] = { relativeRmsError: error, ...(metrics ?? {}) };
      console.log(
        `${name.padEnd(9)} ${
          mode.padEnd(5)
        } on all of ${dataPath} (measured): relative RMS error vs dense ${error.toFixed(5)}${
          metrics ? `, accuracy ${(metrics.accuracy * 100).toFixed(2)}%` : ""
        }`,
      );
    }
  }
  await saveModel(result.model, outPath, { safetensors, tool: TOOLS.finetune });
  await writeJsonAtomic(reportPath, {
    tool: TOOLS.finetune,
    model: densePath,
    pruned: prunedPath,
    data: dataPath,
    head: headPath ?? null,
    out: outPath,
    objective,
    epochs,
    lr,
    qat: flags.qat ? config : null,
    admm: admm
      ? { epochs: admm.epochs, block: formatBlock(admm.block), colShare: admm.colShare }
      : null,
    density: weightDensity(result.model),
    maskUnchanged: true,
    summary,
    history: result.history,
  });
  console.log(`wrote ${outPath} (zero mask unchanged: checked) and ${reportPath}`);
});
