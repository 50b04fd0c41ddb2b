/**
 * End-to-end tests of the generator with its own Icarus test bench
 * (rtl-templates/tb/rnnfab_gen_tb.v): generated designs for LSTM, LSTM with peepholes and
 * projection, GRU, 1 and 2 layers, odd sizes, several PE counts and both weight formats compute
 * exactly what the golden model computes, and the cycle estimate of design.json equals the
 * simulated cycles. Also: random output back-pressure (bit-exact, no loss) and a reset in the
 * middle of a sequence (the replayed sequence is bit-exact again).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { quantizeInputs, runFixed } from "../model/fixed.ts";
import type { RnnKind, RnnModel } from "../model/model.ts";
import { randomInputs, randomModel, seededRandom } from "../model/random.ts";
import {
  type AcceleratorSettings,
  type DesignParams,
  generateFromModel,
  resolveAcceleratorConfig,
  writeDesign,
} from "../rtl/mod.ts";

const TB = new URL("../rtl-templates/tb/rnnfab_gen_tb.v", import.meta.url).pathname;

/** A model for a test: shape, and how its weights are thinned. */
interface Case {
  name: string;
  kind: RnnKind;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  projSize?: number;
  peepholes?: boolean;
  /** Fraction of weights kept (unstructured), or a block pattern. */
  density: number;
  /** BCR-like structure: blocks of this shape keep whole rows and columns. */
  block?: [number, number];
  settings: AcceleratorSettings;
  steps?: number;
}

/** Unstructured thinning: each weight kept with probability `density`. */
function thin(model: RnnModel, density: number, seed: number): void {
  const random = seededRandom(seed);
  for (const layer of model.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      for (let i = 0; i < matrix.data.length; i++) if (random() >= density) matrix.data[i] = 0;
    }
  }
}

/** Block thinning: in each block keep a random sqrt(density) of the columns and of the rows. */
function thinBlocks(model: RnnModel, density: number, block: [number, number], seed: number) {
  const random = seededRandom(seed);
  const keep = Math.sqrt(density);
  for (const layer of model.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      for (let r0 = 0; r0 < matrix.rows; r0 += block[0]) {
        for (let c0 = 0; c0 < matrix.cols; c0 += block[1]) {
          const rows = Array.from(
            { length: Math.min(block[0], matrix.rows - r0) },
            () => random() < keep,
          );
          const cols = Array.from(
            { length: Math.min(block[1], matrix.cols - c0) },
            () => random() < keep,
          );
          rows.forEach((keptRow, i) =>
            cols.forEach((keptCol, j) => {
              if (!keptRow || !keptCol) matrix.data[(r0 + i) * matrix.cols + c0 + j] = 0;
            })
          );
        }
      }
    }
  }
}

function caseModel(c: Case): RnnModel {
  const model = randomModel({
    kind: c.kind,
    inputSize: c.inputSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    projSize: c.projSize,
    peepholes: c.peepholes,
    seed: c.inputSize * 101 + c.hiddenSize,
  });
  if (c.block) thinBlocks(model, c.density, c.block, 7);
  else if (c.density < 1) thin(model, c.density, 7);
  return model;
}

async function run(program: string, args: string[], cwd?: string): Promise<string> {
  const output = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (output.code !== 0) throw new Error(`${program} failed (${output.code}): ${text}`);
  return text;
}

/** Simulation of a design directory with the generator's test bench. */
interface TbRun {
  beats: { cycle: number; value: number }[];
  endCycle: number;
}

async function simulate(
  dir: string,
  design: DesignParams,
  inputs: Int32Array[],
  options: { backpressure?: number; resetAt?: number } = {},
): Promise<TbRun> {
  const ab = design.fixed.activationBits;
  const words = inputs.flatMap((step) =>
    Array.from(step, (v) => (v < 0 ? v + 2 ** ab : v).toString(16))
  );
  await Deno.writeTextFile(join(dir, "stim.hex"), words.join("\n") + "\n");
  const rtl = design.rtl;
  const parameters = {
    AB: ab,
    IN_SIZE: rtl.IN0,
    OUT_SIZE: rtl.O,
    STEPS: inputs.length,
    BACKPRESSURE: options.backpressure ?? 0,
    RESET_AT: options.resetAt ?? 0,
  };
  const rtlFiles = [...Deno.readDirSync(join(dir, "rtl"))].map((e) => join(dir, "rtl", e.name))
    .sort();
  await run("iverilog", [
    "-g2005",
    `-I${join(dir, "rtl")}`,
    "-o",
    join(dir, "tb.vvp"),
    "-s",
    "rnnfab_gen_tb",
    ...Object.entries(parameters).map(([name, value]) => `-Prnnfab_gen_tb.${name}=${value}`),
    TB,
    ...rtlFiles,
  ]);
  await run("vvp", ["-n", join(dir, "tb.vvp"), "+stim=stim.hex", "+out=beats.txt"], dir);
  const lines = (await Deno.readTextFile(join(dir, "beats.txt"))).trim().split("\n");
  const end = lines.pop()!;
  return {
    beats: lines.map((line) => {
      const [cycle, value] = line.split(" ").map(Number);
      return { cycle, value };
    }),
    endCycle: Number(end.split(" ")[1]),
  };
}

async function generate(c: Case, dir: string): Promise<DesignParams> {
  const config = resolveAcceleratorConfig([{ settings: c.settings, source: c.name }]);
  const { design } = generateFromModel(caseModel(c), config);
  await writeDesign(dir, design);
  return design;
}

/** Outputs of the golden model, flattened, for the design's integer model. */
function golden(design: DesignParams, steps: number, seed: number) {
  const inputs = quantizeInputs(
    randomInputs(steps, design.model.inputSize, seed),
    design.quantized.format,
  );
  return { inputs, outputs: runFixed(design.quantized, inputs).flatMap((s) => Array.from(s)) };
}

const CASES: Case[] = [
  {
    name: "LSTM 5->7, dense, 1 PE, ese",
    kind: "lstm",
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 1,
    density: 1,
    settings: { pes: 1 },
  },
  {
    name: "LSTM 6->11 peepholes, 40%, 3 PEs, ese",
    kind: "lstm",
    inputSize: 6,
    hiddenSize: 11,
    numLayers: 1,
    peepholes: true,
    density: 0.4,
    settings: { pes: 3, queueDepth: 2 },
  },
  {
    name: "LSTMP 7->13 proj 5, peepholes, 2 layers, 30%, 4 PEs, ese with codebook",
    kind: "lstm",
    inputSize: 7,
    hiddenSize: 13,
    numLayers: 2,
    projSize: 5,
    peepholes: true,
    density: 0.3,
    settings: { pes: 4, codebookBits: 4, indexBits: 2 },
  },
  {
    name: "GRU 5->9, 2 layers, 30%, 3 PEs, ese",
    kind: "gru",
    inputSize: 5,
    hiddenSize: 9,
    numLayers: 2,
    density: 0.3,
    settings: { pes: 3 },
  },
  {
    name: "GRU 4->10, 5%, 8 PEs, ese",
    kind: "gru",
    inputSize: 4,
    hiddenSize: 10,
    numLayers: 1,
    density: 0.05,
    settings: { pes: 8 },
  },
  {
    name: "LSTMP 9->12 proj 7, BCR 4x4 at 25%, 3 PEs, bcr (block chosen)",
    kind: "lstm",
    inputSize: 9,
    hiddenSize: 12,
    numLayers: 1,
    projSize: 7,
    density: 0.25,
    block: [4, 4],
    settings: { pes: 3, format: "bcr" },
  },
  {
    name: "GRU 6->10, 2 layers, BCR 8x2 at 50%, 4 PEs, bcr 8x2",
    kind: "gru",
    inputSize: 6,
    hiddenSize: 10,
    numLayers: 2,
    density: 0.5,
    block: [8, 2],
    settings: { pes: 4, format: "bcr", blockRows: 8, blockCols: 2 },
  },
  {
    name: "LSTM 3->6 peepholes, dense, 8 PEs (more PEs than cells), bcr",
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 6,
    numLayers: 1,
    peepholes: true,
    density: 1,
    settings: { pes: 8, format: "bcr" },
  },
  {
    name: "GRU 5->6, other formats (Q10.?, Q11.6, tables S=6/R=3 and S=1/R=4), 2 PEs, ese",
    kind: "gru",
    inputSize: 5,
    hiddenSize: 6,
    numLayers: 1,
    density: 0.7,
    settings: {
      pes: 2,
      weightBits: 10,
      activationBits: 11,
      activationFrac: 6,
      sigmoid: { stepLog2: 6, rangeLog2: 3 },
      tanh: { stepLog2: 1, rangeLog2: 4 },
    },
  },
  {
    name: "LSTM 4->5 peepholes, other formats (Q6.?, Q20.15), 2 PEs, bcr",
    kind: "lstm",
    inputSize: 4,
    hiddenSize: 5,
    numLayers: 2,
    peepholes: true,
    density: 0.8,
    settings: { pes: 2, format: "bcr", weightBits: 6, activationBits: 20, activationFrac: 15 },
  },
  {
    // 65 cells per PE: the accumulators and c are the block-RAM variants (deeper than 64 words)
    name: "LSTM 3->130 peepholes, 10%, 2 PEs, ese (block-RAM accumulators and c)",
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 130,
    numLayers: 1,
    peepholes: true,
    density: 0.1,
    steps: 2,
    settings: { pes: 2 },
  },
  {
    // K = 70, KP = 65, h bank 130 words: every state memory of the PE is a block-RAM variant
    name: "LSTMP 3->140 proj 130, 2 layers, 10%, 2 PEs, ese (block-RAM state memories)",
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 140,
    numLayers: 2,
    projSize: 130,
    density: 0.1,
    steps: 2,
    settings: { pes: 2 },
  },
  {
    name: "GRU 4->130, 2 layers, BCR 4x4 at 20%, 2 PEs, bcr (block-RAM accumulators, h)",
    kind: "gru",
    inputSize: 4,
    hiddenSize: 130,
    numLayers: 2,
    density: 0.2,
    block: [4, 4],
    steps: 2,
    settings: { pes: 2, format: "bcr" },
  },
];

for (const c of CASES) {
  Deno.test(`gen + icarus: ${c.name}: bit-exact, estimate = simulated cycles`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-gen-" });
    try {
      const design = await generate(c, join(dir, "design"));
      const steps = c.steps ?? 3;
      const { inputs, outputs } = golden(design, steps, 3);
      const result = await simulate(join(dir, "design"), design, inputs);
      assert.deepEqual(result.beats.map((b) => b.value), outputs);
      const estimate = design.estimate.firstStepCycles +
        (steps - 1) * design.estimate.cyclesPerStep;
      assert.deepEqual(result.beats[result.beats.length - 1].cycle, estimate);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("gen + icarus: random output back-pressure stalls without loss", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-gen-" });
  try {
    const design = await generate(CASES[2], join(dir, "design"));
    const { inputs, outputs } = golden(design, 4, 5);
    const result = await simulate(join(dir, "design"), design, inputs, { backpressure: 60 });
    assert.deepEqual(result.beats.map((b) => b.value), outputs);
    const free = design.estimate.firstStepCycles + 3 * design.estimate.cyclesPerStep;
    assert.ok(result.endCycle > free, "back-pressure must cost cycles");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gen + icarus: reset in the middle of a sequence restarts from zero state", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-gen-" });
  try {
    for (const c of [CASES[3], CASES[5]]) {
      const design = await generate(c, join(dir, "design"));
      const { inputs, outputs } = golden(design, 3, 9);
      const resetAt = design.estimate.firstStepCycles + 5;
      const result = await simulate(join(dir, "design"), design, inputs, { resetAt });
      assert.deepEqual(result.beats.map((b) => b.value), outputs, c.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gen + icarus: random shapes, PE counts and formats are bit-exact and exactly estimated", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-gen-" });
  try {
    const random = seededRandom(2024);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const size = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    for (let trial = 0; trial < 8; trial++) {
      const kind = pick<RnnKind>(["lstm", "gru"]);
      const format = pick<"ese" | "bcr">(["ese", "bcr"]);
      const c: Case = {
        name: `random ${trial}`,
        kind,
        inputSize: size(1, 9),
        hiddenSize: size(1, 12),
        numLayers: size(1, 2),
        projSize: kind === "lstm" && random() < 0.4 ? size(1, 6) : 0,
        peepholes: kind === "lstm" && random() < 0.5,
        density: pick([1, 0.6, 0.3, 0.1]),
        settings: {
          pes: pick([1, 2, 3, 5, 8]),
          format,
          ...(format === "ese"
            ? { indexBits: size(1, 4), queueDepth: pick([1, 2, 64]) }
            : random() < 0.5
            ? { blockRows: size(1, 8), blockCols: size(1, 6) }
            : {}),
        },
      };
      const design = await generate(c, join(dir, `d${trial}`));
      const { inputs, outputs } = golden(design, 3, trial);
      const result = await simulate(join(dir, `d${trial}`), design, inputs);
      const label = JSON.stringify(c);
      assert.deepEqual(result.beats.map((b) => b.value), outputs, label);
      const estimate = design.estimate.firstStepCycles + 2 * design.estimate.cyclesPerStep;
      assert.equal(result.beats[result.beats.length - 1].cycle, estimate, label);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
