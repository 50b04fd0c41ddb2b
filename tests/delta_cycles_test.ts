import assert from "node:assert/strict";
import { randomModel } from "../model/random.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { quantizeInputs } from "../model/fixed.ts";
import { runFixedDelta } from "../model/delta_run.ts";
import { DEFAULT_ACCELERATOR_CONFIG, generateFromModel } from "../rtl/mod.ts";
import {
  columnWork,
  cycleStats,
  DELTA_CYCLES_LABEL,
  deltaCycles,
  firedStepCollector,
  phaseCycles,
} from "../rtl/delta_cycles.ts";
import type { AcceleratorConfig } from "../rtl/config.ts";

const FIXED = { ...DEFAULT_ACCELERATOR_CONFIG.fixed, activationBits: 20 };

function tinyDesign(options: { format: "ese" | "bcr"; lanes: number; proj: number }) {
  const dense = randomModel({
    kind: "lstm",
    inputSize: 6,
    hiddenSize: 16,
    numLayers: 2,
    projSize: options.proj,
    seed: 9,
  });
  const { model } = pruneModelBcr(dense, {
    block: { rows: 4, cols: 2 },
    rates: { density: 0.4, colShare: 0.5 },
  });
  const config: AcceleratorConfig = {
    ...DEFAULT_ACCELERATOR_CONFIG,
    pes: 4,
    format: options.format,
    lanes: options.lanes,
    fixed: FIXED,
    ...(options.format === "bcr" ? { blockRows: 4, blockCols: 2 } : {}),
  };
  return generateFromModel(model, config).design;
}

/** A slow random walk: the thresholds fire on some columns of some steps. */
function walk(steps: number, size: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (state * 69069 + 1) % 4294967296) / 4294967296) - 0.5;
  let value = Array.from({ length: size }, next);
  return Array.from({ length: steps }, () => (value = value.map((v) => v + 0.3 * next())));
}

for (
  const shape of [
    { format: "ese" as const, lanes: 1, proj: 0 },
    { format: "bcr" as const, lanes: 1, proj: 4 },
    { format: "bcr" as const, lanes: 2, proj: 0 },
  ]
) {
  Deno.test(`delta cycle model (${shape.format}, ${shape.lanes} lane(s), proj ${shape.proj}): every column fired gives the dense estimate, fewer columns fewer cycles`, () => {
    const design = tinyDesign(shape);
    const work = columnWork(design);
    // The work read from the image covers every W_ih/W_hh non-zero (lanes: weight words).
    const total = [...work.x, ...work.h].flat(2).reduce((a, b) => a + b, 0);
    const nonZeros = design.image.manifest.segments
      .filter((_, s) => design.hardwareSegments[s].part !== "proj")
      .reduce((sum, seg) => sum + seg.nonZeros, 0);
    if (shape.lanes === 1) assert.ok(total >= nonZeros && total <= nonZeros * 1.5, `${total}`);
    else assert.ok(total * shape.lanes >= nonZeros, `${total}`);

    const layers = design.model.numLayers;
    const allColumns = (n: number) => Array.from({ length: n }, (_, c) => c);
    const every = {
      x: work.x.map((pes) => allColumns(pes[0].length)),
      h: work.h.map((pes) => allColumns(pes[0].length)),
    };
    const none = { x: work.x.map(() => []), h: work.h.map(() => []) };
    const report = deltaCycles(design, [every, none, every]);
    assert.equal(report.label, DELTA_CYCLES_LABEL);
    assert.ok(report.calibration.fillPerLayer >= 0);
    assert.equal(report.delta.worst, design.estimate.cyclesPerStep);
    const idle = design.estimate.cyclesPerStep - design.estimate.breakdown.matvec +
      layers * report.calibration.fillPerLayer;
    assert.equal(report.delta.p50, design.estimate.cyclesPerStep);
    assert.ok(Math.abs(cycleStats([idle]).mean - idle) < 1e-9);
    assert.ok(report.delta.mean < design.estimate.cyclesPerStep);

    // Fired sets from the golden model on slowly moving inputs; cycles never exceed dense.
    const quantized = design.quantized;
    const collector = firedStepCollector(layers);
    const inputs = quantizeInputs(walk(12, 6, 3), quantized.format);
    const theta = 2 ** (quantized.format.activationFrac - 3);
    runFixedDelta(quantized, inputs, { thetaX: [theta, theta], thetaH: [theta, theta] }, {
      onFire: collector.onFire,
    });
    const frames = collector.finish(inputs.length);
    assert.equal(frames.length, 12);
    const run = deltaCycles(design, frames);
    assert.ok(run.delta.worst <= design.estimate.cyclesPerStep);
    assert.ok(run.delta.p50 <= run.delta.p99 && run.delta.p99 <= run.delta.worst);
    assert.ok(run.speedup >= 1);
    const serial = deltaCycles(design, frames, { encoder: "serial" });
    assert.ok(serial.delta.mean > run.delta.mean);
    // one layer's phase: monotone in the fired set
    const l0 = { x: work.x[0], h: work.h[0] };
    assert.ok(phaseCycles(l0, { x: [0], h: [] }) <= phaseCycles(l0, { x: [0, 1], h: [0] }));
  });
}
