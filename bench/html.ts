/**
 * The report as one self-contained HTML page (report.html): the tables of report.md and the plots
 * as inline SVG (rendered on the server by vega), no script, no external resource, so it opens
 * offline in any browser.
 *
 * @module
 */

import {
  aarch64Line,
  countsTable,
  deviceTable,
  hostCpuLines,
  modelSummary,
  publishedTable,
  ROW_HEADER,
  rowCells,
} from "./markdown.ts";
import { accuracyIntro, type AccuracySection, accuracyTable } from "./accuracy.ts";
import type { ReportPlots } from "./plots.ts";
import type { BenchReport } from "./report.ts";

/** Escape text for HTML. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** Light Markdown (only **bold**) to HTML, after escaping. */
function inline(text: string): string {
  return escapeHtml(text).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

function htmlTable(header: string[], body: string[][], rowClasses: string[] = []): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const rows = body.map((cells, i) =>
    `<tr${rowClasses[i] ? ` class="${rowClasses[i]}"` : ""}>${
      cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")
    }</tr>`
  );
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
tr.modeled td { background: #fff5e6; }
tr.published td { background: #f4f4f4; color: #555; }
.plot { margin: 1em 0; overflow-x: auto; }
.note { color: #555; font-size: 0.9em; }
`;

/** The accuracy section: the sentence, the table and its notes. */
function accuracyHtml(section: AccuracySection): string[] {
  return [
    "<h2>Accuracy and output error</h2>",
    `<p>${escapeHtml(accuracyIntro(section))}</p>`,
    htmlTable(...accuracyTable(section)),
    ...section.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`),
  ];
}

/** Format the report as a self-contained HTML page with the rendered plots inlined. */
export function formatReportHtml(report: BenchReport, plots: ReportPlots): string {
  const ours = report.rows.filter((row) => row.modelOwner === "ours");
  const theirs = report.rows.filter((row) => row.modelOwner === "theirs");
  const parts: string[] = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    "<title>rnnfab benchmark report</title>",
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<h1>rnnfab benchmark report</h1>",
    `<p>Generated ${escapeHtml(report.generatedAt)}. Model: ${escapeHtml(modelSummary(report))}. ` +
    `Sequence: ${report.sequence.steps} steps (seed ${report.sequence.seed}).</p>`,
    "<p>Every figure says where it comes from: <strong>measured</strong> (timed here, counted in " +
    "RTL simulation, or measured by a user on a device), <strong>modeled</strong> (roofline " +
    "model, not a measurement) or <strong>published</strong> (someone else's model and " +
    "hardware).</p>",
    '<h2 id="latency">Latency per frame</h2>',
    `<div class="plot" id="plot-latency">${plots.latency.svg}</div>`,
    "<h2>This model on each platform</h2>",
    htmlTable(ROW_HEADER, ours.map(rowCells), ours.map((row) => row.provenance)),
    ...hostCpuLines(report).map((line) => `<p>${inline(line)}</p>`),
    ...(report.accuracy ? accuracyHtml(report.accuracy) : []),
    "<h2>Published figures (their models, not this one)</h2>",
    htmlTable(...publishedTable(report), theirs.map(() => "published")),
    '<h2 id="density">FPGA against density</h2>',
    plots.density
      ? `<div class="plot" id="plot-density">${plots.density.svg}</div>`
      : `<p class="note">No FPGA figures: ${
        escapeHtml("missing" in report.fpga ? report.fpga.missing : "no density points")
      }.</p>`,
    "<h2>Checks</h2>",
    "<ul>",
    ...report.checks.map((check) =>
      `<li>${
        check.passed === null
          ? "[skipped]"
          : check.passed
          ? "[passed]"
          : "<strong>[FAILED]</strong>"
      } ` +
      `${escapeHtml(check.name)}: ${escapeHtml(check.detail)}</li>`
    ),
    "</ul>",
    "<h2>Modeled rows: assumptions</h2>",
    "<ul>",
    ...report.modeled.assumptions.map((text) => `<li>${escapeHtml(text)}</li>`),
    "</ul>",
    htmlTable(...deviceTable(report)),
    "<h2>Counts per step (computed from the model)</h2>",
    htmlTable(...countsTable(report)),
    "<h2>Phone CPU code (aarch64)</h2>",
    `<p>${inline(aarch64Line(report))}</p>`,
    '<p class="note">The full data, with units and provenance, is in report.json next to this file.</p>',
    "</body>",
    "</html>",
    "",
  ];
  return parts.join("\n");
}
