/**
 * The designs of the timing benchmark (bench/timing.ts): the 8-PE GRU of issue 17 (29 inputs, 48
 * cells, 2 layers, 25% BCR, ese), an LSTM with projection and peepholes on 8 and 16 PEs (on 16
 * also with element-wise units shared by groups of 4 PEs, and with the bus stage on top), and
 * that LSTM as delta designs; random seeded models, BCR-pruned.
 *
 * @module
 */

import type { RandomModelOptions } from "../model/random.ts";
import type { AcceleratorSettings } from "../rtl/mod.ts";

/** One design of the benchmark. */
export interface TimingBenchDesign {
  /** Short id, also the design's folder name. */
  id: string;
  /** What it is. */
  description: string;
  /** The random model drawn (seeded). */
  model: RandomModelOptions;
  /** BCR density kept. */
  density: number;
  /** BCR block rows x columns. */
  block: { rows: number; cols: number };
  /** PEs. */
  pes: number;
  /** Weight format. */
  format: "ese" | "bcr";
  /**
   * Further accelerator settings (MAC lanes, beat width, output words, delta thresholds: a delta
   * design, docs/delta.md); absent: the defaults.
   */
  extra?: Pick<
    AcceleratorSettings,
    "lanes" | "broadcast" | "outWords" | "delta" | "projQueue" | "ewGroup" | "busStage"
  >;
}

const GRU_29_48: RandomModelOptions = {
  kind: "gru",
  inputSize: 29,
  hiddenSize: 48,
  numLayers: 2,
  seed: 17,
};

const LSTMP_29_48: RandomModelOptions = {
  kind: "lstm",
  inputSize: 29,
  hiddenSize: 48,
  numLayers: 2,
  projSize: 24,
  peepholes: true,
  seed: 17,
};

/** The designs of `deno task bench:timing`. */
export const TIMING_BENCH_DESIGNS: readonly TimingBenchDesign[] = [
  {
    id: "gru-8pe",
    description: "GRU 29 -> 48 x 2 layers, 25% BCR (8x8 blocks), ese, 8 PEs (issue 17)",
    model: GRU_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes: 8,
    format: "ese",
  },
  ...[8, 16].map((pes) => ({
    id: `lstmp-${pes}pe`,
    description: `LSTM 29 -> 48 x 2 layers, projection 24, peepholes, 25% BCR (8x8 blocks), ` +
      `ese, ${pes} PEs`,
    model: LSTMP_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes,
    format: "ese" as const,
  })),
  {
    id: "lstmp-16pe-ewg4",
    description: "lstmp-16pe with one element-wise unit per group of 4 PEs (gen --ew-group 4): " +
      "4 units instead of 16, 12 element-wise issue cycles per layer step instead of 3",
    model: LSTMP_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes: 16,
    format: "ese",
    extra: { ewGroup: 4 },
  },
  {
    id: "lstmp-16pe-ewg4-bus",
    description: "lstmp-16pe-ewg4 with the bus stage (gen --bus-stage on): every PE registers " +
      "the broadcast bus and its bank read data once more (a column a cycle later)",
    model: LSTMP_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes: 16,
    format: "ese",
    extra: { ewGroup: 4, busStage: true },
  },
  {
    id: "delta-lstmp-8pe",
    description: "the LSTMP of lstmp-8pe as a delta design (issue 19): theta_x = theta_h = " +
      "theta_m = 0.1, 2 MAC lanes, beats of 8 columns, 8 output words, ese, 8 PEs; cycles per " +
      "frame depend on the data (the design's estimate: every column fired, the most a frame " +
      "takes)",
    model: LSTMP_29_48,
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes: 8,
    format: "ese",
    extra: {
      lanes: 2,
      broadcast: 8,
      outWords: 8,
      delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.1 },
    },
  },
  // one layer: the projection's own queue in every PE (rtl PQUEUE), and the same without it
  ...[true, false].map((queue) => ({
    id: queue ? "delta-lstmp1-8pe" : "delta-lstmp1-8pe-q0",
    description: `delta-lstmp-8pe with one layer (29 -> 48, projection 24), ` +
      (queue ? "with the projection's own queue in every PE" : "without the projection's queue"),
    model: { ...LSTMP_29_48, numLayers: 1 },
    density: 0.25,
    block: { rows: 8, cols: 8 },
    pes: 8,
    format: "ese" as const,
    extra: {
      lanes: 2,
      broadcast: 8,
      outWords: 8,
      delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.1 },
      ...(queue ? {} : { projQueue: false }),
    },
  })),
];
