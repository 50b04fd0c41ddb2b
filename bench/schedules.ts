/**
 * The pruning-schedule benchmark (`deno task bench:schedules`, docs/pruning.md "Pruning
 * schedules"): for each trained example, each schedule (fixed, gradual, gap from scratch, imp,
 * admm), each density and each mask structure (BCR, unstructured), the test accuracy of the result
 * through rnnfab's fixed-point golden model (and float64), the training time on this machine, the
 * epochs, learning rate and seed, and for imp whether the winning-ticket condition held.
 *
 * Writes bench/results/schedules.json and schedules.md after every run (so a stopped run keeps
 * what it measured). Targets: the best schedule within 1 point of dense at 10x with BCR on the
 * 256-cell model; GaP from scratch within 1 point at 4x.
 *
 * @module
 */

import { join } from "node:path";
import { makeExampleData, reportFiles } from "./example_files.ts";
import { type Dataset, loadDataset } from "../model/dataset.ts";
import { evaluateTask } from "../model/evaluate.ts";
import { type Head, loadHead } from "../model/head.ts";
import { loadModel } from "../model/model_io.ts";
import { outputSize, type RnnModel, weightDensity } from "../model/model.ts";
import { type BlockSize, formatBlock } from "../prune/block.ts";
import {
  inputWeightedDensities,
  type MaskStructure,
  measuredDensities,
  type ScheduleKnobs,
  type ScheduleName,
  SCHEDULES,
  targetDensities,
  trainSchedule,
} from "../prune/schedules.ts";
import {
  type ScheduleExampleResult,
  type ScheduleRow,
  schedulesMarkdown,
  type SchedulesReport,
  type TestAccuracy,
} from "./schedules_report.ts";

export type { ScheduleExampleResult, ScheduleRow, SchedulesReport, TestAccuracy };

const ROOT = new URL("..", import.meta.url).pathname;

/** One schedule's settings in the benchmark (epochs as `finetune --epochs`). */
export interface ScheduleSetting {
  /** finetune --epochs. */
  epochs: number;
  /** Adam learning rate. */
  lr: number;
  /** The schedule's knobs. */
  knobs: ScheduleKnobs;
}

/** One trained example and the settings its schedules run with. */
export interface ScheduleExample {
  /** examples/<name>.json and <name>.head.json. */
  name: string;
  /** <data>_train.json (made by scripts/fidelity_data.py) and examples/<data>_test.json. */
  data: string;
  /** BCR block of the masks. */
  block: BlockSize;
  /** Base epochs (finetune --epochs of fixed and gradual; the others scale with it). */
  epochs: number;
  /** Base learning rate. */
  lr: number;
}

/** Each schedule's settings for base epochs and learning rate. */
export function scheduleSettings(base: number, lr: number): Record<ScheduleName, ScheduleSetting> {
  return {
    fixed: { epochs: base, lr, knobs: {} },
    gradual: { epochs: base, lr, knobs: {} },
    gap: {
      epochs: 2 * base,
      lr: 2.5 * lr,
      knobs: { fromScratch: true, finalEpochs: Math.max(1, Math.floor(base / 2)) },
    },
    imp: { epochs: base, lr, knobs: { impRounds: 2, rewindEpoch: 1 } },
    admm: {
      epochs: Math.max(1, Math.floor(base / 2)),
      lr,
      knobs: { admmEpochs: Math.max(1, Math.ceil(base / 2)) },
    },
  };
}

/** The benchmark's examples: the 256-cell vowels LSTM (16x16 blocks) and the digits LSTM (8x8). */
export const SCHEDULE_EXAMPLES: ScheduleExample[] = [
  {
    name: "vowels_lstm",
    data: "vowels",
    block: { rows: 16, cols: 16 },
    epochs: 10,
    lr: 2e-3,
  },
  {
    name: "digits_lstm",
    data: "digits",
    block: { rows: 8, cols: 8 },
    epochs: 10,
    lr: 5e-3,
  },
];

/** Options of `runSchedulesBench`. */
export interface SchedulesBenchOptions {
  /** Examples. */
  examples: ScheduleExample[];
  /** Schedules. */
  schedules: ScheduleName[];
  /** Structures. */
  structures: MaskStructure[];
  /** Target densities. */
  densities: number[];
  /** Seeds. */
  seeds: number[];
  /** Base epochs instead of the example's. */
  epochs?: number;
  /** The input matrices at this density, the others lower (same total). */
  inputDensity?: number;
  /** Result file (JSON; Markdown beside it). */
  out: string;
  /** Work folder (data). */
  work: string;
}

const REPORT_HEAD = {
  provenance: "measured",
  what:
    "test accuracy (last step's class through the example's fixed linear head) of the trained examples pruned by each schedule, fixed-point golden model (12-bit weights, Q16.12 activations; bit-exact with the RTL) and float64; training wall time on the machine that ran it (PyTorch, one thread)",
  training:
    "python/rnnfab/schedules.py through prune/schedules.ts: labels objective through the fixed head, Adam with cosine decay per stage, batch 32, 10% of the training data held out to keep the best epoch at the final density; every matrix at the target density (BCR: per-block counts, see docs/pruning.md); gap starts from random initialisation",
};

async function accuracy(model: RnnModel, head: Head, test: Dataset): Promise<TestAccuracy> {
  const measure = async (mode: "float" | "fixed") =>
    (await evaluateTask(model, head, test, { mode })).accuracy;
  return { float: await measure("float"), fixed: await measure("fixed") };
}

const SCHEDULES_FILES = reportFiles<SchedulesReport>({
  head: REPORT_HEAD,
  markdown: schedulesMarkdown,
  combine: (reports) => ({
    densities: [...new Set(reports.flatMap((r) => r.densities))],
    seeds: [...new Set(reports.flatMap((r) => r.seeds))],
    seconds: reports.reduce((sum, r) => sum + r.seconds, 0),
    examples: mergeExamples(reports.flatMap((r) => r.examples)),
  }),
});

/** Write the report (JSON and Markdown beside it); returns the Markdown. */
export const writeSchedulesReport = SCHEDULES_FILES.write;

/** Combine reports of separate runs (e.g. examples run in parallel) into one. */
export const mergeSchedulesReports = SCHEDULES_FILES.merge;

/** Results of the same example (e.g. densities run in separate processes) as one. */
function mergeExamples(examples: ScheduleExampleResult[]): ScheduleExampleResult[] {
  const byName = new Map<string, ScheduleExampleResult>();
  for (const example of examples) {
    const known = byName.get(example.name);
    if (known) known.rows.push(...example.rows);
    else byName.set(example.name, { ...example, rows: [...example.rows] });
  }
  return [...byName.values()];
}

async function runOne(
  context: {
    dense: RnnModel;
    head: Head;
    test: Dataset;
    example: ScheduleExample;
    trainPath: string;
  },
  run: {
    schedule: ScheduleName;
    structure: MaskStructure;
    density: number;
    seed: number;
    epochs?: number;
    inputDensity?: number;
  },
): Promise<ScheduleRow> {
  const { dense, head, test, example } = context;
  const setting = scheduleSettings(run.epochs ?? example.epochs, example.lr)[run.schedule];
  const started = performance.now();
  const result = await trainSchedule({
    schedule: run.schedule,
    dense,
    densities: run.inputDensity
      ? inputWeightedDensities(dense, run.density, run.inputDensity, {
        structure: run.structure,
        block: example.block,
        colShare: 0.5,
      }).densities
      : targetDensities(dense, run.density),
    structure: run.structure,
    block: example.block,
    colShare: 0.5,
    pes: 1,
    dataPath: context.trainPath,
    headPath: `${ROOT}examples/${example.name}.head.json`,
    objective: "labels",
    epochs: setting.epochs,
    lr: setting.lr,
    seed: run.seed,
    knobs: setting.knobs,
  });
  const seconds = (performance.now() - started) / 1000;
  const model = result.model!;
  const { epochs: _base, inputDensity, ...named } = run;
  return {
    ...named,
    targetDensity: run.density,
    ...(inputDensity ? { inputDensity } : {}),
    density: weightDensity(model),
    matrixDensities: measuredDensities(model),
    accuracy: await accuracy(model, head, test),
    seconds,
    epochsRun: result.summary!.epochsRun,
    epochs: setting.epochs,
    lr: setting.lr,
    knobs: setting.knobs,
    ...(result.summary!.winningTicket ? { winningTicket: result.summary!.winningTicket } : {}),
  };
}

/** Run the benchmark, writing the report after every run; returns the Markdown table. */
export async function runSchedulesBench(options: SchedulesBenchOptions): Promise<string> {
  const started = performance.now();
  await makeExampleData(join(options.work, "data"));
  const report: SchedulesReport = {
    densities: options.densities,
    seeds: options.seeds,
    seconds: 0,
    examples: [],
  };
  let markdown = "";
  for (const example of options.examples) {
    const dense = await loadModel(`${ROOT}examples/${example.name}.json`);
    const head = await loadHead(`${ROOT}examples/${example.name}.head.json`, outputSize(dense));
    const expect = { inputSize: dense.inputSize, classes: head.weight.rows };
    const trainPath = join(options.work, "data", `${example.data}_train.json`);
    const test = await loadDataset(`${ROOT}examples/${example.data}_test.json`, expect);
    const train = await loadDataset(trainPath, expect);
    const result: ScheduleExampleResult = {
      name: example.name,
      hiddenSize: dense.hiddenSize,
      kind: dense.kind,
      block: formatBlock(example.block),
      sequences: { train: train.sequences.length, test: test.sequences.length },
      dense: await accuracy(dense, head, test),
      rows: [],
    };
    report.examples.push(result);
    const context = { dense, head, test, example, trainPath };
    for (const density of options.densities) {
      for (const structure of options.structures) {
        for (const schedule of options.schedules) {
          for (const seed of options.seeds) {
            const row = await runOne(context, {
              schedule,
              structure,
              density,
              seed,
              epochs: options.epochs,
              inputDensity: options.inputDensity,
            });
            console.error(
              `${example.name} ${schedule} ${structure} @ ${density} seed ${seed}: fixed ${
                (row.accuracy.fixed * 100).toFixed(2)
              }% (dense ${(result.dense.fixed * 100).toFixed(2)}%), ${row.seconds.toFixed(0)} s`,
            );
            result.rows.push(row);
            report.seconds = (performance.now() - started) / 1000;
            markdown = await writeSchedulesReport(options.out, report);
          }
        }
      }
    }
  }
  return markdown;
}

/** All schedules, for the command's default. */
export const ALL_SCHEDULES: ScheduleName[] = [...SCHEDULES];
