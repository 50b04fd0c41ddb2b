/**
 * The hardware view of a quantized model: how cells, accumulator rows and vector elements are
 * spread over the PEs (the geometry; the weight matrices in the PEs' row order are the encoder's
 * `hardwareSegments`), and the small memories the PEs hold besides the weights (biases,
 * peepholes, activation tables). See docs/architecture.md.
 *
 * @module
 */

import { activationTable, type QuantizedModel } from "../model/fixed.ts";
import { gateCount, layerInputSize, outputSize } from "../model/model.ts";
import { cellsPerPe } from "../encode/mod.ts";
import type { Geometry } from "./design_schema.ts";

/** Compute the geometry of a model on `pes` PEs with `lanes` MAC lanes each. */
export function modelGeometry(model: QuantizedModel, pes: number, lanes = 1): Geometry {
  const cells = cellsPerPe(model.hiddenSize, pes, lanes);
  const out = outputSize(model);
  const layerInputs = Array.from({ length: model.numLayers }, (_, l) => layerInputSize(model, l));
  const longestPhase = Math.max(
    ...layerInputs.map((size) => size + out),
    model.projSize > 0 ? model.hiddenSize : 0,
  );
  return {
    pes,
    gates: gateCount(model.kind),
    cellsPerPe: cells,
    paddedHidden: cells * pes,
    projRowsPerPe: model.projSize > 0 ? Math.ceil(model.projSize / pes) : 1,
    outputsPerPe: model.projSize > 0 ? Math.ceil(out / pes) : Math.max(cells, Math.ceil(out / pes)),
    layerInputs,
    outputSize: out,
    longestPhase,
  };
}

/** A memory the generator writes besides the encoder's weight images. */
export interface AuxMemory {
  /** File name in mem/. */
  file: string;
  /** What it holds. */
  kind: "bias" | "peephole" | "sigmoid" | "tanh";
  /** Owning PE, or null for the shared tables. */
  pe: number | null;
  /** Words. */
  depth: number;
  /** Word width in bits. */
  width: number;
  /** depth * width. */
  bits: number;
  /** The words (unsigned, two's complement folded), as BigInt because words may be wide. */
  words: bigint[];
}

/** Fold signed fields (listed high to low) into one unsigned word. */
export function packSignedFields(fields: number[], width: number): bigint {
  let word = 0n;
  const mask = (1n << BigInt(width)) - 1n;
  for (const value of fields) word = (word << BigInt(width)) | (BigInt(value) & mask);
  return word;
}

/**
 * The bias and peephole ROMs of every element-wise unit and the two activation tables. With one
 * unit per PE (`ewGroup` 1) the bias word of PE p is at address l*K + k (cell j = k*N + p):
 * {b3, b2, b1, b0}, the four accumulator-row biases (LSTM i,f,g,o; GRU r,z,xn,hn); peephole
 * word: {p_o, p_f, p_i}; files `pe<p>_bias.hex`, `pe<p>_peephole.hex`. With groups of G PEs the
 * unit of PEs q .. q + G - 1 holds PE q + g's word of address a at a * G + g (rnnfab_ew_unit.v),
 * in `ew<q>_bias.hex`, `ew<q>_peephole.hex` (owner: PE q). Cells beyond H hold zeros.
 */
export function auxMemories(model: QuantizedModel, geometry: Geometry, ewGroup = 1): AuxMemory[] {
  const { pes, cellsPerPe } = geometry;
  const { activationBits: ab, weightBits: wb } = model.format;
  const hidden = model.hiddenSize;
  const memories: AuxMemory[] = [];
  const hasPeepholes = model.layers.some((layer) => layer.peephole !== undefined);
  for (let first = 0; first < pes; first += ewGroup) {
    const bias: bigint[] = [];
    const peephole: bigint[] = [];
    for (const layer of model.layers) {
      for (let k = 0; k < cellsPerPe; k++) {
        for (let place = 0; place < ewGroup; place++) {
          const j = k * pes + first + place;
          const inside = j < hidden;
          const rowBias = (g: number) => inside ? layer.bias[g * hidden + j] : 0;
          bias.push(packSignedFields([rowBias(3), rowBias(2), rowBias(1), rowBias(0)], ab));
          const p = (g: number) => inside && layer.peephole ? layer.peephole[g * hidden + j] : 0;
          peephole.push(packSignedFields([p(2), p(1), p(0)], wb));
        }
      }
    }
    const files = ewUnitRomFiles(first, ewGroup);
    memories.push(memory(files.bias, "bias", first, 4 * ab, bias));
    if (hasPeepholes) {
      memories.push(memory(files.peephole, "peephole", first, 3 * wb, peephole));
    }
  }
  for (const fn of ["sigmoid", "tanh"] as const) {
    const entries = activationTable(fn, model.format);
    checkTableSteps(fn, entries, model.format.activationFrac - model.format[fn].stepLog2);
    const table = Array.from(entries, (v) => packSignedFields([v], ab));
    memories.push(memory(`${fn}.hex`, fn, null, ab, table));
  }
  return memories;
}

/**
 * The ROM image files of the element-wise unit of PE `pe` (the first of its group): `pe<p>_*.hex`
 * with a unit per PE, `ew<p>_*.hex` for a group's unit.
 */
export function ewUnitRomFiles(pe: number, ewGroup: number): { bias: string; peephole: string } {
  const stem = ewGroup > 1 ? `ew${pe}` : `pe${pe}`;
  return { bias: `${stem}_bias.hex`, peephole: `${stem}_peephole.hex` };
}

/**
 * rnnfab_act.v holds T[i+1] - T[i] in D + 2 signed bits (D = AF - S, the fraction bits inside a
 * segment): true of the rounded sigmoid and tanh tables (slopes at most 1, so adjacent entries
 * differ by at most 2^D + 1); checked here so that a table that breaks it never reaches the RTL.
 */
export function checkTableSteps(fn: string, table: Int32Array, fractionBits: number): void {
  if (fractionBits === 0) return; // the in-segment fraction is 0: the difference is unused
  const limit = 2 ** (fractionBits + 1);
  for (let i = 0; i + 1 < table.length; i++) {
    const step = table[i + 1] - table[i];
    if (step < -limit || step >= limit) {
      throw new Error(
        `${fn} table: entries ${i} and ${i + 1} differ by ${step}, outside the ${
          fractionBits + 2
        }-bit difference of rnnfab_act.v`,
      );
    }
  }
}

function memory(
  file: string,
  kind: AuxMemory["kind"],
  pe: number | null,
  width: number,
  words: bigint[],
): AuxMemory {
  return { file, kind, pe, depth: words.length, width, bits: words.length * width, words };
}

/** The `$readmemh` text of wide words: exactly ceil(width/4) lowercase hex digits per line. */
export function wideHexText(words: readonly bigint[], width: number): string {
  const digits = Math.ceil(width / 4);
  const lines = words.length === 0
    ? ["0".repeat(digits)]
    : words.map((word) => word.toString(16).padStart(digits, "0"));
  return lines.join("\n") + "\n";
}
