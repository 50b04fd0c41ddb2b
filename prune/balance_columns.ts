/**
 * Column balance for delta datapaths (docs/pruning.md, "Column balance"): a design that walks
 * only the fired columns (docs/delta.md) spends, on each fired column, the time of the PE that
 * holds most of that column's non-zeros. With rows interleaved over N PEs (row r to PE r mod N),
 * this local search moves the kept rows and kept columns of BCR blocks (a kept row for a pruned
 * row of the same block, or a kept column for a pruned column of the same block: every block
 * keeps as many rows and columns as before, so the density is unchanged) so that every column's
 * non-zeros spread evenly over the PEs, as Spartus' column-balanced pruning does. With lane groups
 * (`prune --pes N --lanes L`: the L rows of one weight word of a PE, kept or pruned together), a
 * fired column costs a PE one cycle per line it holds of the column: the moves trade whole groups
 * (a kept group for a pruned group of the same size and block) and the counts are in lines.
 *
 * The potential is phi = sum over columns c and PEs p of count[c][p]^3 (count: the kept positions
 * of column c in PE p's rows; with lane groups, its kept lines). It is smallest when every column's entries are spread evenly (and
 * columns hold equal shares); the cube weighs the busiest PEs more than a square would (on
 * random 256 x 64 matrices, 8x8 blocks at 0.5 x 0.5 on 32 PEs, it ends with no column above 3
 * entries in a PE where the square leaves 4s). Every move made lowers phi strictly, so the
 * search ends. Each
 * round takes, per block, the move that loses the least squared weight per unit of phi it
 * removes, and makes these moves in that order (each checked again against the counts of the
 * moves before it).
 *
 * @module
 */

import type { Matrix } from "../model/model.ts";
import type { Grid } from "./block.ts";

/** What the column balancer works on; `keptCols` and `keptRowFlags` are changed in place. */
export interface ColumnBalanceInput {
  /** The matrix (its weights score the moves). */
  matrix: Matrix;
  /** The block grid. */
  grid: Grid;
  /** PEs (row r to PE r mod pes). */
  pes: number;
  /** Per block (row-major), the kept columns (absolute indices). */
  keptCols: number[][];
  /** Per block, 1 for each kept row (block-relative). */
  keptRowFlags: Uint8Array[];
  /**
   * Lane group id of each row (`modelLaneOrder`: line * pes + PE, so id mod pes is the PE); the
   * rows of one id inside a block are kept or pruned together and count one line. Without it
   * every row is its own group (row r: PE r mod pes).
   */
  rowGroups?: Int32Array;
}

/** A run of a block's rows kept or pruned together: a lane group, or one row. */
interface RowGroup {
  /** First row (block-relative). */
  start: number;
  /** One past the last row. */
  end: number;
  /** The PE that holds it. */
  pe: number;
}

/** The row groups of every block (row-major), in row order. */
function blockRowGroups(
  grid: Grid,
  pes: number,
  keptRowFlags: Uint8Array[],
  rowGroups?: Int32Array,
): RowGroup[][] {
  return keptRowFlags.map((flags, unit) => {
    const rowStart = Math.floor(unit / grid.gridCols) * grid.blockRows;
    const groups: RowGroup[] = [];
    for (let i = 0; i < flags.length; i++) {
      const id = rowGroups ? rowGroups[rowStart + i] : rowStart + i;
      if (i === 0 || !rowGroups || id !== rowGroups[rowStart + i - 1]) {
        groups.push({ start: i, end: i, pe: id % pes });
      }
      groups[groups.length - 1].end = i + 1;
    }
    return groups;
  });
}

/** One candidate move: a kept item of a block traded for a pruned one. */
interface ColumnMove {
  unit: number;
  kind: "row" | "col";
  /** Kept item given up (row: group index in the block; col: absolute column). */
  give: number;
  /** Pruned item taken. */
  take: number;
  /** Change of phi (negative). */
  dPhi: number;
  /** Squared weight lost (may be negative: a gain). */
  loss: number;
}

/**
 * Kept positions (with `rowGroups`: kept lines, a group counting once) per column and PE:
 * `counts[c * pes + p]`.
 */
export function columnPeCounts(
  grid: Grid,
  pes: number,
  keptCols: number[][],
  keptRowFlags: Uint8Array[],
  rowGroups?: Int32Array,
): Int32Array {
  return countsOfGroups(
    grid,
    pes,
    keptCols,
    keptRowFlags,
    blockRowGroups(grid, pes, keptRowFlags, rowGroups),
  );
}

function countsOfGroups(
  grid: Grid,
  pes: number,
  keptCols: number[][],
  keptRowFlags: Uint8Array[],
  groups: RowGroup[][],
): Int32Array {
  const counts = new Int32Array(grid.cols * pes);
  groups.forEach((unitGroups, unit) => {
    for (const { start, pe } of unitGroups) {
      if (keptRowFlags[unit][start]) { for (const c of keptCols[unit]) counts[c * pes + pe]++; }
    }
  });
  return counts;
}

/** The column balancer's state. */
class ColumnBalancer {
  readonly counts: Int32Array;
  /** Per block, its row groups. */
  private readonly groups: RowGroup[][];

  constructor(private readonly input: ColumnBalanceInput) {
    const { grid, pes, keptCols, keptRowFlags, rowGroups } = input;
    this.groups = blockRowGroups(grid, pes, keptRowFlags, rowGroups);
    this.counts = countsOfGroups(grid, pes, keptCols, keptRowFlags, this.groups);
  }

  /** The kept groups of a block. */
  private keptGroups(unit: number): RowGroup[] {
    const flags = this.input.keptRowFlags[unit];
    return this.groups[unit].filter((g) => flags[g.start] === 1);
  }

  private rowStart(unit: number): number {
    return Math.floor(unit / this.input.grid.gridCols) * this.input.grid.blockRows;
  }

  private weight(row: number, col: number): number {
    const { matrix } = this.input;
    const w = matrix.data[row * matrix.cols + col];
    return w * w;
  }

  /** Change of phi when every (column, PE) in `changes` moves by its amount. */
  private phiChange(changes: Map<number, number>): number {
    let d = 0;
    for (const [key, delta] of changes) {
      const n = this.counts[key];
      d += (n + delta) ** 3 - n ** 3;
    }
    return d;
  }

  /** The (column, PE) changes of a move. */
  private changesOf(move: Pick<ColumnMove, "unit" | "kind" | "give" | "take">) {
    const { pes, keptCols } = this.input;
    const changes = new Map<number, number>();
    const add = (key: number, delta: number) => changes.set(key, (changes.get(key) ?? 0) + delta);
    if (move.kind === "row") {
      const give = this.groups[move.unit][move.give].pe;
      const take = this.groups[move.unit][move.take].pe;
      for (const c of keptCols[move.unit]) {
        add(c * pes + give, -1);
        add(c * pes + take, 1);
      }
    } else {
      for (const { pe } of this.keptGroups(move.unit)) {
        add(move.give * pes + pe, -1);
        add(move.take * pes + pe, 1);
      }
    }
    return changes;
  }

  private lossOf(move: Pick<ColumnMove, "unit" | "kind" | "give" | "take">): number {
    const start = this.rowStart(move.unit);
    let loss = 0;
    if (move.kind === "row") {
      const cols = this.input.keptCols[move.unit];
      const squares = (g: RowGroup) => {
        let sum = 0;
        for (let i = g.start; i < g.end; i++) {
          for (const c of cols) sum += this.weight(start + i, c);
        }
        return sum;
      };
      const groups = this.groups[move.unit];
      loss = squares(groups[move.give]) - squares(groups[move.take]);
    } else {
      for (const g of this.keptGroups(move.unit)) {
        for (let i = g.start; i < g.end; i++) {
          loss += this.weight(start + i, move.give) - this.weight(start + i, move.take);
        }
      }
    }
    return loss;
  }

  private static better(move: ColumnMove, best: ColumnMove | null): boolean {
    if (!best) return true;
    const a = move.loss / -move.dPhi;
    const b = best.loss / -best.dPhi;
    return a < b || (a === b && move.dPhi < best.dPhi);
  }

  private consider(
    candidate: Pick<ColumnMove, "unit" | "kind" | "give" | "take">,
    best: ColumnMove | null,
  ): ColumnMove | null {
    const dPhi = this.phiChange(this.changesOf(candidate));
    if (dPhi >= 0) return best;
    const move = { ...candidate, dPhi, loss: this.lossOf(candidate) };
    return ColumnBalancer.better(move, best) ? move : best;
  }

  /** The best phi-lowering move inside a block, or null. */
  bestMove(unit: number): ColumnMove | null {
    const { grid, keptCols, keptRowFlags } = this.input;
    const flags = keptRowFlags[unit];
    const kept = keptCols[unit];
    if (flags.length === 0 || kept.length === 0) return null;
    let best: ColumnMove | null = null;
    const groups = this.groups[unit];
    const size = (g: RowGroup) => g.end - g.start;
    for (let give = 0; give < groups.length; give++) {
      if (!flags[groups[give].start]) continue;
      for (let take = 0; take < groups.length; take++) {
        // a group for a pruned group of the same size: the block keeps as many rows
        if (flags[groups[take].start] || size(groups[take]) !== size(groups[give])) continue;
        best = this.consider({ unit, kind: "row", give, take }, best);
      }
    }
    const colStart = (unit % grid.gridCols) * grid.blockCols;
    const width = Math.min(grid.blockCols, grid.cols - colStart);
    const keptSet = new Set(kept);
    for (const give of kept) {
      for (let take = colStart; take < colStart + width; take++) {
        if (!keptSet.has(take)) best = this.consider({ unit, kind: "col", give, take }, best);
      }
    }
    return best;
  }

  /** Make a move if it still lowers phi; whether it was made. */
  apply(move: ColumnMove): boolean {
    const changes = this.changesOf(move);
    if (this.phiChange(changes) >= 0) return false;
    for (const [key, delta] of changes) this.counts[key] += delta;
    const { keptCols, keptRowFlags } = this.input;
    if (move.kind === "row") {
      const give = this.groups[move.unit][move.give];
      const take = this.groups[move.unit][move.take];
      keptRowFlags[move.unit].fill(0, give.start, give.end);
      keptRowFlags[move.unit].fill(1, take.start, take.end);
    } else {
      const cols = keptCols[move.unit];
      cols[cols.indexOf(move.give)] = move.take;
      cols.sort((a, b) => a - b);
    }
    return true;
  }
}

/**
 * Column-balanced selection: move kept rows (with `rowGroups`: whole groups) and columns inside
 * blocks, each move lowering phi = sum of count[c][p]^3, cheapest in squared weight per unit of
 * phi first, until no move lowers it (or `maxRounds` rounds). Changes `keptCols` and
 * `keptRowFlags` in place; returns the number of moves made.
 */
export function balanceColumns(input: ColumnBalanceInput, maxRounds = 200): number {
  const balancer = new ColumnBalancer(input);
  const units = input.keptRowFlags.length;
  let moves = 0;
  for (let round = 0; round < maxRounds; round++) {
    const candidates: ColumnMove[] = [];
    for (let unit = 0; unit < units; unit++) {
      const move = balancer.bestMove(unit);
      if (move) candidates.push(move);
    }
    candidates.sort((a, b) => a.loss / -a.dPhi - b.loss / -b.dPhi || a.unit - b.unit);
    let made = 0;
    for (const move of candidates) if (balancer.apply(move)) made++;
    moves += made;
    if (made === 0) break;
  }
  return moves;
}

/**
 * Per column, the largest and the mean of its kept positions over the PEs (with lane groups: its
 * lines, the cycles a fired column costs a PE with MAC lanes).
 */
export interface ColumnBalanceStats {
  /** Mean over columns of the busiest PE's count (the cycles a fired column costs). */
  meanMax: number;
  /** Mean over columns of the mean PE's count. */
  meanMean: number;
  /** Largest count of any column in any PE. */
  worst: number;
}

/**
 * Column balance of a matrix's non-zeros with rows interleaved over `pes` PEs (row r to PE r mod
 * pes), or, with `rowGroups` (a lane group id per row, id mod pes its PE: `modelLaneOrder`), in
 * lines: a PE's count of a column is the number of its groups with a non-zero in the column.
 */
export function columnBalanceOf(
  matrix: Matrix,
  pes: number,
  rowGroups?: Int32Array,
): ColumnBalanceStats {
  const { rows, cols, data } = matrix;
  const counts = new Int32Array(cols * pes);
  const groupOf = (r: number) => rowGroups ? rowGroups[r] : r;
  let groups = 0;
  for (let r = 0; r < rows; r++) groups = Math.max(groups, groupOf(r) + 1);
  const seen = new Uint8Array(groups * cols);
  for (let r = 0; r < rows; r++) {
    const g = groupOf(r);
    for (let c = 0; c < cols; c++) {
      if (data[r * cols + c] === 0 || seen[g * cols + c]) continue;
      seen[g * cols + c] = 1;
      counts[c * pes + (g % pes)]++;
    }
  }
  let sumMax = 0;
  let sumMean = 0;
  let worst = 0;
  for (let c = 0; c < cols; c++) {
    let max = 0;
    let total = 0;
    for (let p = 0; p < pes; p++) {
      max = Math.max(max, counts[c * pes + p]);
      total += counts[c * pes + p];
    }
    sumMax += max;
    sumMean += total / pes;
    worst = Math.max(worst, max);
  }
  return {
    meanMax: cols > 0 ? sumMax / cols : 0,
    meanMean: cols > 0 ? sumMean / cols : 0,
    worst,
  };
}
