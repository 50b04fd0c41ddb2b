/**
 * What `deno task prune` prints: the per-matrix table, the fidelity comparison and the BCR
 * structure of a model (cli/prune.ts).
 *
 * @module
 */

import type { RnnModel } from "../model/model.ts";
import { namedMatrices } from "../model/model.ts";
import {
  type BcrCheck,
  type BlockSize,
  detectBcr,
  type FidelityComparison,
  findBcrBlocks,
  formatBlock,
  laneOrderedMatrix,
  type ModelPruneReport,
} from "../prune/mod.ts";

/** A fraction as a percentage with three decimals. */
export function percent(value: number): string {
  return `${(value * 100).toFixed(3)}%`;
}

/** Pad a table cell on the right. */
export function pad(text: string, width: number): string {
  return text.padEnd(width);
}

/** Pad a table cell on the left. */
export function padLeft(text: string, width: number): string {
  return text.padStart(width);
}

/** Whether the model file keeps its weights in a safetensors file (so the output should too). */
export async function usesSafetensors(path: string): Promise<boolean> {
  if (!path.toLowerCase().endsWith(".json")) return false;
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    return typeof value?.weights === "string";
  } catch {
    return false;
  }
}

/**
 * The per-matrix table of a pruning report (keep rates, density; with `pes`, the PE imbalance and
 * the column balance: per column the busiest and the mean PE's entries, in lines with `lanes`).
 */
export function printMatrixTable(report: ModelPruneReport, pes?: number, lanes = 1): void {
  console.log(
    `${pad("matrix", 14)}${pad("shape", 11)}${pad("block", 9)}${padLeft("colKeep", 8)}${
      padLeft("rowKeep", 9)
    }${padLeft("non-zeros", 11)}${padLeft("density", 9)}${
      pes ? `${padLeft("PE imbalance", 14)}${padLeft("column max/mean", 17)}` : ""
    }`,
  );
  for (const m of report.matrices) {
    const column = m.columnBalance;
    console.log(
      `${pad(m.name, 14)}${pad(`${m.rows}x${m.cols}`, 11)}${pad(formatBlock(m.block), 9)}${
        padLeft(m.colKeep.toFixed(3), 8)
      }${padLeft(m.rowKeep.toFixed(3), 9)}${padLeft(String(m.nonZeros), 11)}${
        padLeft(m.density.toFixed(4), 9)
      }${m.peLoad ? padLeft(percent(m.peLoad.imbalance), 14) : ""}${
        column ? padLeft(`${column.meanMax.toFixed(2)}/${column.meanMean.toFixed(2)}`, 17) : ""
      }`,
    );
  }
  if (pes) {
    console.log(
      `column max/mean: per column, the busiest and the mean PE's ${
        lanes > 1 ? `lines of ${lanes} rows` : "non-zeros"
      } (the cycles a fired column costs on a delta datapath), mean over columns (computed)`,
    );
  }
  console.log(
    `overall: ${report.nonZeros} non-zeros of ${report.weights} weights (computed): density ${
      report.density.toFixed(4)
    }, compression ${report.compression.toFixed(2)}x${
      report.peLoad
        ? `, PE imbalance ${
          percent(report.peLoad.imbalance)
        } over ${report.peLoad.pes} PEs (max/mean - 1)`
        : ""
    }`,
  );
}

/** A result beside the baselines at its density, as the comparisons name them. */
export interface BaselineFigures<T> {
  /** The pruned model being reported. */
  result: T;
  /** Uniform BCR, 16x16, column share 0.5. */
  bcrUniform: T;
  /** Magnitude pruning per matrix. */
  magnitudePerMatrix: T;
  /** Magnitude pruning, one global threshold. */
  magnitudeGlobal: T;
}

/** The rows of a comparison with the baselines, labelled as the terminal prints them. */
export function baselineRows<T>(comparison: BaselineFigures<T>): [label: string, figures: T][] {
  return [
    ["BCR, this result", comparison.result],
    ["BCR, uniform 16x16 (no search)", comparison.bcrUniform],
    ["magnitude, per matrix (unstructured)", comparison.magnitudePerMatrix],
    ["magnitude, global (unstructured)", comparison.magnitudeGlobal],
  ];
}

/** The fidelity of the pruned model beside uniform BCR and magnitude pruning. */
export function printFidelity(comparison: FidelityComparison, calibrationLabel: string): void {
  console.log(
    `fidelity against the dense model (measured with the float64 reference on ${calibrationLabel}; density ${
      comparison.density.toFixed(4)
    } for all rows):`,
  );
  for (const [label, fidelity] of baselineRows(comparison)) {
    console.log(
      `  ${pad(label, 38)} relative RMS error ${fidelity.relativeRmsError.toFixed(5)}  cosine ${
        fidelity.cosine.toFixed(5)
      }`,
    );
  }
}

/** The detected structure of every weight matrix (and the check for one block, when given). */
export function structureOf(model: RnnModel, checkBlock?: BlockSize) {
  return namedMatrices(model).map(({ name, matrix }) => {
    const density = detectBcr(matrix, { rows: 1, cols: 1 }).density;
    const entry: {
      name: string;
      rows: number;
      cols: number;
      density: number;
      bcrBlocks?: string[];
      check?: BcrCheck;
    } = { name, rows: matrix.rows, cols: matrix.cols, density };
    if (density < 1) {
      entry.bcrBlocks = findBcrBlocks(matrix)
        .filter((b) => b.rows > 1 && b.cols > 1)
        .map(formatBlock);
    }
    if (checkBlock) entry.check = detectBcr(matrix, checkBlock);
    return entry;
  });
}

/** One line per matrix of `structureOf`. */
export function printStructure(structure: ReturnType<typeof structureOf>): void {
  for (const entry of structure) {
    const detected = entry.bcrBlocks
      ? entry.bcrBlocks.length > 0
        ? `BCR for blocks ${entry.bcrBlocks.join(", ")} (largest power-of-two shapes)`
        : "no BCR structure with blocks larger than one row or column"
      : "dense";
    const check = entry.check
      ? `; ${formatBlock(entry.check.block)}: ${
        entry.check.isBcr
          ? "BCR"
          : `not BCR (${entry.check.holes} holes, fill ${entry.check.fill.toFixed(4)})`
      }, colKeep ${entry.check.colKeep.toFixed(3)}, rowKeep ${entry.check.rowKeep.toFixed(3)}`
      : "";
    console.log(
      `  ${pad(entry.name, 14)}${pad(`${entry.rows}x${entry.cols}`, 11)} density ${
        entry.density.toFixed(4)
      }: ${detected}${check}`,
    );
  }
}

/**
 * Whether every pruned matrix is BCR for the block (rows in lane order with `lanes`, as
 * `prune --pes N --lanes L` pruned them), printed with the matrices that are not.
 */
export function checkOutput(
  pruned: RnnModel,
  block: BlockSize,
  lanes?: { pes: number; lanes: number },
): { outputCheck: (BcrCheck & { name: string })[]; outputIsBcr: boolean } {
  const outputCheck = namedMatrices(pruned).map(({ name, matrix }) => ({
    name,
    ...detectBcr(
      lanes && lanes.lanes > 1
        ? laneOrderedMatrix(matrix, { name, model: pruned, ...lanes })
        : matrix,
      block,
    ),
  }));
  const outputIsBcr = outputCheck.every((entry) => entry.isBcr);
  const holes = outputCheck.filter((e) => !e.isBcr).map((e) => `${e.name}: ${e.holes} holes`);
  console.log(
    `output is ${outputIsBcr ? "" : "not "}BCR for block ${formatBlock(block)} in every matrix${
      outputIsBcr
        ? ""
        : ` (${holes.join(", ")}; the input had exact zeros inside kept rows and columns)`
    }`,
  );
  return { outputCheck, outputIsBcr };
}
