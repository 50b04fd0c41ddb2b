/**
 * `deno task bench --model M [--design DIR] [--devices FILE] --out REPORT_DIR`: compare the FPGA
 * design of a model with the same model on the host CPU (measured: generated BCR C kernel and
 * ONNX Runtime), on phone CPUs and GPUs (modeled by a roofline, or measured by users) and with
 * published figures. Writes report.json, report.md and report.html. See docs/benchmarks.md.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { loadAnyModel } from "../model/load.ts";
import { parseBlock } from "../prune/prune.ts";
import { loadDevices } from "../bench/devices.ts";
import { formatNumber } from "../bench/markdown.ts";
import { runBench } from "../bench/run.ts";

const NAME = "deno task bench";
const USAGE = `--model M --out REPORT_DIR [options]

Compares one model across platforms and writes REPORT_DIR/report.json (all figures with units and
provenance), report.md and report.html (plots, viewable offline). Every figure is labelled
measured, modeled (roofline, not a measurement) or published (their model, not ours).

  --model M          model file (rnnfab JSON or ONNX)
  --out DIR          report folder (also holds the C kernel and any generated design)
  --density D        BCR-prune the model to density D in (0, 1] first (default: use it as given)
  --block RxC        block shape of that pruning (default 16x16; "all" = whole dimension)
  --col-share S      share of that pruning done by columns, in [0, 1] (default 0.5)
  --design DIR       an existing design of this model (deno task gen); its sim/result.json is
                     used, or made with deno task sim when missing
  --no-fpga          no FPGA row (skip gen and sim)
  --pes N            PEs of a design generated here (default 8)
  --format F         weight format of a design generated here: bcr (default) or ese
  --clock-mhz F      clock of a design generated here (default: gen's)
  --sweep LIST       also generate and simulate designs at these densities, e.g. 0.1,0.25,0.5
  --sweep-estimate   for the sweep, use gen's cycle estimate (modeled) instead of simulating
  --devices FILE     device profiles and user-measured times (JSON, see docs/benchmarks.md)
  --steps T          input sequence length (default 16)
  --seed S           input sequence seed (default 1)
  --repeats N        timed runs per round (default 7)
  --rounds N         alternating measurement rounds (default 3)
  --warmup N         warm-up runs per round (default 3)
  --skip-host        skip the host-CPU measurements
  --quiet            print only the summary`;

function parseNumberFlag(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(number)) {
    throw new UserError(`${NAME}: --${flag}: expected a number, got ${value}`);
  }
  return number;
}

function parseCount(value: string | boolean | undefined, flag: string, min: number) {
  const number = parseNumberFlag(value, flag);
  if (number !== undefined && (!Number.isSafeInteger(number) || number < min)) {
    throw new UserError(`${NAME}: --${flag}: expected an integer >= ${min}, got ${value}`);
  }
  return number;
}

function parseDensity(value: number | undefined, flag: string): number | undefined {
  if (value !== undefined && !(value > 0 && value <= 1)) {
    throw new UserError(`${NAME}: --${flag}: expected a density in (0, 1], got ${value}`);
  }
  return value;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      model: { type: "string" },
      out: { type: "string" },
      density: { type: "string" },
      block: { type: "string" },
      "col-share": { type: "string" },
      design: { type: "string" },
      "no-fpga": { type: "boolean" },
      pes: { type: "string" },
      format: { type: "string" },
      "clock-mhz": { type: "string" },
      sweep: { type: "string" },
      "sweep-estimate": { type: "boolean" },
      devices: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      repeats: { type: "string" },
      rounds: { type: "string" },
      warmup: { type: "string" },
      "skip-host": { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
  const modelPath = requireFlag(flags, "model", NAME);
  const outDir = requireFlag(flags, "out", NAME);
  const density = parseDensity(parseNumberFlag(flags.density, "density"), "density");
  let block;
  if (typeof flags.block === "string") {
    block = parseBlock(flags.block) ?? undefined;
    if (!block) {
      throw new UserError(`${NAME}: --block: expected RxC (e.g. 16x16), got ${flags.block}`);
    }
  }
  const colShare = parseNumberFlag(flags["col-share"], "col-share");
  if (colShare !== undefined && !(colShare >= 0 && colShare <= 1)) {
    throw new UserError(`${NAME}: --col-share: expected a number in [0, 1], got ${colShare}`);
  }
  const format = flags.format;
  if (format !== undefined && format !== "bcr" && format !== "ese") {
    throw new UserError(`${NAME}: --format: expected bcr or ese, got ${format}`);
  }
  const clockMhz = parseNumberFlag(flags["clock-mhz"], "clock-mhz");
  if (clockMhz !== undefined && !(clockMhz > 0)) {
    throw new UserError(`${NAME}: --clock-mhz: expected a positive number, got ${clockMhz}`);
  }
  const sweep = typeof flags.sweep === "string"
    ? flags.sweep.split(",").map((text) => parseDensity(parseNumberFlag(text, "sweep"), "sweep")!)
    : undefined;
  if (flags.design !== undefined && flags["no-fpga"]) {
    throw new UserError(`${NAME}: give either --design or --no-fpga, not both`);
  }
  const devices = typeof flags.devices === "string" ? await loadDevices(flags.devices) : undefined;
  const model = await loadAnyModel(modelPath);
  const quiet = flags.quiet === true;
  const report = await runBench({
    modelPath,
    model,
    outDir,
    density,
    block,
    colShare,
    designDir: typeof flags.design === "string" ? flags.design : undefined,
    fpga: !flags["no-fpga"],
    pes: parseCount(flags.pes, "pes", 1),
    format: format as "bcr" | "ese" | undefined,
    clockMhz,
    sweep,
    sweepMode: flags["sweep-estimate"] ? "estimate" : "sim",
    devices,
    steps: parseCount(flags.steps, "steps", 1),
    seed: parseCount(flags.seed, "seed", 0),
    repeats: parseCount(flags.repeats, "repeats", 1),
    rounds: parseCount(flags.rounds, "rounds", 1),
    warmup: parseCount(flags.warmup, "warmup", 0),
    skipHostCpu: flags["skip-host"] === true,
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
