/**
 * PE load balance of lane-aware BCR pruning (`prune --pes N --lanes L`): the lane groups (the L
 * rows of one PE's line, kept or pruned together) move between PEs as ESE's load-balance-aware
 * pruning moves rows, without changing the density.
 *
 * @module
 */

import { EPSILON } from "./block.ts";
import type { BalanceInput } from "./balance.ts";

/**
 * What the group balancer works on: the load balancer's input with the grid's rows in lane order
 * and a PE id per group (a group id is line * pes + PE, `modelLaneOrder`); a kept row costs
 * `keptColCounts` non-zeros, and a group's rows are all kept or all pruned.
 */
export interface GroupBalanceInput extends BalanceInput {
  /** Lane group id of each row (position in lane order). */
  rowGroups: Int32Array;
}

/** One lane group inside one block. */
interface Group {
  unit: number;
  start: number;
  end: number;
  pe: number;
  cost: number;
  score: number;
  kept: boolean;
}

/** The groups of every block with a kept column, and the kept groups per block. */
function collectGroups(input: GroupBalanceInput): { groups: Group[]; counts: Int32Array } {
  const { grid, pes, keptColCounts, keptRowFlags, rowSquares, rowGroups } = input;
  const groups: Group[] = [];
  const counts = new Int32Array(keptRowFlags.length);
  keptRowFlags.forEach((flags, unit) => {
    const rowStart = Math.floor(unit / grid.gridCols) * grid.blockRows;
    const squares = (unit % grid.gridCols) * grid.rows;
    for (let i = 0; i < flags.length; i++) {
      const r = rowStart + i;
      if (i === 0 || rowGroups[r] !== rowGroups[r - 1]) {
        groups.push({
          unit,
          start: i,
          end: i,
          pe: rowGroups[r] % pes,
          cost: 0,
          score: 0,
          kept: flags[i] === 1,
        });
        if (flags[i]) counts[unit]++;
      }
      const group = groups[groups.length - 1];
      group.end = i + 1;
      group.cost += keptColCounts[unit];
      group.score += rowSquares[squares + r];
    }
  });
  return { groups, counts };
}

/**
 * Load-balance-aware group selection. Start from the groups chosen by norm. While the most loaded
 * PE p can hand one of its kept groups to a pruned group of equal cost (same rows, same kept
 * columns) of a PE q with load[p] - load[q] > that cost (so the sum of squared loads strictly
 * falls and the loop ends), make the move that loses the least squared norm. A move between
 * blocks is allowed only while both blocks keep |kept groups - rowKeep x groups| <= 1, so the
 * density is unchanged and every block stays within one group of its rate; a keep fraction of 1
 * never moves. Returns the number of moves.
 */
export function balanceGroups(input: GroupBalanceInput): number {
  if (input.rowKeep >= 1 - EPSILON || input.pes < 2) return 0;
  const { groups, counts } = collectGroups(input);
  const units = input.keptRowFlags.length;
  const sizes = new Int32Array(units);
  for (const g of groups) sizes[g.unit]++;
  const low = Array.from(sizes, (n) => Math.max(0, Math.ceil(input.rowKeep * n - 1 - EPSILON)));
  const high = Array.from(sizes, (n) => Math.min(n, Math.floor(input.rowKeep * n + 1 + EPSILON)));
  const loads = new Float64Array(input.pes);
  const byCost = new Map<number, number[]>();
  const ofPe: number[][] = Array.from({ length: input.pes }, () => []);
  groups.forEach((g, i) => {
    if (g.cost === 0) return;
    if (g.kept) loads[g.pe] += g.cost;
    if (!byCost.has(g.cost)) byCost.set(g.cost, []);
    byCost.get(g.cost)!.push(i);
    ofPe[g.pe].push(i);
  });
  for (const list of byCost.values()) {
    list.sort((a, b) => groups[b].score - groups[a].score || a - b);
  }
  const limit = 4 * groups.length + 16;
  let moves = 0;
  while (moves < limit) {
    let p = 0;
    for (let q = 1; q < input.pes; q++) if (loads[q] > loads[p]) p = q;
    let best: { give: number; take: number; loss: number } | null = null;
    for (const give of ofPe[p]) {
      const g = groups[give];
      if (!g.kept) continue;
      // the strongest pruned group of equal cost that a lighter PE may take
      for (const take of byCost.get(g.cost)!) {
        const h = groups[take];
        if (h.kept || loads[p] - loads[h.pe] <= g.cost) continue;
        if (
          h.unit !== g.unit && (counts[g.unit] <= low[g.unit] || counts[h.unit] >= high[h.unit])
        ) {
          continue;
        }
        const loss = g.score - h.score;
        if (!best || loss < best.loss) best = { give, take, loss };
        break;
      }
    }
    if (!best) break;
    const g = groups[best.give];
    const h = groups[best.take];
    input.keptRowFlags[g.unit].fill(0, g.start, g.end);
    input.keptRowFlags[h.unit].fill(1, h.start, h.end);
    g.kept = false;
    h.kept = true;
    counts[g.unit]--;
    counts[h.unit]++;
    loads[g.pe] -= g.cost;
    loads[h.pe] += h.cost;
    moves++;
  }
  return moves;
}
