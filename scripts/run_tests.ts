/**
 * `deno task test` (after `scripts/setup.ts`): the whole suite, `deno test -A --parallel` with
 * this script's arguments passed on (`deno task test tests/e2e_icarus_test.ts` runs one file),
 * and one simulation build cache for the run in a new temporary folder, removed at the end.
 *
 * Without file arguments it names every test file itself, the slowest first (`SLOWEST_FIRST`,
 * then the rest in name order): `deno test --parallel` starts the files in the order given, so
 * the long files run side by side from the start instead of one of them finishing alone at the
 * end while the other worker has nothing left to do.
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

import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { CACHE_ENV } from "../sim/cache.ts";

const root = new URL("..", import.meta.url).pathname;

/**
 * The test files that take longest (CPU seconds of each file alone, measured on the 2-core
 * development machine; docs/code.md, "The test suite"), slowest first.
 */
export const SLOWEST_FIRST = [
  "tests/e2e_verilator_lstm_test.ts",
  "tests/e2e_verilator_lstm2_test.ts",
  "tests/e2e_verilator_gru_test.ts",
  "tests/synth_cli_test.ts",
  "tests/batch_synth_test.ts",
  "tests/e2e_batch_test.ts",
  "tests/e2e_icarus_test.ts",
  "tests/gen_lint_test.ts",
  "tests/e2e_delta_test.ts",
  "tests/schedules_test.ts",
  "tests/sweep_ray_test.ts",
  "tests/cocotb_lstm_test.ts",
  "tests/pnr_ice40_test.ts",
  "tests/synth_flow_test.ts",
  "tests/cocotb_gru_test.ts",
  "tests/bench_kernel_test.ts",
  "tests/finetune_test.ts",
  "tests/sim_cli_test.ts",
  "tests/bench_fpga_test.ts",
  "tests/bench_delta_test.ts",
  "tests/pnr_ecp5_test.ts",
];

/** Folders `deno test` leaves out (deno.json "test.exclude"), and every dot folder. */
const EXCLUDED = new Set(["node_modules", "out", ".venv", ".cache"]);

/** Every file `deno test` would find (`*_test.ts`, `*.test.ts`, `test.ts`, ...), repository paths. */
export async function testFiles(dir = root): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (!EXCLUDED.has(entry.name) && !entry.name.startsWith(".")) {
        found.push(...await testFiles(path));
      }
    } else if (/(^|[._])test\.(ts|tsx|mts|js|jsx|mjs)$/.test(entry.name)) {
      found.push(relative(root, path));
    }
  }
  return found.sort();
}

/** The files in the order to start them: the known slow ones first, then the rest. */
export function slowestFirst(files: string[]): string[] {
  const slow = SLOWEST_FIRST.filter((file) => files.includes(file));
  return [...slow, ...files.filter((file) => !slow.includes(file))];
}

if (import.meta.main) {
  // A path among the arguments (a file or a folder): deno test runs what they name.
  const namesFiles = Deno.args.some((arg) => !arg.startsWith("-") && existsSync(arg));
  const files = namesFiles ? [] : slowestFirst(await testFiles());

  const given = Deno.env.get(CACHE_ENV);
  const cache = given ?? await Deno.makeTempDir({ prefix: "rnnfab-test-cache-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--parallel", ...Deno.args, ...files],
    cwd: root,
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
}
