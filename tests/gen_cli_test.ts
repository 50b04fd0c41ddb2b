/**
 * `deno task gen`: what it writes (the hw-interface contract: rtl/, mem/, design.json,
 * quantized.json), config files and flags, and the one-line exit-2 errors for impossible
 * configurations, which leave the output directory untouched.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { quantizeModel } from "../model/fixed.ts";
import { loadModel } from "../model/model_io.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import { REPO_ROOT, runDenoScript, saveRandomModel, withTempDir } from "./helpers.ts";

const LSTM = `${REPO_ROOT}examples/lstm.json`;
const GRU = `${REPO_ROOT}examples/gru.json`;

function gen(args: string[]) {
  return runDenoScript("cli/gen.ts", args);
}

Deno.test("gen --help prints the usage and exits 0", async () => {
  const result = await gen(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /usage: deno task gen --model M --out DIR/);
  assert.match(result.stdout, /--format ese\|bcr/);
});

Deno.test("gen writes rtl/, mem/, design.json and quantized.json as the contract says", async () => {
  await withTempDir("rnnfab-gen-cli-", async (dir) => {
    const out = join(dir, "design");
    const result = await gen(["--model", LSTM, "--out", out, "--pes", "4", "--clock-mhz", "250"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /cycles per step/);
    const design = JSON.parse(await Deno.readTextFile(join(out, "design.json")));
    assert.equal(design.top, "rnnfab_top");
    assert.deepEqual(design.model, {
      kind: "lstm",
      inputSize: 16,
      hiddenSize: 32,
      numLayers: 2,
      projSize: 0,
      outputSize: 32,
      peepholes: false,
    });
    assert.equal(design.accelerator.pes, 4);
    assert.equal(design.accelerator.format, "ese");
    assert.equal(design.accelerator.clockMhz, 250);
    assert.equal(design.accelerator.indexBits, 4);
    assert.equal(design.accelerator.activationBits, 16);
    assert.ok(design.work.nonZerosPerStep > 0);
    assert.equal(design.estimate.totalCyclesFormula, "firstStepCycles + (T-1) * cyclesPerStep");
    assert.ok(design.estimate.cyclesPerStep >= design.work.nonZerosPerStep / 4);
    assert.equal(design.estimate.microsecondsPerStep, design.estimate.cyclesPerStep / 250);
    for (const file of design.rtlFiles) assert.ok((await Deno.stat(join(out, file))).isFile);
    assert.match(await Deno.readTextFile(join(out, "rtl/rnnfab_top.v")), /module rnnfab_top/);
    for (const memory of design.memories) {
      const lines = (await Deno.readTextFile(join(out, "mem", memory.file))).trim().split("\n");
      assert.equal(lines.length, Math.max(1, memory.depth), memory.file);
      assert.equal(lines[0].length, Math.ceil(memory.width / 4), memory.file);
    }
    const held = await readQuantizedModel(join(out, "quantized.json"));
    const expected = quantizeModel(await loadModel(LSTM));
    assert.deepEqual(held.format, expected.format);
    assert.deepEqual(held.layers[1].weightHh.data, expected.layers[1].weightHh.data);
    assert.deepEqual(held.layers[0].bias, expected.layers[0].bias);
  });
});

Deno.test("gen reads a config file; flags override it", async () => {
  await withTempDir("rnnfab-gen-cli-", async (dir) => {
    const config = join(dir, "accel.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({ pes: 3, format: "bcr", blockRows: 8, blockCols: 4, weightBits: 10 }),
    );
    const out = join(dir, "design");
    const result = await gen(["--model", GRU, "--config", config, "--out", out, "--pes", "5"]);
    assert.equal(result.code, 0, result.stderr);
    const design = JSON.parse(await Deno.readTextFile(join(out, "design.json")));
    assert.equal(design.accelerator.pes, 5);
    assert.equal(design.accelerator.format, "bcr");
    assert.equal(design.accelerator.blockRows, 8);
    assert.equal(design.accelerator.blockCols, 4);
    assert.equal(design.accelerator.blockChoice.how, "given");
    assert.equal(design.fixed.weightBits, 10);
    assert.ok(design.memories.some((m: { file: string }) => m.file === "pe4_index.hex"));
  });
});

Deno.test("gen with a codebook shares weights and the design holds the shared model", async () => {
  await withTempDir("rnnfab-gen-cli-", async (dir) => {
    const out = join(dir, "design");
    const result = await gen(["--model", GRU, "--out", out, "--codebook-bits", "3"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /weight sharing: \d+ values in a 8-word codebook/);
    const held = await readQuantizedModel(join(out, "quantized.json"));
    const values = new Set(held.layers.flatMap((l) => [...l.weightIh.data, ...l.weightHh.data]));
    assert.ok(values.size <= 8, `${values.size} distinct weights`);
  });
});

Deno.test("gen rejects impossible configurations with one line, exit 2, nothing written", async () => {
  await withTempDir("rnnfab-gen-cli-", async (dir) => {
    // Weights up to 6 in magnitude: too wide for a narrow weight format.
    const bigPath = join(dir, "big.json");
    await saveRandomModel(bigPath, {
      kind: "gru",
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 1,
      seed: 1,
      scale: 6,
    });
    const config = join(dir, "bad.json");
    await Deno.writeTextFile(config, JSON.stringify({ pes: 2, colour: "red" }));
    const zeroPes = join(dir, "zero_pes.json");
    await Deno.writeTextFile(zeroPes, JSON.stringify({ pes: 0 }));
    const out = join(dir, "design");
    await Deno.mkdir(out);
    await Deno.writeTextFile(join(out, "keep.txt"), "untouched");
    const cases: [string[], RegExp][] = [
      [["--pes", "0"], /--pes: expected an integer in 1\.\.1024, got 0/],
      [["--pes", "2.5"], /--pes: expected an integer in 1\.\.1024, got 2\.5/],
      [["--format", "csr"], /--format: expected ese or bcr, got csr/],
      [["--config", zeroPes], /zero_pes\.json: pes must be at least 1/],
      [["--max-memory-bits", "1000"], /more than maxMemoryBits \(1000\)/],
      [["--weight-bits", "2", "--weight-frac", "1"], /too narrow: every weight quantizes to 0/],
      [["--block", "4y4", "--format", "bcr"], /--block: expected RxC/],
      [["--queue-depth", "0"], /--queue-depth: expected an integer in 1\.\.4096, got 0/],
      [["--config", config], /unknown field "colour"/],
      [["--activation-frac", "16"], /activationFrac must be in 1..activationBits-1/],
    ];
    for (const [flags, message] of cases) {
      const result = await gen(["--model", GRU, "--out", out, ...flags]);
      assert.equal(result.code, 2, `${flags.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, flags.join(" "));
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
    const narrow = await gen([
      "--model",
      bigPath,
      "--out",
      out,
      "--weight-bits",
      "4",
      "--weight-frac",
      "2",
    ]);
    assert.equal(narrow.code, 2, narrow.stderr);
    assert.match(narrow.stderr, /weight format Q4.2 is too narrow: \d+ weights saturate/);
    const missing = await gen(["--out", out]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--model is required/);
    assert.equal(await Deno.readTextFile(join(out, "keep.txt")), "untouched");
  });
});
