import assert from "node:assert/strict";
import { REPO_ROOT, runProgram, VENV_PYTHON } from "./helpers.ts";
import { trainingPackagesReady } from "../util/python.ts";

// PyTorch and Ray may still be installing in the background (scripts/run_tests.ts).
await trainingPackagesReady();

Deno.test("the Python package python/rnnfab passes its pytest tests", async () => {
  const run = await runProgram(VENV_PYTHON, [
    ...["-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", `${REPO_ROOT}python/tests`],
  ]);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /\d+ passed/);
});
