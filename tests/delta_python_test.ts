import assert from "node:assert/strict";
import { runFloatDelta } from "../model/delta_run.ts";
import { randomInputs } from "../model/random.ts";
import { REPO_ROOT, runProgram, saveRandomModel, VENV_PYTHON, withTempDir } from "./helpers.ts";
import { trainingPackagesReady } from "../util/python.ts";

// PyTorch may still be installing in the background (scripts/run_tests.ts).
await trainingPackagesReady();

// The Python delta forward pass (python/rnnfab/delta.py, what training sees) against the float64
// reference runFloatDelta: the same outputs and the same fired counts, LSTM (with projection and
// peepholes; also with theta_m, the delta-coded projection input) and GRU, 2 layers, thresholds > 0.
const PYTHON = `
import json, sys, torch
sys.path.insert(0, "${REPO_ROOT}python")
from rnnfab import RnnStack, load_model
from rnnfab.delta import delta_forward
model = load_model(sys.argv[1])
stack = RnnStack.from_rnnfab(model, torch.float64)
x = torch.tensor(json.load(open(sys.argv[2]))["inputs"], dtype=torch.float64).unsqueeze(0)
theta_m = json.loads(sys.argv[3])
run = delta_forward(stack, x, [0.3, 0.05], [0.02, 0.1], None, theta_m)
print(json.dumps({"outputs": run.outputs[0].tolist(),
                  "firedX": torch.stack(run.fired_x, 2)[0].tolist(),
                  "firedH": torch.stack(run.fired_h, 2)[0].tolist(),
                  "firedM": torch.stack(run.fired_m, 2)[0].tolist()}))
`;

Deno.test("the Python delta forward pass equals the float delta reference (outputs and fired counts)", async () => {
  await withTempDir("rnnfab-delta-py-", async (dir) => {
    await Deno.writeTextFile(`${dir}/run.py`, PYTHON);
    const shapes = [
      { kind: "lstm" as const, projSize: 3, peepholes: true },
      { kind: "gru" as const },
      { kind: "lstm" as const, projSize: 3, peepholes: true, thetaM: [0.05, 0.1] },
    ];
    for (const [i, shape] of shapes.entries()) {
      const model = await saveRandomModel(`${dir}/m${i}.json`, {
        kind: shape.kind,
        projSize: shape.projSize,
        peepholes: shape.peepholes,
        inputSize: 4,
        hiddenSize: 6,
        numLayers: 2,
        seed: 40 + i,
      });
      // A slow input: a cumulative sum of small steps.
      const steps = randomInputs(20, 4, 9 + i);
      const inputs = steps.map((_, t) =>
        steps[0].map((_, k) => steps.slice(0, t + 1).reduce((s, row) => s + 0.2 * row[k], 0))
      );
      await Deno.writeTextFile(`${dir}/x${i}.json`, JSON.stringify({ inputs }));
      const run = await runProgram(VENV_PYTHON, [
        "-B",
        `${dir}/run.py`,
        `${dir}/m${i}.json`,
        `${dir}/x${i}.json`,
        JSON.stringify(shape.thetaM ?? null),
      ]);
      assert.equal(run.code, 0, run.stderr);
      const python = JSON.parse(run.stdout);
      const reference = runFloatDelta(model, inputs, {
        thetaX: [0.3, 0.05],
        thetaH: [0.02, 0.1],
        thetaM: shape.thetaM,
      });
      assert.deepEqual(python.firedX, reference.stats.firedX);
      assert.deepEqual(python.firedH, reference.stats.firedH);
      if (shape.thetaM) {
        assert.deepEqual(python.firedM, reference.stats.firedM);
        const m = reference.stats.firedM.flat().reduce((s, v) => s + v, 0);
        assert.ok(m > 0 && m < 20 * 2 * 6, `some but not all of m fired: ${m}`);
      }
      reference.outputs.forEach((step, t) =>
        step.forEach((value, j) => assert.ok(Math.abs(value - python.outputs[t][j]) < 1e-12))
      );
      const total = reference.stats.firedX.flat().reduce((s, v) => s + v, 0);
      assert.ok(total > 0 && total < 20 * (4 + 6), `some but not all fired: ${total}`);
    }
  });
});
