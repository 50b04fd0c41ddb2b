/**
 * `deno task sweep --engine ray` on a local Ray instance (started and stopped by the driver with
 * 2 CPUs) gives the same results.jsonl as `--engine local --jobs 2`: 6 points (one density,
 * assumed clock x weight width) estimated, the front candidate (a 200 MHz point) synthesized
 * (Yosys, iCE40) and simulated (Icarus), every figure equal apart from wall times; a rerun on Ray
 * reuses every point. The model is the place-and-route tests' tiny GRU with narrow formats, so
 * that one synthesis costs about 20 CPU seconds; one density keeps the front to one candidate, so
 * that the suite pays for two syntheses (local and Ray), not four. Skipped, with a message, when
 * the project's Python cannot import ray (`deno task setup` installs it from
 * requirements-training.txt).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runDenoScript, runProgram, saveRandomModel, VENV_PYTHON, withTempDir } from "./helpers.ts";
import { NARROW_FORMATS, TINY_GRU } from "./pnr_helpers.ts";
import { trainingPackagesReady } from "../util/python.ts";

// PyTorch and Ray may still be installing in the background (scripts/run_tests.ts).
await trainingPackagesReady();

/** results.jsonl without the wall times. */
async function resultRows(outDir: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(join(outDir, "results.jsonl"));
  return text.trim().split("\n").map((line) => {
    const { wallSeconds: _, ...rest } = JSON.parse(line);
    return rest;
  });
}

const probe = await runProgram(VENV_PYTHON, ["-c", "import ray"]).catch(() => undefined);
const missing = probe?.code === 0 ? undefined : `${VENV_PYTHON} cannot import ray`;
if (missing) console.warn(`sweep_ray_test skipped: ${missing} (deno task setup installs it)`);

Deno.test({
  name: "sweep: the Ray engine gives the local engine's results; a rerun on Ray reuses them",
  ignore: missing !== undefined,
  fn: async () => {
    await withTempDir("rnnfab-sweep-ray-", async (dir) => {
      await saveRandomModel(join(dir, "model.json"), TINY_GRU);
      const spec = join(dir, "spec.json");
      await Deno.writeTextFile(
        spec,
        JSON.stringify({
          model: "model.json",
          axes: {
            "prune.density": [0.25],
            "gen.clockMhz": [50, 100, 200],
            "gen.weightBits": [8, 12],
          },
          settings: {
            prune: { block: "2x2" },
            gen: { pes: 1, ...NARROW_FORMATS },
            synth: { target: "ice40" },
            sim: { simulator: "icarus" },
          },
          objectives: ["usPerFrame", "gops", "fidelityError"],
          depth: "sim",
          fidelity: { steps: 3 },
        }),
      );
      const local = join(dir, "local");
      const ray = join(dir, "ray");
      const sweep = (out: string, ...more: string[]) =>
        runDenoScript("cli/sweep.ts", ["--spec", spec, "--out", out, ...more]);
      const a = await sweep(local, "--jobs", "2");
      assert.equal(a.code, 0, a.stderr);
      const b = await sweep(ray, "--engine", "ray", "--jobs", "2");
      assert.equal(b.code, 0, b.stderr);
      const rows = await resultRows(local);
      assert.equal(rows.length, 6);
      // Screening: only the candidate (the front's 200 MHz point) is synthesized and simulated;
      // its LUTs say synthesized, the others' are unknown.
      const deep = rows.filter((row) => row.depth === "sim");
      assert.equal(deep.length, 1, `${deep.length} points ran deep`);
      assert.equal((deep[0].point as Record<string, unknown>)["gen.clockMhz"], 200);
      for (const row of rows) {
        const figures = row.figures as Record<string, { value: number | null; provenance: string }>;
        const synthesized = row.depth === "sim";
        assert.equal(row.candidate, synthesized);
        assert.equal(figures.luts.provenance, synthesized ? "synthesized" : null);
        assert.equal(figures.fidelityError.provenance, synthesized ? "simulated" : "computed");
        if (synthesized) assert.ok(figures.luts.value! > 0 && figures.blockRams.value! > 0);
      }
      assert.deepEqual(await resultRows(ray), rows);
      assert.equal(
        await Deno.readTextFile(join(ray, "pareto.json")),
        await Deno.readTextFile(join(local, "pareto.json")),
      );
      const again = await sweep(ray, "--engine", "ray");
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /0 jobs computed, \d+ cached, 0 failed/);
    });
  },
});
