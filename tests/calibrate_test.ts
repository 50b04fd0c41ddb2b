import assert from "node:assert/strict";
import fc from "fast-check";
import {
  activationRanges,
  chooseActivationFrac,
  DEFAULT_FIXED_CONFIG,
  minimumActivationFrac,
  quantizeInputs,
  quantizeModel,
  randomModel,
  runFixed,
  runFloat,
  saveModel,
  toReal,
} from "../mod.ts";
import {
  expectUserError,
  fcParameters,
  maxAbsDifference,
  runDenoScript,
  withTempDir,
} from "./helpers.ts";

/**
 * An LSTM whose cell state climbs to about +20 over 20 steps of input +1 and comes back over 20
 * steps of -1: forget and input gates held open by their biases, the candidate following the input.
 */
function climbingCell() {
  const model = randomModel({ kind: "lstm", inputSize: 1, hiddenSize: 2, numLayers: 1, seed: 3 });
  const layer = model.layers[0];
  const H = 2;
  layer.weightIh.data.fill(0);
  layer.weightHh.data.fill(0);
  layer.biasHh.fill(0);
  for (let j = 0; j < H; j++) {
    layer.biasIh[j] = 12; // i
    layer.biasIh[H + j] = 12; // f
    layer.biasIh[2 * H + j] = 0; // g
    layer.weightIh.data[2 * H + j] = 8; // g follows x
    layer.biasIh[3 * H + j] = 0; // o
  }
  const inputs = [...Array(20).fill([1]), ...Array(20).fill([-1])] as number[][];
  return { model, inputs };
}

function fixedError(
  model: ReturnType<typeof climbingCell>["model"],
  inputs: number[][],
  frac: number,
) {
  const quantized = quantizeModel(model, { ...DEFAULT_FIXED_CONFIG, activationFrac: frac });
  const outputs = runFixed(quantized, quantizeInputs(inputs, quantized.format)).map((step) =>
    toReal(step, quantized.format)
  );
  return maxAbsDifference(outputs, runFloat(model, inputs));
}

Deno.test("calibrate: a cell state beyond Q16.12's range is seen, and the chosen format follows the float model", async () => {
  const { model, inputs } = climbingCell();
  const ranges = await activationRanges(model, [inputs]);
  assert.ok(ranges.cell > 15 && ranges.cell < 21, `cell range ${ranges.cell}`);
  assert.equal(ranges.input, 1);
  assert.equal(ranges.bias, 12);
  const choice = chooseActivationFrac(ranges, {
    activationBits: 16,
    minimumFrac: minimumActivationFrac(DEFAULT_FIXED_CONFIG),
    headroom: 1.25,
  });
  assert.ok(choice.fits);
  assert.equal(choice.largest.quantity, "cell");
  assert.equal(choice.activationFrac, 10); // |c| * 1.25 in (16, 32): Q16.10
  const saturated = fixedError(model, inputs, 12);
  const calibrated = fixedError(model, inputs, choice.activationFrac);
  assert.ok(saturated > 0.5, `Q16.12 error ${saturated}`);
  assert.ok(calibrated < 0.02, `Q16.10 error ${calibrated}`);
  assert.equal(choice.bitsForFrac(12), 18);
});

Deno.test("calibrate: the chosen width is the finest that holds every range times the headroom", () => {
  fc.assert(
    fc.property(
      fc.record({
        input: fc.double({ min: 0, max: 1000, noNaN: true }),
        bias: fc.double({ min: 0, max: 100, noNaN: true }),
        cell: fc.double({ min: 0, max: 100, noNaN: true }),
        hidden: fc.double({ min: 0, max: 10, noNaN: true }),
        candidate: fc.double({ min: 0, max: 100, noNaN: true }),
      }),
      fc.integer({ min: 8, max: 24 }),
      (ranges, activationBits) => {
        const choice = chooseActivationFrac(ranges, {
          activationBits,
          minimumFrac: 4,
          headroom: 1.25,
        });
        const largest = Math.max(...Object.values(ranges)) * 1.25;
        const holds = (frac: number) => 2 ** (activationBits - 1 - frac) - 2 ** -frac >= largest;
        assert.equal(choice.fits, holds(choice.activationFrac));
        if (choice.fits && choice.activationFrac < activationBits - 1) {
          assert.ok(!holds(choice.activationFrac + 1));
        }
        assert.ok(choice.activationFrac >= 4 && choice.activationFrac <= activationBits - 1);
      },
    ),
    fcParameters(300),
  );
});

Deno.test("calibrate CLI: prints the ranges and the format; too narrow words exit 1; bad data exit 2", async () => {
  await withTempDir("rnnfab-test-", async (dir) => {
    const { model, inputs } = climbingCell();
    await saveModel(model, `${dir}/model.json`);
    await Deno.writeTextFile(`${dir}/data.json`, JSON.stringify({ sequences: [inputs] }));
    const run = await runDenoScript("cli/calibrate.ts", [
      "--model",
      `${dir}/model.json`,
      "--data",
      `${dir}/data.json`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Q16\.12 \(current\) holds \|v\| < 8: cell saturates/);
    assert.match(run.stdout, /--activation-bits 16 --activation-frac 10/);
    const narrow = await runDenoScript("cli/calibrate.ts", [
      "--model",
      `${dir}/model.json`,
      "--data",
      `${dir}/data.json`,
      "--activation-bits",
      "8",
    ]);
    assert.equal(narrow.code, 1, narrow.stdout + narrow.stderr);
    assert.match(narrow.stdout, /use --activation-bits 10 or more/);
    await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ sequences: [[[1, 2]]] }));
    const bad = await runDenoScript("cli/calibrate.ts", [
      "--model",
      `${dir}/model.json`,
      "--data",
      `${dir}/bad.json`,
    ]);
    assert.match(expectUserError(bad), /bad\.json/);
  });
});
