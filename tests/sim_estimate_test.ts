/** The cycles design.json's estimate predicts for a sequence (sim/design.ts `estimatedCycles`). */
import assert from "node:assert/strict";
import { estimatedCycles } from "../sim/design.ts";

Deno.test("estimatedCycles: modelled step ends, then the last two steps repeated", () => {
  // a step time alternating between 3648 and 3647 cycles (the cycle model ran 8 steps)
  const ends = [3741, 7389, 11036, 14684, 18331, 21979, 25626, 29274];
  const estimate = { cyclesPerStep: 3647.5714, firstStepCycles: 3741, stepEndCycles: ends };
  ends.forEach((end, i) => assert.equal(estimatedCycles(estimate, i + 1), end));
  assert.equal(estimatedCycles(estimate, 9), 29274 + 3647);
  assert.equal(estimatedCycles(estimate, 10), 29274 + 3647 + 3648);
  assert.equal(estimatedCycles(estimate, 11), 29274 + 2 * 3647 + 3648);
  // without step ends: the formula
  assert.equal(estimatedCycles({ cyclesPerStep: 100, firstStepCycles: 150 }, 3), 350);
});
