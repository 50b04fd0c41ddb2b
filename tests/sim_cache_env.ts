/**
 * Points the simulation build cache ($RNNFAB_SIM_CACHE) at a temporary folder when nothing set it,
 * so that a test file run on its own (`deno test -A tests/x_test.ts`) writes only under temporary
 * folders, never `.cache/rnnfab-sim` in the checkout. `deno task test` (scripts/run_tests.ts) sets
 * the variable itself and shares one cache across the files; then this module does nothing.
 * Imported for its effect by tests/helpers.ts and tests/e2e.ts.
 *
 * @module
 */

import { CACHE_ENV } from "../sim/cache.ts";

if (!Deno.env.get(CACHE_ENV)) {
  const root = Deno.makeTempDirSync({ prefix: "rnnfab-test-sim-cache-" });
  Deno.env.set(CACHE_ENV, root);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(root, { recursive: true });
    } catch {
      // Already gone, or still held by a simulator that was killed: the OS cleans temp folders.
    }
  });
}
