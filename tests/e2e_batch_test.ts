/**
 * End-to-end cases of batch designs (`gen --batch B`, docs/architecture.md, "Batch"): B
 * sequences in one stream, every word bit-exact against the golden model run per sequence, and
 * the cycle model exactly equal to the simulated cycles (tests/e2e.ts).
 *
 * @module
 */

import { e2eTests } from "./e2e.ts";
import type { E2eCase } from "./e2e.ts";

/** Batch cases: LSTMP with peepholes, LSTM, GRU, both formats, lanes, beats, odd sizes, back-pressure. */
export const BATCH_CASES: E2eCase[] = [
  {
    name: "lstmp-peep-2layer-blocks40-pe3-bcr-lanes2-batch2",
    kind: "lstm",
    inputSize: 7,
    hiddenSize: 13,
    numLayers: 2,
    projSize: 5,
    peepholes: true,
    density: 0.4,
    prune: { method: "blocks", block: { rows: 4, cols: 4 } },
    pes: 3,
    format: "bcr",
    settings: { lanes: 2, batch: 2 },
    seed: 41,
    steps: 4,
    backpressure: 0.4,
  },
  // GRU, two layers, 2 lanes, beats of 4 columns on 4 PEs (partial beats), batch 8 (128-bit
  // stream beats: the Verilator harness's wide ports)
  {
    name: "gru-2layer-blocks50-pe4-bcr-lanes2-bcast4-batch8",
    kind: "gru",
    inputSize: 5,
    hiddenSize: 11,
    numLayers: 2,
    density: 0.5,
    prune: { method: "blocks", block: { rows: 4, cols: 2 } },
    pes: 4,
    format: "bcr",
    settings: { lanes: 2, broadcast: 4, batch: 8 },
    seed: 42,
    steps: 4,
    backpressure: 0.4,
  },
  // LSTM without projection, two layers, 50% BCR, 2 PEs x 2 lanes, batch 4 (64-bit beats)
  {
    name: "lstm-2layer-bcr50-pe2-bcr-lanes2-batch4",
    kind: "lstm",
    inputSize: 6,
    hiddenSize: 10,
    numLayers: 2,
    density: 0.5,
    prune: { method: "bcr", block: { rows: 4, cols: 4 } },
    pes: 2,
    format: "bcr",
    settings: { lanes: 2, batch: 4 },
    seed: 45,
    steps: 4,
    backpressure: 0.4,
  },
  // Icarus: LSTM with peepholes, odd sizes on 3 PEs, batch 4, back-pressure
  {
    name: "lstm-peep-rand50-pe3-bcr-batch4-icarus",
    kind: "lstm",
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 1,
    peepholes: true,
    density: 0.5,
    prune: { method: "random" },
    pes: 3,
    format: "bcr",
    settings: { batch: 4 },
    seed: 43,
    steps: 3,
    simulator: "icarus",
    backpressure: 0.3,
  },
  // Icarus, ese: the engine's activation queue holds B values per column (2 entries: stalls)
  {
    name: "gru-2layer-rand60-pe3-ese-batch4-icarus",
    kind: "gru",
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 2,
    density: 0.6,
    prune: { method: "random" },
    pes: 3,
    format: "ese",
    settings: { batch: 4, queueDepth: 2 },
    seed: 46,
    steps: 3,
    simulator: "icarus",
    backpressure: 0.3,
  },
  {
    name: "lstmp-peep-rand40-pe2-ese-batch2-icarus",
    kind: "lstm",
    inputSize: 6,
    hiddenSize: 9,
    numLayers: 1,
    projSize: 4,
    peepholes: true,
    density: 0.4,
    prune: { method: "random" },
    pes: 2,
    format: "ese",
    settings: { batch: 2, indexBits: 2 },
    seed: 47,
    steps: 3,
    simulator: "icarus",
    backpressure: 0.3,
  },
  // Icarus: bcr with a 4-bit codebook and lanes, batch 2 (the engine looks codes up, values pass)
  {
    name: "gru-2layer-blocks50-pe3-bcr-lanes2-codebook4-batch2-icarus",
    kind: "gru",
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 2,
    density: 0.5,
    prune: { method: "blocks", block: { rows: 4, cols: 2 } },
    pes: 3,
    format: "bcr",
    settings: { lanes: 2, codebookBits: 4, batch: 2 },
    seed: 48,
    steps: 3,
    simulator: "icarus",
    backpressure: 0.3,
  },
  // Icarus: GRU, batch 16 (256-bit stream beats), 2 PEs
  {
    name: "gru-dense-pe2-bcr-batch16-icarus",
    kind: "gru",
    inputSize: 3,
    hiddenSize: 4,
    numLayers: 1,
    density: 1,
    pes: 2,
    format: "bcr",
    settings: { batch: 16 },
    seed: 44,
    steps: 3,
    simulator: "icarus",
  },
];

e2eTests("batch", BATCH_CASES);
