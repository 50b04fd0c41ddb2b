/**
 * Helpers shared by the test files: running commands, temporary folders, comparisons.
 *
 * @module
 */

import "./sim_cache_env.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Matrix, RnnModel } from "../model/model.ts";
import { saveModel } from "../model/model_io.ts";
import { randomModel, type RandomModelOptions, seededRandom } from "../model/random.ts";
import { pruneModelBcr } from "../prune/mod.ts";
import type { AcceleratorSettings, DesignJson } from "../rtl/mod.ts";
import { findVerilator, verilatorCommand } from "../sim/verilator_tool.ts";

/** Result of running a command to completion. */
export interface CommandResult {
  /** Exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** The repository root (absolute path, trailing slash). */
export const REPO_ROOT = new URL("..", import.meta.url).pathname;

/** Options of `runProgram` and `runDenoScript`. */
export interface RunOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Extra environment variables (RNNFAB_SKIP_SETUP=1 is always set). */
  env?: Record<string, string>;
}

/** Run a program (no shell) and capture its output. */
export async function runProgram(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const output = await new Deno.Command(program, {
    args,
    cwd: options.cwd ?? REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RNNFAB_SKIP_SETUP: "1", ...options.env },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Run one of the repository's Deno scripts (e.g. "cli/infer.ts") with all permissions; `-q` keeps
 * Deno's own status lines (downloads, "waiting for file lock") out of the captured stderr.
 */
export function runDenoScript(
  script: string,
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return runProgram(
    Deno.execPath(),
    ["run", "-q", "-A", `${REPO_ROOT}${script}`, ...args],
    options,
  );
}

/**
 * The one line a command prints for bad input: asserts exit code 2, exactly one "error: " line on
 * stderr and no stack trace; returns that line.
 */
export function expectUserError(run: CommandResult): string {
  assert.equal(run.code, 2, run.stdout + run.stderr);
  const lines = run.stderr.trim().split("\n").filter((line) => line.startsWith("error: "));
  assert.equal(lines.length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  return lines[0];
}

/** Run `body` with a fresh temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(
  prefix: string,
  body: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** fast-check run parameters: `numRuns`, and the seed of $FC_SEED to replay a failure. */
export function fcParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = Deno.env.get("FC_SEED");
  return seed ? { numRuns, seed: Number(seed) } : { numRuns };
}

/**
 * A property test: `Deno.test(name)` asserting `property` over `runs` draws (`fcParameters`:
 * $FC_SEED replays a failure).
 */
export function propertyTest<Ts>(name: string, runs: number, property: fc.IProperty<Ts>): void {
  Deno.test(name, () => fc.assert(property, fcParameters(runs) as fc.Parameters<Ts>));
}

/** `propertyTest` of an asynchronous property (`fc.asyncProperty`). */
export function asyncPropertyTest<Ts>(
  name: string,
  runs: number,
  property: fc.IAsyncProperty<Ts>,
): void {
  Deno.test(name, () => fc.assert(property, fcParameters(runs) as fc.Parameters<Ts>));
}

/**
 * Whole numbers drawn together, by name: `integersIn({ pes: [1, 9], cols: [1, 5] })` draws
 * `{ pes, cols }`, each within its inclusive range.
 */
export function integersIn<K extends string>(
  ranges: Record<K, readonly [min: number, max: number]>,
): fc.Arbitrary<Record<K, number>> {
  const entries = Object.entries(ranges) as [K, readonly [number, number]][];
  const arbitraries = Object.fromEntries(
    entries.map(([name, [min, max]]) => [name, fc.integer({ min, max })]),
  ) as Record<K, fc.Arbitrary<number>>;
  return fc.record(arbitraries) as fc.Arbitrary<Record<K, number>>;
}

/**
 * A maker of test values: `const stats = withDefaults<Stats>({ ... })`, then `stats()` is the
 * defaults and `stats({ outputs: 5 })` the defaults with those fields replaced.
 */
export function withDefaults<T extends object>(defaults: T): (overrides?: Partial<T>) => T {
  return (overrides = {}) => ({ ...defaults, ...overrides });
}

/** Matrix sizes for property tests: mostly small, sometimes medium, rarely up to 300. */
export function dimensionArbitrary(rareWeight = 1): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: 16 }) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) },
    { weight: rareWeight, arbitrary: fc.integer({ min: 1, max: 300 }) },
  );
}

/** Draw a random model and save it as `path` (rnnfab JSON); returns the model. */
export async function saveRandomModel(
  path: string,
  options: RandomModelOptions,
): Promise<RnnModel> {
  const model = randomModel(options);
  await saveModel(model, path);
  return model;
}

/** The project venv's Python interpreter. */
export const VENV_PYTHON = `${REPO_ROOT}.venv/bin/python`;

/** Largest absolute difference between two T x N sequences. */
export function maxAbsDifference(a: number[][], b: number[][]): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let largest = 0;
  a.forEach((row, t) => {
    if (row.length !== b[t].length) throw new Error(`step ${t}: widths differ`);
    row.forEach((value, j) => largest = Math.max(largest, Math.abs(value - b[t][j])));
  });
  return largest;
}

/**
 * The design.json of a real generated design (no files written), for tests that need a
 * `DesignJson` or a `SimDesign` around a hand-made one: a random model of this shape, generated
 * with these accelerator settings.
 */
export async function sampleDesignJson(
  shape: { kind: "lstm" | "gru"; inputSize: number; hiddenSize: number; numLayers?: number },
  settings: AcceleratorSettings = {},
): Promise<DesignJson> {
  const { generateFromModel, resolveAcceleratorConfig, designJson } = await import(
    "../rtl/mod.ts"
  );
  const model = randomModel({ numLayers: 1, ...shape, seed: 1 });
  const config = resolveAcceleratorConfig([{ settings, source: "test" }]);
  return designJson(generateFromModel(model, config).design);
}

/** The largest sizes `modelShapeFields` draws. */
export interface ModelShapeLimits {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  projSize: number;
  seed: number;
}

/**
 * The fields of a random model shape for fast-check records: LSTM or GRU, sizes from 1 (projection
 * from 0) to the limits, peepholes or not, a seed. Spread into `fc.record` beside a test's own
 * fields.
 */
export function modelShapeFields(limits: ModelShapeLimits) {
  return {
    kind: fc.constantFrom("lstm" as const, "gru" as const),
    inputSize: fc.integer({ min: 1, max: limits.inputSize }),
    hiddenSize: fc.integer({ min: 1, max: limits.hiddenSize }),
    numLayers: fc.integer({ min: 1, max: limits.numLayers }),
    projSize: fc.integer({ min: 0, max: limits.projSize }),
    peepholes: fc.boolean(),
    seed: fc.integer({ min: 0, max: limits.seed }),
  };
}

/** The BCR pruning of a test model: block shape, target density, share of the cut taken by columns. */
export interface TestPruning {
  /** Block rows. */
  rows: number;
  /** Block columns. */
  cols: number;
  /** Target density. */
  density: number;
  /** Share of the cut taken by columns (0.5 unless given). */
  colShare?: number;
}

/** A random model and its BCR pruning, the starting pair of the fine-tuning and delta tests. */
export function densePrunedPair(
  shape: RandomModelOptions,
  pruning: TestPruning,
): { dense: RnnModel; pruned: RnnModel } {
  const dense = randomModel(shape);
  const { model: pruned } = pruneModelBcr(dense, {
    block: { rows: pruning.rows, cols: pruning.cols },
    rates: { density: pruning.density, colShare: pruning.colShare ?? 0.5 },
  });
  return { dense, pruned };
}

/** A matrix with no exact zeros (so kept positions are exactly the non-zeros). */
export function denseMatrix(rows: number, cols: number, seed: number): Matrix {
  const random = seededRandom(seed);
  const data = Float64Array.from({ length: rows * cols }, () => {
    const value = 2 * random() - 1;
    return value === 0 ? 0.5 : value;
  });
  return { rows, cols, data };
}

/**
 * Verilator 5.048 ends every run with a statistics report ("- V e r i l a t i o n   R e p o r t",
 * "- Verilator: ..."): not a warning. `output` without those lines.
 */
export function withoutVerilatorReport(output: string): string {
  return output.split("\n").filter((line) => !/^- (V e r i l a t i o n|Verilator:)/.test(line))
    .join("\n");
}

/**
 * `verilator --lint-only -Wall` of a generated design's `files` (top `rnnfab_top`, include path
 * `rtl/`), run in `dir`: its exit code and output, the statistics report left out.
 */
export async function verilatorLint(
  dir: string,
  files: string[],
): Promise<{ code: number; text: string }> {
  const args = ["--lint-only", "-Wall", "-Irtl", "--top-module", "rnnfab_top", ...files];
  const run = await runProgram(...verilatorCommand(await findVerilator(), args), { cwd: dir });
  return { code: run.code, text: withoutVerilatorReport(run.stdout + run.stderr) };
}
