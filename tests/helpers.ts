/**
 * Helpers shared by the test files: running commands, temporary folders, comparisons.
 *
 * @module
 */

import type { AcceleratorSettings, DesignJson } from "../rtl/mod.ts";

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

/** Run a program (no shell) and capture its output. */
export async function runProgram(
  program: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<CommandResult> {
  const output = await new Deno.Command(program, {
    args,
    cwd: options.cwd ?? REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RNNFAB_SKIP_SETUP: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Run one of the repository's Deno scripts (e.g. "cli/infer.ts") with all permissions. */
export function runDenoScript(script: string, args: string[]): Promise<CommandResult> {
  return runProgram(Deno.execPath(), ["run", "-A", `${REPO_ROOT}${script}`, ...args]);
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
  const { randomModel } = await import("../model/random.ts");
  const model = randomModel({ numLayers: 1, ...shape, seed: 1 });
  const config = resolveAcceleratorConfig([{ settings, source: "test" }]);
  return designJson(generateFromModel(model, config).design);
}
