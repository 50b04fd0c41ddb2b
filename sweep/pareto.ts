/**
 * Pareto fronts as pure functions: which points no other point dominates, for any set of
 * objectives, each minimized or maximized. A point with a missing figure (null) on an objective
 * takes no part in that front.
 *
 * @module
 */

/** One objective of a front: the key of the figure and its direction. */
export interface FrontObjective {
  /** Figure key. */
  key: string;
  /** true: larger is better; false: smaller is better. */
  maximize: boolean;
}

/** A point as the front sees it: figure values by key (null: not known). */
export type FrontPoint = Record<string, number | null | undefined>;

/**
 * Whether `a` dominates `b`: at least as good on every objective and better on one (both must
 * have every figure).
 */
export function dominates(a: FrontPoint, b: FrontPoint, objectives: FrontObjective[]): boolean {
  let better = false;
  for (const { key, maximize } of objectives) {
    const x = a[key];
    const y = b[key];
    if (x === null || x === undefined || y === null || y === undefined) return false;
    const diff = maximize ? x - y : y - x; // > 0: a is better
    if (diff < 0) return false;
    if (diff > 0) better = true;
  }
  return better;
}

/** Whether a point has a number for every objective. */
export function hasFigures(point: FrontPoint, objectives: FrontObjective[]): boolean {
  return objectives.every(({ key }) => typeof point[key] === "number" && isFinite(point[key]!));
}

/**
 * Indices (ascending) of the points on the Pareto front: those with every figure that no other
 * such point dominates. Points with identical figures are all on the front (neither dominates).
 * Sorting by the first objective keeps it O(n * front) in the usual case.
 */
export function paretoFront(points: FrontPoint[], objectives: FrontObjective[]): number[] {
  const complete = points.map((point, index) => ({ point, index }))
    .filter(({ point }) => hasFigures(point, objectives));
  if (objectives.length === 0) return complete.map(({ index }) => index);
  const first = objectives[0];
  const sign = first.maximize ? -1 : 1;
  // A dominating point is never worse on the first objective, so it comes no later in this order.
  complete.sort((a, b) => sign * (a.point[first.key]! - b.point[first.key]!) || a.index - b.index);
  const front: { point: FrontPoint; index: number }[] = [];
  for (const candidate of complete) {
    if (!front.some((kept) => dominates(kept.point, candidate.point, objectives))) {
      front.push(candidate);
    }
  }
  // Points equal on the first objective may come in any order: drop any the later ones dominate.
  return front.filter((kept) =>
    !front.some((other) => dominates(other.point, kept.point, objectives))
  )
    .map(({ index }) => index).sort((a, b) => a - b);
}
