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
import { TRAINING_INSTALL_ENV } from "../util/python.ts";
import {
  freeBytes,
  markRequirementsInstalled,
  pipInstallCommand,
  requirementsInstalled,
  trainingSpaceProblem,
} from "./setup.ts";

const root = new URL("..", import.meta.url).pathname;

/**
 * The test files that take longest (CPU seconds of each file alone, measured on the 2-core
 * development machine; docs/code.md, "The test suite"), slowest first.
 */
export const SLOWEST_FIRST = [
  "tests/synth_cli_test.ts",
  "tests/e2e_verilator_lstm_test.ts",
  "tests/e2e_icarus_test.ts",
  "tests/e2e_verilator_gru_test.ts",
  "tests/schedules_test.ts",
  "tests/batch_synth_test.ts",
  "tests/e2e_verilator_lstm2_test.ts",
  "tests/e2e_batch_test.ts",
  "tests/cocotb_lstm_test.ts",
  "tests/gen_lint_test.ts",
  "tests/synth_flow_test.ts",
  "tests/e2e_delta_test.ts",
  "tests/pnr_ice40_test.ts",
  "tests/cocotb_gru_test.ts",
  "tests/sweep_ray_test.ts",
  "tests/sim_cli_test.ts",
  "tests/reliability_interrupt_test.ts",
  "tests/sim_harness_test.ts",
  "tests/pnr_ecp5_test.ts",
  "tests/bench_kernel_test.ts",
  "tests/finetune_test.ts",
  "tests/bench_fpga_test.ts",
  "tests/bench_delta_test.ts",
];

/**
 * The test files that need requirements-training.txt (PyTorch, Ray), slowest first. When those
 * packages are not installed yet, this script installs them in the background while the other
 * files run; these files start after `SLOWEST_FIRST` (and wait for the install if it is still
 * running: `trainingPackagesReady()` in util/python.ts).
 */
export const NEEDS_TRAINING_PACKAGES = [
  "tests/schedules_test.ts",
  "tests/sweep_ray_test.ts",
  "tests/finetune_test.ts",
  "tests/python_test.ts",
  "tests/delta_finetune_test.ts",
  "tests/delta_python_test.ts",
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

/**
 * The files in the order to start them: the known slow ones first, then those that need the
 * training packages, then the rest.
 */
export function slowestFirst(files: string[]): string[] {
  const training = NEEDS_TRAINING_PACKAGES.filter((file) => files.includes(file));
  const slow = SLOWEST_FIRST.filter((file) => files.includes(file) && !training.includes(file));
  const first = [...slow, ...training];
  return [...first, ...files.filter((file) => !first.includes(file))];
}

/** A background install of requirements-training.txt: its status file and its end. */
interface TrainingInstall {
  /** The file that appears when the install ends (`ok` or `failed: ...`); see util/python.ts. */
  statusFile: string;
  /** Resolves when pip has ended and the status file is written. */
  done: Promise<boolean>;
  /** Stops pip (the run was terminated); its stamp is not written, so the next setup installs again. */
  stop: () => void;
}

/**
 * Start `pip install -r requirements.txt -r requirements-training.txt` into `.venv` in the
 * background, its output in `folder/training-install.log`; when it ends, write the status file
 * (to a temporary name, then renamed, so a reader never sees half of it) and, on success, the
 * requirements stamp that `deno task setup` checks.
 */
function startTrainingInstall(folder: string): TrainingInstall {
  const statusFile = join(folder, "training-install.status");
  const log = join(folder, "training-install.log");
  const space = trainingSpaceProblem(freeBytes(root));
  if (space) {
    // too little disk: pip would fail part-way, and fill the disk under the running tests
    console.error(`setup: not installing requirements-training.txt: ${space}`);
    Deno.writeTextFileSync(log, `not installed: ${space}\n`);
    Deno.writeTextFileSync(statusFile, `failed: ${space}\n`);
    return { statusFile, done: Promise.resolve(false), stop: () => {} };
  }
  console.error(
    `setup: installing requirements-training.txt (PyTorch with its CUDA libraries, about 4 GB, and Ray) into .venv in the background; the tests that need it start last and wait for it (log: ${log})`,
  );
  const [program, args] = pipInstallCommand(["requirements-training.txt"]);
  const status = new Deno.Command(program, {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = (async () => {
    const open = () => Deno.open(log, { append: true, create: true });
    const [out, err] = [await open(), await open()];
    // Each stream closes its own handle of the log when pip's output ends.
    await Promise.all([status.stdout.pipeTo(out.writable), status.stderr.pipeTo(err.writable)])
      .catch(() => {});
    const { success, code } = await status.status;
    if (success) markRequirementsInstalled("requirements-training.txt");
    const text = success ? "ok\n" : `failed: pip exited with ${code}; see ${log}\n`;
    await Deno.writeTextFile(`${statusFile}.tmp`, text);
    await Deno.rename(`${statusFile}.tmp`, statusFile);
    return success;
  })();
  const stop = () => {
    try {
      status.kill("SIGTERM");
    } catch {
      // already ended
    }
  };
  return { statusFile, done, stop };
}

if (import.meta.main) {
  // A path among the arguments (a file or a folder): deno test runs what they name.
  const namesFiles = Deno.args.some((arg) => !arg.startsWith("-") && existsSync(arg));
  const files = namesFiles ? [] : slowestFirst(await testFiles());

  const given = Deno.env.get(CACHE_ENV);
  const cache = given ?? await Deno.makeTempDir({ prefix: "rnnfab-test-cache-" });
  const installFolder = await Deno.makeTempDir({ prefix: "rnnfab-test-setup-" });
  const training = !Deno.env.get("RNNFAB_SKIP_SETUP") &&
      !requirementsInstalled("requirements-training.txt")
    ? startTrainingInstall(installFolder)
    : undefined;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--parallel", ...Deno.args, ...files],
    cwd: root,
    env: {
      [CACHE_ENV]: cache,
      ...(training ? { [TRAINING_INSTALL_ENV]: training.statusFile } : {}),
    },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();

  // Ctrl-C reaches the test run too (same process group); wait for it to end, then clean up.
  // SIGTERM is passed on, to the tests and to a background install.
  Deno.addSignalListener("SIGINT", () => {});
  Deno.addSignalListener("SIGTERM", () => {
    training?.stop();
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  });

  const status = await child.status;
  const installed = training ? await training.done : true;
  if (!installed) {
    const log = await Deno.readTextFile(join(installFolder, "training-install.log")).catch(() =>
      ""
    );
    console.error(`setup: pip install -r requirements-training.txt failed:\n${log.slice(-4000)}`);
  }
  if (!given) await Deno.remove(cache, { recursive: true }).catch(() => {});
  await Deno.remove(installFolder, { recursive: true }).catch(() => {});
  Deno.exit(status.code !== 0 ? status.code : installed ? 0 : 1);
}
