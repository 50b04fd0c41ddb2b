/**
 * bench/sim.ts's pure parts: the ESE-shaped widths and the frames-per-second trend computed from
 * measured figures.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  autoChoices,
  type ConfigFigures,
  type DesignFigures,
  ESE_WIDTHS,
  eseDesign,
  type RunFigures,
  widthTrend,
} from "../bench/sim.ts";
import { runDenoScript } from "./helpers.ts";
import { RUN_PROFILE_MIN_CYCLES } from "../sim/verilator.ts";

function run(cycles: number, steps: number, cpuSeconds: number): RunFigures {
  return {
    sequences: steps / 16,
    steps,
    bitExact: true,
    simulatedCycles: cycles,
    simulationSeconds: cpuSeconds * 2,
    simulationCpuSeconds: cpuSeconds,
    processSeconds: cpuSeconds * 2 + 1,
    cyclesPerSecond: cycles / (cpuSeconds * 2),
    framesPerSecond: steps / (cpuSeconds * 2),
    cyclesPerCpuSecond: cycles / cpuSeconds,
  };
}

function design(name: string, pes: number, lanes: number, cyclesPerFrame: number): DesignFigures {
  const figures: ConfigFigures = {
    config: "new, profile run",
    verilatorVersion: "Verilator 5.48.0",
    profile: "run",
    flags: { verilator: [], make: [] },
    buildSeconds: 100,
    buildCpuSeconds: 50,
    check: run(cyclesPerFrame * 16, 16, 1),
    fidelity: run(cyclesPerFrame * 32, 32, 4),
  };
  return {
    name,
    description: name,
    pes,
    lanes,
    broadcast: 1,
    estimatedCyclesPerSequence: cyclesPerFrame * 16,
    configs: [figures, { config: "old defaults", error: "not installed" }],
    newDefaults: {
      check: { profile: "build", totalSeconds: 1, oldTotalSeconds: null },
      fidelity: { profile: "run", totalSeconds: 1, oldTotalSeconds: null },
    },
  };
}

Deno.test("bench:sim widths: named by PEs and lanes, lanes only where asked", () => {
  assert.equal(eseDesign(1).name, "ese32");
  assert.equal(eseDesign(1, ESE_WIDTHS.ese8).name, "ese8");
  const lanes = eseDesign(1, ESE_WIDTHS.ese32x4);
  assert.equal(lanes.name, "ese32x4");
  assert.equal(lanes.lanes, 4);
  assert.match(lanes.description, /32 PEs x 4 lanes, 4 columns per broadcast beat/);
});

Deno.test("bench:sim widths: frames per CPU second from the fidelity batch, narrowest first", () => {
  const rows = widthTrend([
    design("ese32x4", 32, 4, 1000),
    design("gru8", 8, 1, 500),
    design("ese8", 8, 1, 40000),
  ], "new, profile run");
  assert.deepEqual(rows.map((r) => r.design), ["ese8", "ese32x4"]);
  assert.equal(rows[0].cyclesPerFrame, 40000);
  assert.equal(rows[0].framesPerCpuSecond, 40000 * 32 / 4 / 40000);
  assert.equal(rows[1].multipliers, 128);
  // 32 x 1000 cycles in 4 CPU s on 32 PEs: 8000 cycles per CPU s, 1e6 / 8000 / 32 us per PE cycle
  assert.equal(rows[1].cpuMicrosecondsPerPeCycle, 1e6 / 8000 / 32);
  assert.equal(widthTrend([design("ese8", 8, 1, 10)], "old defaults").length, 0);
});

Deno.test("bench:sim --combine: the designs of two runs, each run's machine, the trend over both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rnnfab-bench-sim-" });
  try {
    const file = async (name: string, designs: DesignFigures[], load: number) => {
      const path = join(dir, name);
      const machine = { cpus: 2, loadAverage: [load, load, load] };
      await Deno.writeTextFile(path, JSON.stringify({ benchmark: "sim", machine, designs }));
      return path;
    };
    const a = await file("a.json", [design("ese32", 32, 1, 11000)], 30);
    const b = await file("b.json", [design("ese8", 8, 1, 40000)], 20);
    const out = join(dir, "sim.json");
    const run = await runDenoScript("cli/bench_sim.ts", ["--combine", `${a},${b}`, "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const combined = JSON.parse(await Deno.readTextFile(out));
    assert.deepEqual(combined.designs.map((d: DesignFigures) => d.name), ["ese32", "ese8"]);
    assert.deepEqual(combined.runs.map((r: { file: string }) => r.file), [a, b]);
    assert.equal(combined.runs[1].machine.loadAverage[0], 20);
    assert.deepEqual(combined.widths.map((w: { design: string }) => w.design), ["ese8", "ese32"]);
    const bad = await runDenoScript("cli/bench_sim.ts", ["--combine", out + ".missing"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sim\.json\.missing: cannot read a bench:sim result/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench:sim auto choice: a profile the run did not measure has no total (null, not NaN)", () => {
  const figures = design("gru8", 8, 1, 837).configs[0] as ConfigFigures;
  const choices = autoChoices([figures], {
    check: 16,
    fidelity: RUN_PROFILE_MIN_CYCLES,
  });
  assert.equal(choices.check.profile, "build");
  assert.equal(choices.check.totalSeconds, null);
  assert.equal(choices.fidelity.profile, "run");
  assert.equal(choices.fidelity.totalSeconds, 100 + figures.fidelity.processSeconds);
  assert.equal(choices.fidelity.oldTotalSeconds, null);
});
