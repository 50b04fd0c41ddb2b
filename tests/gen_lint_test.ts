/**
 * The generated Verilog passes `verilator --lint-only -Wall` without a single warning and
 * compiles under `iverilog -g2005`, for every cell kind, feature, weight format and several PE
 * counts (1, 3, 8, 32) and sizes that are not multiples of the PE count or block. (Random initial
 * register values: every Verilator case of tests/e2e_cases.ts runs with them.)
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { writeDesign } from "../rtl/mod.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { runProgram, verilatorLint, withoutVerilatorReport } from "./helpers.ts";

/** A lint case: the shape, density (random thinning), PEs, format and settings. */
function lintCase(
  name: string,
  shape: Pick<
    E2eCase,
    "kind" | "inputSize" | "hiddenSize" | "numLayers" | "projSize" | "peepholes"
  >,
  density: number,
  pes: number,
  format: "ese" | "bcr",
  settings: E2eCase["settings"] = {},
): E2eCase {
  return {
    name,
    ...shape,
    density,
    prune: { method: "random" },
    pes,
    format,
    settings,
    seed: 40,
    steps: 1,
  };
}

/** LSTM 13 -> 29 with an 11-row projection and peepholes, two layers (odd sizes). */
const LSTMP_13_29 = {
  kind: "lstm",
  inputSize: 13,
  hiddenSize: 29,
  numLayers: 2,
  projSize: 11,
  peepholes: true,
} as const;

const LINT_CASES: E2eCase[] = [
  lintCase(
    "lstm 3->5, 1 PE",
    { kind: "lstm", inputSize: 3, hiddenSize: 5, numLayers: 1 },
    1,
    1,
    "ese",
  ),
  lintCase(
    "lstm 17->33 peepholes x2, 8 PEs, 3-bit index",
    { kind: "lstm", inputSize: 17, hiddenSize: 33, numLayers: 2, peepholes: true },
    0.2,
    8,
    "ese",
    { indexBits: 3 },
  ),
  lintCase(
    "lstm 20->70 proj 37 peepholes, 32 PEs",
    { kind: "lstm", inputSize: 20, hiddenSize: 70, numLayers: 1, projSize: 37, peepholes: true },
    0.1,
    32,
    "ese",
  ),
  lintCase(
    "lstm 7->9 proj 4 x2, 3 PEs, codebook, Q8 weights, Q12.9 activations",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 2, projSize: 4 },
    0.5,
    3,
    "ese",
    { codebookBits: 3, weightBits: 8, activationBits: 12, activationFrac: 9 },
  ),
  lintCase(
    "lstm 7->9 proj 4 peepholes, 3 PEs, bcr, 2 lanes, 4-bit codebook, Q8 weights",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 1, projSize: 4, peepholes: true },
    0.5,
    3,
    "bcr",
    { lanes: 2, codebookBits: 4, weightBits: 8 },
  ),
  lintCase(
    "gru 11->21 x3, 3 PEs",
    { kind: "gru", inputSize: 11, hiddenSize: 21, numLayers: 3 },
    0.3,
    3,
    "ese",
  ),
  lintCase(
    "gru 40->64, 32 PEs",
    { kind: "gru", inputSize: 40, hiddenSize: 64, numLayers: 1 },
    0.15,
    32,
    "bcr",
  ),
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 8 PEs, block 16x5",
    LSTMP_13_29,
    0.3,
    8,
    "bcr",
    { blockRows: 16, blockCols: 5 },
  ),
  // 70 cells, 65 projection rows, 130 h words per PE: the block-RAM variants of every state
  // memory of the PE
  lintCase(
    "lstm 3->140 proj 130 peepholes x2, 2 PEs",
    { kind: "lstm", inputSize: 3, hiddenSize: 140, numLayers: 2, projSize: 130, peepholes: true },
    0.1,
    2,
    "ese",
  ),
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 4 PEs x 4 lanes",
    LSTMP_13_29,
    0.3,
    4,
    "bcr",
    { lanes: 4 },
  ),
  lintCase(
    "gru 5->9, 2 PEs x 16 lanes",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    2,
    "bcr",
    { lanes: 16 },
  ),
  // ese with MAC lanes (an entry is a line of L rows): 4 PEs x 4 lanes with a codebook and 2-bit
  // line indices; 2 PEs x 16 lanes; 3 PEs x 2 lanes, batch 2
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 4 PEs x 4 lanes, codebook, 2-bit index",
    LSTMP_13_29,
    0.3,
    4,
    "ese",
    { lanes: 4, codebookBits: 3, indexBits: 2 },
  ),
  lintCase(
    "gru 5->9, 2 PEs x 16 lanes",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    2,
    "ese",
    { lanes: 16 },
  ),
  lintCase(
    "lstm 7->9 proj 4 x2, 3 PEs x 2 lanes, batch 2",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 2, projSize: 4 },
    0.5,
    3,
    "ese",
    { lanes: 2, batch: 2 },
  ),
  // broadcast beats (bcr): 8 columns per beat on 8 PEs of one lane, 16 on 32 PEs of 2 lanes
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 8 PEs, broadcast 8",
    LSTMP_13_29,
    0.3,
    8,
    "bcr",
    { broadcast: 8 },
  ),
  lintCase(
    "gru 40->64, 32 PEs x 2 lanes, broadcast 16",
    { kind: "gru", inputSize: 40, hiddenSize: 64, numLayers: 1 },
    0.15,
    32,
    "bcr",
    { lanes: 2, broadcast: 16 },
  ),
  // batch (bcr): B copies of each PE sharing its engine, B-word stream beats
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 4 PEs x 2 lanes, batch 4",
    LSTMP_13_29,
    0.3,
    4,
    "bcr",
    { lanes: 2, batch: 4 },
  ),
  // element-wise units shared by groups of PEs (ese; with a batch: slots of PEs times copies)
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 8 PEs, ese, ew group 4",
    LSTMP_13_29,
    0.3,
    8,
    "ese",
    { ewGroup: 4 },
  ),
  // the bus stage (dense ese): LSTMP with groups, GRU with a batch
  lintCase(
    "lstm 13->29 proj 11 peepholes x2, 8 PEs, ese, ew group 4, bus stage",
    LSTMP_13_29,
    0.3,
    8,
    "ese",
    { ewGroup: 4, busStage: true },
  ),
  lintCase(
    "gru 5->9, 4 PEs, ese, bus stage, batch 2",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    4,
    "ese",
    { busStage: true, batch: 2 },
  ),
  lintCase(
    "gru 5->9, 4 PEs, ew group 2, batch 2",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    4,
    "bcr",
    { ewGroup: 2, batch: 2 },
  ),
  lintCase(
    "gru 5->9, 2 PEs, broadcast 2, batch 16",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    2,
    "bcr",
    { broadcast: 2, batch: 16 },
  ),
  lintCase(
    "gru 2->3, 1 PE, block 1x1",
    { kind: "gru", inputSize: 2, hiddenSize: 3, numLayers: 1 },
    1,
    1,
    "bcr",
    { blockRows: 1, blockCols: 1 },
  ),
  lintCase(
    "lstm 7->9 proj 4 peepholes x2, 3 PEs, delta, codebook",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 2, projSize: 4, peepholes: true },
    0.5,
    3,
    "ese",
    { delta: { thetaX: 0.1, thetaH: [0, 0.2] }, codebookBits: 3 },
  ),
  lintCase(
    "gru 5->8 x3, 4 PEs, delta, 4 columns per beat",
    { kind: "gru", inputSize: 5, hiddenSize: 8, numLayers: 3 },
    0.5,
    4,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1 }, broadcast: 4 },
  ),
  lintCase(
    "gru 5->8 x3, 4 PEs x 4 lanes, delta, 4 columns per beat",
    { kind: "gru", inputSize: 5, hiddenSize: 8, numLayers: 3 },
    0.5,
    4,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1 }, broadcast: 4, lanes: 4 },
  ),
  lintCase(
    "lstm 7->9 proj 5 peepholes x3, 2 PEs x 2 lanes, delta with theta_m",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 3, projSize: 5, peepholes: true },
    0.5,
    2,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.1 }, lanes: 2 },
  ),
  // one layer with theta_m: early input with the projection's own engine queue (PQUEUE), at 4
  // lanes with M read four cells a cycle (MREAD 4) and at one lane
  lintCase(
    "lstm 7->9 proj 5 peepholes, 2 PEs x 4 lanes, delta with theta_m, 2 columns per beat, M 4 a cycle",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 1, projSize: 5, peepholes: true },
    0.5,
    2,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.1 }, lanes: 4, broadcast: 2, readAheadM: 4 },
  ),
  lintCase(
    "lstm 7->9 proj 5 x1, 3 PEs, delta with theta_m",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 1, projSize: 5 },
    0.5,
    3,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.1 } },
  ),
  // past 16 lanes (the 32 PEs x 32 lanes of the ESE-shaped model's 1 us target): ese with delta,
  // theta_m and 2 columns per beat on 2 PEs x 32 lanes (32 cells a PE, 6 projection rows padded to
  // a line); ese on 1 PE x 64 lanes (9 cells padded to 64); bcr on 2 PEs x 32 lanes
  lintCase(
    "lstm 13->64 proj 11 peepholes x2, 2 PEs x 32 lanes, delta with theta_m, 2 columns per beat",
    { ...LSTMP_13_29, hiddenSize: 64 },
    0.3,
    2,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.1 }, lanes: 32, broadcast: 2 },
  ),
  lintCase(
    "gru 5->9, 1 PE x 64 lanes",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    1,
    "ese",
    { lanes: 64 },
  ),
  lintCase(
    "gru 5->9, 2 PEs x 32 lanes",
    { kind: "gru", inputSize: 5, hiddenSize: 9, numLayers: 1 },
    0.5,
    2,
    "bcr",
    { lanes: 32 },
  ),
  lintCase(
    "lstm 7->9 proj 4 peepholes x3, 4 PEs, delta with theta_m, 4 columns per beat",
    { kind: "lstm", inputSize: 7, hiddenSize: 9, numLayers: 3, projSize: 4, peepholes: true },
    0.5,
    4,
    "ese",
    { delta: { thetaX: 0.1, thetaH: 0.1, thetaM: [0.05, 0, 0.2] }, broadcast: 4 },
  ),
];

async function tool(program: string, args: string[], cwd: string) {
  const run = await runProgram(program, args, { cwd });
  return { code: run.code, text: withoutVerilatorReport(run.stdout + run.stderr) };
}

for (const c of LINT_CASES) {
  Deno.test(`gen lint: ${c.name}, ${c.format}: verilator -Wall clean, iverilog compiles`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "rnnfab-lint-" });
    try {
      await writeDesign(dir, caseDesign(c));
      const files = [...Deno.readDirSync(join(dir, "rtl"))]
        .map((entry) => join("rtl", entry.name)).sort();
      const lint = await verilatorLint(dir, files);
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
