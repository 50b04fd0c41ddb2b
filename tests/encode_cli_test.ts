/**
 * `deno task encode`: --help, one-line errors with exit code 2 for bad values, images whose
 * decoded matrices equal the quantized (or shared) weights of the model in the PEs' row order,
 * and the same images and manifest as the design `gen` builds.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeImage,
  hardwareSegments,
  quantizedSegments,
  readImageDir,
  type Segment,
  shareWeights,
} from "../encode/mod.ts";
import { type IntMatrix, type QuantizedModel, quantizeModel } from "../model/fixed.ts";
import { gateCount } from "../model/model.ts";
import { loadModel, saveModel } from "../model/model_io.ts";
import { randomModel, seededRandom } from "../model/random.ts";
import { type AcceleratorSettings, generateDesignDir } from "../rtl/mod.ts";
import { REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const EXAMPLE = `${REPO_ROOT}examples/lstm.json`;

function encode(args: string[]) {
  return runDenoScript("cli/encode.ts", args);
}

/**
 * The model's weight matrices (in `quantizedSegments` order) from decoded image segments: block
 * columns of one matrix joined (bcr), each gate's rows padded to a multiple of `pes` cut back
 * to H, after checking that the padding rows are zero.
 */
function modelMatrices(segments: Segment[], model: QuantizedModel, pes: number): IntMatrix[] {
  const joined = new Map<string, IntMatrix>();
  for (const { name, matrix } of segments) {
    const whole = name.replace(/\[.*\]$/, "");
    const known = joined.get(whole);
    if (!known) {
      joined.set(whole, matrix);
      continue;
    }
    const cols = known.cols + matrix.cols;
    const data = new Int32Array(known.rows * cols);
    for (let r = 0; r < known.rows; r++) {
      data.set(known.data.subarray(r * known.cols, (r + 1) * known.cols), r * cols);
      data.set(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols), r * cols + known.cols);
    }
    joined.set(whole, { rows: known.rows, cols, data });
  }
  const hidden = model.hiddenSize;
  const padded = Math.ceil(hidden / pes) * pes;
  return [...joined].map(([name, matrix]) => {
    if (name.startsWith("weight_hr")) return matrix;
    const gates = gateCount(model.kind);
    const data = new Int32Array(gates * hidden * matrix.cols);
    for (let g = 0; g < gates; g++) {
      for (let j = 0; j < padded; j++) {
        const row = matrix.data.subarray(
          (g * padded + j) * matrix.cols,
          (g * padded + j + 1) * matrix.cols,
        );
        if (j < hidden) data.set(row, (g * hidden + j) * matrix.cols);
        else assert.ok(row.every((value) => value === 0), `${name}: padding row ${j} is not zero`);
      }
    }
    return { rows: gates * hidden, cols: matrix.cols, data };
  });
}

/** A pruned LSTM with projection, saved as JSON in `dir`: 60% of each 4x4 block's columns kept. */
async function prunedModel(dir: string): Promise<string> {
  const model = randomModel({
    kind: "lstm",
    inputSize: 10,
    hiddenSize: 12,
    numLayers: 2,
    projSize: 6,
    seed: 11,
  });
  const random = seededRandom(5);
  for (const layer of model.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr!]) {
      for (let col = 0; col < matrix.cols; col++) {
        for (let rowStart = 0; rowStart < matrix.rows; rowStart += 4) {
          if (random() < 0.6) continue;
          for (let row = rowStart; row < Math.min(matrix.rows, rowStart + 4); row++) {
            matrix.data[row * matrix.cols + col] = 0;
          }
        }
      }
    }
  }
  const path = join(dir, "pruned.json");
  await saveModel(model, path);
  return path;
}

Deno.test("encode --help prints the usage and exits 0", async () => {
  const result = await encode(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /usage: deno task encode --model M --pes N --format ese\|bcr/);
  assert.match(result.stdout, /--codebook-bits K/);
});

Deno.test("encode rejects bad values with one line and exit code 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-encode-" });
  const out = join(dir, "out");
  const base = ["--model", EXAMPLE, "--out", out];
  const cases: [string[], RegExp][] = [
    [["--pes", "0", "--format", "ese"], /--pes: expected an integer in 1\.\.1024, got 0/],
    [["--pes", "two", "--format", "ese"], /--pes: expected an integer/],
    [["--pes", "4", "--format", "csr"], /--format: expected ese or bcr, got csr/],
    [["--pes", "4", "--format", "ese", "--index-bits", "0"], /--index-bits: expected an integer/],
    [["--pes", "4", "--format", "ese", "--weight-bits", "4"], /narrower than the quantized/],
    [["--pes", "4", "--format", "bcr", "--block", "999x999"], /larger than every weight matrix/],
    [["--pes", "4", "--format", "bcr", "--block", "4by4"], /--block: expected RxC/],
    [["--pes", "4", "--format", "ese", "--block", "4x4"], /bcr only/],
    [["--pes", "4", "--format", "ese", "--model", "missing.json"], /missing\.json/],
    [["--format", "ese"], /--pes is required/],
  ];
  for (const [args, expected] of cases) {
    const result = await encode([...base, ...args]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line for ${args.join(" ")}: ${result.stderr}`);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], expected);
  }
  await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound, "no output on errors");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("encode writes ese images that decode to the quantized weights in the PEs' order", async () => {
  await withTempDir("rnnfab-encode-", async (dir) => {
    const out = join(dir, "ese");
    const result = await encode([
      "--model",
      EXAMPLE,
      "--pes",
      "5",
      "--format",
      "ese",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    const image = await readImageDir(out);
    const quantized = quantizeModel(await loadModel(EXAMPLE));
    // 32 cells on 5 PEs: each gate's rows are padded to 35, as the generated hardware holds them
    const decoded = decodeImage(image);
    assert.deepStrictEqual(
      decoded.map((s) => [s.name, s.matrix]),
      hardwareSegments(quantized, 5, "ese", 1).map((s) => [s.name, s.matrix]),
    );
    assert.equal(decoded[0].matrix.rows, 4 * 35);
    assert.deepStrictEqual(
      modelMatrices(decoded, quantized, 5),
      quantizedSegments(quantized).map((s) => s.matrix),
    );
    assert.equal(image.manifest.indexBits, 4);
    assert.equal(image.manifest.weightBits, 12);
    assert.equal(summary.totalBits, image.manifest.totalBits);
    assert.equal(summary.peNonZeros.length, 5);
  });
});

Deno.test("encode: bcr with a block, ese with a codebook, on a pruned projected LSTM", async () => {
  await withTempDir("rnnfab-encode-", async (dir) => {
    const modelPath = await prunedModel(dir);
    const quantized = quantizeModel(await loadModel(modelPath));
    const names = quantizedSegments(quantized).map((s) => s.name);
    assert.deepStrictEqual(names, [
      "weight_ih_l0",
      "weight_hh_l0",
      "weight_hr_l0",
      "weight_ih_l1",
      "weight_hh_l1",
      "weight_hr_l1",
    ]);

    const bcrOut = join(dir, "bcr");
    const bcr = await encode([
      ...["--model", modelPath, "--pes", "3", "--format", "bcr", "--block", "4x4"],
      ...["--out", bcrOut],
    ]);
    assert.equal(bcr.code, 0, bcr.stderr);
    assert.match(bcr.stdout, /bits per non-zero \(computed\)/);
    assert.match(bcr.stdout, /imbalance/);
    const bcrImage = await readImageDir(bcrOut);
    assert.deepStrictEqual(bcrImage.manifest.block, { rows: 4, cols: 4 });
    const wholeOut = join(dir, "bcr_all");
    const whole = await encode([
      ...["--model", modelPath, "--pes", "3", "--format", "bcr", "--block", "allx4"],
      ...["--out", wholeOut],
    ]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /block 48x4 \(allx4\)/);
    const wholeImage = await readImageDir(wholeOut);
    // bcr images hold each matrix in block columns, the segments the PEs walk
    assert.equal(decodeImage(bcrImage)[0].name, "weight_ih_l0[0:4]");
    assert.deepStrictEqual(
      modelMatrices(decodeImage(wholeImage), quantized, 3),
      quantizedSegments(quantized).map((s) => s.matrix),
    );
    assert.deepStrictEqual(
      modelMatrices(decodeImage(bcrImage), quantized, 3),
      quantizedSegments(quantized).map((s) => s.matrix),
    );

    const eseOut = join(dir, "ese");
    const ese = await encode([
      ...["--model", modelPath, "--pes", "2", "--format", "ese", "--codebook-bits", "3"],
      ...["--index-bits", "2", "--out", eseOut],
    ]);
    assert.equal(ese.code, 0, ese.stderr);
    assert.match(ese.stdout, /weight sharing: \d+ distinct weights -> 7 shared values/);
    const eseImage = await readImageDir(eseOut);
    assert.equal(eseImage.manifest.codebookBits, 3);
    assert.equal(eseImage.codebook?.length, 8);
    const shared = shareWeights(quantized, 3).model;
    assert.deepStrictEqual(
      modelMatrices(decodeImage(eseImage), quantized, 2),
      quantizedSegments(shared).map((s) => s.matrix),
    );
  });
});

Deno.test("encode writes exactly the weight images and manifest of the design gen builds", () =>
  withTempDir("rnnfab-encode-gen-", async (dir) => {
    const modelPath = await prunedModel(dir);
    const model = await loadModel(modelPath);
    const cases: [string[], AcceleratorSettings][] = [
      [["--pes", "3", "--format", "bcr"], { pes: 3, format: "bcr" }],
      [
        ["--pes", "2", "--format", "ese", "--codebook-bits", "3", "--index-bits", "2"],
        { pes: 2, format: "ese", codebookBits: 3, indexBits: 2 },
      ],
      [
        ["--pes", "3", "--format", "bcr", "--codebook-bits", "4"],
        { pes: 3, format: "bcr", codebookBits: 4 },
      ],
    ];
    for (const [n, [flags, settings]] of cases.entries()) {
      const out = join(dir, `encoded-${n}`);
      const run = await encode(["--model", modelPath, ...flags, "--out", out]);
      assert.equal(run.code, 0, run.stderr);
      const design = join(dir, `design-${n}`);
      await generateDesignDir(model, design, settings);
      const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
      const files = [...manifest.memories.map((m: { file: string }) => m.file), "manifest.json"];
      for (const file of files) {
        assert.equal(
          await Deno.readTextFile(join(out, file)),
          await Deno.readTextFile(join(design, "mem", file)),
          `${flags.join(" ")}: ${file}`,
        );
      }
    }
  }));
