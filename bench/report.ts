/**
 * The comparison report as data: one `rows` entry per platform and workload, each with its
 * provenance ("measured", "modeled" or "published"), plus every figure behind the rows with its
 * unit. `buildReport` is pure: the measurements are made elsewhere (`host_cpu.ts`, `aarch64.ts`,
 * `fpga.ts`) and passed in. Formatting lives in `markdown.ts` and `html.ts`.
 *
 * @module
 */

import type { RnnModel } from "../model/model.ts";
import type { AccuracySection } from "./accuracy.ts";
import type { Aarch64Check } from "./aarch64.ts";
import { countStep, type MatrixStorage, type StepCounts } from "./counts.ts";
import type { DeviceProfile } from "./devices.ts";
import type { FpgaFigures } from "./fpga.ts";
import type { HostCpuResult, TimedImplementation } from "./host_cpu.ts";
import { PUBLISHED_ROWS, type PublishedRow } from "./published.ts";
import { ROOFLINE_ASSUMPTIONS, type RooflineEstimate, rooflineEstimate } from "./roofline.ts";

/** Where a figure comes from. */
export type Provenance = "measured" | "modeled" | "published";

/** One platform and workload of the comparison. */
export interface ReportRow {
  /** Stable identifier, e.g. "host-ort-dense", "sd855-cpu-big-bcr". */
  id: string;
  /** Platform in words. */
  platform: string;
  /** A short name for charts, e.g. "host CPU: ONNX Runtime, dense". */
  shortName: string;
  /** Which model ran: "this model, dense", "this model, BCR sparse", or the publication's model. */
  workload: string;
  /** "ours" for this model, "theirs" for published rows (never compared as equals). */
  modelOwner: "ours" | "theirs";
  /** Where the figure comes from. */
  provenance: Provenance;
  /** Provenance as shown: "measured", "measured (RTL simulation)", "measured (user)", "modeled", "published", "published (derived)". */
  provenanceLabel: string;
  /** Microseconds per frame (one time step, batch 1); null when unknown. */
  usPerFrame: number | null;
  /** Useful operations per second (2 per non-zero MAC), GOP/s; null when unknown. */
  effectiveGops: number | null;
  /** Dense-equivalent operations per second (2 per weight of the dense model), GOP/s. */
  denseEquivalentGops: number | null;
  /** How the figure was obtained. */
  method: string;
}

/** A point of the density sweep of the FPGA flow. */
export interface SweepPoint {
  /** Weight density of the pruned model. */
  density: number;
  /** Cycles per time step. */
  cyclesPerStep: number;
  /** PE utilization (useful MACs / (PEs x cycles)). */
  peUtilization: number;
  /** Microseconds per frame at the design's clock. */
  usPerFrame: number;
  /** "measured" (RTL simulation) or "modeled" (the design's analytical estimate). */
  provenance: "measured" | "modeled";
  /** Whether the simulation was bit-exact and protocol-clean (null when not simulated). */
  passed: boolean | null;
  /** The design directory. */
  designDir: string;
}

/** Everything `buildReport` combines. */
export interface ReportInputs {
  /** The model file given. */
  modelPath: string;
  /** The model as benchmarked (after any pruning). */
  model: RnnModel;
  /** How the model was pruned by the bench, or null when used as given. */
  pruning: {
    method: "bcr";
    density: number;
    block: string;
    colShare: number;
    balancedOverPes?: number;
  } | null;
  /** The input sequence's origin. */
  sequence: { steps: number; seed: number };
  /** Host CPU measurements, or why they are missing. */
  hostCpu: HostCpuResult | { skipped: string };
  /** The aarch64 cross-build check. */
  aarch64: Aarch64Check;
  /** FPGA figures, or why they are missing. */
  fpga: FpgaFigures | { missing: string };
  /** Device profiles for the modeled rows (built-ins and the user's). */
  devices: DeviceProfile[];
  /** FPGA cycles and utilization at other densities. */
  densitySweep: SweepPoint[];
  /** BCR storage of every matrix (from the C kernel), to count bytes without recomputing. */
  storage?: MatrixStorage[];
  /** When the report was made (ISO 8601). */
  generatedAt: string;
  /** Accuracy and output error on a data file (`--data`), when given. */
  accuracy?: AccuracySection;
}

/** A device's modeled (or user-measured) figures for both workloads. */
export interface DeviceFigures {
  /** The profile used. */
  device: DeviceProfile;
  /** Roofline estimate of the dense model. */
  dense: RooflineEstimate;
  /** Roofline estimate of the BCR-sparse model. */
  bcr: RooflineEstimate;
}

/** The whole report (the content of report.json). */
export interface BenchReport {
  /** Format tag of this file. */
  schema: "rnnfab-bench-report/1";
  /** When the report was made. */
  generatedAt: string;
  /** Units of the figures. */
  units: Record<string, string>;
  /** What each provenance means. */
  provenance: Record<Provenance, string>;
  /** The benchmarked model. */
  model: {
    path: string;
    kind: string;
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    projSize: number;
    peepholes: boolean;
    weights: number;
    nonZeroWeights: number;
    density: number;
    pruning: ReportInputs["pruning"];
  };
  /** The input sequence. */
  sequence: { steps: number; seed: number };
  /** One entry per platform and workload. */
  rows: ReportRow[];
  /** Computed per-step counts of the dense and the BCR model. */
  counts: { dense: StepCounts; bcr: StepCounts };
  /** Host CPU measurements (or why skipped). */
  hostCpu: HostCpuResult | { skipped: string };
  /** aarch64 cross-build check. */
  aarch64: Aarch64Check;
  /** FPGA figures (or why missing). */
  fpga: FpgaFigures | { missing: string };
  /** Modeled devices: assumptions and per-device roofline estimates. */
  modeled: { assumptions: readonly string[]; devices: DeviceFigures[] };
  /** Published reference figures (their models). */
  published: readonly PublishedRow[];
  /** FPGA cycles and utilization against density. */
  densitySweep: SweepPoint[];
  /** Correctness checks behind the measured rows. */
  checks: { name: string; passed: boolean | null; detail: string }[];
  /** Accuracy and output error of dense, pruned, fine-tuned, fixed-point and RTL (`--data`). */
  accuracy: AccuracySection | null;
}

/** Units of the report's figures. */
export const REPORT_UNITS: Record<string, string> = {
  usPerFrame: "microseconds per frame: one time step of the whole layer stack, batch 1",
  effectiveGops:
    "1e9 useful operations per second, 2 per multiply-accumulate with a non-zero weight",
  denseEquivalentGops: "1e9 operations per second that a dense engine would need for the same " +
    "frame rate, 2 per weight of the dense model",
  bytes: "bytes (1 GB = 1e9 bytes)",
  cycles: "clock cycles of the accelerator",
  peUtilization: "fraction of PE-cycles that did a useful multiply-accumulate",
};

/** What each provenance means. */
export const PROVENANCE_MEANING: Record<Provenance, string> = {
  measured: "timed on this machine (host CPU), counted in cycle-accurate RTL simulation at the " +
    "design's configured clock (FPGA), or measured by a user on a real device and fed back " +
    "with --devices (labelled 'measured (user)')",
  modeled: "computed by the roofline model from the exact operation and byte counts of this " +
    "model and a device profile; not a measurement",
  published: "taken from a publication, for the publication's own model and hardware; not " +
    "comparable as equals with our rows",
};

/** GOP/s of `operations` per frame at `usPerFrame`. */
function gops(operations: number, usPerFrame: number | null): number | null {
  return usPerFrame && usPerFrame > 0 ? operations / (usPerFrame * 1e3) : null;
}

function isHostCpu(value: ReportInputs["hostCpu"]): value is HostCpuResult {
  return !("skipped" in value);
}

function isFpga(value: ReportInputs["fpga"]): value is FpgaFigures {
  return !("missing" in value);
}

/** What every row of ours shares: this model's workloads and the GOP/s of a row. */
interface RowContext {
  /** A row of ours, with its GOP/s computed. */
  ourRow: (
    row: Omit<ReportRow, "modelOwner" | "effectiveGops" | "denseEquivalentGops">,
  ) => ReportRow;
  density: number;
  sparseWorkload: string;
  denseWorkload: string;
}

/** A part of the report: its rows and checks. */
interface ReportPart {
  rows: ReportRow[];
  checks: BenchReport["checks"];
}

/** The FPGA row (measured in RTL simulation) and its bit-exactness check. */
function fpgaPart(fpga: FpgaFigures, context: RowContext): ReportPart {
  const row = context.ourRow({
    id: "fpga",
    shortName: `FPGA: this design (${fpga.pes} PEs, ${fpga.clockMhz} MHz)`,
    platform: `FPGA, this design (${fpga.format}, ${fpga.pes} PEs, ${fpga.clockMhz} MHz)`,
    workload: `this model, ${fpga.format} encoding, fixed point (density ${
      context.density.toFixed(3)
    })`,
    provenance: "measured",
    provenanceLabel: "measured (RTL simulation)",
    usPerFrame: fpga.usPerFrame,
    method:
      `${fpga.simulator} cycle count over ${fpga.steps} steps (${fpga.cyclesPerStep.toFixed(1)} ` +
      `cycles per step) at ${fpga.clockMhz} MHz (${fpga.clockProvenance})`,
  });
  return {
    rows: [row],
    checks: [{
      name: "FPGA simulation bit-exact against the fixed-point golden model",
      passed: fpga.passed,
      detail: `${fpga.simulator}, ${fpga.steps} steps`,
    }],
  };
}

/** The host-CPU rows (measured) and their agreement checks. */
function hostCpuPart(host: HostCpuResult, context: RowContext): ReportPart {
  const hostRow = (id: string, what: string, timed: TimedImplementation, workload: string) =>
    context.ourRow({
      id,
      shortName: `host CPU: ${what}`,
      platform: `Host CPU (${host.cpu}), ${what}`,
      workload,
      provenance: "measured",
      provenanceLabel: "measured",
      usPerFrame: timed.usPerFrame,
      method: `${timed.description}; median of ${timed.timedRuns} timed ${host.steps}-step runs ` +
        `in ${host.rounds} alternating rounds, each after ${host.warmup} warm-up runs`,
    });
  const { denseWorkload, sparseWorkload } = context;
  const rows = [
    hostRow("host-ort-dense", "ONNX Runtime, dense", host.ort, denseWorkload),
    hostRow("host-c-dense", "generated C, dense", host.denseC, denseWorkload),
    hostRow("host-c-bcr", "generated C, BCR sparse", host.bcr, sparseWorkload),
  ];
  if (host.bcrPortable) {
    const what = "generated C, BCR sparse, portable -O3";
    rows.push(hostRow("host-c-bcr-portable", what, host.bcrPortable, sparseWorkload));
  }
  const entries: [string, TimedImplementation | undefined][] = [
    ["ONNX Runtime", host.ort],
    ["C kernel, BCR sparse", host.bcr],
    ["C kernel, dense", host.denseC],
    ["C kernel, BCR sparse (portable)", host.bcrPortable],
  ];
  const checks = entries.filter(([, timed]) => timed !== undefined).map(([name, timed]) => ({
    name: `${name} outputs agree with the float64 reference`,
    passed: timed!.agreesWithFloat,
    detail: `max |error| ${timed!.errorVsFloat.maxAbsError.toExponential(2)}`,
  }));
  return { rows, checks };
}

/** The checks of the density sweep's simulations (other than the main design) and of aarch64. */
function sweepAndAarch64Checks(inputs: ReportInputs): BenchReport["checks"] {
  const checks: BenchReport["checks"] = [];
  const mainDesign = isFpga(inputs.fpga) ? inputs.fpga.designDir : undefined;
  const simulatedSweep = inputs.densitySweep.filter((point) =>
    point.passed !== null && point.designDir !== mainDesign
  );
  if (simulatedSweep.length > 0) {
    const failed = simulatedSweep.filter((point) => point.passed === false);
    checks.push({
      name: "FPGA density-sweep simulations bit-exact against the golden model",
      passed: failed.length === 0,
      detail: failed.length === 0
        ? `${simulatedSweep.length} designs`
        : `failed at density ${failed.map((point) => point.density.toFixed(3)).join(", ")}`,
    });
  }
  const aarch64 = inputs.aarch64;
  checks.push({
    name: "aarch64 cross-build (qemu-user) agrees with the float64 reference",
    passed: aarch64.status === "skipped" ? null : aarch64.status === "passed",
    detail: aarch64.status === "skipped"
      ? `skipped: ${aarch64.reason}`
      : `sparse max |error| ${aarch64.sparseMaxAbsError?.toExponential(2) ?? "n/a"}, ` +
        `dense ${aarch64.denseMaxAbsError?.toExponential(2) ?? "n/a"}` +
        (aarch64.reason ? ` (${aarch64.reason})` : ""),
  });
  return checks;
}

/** One device's row for one workload: measured by a user, else the roofline model. */
function deviceRow(
  device: DeviceProfile,
  suffix: "dense" | "bcr",
  workload: string,
  estimate: RooflineEstimate,
  context: RowContext,
): ReportRow {
  const measured = suffix === "bcr"
    ? device.measured?.sparseUsPerFrame
    : device.measured?.denseUsPerFrame;
  const common = {
    id: `${device.id}-${suffix}`,
    shortName: `${device.id}: ${suffix === "bcr" ? "BCR sparse" : "dense"}`,
    platform: device.name,
    workload,
  };
  return context.ourRow(
    measured !== undefined
      ? {
        ...common,
        provenance: "measured",
        provenanceLabel: "measured (user)",
        usPerFrame: measured,
        method: `measured on the device by a user (${device.origin})` +
          (device.measured?.note ? `: ${device.measured.note}` : "") +
          `; the roofline model gave ${estimate.usPerFrame.toFixed(2)} us`,
      }
      : {
        ...common,
        provenance: "modeled",
        provenanceLabel: "modeled",
        usPerFrame: estimate.usPerFrame,
        method: `roofline: ${estimate.bound}-bound (compute ${estimate.computeUs.toFixed(2)} us, ` +
          `memory ${estimate.memoryUs.toFixed(2)} us, overhead ${estimate.overheadUs} us) on ` +
          `${device.peakGflops} GFLOP/s x ${device.computeEfficiency}, ${device.bandwidthGBs} ` +
          `GB/s x ${device.bandwidthEfficiency}`,
      },
  );
}

/** The published rows (their models, not this one). */
function publishedRows(): ReportRow[] {
  return PUBLISHED_ROWS.map((published) => ({
    id: `published-${published.id}`,
    shortName: `published: ${published.shortName}`,
    platform: published.platform,
    workload: published.model,
    modelOwner: "theirs",
    provenance: "published",
    provenanceLabel: published.derived ? "published (derived)" : "published",
    usPerFrame: published.usPerFrame,
    effectiveGops: published.gops ?? null,
    denseEquivalentGops: published.denseEquivalentGops ?? null,
    method: `${published.note} [${published.citation}]`,
  }));
}

/** Build the report from the measurements, the device profiles and the published figures. */
export function buildReport(inputs: ReportInputs): BenchReport {
  const { model } = inputs;
  const dense = countStep(model, "dense");
  const bcr = countStep(model, "bcr", inputs.storage);
  const density = dense.nonZeroWeights / dense.denseWeights;
  const context: RowContext = {
    ourRow: (row) => ({
      ...row,
      modelOwner: "ours",
      effectiveGops: gops(2 * dense.nonZeroWeights, row.usPerFrame),
      denseEquivalentGops: gops(2 * dense.denseWeights, row.usPerFrame),
    }),
    density,
    sparseWorkload: `this model, BCR sparse (density ${density.toFixed(3)})`,
    denseWorkload: "this model, dense (zeros stored and multiplied)",
  };
  const parts: ReportPart[] = [
    isFpga(inputs.fpga) ? fpgaPart(inputs.fpga, context) : { rows: [], checks: [] },
    isHostCpu(inputs.hostCpu) ? hostCpuPart(inputs.hostCpu, context) : { rows: [], checks: [] },
  ];
  const deviceFigures: DeviceFigures[] = inputs.devices.map((device) => ({
    device,
    dense: rooflineEstimate(dense, device),
    bcr: rooflineEstimate(bcr, device),
  }));
  const rows = [
    ...parts.flatMap((part) => part.rows),
    ...deviceFigures.flatMap((figures) => [
      deviceRow(figures.device, "dense", context.denseWorkload, figures.dense, context),
      deviceRow(figures.device, "bcr", context.sparseWorkload, figures.bcr, context),
    ]),
    ...publishedRows(),
  ];
  return {
    schema: "rnnfab-bench-report/1",
    generatedAt: inputs.generatedAt,
    units: REPORT_UNITS,
    provenance: PROVENANCE_MEANING,
    model: {
      path: inputs.modelPath,
      kind: model.kind,
      inputSize: model.inputSize,
      hiddenSize: model.hiddenSize,
      numLayers: model.numLayers,
      projSize: model.projSize,
      peepholes: model.layers.some((layer) => layer.peephole !== undefined),
      weights: dense.denseWeights,
      nonZeroWeights: dense.nonZeroWeights,
      density,
      pruning: inputs.pruning,
    },
    sequence: inputs.sequence,
    rows,
    counts: { dense, bcr },
    hostCpu: inputs.hostCpu,
    aarch64: inputs.aarch64,
    fpga: inputs.fpga,
    modeled: { assumptions: ROOFLINE_ASSUMPTIONS, devices: deviceFigures },
    published: PUBLISHED_ROWS,
    densitySweep: inputs.densitySweep,
    checks: [...parts.flatMap((part) => part.checks), ...sweepAndAarch64Checks(inputs)],
    accuracy: inputs.accuracy ?? null,
  };
}
