import assert from "node:assert/strict";
import { deltaWorkBound, formatDeltaWorkBound } from "../bench/delta_bound.ts";
import { namedMatrices } from "../model/model.ts";
import { densePrunedPair } from "./helpers.ts";

const { pruned } = densePrunedPair(
  { kind: "lstm", inputSize: 6, hiddenSize: 8, projSize: 4, numLayers: 2, seed: 5 },
  { rows: 4, cols: 2, density: 0.5 },
);

function nonZerosOf(prefix: string, layer: number): number {
  const entry = namedMatrices(pruned).find((m) => m.name === `${prefix}_l${layer}`)!;
  return entry.matrix.data.filter((value) => value !== 0).length;
}

const FIRED = {
  firedFractionX: [0.5, 0.25],
  firedFractionH: [0.1, 0.2],
  firedFractionM: [0.3, 0.4],
};
const COMMON = {
  model: pruned,
  fired: FIRED,
  denseOps: 9.4e6,
  clockMhz: 200,
  targetMicroseconds: 1,
  targetTops: 9.4,
  dspBudget: 100,
};

Deno.test("deltaWorkBound: each matrix's non-zeros times its input's fired fraction; lanes and times at the clock", () => {
  const bound = deltaWorkBound({ ...COMMON, deltaCodedProjection: true });
  let expected = 0;
  let all = 0;
  for (const layer of [0, 1]) {
    const [ih, hh, hr] = ["weight_ih", "weight_hh", "weight_hr"].map((p) => nonZerosOf(p, layer));
    expected += ih * FIRED.firedFractionX[layer] + hh * FIRED.firedFractionH[layer] +
      hr * FIRED.firedFractionM[layer];
    all += ih + hh + hr;
  }
  assert.ok(Math.abs(bound.macsPerFrame - expected) < 1e-9);
  assert.equal(bound.macsPerFrameWithoutDelta, all);
  assert.ok(bound.macsPerFrame < all);
  // 1 us at 200 MHz: 200 cycles
  assert.ok(Math.abs(bound.lanesForTarget - expected / 200) < 1e-9);
  assert.ok(Math.abs(bound.microsecondsAtBudget - expected / 100 / 200) < 1e-12);
  // 9.4 M dense operations at 9.4 TOp/s: 1 us
  assert.ok(Math.abs(bound.microsecondsForTops - 1) < 1e-12);
  assert.match(bound.label, /^computed/);
  const line = formatDeltaWorkBound(bound);
  assert.match(line, /MAC lanes busy every cycle/);
  assert.match(line, new RegExp(`${Math.ceil(bound.lanesForTarget)} MAC lanes`));
});

Deno.test("deltaWorkBound: without theta_m the projection is dense", () => {
  const coded = deltaWorkBound({ ...COMMON, deltaCodedProjection: true });
  const dense = deltaWorkBound({ ...COMMON, deltaCodedProjection: false });
  const projection = [0, 1].reduce(
    (sum, layer) => sum + nonZerosOf("weight_hr", layer) * (1 - FIRED.firedFractionM[layer]),
    0,
  );
  assert.ok(projection > 0);
  assert.ok(Math.abs(dense.macsPerFrame - coded.macsPerFrame - projection) < 1e-9);
});

Deno.test("deltaWorkBound: fired columns per frame, the one-column-a-cycle floor of the built datapath", () => {
  const coded = deltaWorkBound({ ...COMMON, deltaCodedProjection: true });
  // layer 0: 6 inputs, layer 1: 4 (the projection); h: 4 columns; m: 8 columns
  const x = 0.5 * 6 + 0.25 * 4, h = 0.1 * 4 + 0.2 * 4, m = 0.3 * 8 + 0.4 * 8;
  const columns = coded.firedColumnsPerFrame;
  for (const [got, want] of [[columns.x, x], [columns.h, h], [columns.m, m]]) {
    assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
  }
  assert.ok(Math.abs(columns.total - (x + h + m)) < 1e-12);
  assert.ok(Math.abs(coded.microsecondsAtIssueFloor - (x + h + m) / 200) < 1e-12);
  assert.match(formatDeltaWorkBound(coded), /one fired column a cycle/);
  // without theta_m every projection-input column is walked
  const dense = deltaWorkBound({ ...COMMON, deltaCodedProjection: false });
  assert.equal(dense.firedColumnsPerFrame.m, 16);
});
