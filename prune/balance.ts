/**
 * PE load balance: non-zeros per PE with rows interleaved (row i to PE i mod N), and the
 * load-balance-aware row selection of BCR pruning (as ESE's load-balance-aware pruning): kept
 * rows move between PEs without changing the density.
 *
 * @module
 */

import { type Matrix, namedMatrices, type RnnModel } from "../model/model.ts";
import { blockRowCount, EPSILON, type Grid } from "./block.ts";

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

/** What the load balancer works on; `keptRowFlags` is changed in place. */
export interface BalanceInput {
  /** The block grid of the matrix. */
  grid: Grid;
  /** Number of PEs (row i to PE i mod pes). */
  pes: number;
  /** Row keep fraction of every block. */
  rowKeep: number;
  /** Kept columns per block (the cost of a kept row of the block). */
  keptColCounts: number[];
  /** Per block, 1 for each kept row. */
  keptRowFlags: Uint8Array[];
  /** Squared row norms over the kept columns, [block column][row]. */
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

/** A row of a block with its squared norm. */
interface ScoredRow {
  unit: number;
  row: number;
  score: number;
}

/** The balancer's state: PE loads, kept rows per block and their bounds, heaps of pruned rows. */
class Balancer {
  readonly loads: Float64Array;
  private readonly counts: Int32Array;
  private readonly low: Int32Array;
  private readonly high: Int32Array;
  private readonly mean: number;
  /** Block rows that contain rows of each PE. */
  private readonly blockRowsOfPe: number[][];
  /** Kept-column count -> index of its heaps. */
  private readonly costIndex = new Map<number, number>();
  /**
   * Pruned rows that could be taken by a move between blocks, per (PE, kept-column count), in
   * max-heaps of their squared norms; stale entries are dropped when they reach the top.
   */
  private readonly heaps: RowHeap[];

  constructor(private readonly input: BalanceInput) {
    const { grid, pes, rowKeep, keptColCounts, keptRowFlags } = input;
    const units = keptRowFlags.length;
    this.loads = new Float64Array(pes);
    this.counts = new Int32Array(units);
    this.low = new Int32Array(units);
    this.high = new Int32Array(units);
    let total = 0;
    for (let unit = 0; unit < units; unit++) {
      const flags = keptRowFlags[unit];
      const rowStart = Math.floor(unit / grid.gridCols) * grid.blockRows;
      const target = rowKeep * flags.length;
      const fixed = rowKeep >= 1 - EPSILON;
      this.low[unit] = fixed ? flags.length : Math.max(0, Math.ceil(target - 1 - EPSILON));
      this.high[unit] = fixed
        ? flags.length
        : Math.min(flags.length, Math.floor(target + 1 + EPSILON));
      flags.forEach((flag, i) => {
        if (flag) {
          this.counts[unit]++;
          this.loads[(rowStart + i) % pes] += keptColCounts[unit];
          total += keptColCounts[unit];
        }
      });
    }
    this.mean = total / pes;
    this.blockRowsOfPe = Array.from({ length: pes }, () => []);
    for (let gr = 0; gr < grid.gridRows; gr++) {
      const rowStart = gr * grid.blockRows;
      const height = blockRowCount(grid, gr);
      const seen = new Set<number>();
      for (let r = rowStart; r < rowStart + height; r++) seen.add(r % pes);
      for (const pe of seen) this.blockRowsOfPe[pe].push(gr);
    }
    for (const cost of keptColCounts) {
      if (cost > 0 && !this.costIndex.has(cost)) this.costIndex.set(cost, this.costIndex.size);
    }
    this.heaps = Array.from({ length: pes * this.costIndex.size }, () => new RowHeap());
    for (let unit = 0; unit < units; unit++) this.pushPrunedRows(unit);
  }

  private score(unit: number, i: number): number {
    const { grid, rowSquares } = this.input;
    return rowSquares[
      (unit % grid.gridCols) * grid.rows + Math.floor(unit / grid.gridCols) * grid.blockRows + i
    ];
  }

  private heapOf(pe: number, cost: number): RowHeap {
    return this.heaps[pe * this.costIndex.size + this.costIndex.get(cost)!];
  }

  private pushPrunedRows(unit: number): void {
    const { grid, pes, keptColCounts, keptRowFlags } = this.input;
    const cost = keptColCounts[unit];
    if (cost === 0) return;
    const flags = keptRowFlags[unit];
    const rowStart = Math.floor(unit / grid.gridCols) * grid.blockRows;
    for (let i = 0; i < flags.length; i++) {
      if (!flags[i]) this.heapOf((rowStart + i) % pes, cost).push(this.score(unit, i), unit, i);
    }
  }

  private topTake(heap: RowHeap): ScoredRow | null {
    while (heap.size > 0) {
      const top = heap.peek();
      if (
        !this.input.keptRowFlags[top.unit][top.row] && this.counts[top.unit] < this.high[top.unit]
      ) {
        return top;
      }
      heap.pop();
    }
    return null;
  }

  /** The most loaded PE (lowest index on ties). */
  heaviest(): number {
    let heaviest = 0;
    for (let p = 1; p < this.input.pes; p++) if (this.loads[p] > this.loads[heaviest]) heaviest = p;
    return heaviest;
  }

  private static better(tier: number, loss: number, best: BalanceMove | null): boolean {
    return !best || tier < best.tier || (tier === best.tier && loss < best.loss);
  }

  /**
   * The best move inside a block of the heaviest PE, and per kept-column count the weakest kept
   * row of the heaviest PE among blocks that may lose one (the givers of moves between blocks).
   */
  private movesWithinBlocks(heaviest: number) {
    const { grid, pes, keptColCounts, keptRowFlags } = this.input;
    let best: BalanceMove | null = null;
    const gives = new Map<number, ScoredRow>();
    for (const gr of this.blockRowsOfPe[heaviest]) {
      const rowStart = gr * grid.blockRows;
      const first = (((heaviest - rowStart) % pes) + pes) % pes;
      for (let gc = 0; gc < grid.gridCols; gc++) {
        const unit = gr * grid.gridCols + gc;
        const flags = keptRowFlags[unit];
        const cost = keptColCounts[unit];
        if (cost === 0 || flags.length === 0) continue;
        let give = -1;
        for (let i = first; i < flags.length; i += pes) {
          if (flags[i] && (give < 0 || this.score(unit, i) < this.score(unit, give))) give = i;
        }
        if (give < 0) continue;
        const giveScore = this.score(unit, give);
        for (let i = 0; i < flags.length; i++) {
          if (flags[i]) continue;
          const q = (rowStart + i) % pes;
          if (this.loads[heaviest] - this.loads[q] <= cost) continue;
          const tier = this.loads[q] < this.mean ? 0 : 1;
          const loss = giveScore - this.score(unit, i);
          if (Balancer.better(tier, loss, best)) {
            best = { giveUnit: unit, give, takeUnit: unit, take: i, tier, loss };
          }
        }
        if (this.counts[unit] > this.low[unit]) {
          const current = gives.get(cost);
          if (!current || giveScore < current.score) {
            gives.set(cost, { unit, row: give, score: giveScore });
          }
        }
      }
    }
    return { best, gives };
  }

  /** The best move of the heaviest PE: inside a block, or between blocks of equal cost. */
  bestMove(heaviest: number): BalanceMove | null {
    let { best, gives } = this.movesWithinBlocks(heaviest);
    for (const [cost, giver] of gives) {
      for (let q = 0; q < this.input.pes; q++) {
        if (this.loads[heaviest] - this.loads[q] <= cost) continue;
        const take = this.topTake(this.heapOf(q, cost));
        if (!take || take.unit === giver.unit) continue;
        const tier = this.loads[q] < this.mean ? 0 : 1;
        const loss = giver.score - take.score;
        if (Balancer.better(tier, loss, best)) {
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
    return best;
  }

  /** Make a move: the giver's row is pruned, the taker's kept. */
  apply(move: BalanceMove, heaviest: number): void {
    const { grid, pes, keptColCounts, keptRowFlags } = this.input;
    const cost = keptColCounts[move.giveUnit];
    keptRowFlags[move.giveUnit][move.give] = 0;
    keptRowFlags[move.takeUnit][move.take] = 1;
    this.counts[move.giveUnit]--;
    this.counts[move.takeUnit]++;
    const takeRowStart = Math.floor(move.takeUnit / grid.gridCols) * grid.blockRows;
    this.loads[heaviest] -= cost;
    this.loads[(takeRowStart + move.take) % pes] += cost;
    this.pushPrunedRows(move.giveUnit);
  }
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
export function balanceRows(input: BalanceInput): number {
  const balancer = new Balancer(input);
  const limit = 4 * input.grid.rows * input.grid.gridCols + 16;
  let moves = 0;
  while (moves < limit) {
    const heaviest = balancer.heaviest();
    const best = balancer.bestMove(heaviest);
    if (!best) break;
    balancer.apply(best, heaviest);
    moves++;
  }
  return moves;
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

/**
 * The lane order of a PE-interleaved matrix of `rows` rows (row r in PE r mod N at local row
 * u = r div N, line u div L, lane u mod L): `order[i]` is the row at position i when the rows are
 * sorted by (line, PE, lane), so that each line of each PE (the L rows one weight word of a
 * PE with L MAC lanes feeds) is a run of consecutive positions. The bcr encoder cuts blocks in
 * this order (a block of Br rows gives Br / L PEs one line each) and lane-aware pruning prunes in
 * it. With L = 1 it is the identity.
 */
export function laneRowOrder(rows: number, pes: number, lanes: number): Int32Array {
  const order = Int32Array.from({ length: rows }, (_, r) => r);
  if (lanes === 1) return order;
  const key = (r: number) => {
    const u = Math.floor(r / pes);
    return (Math.floor(u / lanes) * pes + (r % pes)) * lanes + (u % lanes);
  };
  return order.sort((a, b) => key(a) - key(b));
}

/**
 * A model matrix's rows in lane order on `pes` PEs with `lanes` lanes, as the hardware holds
 * them (docs/architecture.md): gate matrices (`gates` groups of `hidden` rows) with each gate's
 * rows padded to K*N, K = ceil(H / N) rounded up to a multiple of L; other matrices (the
 * projection) as they are. `order[i]` is the model row at position i, `groups[i]` its lane group
 * (line * N + PE: the rows one weight word holds).
 */
export function modelLaneOrder(
  rows: number,
  gate: { gates: number; hidden: number } | null,
  pes: number,
  lanes: number,
): { order: Int32Array; groups: Int32Array } {
  const padded = gate ? lanes * Math.ceil(Math.ceil(gate.hidden / pes) / lanes) * pes : rows;
  const hardwareRows = gate ? gate.gates * padded : rows;
  const order: number[] = [];
  const groups: number[] = [];
  for (const r of laneRowOrder(hardwareRows, pes, lanes)) {
    const cell = r % padded;
    if (gate && cell >= gate.hidden) continue;
    order.push(gate ? Math.floor(r / padded) * gate.hidden + cell : r);
    groups.push(Math.floor(Math.floor(r / pes) / lanes) * pes + (r % pes));
  }
  if (order.length !== rows) throw new Error(`lane order: ${order.length} rows, expected ${rows}`);
  return { order: Int32Array.from(order), groups: Int32Array.from(groups) };
}
