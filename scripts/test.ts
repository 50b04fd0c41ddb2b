/**
 * `deno task test` (after `scripts/setup.ts`): the whole suite, `deno test -A --parallel` with
 * this script's arguments passed on (`deno task test tests/e2e_icarus_test.ts` runs one file),
 * and one simulation build cache for the run in a new temporary folder, removed at the end.
 *
 * The cache is `$RNNFAB_SIM_CACHE` (sim/cache.ts) for every test file and every command the
 * tests start: a Verilator, Icarus or cocotb build of the same RTL with the same flags is built
 * once per run, by whichever file asks first (two files that ask at the same moment both build
 * it, and the first to finish is kept), and ccache's folder for Verilator's runtime library is in
 * it too, so that the runtime compiles once per run. A fresh folder per run keeps the tests' writes under a
 * temporary folder and keeps an old checkout's builds out of the figures. When
 * `$RNNFAB_SIM_CACHE` is set already, that folder is used and kept.
 *
 * @module
 */

import { CACHE_ENV } from "../sim/cache.ts";

const given = Deno.env.get(CACHE_ENV);
const cache = given ?? await Deno.makeTempDir({ prefix: "rnnfab-test-cache-" });
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--parallel", ...Deno.args],
  env: { [CACHE_ENV]: cache },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

// Ctrl-C reaches the test run too (same process group); wait for it to end, then clean up.
// SIGTERM is passed on.
Deno.addSignalListener("SIGINT", () => {});
Deno.addSignalListener("SIGTERM", () => {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
});

const status = await child.status;
if (!given) await Deno.remove(cache, { recursive: true }).catch(() => {});
Deno.exit(status.code);
