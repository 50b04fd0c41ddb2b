import assert from "node:assert/strict";
import { randomModel } from "../model/random.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { quantizeInputs } from "../model/fixed.ts";
import { DEFAULT_ACCELERATOR_CONFIG, generateFromModel } from "../rtl/mod.ts";
import { firedColumnsOf, simulateDeltaTiming } from "../rtl/delta_timing.ts";

/** A slow random walk of `size` inputs: the thresholds fire on some columns of some steps. */
function walk(steps: number, size: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (state * 69069 + 1) % 4294967296) / 4294967296) - 0.5;
  let value = Array.from({ length: size }, next);
  return Array.from({ length: steps }, () => (value = value.map((v) => v + 0.3 * next())));
}

for (const thetaM of [undefined, 0.05]) {
  Deno.test(`a delta design's estimate (theta_m ${thetaM ?? "none"}): every column fired bounds the cycles of real inputs, none fired is their floor`, () => {
    const dense = randomModel({
      kind: "lstm",
      inputSize: 6,
      hiddenSize: 16,
      numLayers: 2,
      projSize: 4,
      seed: 9,
    });
    const { model } = pruneModelBcr(dense, {
      block: { rows: 4, cols: 2 },
      rates: { density: 0.4, colShare: 0.5 },
    });
    const { design } = generateFromModel(model, {
      ...DEFAULT_ACCELERATOR_CONFIG,
      pes: 4,
      format: "ese",
      fixed: { ...DEFAULT_ACCELERATOR_CONFIG.fixed, activationBits: 20 },
      delta: { thetaX: 0.1, thetaH: 0.1, ...(thetaM === undefined ? {} : { thetaM }) },
    });
    const estimate = design.estimate;
    assert.match(estimate.method, /every column fired/);
    assert.ok(estimate.noneFiredCyclesPerStep !== undefined);
    assert.ok(estimate.noneFiredCyclesPerStep < estimate.cyclesPerStep);

    const inputs = quantizeInputs(walk(16, 6, 3), design.quantized.format);
    const fired = firedColumnsOf(design.quantized, inputs, design.delta!);
    const run = simulateDeltaTiming(
      { rtl: design.rtl, image: design.image, delta: design.delta! },
      fired,
    );
    const ends = run.stepEndCycles;
    const periods = ends.slice(1).map((end, t) => end - ends[t]);
    const mean = periods.reduce((a, b) => a + b, 0) / periods.length;
    assert.ok(mean <= estimate.cyclesPerStep, `${mean} > ${estimate.cyclesPerStep}`);
    assert.ok(mean >= estimate.noneFiredCyclesPerStep, `${mean} < floor`);
    assert.ok(ends[0] <= estimate.firstStepCycles);
  });
}
