/**
 * Unit test bench of the matrix-vector engines (rtl-templates/rnnfab_mv_ese.v, rnnfab_mv_bcr.v
 * with rtl-templates/tb/rnnfab_mv_tb.v): random sparse models, encoded by encode/ exactly as gen
 * encodes them; for PEs of each design, two time steps of broadcasts (random vectors, random
 * gaps, the phases in the controller's order) go through the engine of that PE, and in every
 * phase the multiset of its non-zero products (local row, recurrent part, weight * value) equals
 * the one the TypeScript model of the hardware matrices predicts.
 */

import assert from "node:assert/strict";
import { seededRandom } from "../model/random.ts";
import { bitsFor } from "../util/bits.ts";
import { type DesignParams, writeDesign } from "../rtl/mod.ts";
import { caseDesign, type E2eCase } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";
import { packHex, randomSigned, simulateUnit, type UnitSimulator } from "./rtl_units.ts";

/** A broadcast phase: its segments (hardware matrices) and the vector it broadcasts. */
interface Phase {
  segments: DesignParams["hardwareSegments"];
  /** bcr: segments of the input part, and the first column of the recurrent part. */
  nseg0: number;
  cbase1: number;
  /** Columns of the input part (the rest are recurrent), and the vector. */
  inputColumns: number;
  vector: number[];
}

/** The phases of one time step in the controller's order, with random vectors. */
function stepPhases(design: DesignParams, random: () => number): Phase[] {
  const ab = design.fixed.activationBits;
  const phases: Phase[] = [];
  const draw = (length: number) => Array.from({ length }, () => randomSigned(random, ab));
  for (let layer = 0; layer < design.model.numLayers; layer++) {
    const of = (part: string) =>
      design.hardwareSegments.filter((s) => s.layer === layer && s.part === part);
    const inputColumns = design.geometry.layerInputs[layer];
    phases.push({
      segments: [...of("x"), ...of("h")],
      nseg0: of("x").length,
      cbase1: inputColumns,
      inputColumns,
      vector: draw(inputColumns + design.geometry.outputSize),
    });
    if (of("proj").length > 0) {
      const segments = of("proj");
      phases.push({
        segments,
        nseg0: segments.length,
        cbase1: 0,
        inputColumns: design.model.hiddenSize,
        vector: draw(design.model.hiddenSize),
      });
    }
  }
  return phases;
}

/** The bench words of a phase: the start, then the columns with random gaps. */
function phaseWords(phase: Phase, ab: number, random: () => number): string[] {
  const field = (kind: number, hpart: number, last: number, value: number) =>
    packHex([[kind, 2], [hpart, 1], [last, 1], [phase.segments.length, 16], [phase.nseg0, 16], [
      phase.cbase1,
      16,
    ], [value, ab]]);
  const words = [field(2, 0, 0, 0)];
  phase.vector.forEach((value, column) => {
    while (random() < 0.15) words.push(field(0, 0, 0, 0));
    const hpart = column >= phase.inputColumns ? 1 : 0;
    const last = column === phase.inputColumns - 1 || column === phase.vector.length - 1;
    words.push(field(1, hpart, last ? 1 : 0, value));
  });
  return words;
}

/** The non-zero products PE `pe` must hand out in a phase, as sorted "row hpart product". */
function expectedMacs(phase: Phase, pes: number, pe: number): string[] {
  const macs: string[] = [];
  for (const segment of phase.segments) {
    const { rows, cols, data } = segment.matrix;
    const base = (segment.part === "h" ? phase.inputColumns : 0) + segment.columnOffset;
    for (let r = pe; r < rows; r += pes) {
      for (let c = 0; c < cols; c++) {
        const product = data[r * cols + c] * phase.vector[base + c];
        if (product !== 0) {
          macs.push(`${(r - pe) / pes} ${segment.part === "h" ? 1 : 0} ${product}`);
        }
      }
    }
  }
  return macs.sort();
}

/** The engine's non-zero products per phase, from the bench's lines. */
function simulatedMacs(lines: string[]): string[][] {
  assert.ok(!lines.includes("T"), "the bench ran out of cycles");
  const phases: string[][] = [];
  for (const line of lines) {
    if (line === "P") phases.push([]);
    else if (!line.endsWith(" 0")) phases[phases.length - 1].push(line.slice(2));
  }
  return phases.map((macs) => macs.sort());
}

/** The bench parameters of one PE of a design. */
function benchParameters(design: DesignParams, pe: number, count: number) {
  const rtl = design.rtl;
  const depths = design.peParameters[pe];
  const { cellsPerPe: k, projRowsPerPe: kp } = design.geometry;
  return {
    FORMAT: rtl.FORMAT,
    AB: rtl.AB,
    WB: rtl.WB,
    ROW_W: bitsFor(Math.max(4 * k, kp) - 1),
    WEIGHT_DEPTH: depths.weightDepth,
    IDX_BITS: rtl.IDX_BITS,
    VAL_BITS: rtl.VAL_BITS,
    CODEBOOK: rtl.CODEBOOK,
    PTR_W: rtl.PTR_W,
    POINTER_DEPTH: depths.pointerDepth,
    QUEUE_DEPTH: rtl.QUEUE_DEPTH,
    IDX_W: rtl.IDX_W,
    HDR_ROW_BITS: rtl.HDR_ROW_BITS,
    HDR_COL_BITS: rtl.HDR_COL_BITS,
    INDEX_DEPTH: depths.indexDepth,
    VEC_DEPTH: design.geometry.longestPhase,
    MAX_ROWS: rtl.MAX_ROWS,
    BLOCK_COLS: rtl.BLOCK_COLS,
    LANES: rtl.LANES,
    WEIGHT_FILE: `mem/pe${pe}_weights.hex`,
    POINTER_FILE: `mem/pe${pe}_pointers.hex`,
    INDEX_FILE: `mem/pe${pe}_index.hex`,
    CODEBOOK_FILE: "mem/codebook.hex",
    COUNT: count,
  };
}

async function checkEngines(
  c: E2eCase,
  pes: number[],
  simulator: UnitSimulator = "icarus",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-mv-" });
  try {
    const design = caseDesign(c);
    await writeDesign(dir, design);
    for (const pe of pes) {
      const random = seededRandom(c.seed + pe);
      const phases = [...stepPhases(design, random), ...stepPhases(design, random)];
      const words = phases.flatMap((phase) => phaseWords(phase, design.rtl.AB, random));
      const lines = await simulateUnit(
        {
          tb: "rnnfab_mv_tb",
          cores: ["rnnfab_mv_ese.v", "rnnfab_mv_bcr.v"],
          parameters: benchParameters(design, pe, words.length),
        },
        dir,
        simulator,
        words,
      );
      const got = simulatedMacs(lines);
      assert.equal(got.length, phases.length, `PE ${pe}: phases`);
      phases.forEach((phase, i) => {
        assert.deepEqual(
          got[i],
          expectedMacs(phase, design.accelerator.pes, pe),
          `PE ${pe}, phase ${i}`,
        );
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Designs of the end-to-end table (both formats, LSTM and GRU, projections, codebook). */
const DESIGNS: [string, number[]][] = [
  ["lstmp-peep-2layer-rand30-pe4-ese-codebook", [0, 1, 2, 3]],
  ["lstm-peep-rand40-pe3-ese-q2", [0, 2]],
  ["gru-2layer-rand30-pe3-ese", [0, 1]],
  ["lstmp-blocks25-pe3-bcr-chosen", [0, 1, 2]],
  ["gru-2layer-blocks50-pe4-bcr8x2", [0, 3]],
  ["lstm-peep-2layer-rand80-pe2-bcr-q20.15", [1]],
  ["gru-2layer-mag5-pe32-ese-out8", [0, 5, 31]],
  ["lstmp-peep-bcr11-pe32-bcr", [0, 17]],
  ["lstmp-peep-2layer-blocks40-pe3-bcr-lanes4", [0, 2]],
  ["gru-2layer-blocks50-pe3-bcr-lanes2", [1]],
  ["gru-2layer-blocks50-pe3-bcr-lanes2-codebook4-q8.6", [0, 2]],
];

for (const [name, pes] of DESIGNS) {
  Deno.test(`rnnfab_mv engines, Icarus: ${name}, PEs ${pes.join(", ")}`, async () => {
    await checkEngines(e2eCase(name), pes);
  });
}

Deno.test("rnnfab_mv_bcr, Verilator (-Wall): gru-2layer-blocks50-pe4-bcr8x2, PE 1", async () => {
  await checkEngines(e2eCase("gru-2layer-blocks50-pe4-bcr8x2"), [1], "verilator");
});
