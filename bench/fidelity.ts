/**
 * `deno task bench:fidelity`: test accuracy of the trained examples (examples/*_lstm.json,
 * digits_gru.json, with their heads and test sets) pruned to densities 0.5, 0.25, 0.1 and 0.05 by
 * four methods, in float64 and in fixed point (the golden model, bit-exact with the RTL):
 *
 * 1. magnitude, per matrix (unstructured, one shot);
 * 2. the BCR search, one shot, calibrated on the training data (task cross-entropy of the head),
 *    the same + a least-squares refit, that + a bias correction, the guarded one-shot result (bias
 *    correction kept when it lowers the calibration loss) and the held-out selected one
 *    (prune/select.ts), all chosen on the training data;
 * 3. (2) with refit + masked fine-tuning (labels objective, PyTorch);
 * 4. BCR + ADMM from the dense model towards (2)'s structure, then masked fine-tuning.
 *
 * Training data: scripts/fidelity_data.py (bundled data). Writes bench/results/fidelity.json (.md).
 * Targets (docs/finetune.md): fixed-point accuracy within 1 point of the dense float model after
 * fine-tuning at 4x on the 64-cell models and at 10x on the 256-cell one; the calibrated search at
 * least as accurate as magnitude per matrix at every density.
 *
 * @module
 */

import { join } from "node:path";
import { makeExampleData, readReports, reportFiles } from "./example_files.ts";
import { type Dataset, loadDataset } from "../model/dataset.ts";
import { evaluateTask } from "../model/evaluate.ts";
import { type Head, loadHead } from "../model/head.ts";
import { loadModel, saveModel } from "../model/model_io.ts";
import { outputSize, type RnnModel, weightDensity } from "../model/model.ts";
import { calibrationSubset, taskObjective } from "../prune/calibrate.ts";
import { finetune } from "../prune/finetune.ts";
import { type BlockSize, magnitudePrune, pruneModelBcr } from "../prune/mod.ts";
import { correctBiasesIfBetter } from "../prune/bias_correct.ts";
import { refitKeptWeights } from "../prune/refit.ts";
import { searchBcrHyperparameters, searchLoss, type SearchResult } from "../prune/search.ts";
import { type SelectionVariant, selectOneShot } from "../prune/select.ts";
import { FIDELITY_REPORT_HEAD, fidelityMarkdown } from "./fidelity_report.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** One trained example and how it is fine-tuned. */
export interface FidelityExample {
  /** Name (examples/<name>.json, <name>.head.json). */
  name: string;
  /** Data set name (<data>_train.json, <data>_test.json). */
  data: string;
  /** Masked fine-tuning epochs (ADMM: half ADMM, half masked). */
  epochs: number;
  /** Adam learning rate. */
  lr: number;
}

/** The benchmark's examples. */
export const FIDELITY_EXAMPLES: FidelityExample[] = [
  { name: "digits_lstm", data: "digits", epochs: 20, lr: 5e-3 },
  { name: "digits_gru", data: "digits", epochs: 20, lr: 5e-3 },
  { name: "vowels_lstm", data: "vowels", epochs: 10, lr: 2e-3 },
];

/** Float and fixed-point test accuracy of one model. */
export interface AccuracyPair {
  /** float64 reference. */
  float: number;
  /** Fixed-point golden model (default formats, 12-bit weights). */
  fixed: number;
  /** Achieved weight density. */
  density: number;
}

/** Whether the one-shot flow kept the bias correction, and the calibration losses it compared. */
export interface BiasDecision {
  /** Kept (it lowered the loss). */
  applied: boolean;
  /** The search's loss (the head's cross-entropy) on the calibration data, search + refit. */
  lossBefore: number;
  /** The same after the bias correction. */
  lossAfter: number;
}

/** What the held-out selection chose, and on what split of the training data. */
export interface SelectionRecord {
  /** The chosen variant with its held-out figures. */
  chosen: SelectionVariant;
  /** How the training data was split. */
  split: string;
  /** Training sequences the variants were fitted on / scored on. */
  fitSequences: number;
  heldOutSequences: number;
  /** What the held-out loss is. */
  loss: string;
  /** The ranking rule, in words (absent in reports before it was recorded). */
  rule?: string;
  /** Every variant scored. */
  variants: SelectionVariant[];
}

/** One density's row. */
export interface DensityRow {
  /** Target density. */
  density: number;
  /** Magnitude pruning per matrix, one shot. */
  magnitudePerMatrix: AccuracyPair;
  /** The calibrated BCR search, one shot. */
  bcrSearch: AccuracyPair & { block: string; colShare: number; seconds: number };
  /** The calibrated BCR search + least-squares refit of the kept weights, one shot. */
  bcrSearchRefit: AccuracyPair & { seconds: number };
  /** Search + refit + bias correction, always applied (absent in reports before the step). */
  bcrSearchRefitBias?: AccuracyPair & { seconds: number };
  /**
   * The search's one-shot result: search + refit, + the bias correction when it lowers the
   * search's loss on the calibration data (absent in reports before the step).
   */
  bcrSearchOneShot?: AccuracyPair & { biasCorrection: BiasDecision };
  /**
   * The one-shot result chosen on a held-out split of the training data (`selectOneShot`): the
   * search's best structures x refit ridge terms x bias correction off/on (absent in reports
   * before the step).
   */
  bcrSearchSelected?: AccuracyPair & { seconds: number; selection: SelectionRecord };
  /** BCR search + refit + masked fine-tuning. */
  bcrFinetuned: AccuracyPair & { seconds: number };
  /** BCR + ADMM + masked fine-tuning. */
  bcrAdmm: AccuracyPair & { seconds: number };
}

/** One example's models and data, as the columns read them. */
export interface Context {
  /** The example. */
  example: FidelityExample;
  /** The dense trained model. */
  dense: RnnModel;
  /** Its classification head, and the file it came from. */
  head: Head;
  headPath: string;
  /** Training data (every choice is made on it), and its file. */
  train: Dataset;
  trainPath: string;
  /** Test data (measures the chosen models only). */
  test: Dataset;
  /** Work folder. */
  work: string;
  /** With `--one-shot`: the earlier report's rows whose fine-tuned and ADMM columns are kept. */
  carried?: DensityRow[];
  /** With `--selected`: the earlier report's rows, every column kept but the held-out selected. */
  rerunSelected?: DensityRow[];
}

async function accuracy(context: Context, model: RnnModel): Promise<AccuracyPair> {
  const measure = async (mode: "float" | "fixed") =>
    (await evaluateTask(model, context.head, context.test, { mode })).accuracy;
  const float = await measure("float");
  return { float, fixed: await measure("fixed"), density: weightDensity(model) };
}

const log = (line: string): void => console.error(line);

/** The calibrated search, one shot, on the training data (its calibration subset). */
async function searchColumn(context: Context, density: number, tag: string) {
  const { dense } = context;
  const started = performance.now();
  const calibration = calibrationSubset(dense, context.train);
  const objective = taskObjective(context.head, calibration);
  const search = await searchBcrHyperparameters(dense, {
    density,
    calibration: calibration.sequences,
    objective,
  });
  const pruned = pruneModelBcr(dense, search.options).model;
  const bcrSearch = {
    ...await accuracy(context, pruned),
    block: search.block,
    colShare: search.colShare,
    seconds: (performance.now() - started) / 1000,
  };
  log(`${tag}: BCR search ${JSON.stringify(bcrSearch)}`);
  return { calibration, objective, search, pruned, bcrSearch };
}

/**
 * The one-shot columns: magnitude, the calibrated search, + refit, + bias correction, the guarded
 * and the held-out selected one-shot results. Every choice is made on `context.train`; the test
 * set only measures the models chosen.
 */
export async function oneShotColumns(context: Context, density: number, tag: string) {
  const { dense } = context;
  const magnitudePerMatrix = await accuracy(context, magnitudePrune(dense, density, "per-matrix"));
  log(`${tag}: magnitude per matrix ${JSON.stringify(magnitudePerMatrix)}`);
  const searched = await searchColumn(context, density, tag);
  const { calibration, objective, search, pruned, bcrSearch } = searched;
  let started = performance.now();
  const refitted = await refitKeptWeights(dense, pruned, calibration.sequences);
  const bcrSearchRefit = {
    ...await accuracy(context, refitted),
    seconds: (performance.now() - started) / 1000,
  };
  log(`${tag}: BCR search + refit ${JSON.stringify(bcrSearchRefit)}`);
  started = performance.now();
  const { sequences } = calibration;
  const guarded = await correctBiasesIfBetter(dense, refitted, {
    sequences,
    loss: searchLoss(dense, sequences, objective),
  });
  const bcrSearchRefitBias = {
    ...await accuracy(context, guarded.corrected),
    seconds: (performance.now() - started) / 1000,
  };
  log(`${tag}: BCR search + refit + bias correction ${JSON.stringify(bcrSearchRefitBias)}`);
  const { applied, lossBefore, lossAfter } = guarded;
  const { seconds: _, ...chosen } = applied ? bcrSearchRefitBias : bcrSearchRefit;
  const bcrSearchOneShot = { ...chosen, biasCorrection: { applied, lossBefore, lossAfter } };
  log(`${tag}: one-shot result ${JSON.stringify(bcrSearchOneShot)}`);
  const bcrSearchSelected = await selectedColumn(context, { search, calibration, tag });
  const columns = {
    magnitudePerMatrix,
    bcrSearch,
    bcrSearchRefit,
    bcrSearchRefitBias,
    bcrSearchOneShot,
    bcrSearchSelected,
  };
  return { columns, search, refitted };
}

/**
 * The one-shot result chosen on a held-out split of the training data. Only the training data
 * (`context.train`, of which `calibration` is the search's subset) and the head reach the
 * selection; the test set is used afterwards, to measure the chosen model.
 */
async function selectedColumn(
  context: Context,
  run: { search: SearchResult; calibration: Dataset; tag: string },
) {
  const started = performance.now();
  const selection = await selectOneShot(context.dense, {
    search: run.search,
    data: context.train,
    calibration: run.calibration,
    head: context.head,
    onProgress: log,
  });
  const { chosen, split, loss, rule, variants } = selection;
  const column = {
    ...await accuracy(context, selection.model),
    seconds: (performance.now() - started) / 1000,
    selection: {
      chosen,
      split: split.how,
      fitSequences: split.fitIndices.length,
      heldOutSequences: split.heldOutIndices.length,
      loss,
      rule,
      variants,
    },
  };
  const { variants: _, ...shown } = column.selection;
  log(
    `${run.tag}: held-out selected one-shot result ${
      JSON.stringify({ ...column, selection: shown })
    }`,
  );
  return column;
}

/**
 * The fine-tuned and ADMM columns of an earlier report (`--one-shot`), after checking that this
 * run reproduced that report's search + refit, where fine-tuning and ADMM start.
 */
function carriedColumns(context: Context, density: number, refit: AccuracyPair) {
  const row = context.carried!.find((r) => r.density === density);
  if (!row) throw new Error(`--one-shot: the earlier report has no row at density ${density}`);
  const same = (a: AccuracyPair) =>
    a.float === refit.float && a.fixed === refit.fixed && a.density === refit.density;
  if (!same(row.bcrSearchRefit)) {
    throw new Error(
      `--one-shot: search + refit at density ${density} is not the earlier report's (${
        JSON.stringify(row.bcrSearchRefit)
      } there, ${JSON.stringify(refit)} now): its fine-tuned columns cannot be kept`,
    );
  }
  return { bcrFinetuned: row.bcrFinetuned, bcrAdmm: row.bcrAdmm };
}

/** Masked fine-tuning from search + refit, and ADMM towards the search's structure. */
async function trainedColumns(
  context: Context,
  density: number,
  start: { refitted: RnnModel; block: BlockSize; colShare: number },
) {
  const { dense, example } = context;
  const tag = `${example.name} @ ${density}`;
  await saveModel(start.refitted, join(context.work, `${example.name}_${density}_bcr.json`), {
    safetensors: true,
  });
  const common = {
    dense,
    pruned: start.refitted,
    dataPath: context.trainPath,
    headPath: context.headPath,
    objective: "labels" as const,
    lr: example.lr,
    onLine: (line: string) => log(`  ${tag}: ${line}`),
  };
  let started = performance.now();
  const tuned = await finetune({ ...common, epochs: example.epochs });
  const bcrFinetuned = {
    ...await accuracy(context, tuned.model),
    seconds: (performance.now() - started) / 1000,
  };
  log(`${tag}: BCR + fine-tune ${JSON.stringify(bcrFinetuned)}`);
  started = performance.now();
  const half = Math.max(1, Math.round(example.epochs / 2));
  const admm = await finetune({
    ...common,
    epochs: half,
    admm: { epochs: half, block: start.block, colShare: start.colShare },
  });
  const bcrAdmm = {
    ...await accuracy(context, admm.model),
    seconds: (performance.now() - started) / 1000,
  };
  log(`${tag}: BCR + ADMM ${JSON.stringify(bcrAdmm)}`);
  return { bcrFinetuned, bcrAdmm };
}

/**
 * `--selected`: the earlier report's row with the held-out selected column measured again. The
 * search runs again (the selection starts from its candidates) and must reproduce the earlier
 * search column exactly (structure and test accuracy), else the run stops.
 */
async function rerunSelectedRow(context: Context, density: number, tag: string) {
  const row = context.rerunSelected!.find((r) => r.density === density);
  if (!row) throw new Error(`--selected: the earlier report has no row at density ${density}`);
  const { calibration, search, bcrSearch } = await searchColumn(context, density, tag);
  const { seconds: _, ...now } = bcrSearch;
  const { seconds: __, ...then } = row.bcrSearch;
  if (JSON.stringify(now) !== JSON.stringify(then)) {
    throw new Error(
      `--selected: the search at density ${density} is not the earlier report's (${
        JSON.stringify(then)
      } there, ${JSON.stringify(now)} now)`,
    );
  }
  return { ...row, bcrSearchSelected: await selectedColumn(context, { search, calibration, tag }) };
}

async function densityRow(context: Context, density: number): Promise<DensityRow> {
  const tag = `${context.example.name} @ ${density}`;
  if (context.rerunSelected) return rerunSelectedRow(context, density, tag);
  const { columns, search, refitted } = await oneShotColumns(context, density, tag);
  const trained = context.carried
    ? carriedColumns(context, density, columns.bcrSearchRefit)
    : await trainedColumns(context, density, {
      refitted,
      block: search.options.block,
      colShare: search.colShare,
    });
  return { density, ...columns, ...trained };
}

/** Where and what `runExample` runs. */
export interface ExampleRunOptions {
  /** Work folder (data, pruned models). */
  work: string;
  /** Target densities, in the order they run. */
  densities: number[];
  /** `--one-shot`: this example's rows of an earlier report, whose trained columns are kept. */
  carried?: DensityRow[];
  /** `--selected`: this example's rows of an earlier report; only the selected column runs. */
  rerunSelected?: DensityRow[];
}

/** Run every density of one example. */
export async function runExample(
  example: FidelityExample,
  options: ExampleRunOptions,
  onRow: (partial: ExampleResult) => Promise<void> = async () => {},
): Promise<ExampleResult> {
  const dense = await loadModel(`${ROOT}examples/${example.name}.json`);
  const headPath = `${ROOT}examples/${example.name}.head.json`;
  const head = await loadHead(headPath, outputSize(dense));
  const expect = { inputSize: dense.inputSize, classes: head.weight.rows };
  const { work, densities } = options;
  const trainPath = join(work, "data", `${example.data}_train.json`);
  const context: Context = {
    example,
    dense,
    head,
    headPath,
    train: await loadDataset(trainPath, expect),
    trainPath,
    test: await loadDataset(`${ROOT}examples/${example.data}_test.json`, expect),
    work,
    carried: options.carried,
    rerunSelected: options.rerunSelected,
  };
  const denseAccuracy = await accuracy(context, dense);
  log(`${example.name}: dense ${JSON.stringify(denseAccuracy)}`);
  const rows: DensityRow[] = [];
  const result = () => ({
    name: example.name,
    model: `examples/${example.name}.json`,
    kind: dense.kind,
    hiddenSize: dense.hiddenSize,
    numLayers: dense.numLayers,
    trainSequences: context.train.sequences.length,
    testSequences: context.test.sequences.length,
    finetune: { epochs: example.epochs, lr: example.lr, objective: "labels" },
    dense: denseAccuracy,
    // Densest first, whatever order they ran in.
    rows: rows.slice().sort((a, b) => b.density - a.density),
  });
  for (const density of densities) {
    rows.push(await densityRow(context, density));
    await onRow(result());
  }
  return result();
}

/** One example's results. */
export interface ExampleResult {
  /** Example name. */
  name: string;
  /** Model file. */
  model: string;
  /** lstm or gru. */
  kind: string;
  /** Cells per layer. */
  hiddenSize: number;
  /** Layers. */
  numLayers: number;
  /** Training sequences (calibration and fine-tuning). */
  trainSequences: number;
  /** Test sequences. */
  testSequences: number;
  /** Fine-tuning settings. */
  finetune: { epochs: number; lr: number; objective: string };
  /** The dense model's test accuracy. */
  dense: AccuracyPair;
  /** One row per density measured, densest first. */
  rows: DensityRow[];
}

/** Target checks of one example's results. */
export function targetChecks(result: ExampleResult) {
  const targetDensity = result.hiddenSize >= 256 ? 0.1 : 0.25;
  const row = result.rows.find((r) => r.density === targetDensity);
  const finetuned = row
    ? Math.max(row.bcrFinetuned.fixed, row.bcrAdmm.fixed) - result.dense.float
    : null;
  return {
    finetuneTarget: {
      density: targetDensity,
      what:
        "best fine-tuned fixed-point accuracy (masked or ADMM) minus dense float accuracy, target >= -0.01",
      gap: finetuned,
      met: finetuned === null ? null : finetuned >= -0.01,
    },
    searchVsMagnitude: result.rows.map((r) => {
      const oneShot = r.bcrSearchSelected ?? r.bcrSearchOneShot ?? r.bcrSearchRefit;
      const atLeast = (a: AccuracyPair) =>
        a.float >= r.magnitudePerMatrix.float && a.fixed >= r.magnitudePerMatrix.fixed;
      return {
        density: r.density,
        what: r.bcrSearchSelected
          ? "calibrated one-shot result chosen on a held-out split of the training data (search's best structures x refit ridge x bias correction) minus magnitude per matrix, accuracy"
          : r.bcrSearchOneShot
          ? "calibrated one-shot result (search + refit, + bias correction when it lowers the calibration loss) minus magnitude per matrix, accuracy"
          : "calibrated one-shot (search + refit; no bias correction in this row) minus magnitude per matrix, accuracy",
        float: oneShot.float - r.magnitudePerMatrix.float,
        fixed: oneShot.fixed - r.magnitudePerMatrix.fixed,
        met: atLeast(oneShot),
        ...(r.bcrSearchSelected && r.bcrSearchOneShot
          ? { guardedMet: atLeast(r.bcrSearchOneShot) }
          : {}),
        refitMet: atLeast(r.bcrSearchRefit),
        searchAloneMet: atLeast(r.bcrSearch),
      };
    }),
  };
}

/** Options of `runFidelityBench`. */
export interface FidelityBenchOptions {
  /** Examples to run (default all of FIDELITY_EXAMPLES). */
  examples: FidelityExample[];
  /** Target densities. */
  densities: number[];
  /** Result file (JSON; the Markdown table goes beside it). */
  out: string;
  /** Work folder for data and pruned models. */
  work: string;
  /**
   * `--one-shot FILE`: run the one-shot columns only and keep the fine-tuned and ADMM columns of
   * this earlier report (checked: this run must reproduce its search + refit, where they start).
   */
  oneShot?: string;
  /**
   * `--selected FILE`: re-run the held-out selected column only and keep every other column of
   * this earlier report (checked: this run must reproduce its search column).
   */
  selected?: string;
}

/** A benchmark report: the fixed fields, densities, time and per-example results. */
export interface FidelityReport {
  /** Densities measured. */
  densities: number[];
  /** Wall seconds of the runs (summed over merged reports). */
  seconds: number;
  /** With `--one-shot`: where the fine-tuned and ADMM columns come from. */
  carried?: { from: string; what: string };
  /**
   * With `--selected`: the held-out selected column was measured again by this run (`seconds` is
   * this run's); every other column, and `carried`, are the earlier report's.
   */
  rerun?: { column: string; from: string; what: string; earlierSeconds: number };
  /** Per-example results. */
  examples:
    (Awaited<ReturnType<typeof runExample>> & { targets: ReturnType<typeof targetChecks> })[];
}

const FIDELITY_FILES = reportFiles<FidelityReport>({
  head: FIDELITY_REPORT_HEAD,
  markdown: fidelityMarkdown,
  combine: (reports) => ({
    densities: [...new Set(reports.flatMap((r) => r.densities))].sort((a, b) => b - a),
    ...(reports[0].carried ? { carried: reports[0].carried } : {}),
    ...(reports[0].rerun ? { rerun: reports[0].rerun } : {}),
    seconds: reports.reduce((sum, r) => sum + r.seconds, 0),
    examples: combineExamples(reports.flatMap((r) => r.examples)),
  }),
});

/**
 * One entry per example: the rows of runs of the same example at other densities (e.g. densities
 * run as separate processes) join it, densest first, and its targets are checked again.
 */
function combineExamples(examples: FidelityReport["examples"]): FidelityReport["examples"] {
  const byName = new Map<string, FidelityReport["examples"][number]>();
  for (const example of examples) {
    const earlier = byName.get(example.name);
    if (!earlier) {
      byName.set(example.name, example);
      continue;
    }
    const densities = new Set(earlier.rows.map((row) => row.density));
    const twice = example.rows.find((row) => densities.has(row.density));
    if (twice) {
      throw new Error(`--merge: ${example.name} has density ${twice.density} in two reports`);
    }
    const rows = [...earlier.rows, ...example.rows].sort((a, b) => b.density - a.density);
    const merged = { ...earlier, rows };
    byName.set(example.name, { ...merged, targets: targetChecks(merged) });
  }
  return [...byName.values()];
}

/** Write the report (JSON and Markdown beside it); returns the Markdown. */
export const writeFidelityReport = FIDELITY_FILES.write;

/** Combine reports of separate runs (e.g. examples run in parallel) into one. */
export const mergeFidelityReports = FIDELITY_FILES.merge;

/** Run the benchmark and write its results after each example; returns the Markdown table. */
export async function runFidelityBench(options: FidelityBenchOptions): Promise<string> {
  const { examples, densities, out, work } = options;
  const started = performance.now();
  const from = options.selected ?? options.oneShot;
  const earlier = from ? (await readReports<FidelityReport>([from]))[0] : null;
  await makeExampleData(join(work, "data"));
  const report: FidelityReport = { densities, seconds: 0, examples: [] };
  if (earlier && options.selected) {
    if (earlier.carried) report.carried = earlier.carried;
    report.rerun = {
      column: "bcrSearchSelected",
      from: options.selected,
      what:
        "this run measured the held-out selected column (bcrSearchSelected) again, after reproducing the earlier search column exactly (checked); every other column is the earlier report's, and seconds is this run's",
      earlierSeconds: earlier.seconds,
    };
  } else if (earlier) {
    report.carried = {
      from: options.oneShot!,
      what:
        "bcrFinetuned and bcrAdmm are the earlier report's: this run ran the one-shot columns only, and reproduced the earlier search + refit exactly (checked), where fine-tuning and ADMM start",
    };
  }
  let markdown = "";
  for (const example of examples) {
    const done = report.examples.length;
    const rows = earlier?.examples.find((e) => e.name === example.name)?.rows ?? [];
    const keep = options.selected ? { rerunSelected: rows } : earlier ? { carried: rows } : {};
    await runExample(example, { work, densities, ...keep }, async (partial) => {
      report.examples[done] = { ...partial, targets: targetChecks(partial) };
      report.seconds = (performance.now() - started) / 1000;
      markdown = await writeFidelityReport(out, report);
    });
  }
  return markdown;
}
