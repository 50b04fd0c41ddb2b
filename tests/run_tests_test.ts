/**
 * `deno task test` (scripts/run_tests.ts): it names the same test files `deno test` finds, the slow
 * ones first, and its list of slow files names only files that exist.
 */

import assert from "node:assert/strict";
import { SLOWEST_FIRST, slowestFirst, testFiles } from "../scripts/run_tests.ts";
import { REPO_ROOT } from "./helpers.ts";

Deno.test("test order: every file deno test finds, the slowest first, none twice", async () => {
  const files = await testFiles();
  assert.ok(files.includes("tests/run_tests_test.ts"));
  assert.ok(files.every((file) => !file.startsWith("node_modules/") && !file.startsWith(".")));
  for (const file of SLOWEST_FIRST) {
    const exists = await Deno.stat(`${REPO_ROOT}/${file}`).then(() => true, () => false);
    assert.ok(exists, `SLOWEST_FIRST names ${file}, which does not exist`);
  }
  const ordered = slowestFirst(files);
  assert.deepEqual(ordered.slice(0, SLOWEST_FIRST.length), SLOWEST_FIRST);
  assert.deepEqual([...ordered].sort(), files);
  assert.deepEqual(slowestFirst(["tests/b_test.ts", "tests/a_test.ts"]), [
    "tests/b_test.ts",
    "tests/a_test.ts",
  ]);
});
