/**
 * Unit test bench of the element-wise units (rtl-templates/rnnfab_ew_lstm.v, rnnfab_ew_gru.v
 * with rtl-templates/tb/rnnfab_ew_tb.v): random accumulators (every magnitude, saturating or
 * not), biases, peepholes and previous states, one cell per cycle with random gaps; every c(t),
 * m and h(t) the unit writes equals the golden model's `lstmCell` / `gruCell`, and arrives
 * exactly at the latency the controller and the cycle model assume (EW_LATENCY of
 * rtl/design.ts).
 */

import assert from "node:assert/strict";
import {
  activationTable,
  cellArithmetic,
  type FixedFormat,
  gruCell,
  lstmCell,
} from "../model/fixed.ts";
import { seededRandom } from "../model/random.ts";
import { EW_C_WRITE, EW_LATENCY } from "../rtl/mod.ts";
import {
  packHex,
  randomInt,
  randomSigned,
  signedHex,
  simulateUnit,
  unitFormat,
  type UnitSimulator,
  writeTable,
} from "./rtl_units.ts";

/** One configuration of a unit. */
interface EwCase {
  kind: "lstm" | "gru";
  peepholes: boolean;
  format: FixedFormat;
  cells: number;
  seed: number;
}

const Q16 = unitFormat([16, 12], [12, 10], 36, [4, 3], [4, 3]);
const Q11 = unitFormat([11, 6], [10, 7], 27, [6, 3], [1, 4]);

/** One presented cell: its inputs and when it was presented (bench cycle). */
interface Cell {
  cycle: number;
  tag: number;
  acc: number[];
  bias: number[];
  peephole: number[];
  prev: number;
}

const TAG_BITS = 5;

function randomCells(c: EwCase): Cell[] {
  const random = seededRandom(c.seed);
  const f = c.format;
  const cells: Cell[] = [];
  for (let cycle = 2; cells.length < c.cells; cycle++) { // the bench resets in cycles 0, 1
    if (random() < 0.2) continue; // a gap: no cell this cycle
    cells.push({
      cycle,
      tag: randomInt(random, 0, 2 ** TAG_BITS - 1),
      acc: Array.from({ length: 4 }, () => randomSigned(random, f.accumulatorBits)),
      bias: Array.from({ length: 4 }, () => randomSigned(random, f.activationBits)),
      peephole: Array.from({ length: 3 }, () => randomSigned(random, f.weightBits)),
      prev: randomSigned(random, f.activationBits),
    });
  }
  return cells;
}

/** The stimulus words: one per cycle, the cells at their cycles, zero words in the gaps. */
function stimulus(c: EwCase, cells: Cell[]): string[] {
  const f = c.format;
  const words = Array(cells[cells.length - 1].cycle + 1).fill("0");
  for (const cell of cells) {
    words[cell.cycle] = packHex([
      [1, 1],
      [cell.tag, TAG_BITS],
      ...cell.acc.map((v) => [v, f.accumulatorBits] as const),
      ...cell.bias.map((v) => [v, f.activationBits] as const),
      ...cell.peephole.map((v) => [v, f.weightBits] as const),
      [cell.prev, f.activationBits],
    ]);
  }
  return words;
}

/** The writes the unit must make, as bench lines "<cycle> <port> <tag> <value>". */
function expectedWrites(c: EwCase, cells: Cell[]): string[] {
  const arithmetic = cellArithmetic(c.format);
  const ab = c.format.activationBits;
  // A cell presented in S1 (cycle k) was issued in S0 = k - 1 and is readable at S0 + latency.
  const last = EW_LATENCY[c.kind] - 2;
  const lines: [number, string][] = [];
  for (const cell of cells) {
    const acc = cell.acc.map((a, g) => a + cell.bias[g] * 2 ** c.format.weightFrac);
    const hex = (v: number) => packHex([[v, ab]]).padStart(Math.ceil(ab / 4), "0");
    if (c.kind === "lstm") {
      const peephole = c.peepholes ? cell.peephole : [0, 0, 0];
      const { c: state, m } = lstmCell(arithmetic, acc, peephole, cell.prev);
      lines.push([cell.cycle + EW_C_WRITE, `0 ${cell.tag} ${hex(state)}`]);
      lines.push([cell.cycle + last, `1 ${cell.tag} ${hex(m)}`]);
    } else {
      lines.push([cell.cycle + last, `1 ${cell.tag} ${hex(gruCell(arithmetic, acc, cell.prev))}`]);
    }
  }
  return lines.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .map(([cycle, rest]) => `${cycle} ${rest}`);
}

/**
 * Run the unit on random cells and compare every write with the golden model; `defines` are
 * Verilog macros of the compile (RNNFAB_MUL_FREE_RUNNING: the multipliers' registers load every
 * cycle, as on the ECP5 place-and-route flow's DSP blocks, rtl-templates/rnnfab_mul.v).
 */
async function checkUnit(
  c: EwCase,
  simulator: UnitSimulator,
  defines: readonly string[] = [],
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-ew-" });
  try {
    const f = c.format;
    for (const fn of ["sigmoid", "tanh"] as const) {
      await writeTable(dir, fn, activationTable(fn, f), f.activationBits);
    }
    const cells = randomCells(c);
    const words = stimulus(c, cells);
    const lines = await simulateUnit(
      {
        tb: "rnnfab_ew_tb",
        defines,
        cores: [
          "rnnfab_ew_lstm.v",
          "rnnfab_ew_gru.v",
          "rnnfab_act_lanes.v",
          "rnnfab_act.v",
          "rnnfab_mul.v",
          "rnnfab_delay.v",
          "rnnfab_ew_stages.v",
        ],
        parameters: {
          GRU: c.kind === "gru" ? 1 : 0,
          AB: f.activationBits,
          AF: f.activationFrac,
          WB: f.weightBits,
          WF: f.weightFrac,
          ACC: f.accumulatorBits,
          PEEP: c.peepholes ? 1 : 0,
          TAG: TAG_BITS,
          LATENCY: EW_LATENCY[c.kind],
          SIG_S: f.sigmoid.stepLog2,
          SIG_R: f.sigmoid.rangeLog2,
          TANH_S: f.tanh.stepLog2,
          TANH_R: f.tanh.rangeLog2,
          COUNT: words.length,
        },
      },
      dir,
      simulator,
      words,
    );
    const expected = expectedWrites(c, cells);
    assert.equal(lines.length, expected.length, "number of writes");
    lines.forEach((line, i) => {
      const [cycle, port, tag, value] = line.split(" ");
      const [eCycle, ePort, eTag, eValue] = expected[i].split(" ");
      const what = `write ${i}: got ${line}, expected ${expected[i]}`;
      assert.deepEqual([cycle, port, tag], [eCycle, ePort, eTag], what);
      assert.equal(signedHex(value, f.activationBits), signedHex(eValue, f.activationBits), what);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CASES: EwCase[] = [
  { kind: "lstm", peepholes: true, format: Q16, cells: 3000, seed: 1 },
  { kind: "lstm", peepholes: false, format: Q16, cells: 1500, seed: 2 },
  { kind: "lstm", peepholes: true, format: Q11, cells: 1500, seed: 3 },
  { kind: "gru", peepholes: false, format: Q16, cells: 3000, seed: 4 },
  { kind: "gru", peepholes: false, format: Q11, cells: 1500, seed: 5 },
];

for (const c of CASES) {
  const f = c.format;
  const name = `${c.kind.toUpperCase()}${c.peepholes ? " with peepholes" : ""}, ` +
    `Q${f.activationBits}.${f.activationFrac} activations, Q${f.weightBits}.${f.weightFrac} ` +
    `weights, ${f.accumulatorBits}-bit accumulators`;
  Deno.test(`rnnfab_ew_${c.kind}, Icarus: ${name}: ${c.cells} random cells`, async () => {
    await checkUnit(c, "icarus");
  });
  // The ECP5 flow's multipliers load every cycle (no clock enable): the same writes, because the
  // unit's pipeline never stalls and reads each register the cycle after it is written.
  Deno.test(`rnnfab_ew_${c.kind}, Icarus, multipliers without enables: ${name}`, async () => {
    await checkUnit(c, "icarus", ["RNNFAB_MUL_FREE_RUNNING"]);
  });
}
