/**
 * `deno task test` (scripts/run_tests.ts): it names the same test files `deno test` finds, the slow
 * ones first, then those that need the training packages, and its lists name only files that
 * exist; every file that needs the training packages waits for their background install, which
 * is refused up front where the disk is too full for it.
 */

import assert from "node:assert/strict";
import {
  NEEDS_TRAINING_PACKAGES,
  SLOWEST_FIRST,
  slowestFirst,
  testFiles,
} from "../scripts/run_tests.ts";
import { freeBytes, TRAINING_INSTALL_GIB, trainingSpaceProblem } from "../scripts/setup.ts";
import { REPO_ROOT } from "./helpers.ts";

Deno.test("test order: every file deno test finds, the slowest first, none twice", async () => {
  const files = await testFiles();
  assert.ok(files.includes("tests/run_tests_test.ts"));
  assert.ok(files.every((file) => !file.startsWith("node_modules/") && !file.startsWith(".")));
  for (const file of [...SLOWEST_FIRST, ...NEEDS_TRAINING_PACKAGES]) {
    const exists = await Deno.stat(`${REPO_ROOT}/${file}`).then(() => true, () => false);
    assert.ok(exists, `scripts/run_tests.ts names ${file}, which does not exist`);
  }
  const ordered = slowestFirst(files);
  const slow = SLOWEST_FIRST.filter((file) => !NEEDS_TRAINING_PACKAGES.includes(file));
  assert.deepEqual(ordered.slice(0, slow.length + NEEDS_TRAINING_PACKAGES.length), [
    ...slow,
    ...NEEDS_TRAINING_PACKAGES,
  ]);
  assert.deepEqual([...ordered].sort(), files);
  assert.deepEqual(slowestFirst(["tests/b_test.ts", "tests/a_test.ts"]), [
    "tests/b_test.ts",
    "tests/a_test.ts",
  ]);
});

Deno.test("test order: the files that need PyTorch or Ray wait for the background install", async () => {
  for (const file of NEEDS_TRAINING_PACKAGES) {
    const text = await Deno.readTextFile(`${REPO_ROOT}/${file}`);
    assert.match(text, /^await trainingPackagesReady\(\);$/m, `${file} does not wait`);
  }
});

Deno.test("training install: refused up front, in one line, where the disk is too full", () => {
  const free = freeBytes(REPO_ROOT);
  assert.ok(free !== undefined && free > 0, "df gives this checkout's free space");
  assert.equal(trainingSpaceProblem(TRAINING_INSTALL_GIB * 2 ** 30), undefined);
  assert.equal(trainingSpaceProblem(undefined), undefined); // df could not tell: pip tries
  const problem = trainingSpaceProblem(300 * 2 ** 20);
  assert.match(problem ?? "", /^0\.3 GiB free on the file system of .*needs about 10 GiB: free/);
  assert.ok(!problem?.includes("\n"));
});
