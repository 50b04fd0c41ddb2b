/**
 * The Pareto front as a pure function, checked with fast-check against a brute-force definition:
 * no front point is dominated by any point, every other complete point is dominated by a front
 * point, and the front does not depend on the order of the points; plus the screening keeps the
 * front of the estimate.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { dominates, type FrontObjective, paretoFront } from "../sweep/pareto.ts";
import { fcParameters } from "./helpers.ts";

const objectivesArbitrary: fc.Arbitrary<FrontObjective[]> = fc.integer({ min: 1, max: 4 }).chain((
  count,
) =>
  fc.array(fc.boolean(), { minLength: count, maxLength: count }).map((directions) =>
    directions.map((maximize, i) => ({ key: `k${i}`, maximize }))
  )
);

/** Points with small integer figures (ties are common) and some missing figures. */
function pointsArbitrary(objectives: FrontObjective[]) {
  const value = fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 5 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  return fc.array(
    fc.tuple(...objectives.map(() => value)).map((values) =>
      Object.fromEntries(objectives.map((o, i) => [o.key, values[i]]))
    ),
    { maxLength: 40 },
  );
}

/** The definition: complete points that no complete point dominates. */
function bruteForce(points: Record<string, number | null>[], objectives: FrontObjective[]) {
  const complete = points.map((p, i) => ({ p, i }))
    .filter(({ p }) => objectives.every((o) => p[o.key] !== null));
  return complete.filter(({ p }) => !complete.some((q) => dominates(q.p, p, objectives)))
    .map(({ i }) => i);
}

Deno.test("pareto: the front equals the brute-force definition", () => {
  fc.assert(
    fc.property(
      objectivesArbitrary.chain((objectives) =>
        pointsArbitrary(objectives).map((points) => ({ objectives, points }))
      ),
      ({ objectives, points }) => {
        assert.deepEqual(paretoFront(points, objectives), bruteForce(points, objectives));
      },
    ),
    fcParameters(300),
  );
});

Deno.test("pareto: every complete point off the front is dominated by a front point; order does not matter", () => {
  fc.assert(
    fc.property(
      objectivesArbitrary.chain((objectives) =>
        pointsArbitrary(objectives).chain((points) =>
          fc.shuffledSubarray(points.map((_, i) => i), {
            minLength: points.length,
            maxLength: points.length,
          }).map((order) => ({ objectives, points, order }))
        )
      ),
      ({ objectives, points, order }) => {
        const front = paretoFront(points, objectives);
        const onFront = new Set(front);
        points.forEach((p, i) => {
          const complete = objectives.every((o) => p[o.key] !== null);
          if (!complete) assert.ok(!onFront.has(i));
          else if (!onFront.has(i)) {
            assert.ok(front.some((j) => dominates(points[j], p, objectives)), `point ${i}`);
          }
        });
        for (const i of front) {
          assert.ok(!points.some((q) => dominates(q, points[i], objectives)), `front ${i}`);
        }
        const shuffled = order.map((i) => points[i]);
        const again = paretoFront(shuffled, objectives).map((j) => order[j]).sort((a, b) => a - b);
        assert.deepEqual(again, front);
      },
    ),
    fcParameters(200),
  );
});

Deno.test("pareto: domination needs strictly better somewhere; equal points are all on the front", () => {
  const objectives = [{ key: "us", maximize: false }, { key: "gops", maximize: true }];
  assert.ok(dominates({ us: 1, gops: 5 }, { us: 2, gops: 5 }, objectives));
  assert.ok(!dominates({ us: 1, gops: 5 }, { us: 1, gops: 5 }, objectives));
  assert.ok(!dominates({ us: 1, gops: 4 }, { us: 2, gops: 5 }, objectives));
  assert.deepEqual(
    paretoFront([{ us: 1, gops: 5 }, { us: 1, gops: 5 }, { us: 3, gops: 1 }], objectives),
    [0, 1],
  );
});
