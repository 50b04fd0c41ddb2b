/**
 * Block-based Column-Row (BCR) pruning, as in GRIM and RTMobile: every weight matrix is tiled
 * into R x C blocks; inside each block whole columns are removed by their L2 norm (within the
 * block), then whole rows by the L2 norm of what the kept columns leave. Optionally the kept rows
 * are rebalanced over N processing elements (balance.ts).
 *
 * Everything is a pure function of its arguments: the same input gives the same output.
 * The algorithm and the rounding rules are written down in docs/pruning.md.
 *
 * @module
 */

import { cloneModel, type Matrix, namedMatrices, type RnnModel } from "../model/model.ts";
import {
  blockColCount,
  blockRowCount,
  type BlockSize,
  EPSILON,
  type Grid,
  makeGrid,
  validateFraction,
} from "./block.ts";
import { balanceRows, modelPeLoad, type PeLoad, peLoadImbalance } from "./balance.ts";
import { balanceGroups } from "./balance_groups.ts";
import { matrixColumnBalance, matrixLaneOrder, permuteRows } from "./lane_order.ts";
import { balanceColumns, type ColumnBalanceStats } from "./balance_columns.ts";

/** Explicit keep fractions: the fraction of columns, then of rows, kept inside each block. */
export interface KeepRates {
  /** Fraction of the columns of each block that are kept, in (0, 1]. */
  colKeep: number;
  /** Fraction of the rows of each (non-empty) block that are kept after column pruning, (0, 1]. */
  rowKeep: number;
}

/** A target density: the column keep fraction is density^colShare, rows make up the rest. */
export interface DensityRate {
  /** Fraction of the matrix's weights that stay non-zero, in (0, 1]. */
  density: number;
  /**
   * Share of the pruning done by columns, in [0, 1]: colKeep = density^colShare; the row keep
   * fraction is then chosen so that the kept count meets the density. Default 0.5.
   */
  colShare?: number;
}

/** Options of `pruneMatrixBcr`. */
export type MatrixPruneOptions = (KeepRates | DensityRate) & {
  /** Block shape; clipped to the matrix (use `checkBlockFits` to reject oversized blocks). */
  block: BlockSize;
  /** Balance the kept non-zeros over this many PEs (rows interleaved); 1 or absent: no balancing. */
  pes?: number;
  /**
   * Lane groups: rows with the same id inside a block are kept or pruned together (the rows one
   * weight word of a PE with MAC lanes holds; `modelLaneOrder`: id = line * pes + PE). With
   * `pes`, whole groups are balanced over the PEs (balance_groups.ts, or with `balance: "columns"`
   * every column's lines: balance_columns.ts) instead of rows.
   */
  rowGroups?: Int32Array;
  /**
   * What `pes` balances: "rows" (default: each PE's non-zeros over the whole matrix) or
   * "columns" (each column's non-zeros over the PEs, for delta datapaths: balance_columns.ts).
   */
  balance?: PeBalance;
};

/** What PE balancing evens out: whole-matrix loads, or every column's share (delta). */
export type PeBalance = "rows" | "columns";

/** What `pruneMatrixBcr` did to one matrix. */
export interface MatrixPruneStats {
  /** The block shape used (clipped to the matrix). */
  block: BlockSize;
  /** Column keep fraction used. */
  colKeep: number;
  /** Row keep fraction used (computed from the density in density mode). */
  rowKeep: number;
  /** Number of weights (rows * cols). */
  weights: number;
  /** Non-zero weights after pruning (measured on the result). */
  nonZeros: number;
  /** nonZeros / weights. */
  density: number;
  /** Number of blocks. */
  blocks: number;
  /** Blocks left without any weight. */
  emptyBlocks: number;
  /** Row swaps made by load balancing (0 without --pes). */
  balanceSwaps: number;
}

/** Kept positions, block by block: absolute row and column indices, ascending. */
export interface BcrBlockPattern {
  /** First row of the block. */
  rowStart: number;
  /** First column of the block. */
  colStart: number;
  /** Rows in the block (smaller at the bottom edge). */
  rows: number;
  /** Columns in the block (smaller at the right edge). */
  cols: number;
  /** Kept rows (absolute indices, ascending). */
  keptRows: number[];
  /** Kept columns (absolute indices, ascending). */
  keptCols: number[];
}

/** Result of `pruneMatrixBcr`. */
export interface MatrixPruneResult {
  /** The pruned matrix: kept weights copied, every other weight exactly 0. */
  matrix: Matrix;
  /** The kept rows and columns of every block, row-major block order. */
  pattern: BcrBlockPattern[];
  /** Counts and rates. */
  stats: MatrixPruneStats;
}

/** Rates for a whole model: one setting for all matrices, or one per matrix name. */
export interface ModelPruneOptions {
  /** Block shape shared by all matrices (clipped per matrix). */
  block: BlockSize;
  /** Rates for every matrix; entries of `perMatrix` override it by name (e.g. "weight_hh_l0"). */
  rates: KeepRates | DensityRate;
  /** Per-matrix rates by name. */
  perMatrix?: Record<string, KeepRates | DensityRate>;
  /** Balance every matrix over this many PEs. */
  pes?: number;
  /**
   * MAC lanes L of the PEs (with `pes`): prune in lane order, keeping whole lines of L rows
   * (the rows that share a weight word), instead of balancing single rows.
   */
  lanes?: number;
  /**
   * What `pes` balances (default "rows"; "columns" for delta datapaths: with `lanes`, every
   * column's lines).
   */
  balance?: PeBalance;
}

/** Per-matrix line of a model pruning report. */
export interface MatrixReport extends MatrixPruneStats {
  /** State-dict name, e.g. "weight_ih_l0". */
  name: string;
  /** Matrix rows. */
  rows: number;
  /** Matrix columns. */
  cols: number;
  /** PE loads and imbalance, when `pes` was given. */
  peLoad?: PeLoad;
  /**
   * When `pes` was given: per column, the busiest and the mean PE's kept entries (with `lanes`,
   * lines: what a fired column costs on a delta datapath), averaged over columns.
   */
  columnBalance?: ColumnBalanceStats;
}

/** Report of `pruneModelBcr`. */
export interface ModelPruneReport {
  /** One entry per weight matrix, in `namedMatrices` order. */
  matrices: MatrixReport[];
  /** Weights over all matrices. */
  weights: number;
  /** Non-zeros over all matrices. */
  nonZeros: number;
  /** nonZeros / weights. */
  density: number;
  /** weights / nonZeros. */
  compression: number;
  /** PE loads summed over all matrices, when `pes` was given. */
  peLoad?: PeLoad;
}

/**
 * Integer keep counts with a quota: every unit (block) keeps floor(f * size) or ceil(f * size)
 * items and the units together keep round(f * total size) items, or, when `costs` is given, items
 * whose summed cost comes closest to f * sum(size * cost) (each item of unit u costs costs[u]).
 * The units that get the extra item are those whose next candidate scores highest (ties: lower
 * unit index); `nextScore(u, k)` is the score of unit u's (k+1)-th best item.
 */
function allocateKeepCounts(
  sizes: number[],
  fraction: number,
  nextScore: (unit: number, base: number) => number,
  costs?: number[],
): number[] {
  if (fraction >= 1 - EPSILON) return sizes.slice();
  const cost = (unit: number) => costs ? costs[unit] : 1;
  const counts = sizes.map((size) => Math.floor(fraction * size + EPSILON));
  let totalCost = 0;
  let baseCost = 0;
  sizes.forEach((size, unit) => {
    totalCost += size * cost(unit);
    baseCost += counts[unit] * cost(unit);
  });
  const quota = costs ? fraction * totalCost : Math.floor(fraction * totalCost + 0.5 + EPSILON);
  let remaining = quota - baseCost;
  if (remaining <= EPSILON) return counts;
  const candidates: { unit: number; score: number }[] = [];
  sizes.forEach((size, unit) => {
    if (fraction * size - counts[unit] > EPSILON && counts[unit] < size && cost(unit) > 0) {
      candidates.push({ unit, score: nextScore(unit, counts[unit]) });
    }
  });
  candidates.sort((a, b) => b.score - a.score || a.unit - b.unit);
  for (const { unit } of candidates) {
    // Take the extra item while it brings the kept cost closer to the quota.
    if (remaining < cost(unit) / 2 + EPSILON) continue;
    counts[unit]++;
    remaining -= cost(unit);
    if (remaining <= EPSILON) break;
  }
  return counts;
}

/** Indices 0..n-1 ordered by score high to low, ties by lower index. */
function rankByScore(scores: ArrayLike<number>, offset: number, length: number): number[] {
  const order = Array.from({ length }, (_, i) => i);
  order.sort((a, b) => scores[offset + b] - scores[offset + a] || a - b);
  return order;
}

/** The column stage: per block, the kept columns (absolute indices, ascending). */
function selectColumns(matrix: Matrix, grid: Grid, colKeep: number) {
  const { rows, cols, data } = matrix;
  // Squared column norms per block row, then per-block keep counts.
  const colSquares = new Float64Array(grid.gridRows * cols);
  for (let r = 0; r < rows; r++) {
    const offset = Math.floor(r / grid.blockRows) * cols;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const w = data[base + c];
      colSquares[offset + c] += w * w;
    }
  }
  const colRank: number[][] = [];
  const blockWidths: number[] = [];
  for (let gr = 0; gr < grid.gridRows; gr++) {
    for (let gc = 0; gc < grid.gridCols; gc++) {
      const width = blockColCount(grid, gc);
      blockWidths.push(width);
      colRank.push(rankByScore(colSquares, gr * cols + gc * grid.blockCols, width));
    }
  }
  const keptColCounts = allocateKeepCounts(blockWidths, colKeep, (unit, base) => {
    const gr = Math.floor(unit / grid.gridCols);
    const gc = unit % grid.gridCols;
    return colSquares[gr * cols + gc * grid.blockCols + colRank[unit][base]];
  });
  const keptCols: number[][] = keptColCounts.map((count, unit) => {
    const colStart = (unit % grid.gridCols) * grid.blockCols;
    return colRank[unit].slice(0, count).map((c) => colStart + c).sort((a, b) => a - b);
  });
  return { keptColCounts, keptCols };
}

/** What the row stage decided. */
interface RowSelection {
  /** Row keep fraction used. */
  rowKeep: number;
  /** Per block, 1 for each kept row. */
  keptRowFlags: Uint8Array[];
  /** Squared row norms over the kept columns, [block column][row]. */
  rowSquares: Float64Array;
}

/**
 * The row stage: squared row norms over the kept columns of each block, then per-block keep
 * counts (with a density target the quota is counted in non-zeros: a row costs its kept columns).
 */
function selectRows(
  matrix: Matrix,
  grid: Grid,
  columns: { keptColCounts: number[]; keptCols: number[][] },
  rate: { rowKeep: number } | { density: number },
  rowGroups?: Int32Array,
): RowSelection {
  const { rows, cols, data } = matrix;
  const { keptColCounts, keptCols } = columns;
  const blockCount = grid.gridRows * grid.gridCols;
  const rowSquares = new Float64Array(grid.gridCols * rows); // [gc][r]
  for (let unit = 0; unit < blockCount; unit++) {
    const gr = Math.floor(unit / grid.gridCols);
    const gc = unit % grid.gridCols;
    const rowStart = gr * grid.blockRows;
    const height = blockRowCount(grid, gr);
    const kept = keptCols[unit];
    for (let r = rowStart; r < rowStart + height; r++) {
      let sum = 0;
      const base = r * cols;
      for (const c of kept) sum += data[base + c] * data[base + c];
      rowSquares[gc * rows + r] = sum;
    }
  }
  const blockHeights: number[] = [];
  const rowRank: number[][] = [];
  let keptArea = 0;
  for (let unit = 0; unit < blockCount; unit++) {
    const gr = Math.floor(unit / grid.gridCols);
    const gc = unit % grid.gridCols;
    const height = keptColCounts[unit] > 0 ? blockRowCount(grid, gr) : 0;
    blockHeights.push(height);
    keptArea += height * keptColCounts[unit];
    rowRank.push(rankByScore(rowSquares, gc * rows + gr * grid.blockRows, height));
  }
  const rowKeep = "density" in rate
    ? keptArea > 0 ? Math.min(1, (rate.density * rows * cols) / keptArea) : 1
    : rate.rowKeep;
  if (rowGroups) {
    const keptRowFlags = selectRowGroups(grid, columns.keptColCounts, rowSquares, {
      rowKeep,
      rowGroups,
      density: "density" in rate,
    });
    return { rowKeep, keptRowFlags, rowSquares };
  }
  // Extra rows go to the blocks whose next row has the largest mean square per kept column.
  const keptRowCounts = allocateKeepCounts(
    blockHeights,
    rowKeep,
    (unit, base) => {
      const gr = Math.floor(unit / grid.gridCols);
      const gc = unit % grid.gridCols;
      const squares = rowSquares[gc * rows + gr * grid.blockRows + rowRank[unit][base]];
      return squares / keptColCounts[unit];
    },
    "density" in rate ? keptColCounts : undefined,
  );
  // keptRowFlags[unit][i]: row i of the block is kept.
  const keptRowFlags: Uint8Array[] = keptRowCounts.map((count, unit) => {
    const flags = new Uint8Array(blockHeights[unit]);
    for (let k = 0; k < count; k++) flags[rowRank[unit][k]] = 1;
    return flags;
  });
  return { rowKeep, keptRowFlags, rowSquares };
}

/**
 * The row stage by lane groups: inside each block, the runs of rows with one group id are scored
 * by their summed squares over the kept columns and kept or pruned whole, rowKeep of the groups
 * of each block (floor or ceil, extra groups where the next group is strongest, as rows are).
 */
function selectRowGroups(
  grid: Grid,
  keptColCounts: number[],
  rowSquares: Float64Array,
  options: { rowKeep: number; rowGroups: Int32Array; density: boolean },
): Uint8Array[] {
  const { rows } = grid;
  const blockCount = grid.gridRows * grid.gridCols;
  const starts: number[][] = [];
  const scores: number[][] = [];
  const ranks: number[][] = [];
  const sizes: number[] = [];
  for (let unit = 0; unit < blockCount; unit++) {
    const gr = Math.floor(unit / grid.gridCols);
    const gc = unit % grid.gridCols;
    const rowStart = gr * grid.blockRows;
    const height = keptColCounts[unit] > 0 ? blockRowCount(grid, gr) : 0;
    const unitStarts: number[] = [];
    const unitScores: number[] = [];
    for (let i = 0; i < height; i++) {
      const r = rowStart + i;
      if (i === 0 || options.rowGroups[r] !== options.rowGroups[r - 1]) {
        unitStarts.push(i);
        unitScores.push(0);
      }
      unitScores[unitScores.length - 1] += rowSquares[gc * rows + r];
    }
    unitStarts.push(height);
    starts.push(unitStarts);
    scores.push(unitScores);
    ranks.push(rankByScore(unitScores, 0, unitScores.length));
    sizes.push(unitScores.length);
  }
  const counts = allocateKeepCounts(
    sizes,
    options.rowKeep,
    (unit, base) => scores[unit][ranks[unit][base]] / keptColCounts[unit],
    options.density ? keptColCounts : undefined,
  );
  return counts.map((count, unit) => {
    const gr = Math.floor(unit / grid.gridCols);
    const flags = new Uint8Array(keptColCounts[unit] > 0 ? blockRowCount(grid, gr) : 0);
    for (let k = 0; k < count; k++) {
      const group = ranks[unit][k];
      flags.fill(1, starts[unit][group], starts[unit][group + 1]);
    }
    return flags;
  });
}

/** Copy the kept weights into a zero matrix and list the kept rows and columns per block. */
function keptPattern(
  matrix: Matrix,
  grid: Grid,
  keptCols: number[][],
  keptRowFlags: Uint8Array[],
) {
  const { rows, cols, data } = matrix;
  const out = new Float64Array(rows * cols);
  const pattern: BcrBlockPattern[] = [];
  let emptyBlocks = 0;
  for (let unit = 0; unit < grid.gridRows * grid.gridCols; unit++) {
    const gr = Math.floor(unit / grid.gridCols);
    const gc = unit % grid.gridCols;
    const rowStart = gr * grid.blockRows;
    const keptRows: number[] = [];
    keptRowFlags[unit].forEach((flag, i) => {
      if (flag) keptRows.push(rowStart + i);
    });
    const colsKept = keptRowFlags[unit].length > 0 ? keptCols[unit] : [];
    let blockNonZeros = 0;
    for (const r of keptRows) {
      const base = r * cols;
      for (const c of colsKept) {
        out[base + c] = data[base + c];
        if (data[base + c] !== 0) blockNonZeros++;
      }
    }
    if (blockNonZeros === 0) emptyBlocks++;
    pattern.push({
      rowStart,
      colStart: gc * grid.blockCols,
      rows: blockRowCount(grid, gr),
      cols: blockColCount(grid, gc),
      keptRows,
      keptCols: keptRows.length > 0 ? colsKept : [],
    });
  }
  return { out, pattern, emptyBlocks };
}

/**
 * BCR-prune one matrix. Inside every block, the columns with the largest L2 norm (over the
 * block's rows) are kept, then the rows with the largest L2 norm over the kept columns. Each block
 * keeps floor or ceil of fraction x its size; the matrix keeps round(fraction x total) columns and
 * rows (with a density, the row quota is counted in non-zeros); the extra items go to the blocks
 * whose next candidate is strongest. With `pes`, kept rows are then moved (inside a block, or
 * between blocks while each stays within one row of its rate) to balance the PEs' non-zeros
 * without changing the density. Options outside their ranges throw a RangeError.
 */
export function pruneMatrixBcr(matrix: Matrix, options: MatrixPruneOptions): MatrixPruneResult {
  const grid = makeGrid(matrix, options.block);
  const { rows, cols } = matrix;
  let colKeep: number;
  let rate: { rowKeep: number } | { density: number };
  if ("density" in options) {
    validateFraction(options.density, "density");
    const colShare = options.colShare ?? 0.5;
    if (!(colShare >= 0 && colShare <= 1)) throw new RangeError(`colShare must be in [0, 1]`);
    colKeep = options.density ** colShare;
    rate = { density: options.density };
  } else {
    validateFraction(options.colKeep, "colKeep");
    validateFraction(options.rowKeep, "rowKeep");
    colKeep = options.colKeep;
    rate = { rowKeep: options.rowKeep };
  }
  const columns = selectColumns(matrix, grid, colKeep);
  const { rowKeep, keptRowFlags, rowSquares } = selectRows(
    matrix,
    grid,
    columns,
    rate,
    options.rowGroups,
  );
  const pes = options.pes ?? 1;
  const balanceInput = {
    grid,
    pes,
    rowKeep,
    keptColCounts: columns.keptColCounts,
    keptRowFlags,
    rowSquares,
  };
  const { rowGroups } = options;
  const columnSwaps = pes > 1 && options.balance === "columns"
    ? balanceColumns({ matrix, grid, pes, keptCols: columns.keptCols, keptRowFlags, rowGroups })
    : 0;
  // with lane groups, then whole groups over the PEs' loads: where no column move lowers the
  // potential (a PE holding one line of each column), the loads still end even
  const balanceSwaps = pes <= 1
    ? 0
    : rowGroups
    ? columnSwaps + balanceGroups({ ...balanceInput, rowGroups })
    : options.balance === "columns"
    ? columnSwaps
    : balanceRows(balanceInput);
  const { out, pattern, emptyBlocks } = keptPattern(matrix, grid, columns.keptCols, keptRowFlags);
  let nonZeros = 0;
  for (const w of out) if (w !== 0) nonZeros++;
  return {
    matrix: { rows, cols, data: out },
    pattern,
    stats: {
      block: { rows: grid.blockRows, cols: grid.blockCols },
      colKeep,
      rowKeep,
      weights: rows * cols,
      nonZeros,
      density: rows * cols > 0 ? nonZeros / (rows * cols) : 0,
      blocks: grid.gridRows * grid.gridCols,
      emptyBlocks,
      balanceSwaps,
    },
  };
}

/**
 * BCR-prune every weight matrix of a model (biases and peepholes untouched). Returns a new model
 * and a report; the input is not modified.
 */
export function pruneModelBcr(
  model: RnnModel,
  options: ModelPruneOptions,
): { model: RnnModel; report: ModelPruneReport } {
  const pruned = cloneModel(model);
  const prunedMatrices = new Map(namedMatrices(pruned).map((entry) => [entry.name, entry.matrix]));
  const matrices: MatrixReport[] = [];
  for (const { name, matrix } of namedMatrices(model)) {
    const rates = options.perMatrix?.[name] ?? options.rates;
    const lanes = options.lanes ?? 1;
    const result = lanes > 1 && options.pes
      ? pruneInLaneOrder(
        matrix,
        name,
        model,
        { ...rates, block: options.block, pes: options.pes, balance: options.balance },
        lanes,
      )
      : pruneMatrixBcr(matrix, {
        ...rates,
        block: options.block,
        pes: options.pes,
        balance: options.balance,
      });
    prunedMatrices.get(name)!.data.set(result.matrix.data);
    const entry: MatrixReport = { name, rows: matrix.rows, cols: matrix.cols, ...result.stats };
    if (options.pes) {
      entry.peLoad = peLoadImbalance(result.matrix, options.pes);
      const layout = { name, model, pes: options.pes, lanes };
      entry.columnBalance = matrixColumnBalance(result.matrix, layout);
    }
    matrices.push(entry);
  }
  return { model: pruned, report: modelReport(pruned, matrices, options.pes) };
}

/**
 * BCR-prune a matrix in lane order (`modelLaneOrder`: gate matrices as the PEs hold them, the
 * projection as it is) keeping whole lane groups, and put its rows back in model order. The
 * pattern's row indices are positions in the lane order.
 */
function pruneInLaneOrder(
  matrix: Matrix,
  name: string,
  model: RnnModel,
  options: MatrixPruneOptions & { pes: number },
  lanes: number,
): MatrixPruneResult {
  const { order, groups } = matrixLaneOrder(matrix.rows, name, model, options.pes, lanes);
  const { rows, cols } = matrix;
  const permuted = permuteRows(matrix, order);
  const result = pruneMatrixBcr({ rows, cols, data: permuted }, { ...options, rowGroups: groups });
  const data = new Float64Array(rows * cols);
  order.forEach((row, i) =>
    data.set(result.matrix.data.subarray(i * cols, (i + 1) * cols), row * cols)
  );
  return { ...result, matrix: { rows, cols, data } };
}

function modelReport(model: RnnModel, matrices: MatrixReport[], pes?: number): ModelPruneReport {
  const weights = matrices.reduce((sum, m) => sum + m.weights, 0);
  const nonZeros = matrices.reduce((sum, m) => sum + m.nonZeros, 0);
  const report: ModelPruneReport = {
    matrices,
    weights,
    nonZeros,
    density: weights > 0 ? nonZeros / weights : 0,
    compression: nonZeros > 0 ? weights / nonZeros : Infinity,
  };
  if (pes) report.peLoad = modelPeLoad(model, pes);
  return report;
}
