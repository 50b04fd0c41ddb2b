/**
 * End-to-end cases (the table is tests/e2e_cases.ts): what a case is (a random model, thinned to
 * a density, generated for a PE count, weight format and number formats, and the simulator it
 * runs on), and one runner that generates it in process, simulates it with the sim flow
 * (sim/simulate.ts: the Verilator or Icarus harness) and checks it: every output word bit-exact
 * against the golden model, and the cycle model of design.json (rtl/timing.ts) **exactly** equal
 * to the simulated cycles. The cocotb and sim CLI tests build their models with `caseModel`.
 *
 * @module
 */

import "./sim_cache_env.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { RnnModel } from "../model/model.ts";
import { randomModel, type RandomModelOptions, seededRandom } from "../model/random.ts";
import { type BlockSize, magnitudePrune, pruneModelBcr } from "../prune/mod.ts";
import {
  type AcceleratorSettings,
  type DesignParams,
  generateDesignDir,
  generateFromModel,
  resolveAcceleratorConfig,
  type WrittenDesign,
} from "../rtl/mod.ts";
import type { SimResult } from "../sim/result.ts";
import { simulateDesign, type Simulator } from "../sim/simulate.ts";

/** How a case's model is thinned to its density. */
export type Thinning =
  /** magnitude pruning (prune/), the default */
  | { method: "magnitude" }
  /** BCR pruning with PE balance (prune/) */
  | { method: "bcr"; block: BlockSize }
  /** each weight kept with probability `density` */
  | { method: "random" }
  /** in each block, a random sqrt(density) of the rows and of the columns kept */
  | { method: "blocks"; block: BlockSize };

/** One end-to-end case: the shape of its random model (`randomModel` of model/random.ts), then: */
export interface E2eCase extends Omit<RandomModelOptions, "seed" | "scale"> {
  /** Short unique name (test names, design directories). */
  name: string;
  /** Weight density in (0, 1]; 1 leaves the model dense. */
  density: number;
  /** How the model is thinned (default magnitude). */
  prune?: Thinning;
  /** Weight scale relative to PyTorch's 1/sqrt(H) (larger drives activations into saturation). */
  weightScale?: number;
  /** Number of PEs. */
  pes: number;
  /** Weight format. */
  format: "ese" | "bcr";
  /** Further accelerator settings (the `gen` config: index bits, codebook, formats, ...). */
  settings?: AcceleratorSettings;
  /** Seed of the model, the inputs, the back-pressure and Verilator's initial values. */
  seed: number;
  /** Time steps to simulate. */
  steps: number;
  /** Simulator (default verilator). */
  simulator?: Simulator;
  /** Also run with this output back-pressure and half of it as input gaps. */
  backpressure?: number;
  /** Icarus cases: also run under Verilator, which must give the same outputs and cycles. */
  crossCheck?: boolean;
  /** Further plain runs with these seeds (Verilator: other random initial register values). */
  extraSeeds?: number[];
}

/** Seed of the `random` and `blocks` thinnings. */
const THINNING_SEED = 7;

function thinRandom(model: RnnModel, density: number): void {
  const random = seededRandom(THINNING_SEED);
  for (const layer of model.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      for (let i = 0; i < matrix.data.length; i++) if (random() >= density) matrix.data[i] = 0;
    }
  }
}

function thinBlocks(model: RnnModel, density: number, block: BlockSize): void {
  const random = seededRandom(THINNING_SEED);
  const keep = Math.sqrt(density);
  const kept = (length: number) => Array.from({ length }, () => random() < keep);
  for (const layer of model.layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (!matrix) continue;
      for (let r0 = 0; r0 < matrix.rows; r0 += block.rows) {
        for (let c0 = 0; c0 < matrix.cols; c0 += block.cols) {
          const rows = kept(Math.min(block.rows, matrix.rows - r0));
          const cols = kept(Math.min(block.cols, matrix.cols - c0));
          rows.forEach((keptRow, i) =>
            cols.forEach((keptCol, j) => {
              if (!keptRow || !keptCol) matrix.data[(r0 + i) * matrix.cols + c0 + j] = 0;
            })
          );
        }
      }
    }
  }
}

/** The model of a case: random, then thinned as the case says (deterministic). */
export function caseModel(c: E2eCase): RnnModel {
  const { kind, inputSize, hiddenSize, numLayers, projSize, peepholes, seed } = c;
  const scale = (c.weightScale ?? 1) / Math.sqrt(hiddenSize);
  const shape = { kind, inputSize, hiddenSize, numLayers, projSize, peepholes };
  const model = randomModel({ ...shape, seed, scale });
  if (c.density >= 1) return model;
  const prune = c.prune ?? { method: "magnitude" };
  switch (prune.method) {
    case "magnitude":
      return magnitudePrune(model, c.density);
    case "bcr":
      return pruneModelBcr(model, { block: prune.block, rates: { density: c.density }, pes: c.pes })
        .model;
    case "random":
      thinRandom(model, c.density);
      return model;
    case "blocks":
      thinBlocks(model, c.density, prune.block);
      return model;
  }
}

/** The design of a case (as `deno task gen` derives it). */
export function caseDesign(c: E2eCase): DesignParams {
  const settings = { ...c.settings, pes: c.pes, format: c.format };
  const config = resolveAcceleratorConfig([{ settings, source: c.name }]);
  return generateFromModel(caseModel(c), config).design;
}

/** Generate a case's design into `dir`, in process (as `deno task gen` does). */
export function generateCase(c: E2eCase, dir: string): Promise<WrittenDesign> {
  return generateDesignDir(
    caseModel(c),
    dir,
    { ...c.settings, pes: c.pes, format: c.format },
    c.name,
  );
}

/** The results of one case. */
export interface E2eRun {
  /** The design directory. */
  dir: string;
  /** Inputs always offered, output always ready: bit-exact, cycles against the cycle model. */
  plain: SimResult;
  /** With back-pressure and input gaps (when the case asks). */
  stalled?: SimResult;
  /** The plain runs with the case's extra seeds. */
  extra: SimResult[];
  /** Icarus cases with `crossCheck`: the plain run under Verilator. */
  verilator?: SimResult;
}

/** Generate a case's design under `root` and run every simulation it asks for. */
export async function runE2eCase(c: E2eCase, root: string): Promise<E2eRun> {
  const dir = join(root, c.name);
  await generateCase(c, dir);
  const common = { designDir: dir, steps: c.steps, seed: c.seed, resultPath: null };
  const plain = await simulateDesign({ ...common, simulator: c.simulator });
  const stalled = c.backpressure
    ? await simulateDesign({
      ...common,
      simulator: c.simulator,
      backpressure: c.backpressure,
      inputGaps: c.backpressure / 2,
    })
    : undefined;
  const extra: SimResult[] = [];
  for (const seed of c.extraSeeds ?? []) {
    extra.push(await simulateDesign({ ...common, seed, simulator: c.simulator }));
  }
  const verilator = c.crossCheck ? await simulateDesign({ ...common }) : undefined;
  return { dir, plain, stalled, extra, verilator };
}

function runProblems(label: string, result: SimResult): string[] {
  const problems = result.failures.map((failure) => `${label}: ${failure}`);
  if (!result.bitExact) {
    problems.push(
      `${label}: ${result.mismatchCount} mismatching words, first ` +
        JSON.stringify(result.mismatches[0]),
    );
  }
  return problems;
}

/**
 * What is wrong with a case's runs (empty when it passed): every run bit-exact and clean, the
 * plain runs' cycles exactly the cycle model's, back-pressure exercised and lossless.
 */
export function e2eProblems(run: E2eRun): string[] {
  const { plain, stalled, verilator } = run;
  const problems = runProblems("plain run", plain);
  for (const [i, result] of [plain, ...run.extra, ...(verilator ? [verilator] : [])].entries()) {
    if (result.cycles !== result.estimate.cycles) {
      problems.push(
        `run ${i} (${result.simulator}): the cycle model says ${result.estimate.cycles} cycles, ` +
          `the simulation took ${result.cycles}`,
      );
    }
  }
  if (!(plain.peUtilization > 0 && plain.peUtilization <= 1)) {
    problems.push(`PE utilization ${plain.peUtilization} is not in (0, 1]`);
  }
  run.extra.forEach((result, i) => problems.push(...runProblems(`extra run ${i}`, result)));
  if (stalled) {
    problems.push(...runProblems("back-pressured run", stalled));
    if (stalled.stalls.outputBackpressureCycles === 0) {
      problems.push("back-pressured run: the output was never held");
    }
    if (stalled.cycles < plain.cycles) problems.push("back-pressured run finished sooner");
    if (stalled.simulator === "verilator" && !stalled.build.cached) {
      problems.push("back-pressured run rebuilt the simulator (cache missed)");
    }
  }
  if (verilator) {
    problems.push(...runProblems("verilator cross-check", verilator));
    if (JSON.stringify(verilator.outputs) !== JSON.stringify(plain.outputs)) {
      problems.push("verilator cross-check: outputs differ from icarus");
    }
  }
  return problems;
}

/** A one-line description of a case's results for test logs. */
export function describeE2eRun(c: E2eCase, run: E2eRun): string {
  const p = run.plain;
  return `${c.name}: ${p.simulator} ${p.bitExact ? "bit-exact" : "MISMATCH"}, ${p.cycles} cycles ` +
    `(cycle model ${p.estimate.cycles}), PE utilization ${(100 * p.peUtilization).toFixed(1)}%` +
    (run.stalled
      ? `; back-pressured: ${run.stalled.bitExact ? "bit-exact" : "MISMATCH"}, ` +
        `${run.stalled.cycles} cycles, ${run.stalled.stalls.outputBackpressureCycles} held`
      : "") +
    `; build ${p.wallSeconds.build.toFixed(1)} s`;
}

/** Every other case from index `start` (0 or 1): a table split over two test files. */
export function everyOther(cases: E2eCase[], start: 0 | 1): E2eCase[] {
  return cases.filter((_, i) => i % 2 === start);
}

/** Register one Deno test that runs `cases` as steps (one design folder at a time). */
export function e2eTests(label: string, cases: E2eCase[]): void {
  Deno.test(`end-to-end (${label}): bit-exact, cycle model = simulated cycles`, async (t) => {
    const root = await Deno.makeTempDir({
      prefix: `rnnfab-e2e-${label.replace(/[^a-z0-9]+/gi, "-")}-`,
    });
    const started = performance.now();
    try {
      for (const c of cases) {
        await t.step(c.name, async () => {
          const run = await runE2eCase(c, root);
          console.log(describeE2eRun(c, run));
          assert.deepEqual(e2eProblems(run), []);
          await Deno.remove(run.dir, { recursive: true });
        });
      }
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
      const seconds = (performance.now() - started) / 1000;
      console.log(`${label} end-to-end cases: ${seconds.toFixed(1)} s (measured)`);
    }
  });
}
