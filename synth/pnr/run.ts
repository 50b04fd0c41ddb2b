/**
 * Running the YoWASP Yosys and nextpnr of the flow: in the design folder (the WebAssembly tools
 * see the host's files through relative paths; their own /tmp is private), with a log file, a
 * wall-clock limit and a heartbeat that says what the tool is doing (Yosys's pass, nextpnr's
 * phase and arcs left to route) every few seconds.
 *
 * @module
 */

import { join } from "node:path";
import { runTool, type ToolRun } from "../../util/process.ts";
import { currentPass } from "../parse.ts";
import { logTail } from "../yosys.ts";

/** Options of `runLogged`. */
export interface LoggedRunOptions {
  /** Working directory (the design folder). */
  cwd: string;
  /** Log path relative to `cwd` (the tool writes it). */
  log: string;
  /** Kill the tool after this many seconds. */
  timeoutSeconds: number;
  /** Heartbeat interval, seconds (default 10). */
  heartbeatSeconds?: number;
  /** Called with a progress line on each heartbeat. */
  onProgress?: (line: string) => void;
  /** The tool's name in progress lines, e.g. "yosys synth_ecp5". */
  label: string;
  /** What the tool is doing, from the tail of its log. */
  phase: (logTail: string) => string | undefined;
}

/** What nextpnr is doing, from the tail of its log. */
export function nextpnrPhase(log: string): string | undefined {
  const lines = log.split("\n").filter((line) => line.startsWith("Info:"));
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    const router = /^Info:\s+\d+ \|[^|]*\|[^|]*\|\s*(\d+)\|/.exec(line);
    if (router) return `routing, ${router[1]} arcs left`;
    if (/Routing complete|Running signoff|Critical path report|Max frequency/.test(line)) {
      return "timing analysis";
    }
    if (/Routing \d+ arcs|Routing globals|Routing\.\./.test(line)) return "routing";
    if (/simulated annealing|temp =/.test(line)) return "placing (annealing)";
    if (/analytical placer|HeAP|wirelen solved/.test(line)) return "placing (analytical)";
    if (/Packing|utilisation/.test(line)) return "packing";
  }
  return undefined;
}

/** What Yosys is doing: the pass it runs. */
export function yosysPhase(log: string): string | undefined {
  const pass = currentPass(log);
  if (!pass) return undefined;
  if (/frontend/.test(pass)) return "reading Verilog";
  return pass.replace(/\s*\(.*\)$/, "").replace(/ pass$/, "").toLowerCase();
}

/** Run a tool whose log goes to `options.log`, with a heartbeat; never throws on exit codes. */
export async function runLogged(
  command: string,
  args: string[],
  options: LoggedRunOptions,
): Promise<ToolRun> {
  const logPath = join(options.cwd, options.log);
  return await runTool(command, args, {
    cwd: options.cwd,
    timeoutSeconds: options.timeoutSeconds,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    onHeartbeat: options.onProgress
      ? (seconds) => {
        logTail(logPath, 16384).then((tail) => {
          const phase = options.phase(tail);
          options.onProgress!(`${options.label}: ${seconds} s${phase ? `, ${phase}` : ""}`);
        });
      }
      : undefined,
  });
}
