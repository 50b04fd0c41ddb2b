/**
 * Finding Yosys, checking its version, and running a script under a wall-clock and a memory
 * bound with a progress heartbeat (Yosys runs long on large designs).
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { runTool, ToolNotFoundError, type ToolRun } from "../util/process.ts";
import { currentPass } from "./parse.ts";

/** The Yosys release the flow is written and tested against. */
export const TESTED_YOSYS = "0.23";

const INSTALL_HINT = "install Yosys 0.23 (apt-get install yosys)";

/** What `yosys -V` said. */
export interface YosysInfo {
  /** The command used (a name looked up on PATH, or a path). */
  command: string;
  /** Version as printed, e.g. "0.23 (git sha1 7ce5011c24b)". */
  version: string;
  /** Major and minor version numbers. */
  major: number;
  /** Minor version number. */
  minor: number;
  /** True when the version is not the tested one (still 0.23-compatible). */
  untested: boolean;
}

/**
 * Run `yosys -V` and check that it is a Yosys of version 0.23 or a later 0.x; anything else is a
 * UserError with one line saying what to install.
 */
export async function checkYosys(command = "yosys"): Promise<YosysInfo> {
  let run: ToolRun;
  try {
    run = await runTool(command, ["-V"]);
  } catch (error) {
    if (error instanceof ToolNotFoundError) {
      throw new UserError(`yosys not found (looked for "${command}" on PATH): ${INSTALL_HINT}`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UserError(`yosys at "${command}" cannot be executed: ${INSTALL_HINT}`);
    }
    throw error;
  }
  const firstLine = (run.stdout.trim() || run.stderr.trim()).split("\n")[0] ?? "";
  if (run.code !== 0) {
    throw new UserError(
      `"${command} -V" failed (exit ${run.code}${firstLine ? `: ${firstLine}` : ""}): ` +
        INSTALL_HINT,
    );
  }
  const match = /^Yosys (\d+)\.(\d+)(\S*)(.*)$/.exec(firstLine);
  if (!match) {
    throw new UserError(
      `"${command} -V" printed "${firstLine.slice(0, 80)}", not a Yosys version: ${INSTALL_HINT}`,
    );
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major === 0 && minor < 23) {
    throw new UserError(
      `yosys ${major}.${minor} is too old (memory_libmap, stat -json and the UltraScale flow ` +
        `need 0.23 or later): ${INSTALL_HINT}`,
    );
  }
  return {
    command,
    version: `${match[1]}.${match[2]}${match[3]}${match[4]}`.trim(),
    major,
    minor,
    untested: !(major === 0 && minor === 23),
  };
}

/** Options of `runYosys`. */
export interface RunYosysOptions {
  /** The Yosys command (default "yosys"). */
  command?: string;
  /** Working directory (the design directory, so that `$readmemh` finds `mem/`). */
  cwd: string;
  /** Where Yosys writes its full log (`-l`). */
  logPath: string;
  /** Kill Yosys after this many seconds. */
  timeoutSeconds: number;
  /** Address-space limit of the Yosys process in MiB (`ulimit -v`). */
  maxMemoryMb: number;
  /** Called every `progressSeconds` with the seconds elapsed and the pass Yosys is in. */
  onProgress?: (seconds: number, pass: string | undefined) => void;
  /** Interval of `onProgress` (default 15 s). */
  progressSeconds?: number;
}

/** How a Yosys run ended. */
export interface YosysRun {
  /** Exit code (-1 when killed by the time limit). */
  code: number;
  /** Signal that ended the process, if any (e.g. SIGSEGV). */
  signal: string | null;
  /** Wall seconds. */
  seconds: number;
  /** True when the time limit killed Yosys. */
  timedOut: boolean;
  /** What Yosys printed on stdout and stderr (warnings and errors only: it runs with -q). */
  output: string;
}

async function readFrom(
  path: string,
  offset: number,
  maxBytes: number,
): Promise<{ text: string; end: number }> {
  try {
    const file = await Deno.open(path, { read: true });
    try {
      const size = (await file.stat()).size;
      const start = Math.max(offset, size - maxBytes);
      await file.seek(start, Deno.SeekMode.Start);
      const buffer = new Uint8Array(Math.max(0, size - start));
      let filled = 0;
      while (filled < buffer.length) {
        const read = await file.read(buffer.subarray(filled));
        if (read === null) break;
        filled += read;
      }
      return { text: new TextDecoder().decode(buffer.subarray(0, filled)), end: start + filled };
    } finally {
      file.close();
    }
  } catch {
    return { text: "", end: offset };
  }
}

async function readTail(path: string, bytes: number): Promise<string> {
  return (await readFrom(path, 0, bytes)).text;
}

/** The last `bytes` bytes of a (log) file as text; empty when it cannot be read. */
export function logTail(path: string, bytes = 65536): Promise<string> {
  return readTail(path, bytes);
}

/**
 * Run a Yosys script file quietly (`-q -l LOG -s SCRIPT`) under `ulimit -v` and a wall-clock
 * limit, reporting progress from the log. Never throws for a failed run (the caller decides).
 */
export async function runYosys(scriptPath: string, options: RunYosysOptions): Promise<YosysRun> {
  const { logPath, onProgress } = options;
  let lastPass: string | undefined;
  let logOffset = 0;
  const run = await runTool(options.command ?? "yosys", ["-q", "-l", logPath, "-s", scriptPath], {
    cwd: options.cwd,
    timeoutSeconds: options.timeoutSeconds,
    memoryLimitMb: options.maxMemoryMb,
    processGroup: true,
    heartbeatSeconds: options.progressSeconds,
    onHeartbeat: onProgress
      ? async (seconds) => {
        const fresh = await readFrom(logPath, logOffset, 1 << 20);
        logOffset = fresh.end;
        lastPass = currentPass(fresh.text) ?? lastPass;
        onProgress(seconds, lastPass);
      }
      : undefined,
  });
  return {
    code: run.code,
    signal: run.signal,
    seconds: run.seconds,
    timedOut: run.timedOut,
    output: `${run.stdout}${run.stderr}`,
  };
}
