import assert from "node:assert/strict";
import fc from "fast-check";
import {
  activationTable,
  DEFAULT_FIXED_CONFIG,
  quantize,
  quantizeInputs,
  quantizeModel,
  resolveFormat,
  roundShift,
  runFixed,
  saturate,
  tableActivation,
  toReal,
} from "../model/fixed.ts";
import { runFloat } from "../model/float.ts";
import { compareOutputs } from "../model/metrics.ts";
import { loadModel } from "../model/model_io.ts";
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

propertyTest(
  "the derived accumulator width holds the worst-case sum",
  RUNS.numRuns,
  fc.property(
    integersIn({ weightBits: [2, 16], activationBits: [2, 20], terms: [1, 3000] }),
    ({ weightBits, activationBits, terms }) => {
      const accumulatorBits = weightBits + activationBits + Math.ceil(Math.log2(terms + 2));
      // terms products, a bias shifted into place and a peephole product, all at their extremes.
      const worst = (terms + 2) * 2 ** (weightBits - 1) * 2 ** (activationBits - 1);
      assert.ok(worst <= 2 ** (accumulatorBits - 1));
    },
  ),
);

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
