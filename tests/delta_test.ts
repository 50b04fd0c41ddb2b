import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cellArithmetic,
  denseAccumulators,
  quantizeInputs,
  quantizeModel,
  runFixed,
  toReal,
} from "../model/fixed.ts";
import { runFloat } from "../model/float.ts";
import {
  deltaConfigSchema,
  fixedThresholds,
  realThresholds,
  summarizeStats,
} from "../model/delta.ts";
import {
  encodeDeltas,
  type FiredColumn,
  runFixedDelta,
  runFloatDelta,
} from "../model/delta_run.ts";
import { normalFrom, randomInputs, randomModel, seededRandom } from "../model/random.ts";
import type { RnnModel } from "../model/model.ts";
import { fcParameters, modelShapeFields, propertyTest } from "./helpers.ts";

/** A model shape for the properties: LSTM (with or without projection, peepholes) or GRU, 1-2 layers. */
const shapeArbitrary = fc.record(
  modelShapeFields({ inputSize: 6, hiddenSize: 6, numLayers: 2, projSize: 3, seed: 2 ** 31 - 1 }),
).map((shape) => ({ ...shape, projSize: shape.kind === "lstm" ? shape.projSize : 0 }));

/**
 * Inputs that change slowly and sometimes not at all (a random walk that holds its value about half
 * the time), or white noise, so that both firing and skipping occur.
 */
function inputsFor(model: RnnModel, steps: number, seed: number, walk: boolean): number[][] {
  if (!walk) return randomInputs(steps, model.inputSize, seed);
  const random = seededRandom(seed);
  let x = Array.from({ length: model.inputSize }, () => normalFrom(random));
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    x = x.map((v) => random() < 0.5 ? v : Math.fround(v + 0.1 * normalFrom(random)));
    out.push(x.slice());
  }
  return out;
}

const caseArbitrary = fc.record({
  shape: shapeArbitrary,
  steps: fc.integer({ min: 1, max: 12 }),
  walk: fc.boolean(),
});
type CaseValue = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** A case's model, its quantized model and the quantized inputs. */
function quantizedCase({ shape, steps, walk }: CaseValue) {
  const model = randomModel(shape);
  const quantized = quantizeModel(model);
  const q = quantizeInputs(inputsFor(model, steps, shape.seed, walk), quantized.format);
  return { model, quantized, q };
}

/** A drawn case, quantized, with a threshold of up to `maxTheta` LSBs. */
function thresholdCase(maxTheta: number) {
  return fc.tuple(caseArbitrary, fc.integer({ min: 0, max: maxTheta }))
    .map(([value, theta]) => ({ ...value, ...quantizedCase(value), theta }));
}

function sameValues(actual: ArrayLike<number>[], expected: ArrayLike<number>[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((step, t) => {
    assert.equal(step.length, expected[t].length);
    // === (not Object.is): the delta reference may turn a -0 product into +0, nothing else.
    for (let j = 0; j < step.length; j++) {
      assert.ok(
        step[j] === expected[t][j],
        `step ${t}, output ${j}: ${step[j]} vs ${expected[t][j]}`,
      );
    }
  });
}

const zero = { thetaX: [0, 0], thetaH: [0, 0] };

Deno.test("theta = 0: the fixed delta model equals the dense golden model bit for bit, the float delta model the dense float", () => {
  fc.assert(
    fc.property(caseArbitrary, ({ shape, steps, walk }) => {
      const model = randomModel(shape);
      const inputs = inputsFor(model, steps, shape.seed, walk);
      const quantized = quantizeModel(model);
      const q = quantizeInputs(inputs, quantized.format);
      const run = runFixedDelta(quantized, q, zero);
      sameValues(run.outputs, runFixed(quantized, q));
      sameValues(runFloatDelta(model, inputs, zero).outputs, runFloat(model, inputs));
      assert.equal(run.stats.firedX.length, steps);
      // theta_m = 0: the delta-coded projection input is the dense projection, bit for bit
      const zeroM = { ...zero, thetaM: [0, 0] };
      sameValues(runFixedDelta(quantized, q, zeroM).outputs, runFixed(quantized, q));
      sameValues(runFloatDelta(model, inputs, zeroM).outputs, runFloat(model, inputs));
    }),
    fcParameters(150),
  );
});

Deno.test("theta_m: the projection memories always equal W_hr m_hat in integers, h their requantization", () => {
  fc.assert(
    fc.property(
      caseArbitrary,
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 3, maxLength: 3 }),
      ({ shape, steps, walk }, [x, h, m]) => {
        const { quantized, q } = quantizedCase({
          shape: { ...shape, kind: "lstm", projSize: 3 },
          steps,
          walk,
        });
        const run = runFixedDelta(quantized, q, { thetaX: [x, x], thetaH: [h, h], thetaM: [m, m] });
        const last = quantized.layers.length - 1;
        quantized.layers.forEach((layer, l) => {
          const dense = new Float64Array(quantized.projSize);
          const { rows, cols, data } = layer.weightHr!;
          for (let r = 0; r < rows; r++) {
            for (let k = 0; k < cols; k++) dense[r] += data[r * cols + k] * run.mHat[l][k];
          }
          assert.deepEqual(Array.from(run.projectionMemories[l]), Array.from(dense));
          assert.equal(run.stats.columnsM[l], quantized.hiddenSize);
        });
        const { requant } = cellArithmetic(quantized.format);
        Array.from(run.projectionMemories[last]).forEach((acc, j) => {
          assert.equal(run.outputs[run.outputs.length - 1][j], requant(acc));
        });
        // no theta_m above every |m|: nothing fires, m_hat and h stay 0
        const none = runFixedDelta(quantized, q, {
          thetaX: [x, x],
          thetaH: [h, h],
          thetaM: [2 ** 20, 2 ** 20],
        });
        assert.ok(none.outputs.every((step) => step.every((v) => v === 0)));
        assert.ok(none.stats.firedM.every((step) => step.every((v) => v === 0)));
      },
    ),
    fcParameters(150),
  );
});

Deno.test("the integer memories always equal the dense accumulators of the last-sent values (any thresholds)", () => {
  fc.assert(
    fc.property(
      caseArbitrary,
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 4, maxLength: 4 }),
      ({ shape, steps, walk }, [x0, x1, h0, h1]) => {
        const { quantized, q } = quantizedCase({ shape, steps, walk });
        const run = runFixedDelta(quantized, q, { thetaX: [x0, x1], thetaH: [h0, h1] });
        quantized.layers.forEach((layer, l) => {
          const dense = denseAccumulators(quantized, layer, run.xHat[l], run.hHat[l]);
          assert.deepEqual(Array.from(run.memories[l]), Array.from(dense));
        });
      },
    ),
    fcParameters(150),
  );
});

Deno.test("the encoder fires exactly where |v - v_hat| > theta and updates v_hat only there", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 })),
        {
          minLength: 1,
          maxLength: 40,
        },
      ),
      fc.integer({ min: 0, max: 70000 }),
      (pairs, theta) => {
        const values = pairs.map(([v]) => v);
        const sent = Int32Array.from(pairs, ([, s]) => s);
        const before = sent.slice();
        const fired: number[] = [];
        const count = encodeDeltas(values, sent, theta, (k, d) => {
          assert.equal(d, values[k] - before[k]);
          fired.push(k);
        });
        const expected = values.flatMap((v, k) => Math.abs(v - before[k]) > theta ? [k] : []);
        assert.deepEqual(fired, expected);
        assert.equal(count, expected.length);
        values.forEach((v, k) => assert.equal(sent[k], expected.includes(k) ? v : before[k]));
      },
    ),
    fcParameters(300),
  );
});

propertyTest(
  "layer 0's fired input counts match an independent replay, and never exceed those of theta = 0",
  150,
  fc.property(thresholdCase(4000), ({ model, quantized, q, theta }) => {
    const thresholds = { thetaX: [theta, theta], thetaH: [theta, theta] };
    const run = runFixedDelta(quantized, q, thresholds);
    const hat = new Array(model.inputSize).fill(0);
    q.forEach((x, t) => {
      let fired = 0;
      x.forEach((v, k) => {
        if (Math.abs(v - hat[k]) > theta) {
          hat[k] = v;
          fired++;
        }
        assert.ok(Math.abs(v - hat[k]) <= theta);
      });
      assert.equal(run.stats.firedX[t][0], fired);
    });
    const dense = runFixedDelta(quantized, q, zero);
    const total = (counts: number[][]) => counts.reduce((s, step) => s + step[0], 0);
    assert.ok(total(run.stats.firedX) <= total(dense.stats.firedX));
  }),
);

Deno.test("fired fraction is not monotone in theta in general: a larger threshold can fire more (docs/delta.md)", () => {
  // One input, values in LSBs: 0, 600, 1100, 100, 1100, 100, ... With theta = 550 the encoder sends
  // 600 once and every later value stays within 550 of it; with theta = 650 it sends 1100, then
  // 100, then 1100, ... every step.
  const values = [0, 600, 1100, 100, 1100, 100, 1100, 100];
  const count = (theta: number) => {
    const sent = new Int32Array(1);
    return values.reduce((sum, v) => sum + encodeDeltas([v], sent, theta), 0);
  };
  assert.equal(count(550), 1);
  assert.equal(count(650), 6);
});

Deno.test("fired fraction falls with theta on a slowly changing input (measured on one fixed case)", () => {
  const model = randomModel({ kind: "lstm", inputSize: 8, hiddenSize: 16, numLayers: 2, seed: 7 });
  const inputs = inputsFor(model, 60, 3, true);
  const quantized = quantizeModel(model);
  const q = quantizeInputs(inputs, quantized.format);
  const fractions = [0, 64, 256, 1024, 4096].map((theta) =>
    summarizeStats([
      runFixedDelta(quantized, q, { thetaX: [theta, theta], thetaH: [theta, theta] }).stats,
    ])
      .firedFraction
  );
  for (let i = 1; i < fractions.length; i++) {
    fractions[i].forEach((f, l) =>
      assert.ok(f <= fractions[i - 1][l], `theta step ${i}, layer ${l}`)
    );
  }
  assert.ok(fractions[fractions.length - 1][0] < fractions[0][0] / 2);
});

Deno.test("thresholds: real units become floor(theta * 2^AF); fixed units must be integers; one per layer", () => {
  const source = "c.json";
  const real = deltaConfigSchema.parse({ thetaX: 0.05, thetaH: [0.1, 0] });
  assert.deepEqual(fixedThresholds(real, { numLayers: 2, activationFrac: 12, source }), {
    thetaX: [204, 204],
    thetaH: [409, 0],
  });
  const fixed = deltaConfigSchema.parse({ thetaX: 204, thetaH: 4096, units: "fixed" });
  assert.deepEqual(realThresholds(fixed, { numLayers: 1, activationFrac: 12, source }), {
    thetaX: [204 / 4096],
    thetaH: [1],
  });
  assert.throws(
    () => fixedThresholds({ ...fixed, thetaX: 1.5 }, { numLayers: 1, activationFrac: 12, source }),
    /c\.json: delta\.thetaX: expected an integer/,
  );
  assert.throws(
    () => fixedThresholds(real, { numLayers: 3, activationFrac: 12, source }),
    /c\.json: delta\.thetaH: expected one threshold per layer \(3\), got 2/,
  );
  const withM = deltaConfigSchema.parse({ thetaX: 0.05, thetaH: 0.1, thetaM: [0.2, 0.5] });
  assert.deepEqual(
    fixedThresholds(withM, { numLayers: 2, activationFrac: 12, source, projection: true }).thetaM,
    [819, 2048],
  );
  assert.deepEqual(
    realThresholds({ ...fixed, thetaM: 2048 }, { numLayers: 1, activationFrac: 12, source })
      .thetaM,
    [0.5],
  );
  assert.throws(
    () => fixedThresholds(withM, { numLayers: 2, activationFrac: 12, source, projection: false }),
    /c\.json: delta\.thetaM: expected no thetaM: .*this model has no projection/,
  );
  assert.equal(
    fixedThresholds(real, { numLayers: 2, activationFrac: 12, source }).thetaM,
    undefined,
  );
  assert.equal(deltaConfigSchema.safeParse({ thetaX: -1, thetaH: 0 }).success, false);
  assert.equal(deltaConfigSchema.safeParse({ thetaX: 0, thetaH: 0, extra: 1 }).success, false);
});

Deno.test("real and fixed units fire on the same values: the float and fixed models agree on layer 0's counts", () => {
  const model = randomModel({ kind: "gru", inputSize: 5, hiddenSize: 6, numLayers: 1, seed: 11 });
  const inputs = inputsFor(model, 30, 5, true);
  const quantized = quantizeModel(model);
  const q = quantizeInputs(inputs, quantized.format);
  const theta = 0.03;
  const fixed = fixedThresholds({ thetaX: theta, thetaH: theta }, {
    numLayers: 1,
    activationFrac: quantized.format.activationFrac,
    source: "t",
  });
  const fixedRun = runFixedDelta(quantized, q, fixed);
  // The float model on the quantized inputs (shown as reals) sees the same layer-0 values.
  const shown = q.map((step) => toReal(step, quantized.format));
  const floatRun = runFloatDelta(model, shown, { thetaX: [theta], thetaH: [theta] });
  assert.deepEqual(floatRun.stats.firedX, fixedRun.stats.firedX);
});

propertyTest(
  "onFire reports every fired column with its delta, matching the counts and rebuilding x_hat and h_hat",
  100,
  fc.property(thresholdCase(2000), ({ model, quantized, q, steps, theta }) => {
    const events: FiredColumn[] = [];
    const run = runFixedDelta(
      quantized,
      q,
      { thetaX: [theta, theta], thetaH: [theta, theta], thetaM: [theta, theta] },
      {
        onFire: (event) => events.push(event),
      },
    );
    const rebuilt = {
      x: run.xHat.map((v) => new Array(v.length).fill(0)),
      h: run.hHat.map((v) => new Array(v.length).fill(0)),
      m: run.mHat.map((v) => new Array(v.length).fill(0)),
    };
    for (let t = 0; t < steps; t++) {
      for (let l = 0; l < model.numLayers; l++) {
        const at = events.filter((e) => e.step === t && e.layer === l);
        assert.equal(at.filter((e) => e.part === "x").length, run.stats.firedX[t][l]);
        assert.equal(at.filter((e) => e.part === "h").length, run.stats.firedH[t][l]);
        assert.equal(at.filter((e) => e.part === "m").length, run.stats.firedM[t][l]);
        // the m part comes after the layer's x and h parts
        const firstM = at.findIndex((e) => e.part === "m");
        if (firstM >= 0) assert.ok(at.slice(firstM).every((e) => e.part === "m"));
      }
    }
    for (const e of events) {
      assert.ok(Math.abs(e.delta) > theta);
      rebuilt[e.part][e.layer][e.column] += e.delta;
    }
    assert.deepEqual(rebuilt.x, run.xHat.map((v) => Array.from(v)));
    assert.deepEqual(rebuilt.h, run.hHat.map((v) => Array.from(v)));
    assert.deepEqual(rebuilt.m, run.mHat.map((v) => Array.from(v)));
    assert.equal(
      run.mHat.length,
      model.projSize > 0 && model.kind === "lstm" ? model.numLayers : 0,
    );
  }),
);
