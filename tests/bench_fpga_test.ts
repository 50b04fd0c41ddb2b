/**
 * The FPGA row: its arithmetic on hand-computed figures, and the whole flow: `deno task bench`
 * generating (in process) and simulating a tiny design, a density sweep from gen's estimates, the
 * density plot in the browser, reuse of the design with `--design`, and the refusal of a design
 * made from another model.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { saveModel } from "../model/model_io.ts";
import { randomInputs, randomModel, seededRandom } from "../model/random.ts";
import type { SimDesign } from "../sim/design.ts";
import { fpgaFigures, type SimFigures } from "../bench/fpga.ts";
import { PROVENANCE_COLOURS } from "../bench/plots.ts";
import { chromiumMissing, profileDir, screenshotPage } from "../bench/screenshot.ts";
import { countColour } from "../bench/png.ts";
import { runDenoScript, sampleDesignJson, withTempDir } from "./helpers.ts";

Deno.test("FPGA figures: time at the clock, GOP/s and utilization by hand", async () => {
  const model = randomModel({ kind: "lstm", inputSize: 2, hiddenSize: 3, numLayers: 1, seed: 1 });
  const json = await sampleDesignJson(
    { kind: "lstm", inputSize: 2, hiddenSize: 3 },
    { pes: 8, format: "bcr", clockMhz: 200 },
  );
  const design: SimDesign = {
    ...json,
    dir: "/design",
    rtlFiles: [],
    work: { ...json.work, nonZerosPerStep: 1000 },
    memoryBits: { ...json.memoryBits, weightImage: 12345, total: 20000 },
  };
  const sim: SimFigures = {
    simulator: "verilator",
    steps: 4,
    passed: true,
    cycles: 1000,
    cyclesPerStep: 250,
    steadyCyclesPerStep: 240,
    peUtilization: 0.5,
  };
  const figures = fpgaFigures(design, sim, model);
  assert.equal(figures.usPerFrame, 1.25); // 250 cycles at 200 MHz
  assert.equal(figures.effectiveGops, 1.6); // 2 x 1000 operations in 1.25 us
  assert.equal(figures.denseEquivalentGops, (2 * (12 * 2 + 12 * 3)) / 1250); // 60 weights
  assert.equal(figures.weightMemoryBits, 12345);
  assert.equal(figures.totalMemoryBits, 20000);
  assert.equal(figures.steadyCyclesPerStep, 240);
  assert.equal(figures.peUtilization, 0.5);
});

/** A labelled data file (12 sequences, 3 classes) and a random head; returns the bench flags. */
async function writeDataAndHead(
  dir: string,
  sizes: { inputSize: number; outputs: number },
): Promise<string[]> {
  const sequences = Array.from({ length: 12 }, (_, k) => randomInputs(3, sizes.inputSize, 60 + k));
  const labels = sequences.map((_, k) => k % 3);
  const random = seededRandom(3);
  const row = () => Array.from({ length: sizes.outputs }, () => random() - 0.5);
  const head = { weight: [row(), row(), row()], bias: [0, 0.1, -0.1] };
  await Deno.writeTextFile(join(dir, "data.json"), JSON.stringify({ sequences, labels }));
  await Deno.writeTextFile(join(dir, "head.json"), JSON.stringify(head));
  return ["--data", join(dir, "data.json"), "--head", join(dir, "head.json")];
}

/** The accuracy section: dense and pruned rows, the RTL column equal to fixed on the FPGA row. */
// deno-lint-ignore no-explicit-any
function assertAccuracySection(section: any): void {
  assert.equal(section.data.sequences, 12);
  assert.equal(section.data.labelled, true);
  assert.deepEqual(section.rows.map((row: { name: string }) => row.name), [
    "dense (as given)",
    "pruned (BCR, density 0.5, 8x8)",
  ]);
  const [dense, pruned] = section.rows;
  assert.equal(dense.float.relativeRmsError, 0, "the reference against itself");
  assert.ok(dense.fixed.relativeRmsError > 0 && dense.fixed.relativeRmsError < 0.05);
  assert.ok(pruned.float.relativeRmsError > 0);
  for (const row of section.rows) {
    for (const figures of [row.float, row.fixed]) {
      assert.ok(figures.accuracy >= 0 && figures.accuracy <= 1, JSON.stringify(figures));
    }
  }
  assert.equal(dense.onFpga, false);
  assert.equal(dense.rtl, null);
  assert.equal(pruned.onFpga, true);
  assert.deepEqual(pruned.rtl.figures, pruned.fixed);
  assert.match(pruned.rtl.provenance, /^derived: the RTL simulation .* was bit-exact/);
}

Deno.test({
  name: "bench generates and simulates a design, sweeps density, reuses --design",
  fn: async () => {
    await withTempDir("rnnfab-bench-fpga-", async (dir) => {
      const modelPath = join(dir, "model.json");
      await saveModel(
        randomModel({ kind: "lstm", inputSize: 6, hiddenSize: 16, numLayers: 1, seed: 41 }),
        modelPath,
      );
      const out = join(dir, "report");
      const common = ["--model", modelPath, "--density", "0.5", "--block", "8x8", "--quiet"];
      const fast = ["--skip-host", "--steps", "4"];
      const sweepFlags = ["--pes", "4", "--sweep", "0.25,1", "--sweep-estimate"];
      const run = await runDenoScript("cli/bench.ts", [
        ...common,
        ...fast,
        ...sweepFlags,
        "--out",
        out,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(await Deno.readTextFile(join(out, "report.json")));
      assert.equal(report.fpga.passed, true, "the simulation must be bit-exact");
      assert.equal(report.fpga.pes, 4);
      assert.ok(report.fpga.weightMemoryBits > 0);
      const fpgaRow = report.rows.find((row: { id: string }) => row.id === "fpga");
      assert.equal(fpgaRow.provenance, "measured");
      assert.equal(fpgaRow.provenanceLabel, "measured (RTL simulation)");
      assert.equal(fpgaRow.usPerFrame, report.fpga.cyclesPerStep / report.fpga.clockMhz);
      const sweep = report.densitySweep;
      assert.deepEqual(
        sweep.map((p: { provenance: string }) => p.provenance),
        ["modeled", "measured", "modeled"],
      );
      assert.ok(sweep[0].density < sweep[1].density && sweep[1].density < sweep[2].density);
      assert.ok(sweep[0].cyclesPerStep < sweep[2].cyclesPerStep, "fewer weights, fewer cycles");
      for (const point of sweep) assert.ok(point.peUtilization > 0 && point.peUtilization <= 1);
      assert.match(await Deno.readTextFile(join(out, "report.html")), /id="plot-density"/);

      if (!chromiumMissing()) {
        const image = await screenshotPage({
          htmlPath: join(out, "report.html"),
          pngPath: join(dir, "shot.png"),
          width: 1200,
          height: 2600,
          profileDir: profileDir(dir),
        });
        // The density plot sits below the tables: its measured (cyan) and modeled (orange)
        // points and lines are in the lower half of the page.
        const lower = {
          ...image,
          height: image.height / 2,
          pixels: image.pixels.subarray(image.pixels.length / 2),
        };
        const measured = countColour(lower, PROVENANCE_COLOURS["measured (RTL simulation)"], 10);
        const modeled = countColour(lower, PROVENANCE_COLOURS.modeled, 10);
        assert.ok(measured > 30, `density plot measured points: ${measured} pixels`);
        assert.ok(modeled > 30, `density plot modeled points: ${modeled} pixels`);
      }

      // Reuse: the design and its sim result are read back, no gen, same cycles; with a
      // labelled data file and a head, the accuracy of dense, pruned, fixed point and RTL.
      const accuracyFlags = await writeDataAndHead(dir, { inputSize: 6, outputs: 16 });
      const again = await runDenoScript("cli/bench.ts", [
        ...common,
        ...fast,
        ...accuracyFlags,
        "--design",
        join(out, "design"),
        "--out",
        join(dir, "again"),
      ]);
      assert.equal(again.code, 0, again.stderr);
      const reused = JSON.parse(await Deno.readTextFile(join(dir, "again", "report.json")));
      assert.equal(reused.fpga.cycles, report.fpga.cycles);
      assertAccuracySection(reused.accuracy);
      assert.match(
        await Deno.readTextFile(join(dir, "again", "report.md")),
        /## Accuracy and output error[^]*\| pruned \(BCR, density 0\.5, 8x8\) \(on the FPGA\) \|/,
      );

      // Another model's design is refused in one line naming design.json.
      const refused = await runDenoScript("cli/bench.ts", [
        "--model",
        modelPath,
        "--density",
        "0.25",
        "--quiet",
        ...fast,
        "--design",
        join(out, "design"),
        "--out",
        join(dir, "refused"),
      ]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr.trim(), /^error: .*design\.json: work\.nonZerosPerStep: /);
      assert.equal(refused.stderr.trim().split("\n").length, 1);
    });
  },
});
