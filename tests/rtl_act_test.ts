/**
 * Unit test bench of the activation unit (rtl-templates/rnnfab_act.v with
 * rtl-templates/tb/rnnfab_act_tb.v): for several formats, sigmoid and tanh of every input word
 * (or, for wide formats, of every table point, its neighbours and random words) equal the golden
 * model's `tableActivation`, ACT_LATENCY (rtl/design.ts) cycles after the input, under Icarus and
 * Verilator.
 */

import assert from "node:assert/strict";
import { activationTable, type FixedFormat, tableActivation } from "../model/fixed.ts";
import { seededRandom } from "../model/random.ts";
import * as unit from "./rtl_units.ts";
import { ACT_LATENCY } from "../rtl/mod.ts";

/** Every input word, or (wide formats) the table points, their neighbours and random words. */
function inputWords(f: FixedFormat, seed: number): number[] {
  const ab = f.activationBits;
  if (ab <= 16) return Array.from({ length: 2 ** ab }, (_, i) => i - 2 ** (ab - 1));
  const words = new Set<number>([-(2 ** (ab - 1)), 2 ** (ab - 1) - 1]);
  for (const { stepLog2: s, rangeLog2: r } of [f.sigmoid, f.tanh]) {
    const step = 2 ** (f.activationFrac - s);
    for (let i = 0; i <= 2 ** (r + s) + 1; i++) {
      for (const x of [i * step - 1, i * step, i * step + 1]) words.add(x).add(-x);
    }
  }
  const random = seededRandom(seed);
  for (let i = 0; i < 4000; i++) {
    words.add(unit.randomInt(random, -(2 ** (ab - 1)), 2 ** (ab - 1) - 1));
  }
  return [...words].filter((x) => x >= -(2 ** (ab - 1)) && x < 2 ** (ab - 1));
}

/**
 * Every input of `inputWords` through the unit against the golden model; `defines` are Verilog
 * macros of the compile (RNNFAB_LUT_MULTIPLIERS: the sigmoid's interpolation product as the
 * place-and-route flow's LUT fallback builds it, two half products summed, rnnfab_mul.v).
 */
async function checkFormat(
  f: FixedFormat,
  simulator: unit.UnitSimulator,
  defines: readonly string[] = [],
): Promise<void> {
  const seed = 1;
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-act-" });
  try {
    const ab = f.activationBits;
    const tables = {
      sigmoid: activationTable("sigmoid", f),
      tanh: activationTable("tanh", f),
    };
    for (const fn of ["sigmoid", "tanh"] as const) await unit.writeTable(dir, fn, tables[fn], ab);
    const xs = inputWords(f, seed);
    const lines = await unit.simulateUnit(
      {
        tb: "rnnfab_act_tb",
        defines,
        cores: ["rnnfab_act.v", "rnnfab_mul.v", "rnnfab_delay.v"],
        parameters: {
          AB: ab,
          AF: f.activationFrac,
          SIG_S: f.sigmoid.stepLog2,
          SIG_R: f.sigmoid.rangeLog2,
          TANH_S: f.tanh.stepLog2,
          TANH_R: f.tanh.rangeLog2,
          LATENCY: ACT_LATENCY,
          COUNT: xs.length,
        },
      },
      dir,
      simulator,
      xs.map((x) => unit.packHex([[x, ab]])),
    );
    assert.equal(lines.length, xs.length + ACT_LATENCY);
    xs.forEach((x, i) => {
      const [cycle, sigmoid, tanh] = lines[i + ACT_LATENCY].split(" ");
      assert.equal(Number(cycle), i + ACT_LATENCY);
      const expected = ["sigmoid", "tanh"].map((fn) =>
        tableActivation(x, fn as "sigmoid" | "tanh", tables[fn as "sigmoid" | "tanh"], f)
      );
      assert.deepEqual(
        [unit.signedHex(sigmoid, ab), unit.signedHex(tanh, ab)],
        expected,
        `x = ${x}`,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("rnnfab_act, Icarus: every Q16.12 input, default tables (S=4, R=3)", async () => {
  await checkFormat(unit.unitFormat([16, 12], [12, 10], 40, [4, 3], [4, 3]), "icarus");
});

Deno.test("rnnfab_act, Icarus: every Q11.6 input, S=6 (no in-segment fraction) and S=1/R=4", async () => {
  await checkFormat(unit.unitFormat([11, 6], [12, 10], 40, [6, 3], [1, 4]), "icarus");
});

Deno.test("rnnfab_act, Icarus: Q20.15 table points, neighbours, extremes, random", async () => {
  await checkFormat(unit.unitFormat([20, 15], [12, 10], 40, [4, 3], [5, 2]), "icarus");
});

Deno.test("rnnfab_act, Icarus: every Q8.7 input, two-entry tables (S=0, R=0)", async () => {
  await checkFormat(unit.unitFormat([8, 7], [12, 10], 40, [0, 0], [0, 0]), "icarus");
});

Deno.test("rnnfab_act, Verilator (-Wall): every Q10.7 input, S=3/R=2 and S=5/R=1", async () => {
  await checkFormat(unit.unitFormat([10, 7], [12, 10], 40, [3, 2], [5, 1]), "verilator");
});

// The flow's LUT fallback (a design with more multipliers than the part): the sigmoid's product
// as two half products summed in the next stage, bit for bit the same, at the same latency.
const LUT_SPLIT = ["RNNFAB_LUT_MULTIPLIERS"];

Deno.test("rnnfab_act, Icarus, LUT multipliers split: every Q16.12 input (S=4, R=3)", async () => {
  await checkFormat(unit.unitFormat([16, 12], [12, 10], 40, [4, 3], [4, 3]), "icarus", LUT_SPLIT);
});

Deno.test("rnnfab_act, Icarus, LUT multipliers split: every Q11.6 input, S=6 (a 2-bit b)", async () => {
  await checkFormat(unit.unitFormat([11, 6], [12, 10], 40, [6, 3], [1, 4]), "icarus", LUT_SPLIT);
});

Deno.test("rnnfab_act, Verilator (-Wall), LUT multipliers split: every Q10.7 input", async () => {
  await checkFormat(
    unit.unitFormat([10, 7], [12, 10], 40, [3, 2], [5, 1]),
    "verilator",
    LUT_SPLIT,
  );
});
