/**
 * The accuracy section of the bench report (`bench --data D [--head H] [--finetuned F]`): the
 * accuracy (with a head and labels) and the output error of the dense model, the pruned model, a
 * fine-tuned one when given, each in float64 and in fixed point, and the RTL-simulated design,
 * side by side. The RTL column is not a simulation of the data set: the design's simulation is
 * bit-exact with the fixed-point golden model (measured on the bench's sequence), so its accuracy
 * equals the fixed-point one (derived); the report says which figure is which.
 *
 * @module
 */

import type { Dataset } from "../model/dataset.ts";
import { totalSteps } from "../model/dataset.ts";
import {
  compareVariants,
  type Variant,
  type VariantFigures,
  type VariantRow,
} from "../model/evaluate.ts";
import type { Head } from "../model/head.ts";
import type { RnnModel } from "../model/model.ts";
import type { FpgaFigures } from "./fpga.ts";

/** The RTL column of the variant that ran on the FPGA. */
export interface RtlFigures {
  /** The fixed-point figures (the simulation was bit-exact with them). */
  figures: VariantFigures;
  /** How the figures were obtained. */
  provenance: string;
}

/** One variant's row of the accuracy table. */
export interface AccuracyRow extends VariantRow {
  /** Whether this variant is the one the FPGA design was generated from. */
  onFpga: boolean;
  /** The RTL column (null for the other variants, or when the simulation was not bit-exact). */
  rtl: RtlFigures | null;
}

/** The accuracy section of report.json. */
export interface AccuracySection {
  /** The data file and what it holds. */
  data: { path: string; sequences: number; steps: number; labelled: boolean };
  /** The head file (null: output error only). */
  head: string | null;
  /** What the output error is measured against. */
  reference: string;
  /** Provenance of the float and fixed columns. */
  provenance: string;
  /** One row per variant. */
  rows: AccuracyRow[];
  /** Notes (what was left out and why). */
  notes: string[];
}

/** Options of `accuracySection`. */
export interface AccuracyOptions {
  /** The model as given to the bench. */
  given: RnnModel;
  /** The model the bench pruned, when it pruned (what runs on the FPGA then). */
  pruned?: { model: RnnModel; label: string };
  /** A fine-tuned model to measure beside them. */
  finetuned?: { model: RnnModel; path: string };
  /** The data set and its file. */
  dataset: Dataset;
  /** The data file. */
  dataPath: string;
  /** The head and its file. */
  head?: { head: Head; path: string };
  /** The FPGA figures of the benchmarked model (or why missing). */
  fpga: FpgaFigures | { missing: string };
}

/** Measure every variant on the data set; the RTL column from the FPGA run's bit-exactness. */
export async function accuracySection(options: AccuracyOptions): Promise<AccuracySection> {
  const { given, pruned, finetuned, dataset, fpga } = options;
  const variants: Variant[] = [
    { name: pruned ? "dense (as given)" : "as given", model: given },
    ...(pruned ? [{ name: pruned.label, model: pruned.model }] : []),
    ...(finetuned ? [{ name: `fine-tuned (${finetuned.path})`, model: finetuned.model }] : []),
  ];
  const fpgaIndex = pruned ? 1 : 0;
  const notes: string[] = [];
  const measured = await compareVariants(given, variants, { dataset, head: options.head?.head });
  const simulated = !("missing" in fpga);
  if (!simulated) notes.push(`no RTL column: ${fpga.missing}`);
  else if (!fpga.passed) notes.push("no RTL column: the RTL simulation was not bit-exact");
  if (!options.head) notes.push("no accuracy: no --head (output error only)");
  else if (!dataset.labels) notes.push("no accuracy: the data file has no labels");
  const rows = measured.map((row, i): AccuracyRow => {
    const onFpga = simulated && i === fpgaIndex;
    const rtl = onFpga && fpga.passed
      ? {
        figures: row.fixed,
        provenance: `derived: the RTL simulation (${fpga.simulator}, ${fpga.steps} steps) was ` +
          "bit-exact with the fixed-point golden model (measured), so the RTL's figures equal " +
          "the fixed-point ones; the data set itself was not simulated",
      }
      : null;
    return { ...row, onFpga, rtl };
  });
  return {
    data: {
      path: options.dataPath,
      sequences: dataset.sequences.length,
      steps: totalSteps(dataset.sequences),
      labelled: dataset.labels !== undefined,
    },
    head: options.head?.path ?? null,
    reference: `${variants[0].name}, float64`,
    provenance: "measured: float64 reference and fixed-point golden model (bit-exact with the " +
      "RTL), every sequence of the data file from a zero state",
    rows,
    notes,
  };
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : `${(value * 100).toFixed(2)}%`;
}

function error(figures: VariantFigures | undefined): string {
  return figures ? figures.relativeRmsError.toExponential(3) : "-";
}

/** The sentence above the accuracy table: the data, the reference and the provenance. */
export function accuracyIntro(section: AccuracySection): string {
  const rtl = section.rows.find((row) => row.rtl)?.rtl;
  return `On ${section.data.sequences} sequences (${section.data.steps} steps) of ` +
    `${section.data.path}${section.head ? `, head ${section.head}` : ""}. Output error: relative ` +
    `RMS error against the ${section.reference} outputs. Float and fixed point: ` +
    `${section.provenance}.${rtl ? ` RTL: ${rtl.provenance}.` : ""}`;
}

/** The accuracy table: header and one row of cells per variant. */
export function accuracyTable(section: AccuracySection): [header: string[], rows: string[][]] {
  const header = [
    "model",
    "density",
    "accuracy float64",
    "accuracy fixed point",
    "accuracy RTL",
    "output error float64",
    "output error fixed point",
    "output error RTL",
  ];
  const rows = section.rows.map((row) => [
    `${row.name}${row.onFpga ? " (on the FPGA)" : ""}`,
    row.density.toFixed(4),
    percent(row.float.accuracy),
    percent(row.fixed.accuracy),
    percent(row.rtl?.figures.accuracy),
    error(row.float),
    error(row.fixed),
    error(row.rtl?.figures),
  ]);
  return [header, rows];
}
