import assert from "node:assert/strict";
import { loadModel, saveModel } from "../model/model_io.ts";
import { namedMatrices } from "../model/model.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { detectBcr } from "../prune/detect.ts";
import { inputWeightedDensities, keptWeights } from "../prune/schedules.ts";
import { runDenoScript, runProgram, VENV_PYTHON } from "./helpers.ts";
import { trainingPackagesReady } from "../util/python.ts";

// PyTorch and Ray may still be installing in the background (scripts/run_tests.ts).
await trainingPackagesReady();

/** A tiny dense LSTM and 40 labelled sequences with a head (seconds per schedule). */
async function tinyProblem(dir: string) {
  const dense = randomModel({ kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 1, seed: 7 });
  await saveModel(dense, `${dir}/dense.json`);
  const sequences = Array.from({ length: 40 }, (_, k) => randomInputs(3 + (k % 4), 4, 300 + k));
  const labels = sequences.map((_, k) => k % 3);
  await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify({ sequences, labels }));
  const weight = Array.from(
    { length: 3 },
    (_, r) => Array.from({ length: 8 }, (_, c) => ((r + c) % 3) - 1),
  );
  await Deno.writeTextFile(`${dir}/h.json`, JSON.stringify({ weight, bias: [0, 0, 0] }));
  return [
    ...["--model", `${dir}/dense.json`, "--data", `${dir}/d.json`, "--head", `${dir}/h.json`],
    ...["--objective", "labels", "--density", "0.25", "--block", "4x4", "--lr", "0.01"],
  ];
}

/** The gradual schedule's knobs: its run is also the uninterrupted run of the checkpoint step. */
const GRADUAL = ["--schedule", "gradual", "--epochs", "4", "--gradual-end", "3"];

Deno.test("finetune --schedule: every schedule ends BCR for the block at the target density; --checkpoint: stopped and resumed gives the uninterrupted run's model", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const common = await tinyProblem(dir);
    await t.step("every schedule ends BCR for the block at the target density", async () => {
      const cases: [string, string[]][] = [
        ["fixed", ["--schedule", "fixed", "--epochs", "2"]],
        ["gradual", GRADUAL],
        ["gap", ["--schedule", "gap", "--epochs", "3", "--from-scratch", "--final-epochs", "1"]],
        ["imp", ["--schedule", "imp", "--epochs", "1", "--imp-rounds", "2"]],
        ["admm", ["--schedule", "admm", "--epochs", "1", "--admm-epochs", "1", "--pes", "2"]],
      ];
      for (const [schedule, flags] of cases) {
        const out = `${dir}/${schedule}.json`;
        const run = await runDenoScript("cli/finetune.ts", [...common, ...flags, "--out", out]);
        assert.equal(run.code, 0, `${schedule}: ${run.stderr}`);
        const model = await loadModel(out);
        for (const { name, matrix } of namedMatrices(model)) {
          const check = detectBcr(matrix, { rows: 4, cols: 4 });
          assert.ok(check.isBcr, `${schedule}: ${name} is not BCR 4x4`);
          // 4x4 blocks at 0.25: 2 columns x 2 rows of 16 in every block.
          assert.equal(check.density, 0.25, `${schedule}: ${name} density ${check.density}`);
        }
        const report = JSON.parse(await Deno.readTextFile(`${dir}/${schedule}.finetune.json`));
        assert.equal(report.schedule, schedule);
        assert.equal(report.structureCheck.structured, true);
        if (schedule === "imp") {
          assert.match(run.stdout, /winning ticket \(held-out accuracy.*\): (held|not held)/);
          assert.equal(typeof report.winningTicket.held, "boolean");
        }
        if (schedule === "admm") assert.ok(report.structureCheck.peLoad.pes === 2);
      }
    });

    // The uninterrupted run is the gradual schedule's above (gradual.json, same flags).
    await t.step(
      "--checkpoint: stopped and resumed gives the uninterrupted run's model",
      async () => {
        const flags = [...common, ...GRADUAL];
        const checkpoint = ["--checkpoint", `${dir}/run.ckpt`];
        const stopped = await runDenoScript("cli/finetune.ts", [
          ...[...flags, ...checkpoint, "--out", `${dir}/b.json`, "--stop-after", "2"],
        ]);
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.match(stopped.stdout, /stopped after --stop-after 2 epochs: nothing written/);
        await assert.rejects(Deno.stat(`${dir}/b.json`));
        const again = await runDenoScript("cli/finetune.ts", [
          ...flags,
          ...checkpoint,
          "--out",
          `${dir}/b.json`,
        ]);
        assert.equal(again.code, 2);
        assert.match(again.stderr, /run\.ckpt: exists; add --resume/);
        const resumed = await runDenoScript("cli/finetune.ts", [
          ...[...flags, ...checkpoint, "--resume", "--out", `${dir}/b.json`],
        ]);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stdout, /resumed from .*run\.ckpt: stage gradual, epoch 2/);
        const a = namedMatrices(await loadModel(`${dir}/gradual.json`));
        const b = namedMatrices(await loadModel(`${dir}/b.json`));
        a.forEach(({ name, matrix }, i) => assert.deepEqual(b[i].matrix.data, matrix.data, name));
        const other = await runDenoScript("cli/finetune.ts", [
          ...[...flags, ...checkpoint, "--resume", "--out", `${dir}/c.json`, "--seed", "9"],
        ]);
        assert.equal(other.code, 2);
        assert.match(other.stderr.trim(), /^error: .*run\.ckpt: written by a different run/);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("finetune --schedule: bad knob values are one line and exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const common = [...await tinyProblem(dir), "--out", `${dir}/x.json`];
    const cases: [string[], RegExp][] = [
      [
        ["--schedule", "gradual", "--epochs", "4", "--gradual-end", "4"],
        /--gradual-end 4: expected below --epochs \(4\)/,
      ],
      [
        ["--schedule", "gradual", "--gradual-start", "5", "--gradual-end", "3"],
        /--gradual-start 5: expected at most --gradual-end \(3\)/,
      ],
      [
        ["--schedule", "gap", "--imp-rounds", "2"],
        /--imp-rounds applies to --schedule imp, not gap/,
      ],
      [
        ["--schedule", "gradual", "--from-scratch"],
        /--from-scratch applies to --schedule gap or imp/,
      ],
      [
        ["--schedule", "gap", "--epochs", "4", "--final-epochs", "4"],
        /--final-epochs 4: expected below --epochs/,
      ],
      [
        ["--schedule", "gap", "--gap-parts", "3"],
        /--gap-parts 3: expected at most the model's 2 weight matrices/,
      ],
      [
        ["--schedule", "gap", "--gap-interval", "0"],
        /--gap-interval: expected an integer in 1\.\./,
      ],
      [
        ["--schedule", "imp", "--rewind-epoch", "20"],
        /--rewind-epoch 20: expected at most --epochs \(10\)/,
      ],
      [
        ["--schedule", "admm", "--rho-growth", "0.5"],
        /--rho-growth: expected a number in \[1, 100\], got 0.5/,
      ],
      [["--schedule", "wavy"], /--schedule: expected fixed, gradual, gap, imp or admm, got wavy/],
      [["--resume"], /--resume needs --checkpoint C/],
      [
        ["--schedule", "gap", "--admm"],
        /--admm is --schedule admm; it cannot go with --schedule gap/,
      ],
    ];
    for (const [flags, message] of cases) {
      const run = await runDenoScript("cli/finetune.ts", [...common, ...flags]);
      assert.equal(run.code, 2, `${flags.join(" ")}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.match(run.stderr, message);
    }
    const noTarget = await runDenoScript("cli/finetune.ts", [
      ...["--model", `${dir}/dense.json`, "--data", `${dir}/d.json`, "--out", `${dir}/x.json`],
      ...["--schedule", "gradual"],
    ]);
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /--schedule gradual needs --pruned P or --density D/);
    await assert.rejects(Deno.stat(`${dir}/x.json`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keptWeights is the Python masks' count; the input-weighted split stays at or below the target", async () => {
  const cases: [number, number, number, number, number][] = [];
  for (const [rows, cols, block] of [[1024, 12, 16], [1024, 256, 16], [40, 13, 8], [9, 7, 4]]) {
    for (const density of [0.078125, 0.1, 0.25, 0.37, 0.5]) {
      cases.push([rows, cols, block, block, density]);
    }
  }
  const script = `import json, sys; sys.path.insert(0, "python")
from rnnfab.sparsity import bcr_density
print(json.dumps([round(bcr_density((r, c), (br, bc), d, 0.5) * r * c) for r, c, br, bc, d in ${
    JSON.stringify(cases)
  }]))`;
  const run = await runProgram(VENV_PYTHON, ["-c", script]);
  assert.equal(run.code, 0, run.stderr);
  const python = JSON.parse(run.stdout) as number[];
  const options = { structure: "bcr" as const, colShare: 0.5 };
  cases.forEach(([rows, cols, br, bc, density], k) =>
    assert.equal(
      keptWeights({ rows, cols }, density, { ...options, block: { rows: br, cols: bc } }),
      python[k],
      `${rows}x${cols} block ${br}x${bc} at ${density}`,
    )
  );
  // The 256-cell vowels LSTM's shapes: W_ih 1024x12 at 0.5 leaves W_hh at 20 of 256 per block.
  const model = randomModel({
    kind: "lstm",
    inputSize: 12,
    hiddenSize: 256,
    numLayers: 1,
    seed: 1,
  });
  const block = { rows: 16, cols: 16 };
  const split = inputWeightedDensities(model, 0.1, 0.5, { ...options, block });
  assert.deepEqual(split.densities, { weight_ih_l0: 0.5, weight_hh_l0: 20 / 256 });
  assert.equal(split.overall, (6144 + 20 * 1024) / (12288 + 262144));
  const more = keptWeights({ rows: 1024, cols: 256 }, 21 / 256, { ...options, block });
  assert.ok(6144 + more > 0.1 * (12288 + 262144), "the next count up would pass 0.1");
});
