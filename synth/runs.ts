/**
 * The Yosys runs of the synthesis flow: one script run under the flow's time and memory budget
 * (with its errors turned into one line that names the log), the elaboration, one synthesis run
 * (repeated without DSP packing when Yosys 0.23's ice40_dsp crashes), and the corrected
 * UltraScale LUT RAM library.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { OptionError, UserError } from "../util/errors.ts";
import type { SynthTarget } from "./cells.ts";
import type { RunData } from "./collect.ts";
import {
  baseModuleName,
  currentPass,
  firstError,
  type ModuleCells,
  parseMemoryDump,
  parseMemoryMappings,
  parseStatJson,
  peakMemoryMb,
} from "./parse.ts";
import type { RunReport } from "./report.ts";
import {
  correctedLutramLibrary,
  elaborationScript,
  type ScriptOutputs,
  synthesisScript,
} from "./script.ts";
import { logTail, runYosys, type YosysInfo } from "./yosys.ts";
import { pathExists } from "../util/fs.ts";

/** What every run of one flow shares: the design, the target, Yosys, budgets, notes. */
export interface FlowContext {
  /** Absolute design directory (Yosys's working directory), top module, Verilog files. */
  design: { dir: string; top: string; files: string[] };
  /** Target family. */
  target: SynthTarget;
  /** The checked Yosys. */
  yosys: YosysInfo;
  /** Where scripts, logs and statistics go (DIR/synth/<target>). */
  workDir: string;
  /** performance.now() by which every run must have finished. */
  deadline: number;
  /** Address-space bound of each Yosys process, MiB. */
  maxMemoryMb: number;
  /** Progress lines. */
  log: (line: string) => void;
  /** Interval of the progress heartbeat, seconds. */
  progressSeconds: number;
  /** The corrected UltraScale LUT RAM library, when this Yosys needs it. */
  lutramLibrary?: string;
  /** Facts about the flow for the report. */
  notes: string[];
}

function remainingSeconds(context: FlowContext): number {
  return Math.max(0, (context.deadline - performance.now()) / 1000);
}

async function runScript(
  context: FlowContext,
  name: string,
  script: string,
): Promise<{ log: string; report: RunReport }> {
  const scriptPath = join(context.workDir, `${name}.ys`);
  const logPath = join(context.workDir, `${name}.log`);
  await Deno.writeTextFile(scriptPath, script);
  const budget = remainingSeconds(context);
  if (budget <= 0) {
    throw new OptionError(
      "timeoutSeconds",
      `synthesis ran out of its time budget before the ${name} run`,
    );
  }
  const run = await runYosys(scriptPath, {
    command: context.yosys.command,
    cwd: context.design.dir,
    logPath,
    timeoutSeconds: budget,
    maxMemoryMb: context.maxMemoryMb,
    progressSeconds: context.progressSeconds,
    onProgress: (seconds, pass) =>
      context.log(`synth: ${name}: yosys running ${seconds} s${pass ? ` (${pass})` : ""}`),
  });
  const log = await Deno.readTextFile(logPath).catch(() => "");
  const where = `log: ${logPath}`;
  if (run.timedOut) {
    const pass = currentPass(await logTail(logPath));
    throw new OptionError(
      "timeoutSeconds",
      `yosys ${name} run timed out after ${Math.round(run.seconds)} s` +
        `${pass ? ` in ${pass}` : ""} (raise the time budget, or synthesize per PE); ${where}`,
    );
  }
  if (run.code !== 0) {
    const text = `${log}\n${run.output}`;
    // Under a small `ulimit -v` an allocation failure can end Yosys by a signal (SIGSEGV,
    // SIGABRT); with room to spare a signal is a crash (e.g. ice40_dsp's, handled by the caller).
    const memorySignal = ["SIGSEGV", "SIGABRT", "SIGBUS", "SIGKILL"].includes(run.signal ?? "") &&
      (context.maxMemoryMb <= 512 || (peakMemoryMb(log) ?? 0) >= context.maxMemoryMb / 2);
    if (
      memorySignal ||
      /bad_alloc|out of memory|cannot allocate memory|failed to map segment/i.test(text)
    ) {
      throw new OptionError(
        "maxMemoryMb",
        `yosys ${name} run ran out of memory (limit ${context.maxMemoryMb} MiB` +
          `${memorySignal ? `, ended by ${run.signal}` : ""}; raise it, or synthesize per PE); ` +
          where,
      );
    }
    const error = firstError(text);
    if (error) throw new UserError(`yosys ${name} run failed: ${error}; ${where}`);
    throw new SynthCrash(
      `yosys ${name} run ${
        run.signal ? `crashed (${run.signal})` : `exited ${run.code}`
      }; ${where}`,
      log,
    );
  }
  return {
    log,
    report: {
      name,
      top: "",
      seconds: Math.round(run.seconds * 10) / 10,
      peakMemoryMb: peakMemoryMb(log) ?? null,
      log: logPath,
      script: scriptPath,
    },
  };
}

/** A Yosys crash (a signal, not an ERROR line); `log` is the log text. */
class SynthCrash extends Error {
  constructor(message: string, readonly log: string) {
    super(message);
    this.name = "SynthCrash";
  }
}

/** Elaborate the design: the module hierarchy with its parameterizations and instances. */
export async function elaborate(
  context: FlowContext,
): Promise<{ modules: Map<string, ModuleCells>; report: RunReport }> {
  const statPath = join(context.workDir, "elaborate.json");
  context.log(`synth: elaborating ${context.design.files.length} Verilog files`);
  const { report } = await runScript(
    context,
    "elaborate",
    elaborationScript({
      files: context.design.files,
      designTop: context.design.top,
      stat: statPath,
    }),
  );
  return {
    modules: parseStatJson(await Deno.readTextFile(statPath), statPath),
    report: { ...report, top: context.design.top },
  };
}

/** Synthesize one top (the whole design, one PE, or the rest with the PEs as black boxes). */
export async function synthesize(
  context: FlowContext,
  options: { name: string; synthTop: string; blackBoxes: string[]; copies: number },
): Promise<RunData> {
  const outputs: ScriptOutputs = {
    multipliersBefore: join(context.workDir, `${options.name}_multipliers_before.json`),
    multipliersAfter: join(context.workDir, `${options.name}_multipliers_after.json`),
    memories: join(context.workDir, `${options.name}_memories.il`),
    stat: join(context.workDir, `${options.name}_stat.json`),
  };
  const script = (ice40DspPacking: boolean) =>
    synthesisScript({
      target: context.target,
      files: context.design.files,
      designTop: context.design.top,
      synthTop: options.synthTop,
      blackBoxes: options.blackBoxes,
      outputs,
      lutramLibrary: context.lutramLibrary,
      ice40DspPacking,
    });
  context.log(
    `synth: ${options.name}: synthesizing ${baseModuleName(options.synthTop)}` +
      (options.copies > 1 ? ` (one of ${options.copies})` : ""),
  );
  let result: { log: string; report: RunReport };
  try {
    result = await runScript(context, options.name, script(true));
  } catch (error) {
    const crashedInDsp = error instanceof SynthCrash && context.target === "ice40" &&
      /Executing ICE40_DSP pass[^\n]*\n?\s*$/.test(error.log.trimEnd() + "\n");
    if (!crashedInDsp) throw error;
    context.notes.push(
      `Yosys ${context.yosys.version} crashed in ice40_dsp (a known defect with pipelined ` +
        `multiply-accumulates); the ${options.name} run was repeated without DSP register ` +
        `packing: multipliers are still SB_MAC16 blocks, their pipeline registers are fabric FFs.`,
    );
    context.log(`synth: ${options.name}: ice40_dsp crashed; repeating without DSP packing`);
    result = await runScript(context, options.name, script(false));
  }
  const blackBoxes = options.blackBoxes;
  const read = async (path: string) =>
    parseStatJson(await Deno.readTextFile(path), path, blackBoxes);
  return {
    name: options.name,
    top: options.synthTop,
    modules: await read(outputs.stat),
    before: await read(outputs.multipliersBefore),
    after: await read(outputs.multipliersAfter),
    memories: parseMemoryDump(await Deno.readTextFile(outputs.memories)),
    mappings: parseMemoryMappings(result.log),
    report: { ...result.report, top: options.synthTop },
    copies: options.copies,
    blackBoxes,
  };
}

async function yosysShareFolders(command: string): Promise<string[]> {
  let binary: string | undefined;
  if (command.includes("/")) binary = resolve(command);
  else {
    for (const folder of (Deno.env.get("PATH") ?? "").split(":")) {
      if (folder && await pathExists(join(folder, command))) {
        binary = join(folder, command);
        break;
      }
    }
  }
  if (!binary) return [];
  const real = await Deno.realPath(binary).catch(() => binary!);
  return [
    join(dirname(real), "..", "share", "yosys"),
    join(dirname(binary), "..", "share", "yosys"),
  ];
}

/** Write the corrected UltraScale LUT RAM library when this Yosys needs it (xilinx only). */
export async function prepareLutramLibrary(context: FlowContext): Promise<void> {
  if (context.target !== "xilinx") return;
  for (const share of await yosysShareFolders(context.yosys.command)) {
    const library = join(share, "xilinx", "lutrams_xcu.txt");
    if (!(await pathExists(library))) continue;
    const corrected = correctedLutramLibrary(await Deno.readTextFile(library));
    if (!corrected) return;
    context.lutramLibrary = join(context.workDir, "lutrams_xcu_corrected.txt");
    await Deno.writeTextFile(context.lutramLibrary, corrected);
    context.notes.push(
      "Yosys 0.23's UltraScale LUT RAM library offers a 64K-deep single-port option its " +
        "mapping file cannot build; the flow used a corrected copy (at most RAM512X1S deep).",
    );
    return;
  }
}
