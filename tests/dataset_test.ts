import assert from "node:assert/strict";
import { loadDataset, parseDataText } from "../model/dataset.ts";
import { parseHead, taskMetrics } from "../model/head.ts";
import { modelToJson } from "../model/model_io.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { UserError } from "../util/errors.ts";
import { expectUserError, runDenoScript, withTempDir } from "./helpers.ts";

/** A safetensors file with tensors of any dtype (little-endian), for the data-file reader. */
function safetensors(
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>,
) {
  const sizes: Record<string, number> = { F32: 4, F64: 8, I64: 8, I32: 4 };
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.values.length * sizes[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    for (const v of t.values) {
      if (t.dtype === "F32") view.setFloat32(at, v, true);
      else if (t.dtype === "F64") view.setFloat64(at, v, true);
      else if (t.dtype === "I64") view.setBigInt64(at, BigInt(v), true);
      else view.setInt32(at, v, true);
      at += sizes[t.dtype];
    }
  }
  return out;
}

function throwsUser(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => error instanceof UserError && pattern.test(error.message));
}

Deno.test("data files: sequences of different lengths, per-sequence and per-step labels", () => {
  const text = JSON.stringify({ sequences: [[[1, 2]], [[3, 4], [5, 6]]], labels: [1, 0] });
  const data = parseDataText(text, "d.json", { inputSize: 2, classes: 2 });
  assert.deepEqual(data.sequences.map((s) => s.length), [1, 2]);
  assert.deepEqual(data.labels, { kind: "sequence", values: [1, 0] });
  const steps = parseDataText(
    JSON.stringify({ sequences: [[[1]], [[2], [3]]], labels: [[0], [1, 2]] }),
    "d.json",
  );
  assert.deepEqual(steps.labels, { kind: "step", values: [[0], [1, 2]] });
});

Deno.test("data files: each bad file is one line naming the file and the field", () => {
  const bad: [string, RegExp, { inputSize?: number; classes?: number }?][] = [
    [
      '{"sequences": [[[1, 2]], [[3]]]}',
      /d\.json: sequences\[1\]\[0\]: expected 2 numbers per step/,
    ],
    [
      '{"sequences": [[[1, 2]]]}',
      /sequences\[0\]\[0\]: expected 3 numbers per step \(the model's inputSize\), got 2/,
      {
        inputSize: 3,
      },
    ],
    ['{"sequences": [[[1, NaN]]]}', /sequences\[0\]\[0\]\[1\]: expected a finite number, got NaN/],
    [
      '{"sequences": [[[1, -Infinity]]]}',
      /sequences\[0\]\[0\]\[1\]: expected a finite number, got -Infinity/,
    ],
    [
      '{"sequences": [[[1]]], "labels": [3]}',
      /labels\[0\]: expected a class id in 0\.\.2 \(the head has 3 rows\), got 3/,
      {
        classes: 3,
      },
    ],
    ['{"sequences": [[[1]]], "labels": [1.5]}', /labels\[0\]: expected a class id/],
    [
      '{"sequences": [[[1]]], "labels": [0, 1]}',
      /labels: expected 1 labels \(one per sequence\), got 2/,
    ],
    [
      '{"sequences": [[[1]], [[1], [2]]], "labels": [[0], [1]]}',
      /labels\[1\]: expected 2 class ids/,
    ],
    ['{"sequences": []}', /sequences: expected at least one sequence/],
    ['{"sequences": [[]]}', /sequences\[0\]: expected a non-empty array of time steps/],
    ['{"sequences": [[[1]]], "extra": 1}', /d\.json: .*extra/],
    ["{", /d\.json: not valid JSON/],
  ];
  for (const [text, pattern, expect] of bad) {
    throwsUser(() => parseDataText(text, "d.json", expect ?? {}), pattern);
  }
});

Deno.test("data files: safetensors with padding, lengths and int64 labels", async () => {
  await withTempDir("rnnfab-test-", async (dir) => {
    const x = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 9, 10]; // [2, 3, 2]
    await Deno.writeFile(
      `${dir}/d.safetensors`,
      safetensors({
        sequences: { dtype: "F32", shape: [2, 3, 2], values: x },
        lengths: { dtype: "I64", shape: [2], values: [2, 3] },
        labels: { dtype: "I64", shape: [2], values: [1, 0] },
      }),
    );
    const data = await loadDataset(`${dir}/d.safetensors`, { inputSize: 2, classes: 2 });
    assert.deepEqual(data.sequences, [[[1, 2], [3, 4]], [[5, 6], [7, 8], [9, 10]]]);
    assert.deepEqual(data.labels, { kind: "sequence", values: [1, 0] });
    await Deno.writeFile(
      `${dir}/bad.safetensors`,
      safetensors({
        sequences: { dtype: "F32", shape: [1, 2, 1], values: [1, NaN] },
      }),
    );
    await assert.rejects(
      loadDataset(`${dir}/bad.safetensors`),
      /bad\.safetensors: sequences\[0\]\[1\]\[0\]: expected a finite number, got NaN/,
    );
    await Deno.writeFile(
      `${dir}/len.safetensors`,
      safetensors({
        sequences: { dtype: "F32", shape: [1, 2, 1], values: [1, 2] },
        lengths: { dtype: "I32", shape: [1], values: [3] },
      }),
    );
    await assert.rejects(
      loadDataset(`${dir}/len.safetensors`),
      /lengths\[0\]: expected an integer in 1\.\.2, got 3/,
    );
  });
});

Deno.test("heads: shape checked against the model; accuracy and cross-entropy", () => {
  throwsUser(
    () => parseHead({ weight: [[1, 2], [3]], bias: [0, 0] }, "h.json", 2),
    /h\.json: weight\[1\]: expected 2 numbers \(the model's output size\), got 1/,
  );
  throwsUser(
    () => parseHead({ weight: [[1, 2]], bias: [0, 0] }, "h.json", 2),
    /h\.json: bias: expected 1 numbers \(one per row of weight\), got 2/,
  );
  const head = parseHead({ weight: [[1, 0], [0, 1]], bias: [0, 0] }, "h.json", 2);
  const metrics = taskMetrics(head, [[[0, 0], [2, 1]], [[0, 3]]], {
    kind: "sequence",
    values: [0, 0],
  });
  assert.equal(metrics.correct, 1);
  assert.equal(metrics.count, 2);
  const ce = (Math.log(Math.exp(2) + Math.exp(1)) - 2 + Math.log(1 + Math.exp(3)) - 0) / 2;
  assert.ok(Math.abs(metrics.loss - ce) < 1e-12);
});

// ---- the commands ----

const model = randomModel({ kind: "gru", inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 7 });
const sequences = [5, 2, 7].map((steps, k) => randomInputs(steps, 3, 40 + k));
const head = { weight: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]], bias: [0, 0.1, 0] };

async function withFiles(fn: (dir: string) => Promise<void>) {
  await withTempDir("rnnfab-test-", async (dir) => {
    await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(modelToJson(model)));
    await Deno.writeTextFile(`${dir}/h.json`, JSON.stringify(head));
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify({ sequences, labels: [0, 1, 2] }));
    await fn(dir);
  });
}

Deno.test("infer on a data file equals per-sequence runs (float and fixed)", async () => {
  await withFiles(async (dir) => {
    for (const mode of ["float", "fixed"]) {
      const all = await runDenoScript("cli/infer.ts", [
        ...["--model", `${dir}/m.json`, "--input", `${dir}/d.json`, "--out", `${dir}/all.json`],
        ...["--mode", mode, "--head", `${dir}/h.json`],
      ]);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /accuracy \(measured, .*\): .*% \(\d\/3 sequences\)/);
      const outputs = JSON.parse(await Deno.readTextFile(`${dir}/all.json`));
      assert.equal(outputs.outputs.length, 3);
      assert.equal(outputs.predictions.length, 3);
      for (let n = 0; n < sequences.length; n++) {
        await Deno.writeTextFile(`${dir}/s.json`, JSON.stringify({ inputs: sequences[n] }));
        const one = await runDenoScript("cli/infer.ts", [
          ...["--model", `${dir}/m.json`, "--input", `${dir}/s.json`, "--out", `${dir}/one.json`],
          ...["--mode", mode],
        ]);
        assert.equal(one.code, 0, one.stderr);
        const single = JSON.parse(await Deno.readTextFile(`${dir}/one.json`)).outputs;
        assert.deepEqual(outputs.outputs[n], single, `${mode}, sequence ${n}`);
      }
    }
  });
});

Deno.test("infer --codebook-bits: shared weights change the fixed outputs, a large codebook does not", async () => {
  await withFiles(async (dir) => {
    const outputs = async (extra: string[]) => {
      const run = await runDenoScript("cli/infer.ts", [
        ...["--model", `${dir}/m.json`, "--input", `${dir}/d.json`, "--out", `${dir}/o.json`],
        ...["--mode", "fixed", "--head", `${dir}/h.json`, ...extra],
      ]);
      assert.equal(run.code, 0, run.stderr);
      return { run, outputs: JSON.parse(await Deno.readTextFile(`${dir}/o.json`)).outputs };
    };
    const plain = await outputs([]);
    const lossless = await outputs(["--codebook-bits", "12"]);
    assert.match(lossless.run.stderr, /weight sharing \(computed\): \d+ values in a 4096-word/);
    assert.deepEqual(lossless.outputs, plain.outputs);
    const shared = await outputs(["--codebook-bits", "1"]);
    assert.match(shared.run.stderr, /1 values in a 2-word codebook/);
    assert.notDeepEqual(shared.outputs, plain.outputs);
    const float = await runDenoScript("cli/infer.ts", [
      ...["--model", `${dir}/m.json`, "--input", `${dir}/d.json`, "--out", `${dir}/f.json`],
      ...["--codebook-bits", "4"],
    ]);
    assert.equal(float.code, 2);
    assert.match(float.stderr, /--codebook-bits needs --mode fixed/);
    await assert.rejects(Deno.stat(`${dir}/f.json`));
  });
});

Deno.test("infer and prune: bad data files and heads exit 2 with one line, nothing written", async () => {
  await withFiles(async (dir) => {
    const cases: [string, string, RegExp][] = [
      [
        "ragged",
        '{"sequences": [[[1, 2, 3]], [[1, 2]]]}',
        /ragged\.json: sequences\[1\]\[0\]: expected 3 numbers per step/,
      ],
      [
        "nan",
        '{"sequences": [[[1, 2, NaN]]]}',
        /nan\.json: sequences\[0\]\[0\]\[2\]: expected a finite number, got NaN/,
      ],
      [
        "range",
        '{"sequences": [[[1, 2, 3]]], "labels": [7]}',
        /range\.json: labels\[0\]: expected a class id in 0\.\.2/,
      ],
    ];
    for (const [name, text, pattern] of cases) {
      await Deno.writeTextFile(`${dir}/${name}.json`, text);
      for (
        const [script, args] of [
          ["cli/infer.ts", ["--input", `${dir}/${name}.json`, "--out", `${dir}/o.json`]],
          ["cli/prune.ts", [
            "--calib",
            `${dir}/${name}.json`,
            "--out",
            `${dir}/o.json`,
            "--density",
            "0.5",
          ]],
        ] as const
      ) {
        const run = await runDenoScript(script, [
          ...["--model", `${dir}/m.json`, "--head", `${dir}/h.json`],
          ...args,
        ]);
        assert.equal(run.code, 2, `${script} ${name}: ${run.stderr}`);
        const lines = run.stderr.trim().split("\n");
        assert.equal(lines.length, 1, run.stderr);
        assert.match(lines[0], pattern);
        await assert.rejects(Deno.stat(`${dir}/o.json`));
      }
    }
    await Deno.writeTextFile(`${dir}/h2.json`, JSON.stringify({ weight: [[1, 2, 3]], bias: [0] }));
    const run = await runDenoScript("cli/infer.ts", [
      ...["--model", `${dir}/m.json`, "--head", `${dir}/h2.json`, "--input", `${dir}/d.json`],
      ...["--out", `${dir}/o.json`],
    ]);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr.trim(),
      /^error: .*h2\.json: weight\[0\]: expected 4 numbers \(the model's output size\), got 3$/,
    );
  });
});

Deno.test("prune --calib D --head H minimises the task loss, --refit --bias-correct correct it; without --calib the report says random", async () => {
  await withFiles(async (dir) => {
    const run = await runDenoScript("cli/prune.ts", [
      ...["--model", `${dir}/m.json`, "--out", `${dir}/p.json`, "--density", "0.5", "--quiet"],
      ...["--calib", `${dir}/d.json`, "--head", `${dir}/h.json`, "--block", "4x3"],
      ...["--refit", "--bias-correct"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /minimising the task cross-entropy/);
    assert.match(run.stdout, /task accuracy on 3 calibration sequence/);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/p.prune.json`));
    assert.equal(report.fidelity.calibration.random, false);
    assert.equal(report.task.result.count, 3);
    // Dense and pruned, float64 and fixed point side by side; the dense float64 run is the
    // reference of the output error, and its accuracy is the task comparison's.
    const [dense, , result] = report.variants.rows;
    // The bias correction is kept only when it lowers the search's loss on the calibration data.
    const bias = report.biasCorrection;
    assert.equal(bias.inputs, "pruned model's own trajectory");
    assert.equal(bias.loss, "task cross-entropy");
    assert.equal(bias.applied, bias.after < bias.before);
    assert.deepEqual(report.variants.rows.map((row: { name: string }) => row.name), [
      "dense",
      "BCR, one shot (before the corrections)",
      `BCR, this result (refit${bias.applied ? " + bias correction" : ""})`,
    ]);
    assert.match(run.stdout, /refit of the kept weights on 3 calibration sequence/);
    assert.match(
      run.stdout,
      /bias correction on 3 calibration sequence.*task cross-entropy .*(kept|not kept)/,
    );
    assert.equal(dense.float.relativeRmsError, 0);
    assert.equal(dense.float.accuracy, report.task.dense.accuracy);
    assert.equal(result.float.accuracy, report.task.result.accuracy);
    assert.ok(result.fixed.accuracy >= 0 && result.fixed.relativeRmsError > 0);
    assert.match(run.stdout, /float64 and fixed point \(golden model, bit-exact with the RTL\)/);
    assert.ok(report.search.candidates.every((c: { objective?: number }) => c.objective! >= 0));
    const random = await runDenoScript("cli/prune.ts", [
      ...["--model", `${dir}/m.json`, "--out", `${dir}/r.json`, "--density", "0.5", "--quiet"],
      ...["--block", "4x3", "--uniform"],
    ]);
    assert.equal(random.code, 0, random.stderr);
    assert.match(
      random.stdout,
      /note: no --calib: the search and the fidelity figures ran on random/,
    );
    const randomReport = JSON.parse(await Deno.readTextFile(`${dir}/r.prune.json`));
    assert.equal(randomReport.fidelity.calibration.random, true);
    assert.match(randomReport.fidelity.calibration.note, /random/);
    const uncalibrated = await runDenoScript("cli/prune.ts", [
      ...["--model", `${dir}/m.json`, "--out", `${dir}/b.json`, "--density", "0.5", "--quiet"],
      ...["--block", "4x3", "--uniform", "--bias-correct"],
    ]);
    assert.match(expectUserError(uncalibrated), /--bias-correct needs --calib D/);
    await assert.rejects(Deno.stat(`${dir}/b.json`));
  });
});

Deno.test("prune --select: the one-shot result chosen on a held-out split of --calib, in the report", async () => {
  await withFiles(async (dir) => {
    const run = await runDenoScript("cli/prune.ts", [
      ...["--model", `${dir}/m.json`, "--out", `${dir}/p.json`, "--density", "0.5", "--quiet"],
      ...["--calib", `${dir}/d.json`, "--head", `${dir}/h.json`, "--block", "4x3", "--select"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /held-out selection \(\d+ variants fitted on 2 sequences, scored on/);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/p.prune.json`));
    const { selection } = report;
    assert.equal(selection.fitSequences, 2);
    assert.equal(selection.heldOutSequences, 1);
    assert.equal(selection.refittedOnCalibration, true);
    assert.match(selection.loss, /task cross-entropy/);
    assert.match(selection.rule, /accuracy, then lowest held-out distillation loss/);
    // The search's choice with 2x2 blocks is among the structures tried.
    assert.ok(selection.variants.some((v: { block: string }) => v.block === "2x2"));
    assert.ok(selection.variants.length >= 6);
    assert.ok(
      selection.variants.some((v: object) =>
        JSON.stringify(v) === JSON.stringify(selection.chosen)
      ),
    );
    assert.equal(report.refit.ridge, selection.chosen.ridge);
    assert.equal(
      report.variants.rows.at(-1).name,
      `BCR, this result (refit${selection.chosen.biasCorrection ? " + bias correction" : ""})`,
    );
    const explicit = await runDenoScript("cli/prune.ts", [
      ...["--model", `${dir}/m.json`, "--out", `${dir}/e.json`, "--quiet", "--block", "4x3"],
      ...["--col-keep", "0.5", "--row-keep", "1", "--calib", `${dir}/d.json`, "--select"],
    ]);
    assert.match(expectUserError(explicit), /--select needs the search/);
    await assert.rejects(Deno.stat(`${dir}/e.json`));
  });
});
