/**
 * The generated Verilog passes `verilator --lint-only -Wall` without a single warning and
 * compiles under `iverilog -g2005`, for every cell kind, feature, weight format and several PE
 * counts (1, 3, 8, 32) and sizes that are not multiples of the PE count or block; and one design
 * simulated by Verilator with random initial register values is bit-exact (registers that are not
 * reset must not matter).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { quantizeInputs, runFixed } from "../model/fixed.ts";
import type { RnnKind } from "../model/model.ts";
import { randomInputs, randomModel, seededRandom } from "../model/random.ts";
import {
  type AcceleratorSettings,
  generateFromModel,
  resolveAcceleratorConfig,
  writeDesign,
} from "../rtl/mod.ts";

interface LintCase {
  kind: RnnKind;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  projSize?: number;
  peepholes?: boolean;
  density: number;
  settings: AcceleratorSettings;
}

const LINT_CASES: LintCase[] = [
  { kind: "lstm", inputSize: 3, hiddenSize: 5, numLayers: 1, density: 1, settings: { pes: 1 } },
  {
    kind: "lstm",
    inputSize: 17,
    hiddenSize: 33,
    numLayers: 2,
    peepholes: true,
    density: 0.2,
    settings: { pes: 8, indexBits: 3 },
  },
  {
    kind: "lstm",
    inputSize: 20,
    hiddenSize: 70,
    numLayers: 1,
    projSize: 37,
    peepholes: true,
    density: 0.1,
    settings: { pes: 32 },
  },
  {
    kind: "lstm",
    inputSize: 7,
    hiddenSize: 9,
    numLayers: 2,
    projSize: 4,
    density: 0.5,
    settings: { pes: 3, codebookBits: 3, weightBits: 8, activationBits: 12, activationFrac: 9 },
  },
  { kind: "gru", inputSize: 11, hiddenSize: 21, numLayers: 3, density: 0.3, settings: { pes: 3 } },
  {
    kind: "gru",
    inputSize: 40,
    hiddenSize: 64,
    numLayers: 1,
    density: 0.15,
    settings: { pes: 32, format: "bcr" },
  },
  {
    kind: "lstm",
    inputSize: 13,
    hiddenSize: 29,
    numLayers: 2,
    projSize: 11,
    peepholes: true,
    density: 0.3,
    settings: { pes: 8, format: "bcr", blockRows: 16, blockCols: 5 },
  },
  {
    // 70 cells, 65 projection rows, 130 h words per PE: the block-RAM variants of every state
    // memory of the PE
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 140,
    numLayers: 2,
    projSize: 130,
    peepholes: true,
    density: 0.1,
    settings: { pes: 2 },
  },
  {
    kind: "gru",
    inputSize: 2,
    hiddenSize: 3,
    numLayers: 1,
    density: 1,
    settings: { pes: 1, format: "bcr", blockRows: 1, blockCols: 1 },
  },
];

function model(c: LintCase, seed: number) {
  const m = randomModel({ ...c, seed });
  const random = seededRandom(seed + 1);
  for (const layer of m.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      for (let i = 0; i < matrix.data.length; i++) if (random() >= c.density) matrix.data[i] = 0;
    }
  }
  return m;
}

async function tool(program: string, args: string[], cwd?: string) {
  const output = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    text: decoder.decode(output.stdout) + decoder.decode(output.stderr),
  };
}

function describe(c: LintCase): string {
  const s = c.settings;
  return `${c.kind} ${c.inputSize}->${c.hiddenSize}${c.projSize ? ` proj ${c.projSize}` : ""}` +
    `${c.peepholes ? " peepholes" : ""} x${c.numLayers}, ${s.pes} PEs, ${s.format ?? "ese"}`;
}

for (const [index, c] of LINT_CASES.entries()) {
  Deno.test(`gen lint: ${describe(c)}: verilator -Wall clean, iverilog compiles`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-lint-" });
    try {
      const config = resolveAcceleratorConfig([{ settings: c.settings, source: "test" }]);
      const { design } = generateFromModel(model(c, 40 + index), config);
      await writeDesign(dir, design);
      const files = [...Deno.readDirSync(join(dir, "rtl"))]
        .map((entry) => join("rtl", entry.name)).sort();
      const lint = await tool("verilator", [
        "--lint-only",
        "-Wall",
        "-Irtl",
        "--top-module",
        "rnnfab_top",
        ...files,
      ], dir);
      assert.equal(lint.code, 0, lint.text);
      assert.equal(lint.text.trim(), "", "no warnings expected");
      const icarus = await tool("iverilog", [
        "-g2005",
        "-Irtl",
        "-o",
        "top.vvp",
        "-s",
        "rnnfab_top",
        ...files,
      ], dir);
      assert.equal(icarus.code, 0, icarus.text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("gen + verilator: random initial register values do not change the outputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-vrand-" });
  try {
    const c = LINT_CASES[3];
    const config = resolveAcceleratorConfig([{ settings: c.settings, source: "test" }]);
    const { design } = generateFromModel(model(c, 43), config);
    await writeDesign(dir, design);
    const steps = 3;
    const inputs = quantizeInputs(randomInputs(steps, c.inputSize, 2), design.quantized.format);
    const ab = design.fixed.activationBits;
    await Deno.writeTextFile(
      join(dir, "stim.hex"),
      inputs.flatMap((s) => Array.from(s, (v) => (v < 0 ? v + 2 ** ab : v).toString(16)))
        .join("\n") + "\n",
    );
    const tb = new URL("../rtl-templates/tb/rnnfab_gen_tb.v", import.meta.url).pathname;
    const files = [...Deno.readDirSync(join(dir, "rtl"))].map((e) => join("rtl", e.name)).sort();
    const build = await tool("verilator", [
      "--binary",
      "--x-assign",
      "unique",
      "--x-initial",
      "unique",
      "-Wno-fatal",
      "-Wno-lint",
      "-Wno-style",
      "--top-module",
      "rnnfab_gen_tb",
      `-GAB=${ab}`,
      `-GIN_SIZE=${c.inputSize}`,
      `-GOUT_SIZE=${design.model.outputSize}`,
      `-GSTEPS=${steps}`,
      "-o",
      "tbsim",
      "--Mdir",
      "obj",
      tb,
      ...files,
    ], dir);
    assert.equal(build.code, 0, build.text);
    const expected = runFixed(design.quantized, inputs).flatMap((s) => Array.from(s));
    for (const seed of [1, 2]) {
      const sim = await tool(join(dir, "obj", "tbsim"), [
        "+stim=stim.hex",
        "+out=beats.txt",
        "+verilator+rand+reset+2",
        `+verilator+seed+${seed}`,
      ], dir);
      assert.equal(sim.code, 0, sim.text);
      const lines = (await Deno.readTextFile(join(dir, "beats.txt"))).trim().split("\n");
      lines.pop();
      assert.deepEqual(lines.map((line) => Number(line.split(" ")[1])), expected);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
