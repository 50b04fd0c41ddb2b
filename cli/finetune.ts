/**
 * `deno task finetune --model DENSE --pruned P --data D --out F [--head H] [--epochs N] [--lr X]
 * [--objective distill|labels] [--qat] [--config C] [--admm] [--admm-epochs N] [--block RxC]`:
 * fine-tune a pruned model with its BCR zero mask held (PyTorch, python/rnnfab), optionally after
 * ADMM. See docs/finetune.md.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadDataset } from "../model/dataset.ts";
import { runSequences } from "../model/evaluate.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";
import { loadHead, taskMetrics } from "../model/head.ts";
import { loadAnyModel } from "../model/load.ts";
import { compareOutputs } from "../model/metrics.ts";
import { namedMatrices, outputSize, type RnnModel, weightDensity } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { type BlockSize, formatBlock, parseBlock } from "../prune/prune.ts";
import { finetune, type FinetuneObjective } from "../prune/finetune.ts";

const NAME = "deno task finetune";
const USAGE = `--model DENSE --pruned P --data D --out F [--head H] [--epochs N] [--lr X]
       [--objective distill|labels] [--qat] [--config C] [--admm] [--admm-epochs N] [--block RxC]
       [--seed S] [--batch-size B]

Fine-tunes the pruned model P with its BCR zero mask held (the zeros never change: F passes
"deno task prune --check-block" for P's block), with PyTorch from the project's .venv.

  --data D              data file ({"sequences": ..., "labels": ...} or .safetensors); 10% of it is
                        held out for the per-epoch figures and the choice of the best epoch
  --objective distill   (default) reproduce DENSE's outputs on D's sequences; needs no labels
  --objective labels    cross-entropy of the linear head H (kept fixed) against D's labels
  --head H              classification head ({"weight": [[...]], "bias": [...]}); with labels the
                        held-out accuracy is printed every epoch
  --epochs N            masked fine-tuning epochs (default 10)
  --lr X                Adam learning rate, cosine decay to 0 (default 0.002)
  --qat                 fine-tune through the fixed-point formats (straight-through rounding of
                        weights and inputs), as given by --config C (e.g. {"weightBits": 8})
  --admm                ADMM from DENSE towards P's BCR structure (block, per-matrix densities),
                        then rnnfab's BCR pruning, then masked fine-tuning
  --admm-epochs N       ADMM epochs (default: --epochs)
  --block RxC           the block P was pruned with (default: from P's .prune.json report)
  --seed S              split and shuffling seed (default 1)
  --batch-size B        minibatch size (default 32)
The report goes to F with .json replaced by .finetune.json.`;

function positive(
  flags: Record<string, string | boolean | undefined>,
  flag: string,
  fallback: number,
  integer: boolean,
): number {
  const text = flags[flag];
  if (text === undefined) return fallback;
  const value = typeof text === "string" && text.trim() !== "" ? Number(text) : NaN;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UserError(
      `${NAME}: --${flag}: expected ${integer ? "a positive integer" : "a positive number"}, got ${
        String(text)
      }`,
    );
  }
  return value;
}

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
  flag: unknown,
  prunedPath: string,
): Promise<{ block: BlockSize; colShare: number }> {
  const reportPath = prunedPath.replace(/\.json$/i, "") + ".prune.json";
  let report: { hyperparameters?: { block?: string; colShare?: number } } = {};
  try {
    report = JSON.parse(await Deno.readTextFile(reportPath));
  } catch {
    // no report: --block is required
  }
  const text = typeof flag === "string" ? flag : report.hyperparameters?.block;
  const block = text ? parseBlock(text) : null;
  if (!block) {
    throw new UserError(
      `${NAME}: --admm needs --block RxC (the block ${prunedPath} was pruned with; no ${reportPath} to read it from)`,
    );
  }
  return { block, colShare: report.hyperparameters?.colShare ?? 0.5 };
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      model: { type: "string" },
      pruned: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      head: { type: "string" },
      epochs: { type: "string" },
      lr: { type: "string" },
      objective: { type: "string", default: "distill" },
      qat: { type: "boolean" },
      config: { type: "string" },
      admm: { type: "boolean" },
      "admm-epochs": { type: "string" },
      block: { type: "string" },
      seed: { type: "string" },
      "batch-size": { type: "string" },
    },
  });
  const densePath = requireFlag(flags, "model", NAME);
  const prunedPath = requireFlag(flags, "pruned", NAME);
  const dataPath = requireFlag(flags, "data", NAME);
  const outPath = requireFlag(flags, "out", NAME);
  const objective = flags.objective as FinetuneObjective;
  if (objective !== "distill" && objective !== "labels") {
    throw new UserError(`${NAME}: --objective: expected distill or labels, got ${objective}`);
  }
  const epochs = positive(flags, "epochs", 10, true);
  const lr = positive(flags, "lr", 0.002, false);
  const seed = positive(flags, "seed", 1, true);
  const batchSize = positive(flags, "batch-size", 32, true);
  const admmEpochs = positive(flags, "admm-epochs", epochs, true);
  const config = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : DEFAULT_FIXED_CONFIG;
  const dense = await loadAnyModel(densePath);
  const pruned = await loadAnyModel(prunedPath);
  checkSameShape(dense, pruned, densePath, prunedPath);
  const headPath = typeof flags.head === "string" ? flags.head : undefined;
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
  await saveModel(result.model, outPath, {
    safetensors: namedMatrices(dense).reduce((s, m) => s + m.matrix.data.length, 0) > 1_000_000,
  });
  const reportPath = outPath.replace(/\.json$/i, "") + ".finetune.json";
  await writeJsonAtomic(reportPath, {
    tool: "rnnfab finetune",
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
