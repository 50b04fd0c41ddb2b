/**
 * End-to-end cases of batch designs (`gen --batch B`, docs/architecture.md, "Batch"): B
 * sequences in one stream, every word bit-exact against the golden model run per sequence, and
 * the cycle model exactly equal to the simulated cycles (tests/e2e.ts).
 *
 * @module
 */

import { e2eTests } from "./e2e.ts";
import type { E2eCase } from "./e2e.ts";

/** Batch cases: LSTMP with peepholes, GRU, lanes, beats, odd sizes, back-pressure. */
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
];

e2eTests("batch", BATCH_CASES);
