/**
 * The one runner of external tools (verilator, make, g++, iverilog, vvp, yosys, python, the built
 * harness, the commands of the demo): output captured for error messages and logs, a heartbeat
 * for long steps, a wall-clock limit and watchdogs so that nothing can hang, an optional memory
 * bound, and no orphans: a tool runs in its own process group when asked, and every tool still
 * running is killed (with its group) when the time limit fires, a watchdog gives a reason, or
 * rnnfab itself gets SIGINT or SIGTERM.
 *
 * @module
 */

import { onInterrupt } from "./interrupt.ts";

/** Options of `runTool`. */
export interface RunToolOptions {
  /** Working directory. */
  cwd?: string;
  /** Environment of the tool (default: rnnfab's own). */
  env?: Record<string, string>;
  /** Called with each complete line the tool prints on stdout. */
  onLine?: (line: string) => void;
  /** Called every `heartbeatSeconds` while the tool runs, with the seconds elapsed. */
  onHeartbeat?: (seconds: number) => void | Promise<void>;
  /** Interval of `onHeartbeat` (default 15 s). */
  heartbeatSeconds?: number;
  /** Kill the tool after this many seconds (default: no limit). */
  timeoutSeconds?: number;
  /** Checked every 500 ms; a returned reason kills the tool (e.g. an idle limit). */
  watchdog?: () => string | undefined;
  /** Run the tool in a new session and process group (setsid) so that a kill ends its children. */
  processGroup?: boolean;
  /** Address-space limit of the tool in MiB (`ulimit -v`, through sh). */
  memoryLimitMb?: number;
  /** Let the tool print to rnnfab's own stdout and stderr instead of capturing (the demo). */
  inheritOutput?: boolean;
}

/** What a finished tool run produced. */
export interface ToolRun {
  /** Exit code (-1 when killed by the time limit or a watchdog). */
  code: number;
  /** Signal that ended the tool, if any (e.g. "SIGSEGV", "SIGKILL"). */
  signal: string | null;
  /** Everything printed on stdout (empty with `inheritOutput`). */
  stdout: string;
  /** Everything printed on stderr (empty with `inheritOutput`). */
  stderr: string;
  /** Wall seconds. */
  seconds: number;
  /** True when the time limit killed the tool. */
  timedOut: boolean;
  /** Why rnnfab killed the tool (time limit or a watchdog's reason); absent when it ended itself. */
  killedBecause?: string;
}

/** The tool is not installed (or not on PATH). */
export class ToolNotFoundError extends Error {
  /** @param command The command that was not found. */
  constructor(readonly command: string) {
    super(`${command} is not installed or not on PATH`);
    this.name = "ToolNotFoundError";
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  onLine?: (line: string) => void,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let pending = "";
  for await (const chunk of stream) {
    const piece = decoder.decode(chunk, { stream: true });
    text += piece;
    if (onLine) {
      pending += piece;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  }
  if (onLine && pending) onLine(pending);
  return text;
}

/** The program and arguments that apply the memory limit and the process group. */
function wrapCommand(command: string, args: string[], options: RunToolOptions) {
  let program = command;
  let programArgs = args;
  if (options.memoryLimitMb !== undefined) {
    const limitKb = Math.max(1, Math.floor(options.memoryLimitMb * 1024));
    programArgs = ["-c", `ulimit -v ${limitKb} && exec "$0" "$@"`, program, ...programArgs];
    program = "sh";
  }
  if (options.processGroup) {
    programArgs = [program, ...programArgs];
    program = "setsid";
  }
  return { program, programArgs };
}

/**
 * Start the tool; without `setsid` (not Linux) it runs in rnnfab's process group, and a kill then
 * reaches the tool itself only.
 */
function spawn(
  command: string,
  args: string[],
  options: RunToolOptions,
): { child: Deno.ChildProcess; group: boolean } {
  const { program, programArgs } = wrapCommand(command, args, options);
  const output = options.inheritOutput ? "inherit" : "piped";
  try {
    const child = new Deno.Command(program, {
      args: programArgs,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: output,
      stderr: output,
    }).spawn();
    return { child, group: options.processGroup === true };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (options.processGroup && program === "setsid") {
      return spawn(command, args, { ...options, processGroup: false });
    }
    throw new ToolNotFoundError(program);
  }
}

/** Kill a child (its whole process group when it has one); quiet when it is already gone. */
function killChild(child: Deno.ChildProcess, group: boolean): void {
  try {
    if (group) Deno.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Run a tool to completion; never throws for a non-zero exit or a kill (the caller decides), only
 * when the tool cannot be started (`ToolNotFoundError` when it is not installed).
 */
export async function runTool(
  command: string,
  args: string[],
  options: RunToolOptions = {},
): Promise<ToolRun> {
  const started = performance.now();
  const { child, group } = spawn(command, args, options);
  let killedBecause: string | undefined;
  const kill = (why: string) => {
    if (killedBecause !== undefined) return;
    killedBecause = why;
    killChild(child, group);
  };
  const forget = onInterrupt(() => killChild(child, group));
  const timer = options.timeoutSeconds !== undefined
    ? setTimeout(
      () => kill(`it ran past its wall-clock limit of ${options.timeoutSeconds} s`),
      options.timeoutSeconds * 1000,
    )
    : undefined;
  const watch = options.watchdog
    ? setInterval(() => {
      const why = options.watchdog!();
      if (why) kill(why);
    }, 500)
    : undefined;
  const heartbeat = options.onHeartbeat
    ? setInterval(
      () => options.onHeartbeat!(Math.round((performance.now() - started) / 1000)),
      (options.heartbeatSeconds ?? 15) * 1000,
    )
    : undefined;
  try {
    const [stdout, stderr, status] = await Promise.all([
      options.inheritOutput ? "" : collect(child.stdout, options.onLine),
      options.inheritOutput ? "" : collect(child.stderr),
      child.status,
    ]);
    const timedOut = killedBecause?.startsWith("it ran past its wall-clock limit") === true;
    return {
      code: killedBecause !== undefined ? -1 : status.code,
      signal: status.signal ?? null,
      stdout,
      stderr,
      seconds: (performance.now() - started) / 1000,
      timedOut,
      ...(killedBecause !== undefined ? { killedBecause } : {}),
    };
  } finally {
    forget();
    if (timer !== undefined) clearTimeout(timer);
    if (watch !== undefined) clearInterval(watch);
    if (heartbeat !== undefined) clearInterval(heartbeat);
  }
}

/** The last `count` lines of a tool's combined output, for error messages. */
export function tail(run: Pick<ToolRun, "stdout" | "stderr">, count = 20): string {
  const lines = `${run.stdout}\n${run.stderr}`.split("\n").filter((line) => line.trim() !== "");
  return lines.slice(-count).join("\n");
}
