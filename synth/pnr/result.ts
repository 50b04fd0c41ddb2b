/**
 * Assembling timing.json from a finished run (pure): the achieved Fmax against the target, the
 * critical path in RTL terms, the port paths, the utilization of every resource (headline ones
 * with percentages), the synthesized cells, run times, tool versions, part and seed.
 *
 * @module
 */

import type { OutputRegisterPacking } from "./bram_registers.ts";
import type { PnrDesign } from "./design.ts";
import type { ScopeIndex } from "./hierarchy.ts";
import { achievedFmax, criticalPath, ioPaths, type NextpnrReport } from "./nextpnr_report.ts";
import { TIMING_FORMAT, type TimingReport, timingReportSchema } from "./schema.ts";
import { partLabel, type PnrRouter, type PnrTarget } from "./targets.ts";
import type { PnrTools } from "./tools.ts";
import type { PortMode } from "./ports.ts";

/** What `timingReportFrom` combines. */
export interface TimingInputs {
  /** The design. */
  design: Pick<PnrDesign, "description" | "top" | "pes" | "cyclesPerStep">;
  /** The part. */
  target: PnrTarget;
  /** Tool versions. */
  tools: Pick<PnrTools, "yosysVersion" | "nextpnrVersion" | "packages">;
  /** designDigest of the RTL and memory images. */
  digest: string;
  /** Placer seed. */
  seed: number;
  /** How the ports met the pins. */
  ports: PortMode;
  /** nextpnr's router. */
  router: PnrRouter;
  /** The flow's version (flow.ts `PNR_FLOW_VERSION`). */
  flow: number;
  /** What moved into block RAM output registers (ECP5), else null. */
  blockRamOutputRegisters: OutputRegisterPacking | null;
  /** Requested clock, MHz. */
  freqMhz: number;
  /** nextpnr's report. */
  report: NextpnrReport;
  /** The flattened instances. */
  index: ScopeIndex;
  /** Synthesized cells by type. */
  cells: Record<string, number>;
  /** Run times, seconds. */
  seconds: { synthesis: number; placeAndRoute: number; total: number };
  /** Files of the run, relative to the design folder. */
  files: Record<string, string>;
  /** Notes about the flow. */
  notes: string[];
}

/** "placed and routed (nextpnr, ECP5-85F, -8)". */
export function pnrProvenance(target: PnrTarget): string {
  return `placed and routed (nextpnr, ${partLabel(target)})`;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function utilizationSummary(report: NextpnrReport, target: PnrTarget) {
  return target.resources.map((resource) => {
    const figures = report.utilization[resource.resource] ??
      { used: 0, available: resource.available };
    return {
      resource: resource.resource,
      name: resource.name,
      used: figures.used,
      available: figures.available,
      percent: figures.available > 0 ? round((100 * figures.used) / figures.available, 1) : 0,
    };
  });
}

/** The timing report of a run; an Error when nextpnr's report has no clock or no path. */
export function timingReportFrom(inputs: TimingInputs): TimingReport {
  const { report, target } = inputs;
  const fmax = achievedFmax(report);
  const path = criticalPath(report, inputs.index);
  if (!fmax || !path) {
    throw new Error("nextpnr's report has no clock domain (no Fmax or critical path)");
  }
  const cycles = inputs.design.cyclesPerStep;
  return timingReportSchema.parse({
    format: TIMING_FORMAT,
    design: {
      description: inputs.design.description,
      top: inputs.design.top,
      pes: inputs.design.pes,
      digest: inputs.digest,
      cyclesPerStep: cycles,
    },
    target: {
      id: target.id,
      family: target.family,
      part: target.part,
      label: target.label,
      package: target.package,
      speedGrade: target.speedGrade,
    },
    seed: inputs.seed,
    ports: inputs.ports,
    router: inputs.router,
    flow: inputs.flow,
    blockRamOutputRegisters: inputs.blockRamOutputRegisters,
    provenance: pnrProvenance(target),
    requestedMhz: inputs.freqMhz,
    fmaxMhz: round(fmax.mhz, 2),
    passed: fmax.mhz >= inputs.freqMhz,
    slackNs: round(1000 / inputs.freqMhz - 1000 / fmax.mhz),
    usPerStepAtFmax: cycles === null ? null : round(cycles / fmax.mhz, 4),
    clockNet: fmax.clock,
    criticalPath: path,
    ioPaths: ioPaths(report),
    utilization: {
      summary: utilizationSummary(report, target),
      resources: report.utilization,
      synthesizedCells: inputs.cells,
    },
    runtime: {
      synthesisSeconds: round(inputs.seconds.synthesis, 1),
      placeAndRouteSeconds: round(inputs.seconds.placeAndRoute, 1),
      totalSeconds: round(inputs.seconds.total, 1),
    },
    tools: {
      yosys: inputs.tools.yosysVersion,
      nextpnr: inputs.tools.nextpnrVersion,
      packages: inputs.tools.packages,
    },
    files: inputs.files,
    notes: inputs.notes,
  });
}

/** The report as text lines: Fmax and verdict, the critical path hop by hop, utilization. */
export function formatTimingReport(timing: TimingReport): string[] {
  const path = timing.criticalPath;
  const lines = [
    `${timing.target.label} (${timing.target.part}, ${timing.target.package}` +
    `${
      timing.target.speedGrade ? `, speed ${timing.target.speedGrade}` : ""
    }), seed ${timing.seed}, ports ${timing.ports}, ${timing.router}: ` +
    `Fmax ${timing.fmaxMhz.toFixed(2)} MHz, target ${timing.requestedMhz} MHz: ` +
    `${timing.passed ? "PASS" : "FAIL"} (slack ${timing.slackNs.toFixed(2)} ns), ` +
    timing.provenance,
    `critical path ${path.totalNs.toFixed(2)} ns: logic ${path.logicNs.toFixed(2)} ns, ` +
    `routing ${path.routingNs.toFixed(2)} ns, ${path.segments} segments:`,
    ...path.hops.map((hop) => `  ${formatHop(hop)}`),
  ];
  if (timing.usPerStepAtFmax !== null && timing.design.cyclesPerStep !== null) {
    lines.push(
      `${timing.design.cyclesPerStep} cycles per step: ${timing.usPerStepAtFmax.toFixed(3)} us ` +
        `per step at ${timing.fmaxMhz.toFixed(2)} MHz`,
    );
  }
  const packed = timing.blockRamOutputRegisters;
  if (packed !== null) {
    lines.push(
      `block RAM output registers: ${packed.flipFlops.toLocaleString("en-US")} ` +
        `${packed.scope === "all" ? "" : "pipeline "}flip-flops moved into ${packed.ports} read ` +
        `ports (${packed.portsLeft} left)`,
    );
  }
  lines.push("utilization:");
  for (const row of timing.utilization.summary) {
    lines.push(
      `  ${row.name}: ${row.used.toLocaleString("en-US")} / ` +
        `${row.available.toLocaleString("en-US")} (${row.percent.toFixed(1)}%)`,
    );
  }
  return lines;
}

/** "pe0.gen_gru.ew.act_n (rnnfab_act, PE 0): base_wide, product; logic 1.2 ns, routing 3.4 ns". */
export function formatHop(hop: TimingReport["criticalPath"]["hops"][number]): string {
  const where = hop.instance === "" ? hop.module : hop.instance;
  const what = [
    hop.instance === "" ? "top" : hop.module,
    ...(hop.pe === null ? [] : [`PE ${hop.pe}`]),
  ];
  const signals = hop.signals.length > 0 ? `: ${hop.signals.slice(0, 6).join(", ")}` : "";
  return `${where} (${what.join(", ")})${signals}; logic ${hop.logicNs.toFixed(2)} ns, ` +
    `routing ${hop.routingNs.toFixed(2)} ns`;
}
