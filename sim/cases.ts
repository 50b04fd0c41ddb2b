/**
 * Simulation test cases as data: a small random model (kind, sizes, layers, projection,
 * peepholes), pruned to a density, generated for a PE count and weight format, and simulated
 * with and without random back-pressure. The sim tests (`tests/sim_*_test.ts`) run lists of
 * these; keeping the models tiny keeps every Verilator build short.
 *
 * @module
 */

import { join } from "node:path";
import { type BlockSize, magnitudePrune, pruneModelBcr } from "../prune/mod.ts";
import type { RnnKind, RnnModel } from "../model/model.ts";
import { randomModel } from "../model/random.ts";
import { type AcceleratorSettings, generateDesignDir, type WrittenDesign } from "../rtl/mod.ts";
import type { SimResult } from "./result.ts";
import { simulateDesign, type Simulator } from "./simulate.ts";

/** One simulation case. */
export interface SimCase {
  /** Short unique name (used in test names and directories). */
  name: string;
  /** Cell type. */
  kind: RnnKind;
  /** Input size of layer 0. */
  inputSize: number;
  /** Cells per layer. */
  hiddenSize: number;
  /** Layers. */
  numLayers: number;
  /** LSTM projection size (0: none). */
  projSize?: number;
  /** LSTM peepholes. */
  peepholes?: boolean;
  /** Target weight density in (0, 1]; 1 leaves the model dense. */
  density: number;
  /** How to prune: BCR blocks (with PE balance) or plain magnitude. */
  prune?: { method: "bcr"; block: BlockSize } | { method: "magnitude" };
  /** Number of PEs. */
  pes: number;
  /** Weight format. */
  format: "ese" | "bcr";
  /** Further accelerator settings (as `deno task gen --config` takes them). */
  settings?: AcceleratorSettings;
  /** Seed of the model, inputs and back-pressure. */
  seed: number;
  /** Time steps to simulate. */
  steps: number;
  /** Weight scale relative to PyTorch's 1/sqrt(H) (larger drives activations into saturation). */
  weightScale?: number;
}

/** The model of a case: random, then pruned as the case says (deterministic). */
export function caseModel(simCase: SimCase): RnnModel {
  const model = randomModel({
    kind: simCase.kind,
    inputSize: simCase.inputSize,
    hiddenSize: simCase.hiddenSize,
    numLayers: simCase.numLayers,
    projSize: simCase.projSize ?? 0,
    peepholes: simCase.peepholes ?? false,
    seed: simCase.seed,
    scale: (simCase.weightScale ?? 1) / Math.sqrt(simCase.hiddenSize),
  });
  if (simCase.density >= 1) return model;
  const prune = simCase.prune ?? { method: "magnitude" };
  if (prune.method === "magnitude") return magnitudePrune(model, simCase.density);
  return pruneModelBcr(model, {
    block: prune.block,
    rates: { density: simCase.density },
    pes: simCase.pes,
  }).model;
}

/** Results of one case. */
export interface CaseRun {
  /** The design directory. */
  dir: string;
  /** Seconds spent generating the design (measured). */
  genSeconds: number;
  /** Run with inputs always offered and the output always ready (cycle count vs estimate). */
  plain: SimResult;
  /** Run with random output back-pressure and input gaps (absent when not asked). */
  stalled?: SimResult;
}

/** Options of `runCase`. */
export interface RunCaseOptions {
  /** Parent directory of the design (a subdirectory named after the case is written). */
  root: string;
  /** Simulator (default verilator). */
  simulator?: Simulator;
  /** Also run with this back-pressure probability (and half of it as input gaps). */
  backpressure?: number;
  /** Build cache root (default: the simulation default). */
  cacheDir?: string;
}

/** Generate a case's design into `dir`, in process (as `deno task gen` does). */
export function generateCase(simCase: SimCase, dir: string): Promise<WrittenDesign> {
  return generateDesignDir(caseModel(simCase), dir, {
    pes: simCase.pes,
    format: simCase.format,
    ...simCase.settings,
  }, simCase.name);
}

/** Generate a case's design and simulate it (plain, then optionally with back-pressure). */
export async function runCase(simCase: SimCase, options: RunCaseOptions): Promise<CaseRun> {
  const dir = join(options.root, simCase.name);
  const generated = await generateCase(simCase, dir);
  const common = {
    designDir: dir,
    steps: simCase.steps,
    seed: simCase.seed,
    simulator: options.simulator,
    cacheDir: options.cacheDir,
    resultPath: null,
  };
  const plain = await simulateDesign(common);
  const stalled = options.backpressure
    ? await simulateDesign({
      ...common,
      backpressure: options.backpressure,
      inputGaps: options.backpressure / 2,
    })
    : undefined;
  return { dir, genSeconds: generated.seconds, plain, stalled };
}

/** A one-line description of a case result for test logs. */
export function describeRun(simCase: SimCase, run: CaseRun): string {
  const p = run.plain;
  return `${simCase.name}: ${p.simulator} ${p.bitExact ? "bit-exact" : "MISMATCH"}, ` +
    `${p.cycles} cycles (estimate ${p.estimate.cycles}, ` +
    `${(100 * p.estimate.relativeError).toFixed(2)}%), PE utilization ` +
    `${(100 * p.peUtilization).toFixed(1)}%` +
    (run.stalled
      ? `; back-pressured: ${run.stalled.bitExact ? "bit-exact" : "MISMATCH"}, ` +
        `${run.stalled.cycles} cycles, ${run.stalled.stalls.outputBackpressureCycles} held`
      : "") +
    `; gen ${run.genSeconds.toFixed(1)} s, build ${p.wallSeconds.build.toFixed(1)} s`;
}

/** Problems with a case run (empty when it passed): exactness, protocol, estimate, stalls. */
export function caseProblems(run: CaseRun, options: { estimateTolerance?: number } = {}): string[] {
  const problems: string[] = [];
  const tolerance = options.estimateTolerance ?? 0.02;
  const p = run.plain;
  if (!p.bitExact) {
    problems.push(
      `plain run: ${p.mismatchCount} mismatching words, first ${JSON.stringify(p.mismatches[0])}`,
    );
  }
  for (const failure of p.failures) problems.push(`plain run: ${failure}`);
  if (!(Math.abs(p.estimate.relativeError) <= tolerance)) {
    problems.push(
      `estimate ${p.estimate.cycles} cycles is ${(100 * p.estimate.relativeError).toFixed(2)}% ` +
        `off the simulated ${p.cycles} (tolerance ${100 * tolerance}%)`,
    );
  }
  if (!(p.peUtilization > 0 && p.peUtilization <= 1)) {
    problems.push(`PE utilization ${p.peUtilization} is not in (0, 1]`);
  }
  const s = run.stalled;
  if (s) {
    if (!s.bitExact) {
      problems.push(
        `back-pressured run: ${s.mismatchCount} mismatching words, first ${
          JSON.stringify(s.mismatches[0])
        }`,
      );
    }
    for (const failure of s.failures) problems.push(`back-pressured run: ${failure}`);
    if (s.stalls.outputBackpressureCycles === 0) {
      problems.push("back-pressured run: the output was never held (back-pressure not exercised)");
    }
    if (s.cycles < p.cycles) problems.push("back-pressured run finished sooner than the plain run");
    if (s.simulator === "verilator" && !s.build.cached) {
      problems.push("back-pressured run rebuilt the simulator (cache missed)");
    }
  }
  return problems;
}
