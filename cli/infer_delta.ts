/**
 * The delta side of `deno task infer` (docs/delta.md): with a `delta` field in `--config`, the
 * delta model runs instead of the dense one; the fired fraction of every layer is printed and the
 * fired count of every step and layer is written into Y.
 *
 * @module
 */

import { type DeltaStats, summarizeStats } from "../model/delta.ts";

/** What Y gets under "delta": counts per sequence, step and layer, and the per-layer fractions. */
export interface DeltaReport {
  /**
   * `fired[n][t][l]`: columns of layer l (input, recurrent and, with theta_m, projection input
   * together) fired at step t.
   */
  fired: number[][][];
  /** `firedX[n][t][l]`: input columns only. */
  firedX: number[][][];
  /** `firedH[n][t][l]`: recurrent columns only. */
  firedH: number[][][];
  /** `firedM[n][t][l]`: projection input columns only (0 without theta_m). */
  firedM: number[][][];
  /** Per layer: input, recurrent and delta-coded projection input columns (m: 0 if dense). */
  columns: { x: number; h: number; m: number }[];
  /** Per layer: fired fraction over all steps of all sequences (x and h together). */
  firedFraction: number[];
  /** Per layer: fired fraction of the input columns. */
  firedFractionX: number[];
  /** Per layer: fired fraction of the recurrent columns. */
  firedFractionH: number[];
  /** Per layer: fired fraction of the projection input columns (0 without theta_m). */
  firedFractionM: number[];
}

/** Collect the fired counts of one run per sequence into the report written into Y. */
export function deltaReport(stats: DeltaStats[]): DeltaReport {
  const summary = summarizeStats(stats);
  return {
    fired: stats.map((run) =>
      run.firedX.map((step, t) => step.map((x, l) => x + run.firedH[t][l] + run.firedM[t][l]))
    ),
    firedX: stats.map((run) => run.firedX),
    firedH: stats.map((run) => run.firedH),
    firedM: stats.map((run) => run.firedM),
    columns: stats[0].columnsX.map((x, l) => ({
      x,
      h: stats[0].columnsH[l],
      m: stats[0].columnsM[l],
    })),
    firedFraction: summary.firedFraction,
    firedFractionX: summary.firedFractionX,
    firedFractionH: summary.firedFractionH,
    firedFractionM: summary.firedFractionM,
  };
}

/** Print the fired fraction of every layer (computed by the model, mode named) and return it. */
export function printDeltaReport(report: DeltaReport, mode: string): DeltaReport {
  report.firedFraction.forEach((fraction, l) => {
    const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
    console.log(
      `delta (${mode} model, computed): layer ${l} fired ${percent(fraction)} of columns (inputs ${
        percent(report.firedFractionX[l])
      } of ${report.columns[l].x}, recurrent ${percent(report.firedFractionH[l])} of ${
        report.columns[l].h
      }${
        report.columns[l].m > 0
          ? `, projection input ${percent(report.firedFractionM[l])} of ${report.columns[l].m}`
          : ""
      })`,
    );
  });
  return report;
}
