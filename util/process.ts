/**
 * Running the external tools of the simulation flows (verilator, make, g++, iverilog, vvp and the
 * built harness): output captured for error messages and logs, a heartbeat for long steps, and a
 * wall-clock limit so that nothing can hang.
 *
 * @module
 */

import { trackChild } from "./interrupt.ts";

/** Options of `runTool`. */
export interface RunToolOptions {
  /** Working directory. */
  cwd?: string;
  /** Called with each complete line the tool prints on stdout. */
  onLine?: (line: string) => void;
  /** Called every `heartbeatSeconds` while the tool runs, with the seconds elapsed. */
  onHeartbeat?: (seconds: number) => void;
  /** Interval of `onHeartbeat` (default 15 s). */
  heartbeatSeconds?: number;
  /** Kill the tool after this many seconds (default: no limit). */
  timeoutSeconds?: number;
}

/** What a finished tool run produced. */
export interface ToolRun {
  /** Exit code (-1 when killed by the time limit). */
  code: number;
  /** Everything printed on stdout. */
  stdout: string;
  /** Everything printed on stderr. */
  stderr: string;
  /** Wall seconds. */
  seconds: number;
  /** True when the time limit killed the tool. */
  timedOut: boolean;
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

/** Run a tool to completion; never throws for a non-zero exit (the caller decides). */
export async function runTool(
  command: string,
  args: string[],
  options: RunToolOptions = {},
): Promise<ToolRun> {
  const started = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${command} is not installed or not on PATH`);
    }
    throw error;
  }
  // On SIGINT/SIGTERM the child and its descendants are ended (util/interrupt.ts).
  const untrack = trackChild(child.pid);
  let timedOut = false;
  const timer = options.timeoutSeconds
    ? setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, options.timeoutSeconds * 1000)
    : undefined;
  const heartbeat = options.onHeartbeat
    ? setInterval(
      () => options.onHeartbeat!(Math.round((performance.now() - started) / 1000)),
      (options.heartbeatSeconds ?? 15) * 1000,
    )
    : undefined;
  try {
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout, options.onLine),
      collect(child.stderr),
      child.status,
    ]);
    return {
      code: timedOut ? -1 : status.code,
      stdout,
      stderr,
      seconds: (performance.now() - started) / 1000,
      timedOut,
    };
  } finally {
    untrack();
    if (timer !== undefined) clearTimeout(timer);
    if (heartbeat !== undefined) clearInterval(heartbeat);
  }
}

/** The last `count` lines of a tool's combined output, for error messages. */
export function tail(run: Pick<ToolRun, "stdout" | "stderr">, count = 20): string {
  const lines = `${run.stdout}\n${run.stderr}`.split("\n").filter((line) => line.trim() !== "");
  return lines.slice(-count).join("\n");
}
