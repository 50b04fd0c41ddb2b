/**
 * `deno task prune --model M --out P (--density d | --compression x | --block RxC --col-keep a
 * --row-keep b) [...]`: Block-based Column-Row pruning of a model's weight matrices, with a GRIM-style
 * hyperparameter search for a target density, PE load balancing and a fidelity report; or, without
 * pruning flags, a check of the BCR structure of an already pruned model. See docs/pruning.md.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { compareTaskBaselines } from "../prune/calibrate.ts";
import {
  loadCalibration,
  printTaskComparison,
  RANDOM_INPUTS_NOTE,
  refitOnCalibration,
} from "./prune_calib.ts";
import { loadAnyModel } from "../model/load.ts";
import { namedMatrices, type RnnModel, weightDensity } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import {
  type BcrCheck,
  type BlockSize,
  checkBlockFits,
  detectBcr,
  findBcrBlocks,
  formatBlock,
  modelPeLoad,
  type ModelPruneOptions,
  type ModelPruneReport,
  parseBlock,
  type PeLoad,
  peLoadImbalance,
  pruneModelBcr,
} from "../prune/prune.ts";
import {
  compareWithBaselines,
  type FidelityComparison,
  searchBcrHyperparameters,
  type SearchResult,
} from "../prune/search.ts";

const NAME = "deno task prune";
const USAGE =
  `--model M --out P (--density d | --compression x | --block RxC --col-keep a --row-keep b)
       [--block RxC] [--uniform] [--pes N] [--calib X] [--head H] [--refit] [--seed S] [--report R]
       [--check-block RxC] [--safetensors] [--quiet]

Block-based Column-Row (BCR) pruning (docs/pruning.md). Every weight matrix (weight_ih, weight_hh,
weight_hr of every layer) is tiled into R x C blocks; in each block whole columns are removed by L2
norm, then whole rows. Biases and peepholes are kept. Pruned weights become exact zeros.

Explicit hyperparameters:
  --block RxC         block shape, e.g. 16x16 (R or C may be "all": the whole dimension)
  --col-keep a        fraction of each block's columns kept, in (0, 1]
  --row-keep b        fraction of each block's rows kept after column pruning, in (0, 1]
Target (GRIM's decoupled search: block shape, then column/row split, then per-matrix rates,
minimising the output error against the dense model on calibration sequences):
  --density d         overall fraction of non-zero weights, in (0, 1]
  --compression x     same as --density 1/x (x >= 1)
  --block RxC         fix the block shape (skip the block search)
  --uniform           same density for every matrix, column share 0.5 (skip the rate search)
Common:
  --pes N             balance the non-zeros over N PEs (row i to PE i mod N) and report imbalance
  --calib X           calibration data: a data file of many sequences ({"sequences": ..., "labels":
                      ...} or .safetensors, docs/finetune.md) or one sequence ({"inputs": ...});
                      default: random sequences drawn from --seed (said so in the report)
  --head H            with labelled --calib data: minimise the task loss (cross-entropy of the
                      linear head H on the labels) instead of the output error; prints accuracy
  --refit             after pruning, re-solve the kept weights by least squares so that every
                      gate row reproduces the dense pre-activations on the --calib data (one shot,
                      same zeros; docs/finetune.md)
  --seed S            seed of the default calibration sequences (default 1)
  --report R          JSON report (default: P with .json replaced by .prune.json)
  --check-block RxC   say whether the input (no pruning flags) or the output is BCR for RxC
  --safetensors       write the weights to a .safetensors file beside P (default: as the input
                      did, and always above a million weights)
  --quiet             no search progress lines

Without pruning flags the model is accepted as is: its block structure is detected and printed
(and it is copied to P when --out is given).`;

/** Parse a number flag, or throw a UserError naming it and what was expected. */
function numberFlag(
  flags: Record<string, string | boolean | undefined>,
  flag: string,
  expected: string,
  valid: (value: number) => boolean,
): number | undefined {
  const text = flags[flag];
  if (text === undefined) return undefined;
  const value = typeof text === "string" && text.trim() !== "" ? Number(text) : NaN;
  if (!Number.isFinite(value) || !valid(value)) {
    throw new UserError(`${NAME}: --${flag}: expected ${expected}, got ${String(text)}`);
  }
  return value;
}

function blockFlag(
  flags: Record<string, string | boolean | undefined>,
  flag: string,
  model: RnnModel,
): BlockSize | undefined {
  const text = flags[flag];
  if (typeof text !== "string") return undefined;
  const block = parseBlock(text);
  if (!block) {
    throw new UserError(
      `${NAME}: --${flag}: expected RxC with positive integers or "all" (e.g. 16x16, 16xall), got ${text}`,
    );
  }
  const misfits = checkBlockFits(model, block);
  if (misfits.length > 0) {
    throw new UserError(
      `${NAME}: --${flag} ${text}: block larger than matrix ${
        misfits[0]
      } (use a smaller block or "all" for a whole dimension)`,
    );
  }
  return block;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(3)}%`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function padLeft(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

/** Whether the model file keeps its weights in a safetensors file (so the output should too). */
async function usesSafetensors(path: string): Promise<boolean> {
  if (!path.toLowerCase().endsWith(".json")) return false;
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    return typeof value?.weights === "string";
  } catch {
    return false;
  }
}

function reportPathFor(out: string): string {
  return out.replace(/\.json$/i, "") + ".prune.json";
}

function printMatrixTable(report: ModelPruneReport, pes?: number): void {
  console.log(
    `${pad("matrix", 14)}${pad("shape", 11)}${pad("block", 9)}${padLeft("colKeep", 8)}${
      padLeft("rowKeep", 9)
    }${padLeft("non-zeros", 11)}${padLeft("density", 9)}${pes ? padLeft("PE imbalance", 14) : ""}`,
  );
  for (const m of report.matrices) {
    console.log(
      `${pad(m.name, 14)}${pad(`${m.rows}x${m.cols}`, 11)}${pad(formatBlock(m.block), 9)}${
        padLeft(m.colKeep.toFixed(3), 8)
      }${padLeft(m.rowKeep.toFixed(3), 9)}${padLeft(String(m.nonZeros), 11)}${
        padLeft(m.density.toFixed(4), 9)
      }${m.peLoad ? padLeft(percent(m.peLoad.imbalance), 14) : ""}`,
    );
  }
  console.log(
    `overall: ${report.nonZeros} non-zeros of ${report.weights} weights (computed): density ${
      report.density.toFixed(4)
    }, compression ${report.compression.toFixed(2)}x${
      report.peLoad
        ? `, PE imbalance ${
          percent(report.peLoad.imbalance)
        } over ${report.peLoad.pes} PEs (max/mean - 1)`
        : ""
    }`,
  );
}

function printFidelity(comparison: FidelityComparison, calibrationLabel: string): void {
  console.log(
    `fidelity against the dense model (measured with the float64 reference on ${calibrationLabel}; density ${
      comparison.density.toFixed(4)
    } for all rows):`,
  );
  const rows: [string, { relativeRmsError: number; cosine: number }][] = [
    ["BCR, this result", comparison.result],
    ["BCR, uniform 16x16 (no search)", comparison.bcrUniform],
    ["magnitude, per matrix (unstructured)", comparison.magnitudePerMatrix],
    ["magnitude, global (unstructured)", comparison.magnitudeGlobal],
  ];
  for (const [label, fidelity] of rows) {
    console.log(
      `  ${pad(label, 38)} relative RMS error ${fidelity.relativeRmsError.toFixed(5)}  cosine ${
        fidelity.cosine.toFixed(5)
      }`,
    );
  }
}

function structureOf(model: RnnModel, checkBlock?: BlockSize) {
  return namedMatrices(model).map(({ name, matrix }) => {
    const density = detectBcr(matrix, { rows: 1, cols: 1 }).density;
    const entry: {
      name: string;
      rows: number;
      cols: number;
      density: number;
      bcrBlocks?: string[];
      check?: BcrCheck;
    } = { name, rows: matrix.rows, cols: matrix.cols, density };
    if (density < 1) {
      entry.bcrBlocks = findBcrBlocks(matrix)
        .filter((b) => b.rows > 1 && b.cols > 1)
        .map(formatBlock);
    }
    if (checkBlock) entry.check = detectBcr(matrix, checkBlock);
    return entry;
  });
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      model: { type: "string" },
      out: { type: "string" },
      block: { type: "string" },
      "col-keep": { type: "string" },
      "row-keep": { type: "string" },
      density: { type: "string" },
      compression: { type: "string" },
      uniform: { type: "boolean" },
      pes: { type: "string" },
      calib: { type: "string" },
      head: { type: "string" },
      refit: { type: "boolean" },
      seed: { type: "string" },
      report: { type: "string" },
      "check-block": { type: "string" },
      safetensors: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  const modelPath = requireFlag(flags, "model", NAME);
  const fraction = "a number in (0, 1]";
  const density = numberFlag(flags, "density", fraction, (v) => v > 0 && v <= 1);
  const compression = numberFlag(flags, "compression", "a number >= 1", (v) => v >= 1);
  const colKeep = numberFlag(flags, "col-keep", fraction, (v) => v > 0 && v <= 1);
  const rowKeep = numberFlag(flags, "row-keep", fraction, (v) => v > 0 && v <= 1);
  const pes = numberFlag(flags, "pes", "an integer >= 1", (v) => Number.isInteger(v) && v >= 1);
  const seed = numberFlag(flags, "seed", "an integer", Number.isInteger) ?? 1;
  if (density !== undefined && compression !== undefined) {
    throw new UserError(`${NAME}: give --density or --compression, not both`);
  }
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
  if (explicit && flags.block === undefined) {
    throw new UserError(`${NAME}: explicit mode needs --block RxC with --col-keep and --row-keep`);
  }
  if (!explicit && target === undefined && flags.block !== undefined) {
    throw new UserError(
      `${NAME}: --block needs --col-keep and --row-keep, or a target --density/--compression`,
    );
  }
  const outPath = typeof flags.out === "string" && flags.out !== "" ? flags.out : undefined;
  const pruning = explicit || target !== undefined;
  if (pruning && !outPath) throw new UserError(`${NAME}: --out is required when pruning`);

  const model = await loadAnyModel(modelPath);
  const block = blockFlag(flags, "block", model);
  const checkBlock = blockFlag(flags, "check-block", model);
  const weights = namedMatrices(model).reduce((sum, { matrix }) => sum + matrix.data.length, 0);
  const inputDensity = weightDensity(model);
  console.log(
    `model ${modelPath}: ${model.kind}, ${model.numLayers} layer(s), ${weights} weights, density ${
      inputDensity.toFixed(4)
    } (computed)`,
  );
  // Weights go to a safetensors file when asked, when the input kept them in one, or when they
  // are too many for inline JSON (over a million).
  const safetensors = flags.safetensors === true || weights > 1_000_000 ||
    await usesSafetensors(modelPath);
  const reportPath = typeof flags.report === "string"
    ? flags.report
    : outPath
    ? reportPathFor(outPath)
    : undefined;

  if (!pruning) {
    // Accepted as is: detect and print the block structure.
    if (inputDensity === 1 && !checkBlock) {
      throw new UserError(
        `${NAME}: ${modelPath} is dense and no pruning was asked: give --density, --compression, or --block with --col-keep and --row-keep (or --check-block RxC to inspect)`,
      );
    }
    const structure = structureOf(model, checkBlock);
    for (const entry of structure) {
      const detected = entry.bcrBlocks
        ? entry.bcrBlocks.length > 0
          ? `BCR for blocks ${entry.bcrBlocks.join(", ")} (largest power-of-two shapes)`
          : "no BCR structure with blocks larger than one row or column"
        : "dense";
      const check = entry.check
        ? `; ${formatBlock(entry.check.block)}: ${
          entry.check.isBcr
            ? "BCR"
            : `not BCR (${entry.check.holes} holes, fill ${entry.check.fill.toFixed(4)})`
        }, colKeep ${entry.check.colKeep.toFixed(3)}, rowKeep ${entry.check.rowKeep.toFixed(3)}`
        : "";
      console.log(
        `  ${pad(entry.name, 14)}${pad(`${entry.rows}x${entry.cols}`, 11)} density ${
          entry.density.toFixed(4)
        }: ${detected}${check}`,
      );
    }
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
    if (outPath) await saveModel(model, outPath, { safetensors });
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
    return;
  }

  // Calibration sequences for the search and the fidelity report.
  const calib = await loadCalibration(model, {
    calib: typeof flags.calib === "string" ? flags.calib : undefined,
    head: typeof flags.head === "string" ? flags.head : undefined,
    seed,
    name: NAME,
  });
  const calibration = calib.sequences;
  const calibrationInfo = calib.info;
  const calibrationLabel = calib.label;
  if (calibrationInfo.random) console.log(`note: ${RANDOM_INPUTS_NOTE}`);

  let options: ModelPruneOptions;
  let search: SearchResult | undefined;
  const started = performance.now();
  if (explicit) {
    options = { block: block!, rates: { colKeep: colKeep!, rowKeep: rowKeep! }, pes };
    console.log(
      `explicit: block ${formatBlock(block!)}, colKeep ${colKeep}, rowKeep ${rowKeep}${
        pes ? `, ${pes} PEs` : ""
      }`,
    );
  } else {
    console.log(
      `target density ${target!.toFixed(4)} (compression ${
        (1 / target!).toFixed(2)
      }x); search on ${calibrationLabel}, minimising the ${
        calib.objective?.name ?? "relative RMS output error"
      }`,
    );
    search = searchBcrHyperparameters(model, {
      density: target!,
      calibration,
      pes,
      block,
      colShares: flags.uniform ? [0.5] : undefined,
      rounds: flags.uniform ? 0 : undefined,
      onProgress: flags.quiet ? undefined : (line) => console.error(line),
      objective: calib.objective,
    });
    options = search.options;
    console.log(
      `chosen (${search.candidates.length} candidates, ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s): block ${search.block}, column share ${search.colShare}, densities ${
        Object.entries(search.densities).map(([name, d]) => `${name} ${d.toFixed(4)}`).join(", ")
      }`,
    );
  }
  const { model: bcrModel, report } = pruneModelBcr(model, options);
  const pruned = flags.refit ? refitOnCalibration(model, bcrModel, calib) : bcrModel;
  printMatrixTable(report, pes);
  const outputCheck = namedMatrices(pruned).map(({ name, matrix }) => ({
    name,
    ...detectBcr(matrix, checkBlock ?? options.block),
  }));
  const outputIsBcr = outputCheck.every((entry) => entry.isBcr);
  console.log(
    `output is ${outputIsBcr ? "" : "not "}BCR for block ${
      formatBlock(checkBlock ?? options.block)
    } in every matrix${
      outputIsBcr
        ? ""
        : ` (${
          outputCheck.filter((e) => !e.isBcr).map((e) =>
            `${e.name}: ${e.holes} holes`
          ).join(", ")
        }; the input had exact zeros inside kept rows and columns)`
    }`,
  );
  const comparison = compareWithBaselines(model, pruned, report.density, calibration, pes);
  printFidelity(comparison, calibrationLabel);
  const task = calib.task
    ? compareTaskBaselines(model, pruned, { ...calib.task, density: report.density, pes })
    : undefined;
  if (task) printTaskComparison(task, calibrationLabel);

  await saveModel(pruned, outPath!, { safetensors });
  const peLoads = (load?: PeLoad) => load ?? null;
  await writeJsonAtomic(reportPath!, {
    tool: "rnnfab prune",
    mode: explicit ? "explicit" : "target",
    model: modelPath,
    out: outPath,
    target: target !== undefined ? { density: target, compression: 1 / target } : null,
    hyperparameters: {
      block: formatBlock(options.block),
      pes: pes ?? null,
      ...(explicit ? { colKeep, rowKeep } : { colShare: search!.colShare }),
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
      peLoad: peLoads(m.peLoad),
    })),
    overall: {
      weights: report.weights,
      nonZeros: report.nonZeros,
      density: report.density,
      compression: report.compression,
      isBcr: outputIsBcr,
      peLoad: peLoads(report.peLoad),
    },
    fidelity: {
      measured: "float64 reference (runFloat) from a zero state, outputs of all steps",
      calibration: calibrationInfo,
      ...comparison,
    },
    task: task ?? null,
    refit: flags.refit ? { on: "calibration data", inputs: "dense trajectory", ridge: 1e-3 } : null,
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
});

function matrixNamed(model: RnnModel, name: string) {
  return namedMatrices(model).find((entry) => entry.name === name)!.matrix;
}
