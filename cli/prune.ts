/**
 * `deno task prune --model M --out P (--density d | --compression x | --block RxC --col-keep a
 * --row-keep b) [...]`: Block-based Column-Row pruning of a model's weight matrices, with a GRIM-style
 * hyperparameter search for a target density, PE load balancing and a fidelity report; or, without
 * pruning flags, a check of the BCR structure of an already pruned model. See docs/pruning.md.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand, type FlagValues } from "./flags.ts";
import { blockFlag, fractionFlag, LANE_FLAG_VALUES, pesFlag, seedFlag } from "./shared_flags.ts";
import { checkDensityRange, checkKeepsWeights, type DensityFlag } from "./density_limits.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadAnyModel, modelInputPaths, modelOutputPaths } from "../model/load.ts";
import { checkDerivedOutput, guardPaths, jsonHasTool, TOOLS } from "../util/output.ts";
import { compareTaskBaselines } from "../prune/calibrate.ts";
import { compareVariants } from "../model/evaluate.ts";
import {
  type Calibration,
  correctionReport,
  type Corrections,
  correctOnCalibration,
  loadCalibration,
  printTaskComparison,
  printVariants,
  RANDOM_INPUTS_NOTE,
} from "./prune_calib.ts";
import { namedMatrices, type RnnModel, weightDensity } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import {
  checkOutput,
  percent,
  printFidelity,
  printMatrixTable,
  printStructure,
  structureOf,
  usesSafetensors,
} from "./prune_print.ts";
import {
  type BlockSize,
  checkBlockFits,
  compareWithBaselines,
  formatBlock,
  modelPeLoad,
  type ModelPruneOptions,
  type PeBalance,
  peLoadImbalance,
  pruneModelBcr,
  searchBcrHyperparameters,
  type SearchResult,
} from "../prune/mod.ts";

const NAME = "deno task prune";
const EXPLICIT = "Explicit hyperparameters";
const TARGET =
  "Target (GRIM's decoupled search: block shape, then column/row split, then per-matrix rates,\n" +
  "minimising the output error against the dense model on calibration sequences)";
const COMMON = "Common";

const COMMAND = defineCommand({
  name: NAME,
  synopsis:
    `--model M --out P (--density d | --compression x | --block RxC --col-keep a --row-keep b)
       [--block RxC] [--uniform] [--pes N] [--calib X] [--head H] [--refit] [--bias-correct] [--seed S] [--report R]
       [--select] [--check-block RxC] [--safetensors] [--quiet]`,
  description:
    `Block-based Column-Row (BCR) pruning (docs/pruning.md). Every weight matrix (weight_ih, weight_hh,
weight_hr of every layer) is tiled into R x C blocks; in each block whole columns are removed by L2
norm, then whole rows. Biases and peepholes are kept. Pruned weights become exact zeros.`,
  flags: {
    model: { type: "path", required: true, placeholder: "M", help: "model file (JSON or ONNX)" },
    out: { type: "path", placeholder: "P", help: "pruned model to write (required when pruning)" },
    block: blockFlag({
      allowAll: true,
      group: EXPLICIT,
      help: 'block shape, e.g. 16x16 (R or C may be "all": the whole dimension); with a target, ' +
        "it fixes the block shape (skips the block search)",
    }),
    "col-keep": fractionFlag("fraction of each block's columns kept", {
      group: EXPLICIT,
      placeholder: "a",
    }),
    "row-keep": fractionFlag("fraction of each block's rows kept after column pruning", {
      group: EXPLICIT,
      placeholder: "b",
    }),
    density: fractionFlag("overall fraction of non-zero weights", {
      group: TARGET,
      placeholder: "d",
    }),
    compression: {
      type: "number",
      min: 1,
      max: Infinity,
      group: TARGET,
      placeholder: "x",
      help: "same as --density 1/x",
    },
    uniform: {
      type: "bool",
      group: TARGET,
      help: "same density for every matrix, column share 0.5 (skip the rate search)",
    },
    pes: pesFlag({
      group: COMMON,
      help: "balance the non-zeros over N PEs (row i to PE i mod N) and report imbalance",
    }),
    lanes: {
      type: "enum",
      values: LANE_FLAG_VALUES,
      group: COMMON,
      placeholder: "L",
      help: "with --pes: the PEs' MAC lanes (gen --lanes): prune in lane order, keeping whole " +
        "lines of L rows (one weight word) instead of balancing single rows",
      defaultText: "1",
    },
    balance: {
      type: "enum",
      values: ["rows", "columns"],
      group: COMMON,
      default: "rows",
      help: "with --pes: what to balance: rows (each PE's non-zeros over each matrix) or " +
        "columns (each column's non-zeros over the PEs, with --lanes its lines: for delta " +
        "designs, docs/pruning.md)",
    },
    calib: {
      type: "path",
      group: COMMON,
      placeholder: "X",
      help: 'calibration data: a data file of many sequences ({"sequences": ..., "labels": ...} ' +
        'or .safetensors, docs/finetune.md) or one sequence ({"inputs": ...})',
      defaultText: "random sequences drawn from --seed, said so in the report",
    },
    head: {
      type: "path",
      group: COMMON,
      placeholder: "H",
      help:
        "with labelled --calib data: minimise the task loss (cross-entropy of the linear head " +
        "H on the labels) instead of the output error; prints accuracy",
    },
    refit: {
      type: "bool",
      group: COMMON,
      help: "after pruning, re-solve the kept weights by least squares so that every gate row " +
        "reproduces the dense pre-activations on the --calib data (one shot, same zeros)",
    },
    select: {
      type: "bool",
      group: COMMON,
      help: "with --calib D (a data file) and the search: choose the one-shot result among the " +
        "search's 3 best structures and its choice with 2x2 blocks x refit ridge 1e-3/1e-2/1e-1 " +
        "x bias correction off/on on a held-out split of D: accuracy, then the distillation loss " +
        "against the dense model, then cross-entropy (replaces --refit and --bias-correct)",
    },
    "bias-correct": {
      type: "bool",
      group: COMMON,
      help: "after pruning (and --refit), shift every gate row's biases so that its mean " +
        "pre-activation on the --calib data matches the dense model's (one shot, same weights); " +
        "kept only when it lowers the search's loss on that data",
    },
    seed: seedFlag({
      group: COMMON,
      help: "seed of the default calibration sequences",
      default: 1,
    }),
    report: {
      type: "path",
      group: COMMON,
      placeholder: "R",
      help: "JSON report",
      defaultText: "P with .json replaced by .prune.json",
    },
    "check-block": blockFlag({
      allowAll: true,
      group: COMMON,
      help: "say whether the input (no pruning flags) or the output is BCR for RxC",
    }),
    safetensors: {
      type: "bool",
      group: COMMON,
      help: "write the weights to a .safetensors file beside P (default: as the input did, and " +
        "always above a million weights)",
    },
    quiet: { type: "bool", group: COMMON, help: "no search progress lines" },
  },
  exclusive: [["density", "compression"]],
  notes:
    `Without pruning flags the model is accepted as is: its block structure is detected and printed
(and it is copied to P when --out is given).`,
});

type Flags = FlagValues<typeof COMMAND.flags>;

/** What the flags ask for: explicit rates, a target density, or a check of the model as is. */
type Request =
  | { mode: "explicit"; colKeep: number; rowKeep: number; block: BlockSize; source: DensityFlag }
  | { mode: "target"; density: number; block?: BlockSize; source: DensityFlag }
  | { mode: "check" };

/** Check the combination of pruning flags (their values are checked by the parser). */
function pruneRequest(flags: Flags): Request {
  const { density, compression, block } = flags;
  const colKeep = flags["col-keep"];
  const rowKeep = flags["row-keep"];
  const target = density ?? (compression !== undefined ? 1 / compression : undefined);
  const explicit = colKeep !== undefined || rowKeep !== undefined;
  if (explicit && target !== undefined) {
    throw new UserError(
      `${NAME}: --col-keep/--row-keep set the rates explicitly; do not combine them with --density/--compression`,
    );
  }
  if (explicit && (colKeep === undefined || rowKeep === undefined)) {
    throw new UserError(
      `${NAME}: explicit mode needs both --col-keep and --row-keep (and --block)`,
    );
  }
  if (explicit && block === undefined) {
    throw new UserError(`${NAME}: explicit mode needs --block RxC with --col-keep and --row-keep`);
  }
  if (!explicit && target === undefined && block !== undefined) {
    throw new UserError(
      `${NAME}: --block needs --col-keep and --row-keep, or a target --density/--compression`,
    );
  }
  if (flags.balance === "columns" && flags.pes === undefined) {
    throw new UserError(`${NAME}: --balance columns needs --pes`);
  }
  if ((explicit || target !== undefined) && flags.out === undefined) {
    throw new UserError(`${NAME}: --out is required when pruning`);
  }
  if (explicit) {
    const source = { command: NAME, flag: "col-keep" as const, given: `${colKeep} x ${rowKeep}` };
    return { mode: "explicit", colKeep: colKeep!, rowKeep: rowKeep!, block: block!, source };
  }
  if (target !== undefined) {
    const source: DensityFlag = density !== undefined
      ? { command: NAME, flag: "density", given: String(density) }
      : { command: NAME, flag: "compression", given: String(compression) };
    return { mode: "target", density: target, block, source };
  }
  return { mode: "check" };
}

/** Refuse a block (--block, --check-block) larger than a matrix of the model. */
function checkFits(model: RnnModel, flag: string, block: BlockSize | undefined): void {
  if (!block) return;
  const misfits = checkBlockFits(model, block);
  if (misfits.length > 0) {
    throw new UserError(
      `${NAME}: --${flag} ${formatBlock(block)}: block larger than matrix ${
        misfits[0]
      } (use a smaller block or "all" for a whole dimension)`,
    );
  }
}

/** What every mode needs besides the flags. */
interface Context {
  flags: Flags;
  model: RnnModel;
  modelPath: string;
  outPath?: string;
  reportPath?: string;
  safetensors: boolean;
  weights: number;
}

/** Check mode: the model is accepted as is; detect and print its block structure. */
async function checkModel(context: Context): Promise<void> {
  const { flags, model, modelPath, outPath, reportPath, safetensors, weights } = context;
  const checkBlock = flags["check-block"];
  const pes = flags.pes;
  const inputDensity = weightDensity(model);
  if (inputDensity === 1 && !checkBlock) {
    throw new UserError(
      `${NAME}: ${modelPath} is dense and no pruning was asked: give --density, --compression, or --block with --col-keep and --row-keep (or --check-block RxC to inspect)`,
    );
  }
  const structure = structureOf(model, checkBlock);
  printStructure(structure);
  const allBcr = checkBlock ? structure.every((entry) => entry.check!.isBcr) : undefined;
  if (checkBlock) {
    const count = structure.filter((entry) => entry.check!.isBcr).length;
    console.log(
      `the model is ${allBcr ? "" : "not "}BCR for block ${
        formatBlock(checkBlock)
      } (${count} of ${structure.length} matrices are)`,
    );
  }
  const peLoad = pes ? modelPeLoad(model, pes) : undefined;
  if (peLoad) {
    console.log(
      `PE imbalance ${percent(peLoad.imbalance)} over ${pes} PEs (max/mean - 1, computed)`,
    );
  }
  if (outPath) await saveModel(model, outPath, { safetensors, tool: TOOLS.prune });
  if (reportPath) {
    await writeJsonAtomic(reportPath, {
      tool: "rnnfab prune",
      mode: "check",
      model: modelPath,
      out: outPath ?? null,
      checkBlock: checkBlock ? formatBlock(checkBlock) : null,
      isBcr: allBcr ?? null,
      weights,
      density: inputDensity,
      matrices: structure.map((entry) => ({
        ...entry,
        peLoad: pes ? peLoadImbalance(matrixNamed(model, entry.name), pes) : undefined,
      })),
      peLoad: peLoad ?? null,
    });
  }
  if (outPath) console.log(`wrote ${outPath} (unchanged)`);
  if (reportPath) console.log(`wrote ${reportPath}`);
}

/** The MAC lanes of --lanes (1 without). */
function laneCount(flags: { lanes?: string }): number {
  return flags.lanes === undefined ? 1 : Number(flags.lanes);
}

/** What --pes balances (--balance). */
function balanceOf(flags: { balance?: string }): PeBalance {
  return flags.balance === "columns" ? "columns" : "rows";
}

/** The pruning options: the explicit rates, or the result of the hyperparameter search. */
async function chooseOptions(
  context: Context,
  request: Exclude<Request, { mode: "check" }>,
  calibration: Calibration,
): Promise<{ options: ModelPruneOptions; search?: SearchResult }> {
  const { flags, model } = context;
  const pes = flags.pes;
  if (request.mode === "explicit") {
    const { block, colKeep, rowKeep } = request;
    console.log(
      `explicit: block ${formatBlock(block)}, colKeep ${colKeep}, rowKeep ${rowKeep}${
        pes ? `, ${pes} PEs` : ""
      }`,
    );
    return {
      options: {
        block,
        rates: { colKeep, rowKeep },
        pes,
        lanes: laneCount(flags),
        balance: balanceOf(flags),
      },
    };
  }
  const started = performance.now();
  console.log(
    `target density ${request.density.toFixed(4)} (compression ${
      (1 / request.density).toFixed(2)
    }x); search on ${calibration.label}, minimising the ${
      calibration.objective?.name ?? "relative RMS output error"
    }`,
  );
  const search = await searchBcrHyperparameters(model, {
    density: request.density,
    calibration: calibration.sequences,
    pes,
    lanes: laneCount(flags),
    balance: balanceOf(flags),
    block: request.block,
    colShares: flags.uniform ? [0.5] : undefined,
    rounds: flags.uniform ? 0 : undefined,
    onProgress: flags.quiet ? undefined : (line) => console.error(line),
    objective: calibration.objective,
  });
  console.log(
    `chosen (${search.candidates.length} candidates, ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s): block ${search.block}, column share ${search.colShare}, densities ${
      Object.entries(search.densities).map(([name, d]) => `${name} ${d.toFixed(4)}`).join(", ")
    }`,
  );
  return { options: search.options, search };
}

/** " (refit + bias correction)" and the like: the corrections a result went through. */
function correctionNames(corrections: Corrections): string {
  const names = [
    ...(corrections.refit ? ["refit"] : []),
    ...(corrections.biasCorrect ? ["bias correction"] : []),
  ];
  return names.length ? ` (${names.join(" + ")})` : "";
}

/** Prune (explicit or searched), print the result and write the model and the report. */
async function pruneAndWrite(
  context: Context,
  request: Exclude<Request, { mode: "check" }>,
): Promise<void> {
  const { flags, model, modelPath, safetensors } = context;
  const outPath = context.outPath!;
  const reportPath = context.reportPath!;
  const calib = await loadCalibration(model, {
    calib: flags.calib,
    head: flags.head,
    seed: flags.seed,
    name: NAME,
  });
  const { sequences, info, label } = calib;
  if (info.random) console.log(`note: ${RANDOM_INPUTS_NOTE}`);
  const started = performance.now();
  const { options, search } = await chooseOptions(context, request, calib);
  const { model: bcrModel, report } = pruneModelBcr(model, options);
  const { select, refit } = flags;
  const corrected = refit || flags["bias-correct"] || select;
  const outcome = await correctOnCalibration(model, bcrModel, calib, {
    ...{ refit, biasCorrect: flags["bias-correct"], select, search },
  });
  const pruned = outcome.model;
  checkKeepsWeights(report.nonZeros, options.block, request.source);
  printMatrixTable(report, flags.pes, laneCount(flags));
  const lanes = flags.pes === undefined ? undefined : { pes: flags.pes, lanes: laneCount(flags) };
  const checked = checkOutput(pruned, flags["check-block"] ?? options.block, lanes);
  const { outputCheck, outputIsBcr } = checked;
  const { pes } = flags;
  const comparison = await compareWithBaselines(model, pruned, report.density, sequences, pes);
  printFidelity(comparison, label);
  const task = calib.task
    ? await compareTaskBaselines(model, pruned, {
      ...calib.task,
      density: report.density,
      pes: flags.pes,
    })
    : undefined;
  if (task) printTaskComparison(task, label);
  const variants = await compareVariants(model, [
    { name: "dense", model },
    ...(corrected ? [{ name: "BCR, one shot (before the corrections)", model: bcrModel }] : []),
    {
      name: `BCR, this result${correctionNames(outcome.applied)}`,
      model: pruned,
    },
  ], {
    dataset: calib.task?.dataset ?? { sequences, inputSize: model.inputSize },
    head: calib.task?.head,
  });
  printVariants(variants, label);

  await saveModel(pruned, outPath, { safetensors, tool: TOOLS.prune });
  const explicit = request.mode === "explicit";
  const target = explicit ? undefined : request.density;
  await writeJsonAtomic(reportPath, {
    tool: "rnnfab prune",
    mode: request.mode,
    model: modelPath,
    out: outPath,
    target: target !== undefined ? { density: target, compression: 1 / target } : null,
    hyperparameters: {
      block: formatBlock(options.block),
      pes: flags.pes ?? null,
      ...(explicit
        ? { colKeep: request.colKeep, rowKeep: request.rowKeep }
        : { colShare: search!.colShare }),
      perMatrix: Object.fromEntries(
        report.matrices.map((m) => [m.name, {
          block: formatBlock(m.block),
          targetDensity: search ? search.densities[m.name] : null,
          colKeep: m.colKeep,
          rowKeep: m.rowKeep,
        }]),
      ),
    },
    matrices: report.matrices.map((m) => ({
      ...m,
      block: formatBlock(m.block),
      isBcr: outputCheck.find((e) => e.name === m.name)!.isBcr,
      peLoad: m.peLoad ?? null,
    })),
    overall: {
      weights: report.weights,
      nonZeros: report.nonZeros,
      density: report.density,
      compression: report.compression,
      isBcr: outputIsBcr,
      peLoad: report.peLoad ?? null,
    },
    fidelity: {
      measured: "float64 reference (runFloat) from a zero state, outputs of all steps",
      calibration: info,
      ...comparison,
    },
    task: task ?? null,
    variants: {
      measured: "float64 reference and fixed-point golden model (default formats, bit-exact " +
        "with the RTL) on the calibration data; output error against the dense float64 outputs",
      rows: variants,
    },
    ...correctionReport(outcome),
    search: search
      ? {
        seconds: (performance.now() - started) / 1000,
        stages:
          "block (uniform density, column share 0.5), split (column share), rates (per matrix)",
        candidates: search.candidates,
      }
      : null,
  });
  console.log(`wrote ${outPath}${safetensors ? " (+ .safetensors)" : ""} and ${reportPath}`);
}

function matrixNamed(model: RnnModel, name: string) {
  return namedMatrices(model).find((entry) => entry.name === name)!.matrix;
}

/**
 * No output may be an input (docs/reliability.md), and the default report path beside the
 * output is overwritten only when it holds an earlier report of prune.
 */
async function guardPrunePaths(context: Context): Promise<void> {
  const { flags, outPath, reportPath, safetensors } = context;
  await guardPaths({
    command: NAME,
    inputs: [
      ...await modelInputPaths(context.modelPath),
      ...(flags.calib !== undefined ? [{ path: flags.calib, flag: "--calib" }] : []),
      ...(flags.head !== undefined ? [{ path: flags.head, flag: "--head" }] : []),
    ],
    outputs: [
      ...(outPath ? modelOutputPaths(outPath, { flag: "--out", safetensors }) : []),
      ...(reportPath ? [{ path: reportPath, flag: "--report", kind: "file" as const }] : []),
    ],
  });
  if (reportPath && flags.report === undefined) {
    await checkDerivedOutput(reportPath, {
      command: NAME,
      what: "pruning report",
      isOurs: (head) => jsonHasTool(head, TOOLS.prune),
    });
  }
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const request = pruneRequest(flags);
  const modelPath = flags.model;
  const model = await loadAnyModel(modelPath);
  checkFits(model, "block", flags.block);
  checkFits(model, "check-block", flags["check-block"]);
  if (request.mode === "explicit") {
    checkDensityRange(model, modelPath, request.colKeep * request.rowKeep, request.source);
  } else if (request.mode === "target") {
    checkDensityRange(model, modelPath, request.density, request.source);
  }
  const weights = namedMatrices(model).reduce((sum, { matrix }) => sum + matrix.data.length, 0);
  console.log(
    `model ${modelPath}: ${model.kind}, ${model.numLayers} layer(s), ${weights} weights, density ${
      weightDensity(model).toFixed(4)
    } (computed)`,
  );
  const outPath = flags.out;
  const context: Context = {
    flags,
    model,
    modelPath,
    outPath,
    reportPath: flags.report ??
      (outPath ? outPath.replace(/\.json$/i, "") + ".prune.json" : undefined),
    // Weights go to a safetensors file when asked, when the input kept them in one, or when they
    // are too many for inline JSON (over a million).
    safetensors: flags.safetensors || weights > 1_000_000 || await usesSafetensors(modelPath),
    weights,
  };
  await guardPrunePaths(context);
  if (request.mode === "check") await checkModel(context);
  else await pruneAndWrite(context, request);
});
