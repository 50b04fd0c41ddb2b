/**
 * The `sim` command end to end on one small generated design: result.json, the build cache, given
 * inputs, traces, exit code 2 for bad input, and exit code 1 when the golden model is corrupted
 * (the comparison really compares) or the DUT runs out of cycles.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { quantizeInputs, runFixed, toReal } from "../model/fixed.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import { type E2eCase, generateCase } from "./e2e.ts";
import type { SimResult } from "../sim/result.ts";
import { runDenoScript } from "./helpers.ts";

const CASE: E2eCase = {
  name: "cli-lstm",
  kind: "lstm",
  inputSize: 3,
  hiddenSize: 5,
  numLayers: 1,
  density: 0.6,
  prune: { method: "magnitude" },
  pes: 2,
  format: "ese",
  seed: 41,
  steps: 4,
};

async function readResult(dir: string): Promise<SimResult> {
  return JSON.parse(await Deno.readTextFile(join(dir, "sim", "result.json")));
}

Deno.test("sim command: result, cache, inputs, trace, exit codes", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "rnnfab-sim-cli-" });
  const dir = join(root, "design");
  try {
    await generateCase(CASE, dir);

    await t.step("--help prints usage and exits 0", async () => {
      const run = await runDenoScript("cli/sim.ts", ["--help"]);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /usage: deno task sim --design DIR/);
    });

    await t.step("random inputs: bit-exact, result.json written, second run cached", async () => {
      const sevenByFour = ["--design", dir, "--steps", "4", "--seed", "7"];
      const first = await runDenoScript("cli/sim.ts", sevenByFour);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /^PASS: verilator, 4 steps, bit-exact/);
      const result = await readResult(dir);
      assert.equal(result.bitExact, true);
      assert.equal(result.passed, true);
      assert.equal(result.steps, 4);
      assert.equal(result.outputs.length, 4);
      assert.equal(result.outputs[0].length, CASE.hiddenSize);
      assert.ok(result.cycles > 0 && result.cyclesPerStep === result.cycles / 4);
      assert.ok(result.stepEndCycles.every((c) => c !== null && c <= result.cycles));
      assert.equal(result.stepEndCycles[3], result.cycles);
      const second = await runDenoScript("cli/sim.ts", sevenByFour);
      assert.equal(second.code, 0, second.stderr);
      const again = await readResult(dir);
      assert.equal(again.build.cached, true);
      assert.equal(again.wallSeconds.build, 0);
      assert.equal(again.cycles, result.cycles);
      assert.deepEqual(again.outputs, result.outputs);
    });

    await t.step("--input: outputs equal the golden model's, shown as reals", async () => {
      const inputs = [[0.5, -1.25, 2], [3.5, 0, -0.75], [-8, 7.99, 0.001]];
      const inputPath = join(root, "input.json");
      await Deno.writeTextFile(inputPath, JSON.stringify({ inputs }));
      const run = await runDenoScript("cli/sim.ts", ["--design", dir, "--input", inputPath]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const result = await readResult(dir);
      const quantized = await readQuantizedModel(join(dir, "quantized.json"));
      const golden = runFixed(quantized, quantizeInputs(inputs, quantized.format))
        .map((step) => toReal(step, quantized.format));
      assert.deepEqual(result.outputs, golden);
      assert.deepEqual(result.input, { source: "file", path: inputPath });
    });

    await t.step("bad input exits 2 with one line", async () => {
      const inputPath = join(root, "bad.json");
      await Deno.writeTextFile(inputPath, JSON.stringify({ inputs: [[1, 2]] }));
      const cases: [string[], RegExp][] = [
        [["--design", dir, "--input", inputPath], /bad\.json: inputs\[0\]: expected 3 numbers/],
        [["--design", join(root, "missing")], /design\.json: cannot read/],
        [
          ["--design", dir, "--backpressure", "1.5"],
          /--backpressure: expected a number in \[0, 0\.95\], got 1\.5/,
        ],
        [["--design", dir, "--simulator", "modelsim"], /--simulator: expected verilator or icarus/],
        [["--design", dir, "--steps", "0"], /--steps/],
      ];
      for (const [args, message] of cases) {
        const run = await runDenoScript("cli/sim.ts", args);
        assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
        assert.match(run.stderr, message);
        assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      }
    });

    await t.step("a corrupted golden model is caught: exit 1, mismatches listed", async () => {
      const corrupted = join(root, "corrupted");
      await Deno.mkdir(corrupted);
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name === "sim") continue;
        await copyTree(join(dir, entry.name), join(corrupted, entry.name));
      }
      const quantizedPath = join(corrupted, "quantized.json");
      const value = JSON.parse(await Deno.readTextFile(quantizedPath));
      value.layers[0].bias[3 * CASE.hiddenSize + 2] += 900; // output gate of cell 2
      await Deno.writeTextFile(quantizedPath, JSON.stringify(value));
      const run = await runDenoScript("cli/sim.ts", ["--design", corrupted, "--steps", "3"]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /^FAIL: verilator, 3 steps, \d+ mismatching words/);
      assert.match(run.stdout, /mismatch step 0 index 2: expected -?\d+, got -?\d+/);
      const result = await readResult(corrupted);
      assert.equal(result.bitExact, false);
      assert.ok(result.mismatches.length > 0);
      assert.deepEqual(
        [result.mismatches[0].step, result.mismatches[0].index],
        [0, 2],
      );
      assert.equal(result.build.cached, true, "same Verilog: the build is shared");
    });

    await t.step("a DUT that runs out of cycles ends with a clear error", async () => {
      const args = ["--design", dir, "--steps", "3", "--max-cycles", "5"];
      const run = await runDenoScript("cli/sim.ts", args);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /timeout: the DUT produced \d+ of 15 output words in 5 cycles/);
    });

    await t.step("--trace writes an FST waveform", async () => {
      const run = await runDenoScript("cli/sim.ts", ["--design", dir, "--steps", "1", "--trace"]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const trace = await Deno.stat(join(dir, "sim", "trace.fst"));
      assert.ok(trace.size > 100);
    });
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copyTree(join(from, entry.name), join(to, entry.name));
  }
}
