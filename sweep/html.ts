/**
 * The sweep's HTML page (DIR/sweep.html): the Pareto fronts (latency against DSP, LUT, block RAM
 * and fidelity error) as vega-lite plots rendered to inline SVG by bench's renderer (no network
 * needed to view them), and every point in a table sortable by any column (a few lines of inline
 * script; without script it is still a table).
 *
 * @module
 */

import { escapeHtml } from "../bench/html.ts";
import { formatNumber } from "../bench/markdown.ts";
import { renderSvg, type VegaLiteSpec } from "../bench/plots.ts";
import { eligible, type Figure, type FigureKey, type SweepRow } from "./results.ts";
import type { SweepSpec } from "./spec.ts";

/** Axis titles of the figures. */
const TITLES: Partial<Record<FigureKey, string>> = {
  usPerFrame: "microseconds per frame",
  gops: "GOP/s",
  luts: "LUTs",
  flipFlops: "flip-flops",
  blockRams: "block RAMs",
  dsps: "DSPs",
  fidelityError: "fidelity error (relative RMS vs dense float64)",
  clockMhz: "achieved clock (MHz)",
};

/** A front plot: every eligible point, the front points highlighted and joined. */
export function frontPlotSpec(
  rows: SweepRow[],
  front: { keys: string[]; hashes: string[] },
): VegaLiteSpec {
  const [y, x] = front.keys as FigureKey[];
  const onFront = new Set(front.hashes);
  const values = rows.filter(eligible)
    .filter((row) => row.figures[x].value !== null && row.figures[y].value !== null)
    .map((row) => ({
      x: row.figures[x].value,
      y: row.figures[y].value,
      set: onFront.has(row.hash) ? "Pareto front" : "other points",
      provenance: `${row.figures[x].provenance} / ${row.figures[y].provenance}`,
    }));
  const colour = {
    field: "set",
    type: "nominal",
    title: null,
    scale: { domain: ["Pareto front", "other points"], range: ["#d62728", "#9e9e9e"] },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `${TITLES[y]} vs ${TITLES[x]}`, subtitle: "lower is better on both axes" },
    width: 320,
    height: 220,
    data: { values },
    encoding: {
      x: { field: "x", type: "quantitative", title: TITLES[x], scale: { zero: false } },
      y: { field: "y", type: "quantitative", title: TITLES[y], scale: { zero: false } },
    },
    layer: [
      {
        transform: [{ filter: "datum.set === 'Pareto front'" }],
        mark: { type: "line", interpolate: "step-after", color: "#d62728", opacity: 0.5 },
        encoding: { order: { field: "x", type: "quantitative" } },
      },
      { mark: { type: "point", filled: true, size: 60, opacity: 1 }, encoding: { color: colour } },
    ],
  };
}

/** A figure as table text: value and a provenance letter. */
function cell(f: Figure): { text: string; sort: string } {
  if (f.value === null) return { text: "—", sort: "" };
  const mark = f.provenance === "computed"
    ? "c"
    : f.provenance === "simulated"
    ? "s"
    : f.provenance === "synthesized"
    ? "y"
    : "p";
  return { text: `${formatNumber(f.value, 4)} ${mark}`, sort: String(f.value) };
}

const FIGURE_COLUMNS: FigureKey[] = [
  "usPerFrame",
  "gops",
  "cyclesPerStep",
  "luts",
  "flipFlops",
  "blockRams",
  "dsps",
  "fidelityError",
  "memoryBits",
  "density",
];

/** The table of every point. */
function pointsTable(spec: SweepSpec, rows: SweepRow[]): string {
  const axes = spec.axes.map((axis) => axis.key);
  const header = [
    "point",
    ...axes,
    "depth",
    "status",
    ...FIGURE_COLUMNS,
    "clock",
    "budget",
    "front",
  ];
  const body = rows.map((row) => {
    const cells: { text: string; sort: string }[] = [
      { text: row.hash.slice(0, 10), sort: row.hash },
      ...axes.map((key) => ({ text: String(row.point[key]), sort: String(row.point[key]) })),
      { text: row.depth, sort: row.depth },
      {
        text: row.failure ? `failed (${row.failure.stage}): ${row.failure.message}` : "ok",
        sort: row.status,
      },
      ...FIGURE_COLUMNS.map((key) => cell(row.figures[key])),
      {
        text: row.clock.mhz === null ? "—" : `${formatNumber(row.clock.mhz)} MHz ${row.clock.kind}`,
        sort: String(row.clock.mhz ?? ""),
      },
      {
        text: row.withinBudget === null
          ? "unchecked"
          : row.withinBudget
          ? "within"
          : row.overBudget.join(", "),
        sort: String(row.withinBudget),
      },
      { text: row.onFront ? "yes" : "", sort: row.onFront ? "1" : "0" },
    ];
    const tds = cells.map((c) =>
      `<td data-sort="${escapeHtml(c.sort)}">${escapeHtml(c.text)}</td>`
    );
    return `<tr${row.onFront ? ' class="front"' : ""}>${tds.join("")}</tr>`;
  });
  return `<table id="points">\n<thead><tr>${
    header.map((h, i) => `<th data-column="${i}">${escapeHtml(h)}</th>`).join("")
  }</tr></thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.8em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; white-space: nowrap; }
th { background: #f2f2f2; cursor: pointer; }
tr.front td { background: #fdecea; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
.note { color: #555; font-size: 0.9em; }
`;

/** Sorting by a header click: numbers numerically, text alphabetically, click again to reverse. */
const SORT_SCRIPT = `
document.querySelectorAll("#points th").forEach((th) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const i = Number(th.dataset.column);
  const up = th.dataset.order !== "up";
  th.dataset.order = up ? "up" : "down";
  const key = (tr) => tr.children[i].dataset.sort;
  const rows = [...body.rows].sort((a, b) => {
    const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
    const c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
    return up ? c : -c;
  });
  rows.forEach((tr) => body.appendChild(tr));
}));
`;

/** The sweep page. */
export async function sweepHtml(
  spec: SweepSpec,
  rows: SweepRow[],
  fronts: { name: string; keys: string[]; hashes: string[] }[],
): Promise<string> {
  const plots: string[] = [];
  for (const front of fronts.filter((f) => f.keys.length === 2)) {
    plots.push(`<div class="plot">${await renderSvg(frontPlotSpec(rows, front))}</div>`);
  }
  const budget = spec.budgetPart ?? (spec.budget ? JSON.stringify(spec.budget) : "none");
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    "<title>rnnfab sweep</title>",
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<h1>rnnfab design-space sweep</h1>",
    `<p>Model ${escapeHtml(spec.modelPath)}; ${rows.length} points over ${
      escapeHtml(spec.axes.map((a) => `${a.key} (${a.values.length})`).join(", "))
    }; stages ${escapeHtml(spec.stages.join(" + "))}${
      spec.screen && spec.stages.length > 1 ? " (the later ones on the screened candidates)" : ""
    }; ` +
    `objectives ${escapeHtml(spec.objectives.join(", "))}; budget ${escapeHtml(budget)}.</p>`,
    '<p class="note">Provenance of every figure: c computed (cycle model, golden model, gen), ' +
    "s simulated (RTL simulation), y synthesized (Yosys), p placed and routed (nextpnr). Times " +
    "are at the clock in the clock column: assumed (gen's clockMhz) or achieved (nextpnr's Fmax). " +
    "Points over the budget are not on the fronts.</p>",
    "<h2>Pareto fronts</h2>",
    plots.length > 0
      ? `<div class="plots">${plots.join("\n")}</div>`
      : '<p class="note">No two-objective front (add usPerFrame and a resource or fidelityError ' +
        "to the objectives).</p>",
    "<h2>Points</h2>",
    '<p class="note">Click a column heading to sort.</p>',
    pointsTable(spec, rows),
    `<script>${SORT_SCRIPT}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
