/**
 * Child processes of the cocotb flow, each in its own process group so that a timeout or the idle
 * watchdog kills all of it (the simulator included).
 *
 * @module
 */

import { runTool } from "../../util/process.ts";

/** A child process run in its own process group, so that a timeout kills all of it. */
export interface GroupRun {
  code: number | null;
  output: string;
  seconds: number;
  killedBecause?: string;
}

/** Run a command in its own process group (killed whole on a timeout or a watchdog reason). */
export async function runGroup(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  watchdog?: () => string | undefined;
}): Promise<GroupRun> {
  const run = await runTool(options.command, options.args, { ...options, processGroup: true });
  return {
    code: run.killedBecause ? null : run.code,
    output: run.stdout + (run.stderr ? `\n--- stderr ---\n${run.stderr}` : ""),
    seconds: run.seconds,
    killedBecause: run.killedBecause,
  };
}

export function lastLines(text: string, count: number): string {
  return text.split("\n").filter((line) => line.trim() !== "").slice(-count).join("\n");
}
