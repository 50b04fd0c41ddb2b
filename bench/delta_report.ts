/**
 * The Markdown section of the delta benchmark (bench/delta.ts): the figures of
 * bench/results/delta.json, each with its label, and the targets with what limits them.
 *
 * @module
 */

import type { CellBalanceSummary } from "./delta_balance.ts";
import type { DeltaBenchResult } from "./delta.ts";
import type { DeltaPhases } from "./delta_built.ts";
import { cyclesText, deltaConfigMarkdown } from "./delta_configs.ts";
import { formatDeltaWorkBound } from "./delta_bound.ts";

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** What limits the cycle reduction: the cycles of a frame that delta does not shrink. */
export function fixedPart(result: DeltaBenchResult): { cycles: number; bound: number } {
  const report = result.cycles.delta;
  const layers = report.calibration.fillPerLayer === 0 ? 0 : result.fired.fraction.length;
  const cycles = report.denseCyclesPerFrame - report.calibration.denseMatvec +
    layers * report.calibration.fillPerLayer;
  return { cycles, bound: report.denseCyclesPerFrame / Math.max(1, cycles) };
}

/** Where a frame's cycles go, as text. */
function phaseText(p: DeltaPhases): string {
  return `${p.matvec.toFixed(1)} gate matrix-vector, ${p.projection.toFixed(1)} element-wise ` +
    `and projection (with theta_m also the next step's input part, which goes early), ` +
    `${p.outputWait.toFixed(1)} waiting for the output stream`;
}

/** The built datapath's rows of the cycles table. */
function builtRows(built: DeltaBenchResult["cycles"]["built"]): string[] {
  const d = built.delta;
  const beat = `ese, ${built.design.broadcast} columns per beat`;
  const rows = [
    `| built datapath without delta (ese) | ${built.denseCyclesPerFrame} | | | | computed: ` +
    "cycle model of the generated RTL (rtl/timing.ts) |",
    `| built datapath with delta (${beat}), ${built.frames} frames | ${d.mean.toFixed(1)} | ` +
    `${d.p50} | ${d.p99} | ${d.worst} | ${built.label} |`,
    `| same design, no column fired (what delta cannot remove) | ${
      built.idleCyclesPerFrame.toFixed(1)
    } | | | | computed: the same cycle model with every fired set empty |`,
  ];
  const v = built.verilator;
  if (v) {
    rows.push(
      `| same, simulated: ${v.sequences} utterances, ${v.frames} frames | ${
        v.delta.mean.toFixed(1)
      } | ${v.delta.p50} | ${v.delta.p99} | ${v.delta.worst} | measured (Verilator; every step ` +
        `end ${v.equal ? "equal to" : "DIFFERENT from"} the cycle model) |`,
    );
  }
  rows.push(
    "| older analytical model (below; not the built datapath) | | | | | modeled |",
  );
  return rows;
}

/** The threshold sweep's table (empty without a sweep). */
/** theta_m of the run (real units), or undefined: the dense projection. */
function thetaMOf(result: DeltaBenchResult): unknown {
  return (result.setup.delta as { thetaM?: unknown } | undefined)?.thetaM;
}

function sweepLines(result: DeltaBenchResult): string[] {
  const sweep = result.sweep;
  if (!sweep) return [];
  const dense = result.accuracy[0].accuracy;
  return [
    `Threshold sweep on ${sweep.model} (theta_x = theta_h, real units${
      thetaMOf(result) === undefined ? "" : `, theta_m ${thetaMOf(result)} at every point`
    }; ${sweep.label}; the same ` +
    `model without delta: ${sweep.denseCyclesPerFrame} cycles per frame, ese, ${sweep.broadcast} ` +
    "column(s) per beat with delta):",
    "",
    "| theta | accuracy | vs dense | fired per layer | cycles per frame mean / p50 / p99 / worst | " +
    "fewer cycles | us per frame (assumed clock) | effective TOp/s (assumed clock) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...sweep.points.map((p) =>
      `| ${p.theta} | ${percent(p.accuracy)} | ${((p.accuracy - dense) * 100).toFixed(2)} | ${
        p.fired.fraction.map(percent).join(" / ")
      } | ${p.cycles.mean.toFixed(1)} / ${p.cycles.p50} / ${p.cycles.p99} / ${p.cycles.worst} | ${
        p.speedup.toFixed(2)
      }x | ${p.microseconds.mean.toFixed(3)} | ${p.effectiveTops.toFixed(4)} |`
    ),
    "",
    sweep.picked
      ? `Largest theta within ${sweep.budgetPoints} point of the dense model: ${sweep.picked.theta} ` +
        `(${percent(sweep.picked.accuracy)}, ${sweep.picked.speedup.toFixed(2)}x fewer cycles).`
      : `No theta of the sweep is within ${sweep.budgetPoints} point of the dense model.`,
    "",
  ];
}

/**
 * The header's design: the built delta datapath's (PEs, ese, columns and output words per beat),
 * and the analytical model's design where its settings differ (files before `cycles.built.design`
 * name only the latter).
 */
function designLine(result: DeltaBenchResult, accelerator: Record<string, unknown>): string {
  const modeled = `${accelerator.pes} PEs, ${accelerator.format}, ${accelerator.lanes} lane(s)`;
  const built = result.cycles.built?.design;
  if (!built) return `design: ${modeled}`;
  return `built design: ${built.pes} PEs x ${built.lanes ?? 1} MAC lane(s), ${built.format}, ` +
    `${built.broadcast} column(s) per ` +
    `beat, ${built.outWords} output / ${built.inWords ?? 1} input word(s) per beat (the ` +
    `analytical model's: ${modeled})`;
}

/** The cell balance of `--balance-data` (none: no lines). */
function cellBalanceLines(result: DeltaBenchResult): string[] {
  const balance = result.setup.cellBalance as CellBalanceSummary | undefined;
  if (!balance) return [];
  const layers = balance.layers.flatMap((figures, layer) =>
    figures
      ? [
        `layer ${layer} ${figures.busiestBefore.toFixed(1)} -> ${
          figures.busiestAfter.toFixed(1)
        } (mean PE ${figures.meanPe.toFixed(1)}, ${figures.movedGroups} line groups moved)`,
      ]
      : []
  );
  return [
    `The built design's cells are balanced over its PEs on ${balance.frames} frames of ` +
    `${balance.sequences} sequences of ${balance.data} (the same function: its delta golden ` +
    `outputs ${balance.outputsEqual ? "equal" : "DIFFER FROM"} the model's bit for bit); the ` +
    `busiest PE's lines a frame there: ${layers.join("; ")} (${balance.label}). The accuracy ` +
    "rows are the model's, the cycles the balanced design's.",
    "",
  ];
}

/** The section as Markdown lines. */
export function deltaMarkdown(result: DeltaBenchResult): string {
  const model = result.setup.model as Record<string, number | string>;
  const accelerator = result.setup.accelerator as Record<string, unknown>;
  const t = result.throughput;
  const c = result.cycles;
  const fixed = fixedPart(result);
  const lines = [
    "## Delta activations (issue 19)",
    "",
    `Model: ${model.kind} ${model.inputSize}/${model.hiddenSize}` +
    `${Number(model.projSize) > 0 ? `/${model.projSize}` : ""}, ${model.numLayers} layer(s), ` +
    `trained on the speech set; ${result.setup.testSequences} test utterances ` +
    `(${result.setup.frames} frames); thresholds ${JSON.stringify(result.setup.delta)} (real ` +
    `units); ${designLine(result, accelerator)}.`,
    "",
    ...cellBalanceLines(result),
    "| model | density | accuracy | how |",
    "| --- | --- | --- | --- |",
    ...result.accuracy.map((a) =>
      `| ${a.name} | ${a.density.toFixed(3)} | ${percent(a.accuracy)} | ${a.label} |`
    ),
    "",
    `Fired fraction per layer (${result.fired.label}): ` +
    result.fired.fraction.map((f, l) =>
      `layer ${l} ${percent(f)} (x ${percent(result.fired.fractionX[l])}, h ${
        percent(result.fired.fractionH[l])
      }${
        thetaMOf(result) === undefined
          ? ""
          : `, projection input m ${percent(result.fired.fractionM?.[l] ?? 0)}`
      })`
    ).join("; ") + ".",
    "",
    "| cycles per frame | mean | p50 | p99 | worst | how |",
    "| --- | --- | --- | --- | --- | --- |",
    ...builtRows(c.built),
    `| without delta (${accelerator.format}) | ${
      cyclesText(c.dense.cyclesPerFrame)
    } | | | | ${c.dense.label} |`,
    ...[["with delta (encoder overlapped, assumed)", c.delta], [
      "with delta (encoder serial)",
      c.deltaSerialEncoder,
    ]].map(([name, r]) => {
      const report = r as typeof c.delta;
      return `| ${name} | ${report.delta.mean.toFixed(1)} | ${cyclesText(report.delta.p50)} | ${
        cyclesText(report.delta.p99)
      } | ${cyclesText(report.delta.worst)} | ${report.label} |`;
    }),
    "",
    `At ${t.clockMhz} MHz (${t.clockLabel}), the built datapath: ${
      Number(t.microsecondsPerFrameBuiltDense).toFixed(3)
    } us per frame without delta, ${
      Number(t.microsecondsPerFrameBuiltDelta).toFixed(3)
    } us with delta (mean), ${t.denseOpsPerFrame} dense operations per frame: ${
      Number(t.effectiveTopsBuiltDelta).toFixed(4)
    } TOp/s effective. The older analytical model: ${
      Number(t.microsecondsPerFrameDense).toFixed(3)
    } us without, ${Number(t.microsecondsPerFrameDelta).toFixed(3)} us with delta (mean; p99 ${
      Number(t.microsecondsPerFrameDeltaP99).toFixed(3)
    } us), ${Number(t.effectiveTopsDense).toFixed(4)} and ${
      Number(t.effectiveTopsDelta).toFixed(4)
    } TOp/s (${t.label}).`,
    "",
    ...sweepLines(result),
    ...(result.configs ? deltaConfigMarkdown(result.configs) : []),
    ...(result.bound ? [formatDeltaWorkBound(result.bound), ""] : []),
    "| target | goal | reached | met |",
    "| --- | --- | --- | --- |",
    ...result.targets.map((g) =>
      `| ${g.target} | ${g.goal} | ${g.reached} | ${g.met ? "yes" : "no"} |`
    ),
    "",
    `What limits them: on the built datapath a frame takes ${
      c.built.idleCyclesPerFrame.toFixed(1)
    } cycles when no column fires (computed: the element-wise latency, the output stream of ` +
    `${c.built.design.outWords} word(s) per cycle and the walk of every column through the ` +
    `encoders, which delta does not remove: per frame ${phaseText(c.built.idlePhases)}; with the ` +
    `test set's fires ${phaseText(c.built.phases)}), so delta alone ` +
    `gives at most ${(c.built.denseCyclesPerFrame / c.built.idleCyclesPerFrame).toFixed(2)}x ` +
    `there (the older analytical model's bound: ${fixed.cycles.toFixed(0)} of ` +
    `${cyclesText(c.dense.cyclesPerFrame)} cycles not matrix-vector work, at most ${
      fixed.bound.toFixed(2)
    }x); a fired column costs the busiest PE ` +
    `${c.delta.columnBalance.busiestPe.toFixed(2)} cycles where the mean PE spends ` +
    `${c.delta.columnBalance.meanPe.toFixed(2)} (computed from the image; prune --balance ` +
    "columns spreads each column over the PEs); the throughput and time targets " +
    "are those of a 1024-cell layer, and this model has " +
    `${t.denseOpsPerFrame} dense operations per frame (the ESE shape has 6.5 M).`,
  ];
  return lines.join("\n") + "\n";
}
