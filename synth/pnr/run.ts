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
  /**
   * Read on every heartbeat with the tail of the log: a returned reason stops the tool (a router
   * that no longer makes progress, `router2StallWatch`). A stateful function, one per run.
   */
  stalled?: (logTail: string) => string | undefined;
}

/** A router2 iteration line: `Info:     iter=12 wires=27812 overused=12 overuse=12 archfail=NA`. */
const ROUTER2_ITERATION = /^Info:\s+iter=(\d+) wires=\d+ overused=(\d+) overuse=\d+/;

/** The router2 iterations in a log (its tail): iteration number and wires overused. */
export function router2Iterations(log: string): { iteration: number; overused: number }[] {
  const iterations: { iteration: number; overused: number }[] = [];
  for (const line of log.split("\n")) {
    const match = ROUTER2_ITERATION.exec(line);
    if (match) iterations.push({ iteration: Number(match[1]), overused: Number(match[2]) });
  }
  return iterations;
}

/**
 * Iterations of router2 without a new lowest count of overused wires after which the router is
 * taken as stalled. On the tiny iCE40 design (about 50 iterations a second) router2 once looped
 * on its last overused wire for 53,000 iterations and 16 minutes; where it converges, the count
 * reaches a new low every few iterations (a plateau of 4 at one wire before it routed, same run).
 */
export const ROUTER2_STALL_ITERATIONS = 2000;

/**
 * A `stalled` check for nextpnr's router2: the lowest count of overused wires seen (in the log
 * tails of the heartbeats) has not fallen for `limit` iterations. Returns the reason, a sentence
 * that says what to try instead.
 */
export function router2StallWatch(
  limit = ROUTER2_STALL_ITERATIONS,
): (logTail: string) => string | undefined {
  let lowest = Infinity;
  let lowestAt = 0;
  return (logTail) => {
    const iterations = router2Iterations(logTail);
    for (const { iteration, overused } of iterations) {
      if (overused < lowest) [lowest, lowestAt] = [overused, iteration];
    }
    const last = iterations.at(-1);
    if (last === undefined || last.overused === 0 || last.iteration - lowestAt < limit) {
      return undefined;
    }
    return `router2 stalled: ${last.overused} wire(s) still overused at iteration ` +
      `${last.iteration}, no fewer than ${lowest} since iteration ${lowestAt}; ` +
      `try --router router1 or another --seed`;
  };
}

/** What nextpnr is doing, from the tail of its log. */
export function nextpnrPhase(log: string): string | undefined {
  const lines = log.split("\n").filter((line) => line.startsWith("Info:"));
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    const router = /^Info:\s+\d+ \|[^|]*\|[^|]*\|\s*(\d+)\|/.exec(line);
    if (router) return `routing, ${router[1]} arcs left`;
    const router2 = ROUTER2_ITERATION.exec(line);
    if (router2) return `routing, iteration ${router2[1]}, ${router2[2]} wires overused`;
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
  let stalledBecause: string | undefined;
  const { onProgress, stalled } = options;
  return await runTool(command, args, {
    cwd: options.cwd,
    timeoutSeconds: options.timeoutSeconds,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    onHeartbeat: onProgress || stalled
      ? (seconds) => {
        logTail(logPath, 16384).then((tail) => {
          stalledBecause ??= stalled?.(tail);
          const phase = options.phase(tail);
          onProgress?.(`${options.label}: ${seconds} s${phase ? `, ${phase}` : ""}`);
        });
      }
      : undefined,
    watchdog: stalled ? () => stalledBecause : undefined,
  });
}
