import assert from "node:assert/strict";
import fc from "fast-check";
import {
  activationTable,
  DEFAULT_FIXED_CONFIG,
  denseAccumulators,
  type IntMatrix,
  quantize,
  type QuantizedModel,
  quantizeInputs,
  quantizeModel,
  resolveFormat,
  roundShift,
  runFixed,
  saturate,
  tableActivation,
  toReal,
} from "../model/fixed.ts";
import {
  accumulatorBitsFor,
  accumulatorBound,
  accumulatorRowBounds,
} from "../model/accumulator.ts";
import { runFloat } from "../model/float.ts";
import { compareOutputs } from "../model/metrics.ts";
import { loadModel } from "../model/model_io.ts";
import { parseQuantizedModel, serializeQuantizedModel } from "../model/quantized_io.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { integersIn, propertyTest, REPO_ROOT } from "./helpers.ts";

const RUNS = { numRuns: 500 };

Deno.test("saturate clamps to the signed range and leaves in-range values alone", () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 32 }), fc.maxSafeInteger(), (bits, value) => {
      const result = saturate(value, bits);
      const max = 2 ** (bits - 1) - 1;
      const min = -(2 ** (bits - 1));
      assert.ok(result >= min && result <= max);
      if (value >= min && value <= max) assert.equal(result, value);
      else assert.equal(result, value > max ? max : min);
      assert.equal(saturate(result, bits), result);
    }),
    RUNS,
  );
});

Deno.test("roundShift rounds half up, exactly as a BigInt computation of floor((v + 2^(s-1)) / 2^s)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
      fc.integer({ min: 0, max: 30 }),
      (value, shift) => {
        const big = BigInt(value);
        let expected: bigint;
        if (shift === 0) expected = big;
        else {
          const numerator = big + (1n << BigInt(shift - 1));
          const divisor = 1n << BigInt(shift);
          // BigInt division truncates; turn it into floor division.
          expected = numerator / divisor -
            ((numerator % divisor !== 0n && numerator < 0n) ? 1n : 0n);
        }
        assert.equal(BigInt(roundShift(value, shift)), expected);
      },
    ),
    RUNS,
  );
  assert.equal(roundShift(3, 1), 2);
  assert.equal(roundShift(-3, 1), -1);
  assert.equal(roundShift(-5, 2), -1);
});

Deno.test("quantize rounds to nearest (ties up), saturates, and is monotonic", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: 2, max: 24 }),
      fc.integer({ min: 0, max: 20 }),
      (a, b, bits, frac) => {
        const qa = quantize(a, bits, frac);
        assert.ok(Number.isInteger(qa));
        assert.equal(saturate(qa, bits), qa);
        if (a <= b) assert.ok(qa <= quantize(b, bits, frac));
        const scaled = a * 2 ** frac;
        if (qa > -(2 ** (bits - 1)) && qa < 2 ** (bits - 1) - 1) {
          assert.ok(Math.abs(qa - scaled) <= 0.5);
        }
      },
    ),
    RUNS,
  );
});

Deno.test("table activations: symmetric, monotonic, and within the documented error of sigmoid/tanh", () => {
  const format = resolveFormat(
    randomModel({ kind: "lstm", inputSize: 2, hiddenSize: 2, numLayers: 1, seed: 1 }),
  );
  const af = format.activationFrac;
  const tables = {
    sigmoid: activationTable("sigmoid", format),
    tanh: activationTable("tanh", format),
  };
  const limit = 2 ** (format.activationBits - 1);
  fc.assert(
    fc.property(fc.integer({ min: -limit, max: limit - 1 }), (x) => {
      const s = tableActivation(x, "sigmoid", tables.sigmoid, format);
      const t = tableActivation(x, "tanh", tables.tanh, format);
      if (x > -limit) {
        assert.equal(tableActivation(-x, "sigmoid", tables.sigmoid, format), 2 ** af - s);
        assert.equal(tableActivation(-x, "tanh", tables.tanh, format), 0 - t);
      }
      if (x + 1 < limit) {
        assert.ok(tableActivation(x + 1, "sigmoid", tables.sigmoid, format) >= s);
        assert.ok(tableActivation(x + 1, "tanh", tables.tanh, format) >= t);
      }
      const real = x / 2 ** af;
      assert.ok(Math.abs(s / 2 ** af - 1 / (1 + Math.exp(-real))) < 1e-3);
      assert.ok(Math.abs(t / 2 ** af - Math.tanh(real)) < 1e-3);
    }),
    { numRuns: 2000 },
  );
});

/**
 * The activation (AB bits) that moves `weight * activation` furthest in `direction` (+1 or -1):
 * 2^(AB-1) - 1 where the weight and the direction agree in sign, -2^(AB-1) where they do not.
 */
function extremeActivation(weight: number, direction: 1 | -1, activationBits: number): number {
  if (weight === 0) return 0;
  return weight * direction > 0 ? 2 ** (activationBits - 1) - 1 : -(2 ** (activationBits - 1));
}

/** The input x and previous output h that drive accumulator row `row` of layer 0 furthest. */
function extremeInputs(
  quantized: QuantizedModel,
  row: number,
  direction: 1 | -1,
): { x: Int32Array; h: Int32Array } {
  const H = quantized.hiddenSize;
  const layer = quantized.layers[0];
  // the weight row behind accumulator row `row` (GRU: xn and hn are rows 2H.. of W_ih and W_hh)
  const gate = Math.floor(row / H);
  const gru = quantized.kind === "gru";
  const weightRow = gru && gate === 3 ? row - H : row;
  const of = (matrix: IntMatrix, used: boolean) =>
    Int32Array.from({ length: matrix.cols }, (_, k) => {
      const weight = matrix.data[weightRow * matrix.cols + k];
      return used ? extremeActivation(weight, direction, quantized.format.activationBits) : 0;
    });
  return {
    x: of(layer.weightIh, !(gru && gate === 3)),
    h: of(layer.weightHh, !(gru && gate === 2)),
  };
}

propertyTest(
  "the accumulator width holds every row's extreme sum and is never wider than WB + AB + log2(K + 2)",
  100,
  fc.property(
    integersIn({
      kind: [0, 1],
      inputSize: [1, 12],
      hidden: [1, 6],
      proj: [0, 3],
      weightBits: [4, 16],
    }),
    fc.integer({ min: 1, max: 1000 }),
    fc.double({ min: 0.05, max: 4, noNaN: true }),
    ({ kind, inputSize, hidden, proj, weightBits }, seed, scale) => {
      const model = randomModel({
        kind: kind === 0 ? "lstm" : "gru",
        inputSize,
        hiddenSize: hidden,
        numLayers: 1,
        projSize: proj,
        peepholes: proj === 0,
        seed,
        scale,
      });
      const quantized = quantizeModel(model, {
        ...DEFAULT_FIXED_CONFIG,
        weightBits,
        weightFrac: 2,
      });
      const { accumulatorBits, activationBits, weightFrac } = quantized.format;
      const bound = accumulatorBound(quantized);
      const [rows] = accumulatorRowBounds(quantized);
      const layer = quantized.layers[0];
      // every row's bound holds its sums at the extreme inputs, and is reached by them (up to
      // the one value the activations' asymmetric range leaves out, at most 2^-(AB-1) of it)
      const reached = (sum: number, rowBound: number, what: string) => {
        assert.ok(sum <= rowBound, `${what}: ${sum} > ${rowBound}`);
        assert.ok(sum >= rowBound * (1 - 2 ** -(activationBits - 1)), `${what}: ${sum}`);
      };
      for (let row = 0; row < 4 * hidden; row++) {
        let largest = 0;
        for (const direction of [1, -1] as const) {
          const { x, h } = extremeInputs(quantized, row, direction);
          let sum = denseAccumulators(quantized, layer, x, h)[row];
          // LSTM peepholes p_i, p_f, p_o (rows i, f, o) with the cell state at its extreme
          const slot = [0, 1, -1, 2][Math.floor(row / hidden)];
          const p = layer.peephole && slot >= 0 ? layer.peephole[slot * hidden + row % hidden] : 0;
          sum += p * extremeActivation(p, direction, activationBits);
          largest = Math.max(largest, Math.abs(sum));
        }
        reached(largest, rows.gates[row], `row ${row}`);
      }
      for (let row = 0; row < rows.projection.length; row++) {
        const weights = layer.weightHr!.data.slice(row * hidden, (row + 1) * hidden);
        const sum = weights.reduce((total, w) => total + Math.abs(w), 0) *
          2 ** (activationBits - 1);
        reached(sum, rows.projection[row], `projection row ${row}`);
      }
      assert.equal(bound, Math.max(...rows.gates, ...rows.projection));
      // the width holds the bound, and one bit less would not (unless the floor decides)
      assert.ok(bound <= 2 ** (accumulatorBits - 1) - 1);
      if (accumulatorBits > weightBits + activationBits + 1) {
        assert.ok(bound > 2 ** (accumulatorBits - 2) - 1);
      }
      const terms = inputSize + (proj || hidden);
      const formerWidth = weightBits + activationBits +
        Math.ceil(Math.log2(Math.max(terms, hidden) + 2));
      assert.ok(accumulatorBits <= formerWidth, `${accumulatorBits} > ${formerWidth}`);
      assert.ok(accumulatorBits >= weightBits + activationBits + 1);
      assert.equal(weightFrac, 2);
    },
  ),
);

Deno.test("the accumulator width follows the widest row: a worked example", () => {
  // One LSTM cell, 8 inputs, 4-bit weights, Q6.4 activations (largest magnitude 2^5 = 32).
  const matrix = (rows: number, cols: number, data: number[]): IntMatrix => ({
    rows,
    cols,
    data: Int32Array.from(data),
  });
  const model: QuantizedModel = {
    kind: "lstm",
    inputSize: 8,
    hiddenSize: 1,
    numLayers: 1,
    projSize: 0,
    format: {
      ...DEFAULT_FIXED_CONFIG,
      weightBits: 4,
      weightFrac: 2,
      activationBits: 6,
      activationFrac: 4,
      accumulatorBits: 0,
    },
    layers: [{
      weightIh: matrix(4, 8, [...Array(8).fill(1), ...Array(8).fill(-7), ...Array(16).fill(0)]),
      weightHh: matrix(4, 1, [0, 7, 0, 0]),
      bias: Int32Array.from([0, -3, 31, 0]),
      peephole: Int32Array.from([0, -8, 0]),
    }],
    saturatedValues: 0,
  };
  // row f: (8 * 7 + 7 + 8) * 32 + 3 * 2^2 = 2284, 13 bits signed (12 for the magnitude);
  // row g: 31 * 4 = 124 only.
  assert.equal(accumulatorBound(model), 2284);
  assert.equal(accumulatorBitsFor(model), 13);
  // never narrower than a weight times a delta: 4 + 6 + 1
  const small = { ...model, layers: [{ ...model.layers[0], peephole: undefined }] };
  small.layers[0].weightIh = matrix(4, 8, Array(32).fill(0));
  assert.equal(accumulatorBitsFor(small), 11);
});

/** The bound docs/fixed-point.md states for the default formats on the example models. */
const BOUND = { maxAbsError: 0.02, rmsError: 0.005 };

for (const [file, inputFile] of [["lstm.json", "input16.json"], ["gru.json", "input16.json"]]) {
  Deno.test(`fixed-point error against float stays within the documented bound: examples/${file}`, async () => {
    const model = await loadModel(`${REPO_ROOT}examples/${file}`);
    const inputs = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}examples/${inputFile}`)).inputs;
    const quantized = quantizeModel(model, DEFAULT_FIXED_CONFIG);
    assert.equal(quantized.saturatedValues, 0);
    const fixed = runFixed(quantized, quantizeInputs(inputs, quantized.format)).map((row) =>
      toReal(row, quantized.format)
    );
    const error = compareOutputs(runFloat(model, inputs), fixed);
    console.log(
      `examples/${file}: max abs error ${error.maxAbsError.toExponential(3)}, rms ${
        error.rmsError.toExponential(3)
      } (computed)`,
    );
    assert.ok(error.maxAbsError < BOUND.maxAbsError);
    assert.ok(error.rmsError < BOUND.rmsError);
  });
}

Deno.test("fixed-point error stays within the bound on LSTM with projection and peepholes, and larger weights", () => {
  for (
    const [index, options] of [
      { kind: "lstm", inputSize: 12, hiddenSize: 24, numLayers: 2, projSize: 8, peepholes: true },
      { kind: "gru", inputSize: 9, hiddenSize: 20, numLayers: 3 },
    ].entries()
  ) {
    const model = randomModel({
      ...options,
      kind: options.kind as "lstm" | "gru",
      seed: 40 + index,
      scale: 0.5,
    });
    const inputs = randomInputs(20, options.inputSize, 50 + index);
    const quantized = quantizeModel(model);
    const fixed = runFixed(quantized, quantizeInputs(inputs, quantized.format)).map((row) =>
      toReal(row, quantized.format)
    );
    const error = compareOutputs(runFloat(model, inputs), fixed);
    console.log(
      `${options.kind} case ${index}: max abs error ${
        error.maxAbsError.toExponential(3)
      } (computed)`,
    );
    assert.ok(error.maxAbsError < BOUND.maxAbsError);
  }
});

Deno.test("fixed-point runs only on integers: every output is an activation-format integer", () => {
  const model = randomModel({ kind: "gru", inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 9 });
  const quantized = quantizeModel(model);
  const outputs = runFixed(quantized, quantizeInputs(randomInputs(6, 5, 3), quantized.format));
  for (const row of outputs) {
    for (const value of row) {
      assert.equal(saturate(value, quantized.format.activationBits), value);
    }
  }
});

Deno.test("a quantized.json whose accumulator width cannot hold its weights' sums is refused", () => {
  const quantized = quantizeModel(
    randomModel({ kind: "gru", inputSize: 5, hiddenSize: 3, numLayers: 2, seed: 3 }),
  );
  const file = serializeQuantizedModel(quantized);
  const needed = quantized.format.accumulatorBits;
  assert.equal(parseQuantizedModel(file, "q.json").format.accumulatorBits, needed);
  const narrow = { ...file, format: { ...file.format, accumulatorBits: needed - 1 } };
  assert.throws(
    () => parseQuantizedModel(narrow, "q.json"),
    (error: Error) =>
      !error.message.includes("\n") && /q\.json/.test(error.message) &&
      /format\.accumulatorBits/.test(error.message) &&
      error.message.includes(`at least ${needed}`),
  );
});
