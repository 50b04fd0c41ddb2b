/**
 * `deno task demo`: the main job end to end on the embedded default model (examples/lstm.json),
 * by running the very commands a user would type, in order, each printing its own summary.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { UserError } from "../util/errors.ts";
import { runTool } from "../util/process.ts";

const root = new URL("..", import.meta.url).pathname;

/** One stage of the demo: a heading and the `cli/` script with its arguments. */
interface Stage {
  /** What the stage shows. */
  title: string;
  /** Script under cli/ (or, with `python`, a script under scripts/ run by the project's Python). */
  script: string;
  /** Its arguments. */
  args: string[];
  /** Run `script` from scripts/ with .venv/bin/python instead of a cli/ script with Deno. */
  python?: boolean;
}

/**
 * The accuracy stages: the trained digits LSTM (examples/digits_lstm.json) on its test set, dense,
 * pruned to 25% calibrated on its training data with the least-squares refit, and fine-tuned with
 * the mask held (docs/finetune.md).
 */
export function accuracyStages(outDir: string): Stage[] {
  const model = `${root}examples/digits_lstm.json`;
  const head = `${root}examples/digits_lstm.head.json`;
  const test = `${root}examples/digits_test.json`;
  const train = `${outDir}/data/digits_train.json`;
  const pruned = `${outDir}/digits_pruned.json`;
  const tuned = `${outDir}/digits_finetuned.json`;
  const accuracy = (title: string, path: string, name: string): Stage => ({
    title,
    script: "infer.ts",
    args: ["--model", path, "--input", test, "--head", head, "--mode", "fixed", "--out", name],
  });
  return [
    accuracy(
      "accuracy: trained digits LSTM (64 cells), dense, fixed point, 360 test sequences",
      model,
      `${outDir}/digits_dense.json`,
    ),
    {
      title: "data: the digits training set from scikit-learn's bundled copy (no download)",
      script: "fidelity_data.py",
      args: [`${outDir}/data`],
      python: true,
    },
    {
      title: "prune: 25% density, search minimising the task loss on the training data, refit",
      script: "prune.ts",
      args: [
        ...["--model", model, "--out", pruned, "--density", "0.25", "--quiet"],
        ...["--calib", train, "--head", head, "--refit"],
      ],
    },
    accuracy("accuracy: the pruned model, fixed point", pruned, `${outDir}/digits_pruned_out.json`),
    {
      title: "finetune: the BCR mask held, cross-entropy through the head (PyTorch)",
      script: "finetune.ts",
      args: [
        ...["--model", model, "--pruned", pruned, "--data", train, "--head", head],
        ...["--objective", "labels", "--epochs", "20", "--lr", "0.005", "--out", tuned],
      ],
    },
    accuracy(
      "accuracy: the fine-tuned model, fixed point",
      tuned,
      `${outDir}/digits_tuned_out.json`,
    ),
  ];
}

/** The demo's stages for an output folder. */
export function demoStages(outDir: string): Stage[] {
  const model = `${root}examples/lstm.json`;
  const input = `${root}examples/input16.json`;
  const pruned = `${outDir}/lstm_pruned.json`;
  const design = `${outDir}/design`;
  return [
    {
      title: "infer: float64 reference vs fixed-point golden model (dense model)",
      script: "infer.ts",
      args: [
        "--model",
        model,
        "--input",
        input,
        "--out",
        `${outDir}/infer_dense.json`,
        "--mode",
        "fixed",
        "--compare",
      ],
    },
    {
      title: "prune: BCR pruning to 25% density, hyperparameters searched, balanced over 8 PEs",
      script: "prune.ts",
      args: [
        "--model",
        model,
        "--out",
        pruned,
        "--density",
        "0.25",
        "--pes",
        "8",
        "--calib",
        input,
      ],
    },
    {
      title: "infer: the pruned model, fixed point vs float",
      script: "infer.ts",
      args: [
        "--model",
        pruned,
        "--input",
        input,
        "--out",
        `${outDir}/infer_pruned.json`,
        "--mode",
        "fixed",
        "--compare",
      ],
    },
    {
      title: "encode: ESE-style compressed weight buffers for 8 PEs",
      script: "encode.ts",
      args: ["--model", pruned, "--pes", "8", "--format", "ese", "--out", `${outDir}/weights`],
    },
    {
      title: "gen: the accelerator (8 PEs, ESE-style weight buffers, 200 MHz)",
      script: "gen.ts",
      args: ["--model", pruned, "--out", design, "--pes", "8", "--format", "ese"],
    },
    {
      title:
        "sim: Verilator, every output checked bit for bit against the golden model, cycles counted",
      script: "sim.ts",
      args: ["--design", design, "--input", input],
    },
    {
      title:
        "bench: the same model on the FPGA design, host CPU (measured), phone CPU/GPU (modeled), published",
      script: "bench.ts",
      args: [
        "--model",
        pruned,
        "--design",
        design,
        "--out",
        `${outDir}/report`,
        "--sweep",
        "0.1,0.5,1",
        "--sweep-estimate",
      ],
    },
  ];
}

const COMMAND = defineCommand({
  name: "deno task demo",
  synopsis: "[--out DIR]",
  description:
    `Runs rnnfab end to end on the embedded default model examples/lstm.json (LSTM, 16 inputs, 32 cells,
2 layers), then shows accuracy on a task with the trained digits LSTM (dense, pruned to 25%
calibrated with refit, fine-tuned with the mask held), and writes everything under DIR.`,
  flags: {
    out: { type: "path", default: "out/demo", placeholder: "DIR", help: "output folder" },
  },
});

await runCommand(async () => {
  const { out: outDir } = parseCommand(COMMAND);
  await Deno.mkdir(outDir, { recursive: true });
  const stages = [...demoStages(outDir), ...accuracyStages(outDir)];
  for (const [index, stage] of stages.entries()) {
    console.log(`\n== ${index + 1}/${stages.length} ${stage.title}`);
    const shown = stage.args.map((a) => a.replace(root, "")).join(" ");
    console.log(
      stage.python
        ? `   $ .venv/bin/python scripts/${stage.script} ${shown}`
        : `   $ deno task ${stage.script.replace(/\.ts$/, "")} ${shown}`,
    );
    const status = stage.python
      ? await runTool(
        `${root}.venv/bin/python`,
        [`${root}scripts/${stage.script}`, ...stage.args],
        {
          inheritOutput: true,
        },
      )
      : await runTool(Deno.execPath(), ["run", "-A", `${root}cli/${stage.script}`, ...stage.args], {
        inheritOutput: true,
      });
    if (status.code !== 0) {
      if (status.code === 2) {
        throw new UserError(`demo stage ${index + 1} (${stage.script}) rejected its input`);
      }
      throw new Error(
        `demo stage ${index + 1} (${stage.script}) failed with exit code ${status.code}`,
      );
    }
  }
  console.log(`\ndemo finished: outputs under ${outDir}/`);
});
