/**
 * `deno task delta:sweep [--data DIR] [--thetas 0,0.05,...] [--mode fixed|float] [--config C]
 * [--limit N]`:
 * the fired fraction and the accuracy of the speech models of scripts/train_speech.py over a
 * range of thresholds (theta_x = theta_h = theta, real units), computed with rnnfab's delta models
 * (docs/delta.md) on the test set of scripts/make_speech.py. Writes `DIR/delta_sweep_MODE.json` and
 * prints a Markdown table (docs/delta.md quotes it).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runCommand } from "../cli/common.ts";
import { loadDataset } from "../model/dataset.ts";
import { summarizeStats } from "../model/delta.ts";
import { runSequencesDelta } from "../model/delta_run.ts";
import { loadHead, taskMetrics } from "../model/head.ts";
import { loadAnyModel } from "../model/load.ts";
import { outputSize } from "../model/model.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";

const USAGE = `usage: deno task delta:sweep [--data DIR] [--thetas 0,0.05,...] [--mode fixed|float]
  [--config C] [--limit N]
Accuracy and fired fraction per layer of DIR/models/*.json (with their .head.json) on
DIR/speech40_test.safetensors, for theta_x = theta_h = each theta (real units); writes
DIR/delta_sweep_MODE.json. DIR defaults to .cache/speech (deno task data:speech, train:speech).`;

function fail(message: string): never {
  console.error(`error: delta_sweep: ${message}`);
  Deno.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      data: { type: "string", default: new URL("../.cache/speech", import.meta.url).pathname },
      thetas: { type: "string", default: "0,0.05,0.1,0.2,0.3,0.5" },
      mode: { type: "string", default: "fixed" },
      limit: { type: "string", default: "0" },
      config: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
} catch (error) {
  fail((error as Error).message);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (values.mode !== "fixed" && values.mode !== "float") fail("--mode: expected fixed or float");
const mode = values.mode;
const thetas = values.thetas.split(",").map(Number);
if (thetas.some((theta) => !(theta >= 0))) fail("--thetas: expected non-negative numbers");
await runCommand(async () => {
  const folder = values.data;
  const config = values.config ? await loadFixedConfig(values.config) : DEFAULT_FIXED_CONFIG;
  const test = await loadDataset(`${folder}/speech40_test.safetensors`, { classes: 10 });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) fail("--limit: expected a non-negative integer");
  if (limit > 0) {
    test.sequences = test.sequences.slice(0, limit);
    if (test.labels?.kind === "sequence") test.labels.values = test.labels.values.slice(0, limit);
  }
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${folder}/models`)];
  } catch {
    fail(`${folder}/models: cannot read the models folder (deno task train:speech makes it)`);
  }
  const names = entries
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".json") && !name.endsWith(".head.json"))
    .map((name) => name.slice(0, -".json".length))
    .sort();

  const rows: Record<string, unknown>[] = [];
  console.log(`| model | theta | accuracy (${mode}) | fired per layer |`);
  console.log("| --- | --- | --- | --- |");
  for (const name of names) {
    const model = await loadAnyModel(`${folder}/models/${name}.json`);
    const head = await loadHead(`${folder}/models/${name}.head.json`, outputSize(model));
    for (const theta of thetas) {
      const started = performance.now();
      const run = await runSequencesDelta(model, test.sequences, {
        mode,
        config,
        delta: { thetaX: theta, thetaH: theta },
        source: "delta_sweep",
      });
      const metrics = taskMetrics(head, run.outputs, test.labels!);
      const summary = summarizeStats(run.stats);
      const seconds = (performance.now() - started) / 1000;
      rows.push({ model: name, theta, mode, accuracy: metrics.accuracy, ...summary, seconds });
      const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
      console.log(
        `| ${name} | ${theta} | ${percent(metrics.accuracy)} | ${
          summary.firedFraction.map(percent).join(", ")
        } (x ${summary.firedFractionX.map(percent).join(", ")}; h ${
          summary.firedFractionH.map(percent).join(", ")
        }) |`,
      );
    }
  }
  await writeJsonAtomic(`${folder}/delta_sweep_${mode}.json`, {
    what: "accuracy (measured on the test set) and fired fractions (computed) of rnnfab's delta " +
      `models (${mode}), theta_x = theta_h = theta in real units`,
    sequences: test.sequences.length,
    fixedPoint: config,
    rows,
  });
  console.error(`wrote ${folder}/delta_sweep_${mode}.json`);
});
