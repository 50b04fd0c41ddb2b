/**
 * The report's plots as vega-lite specifications (data inline), rendered to SVG on the server by
 * vega's headless view, so the HTML report needs no script and no network to show them.
 *
 * @module
 */

import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { formatNumber } from "./markdown.ts";
import type { BenchReport, ReportRow, SweepPoint } from "./report.ts";

/** A vega-lite specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** Colours of the provenance labels ("#rrggbb"), fixed so that every report reads the same. */
export const PROVENANCE_COLOURS: Record<string, string> = {
  "measured": "#1f77b4",
  "measured (RTL simulation)": "#17becf",
  "measured (user)": "#2ca02c",
  "modeled": "#ff7f0e",
  "published": "#7f7f7f",
  "published (derived)": "#bcbcbc",
};

/** Latency per frame across platforms, log scale, coloured by provenance. */
export function latencySpec(rows: ReportRow[]): VegaLiteSpec {
  const timed = rows.filter((row) => row.usPerFrame !== null && row.usPerFrame > 0);
  const values = timed.map((row) => ({
    label: row.shortName,
    usPerFrame: row.usPerFrame,
    text: `${formatNumber(row.usPerFrame)} us`,
    provenance: row.provenanceLabel,
  }));
  // Bars on a log scale need a positive base: the power of ten below the smallest value.
  const smallest = Math.min(...timed.map((row) => row.usPerFrame as number), 1);
  const base = 10 ** Math.floor(Math.log10(smallest));
  const domain = Object.keys(PROVENANCE_COLOURS);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Latency per frame (one time step, batch 1), log scale",
      subtitle: "measured, modeled and published figures are labelled; published rows are " +
        "their own models",
    },
    width: 420,
    data: { values },
    encoding: {
      y: {
        field: "label",
        type: "nominal",
        sort: { field: "usPerFrame", op: "min", order: "ascending" },
        title: null,
        axis: { labelLimit: 400 },
      },
      x: {
        field: "usPerFrame",
        type: "quantitative",
        scale: { type: "log", domainMin: base },
        title: "microseconds per frame (log scale)",
      },
    },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x2: { datum: base },
          color: {
            field: "provenance",
            type: "nominal",
            title: "provenance",
            scale: { domain, range: domain.map((key) => PROVENANCE_COLOURS[key]) },
            legend: { labelLimit: 300 },
          },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
        encoding: { text: { field: "text", type: "nominal" } },
      },
    ],
  };
}

/** FPGA cycles per step and PE utilization against weight density. */
export function densitySpec(points: SweepPoint[]): VegaLiteSpec {
  const values = points.map((point) => ({ ...point }));
  const panel = (field: string, title: string, log: boolean) => ({
    width: 300,
    height: 220,
    mark: { type: "line", point: { size: 60 } },
    encoding: {
      x: {
        field: "density",
        type: "quantitative",
        title: "weight density",
        scale: { zero: false },
      },
      y: {
        field,
        type: "quantitative",
        title,
        scale: log ? { type: "log" } : { domain: [0, 1] },
      },
      color: {
        field: "provenance",
        type: "nominal",
        title: "provenance",
        scale: {
          domain: ["measured", "modeled"],
          range: [PROVENANCE_COLOURS["measured (RTL simulation)"], PROVENANCE_COLOURS.modeled],
        },
      },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "FPGA: cycles per step and PE utilization against weight density",
      subtitle:
        "measured = cycle-accurate RTL simulation; modeled = the design's analytical estimate",
    },
    data: { values },
    hconcat: [
      panel("cyclesPerStep", "cycles per step (log scale)", true),
      panel("peUtilization", "PE utilization", false),
    ],
  };
}

/** Render a vega-lite specification to an SVG string (server side, no canvas, no network). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = vegaLite.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The report's plots: specifications and rendered SVGs (density plot null without points). */
export interface ReportPlots {
  /** Latency per frame across platforms. */
  latency: { spec: VegaLiteSpec; svg: string };
  /** Cycles and utilization against density, or null when no FPGA figure exists. */
  density: { spec: VegaLiteSpec; svg: string } | null;
}

/** Build and render every plot of a report. */
export async function renderReportPlots(report: BenchReport): Promise<ReportPlots> {
  const latency = latencySpec(report.rows);
  const density = report.densitySweep.length > 0 ? densitySpec(report.densitySweep) : null;
  return {
    latency: { spec: latency, svg: await renderSvg(latency) },
    density: density ? { spec: density, svg: await renderSvg(density) } : null,
  };
}
