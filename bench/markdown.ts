/**
 * The report as Markdown (report.md): the same figures as report.json, every row with its
 * provenance, published figures in their own table, assumptions printed with the modeled rows.
 *
 * @module
 */

import { accuracyIntro, type AccuracySection, accuracyTable } from "./accuracy.ts";
import type { BenchReport, ReportRow } from "./report.ts";

/** A number with `digits` significant digits, or "n/a". */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "n/a";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toString();
}

/** Bytes as B, KB, MB (1 KB = 1000 B). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${formatNumber(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${formatNumber(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

/** A bit count with thousands separators, or "n/a". */
function bitsText(bits: number | null): string {
  return bits === null ? "n/a" : `${bits.toLocaleString("en-US")} bits`;
}

/** Escape a table cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** One Markdown table. */
function table(header: string[], body: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...body.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ];
}

/** Short description of the model. */
export function modelSummary(report: BenchReport): string {
  const m = report.model;
  const shape = `${m.kind.toUpperCase()}, ${m.inputSize} inputs, ${m.hiddenSize} cells, ` +
    `${m.numLayers} layer${m.numLayers > 1 ? "s" : ""}` +
    (m.projSize > 0 ? `, ${m.projSize} projection` : "") + (m.peepholes ? ", peepholes" : "");
  const pruning = m.pruning
    ? `BCR-pruned by the bench to density ${m.pruning.density} (block ${m.pruning.block}, ` +
      `column share ${m.pruning.colShare}` +
      (m.pruning.balancedOverPes ? `, balanced over ${m.pruning.balancedOverPes} PEs)` : ")")
    : "used as given";
  return `${m.path}: ${shape}; ${m.weights.toLocaleString("en-US")} weights, ` +
    `${m.nonZeroWeights.toLocaleString("en-US")} non-zero (density ${
      formatNumber(m.density)
    }); ${pruning}`;
}

/** Row cells shared by Markdown and HTML. */
export function rowCells(row: ReportRow): string[] {
  return [
    row.platform,
    row.workload,
    row.provenanceLabel,
    formatNumber(row.usPerFrame),
    formatNumber(row.effectiveGops),
    formatNumber(row.denseEquivalentGops),
  ];
}

/** Header of the rows tables. */
export const ROW_HEADER = [
  "platform",
  "workload",
  "provenance",
  "us per frame",
  "effective GOP/s",
  "dense-equivalent GOP/s",
];

/** Key sentences about the host CPU measurements (or why they are missing). */
export function hostCpuLines(report: BenchReport): string[] {
  const host = report.hostCpu;
  if ("skipped" in host) return [`Host CPU measurements skipped: ${host.skipped}.`];
  return [
    `Measured on ${host.cpu}, 1 thread each, ${host.steps}-step sequence, median of ` +
    `${host.ort.timedRuns} timed runs per implementation (${host.rounds} alternating rounds, ` +
    `${host.warmup} warm-up runs each).`,
    `Generated BCR kernel vs ONNX Runtime dense: **${formatNumber(host.speedupBcrVsOrt)}x** ` +
    `(${formatNumber(host.ort.usPerFrame)} us / ${
      formatNumber(host.bcr.usPerFrame)
    } us per frame); ` +
    `vs the generated dense C path: ${formatNumber(host.speedupBcrVsDenseC)}x.`,
    `Compiler: ${host.compiler}, flags ${
      host.nativeFlags.join(" ")
    }. ONNX graph: ${host.onnxGraph}.`,
  ];
}

/** A table as a header and rows of cell text, shared by the Markdown and HTML formatters. */
export type TableCells = [header: string[], rows: string[][]];

/** The published figures (their models, not this one), one row each. */
export function publishedTable(report: BenchReport): TableCells {
  return [
    ["platform", "model", "provenance", "us per frame", "GOP/s", "source"],
    report.rows.filter((row) => row.modelOwner === "theirs").map((row) => [
      row.platform,
      row.workload,
      row.provenanceLabel,
      formatNumber(row.usPerFrame),
      formatNumber(row.effectiveGops),
      row.method,
    ]),
  ];
}

/** The modeled devices' parameters, one row per device. */
export function deviceTable(report: BenchReport): TableCells {
  return [
    ["device", "GFLOP/s", "GB/s", "efficiency (compute, memory)", "overhead us/step", "source"],
    report.modeled.devices.map(({ device }) => [
      `${device.name} (${device.id})`,
      formatNumber(device.peakGflops, 4),
      formatNumber(device.bandwidthGBs, 4),
      `${device.computeEfficiency}, ${device.bandwidthEfficiency}`,
      String(device.overheadUsPerStep),
      `${device.source} [${device.origin}]`,
    ]),
  ];
}

/** Operation and byte counts per step, dense beside BCR. */
export function countsTable(report: BenchReport): TableCells {
  const { dense, bcr } = report.counts;
  return [["count", "dense (float32)", "BCR (float32 + uint16 indices)"], [
    ["multiply-accumulates", String(dense.macs), String(bcr.macs)],
    ["FLOPs", String(dense.flops), String(bcr.flops)],
    ["weight bytes", formatBytes(dense.weightBytes), formatBytes(bcr.weightBytes)],
    ["index bytes", formatBytes(dense.indexBytes), formatBytes(bcr.indexBytes)],
    ["bias and peephole bytes", formatBytes(dense.parameterBytes), formatBytes(bcr.parameterBytes)],
    ["activation bytes", formatBytes(dense.activationBytes), formatBytes(bcr.activationBytes)],
    ["total bytes", formatBytes(dense.totalBytes), formatBytes(bcr.totalBytes)],
    [
      "FLOPs per byte",
      formatNumber(dense.arithmeticIntensity),
      formatNumber(bcr.arithmeticIntensity),
    ],
  ]];
}

/** Format the whole report as Markdown. */
export function formatReportMarkdown(report: BenchReport): string {
  const ours = report.rows.filter((row) => row.modelOwner === "ours");
  const lines: string[] = [
    "# rnnfab benchmark report",
    "",
    `Generated ${report.generatedAt}. Model: ${modelSummary(report)}. Sequence: ` +
    `${report.sequence.steps} steps (seed ${report.sequence.seed}).`,
    "",
    "Every figure says where it comes from: **measured** (timed here, counted in RTL simulation, " +
    "or measured by a user on a device), **modeled** (roofline model, not a measurement) or " +
    "**published** (someone else's model and hardware).",
    "",
    "## This model on each platform",
    "",
    ...table(ROW_HEADER, ours.map(rowCells)),
    "",
    ...hostCpuLines(report),
    "",
    ...(report.accuracy ? accuracyLines(report.accuracy) : []),
    "## Published figures (their models, not this one)",
    "",
    ...table(...publishedTable(report)),
    "",
    "## Checks",
    "",
    ...report.checks.map((check) =>
      `- ${check.passed === null ? "[skipped]" : check.passed ? "[passed]" : "[FAILED]"} ` +
      `${check.name}: ${check.detail}`
    ),
    "",
    "## FPGA",
    "",
  ];
  if ("missing" in report.fpga) {
    lines.push(`No FPGA figures: ${report.fpga.missing}.`);
  } else {
    const f = report.fpga;
    lines.push(
      ...table(["figure", "value", "provenance"], [
        ["cycles (whole sequence)", String(f.cycles), `measured (${f.simulator})`],
        ["cycles per step", formatNumber(f.cyclesPerStep, 5), "computed"],
        ["steady-state cycles per step", formatNumber(f.steadyCyclesPerStep, 5), "computed"],
        ["clock", `${f.clockMhz} MHz`, f.clockProvenance],
        ["time per frame", `${formatNumber(f.usPerFrame)} us`, "computed at the clock"],
        ["PE utilization", formatNumber(f.peUtilization), "computed"],
        ["effective GOP/s (sparse)", formatNumber(f.effectiveGops), "computed"],
        ["dense-equivalent GOP/s", formatNumber(f.denseEquivalentGops), "computed"],
        [
          "weight memory (encoded image)",
          bitsText(f.weightMemoryBits),
          "design.json memoryBits.weightImage",
        ],
        [
          "all memories (weights, biases, peepholes, tables)",
          bitsText(f.totalMemoryBits),
          "design.json memoryBits.total",
        ],
        ["bit-exact and protocol-clean", String(f.passed), "measured"],
      ]),
    );
  }
  if (report.densitySweep.length > 0) {
    lines.push(
      "",
      "Against density:",
      "",
      ...table(
        ["density", "cycles per step", "PE utilization", "us per frame", "provenance", "bit-exact"],
        report.densitySweep.map((p) => [
          formatNumber(p.density),
          formatNumber(p.cyclesPerStep, 5),
          formatNumber(p.peUtilization),
          formatNumber(p.usPerFrame),
          p.provenance === "measured" ? "measured (RTL simulation)" : "modeled (design estimate)",
          p.passed === null ? "not simulated" : String(p.passed),
        ]),
      ),
    );
  }
  lines.push(
    "",
    "## Modeled rows: assumptions",
    "",
    ...report.modeled.assumptions.map((text) => `- ${text}`),
    "",
    ...table(...deviceTable(report)),
    "",
    "## Counts per step (computed from the model)",
    "",
    ...table(...countsTable(report)),
    "",
    "## Phone CPU code (aarch64)",
    "",
    aarch64Line(report),
    "",
  );
  return lines.join("\n");
}

/** The accuracy section: the sentence, the table and its notes. */
function accuracyLines(section: AccuracySection): string[] {
  return [
    "## Accuracy and output error",
    "",
    accuracyIntro(section),
    "",
    ...table(...accuracyTable(section)),
    ...(section.notes.length > 0 ? ["", ...section.notes.map((note) => `- ${note}`)] : []),
    "",
  ];
}

/** One sentence about the aarch64 check. */
export function aarch64Line(report: BenchReport): string {
  const check = report.aarch64;
  if (check.status === "skipped") return `Skipped: ${check.reason}.`;
  const errors = `max |error| vs float64: sparse ${check.sparseMaxAbsError?.toExponential(2)}, ` +
    `dense ${check.denseMaxAbsError?.toExponential(2)} (tolerance ${check.tolerance})`;
  return `The generated C kernel cross-compiled with ${check.compiler ?? "aarch64 gcc"} ` +
    `(${check.flags.join(" ")}) and run under ${check.runner}: **${check.status}**; ${errors}. ` +
    "Emulated run times say nothing about a phone and are not reported; run the binary on a " +
    "phone and feed its time back with --devices." + (check.reason ? ` (${check.reason})` : "");
}
