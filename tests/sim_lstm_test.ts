/**
 * Generated LSTM accelerators (plain, projection, peepholes, both, 1 and 2 layers, densities from
 * 100% to 5%, PE counts 1/3/8/32, both weight formats) simulated with Verilator: every output word
 * bit-exact against the golden model, with and without random back-pressure, and the analytical
 * cycle estimate within 2% of the simulated cycles.
 */

import assert from "node:assert/strict";
import { caseProblems, describeRun, runCase, type SimCase } from "../sim/cases.ts";

const CASES: SimCase[] = [
  // Dense, H not a multiple of the PE count.
  {
    name: "lstm-dense-pe3-ese",
    kind: "lstm",
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 1,
    density: 1,
    pes: 3,
    format: "ese",
    seed: 11,
    steps: 6,
  },
  // Two layers, BCR-pruned to 50% with blocks that do not divide the matrices.
  {
    name: "lstm-2layer-bcr50-pe8-bcr",
    kind: "lstm",
    inputSize: 6,
    hiddenSize: 10,
    numLayers: 2,
    density: 0.5,
    prune: { method: "bcr", block: { rows: 4, cols: 4 } },
    pes: 8,
    format: "bcr",
    seed: 12,
    steps: 5,
  },
  // Projection, 30% BCR, odd block.
  {
    name: "lstmp-bcr30-pe3-bcr",
    kind: "lstm",
    inputSize: 7,
    hiddenSize: 11,
    numLayers: 1,
    projSize: 5,
    density: 0.3,
    prune: { method: "bcr", block: { rows: 3, cols: 5 } },
    pes: 3,
    format: "bcr",
    seed: 13,
    steps: 5,
  },
  // Peepholes, two layers, 20% magnitude, one PE, large weights (saturating activations).
  {
    name: "lstm-peep-2layer-mag20-pe1-ese",
    kind: "lstm",
    inputSize: 4,
    hiddenSize: 9,
    numLayers: 2,
    peepholes: true,
    density: 0.2,
    prune: { method: "magnitude" },
    pes: 1,
    format: "ese",
    seed: 14,
    steps: 5,
    weightScale: 3,
  },
  // A miniature ESE: projection and peepholes, 11% BCR with PE balance, 32 PEs, both formats.
  {
    name: "lstmp-peep-bcr11-pe32-ese",
    kind: "lstm",
    inputSize: 13,
    hiddenSize: 40,
    numLayers: 1,
    projSize: 19,
    peepholes: true,
    density: 0.11,
    prune: { method: "bcr", block: { rows: 8, cols: 8 } },
    pes: 32,
    format: "ese",
    seed: 15,
    steps: 4,
  },
  {
    name: "lstmp-peep-bcr11-pe32-bcr",
    kind: "lstm",
    inputSize: 13,
    hiddenSize: 40,
    numLayers: 1,
    projSize: 19,
    peepholes: true,
    density: 0.11,
    prune: { method: "bcr", block: { rows: 8, cols: 8 } },
    pes: 32,
    format: "bcr",
    seed: 15,
    steps: 4,
  },
  // Projection, two layers, 5%: rows and columns left empty.
  {
    name: "lstmp-2layer-mag5-pe8-ese",
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 6,
    numLayers: 2,
    projSize: 4,
    density: 0.05,
    prune: { method: "magnitude" },
    pes: 8,
    format: "ese",
    seed: 16,
    steps: 5,
  },
];

Deno.test("LSTM designs are bit-exact under Verilator and match the cycle estimate", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "rnnfab-sim-lstm-" });
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
    console.log(
      `LSTM sim cases: ${((performance.now() - started) / 1000).toFixed(1)} s (measured)`,
    );
  }
});
