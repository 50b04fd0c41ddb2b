/**
 * The pure parts of the generator: the hardware row order (every PE owns all gate rows of its
 * cells), the bias/peephole ROM words, the bcr block choice, and design derivation invariants
 * (memory accounting, the cycle estimate against the ideal bound).
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { type IntMatrix, quantizeModel } from "../model/fixed.ts";
import {
  chooseBlock,
  encodeBcr,
  paddedGateMatrix,
  peRowCount,
  scoreBlock,
  sparsePattern,
} from "../encode/mod.ts";
import { randomModel, seededRandom } from "../model/random.ts";
import { integersIn, propertyTest } from "./helpers.ts";
import {
  auxMemories,
  DEFAULT_ACCELERATOR_CONFIG,
  deriveDesign,
  EW_LATENCY,
  modelGeometry,
} from "../rtl/mod.ts";

propertyTest(
  "padded gate matrix: cell j of gate g lands in PE j mod N at local row g*K + j div N",
  200,
  fc.property(
    integersIn({ gates: [1, 4], hidden: [1, 13], pes: [1, 9], cols: [1, 5] }),
    ({ gates, hidden, pes, cols }) => {
      const matrix: IntMatrix = {
        rows: gates * hidden,
        cols,
        data: Int32Array.from({ length: gates * hidden * cols }, (_, i) => i + 1),
      };
      const cellsPerPe = Math.ceil(hidden / pes);
      const padded = paddedGateMatrix(matrix, gates, hidden, cellsPerPe * pes);
      assert.equal(padded.rows, gates * cellsPerPe * pes);
      for (let g = 0; g < gates; g++) {
        for (let j = 0; j < cellsPerPe * pes; j++) {
          const row = g * cellsPerPe * pes + j;
          // the encoders' rule: row r -> PE r mod N, local row r div N
          assert.equal(row % pes, j % pes);
          assert.equal(Math.floor(row / pes), g * cellsPerPe + Math.floor(j / pes));
          for (let c = 0; c < cols; c++) {
            const value = padded.data[row * cols + c];
            assert.equal(value, j < hidden ? matrix.data[(g * hidden + j) * cols + c] : 0);
          }
        }
      }
      // every PE owns exactly gates * K rows
      for (let pe = 0; pe < pes; pe++) {
        assert.equal(peRowCount(padded.rows, pes, pe), gates * cellsPerPe);
      }
    },
  ),
);

Deno.test("bias and peephole ROM words hold the four row biases and three peepholes per cell", () => {
  const model = quantizeModel(
    randomModel({
      kind: "lstm",
      inputSize: 3,
      hiddenSize: 5,
      numLayers: 2,
      peepholes: true,
      seed: 3,
    }),
  );
  const geometry = modelGeometry(model, 2);
  const memories = auxMemories(model, geometry);
  const ab = model.format.activationBits;
  const wb = model.format.weightBits;
  const field = (word: bigint, index: number, width: number) => {
    const raw = Number((word >> BigInt(index * width)) & ((1n << BigInt(width)) - 1n));
    return raw >= 2 ** (width - 1) ? raw - 2 ** width : raw;
  };
  const K = geometry.cellsPerPe;
  for (let pe = 0; pe < 2; pe++) {
    const bias = memories.find((m) => m.file === `pe${pe}_bias.hex`)!;
    const peep = memories.find((m) => m.file === `pe${pe}_peephole.hex`)!;
    assert.equal(bias.depth, 2 * K);
    assert.equal(bias.width, 4 * ab);
    for (let l = 0; l < 2; l++) {
      for (let k = 0; k < K; k++) {
        const j = k * 2 + pe;
        for (let g = 0; g < 4; g++) {
          const expected = j < 5 ? model.layers[l].bias[g * 5 + j] : 0;
          assert.equal(field(bias.words[l * K + k], g, ab), expected);
        }
        for (let g = 0; g < 3; g++) {
          const expected = j < 5 ? model.layers[l].peephole![g * 5 + j] : 0;
          assert.equal(field(peep.words[l * K + k], g, wb), expected);
        }
      }
    }
  }
  assert.equal(memories.find((m) => m.file === "sigmoid.hex")!.depth, 2 ** 7 + 1);
});

/** A matrix whose non-zeros fill kept rows x kept columns inside blocks of the given shape. */
function bcrMatrix(rows: number, cols: number, block: [number, number], seed: number): IntMatrix {
  const random = seededRandom(seed);
  const data = new Int32Array(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += block[0]) {
    for (let c0 = 0; c0 < cols; c0 += block[1]) {
      const keptRows = Array.from({ length: block[0] }, () => random() < 0.5);
      const keptCols = Array.from({ length: block[1] }, () => random() < 0.4);
      for (let i = 0; i < block[0] && r0 + i < rows; i++) {
        for (let j = 0; j < block[1] && c0 + j < cols; j++) {
          if (keptRows[i] && keptCols[j]) data[(r0 + i) * cols + c0 + j] = 1 + (i + j) % 7;
        }
      }
    }
  }
  return { rows, cols, data };
}

Deno.test("bcr block choice: no zeros inside kept sub-blocks, no slower than the pruning block", () => {
  for (const [block, pes] of [[[16, 8], 4], [[8, 16], 8], [[32, 4], 3]] as const) {
    const matrices = [
      bcrMatrix(96, 40, [block[0], block[1]], 1),
      bcrMatrix(96, 24, [block[0], block[1]], 2),
    ];
    const chosen = chooseBlock(matrices, pes);
    const pruning = scoreBlock(matrices.map(sparsePattern), pes, block[0], block[1]);
    assert.ok(chosen.maxPeCycles <= pruning.maxPeCycles, JSON.stringify({ chosen, pruning }));
    const image = encodeBcr(
      matrices.map((matrix, i) => ({ name: `m${i}`, matrix })),
      { pes, blockRows: chosen.rows, blockCols: chosen.cols, weightBits: 8 },
    );
    const zeros = image.manifest.perPe.reduce((sum, pe) => sum + pe.zeroEntries, 0);
    assert.equal(zeros, 0, `block ${chosen.rows}x${chosen.cols} stores zeros`);
  }
  // a dense matrix is one block column per segment width limit, no zeros either way
  const dense: IntMatrix = { rows: 12, cols: 10, data: new Int32Array(120).fill(3) };
  const choice = chooseBlock([dense], 4);
  assert.equal(choice.rows, 12);
});

Deno.test("design: memory accounting, estimate periodic and at least the busiest PE's work", () => {
  for (const format of ["ese", "bcr"] as const) {
    const float = randomModel({
      kind: "lstm",
      inputSize: 10,
      hiddenSize: 20,
      numLayers: 2,
      projSize: 7,
      peepholes: true,
      seed: 11,
    });
    const model = quantizeModel(float);
    const design = deriveDesign(model, { ...DEFAULT_ACCELERATOR_CONFIG, pes: 4, format });
    const summed = design.memories.reduce((sum, m) => sum + m.bits, 0);
    assert.equal(design.memoryBits.total, summed);
    assert.ok(design.estimate.periodic);
    const busiest = Math.max(...design.work.peEntries);
    assert.ok(design.estimate.cyclesPerStep >= busiest, format);
    assert.ok(design.estimate.cyclesPerStep >= design.work.idealCyclesPerStep);
    assert.equal(design.rtl.EW_LAT, EW_LATENCY.lstm);
    assert.equal(design.geometry.cellsPerPe, 5);
    assert.equal(design.geometry.projRowsPerPe, 2);
  }
});
