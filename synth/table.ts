/**
 * Resource tables for reports: rnnfab's synthesized resources per PE, shared and in total,
 * beside ESE's published XCKU060 figures (labelled published), as data first and markdown second.
 *
 * @module
 */

import { BLOCK_RAM_MIN_BITS, LUT_RAM_MAX_DEPTH } from "./checks.ts";
import type { SynthesisReport } from "./report.ts";

/** A row source: our synthesis (measured or scaled) or a published figure. */
export type ResourceRowKind = "measured" | "estimated" | "published";

/** One row of a resource table. */
export interface ResourceRow {
  /** What the row describes. */
  label: string;
  /** measured (synthesized), estimated (scaled from one PE) or published (from a paper). */
  kind: ResourceRowKind;
  /** LUTs (logic + memory). */
  luts: number | null;
  /** Flip-flops. */
  flipFlops: number | null;
  /** Block RAM tiles (xilinx: RAMB36 equivalents; ice40: SB_RAM40_4K). */
  blockRams: number | null;
  /** DSP blocks. */
  dsps: number | null;
  /** Estimated logic cells (null for published rows that do not give them). */
  logicCells: number | null;
  /** Where the numbers come from, in words. */
  source: string;
}

/** A resource table: rows plus the notes a reader needs. */
export interface ResourceTable {
  /** Caption. */
  title: string;
  /** Name of the block RAM column for the target ("BRAM36" or "EBR 4K"). */
  blockRamUnit: string;
  /** Rows, ours first. */
  rows: ResourceRow[];
  /** Notes (method, workarounds, mapping warnings). */
  notes: string[];
}

/**
 * ESE's resource use on the Xilinx XCKU060 (Han et al., FPGA 2017), as recorded in
 * shared/REFERENCE.md: widely cited, approximate, not verified from the paper body.
 */
export const ESE_PUBLISHED_RESOURCES = {
  label: "ESE on XCKU060 (published, approximate)",
  luts: 294_000,
  flipFlops: 453_000,
  blockRams: 947,
  dsps: 1504,
  source: "Han et al., FPGA 2017 (ESE), as cited in REFERENCE.md; approximate",
} as const;

/** Options of `resourceTable`. */
export interface ResourceTableOptions {
  /** Add ESE's published XCKU060 row (xilinx reports only). */
  publishedEse?: boolean;
}

function row(
  label: string,
  kind: ResourceRowKind,
  resources: {
    luts: number;
    flipFlops: number;
    blockRams: number;
    dsps: number;
    logicCells: number;
  },
  source: string,
): ResourceRow {
  return {
    label,
    kind,
    luts: resources.luts,
    flipFlops: resources.flipFlops,
    blockRams: resources.blockRams,
    dsps: resources.dsps,
    logicCells: resources.logicCells,
    source,
  };
}

/**
 * The resource table of a synthesis report: one PE, the shared logic and the total (scaled rows
 * marked estimated), and with `publishedEse` ESE's published XCKU060 figures.
 */
export function resourceTable(
  report: SynthesisReport,
  options: ResourceTableOptions = {},
): ResourceTable {
  const rows: ResourceRow[] = [];
  const flow = `Yosys ${report.yosys.split(" ")[0]} ${
    report.target === "xilinx" ? "synth_xilinx (UltraScale)" : "synth_ice40 (UltraPlus)"
  }`;
  if (report.perPe && report.peModule) {
    rows.push(
      row(`rnnfab: one PE (${report.peModule})`, "measured", report.perPe, `${flow}, measured`),
    );
  }
  if (report.shared) {
    rows.push(
      row(
        "rnnfab: shared logic (outside the PEs)",
        "measured",
        report.shared,
        report.method === "per-pe"
          ? `${flow}, measured with the PEs as black boxes`
          : `${flow}, measured: total minus the PEs`,
      ),
    );
  }
  rows.push(
    row(
      `rnnfab: total${report.pes ? `, ${report.pes} PEs` : ""}`,
      report.estimated ? "estimated" : "measured",
      report.total,
      report.estimated
        ? `${flow}, estimated: per-PE synthesis x ${report.pes}`
        : `${flow}, measured`,
    ),
  );
  const notes = [report.methodNote, ...report.notes];
  if (options.publishedEse) {
    if (report.target === "xilinx") {
      rows.push({
        label: ESE_PUBLISHED_RESOURCES.label,
        kind: "published",
        luts: ESE_PUBLISHED_RESOURCES.luts,
        flipFlops: ESE_PUBLISHED_RESOURCES.flipFlops,
        blockRams: ESE_PUBLISHED_RESOURCES.blockRams,
        dsps: ESE_PUBLISHED_RESOURCES.dsps,
        logicCells: null,
        source: ESE_PUBLISHED_RESOURCES.source,
      });
      notes.push(
        "ESE's figures are published (approximate) numbers for its whole design on the " +
          "XCKU060; ours are Yosys synthesis counts of the accelerator alone, out of context " +
          "(no I/O, memory controller or host interface), before vendor placement and " +
          "optimization.",
      );
    } else {
      notes.push("ESE's published figures are for a Xilinx XCKU060; see the xilinx report.");
    }
  }
  notes.push(...report.checks.warnings.map((warning) => `warning: ${warning}`));
  return {
    title: `Resources of ${report.top} (${report.target}, ${report.method})`,
    blockRamUnit: report.target === "xilinx" ? "BRAM36" : "EBR (4 Kbit)",
    rows,
    notes,
  };
}

function formatNumber(value: number | null): string {
  if (value === null) return "-";
  const rounded = Number.isInteger(value) ? value : Math.round(value * 10) / 10;
  return rounded.toLocaleString("en-US");
}

/** A resource table as markdown: a pipe table, then its notes as a list. */
export function formatResourceTable(table: ResourceTable): string {
  const header = ["", "LUTs", "FFs", table.blockRamUnit, "DSPs", "Logic cells", "Kind"];
  const lines = [
    `**${table.title}**`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map((_, index) => index === 0 ? "---" : "---:").join("|")}|`,
  ];
  for (const entry of table.rows) {
    lines.push(
      `| ${
        [
          entry.label,
          formatNumber(entry.luts),
          formatNumber(entry.flipFlops),
          formatNumber(entry.blockRams),
          formatNumber(entry.dsps),
          formatNumber(entry.logicCells),
          entry.kind,
        ].join(" | ")
      } |`,
    );
  }
  if (table.notes.length > 0) {
    lines.push("", ...table.notes.map((note) => `- ${note}`));
  }
  return lines.join("\n") + "\n";
}

/** What every memory became, as a markdown list (for the CLI and reports). */
export function formatMemoryMapping(report: SynthesisReport): string {
  const lines = report.memories.map((memory) =>
    `- ${memory.module}.${memory.name}: ${memory.depth} x ${memory.width} bits, ` +
    `${memory.instances}x -> ${memory.mapping}${memory.mappedTo ? ` (${memory.mappedTo})` : ""}` +
    (memory.expectedInBlockRam && memory.mapping !== "block"
      ? "  <-- expected block RAM"
      : memory.role === "state" && memory.mapping === "distributed" &&
          memory.bits >= BLOCK_RAM_MIN_BITS
      ? `  (state memory of at most ${LUT_RAM_MAX_DEPTH} words: LUT RAM by design)`
      : "")
  );
  const multipliers = report.multipliers;
  lines.push(
    `- multipliers: ${multipliers.inRtl} in the RTL, ${multipliers.dspBlocks} DSP blocks, ` +
      `${multipliers.inLogic.reduce((sum, entry) => sum + entry.count, 0)} left in LUTs` +
      (multipliers.inLogic.length > 0
        ? ` (${
          multipliers.inLogic.map((entry) =>
            `${entry.count}x ${entry.width}-bit in ${entry.module}`
          )
            .join(", ")
        })`
        : ""),
  );
  return lines.join("\n") + "\n";
}
