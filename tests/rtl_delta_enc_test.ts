/**
 * Unit test bench of the delta encoder (rtl-templates/rnnfab_delta_enc.v with
 * rtl-templates/tb/rnnfab_delta_enc_tb.v): every layer's column vectors of the fixed-point delta
 * golden model (`runFixedDelta`, LSTMP and GRU, 1-2 layers; the LSTMP with theta_m, whose
 * projection inputs m are streamed too, under Icarus) streamed through the encoder, with
 * random gaps on the input and a random ready on the fired queue, under Icarus and Verilator. The
 * fired entries equal the golden model's, bit for bit and in order; and, from the RTL's output
 * alone, no value fires where |v - v_hat| <= theta and every skipped value is within theta.
 */

import assert from "node:assert/strict";
import { type QuantizedModel, quantizeInputs, quantizeModel } from "../model/fixed.ts";
import { type FiredColumn, runFixedDelta } from "../model/delta_run.ts";
import { randomModel } from "../model/random.ts";
import { layerInputSize, type RnnModel } from "../model/model.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";
import * as unit from "./rtl_units.ts";

/** A slow random walk (values change by less than the thresholds at many steps). */
function walk(steps: number, size: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (state * 69069 + 1) % 4294967296) / 4294967296) - 0.5;
  let value = Array.from({ length: size }, () => 2 * next());
  return Array.from({ length: steps }, () => (value = value.map((v) => v + 0.25 * next())));
}

interface Case {
  name: string;
  model: RnnModel;
  thetaX: number[];
  thetaH: number[];
  /** theta_m: each layer's projection input m is streamed through the encoder too (h part). */
  thetaM?: number[];
}

/** One encoder stream: its column vectors, SPLIT, thresholds and the golden fired columns. */
interface Stream {
  name: string;
  vectors: { x: Int32Array; h: Int32Array }[];
  split: number;
  thetaX: number;
  thetaH: number;
  /** "step index delta" of every fired column, in order (index: SPLIT + column in the h part). */
  expected: string[];
}

/** One stream's stimulus ({last, index, value} per column, x part then h part, every step). */
function layerStream(
  quantized: QuantizedModel,
  columns: { x: Int32Array; h: Int32Array }[],
): { words: string[]; values: number[][] } {
  const ab = quantized.format.activationBits;
  const cols = columns[0].x.length + columns[0].h.length;
  const indexBits = cols < 2 ? 1 : Math.ceil(Math.log2(cols));
  const words: string[] = [];
  const values: number[][] = [];
  for (const { x, h } of columns) {
    const vector = [...x, ...h];
    values.push(vector);
    vector.forEach((v, k) =>
      words.push(unit.packHex([[k === vector.length - 1 ? 1 : 0, 1], [k, indexBits], [v, ab]]))
    );
  }
  return { words, values };
}

async function checkCase(
  c: Case,
  simulator: unit.UnitSimulator,
  options: { queueDepth: number; seed: number },
): Promise<void> {
  const quantized = quantizeModel(c.model, DEFAULT_FIXED_CONFIG);
  const inputs = quantizeInputs(walk(9, c.model.inputSize, options.seed), quantized.format);
  const fired: FiredColumn[] = [];
  const columns: { x: Int32Array; h: Int32Array }[][] = c.model.layers.map(() => []);
  const projection: { x: Int32Array; h: Int32Array }[][] = c.model.layers.map(() => []);
  const thresholds = { thetaX: c.thetaX, thetaH: c.thetaH, thetaM: c.thetaM };
  runFixedDelta(quantized, inputs, thresholds, {
    onFire: (f) => fired.push(f),
    onColumns: (_step, l, x, h) => columns[l].push({ x: x.slice(), h: h.slice() }),
    onProjection: (_step, l, m) => projection[l].push({ x: new Int32Array(0), h: m.slice() }),
  });
  const streams: Stream[] = [];
  for (let l = 0; l < c.model.numLayers; l++) {
    const split = layerInputSize(quantized, l);
    streams.push({
      name: `${c.name} layer ${l}`,
      vectors: columns[l],
      split,
      thetaX: c.thetaX[l],
      thetaH: c.thetaH[l],
      expected: fired.filter((f) => f.layer === l && f.part !== "m").map((f) =>
        `${f.step} ${f.part === "x" ? f.column : split + f.column} ${f.delta}`
      ),
    });
    if (c.thetaM && simulator === "icarus") {
      // the projection input m: all h part (SPLIT = 0) with theta_m (Icarus only: a build each)
      streams.push({
        name: `${c.name} layer ${l} m`,
        vectors: projection[l],
        split: 0,
        thetaX: 0,
        thetaH: c.thetaM[l],
        expected: fired.filter((f) => f.layer === l && f.part === "m").map((f) =>
          `${f.step} ${f.column} ${f.delta}`
        ),
      });
    }
  }
  for (const stream of streams) await checkStream(quantized, stream, simulator, options);
}

/** Stream one encoder's column vectors through the bench and check what it fires. */
async function checkStream(
  quantized: QuantizedModel,
  stream: Stream,
  simulator: unit.UnitSimulator,
  options: { queueDepth: number; seed: number },
): Promise<void> {
  const ab = quantized.format.activationBits;
  const { split, vectors } = stream;
  const cols = vectors[0].x.length + vectors[0].h.length;
  const { words, values } = layerStream(quantized, vectors);
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-delta-enc-" });
  try {
    const lines = await unit.simulateUnit(
      {
        tb: "rnnfab_delta_enc_tb",
        cores: ["rnnfab_delta_enc.v"],
        parameters: {
          AB: ab,
          COLS: cols,
          SPLIT: split,
          QUEUE_DEPTH: options.queueDepth,
          THETA_X: stream.thetaX,
          THETA_H: stream.thetaH,
          PRESSURE: 1,
          SEED: options.seed,
          COUNT: words.length,
        },
      },
      dir,
      simulator,
      words,
    );
    const entries = lines.map((line) => {
      const [none, last, index, delta] = line.split(" ");
      return {
        none: none === "1",
        last: last === "1",
        index: parseInt(index, 16),
        delta: unit.signedHex(delta, ab + 1),
      };
    });
    // Bit-exact against the golden model's fired columns of this stream, step by step.
    const steps = values.length;
    assert.equal(entries.filter((e) => e.last).length, steps, `${stream.name}: steps`);
    let step = 0;
    const got: string[] = [];
    for (const e of entries) {
      if (!e.none) got.push(`${step} ${e.index} ${e.delta}`);
      if (e.last) step++;
    }
    assert.deepEqual(got, stream.expected, `${stream.name} (${simulator})`);
    // The property, from the RTL's output alone: fires exactly where |v - v_hat| > theta.
    const vHat = new Array<number>(cols).fill(0);
    let cursor = 0;
    values.forEach((vector) => {
      const firedHere = new Map<number, number>();
      for (; cursor < entries.length; cursor++) {
        const e = entries[cursor];
        if (!e.none) firedHere.set(e.index, e.delta);
        if (e.last) {
          cursor++;
          break;
        }
      }
      vector.forEach((v, k) => {
        const theta = k < split ? stream.thetaX : stream.thetaH;
        const d = v - vHat[k];
        if (firedHere.has(k)) {
          assert.ok(Math.abs(d) > theta && firedHere.get(k) === d, `fired ${k}: d ${d}`);
          vHat[k] = v;
        } else {
          assert.ok(Math.abs(d) <= theta, `skipped ${k}: |${d}| > ${theta}`);
        }
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CASES: Case[] = [
  {
    name: "LSTMP 2 layers",
    model: randomModel({
      kind: "lstm",
      inputSize: 5,
      hiddenSize: 8,
      numLayers: 2,
      projSize: 4,
      seed: 11,
    }),
    thetaX: [300, 120],
    thetaH: [90, 0],
    thetaM: [150, 0],
  },
  {
    name: "GRU 1 layer",
    model: randomModel({ kind: "gru", inputSize: 3, hiddenSize: 6, numLayers: 1, seed: 12 }),
    thetaX: [200],
    thetaH: [40],
  },
  {
    name: "LSTM 1 layer, theta 0 / never",
    model: randomModel({ kind: "lstm", inputSize: 4, hiddenSize: 4, numLayers: 1, seed: 13 }),
    thetaX: [0],
    thetaH: [2 ** 16 - 1],
  },
];

// Icarus builds in a second: every case. Verilator (a build per layer, a minute each on a loaded
// machine): the two-layer LSTMP case, whose layers cover both parts, both thresholds and a
// two-entry queue.
for (const simulator of ["icarus", "verilator"] as const) {
  const cases = simulator === "icarus" ? CASES : CASES.slice(0, 1);
  Deno.test(`rnnfab_delta_enc, ${simulator}: the golden model's fired columns, random back-pressure, never past theta`, async () => {
    for (const [i, c] of cases.entries()) {
      await checkCase(c, simulator, { queueDepth: i === 0 ? 2 : 5, seed: 3 + i });
    }
  });
}
