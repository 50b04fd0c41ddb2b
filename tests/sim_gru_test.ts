/**
 * Generated GRU accelerators (1 and 2 layers, densities from 100% to 5%, PE counts 1/3/8/32, both
 * weight formats) simulated with Verilator: every output word bit-exact against the golden model,
 * with and without random back-pressure, and the cycle estimate within 2% of the simulation.
 */

import assert from "node:assert/strict";
import { caseProblems, describeRun, runCase, type SimCase } from "../sim/cases.ts";

const CASES: SimCase[] = [
  // Dense, 8 PEs for 6 cells (some PEs own no row of a gate).
  {
    name: "gru-dense-pe8-bcr",
    kind: "gru",
    inputSize: 5,
    hiddenSize: 6,
    numLayers: 1,
    density: 1,
    pes: 8,
    format: "bcr",
    seed: 21,
    steps: 6,
  },
  // Two layers at 5% on 32 PEs: most PEs have almost nothing to do.
  {
    name: "gru-2layer-mag5-pe32-ese",
    kind: "gru",
    inputSize: 3,
    hiddenSize: 13,
    numLayers: 2,
    density: 0.05,
    prune: { method: "magnitude" },
    pes: 32,
    format: "ese",
    seed: 22,
    steps: 5,
  },
  // 40% BCR with blocks that do not divide the matrices, large weights.
  {
    name: "gru-bcr40-pe3-bcr",
    kind: "gru",
    inputSize: 9,
    hiddenSize: 10,
    numLayers: 1,
    density: 0.4,
    prune: { method: "bcr", block: { rows: 4, cols: 3 } },
    pes: 3,
    format: "bcr",
    seed: 23,
    steps: 5,
    weightScale: 2,
  },
  // Two layers, 70% magnitude, one PE.
  {
    name: "gru-2layer-mag70-pe1-ese",
    kind: "gru",
    inputSize: 4,
    hiddenSize: 5,
    numLayers: 2,
    density: 0.7,
    prune: { method: "magnitude" },
    pes: 1,
    format: "ese",
    seed: 24,
    steps: 5,
  },
];

Deno.test("GRU designs are bit-exact under Verilator and match the cycle estimate", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "rnnfab-sim-gru-" });
  const started = performance.now();
  try {
    for (const simCase of CASES) {
      await t.step(simCase.name, async () => {
        const run = await runCase(simCase, { root, backpressure: 0.4 });
        console.log(describeRun(simCase, run));
        assert.deepEqual(caseProblems(run), []);
        await Deno.remove(run.dir, { recursive: true });
      });
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    console.log(`GRU sim cases: ${((performance.now() - started) / 1000).toFixed(1)} s (measured)`);
  }
});
