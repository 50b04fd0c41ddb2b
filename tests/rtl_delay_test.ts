/**
 * Unit test bench of the delay lines (rtl-templates/rnnfab_delay.v with
 * rtl-templates/tb/rnnfab_delay_tb.v): a register chain and the LUT-RAM ring (from RING_STAGES
 * stages on) carry every valid word's data exactly STAGES cycles, under random valid patterns
 * (single words, bursts, long gaps), under Icarus and Verilator; the ring does so in every cycle.
 */

import assert from "node:assert/strict";
import { seededRandom } from "../model/random.ts";
import * as unit from "./rtl_units.ts";

const WIDTH = 13;

/** Valid words in bursts and gaps of random lengths, with random data. */
function stimulus(seed: number, count: number): { valid: boolean; data: number }[] {
  const random = seededRandom(seed);
  // word 0 is presented in the bench's reset cycle, which clears the stages' valid bits
  const words: { valid: boolean; data: number }[] = [{ valid: false, data: 0 }];
  while (words.length < count) {
    const valid = random() < 0.5;
    const run = unit.randomInt(random, 1, valid ? 6 : 30);
    for (let i = 0; i < run && words.length < count; i++) {
      words.push({ valid, data: unit.randomInt(random, 0, 2 ** WIDTH - 1) });
    }
  }
  return words;
}

async function checkDelay(stages: number, simulator: unit.UnitSimulator): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-delay-" });
  try {
    const words = stimulus(stages, 600);
    const lines = await unit.simulateUnit(
      {
        tb: "rnnfab_delay_tb",
        cores: ["rnnfab_delay.v", "rnnfab_ew_stages.v"],
        parameters: { WIDTH, STAGES: stages, RING_STAGES: 8, COUNT: words.length },
      },
      dir,
      simulator,
      words.map((w) => unit.packHex([[w.valid ? 1 : 0, 1], [w.data, WIDTH]])),
    );
    assert.equal(lines.length, words.length + stages);
    words.forEach((word, i) => {
      const [cycle, chain, ring] = lines[i + stages].split(" ");
      assert.equal(Number(cycle), i + stages);
      // the ring (from 8 stages) carries every cycle's word after the reset cycle (its pointer
      // starts there); the chain the valid ones
      if (stages >= 8 && i > 0) assert.equal(parseInt(ring, 16), word.data, `ring, word ${i}`);
      if (!word.valid) return;
      assert.equal(parseInt(chain, 16), word.data, `chain, word ${i}`);
      assert.equal(parseInt(ring, 16), word.data, `delay, word ${i}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// Icarus builds in a moment, Verilator in seconds per parameter set: the short and long chains,
// the shortest ring and the longest of the element-wise units (the GRU's 23 stages).
const STAGES = { icarus: [1, 3, 8, 9, 17, 23], verilator: [3, 8, 23] } as const;
for (const simulator of ["icarus", "verilator"] as const) {
  Deno.test(`rnnfab_delay, ${simulator}: chain and ring carry words ${STAGES[simulator].join(", ")} stages`, async () => {
    for (const stages of STAGES[simulator]) await checkDelay(stages, simulator);
  });
}
