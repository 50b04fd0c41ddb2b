/**
 * Block-based Column-Row (BCR) pruning, as in GRIM and RTMobile: every weight matrix is tiled
 * into R x C blocks; inside each block whole columns are removed by their L2 norm (within the
 * block), then whole rows by the L2 norm of what the kept columns leave. Optionally the kept rows
 * are rebalanced so that N processing elements (row i to PE i mod N) get the same number of
 * non-zeros, as ESE's load-balance-aware pruning does. Also here: plain magnitude pruning (the
 * baseline), PE load accounting and the detection of the BCR structure of an existing matrix.
 *
 * Everything is a pure function of its arguments: the same input gives the same output.
 * The algorithm and the rounding rules are written down in docs/pruning.md.
 *
 * @module
 */

import { cloneModel, type Matrix, namedMatrices, type RnnModel } from "../model/model.ts";

/** A block shape. `Infinity` in a field means "the whole dimension of the matrix". */
export interface BlockSize {
  /** Rows per block (the last block row of a matrix may be shorter). */
  rows: number;
  /** Columns per block (the last block column of a matrix may be narrower). */
  cols: number;
}

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
};

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

/** Non-zeros per PE (rows interleaved: row i to PE i mod N) and the imbalance. */
export interface PeLoad {
  /** Number of PEs. */
  pes: number;
  /** Non-zeros per PE. */
  loads: number[];
  /** Largest load. */
  max: number;
  /** Smallest load. */
  min: number;
  /** Mean load (total / pes). */
  mean: number;
  /** max / mean - 1 (0 when everything is zero). */
  imbalance: number;
}

const EPSILON = 1e-9;

/** Whole-dimension-aware clip of a block to a matrix. */
export function clipBlock(block: BlockSize, matrix: Pick<Matrix, "rows" | "cols">): BlockSize {
  return {
    rows: Math.max(1, Math.min(block.rows, matrix.rows)),
    cols: Math.max(1, Math.min(block.cols, matrix.cols)),
  };
}

/** "16x16", with "all" for a whole dimension. */
export function formatBlock(block: BlockSize): string {
  const side = (n: number) => Number.isFinite(n) ? String(n) : "all";
  return `${side(block.rows)}x${side(block.cols)}`;
}

/**
 * Parse "RxC" (R, C positive integers or "all" for the whole dimension); null when malformed.
 */
export function parseBlock(text: string): BlockSize | null {
  const match = /^\s*([0-9]+|all)\s*[xX]\s*([0-9]+|all)\s*$/.exec(text);
  if (!match) return null;
  const side = (s: string) => s === "all" ? Infinity : Number(s);
  const block = { rows: side(match[1]), cols: side(match[2]) };
  return block.rows >= 1 && block.cols >= 1 ? block : null;
}

/**
 * The names of matrices a block does not fit in (block rows > matrix rows or block cols > matrix
 * cols; "all" always fits), each with its shape, e.g. "weight_ih_l0 (32x3)".
 */
export function checkBlockFits(model: RnnModel, block: BlockSize): string[] {
  return namedMatrices(model)
    .filter(({ matrix }) =>
      (Number.isFinite(block.rows) && block.rows > matrix.rows) ||
      (Number.isFinite(block.cols) && block.cols > matrix.cols)
    )
    .map(({ name, matrix }) => `${name} (${matrix.rows}x${matrix.cols})`);
}

/** The block grid of a matrix. */
interface Grid {
  rows: number;
  cols: number;
  blockRows: number;
  blockCols: number;
  gridRows: number;
  gridCols: number;
}

function makeGrid(matrix: Pick<Matrix, "rows" | "cols">, block: BlockSize): Grid {
  const clipped = clipBlock(block, matrix);
  return {
    rows: matrix.rows,
    cols: matrix.cols,
    blockRows: clipped.rows,
    blockCols: clipped.cols,
    gridRows: Math.ceil(matrix.rows / clipped.rows),
    gridCols: Math.ceil(matrix.cols / clipped.cols),
  };
}

function blockRowCount(grid: Grid, gridRow: number): number {
  return Math.min(grid.blockRows, grid.rows - gridRow * grid.blockRows);
}

function blockColCount(grid: Grid, gridCol: number): number {
  return Math.min(grid.blockCols, grid.cols - gridCol * grid.blockCols);
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

function validateFraction(value: number, what: string): void {
  if (!(value > 0 && value <= 1)) throw new RangeError(`${what} must be in (0, 1], got ${value}`);
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
  const { rows, cols, data } = matrix;
  const blockCount = grid.gridRows * grid.gridCols;
  let colKeep: number;
  let densityTarget: number | undefined;
  if ("density" in options) {
    validateFraction(options.density, "density");
    const colShare = options.colShare ?? 0.5;
    if (!(colShare >= 0 && colShare <= 1)) throw new RangeError(`colShare must be in [0, 1]`);
    densityTarget = options.density;
    colKeep = options.density ** colShare;
  } else {
    validateFraction(options.colKeep, "colKeep");
    validateFraction(options.rowKeep, "rowKeep");
    colKeep = options.colKeep;
  }

  // Column stage: squared column norms per block row, then per-block keep counts.
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

  // Row stage: squared row norms over the kept columns of each block.
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
  let rowKeep: number;
  if (densityTarget !== undefined) {
    rowKeep = keptArea > 0 ? Math.min(1, (densityTarget * rows * cols) / keptArea) : 1;
  } else {
    rowKeep = (options as KeepRates).rowKeep;
  }
  // Extra rows go to the blocks whose next row has the largest mean square per kept column;
  // with a density target the quota is counted in non-zeros (a row costs its kept columns).
  const keptRowCounts = allocateKeepCounts(
    blockHeights,
    rowKeep,
    (unit, base) => {
      const gr = Math.floor(unit / grid.gridCols);
      const gc = unit % grid.gridCols;
      const squares = rowSquares[gc * rows + gr * grid.blockRows + rowRank[unit][base]];
      return squares / keptColCounts[unit];
    },
    densityTarget !== undefined ? keptColCounts : undefined,
  );
  // keptRowFlags[unit][i]: row i of the block is kept.
  const keptRowFlags: Uint8Array[] = keptRowCounts.map((count, unit) => {
    const flags = new Uint8Array(blockHeights[unit]);
    for (let k = 0; k < count; k++) flags[rowRank[unit][k]] = 1;
    return flags;
  });

  const pes = options.pes ?? 1;
  const balanceSwaps = pes > 1
    ? balanceRows({ grid, pes, rowKeep, keptColCounts, keptRowFlags, rowSquares })
    : 0;

  const out = new Float64Array(rows * cols);
  const pattern: BcrBlockPattern[] = [];
  let emptyBlocks = 0;
  for (let unit = 0; unit < blockCount; unit++) {
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
      blocks: blockCount,
      emptyBlocks,
      balanceSwaps,
    },
  };
}

/** A max-heap of rows by squared norm (ties: lower block, then lower row first). */
class RowHeap {
  private scores: number[] = [];
  private units: number[] = [];
  private rowsOf: number[] = [];

  get size(): number {
    return this.scores.length;
  }

  private above(a: number, b: number): boolean {
    return this.scores[a] > this.scores[b] ||
      (this.scores[a] === this.scores[b] &&
        (this.units[a] < this.units[b] ||
          (this.units[a] === this.units[b] && this.rowsOf[a] < this.rowsOf[b])));
  }

  private swap(a: number, b: number): void {
    [this.scores[a], this.scores[b]] = [this.scores[b], this.scores[a]];
    [this.units[a], this.units[b]] = [this.units[b], this.units[a]];
    [this.rowsOf[a], this.rowsOf[b]] = [this.rowsOf[b], this.rowsOf[a]];
  }

  push(score: number, unit: number, row: number): void {
    this.scores.push(score);
    this.units.push(unit);
    this.rowsOf.push(row);
    let i = this.scores.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peek(): { unit: number; row: number; score: number } {
    return { unit: this.units[0], row: this.rowsOf[0], score: this.scores[0] };
  }

  pop(): void {
    const last = this.scores.length - 1;
    this.swap(0, last);
    this.scores.pop();
    this.units.pop();
    this.rowsOf.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < this.scores.length && this.above(left, top)) top = left;
      if (right < this.scores.length && this.above(right, top)) top = right;
      if (top === i) break;
      this.swap(i, top);
      i = top;
    }
  }
}

/** State of the load balancer. */
interface BalanceInput {
  grid: Grid;
  pes: number;
  rowKeep: number;
  keptColCounts: number[];
  keptRowFlags: Uint8Array[];
  rowSquares: Float64Array;
}

/** A candidate move of the load balancer. */
interface BalanceMove {
  giveUnit: number;
  give: number;
  takeUnit: number;
  take: number;
  tier: number;
  loss: number;
}

/**
 * Load-balance-aware row selection. Start from the rows chosen by norm. While the most loaded PE
 * p can hand one of its kept rows (in block A) to a pruned row of a PE q (in block A, or in a block
 * B with the same kept-column count), with load[p] - load[q] > that count (so the sum of squared
 * loads strictly falls and the loop ends), make the move that loses the least squared norm,
 * preferring q below the mean load. A move between blocks is allowed only while both blocks keep
 * |kept rows - rowKeep x rows| <= 1, so the density is unchanged and every block stays within one
 * row of its rate; a keep fraction of 1 never loses a row. Returns the number of moves.
 */
function balanceRows(input: BalanceInput): number {
  const { grid, pes, rowKeep, keptColCounts, keptRowFlags, rowSquares } = input;
  const { rows } = grid;
  const units = keptRowFlags.length;
  const loads = new Float64Array(pes);
  const counts = new Int32Array(units);
  const low = new Int32Array(units);
  const high = new Int32Array(units);
  let total = 0;
  for (let unit = 0; unit < units; unit++) {
    const flags = keptRowFlags[unit];
    const rowStart = Math.floor(unit / grid.gridCols) * grid.blockRows;
    const target = rowKeep * flags.length;
    const fixed = rowKeep >= 1 - EPSILON;
    low[unit] = fixed ? flags.length : Math.max(0, Math.ceil(target - 1 - EPSILON));
    high[unit] = fixed ? flags.length : Math.min(flags.length, Math.floor(target + 1 + EPSILON));
    flags.forEach((flag, i) => {
      if (flag) {
        counts[unit]++;
        loads[(rowStart + i) % pes] += keptColCounts[unit];
        total += keptColCounts[unit];
      }
    });
  }
  const mean = total / pes;
  // Block rows that contain rows of each PE.
  const blockRowsOfPe: number[][] = Array.from({ length: pes }, () => []);
  for (let gr = 0; gr < grid.gridRows; gr++) {
    const rowStart = gr * grid.blockRows;
    const height = blockRowCount(grid, gr);
    const seen = new Set<number>();
    for (let r = rowStart; r < rowStart + height; r++) seen.add(r % pes);
    for (const pe of seen) blockRowsOfPe[pe].push(gr);
  }
  const score = (unit: number, i: number) =>
    rowSquares[
      (unit % grid.gridCols) * rows + Math.floor(unit / grid.gridCols) * grid.blockRows + i
    ];
  const better = (tier: number, loss: number, best: BalanceMove | null) =>
    !best || tier < best.tier || (tier === best.tier && loss < best.loss);
  // Pruned rows that could be taken by a move between blocks, per (PE, kept-column count), in
  // max-heaps of their squared norms; stale entries are dropped when they reach the top.
  const costIndex = new Map<number, number>();
  for (const cost of keptColCounts) {
    if (cost > 0 && !costIndex.has(cost)) costIndex.set(cost, costIndex.size);
  }
  const heaps: RowHeap[] = Array.from({ length: pes * costIndex.size }, () => new RowHeap());
  const pushPrunedRows = (unit: number) => {
    const cost = keptColCounts[unit];
    if (cost === 0) return;
    const flags = keptRowFlags[unit];
    const rowStart = Math.floor(unit / grid.gridCols) * grid.blockRows;
    for (let i = 0; i < flags.length; i++) {
      if (flags[i]) continue;
      heaps[((rowStart + i) % pes) * costIndex.size + costIndex.get(cost)!].push(
        score(unit, i),
        unit,
        i,
      );
    }
  };
  for (let unit = 0; unit < units; unit++) pushPrunedRows(unit);
  const topTake = (heap: RowHeap): { unit: number; row: number; score: number } | null => {
    while (heap.size > 0) {
      const top = heap.peek();
      if (!keptRowFlags[top.unit][top.row] && counts[top.unit] < high[top.unit]) return top;
      heap.pop();
    }
    return null;
  };
  let moves = 0;
  const limit = 4 * rows * grid.gridCols + 16;
  while (moves < limit) {
    let heaviest = 0;
    for (let p = 1; p < pes; p++) if (loads[p] > loads[heaviest]) heaviest = p;
    let best: BalanceMove | null = null;
    // Weakest kept row of the heaviest PE per kept-column count, among blocks that may lose one.
    const gives = new Map<number, { unit: number; row: number; score: number }>();
    for (const gr of blockRowsOfPe[heaviest]) {
      const rowStart = gr * grid.blockRows;
      const first = (((heaviest - rowStart) % pes) + pes) % pes;
      for (let gc = 0; gc < grid.gridCols; gc++) {
        const unit = gr * grid.gridCols + gc;
        const flags = keptRowFlags[unit];
        const cost = keptColCounts[unit];
        if (cost === 0 || flags.length === 0) continue;
        let give = -1;
        for (let i = first; i < flags.length; i += pes) {
          if (flags[i] && (give < 0 || score(unit, i) < score(unit, give))) give = i;
        }
        if (give < 0) continue;
        const giveScore = score(unit, give);
        for (let i = 0; i < flags.length; i++) {
          if (flags[i]) continue;
          const q = (rowStart + i) % pes;
          if (loads[heaviest] - loads[q] <= cost) continue;
          const tier = loads[q] < mean ? 0 : 1;
          const loss = giveScore - score(unit, i);
          if (better(tier, loss, best)) {
            best = { giveUnit: unit, give, takeUnit: unit, take: i, tier, loss };
          }
        }
        if (counts[unit] > low[unit]) {
          const current = gives.get(cost);
          if (!current || giveScore < current.score) {
            gives.set(cost, { unit, row: give, score: giveScore });
          }
        }
      }
    }
    for (const [cost, giver] of gives) {
      for (let q = 0; q < pes; q++) {
        if (loads[heaviest] - loads[q] <= cost) continue;
        const take = topTake(heaps[q * costIndex.size + costIndex.get(cost)!]);
        if (!take || take.unit === giver.unit) continue;
        const tier = loads[q] < mean ? 0 : 1;
        const loss = giver.score - take.score;
        if (better(tier, loss, best)) {
          best = {
            giveUnit: giver.unit,
            give: giver.row,
            takeUnit: take.unit,
            take: take.row,
            tier,
            loss,
          };
        }
      }
    }
    if (!best) break;
    const cost = keptColCounts[best.giveUnit];
    keptRowFlags[best.giveUnit][best.give] = 0;
    keptRowFlags[best.takeUnit][best.take] = 1;
    counts[best.giveUnit]--;
    counts[best.takeUnit]++;
    const takeRowStart = Math.floor(best.takeUnit / grid.gridCols) * grid.blockRows;
    loads[heaviest] -= cost;
    loads[(takeRowStart + best.take) % pes] += cost;
    pushPrunedRows(best.giveUnit);
    moves++;
  }
  return moves;
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
    const result = pruneMatrixBcr(matrix, { ...rates, block: options.block, pes: options.pes });
    prunedMatrices.get(name)!.data.set(result.matrix.data);
    const entry: MatrixReport = { name, rows: matrix.rows, cols: matrix.cols, ...result.stats };
    if (options.pes) entry.peLoad = peLoadImbalance(result.matrix, options.pes);
    matrices.push(entry);
  }
  return { model: pruned, report: modelReport(pruned, matrices, options.pes) };
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

/** Count the non-zeros of a matrix. */
export function countNonZeros(matrix: Matrix): number {
  let count = 0;
  for (const w of matrix.data) if (w !== 0) count++;
  return count;
}

function loadSummary(loads: number[]): PeLoad {
  const total = loads.reduce((sum, load) => sum + load, 0);
  const mean = total / loads.length;
  const max = Math.max(...loads);
  const min = Math.min(...loads);
  return { pes: loads.length, loads, max, min, mean, imbalance: mean > 0 ? max / mean - 1 : 0 };
}

function addLoads(loads: number[], matrix: Matrix): void {
  const pes = loads.length;
  for (let r = 0; r < matrix.rows; r++) {
    let count = 0;
    const base = r * matrix.cols;
    for (let c = 0; c < matrix.cols; c++) if (matrix.data[base + c] !== 0) count++;
    loads[r % pes] += count;
  }
}

/**
 * Non-zeros per PE with rows interleaved (row i to PE i mod `pes`) and the imbalance
 * max / mean - 1.
 */
export function peLoadImbalance(matrix: Matrix, pes: number): PeLoad {
  const loads = new Array<number>(pes).fill(0);
  addLoads(loads, matrix);
  return loadSummary(loads);
}

/** PE loads summed over all weight matrices of a model (each matrix interleaved from row 0). */
export function modelPeLoad(model: RnnModel, pes: number): PeLoad {
  const loads = new Array<number>(pes).fill(0);
  for (const { matrix } of namedMatrices(model)) addLoads(loads, matrix);
  return loadSummary(loads);
}

/** Magnitude pruning scope: each matrix to the density, or one threshold over all matrices. */
export type MagnitudeScope = "per-matrix" | "global";

/**
 * Plain unstructured magnitude pruning (the baseline): keep the round(density x n) weights of
 * largest |w| per matrix ("per-matrix", default) or over all matrices together ("global"); ties
 * keep the lower index (matrices in `namedMatrices` order).
 */
export function magnitudePrune(
  model: RnnModel,
  density: number,
  scope: MagnitudeScope = "per-matrix",
): RnnModel {
  validateFraction(density, "density");
  const pruned = cloneModel(model);
  const entries = namedMatrices(pruned);
  if (scope === "per-matrix") {
    for (const { matrix } of entries) {
      keepLargest([matrix.data], Math.floor(density * matrix.data.length + 0.5 + EPSILON));
    }
  } else {
    const total = entries.reduce((sum, { matrix }) => sum + matrix.data.length, 0);
    keepLargest(
      entries.map(({ matrix }) => matrix.data),
      Math.floor(density * total + 0.5 + EPSILON),
    );
  }
  return pruned;
}

/** Zero all but the `keep` largest |values| of the arrays (ties: earlier array, lower index). */
function keepLargest(arrays: Float64Array[], keep: number): void {
  const total = arrays.reduce((sum, a) => sum + a.length, 0);
  if (keep >= total) return;
  const magnitudes = new Float64Array(total);
  let offset = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) magnitudes[offset + i] = Math.abs(a[i]);
    offset += a.length;
  }
  const sorted = magnitudes.slice().sort();
  const threshold = keep > 0 ? sorted[total - keep] : Infinity;
  let above = 0;
  for (const m of magnitudes) if (m > threshold) above++;
  let tiesLeft = keep - above;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const m = Math.abs(a[i]);
      if (m > threshold) continue;
      if (m === threshold && tiesLeft > 0) {
        tiesLeft--;
        continue;
      }
      a[i] = 0;
    }
  }
}

/** The BCR structure of one block of an existing matrix. */
export interface BlockStructure extends BcrBlockPattern {
  /** Non-zeros in the block. */
  nonZeros: number;
  /** keptRows x keptCols positions that hold an exact zero (0 for a BCR block). */
  holes: number;
}

/** Summary of `detectBcr`. */
export interface BcrCheck {
  /** Block shape checked (clipped to the matrix). */
  block: BlockSize;
  /**
   * True when, in every block, the non-zeros fill the rectangle of the block's non-zero rows x
   * non-zero columns exactly (no holes). Empty blocks count as BCR.
   */
  isBcr: boolean;
  /** Exact zeros inside the kept rectangles, summed over blocks. */
  holes: number;
  /** Non-zeros / area of the kept rectangles (1 for BCR; 1 when everything is zero). */
  fill: number;
  /** Non-zeros of the matrix. */
  nonZeros: number;
  /** nonZeros / (rows * cols). */
  density: number;
  /** Number of blocks. */
  blocks: number;
  /** Blocks without any non-zero. */
  emptyBlocks: number;
  /** Blocks whose kept rectangle has holes. */
  blocksWithHoles: number;
  /** Kept columns / columns, over non-empty blocks (the effective column keep fraction). */
  colKeep: number;
  /** Kept rows / rows, over non-empty blocks (the effective row keep fraction). */
  rowKeep: number;
}

/**
 * The block structure of a matrix: for every block, its rows with any non-zero (kept rows), its
 * columns with any non-zero (kept columns), its non-zeros and its holes (exact zeros inside
 * kept rows x kept columns).
 */
export function bcrStructure(matrix: Matrix, block: BlockSize): BlockStructure[] {
  const grid = makeGrid(matrix, block);
  const { cols, data } = matrix;
  const out: BlockStructure[] = [];
  for (let gr = 0; gr < grid.gridRows; gr++) {
    for (let gc = 0; gc < grid.gridCols; gc++) {
      const rowStart = gr * grid.blockRows;
      const colStart = gc * grid.blockCols;
      const height = blockRowCount(grid, gr);
      const width = blockColCount(grid, gc);
      const colAny = new Uint8Array(width);
      const keptRows: number[] = [];
      let nonZeros = 0;
      for (let r = rowStart; r < rowStart + height; r++) {
        let rowCount = 0;
        for (let c = 0; c < width; c++) {
          if (data[r * cols + colStart + c] !== 0) {
            rowCount++;
            colAny[c] = 1;
          }
        }
        if (rowCount > 0) keptRows.push(r);
        nonZeros += rowCount;
      }
      const keptCols: number[] = [];
      colAny.forEach((flag, c) => {
        if (flag) keptCols.push(colStart + c);
      });
      out.push({
        rowStart,
        colStart,
        rows: height,
        cols: width,
        keptRows,
        keptCols,
        nonZeros,
        holes: keptRows.length * keptCols.length - nonZeros,
      });
    }
  }
  return out;
}

/**
 * Whether a matrix is BCR for a block shape: in every block the non-zeros fill exactly the
 * rectangle of the block's non-zero rows x non-zero columns. An exact-zero weight inside a kept
 * row and kept column (a "hole") makes the answer false; the count of holes and the fill say how
 * far from BCR the matrix is. Any matrix is BCR for 1 x C and R x 1 blocks.
 */
export function detectBcr(matrix: Matrix, block: BlockSize): BcrCheck {
  const grid = makeGrid(matrix, block);
  const { cols, data } = matrix;
  let holes = 0;
  let nonZeros = 0;
  let emptyBlocks = 0;
  let blocksWithHoles = 0;
  let keptColSum = 0;
  let colSum = 0;
  let keptRowSum = 0;
  let rowSum = 0;
  const colAny = new Uint8Array(cols);
  const keptRowCount = new Int32Array(grid.gridCols);
  const blockNonZeros = new Int32Array(grid.gridCols);
  for (let gr = 0; gr < grid.gridRows; gr++) {
    colAny.fill(0);
    keptRowCount.fill(0);
    blockNonZeros.fill(0);
    const rowStart = gr * grid.blockRows;
    const height = blockRowCount(grid, gr);
    for (let r = rowStart; r < rowStart + height; r++) {
      const base = r * cols;
      for (let gc = 0; gc < grid.gridCols; gc++) {
        const colStart = gc * grid.blockCols;
        const colEnd = colStart + blockColCount(grid, gc);
        let count = 0;
        for (let c = colStart; c < colEnd; c++) {
          if (data[base + c] !== 0) {
            count++;
            colAny[c] = 1;
          }
        }
        if (count > 0) keptRowCount[gc]++;
        blockNonZeros[gc] += count;
      }
    }
    for (let gc = 0; gc < grid.gridCols; gc++) {
      const colStart = gc * grid.blockCols;
      const width = blockColCount(grid, gc);
      let keptColCount = 0;
      for (let c = colStart; c < colStart + width; c++) keptColCount += colAny[c];
      const blockHoles = keptRowCount[gc] * keptColCount - blockNonZeros[gc];
      holes += blockHoles;
      nonZeros += blockNonZeros[gc];
      if (blockHoles > 0) blocksWithHoles++;
      if (blockNonZeros[gc] === 0) {
        emptyBlocks++;
        continue;
      }
      keptColSum += keptColCount;
      colSum += width;
      keptRowSum += keptRowCount[gc];
      rowSum += height;
    }
  }
  const weights = matrix.rows * matrix.cols;
  return {
    block: clipBlock(block, matrix),
    isBcr: holes === 0,
    holes,
    fill: nonZeros + holes > 0 ? nonZeros / (nonZeros + holes) : 1,
    nonZeros,
    density: weights > 0 ? nonZeros / weights : 0,
    blocks: grid.gridRows * grid.gridCols,
    emptyBlocks,
    blocksWithHoles,
    colKeep: colSum > 0 ? keptColSum / colSum : 0,
    rowKeep: rowSum > 0 ? keptRowSum / rowSum : 0,
  };
}

/**
 * The largest power-of-two block shapes (plus the whole dimensions) for which a matrix is BCR:
 * for every block height, the widest block width that still is BCR, keeping only shapes not
 * contained in another one found. BCR-ness is inherited by aligned sub-blocks, so this is the
 * detected block structure of an already pruned matrix.
 */
export function findBcrBlocks(matrix: Matrix): BlockSize[] {
  const sides = (n: number) => {
    const out: number[] = [];
    for (let s = 1; s < n; s *= 2) out.push(s);
    out.push(n);
    return out;
  };
  const found: BlockSize[] = [];
  for (const rows of sides(matrix.rows)) {
    let widest = 0;
    for (const cols of sides(matrix.cols)) {
      if (!detectBcr(matrix, { rows, cols }).isBcr) break;
      widest = cols;
    }
    if (widest > 0) found.push({ rows, cols: widest });
  }
  return found.filter((a) => !found.some((b) => b !== a && b.rows >= a.rows && b.cols >= a.cols));
}
