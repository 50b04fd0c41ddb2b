/**
 * A small subset under Icarus Verilog (4-state, event-driven): the independent cross-check of the
 * Verilator results. The same designs must be bit-exact in both simulators and take the same
 * number of cycles.
 */

import assert from "node:assert/strict";
import { caseProblems, describeRun, runCase, type SimCase } from "../sim/cases.ts";
import { simulateDesign } from "../sim/simulate.ts";

const CASES: SimCase[] = [
  {
    name: "icarus-lstmp-peep-pe3-ese",
    kind: "lstm",
    inputSize: 4,
    hiddenSize: 5,
    numLayers: 1,
    projSize: 3,
    peepholes: true,
    density: 0.6,
    prune: { method: "magnitude" },
    pes: 3,
    format: "ese",
    seed: 31,
    steps: 3,
  },
  {
    name: "icarus-gru-2layer-pe8-bcr",
    kind: "gru",
    inputSize: 3,
    hiddenSize: 4,
    numLayers: 2,
    density: 0.5,
    prune: { method: "bcr", block: { rows: 2, cols: 2 } },
    pes: 8,
    format: "bcr",
    seed: 32,
    steps: 3,
  },
];

Deno.test("Icarus agrees with Verilator and the golden model on small designs", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "rnnfab-sim-icarus-" });
  const started = performance.now();
  try {
    for (const simCase of CASES) {
      await t.step(simCase.name, async () => {
        const run = await runCase(simCase, { root, simulator: "icarus", backpressure: 0.3 });
        console.log(describeRun(simCase, run));
        assert.equal(run.plain.simulator, "icarus");
        assert.deepEqual(caseProblems(run, { estimateTolerance: 0.02 }), []);
        const verilator = await simulateDesign({
          designDir: run.dir,
          steps: simCase.steps,
          seed: simCase.seed,
          resultPath: null,
        });
        assert.ok(verilator.passed, `verilator: ${verilator.failures.join("; ")}`);
        assert.deepEqual(verilator.outputs, run.plain.outputs);
        assert.equal(verilator.cycles, run.plain.cycles);
        await Deno.remove(run.dir, { recursive: true });
      });
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    console.log(
      `Icarus sim cases: ${((performance.now() - started) / 1000).toFixed(1)} s (measured)`,
    );
  }
});
