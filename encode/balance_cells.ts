/**
 * Cell balance for delta designs (docs/delta.md, "Balancing the cells over the PEs"): which PE
 * holds which cells of a layer, chosen so that the busiest PE's work on the columns that really
 * fire is small. The ese format puts cell c on PE c mod N, in line (c div N) div L of its gate
 * blocks (L MAC lanes: the L cells one weight word holds); a fired column costs a PE one cycle
 * per line with a non-zero in that column, and a delta frame waits for its busiest PE. Cells are
 * moved a whole line group at a time (the L cells of one line of one PE), so every line keeps its
 * cells and no line gains a non-zero: only which PE a group sits on changes. The result is an
 * order for `permuteCells` (model/permute.ts), which leaves the model's outputs unchanged.
 *
 * The objective is the mean over sample frames (the fired columns of each step, from inputs like
 * the ones the design will see) of the busiest PE's lines; a local search swaps groups of equal
 * size between PEs while that mean falls. A pure function of its inputs (deterministic).
 *
 * @module
 */

import { gateCount, layerInputSize, type RnnModel } from "../model/model.ts";

/** Options of `balanceCells`. */
export interface CellBalanceOptions {
  /** PEs (N). */
  pes: number;
  /** MAC lanes per PE (L; 1: every cell is its own group). */
  lanes: number;
  /** Most swap evaluations (one evaluation costs a pass over the frames; default 20,000,000 / frames). */
  maxEvaluations?: number;
}

/** What `balanceCells` found. */
export interface CellBalance {
  /** `order[c]`: the original cell at position c (`permuteCells`'s order). */
  order: Int32Array;
  /** Mean over the frames of the busiest PE's lines, in the original order. */
  busiestBefore: number;
  /** The same in the balanced order. */
  busiestAfter: number;
  /** Mean over the frames of the mean PE's lines (the floor of any balance). */
  meanPe: number;
  /** Line groups that changed PE. */
  movedGroups: number;
  /** Swap evaluations made. */
  evaluations: number;
}

/**
 * The line groups of a layer's cells: `groups[g]` the cells of group g (line * N + PE), in
 * increasing order; group g sits on PE g mod N.
 */
export function cellLineGroups(hidden: number, pes: number, lanes: number): number[][] {
  const lines = Math.ceil(Math.ceil(hidden / pes) / lanes);
  const groups: number[][] = Array.from({ length: lines * pes }, () => []);
  for (let cell = 0; cell < hidden; cell++) {
    const line = Math.floor(Math.floor(cell / pes) / lanes);
    groups[line * pes + (cell % pes)].push(cell);
  }
  return groups;
}

/**
 * `work[g][c]`: the lines group g holds with a non-zero in gate-phase column c of the layer (the
 * input part at 0 .. I - 1, the recurrent part at I .. I + R - 1, as the delta encoders number
 * them): over the gate blocks, the lines of the group with a non-zero there.
 */
export function groupColumnWork(model: RnnModel, layer: number, groups: number[][]): Uint8Array[] {
  const weights = model.layers[layer];
  const inputs = layerInputSize(model, layer);
  const columns = inputs + weights.weightHh.cols;
  const hidden = model.hiddenSize;
  return groups.map((cells) => {
    const work = new Uint8Array(columns);
    for (let gate = 0; gate < gateCount(model.kind); gate++) {
      for (let column = 0; column < columns; column++) {
        const matrix = column < inputs ? weights.weightIh : weights.weightHh;
        const col = column < inputs ? column : column - inputs;
        const rowOf = (cell: number) => (gate * hidden + cell) * matrix.cols + col;
        if (cells.some((cell) => matrix.data[rowOf(cell)] !== 0)) work[column]++;
      }
    }
    return work;
  });
}

/** Per frame, per PE: the lines of the frame's fired columns (`perGroup[f][g]` summed by PE). */
function frameLoads(perGroup: Float64Array[], pe: Int32Array, pes: number): Float64Array[] {
  return perGroup.map((groupWork) => {
    const loads = new Float64Array(pes);
    groupWork.forEach((work, group) => loads[pe[group]] += work);
    return loads;
  });
}

/** Mean over the frames of the largest load. */
function meanBusiest(loads: Float64Array[]): number {
  let sum = 0;
  for (const frame of loads) sum += Math.max(...frame);
  return loads.length === 0 ? 0 : sum / loads.length;
}

/** The largest load of a frame other than PEs a and b. */
function busiestExcept(frame: Float64Array, a: number, b: number): number {
  let best = 0;
  for (let p = 0; p < frame.length; p++) if (p !== a && p !== b && frame[p] > best) best = frame[p];
  return best;
}

/**
 * The order of layer `layer`'s cells that balances the busiest PE's lines over `frames` (each the
 * fired gate-phase columns of one step: input part 0 .. I - 1, recurrent part from I).
 */
export function balanceCells(
  model: RnnModel,
  layer: number,
  options: CellBalanceOptions,
  frames: Iterable<number>[],
): CellBalance {
  const { pes, lanes } = options;
  const groups = cellLineGroups(model.hiddenSize, pes, lanes);
  const work = groupColumnWork(model, layer, groups);
  const perGroup = frames.map((fired) => {
    const sums = new Float64Array(groups.length);
    for (const column of fired) work.forEach((columnWork, g) => sums[g] += columnWork[column]);
    return sums;
  });
  const pe = Int32Array.from(groups, (_, g) => g % pes);
  let loads = frameLoads(perGroup, pe, pes);
  const busiestBefore = meanBusiest(loads);
  let cost = busiestBefore * loads.length;
  const budget = options.maxEvaluations ?? Math.ceil(2e7 / Math.max(1, frames.length));
  let evaluations = 0;
  for (let improved = true; improved && evaluations < budget;) {
    improved = false;
    for (let a = 0; a < groups.length && evaluations < budget; a++) {
      for (let b = a + 1; b < groups.length && evaluations < budget; b++) {
        if (pe[a] === pe[b] || groups[a].length !== groups[b].length) continue;
        evaluations++;
        const [pa, pb] = [pe[a], pe[b]];
        let swapped = 0;
        perGroup.forEach((sums, f) => {
          const delta = sums[b] - sums[a];
          const frame = loads[f];
          swapped += Math.max(busiestExcept(frame, pa, pb), frame[pa] + delta, frame[pb] - delta);
        });
        if (swapped < cost - 1e-9) {
          [pe[a], pe[b]] = [pb, pa];
          loads = frameLoads(perGroup, pe, pes);
          cost = swapped;
          improved = true;
        }
      }
    }
  }
  const meanPe = perGroup.reduce((sum, sums) => sum + sums.reduce((s, v) => s + v, 0), 0) /
    Math.max(1, perGroup.length) / pes;
  return {
    order: orderOf(groups, pe, pes),
    busiestBefore,
    busiestAfter: cost / Math.max(1, loads.length),
    meanPe,
    movedGroups: pe.filter((p, g) => p !== g % pes).length,
    evaluations,
  };
}

/**
 * The cell order that puts each group on its PE: PE p's slots (the groups g with g mod N = p,
 * in order) take the groups assigned to p (in order), cell by cell.
 */
function orderOf(groups: number[][], pe: Int32Array, pes: number): Int32Array {
  const hidden = groups.reduce((sum, cells) => sum + cells.length, 0);
  const order = new Int32Array(hidden);
  // (groups move only to a slot of their own size: match by size, then by index)
  const bySize = (a: number, b: number) => groups[a].length - groups[b].length || a - b;
  for (let p = 0; p < pes; p++) {
    const slots = groups.map((_, g) => g).filter((g) => g % pes === p).sort(bySize);
    const assigned = groups.map((_, g) => g).filter((g) => pe[g] === p).sort(bySize);
    slots.forEach((slot, i) => {
      const from = groups[assigned[i]];
      groups[slot].forEach((cell, k) => order[cell] = from[k]);
    });
  }
  return order;
}
