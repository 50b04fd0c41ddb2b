/**
 * `deno task sim --design DIR [--input X | --steps T --seed S] [--simulator verilator|icarus]
 * [--backpressure P] [--input-gaps P] [--trace]`: simulate a generated accelerator, check every
 * output word against the fixed-point golden model and count cycles.
 *
 * @module
 */

import { parseFlags, requireFlag, runCommand } from "./common.ts";
import { optionAsFlag, UserError } from "../util/errors.ts";
import { loadInputs } from "../model/inputs.ts";
import { readDesign } from "../sim/design.ts";
import { formatResult } from "../sim/result.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { formatCocotbResult, runCocotb } from "../sim/cocotb/run.ts";
import type { CxxOptimization } from "../sim/verilator.ts";
import { clockForDesign } from "../synth/pnr/clock.ts";

const NAME = "deno task sim";
const USAGE = `--design DIR [--input X | --steps T --seed S] [options]

Simulates the accelerator in DIR (written by \`deno task gen\`), compares every output word with
the fixed-point golden model (DIR/quantized.json) bit for bit, counts cycles, and writes
DIR/sim/result.json. Exit 0 when bit-exact, 1 on any mismatch or protocol failure, 2 on bad input.

  --input X            input sequence ({"inputs": [[...], ...]}, T steps of inputSize numbers)
  --steps T            random input sequence of T steps (default 8) ...
  --seed S             ... from seed S (default 1; also seeds back-pressure and initial values)
  --simulator NAME     verilator (default) or icarus (slow; for small designs)
  --backpressure P     out_ready is low with probability P in each cycle (0..0.95, default 0)
  --input-gaps P       a pending input beat is withheld with probability P (0..0.95, default 0)
  --max-cycles N       give up after N cycles (default: from the design's estimate, generous)
  --init random|zero   verilator: initial value of registers and memories that have no reset
                       (default random, seeded: a design must not rely on power-up zeros)
  --cxx-opt LEVEL      verilator: C++ optimization 0 (default, fastest build), 1, 2 or s
                       (faster simulation of long sequences)
  --cocotb             run the design's cocotb test bench (DIR/tb) through the WebSocket bridge
                       to the golden model (docs/cocotb.md)
  --trace              write an FST waveform to DIR/sim/trace.fst (verilator)
  --cache-dir D        build cache (default: $RNNFAB_SIM_CACHE or ./.cache/rnnfab-sim)
  --quiet              print only the verdict`;

function parseNumber(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(number)) {
    throw new UserError(`${NAME}: --${flag}: expected a number, got ${value}`);
  }
  return number;
}

function parseInteger(value: string | boolean | undefined, flag: string): number | undefined {
  const number = parseNumber(value, flag);
  if (number !== undefined && (!Number.isSafeInteger(number) || number < 0)) {
    throw new UserError(`${NAME}: --${flag}: expected a non-negative integer, got ${value}`);
  }
  return number;
}

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      design: { type: "string" },
      input: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      simulator: { type: "string", default: "verilator" },
      backpressure: { type: "string" },
      "input-gaps": { type: "string" },
      "max-cycles": { type: "string" },
      init: { type: "string", default: "random" },
      "cxx-opt": { type: "string", default: "0" },
      trace: { type: "boolean" },
      cocotb: { type: "boolean" },
      "cache-dir": { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  const designDir = requireFlag(flags, "design", NAME);
  const simulator = flags.simulator;
  if (simulator !== "verilator" && simulator !== "icarus") {
    throw new UserError(`${NAME}: --simulator: expected verilator or icarus, got ${simulator}`);
  }
  if (typeof flags.input === "string" && flags.steps !== undefined) {
    throw new UserError(`${NAME}: give either --input or --steps, not both`);
  }
  const initialValues = flags.init;
  if (initialValues !== "random" && initialValues !== "zero") {
    throw new UserError(`${NAME}: --init: expected random or zero, got ${initialValues}`);
  }
  const cxxOpt = String(flags["cxx-opt"]);
  if (!["0", "1", "2", "s"].includes(cxxOpt)) {
    throw new UserError(`${NAME}: --cxx-opt: expected 0, 1, 2 or s, got ${cxxOpt}`);
  }
  const steps = parseInteger(flags.steps, "steps");
  if (steps === 0) throw new UserError(`${NAME}: --steps: expected a positive integer, got 0`);
  let inputs: number[][] | undefined;
  if (typeof flags.input === "string") {
    const design = await readDesign(designDir);
    inputs = await loadInputs(flags.input, design.model.inputSize);
  }
  const quiet = flags.quiet === true;
  if (flags.cocotb === true) {
    if (flags.trace === true) {
      throw new UserError(`${NAME}: --trace is not available with --cocotb`);
    }
    const result = await runCocotb({
      designDir,
      inputs,
      inputPath: typeof flags.input === "string" ? flags.input : undefined,
      steps,
      seed: parseInteger(flags.seed, "seed"),
      simulator,
      backpressure: parseNumber(flags.backpressure, "backpressure"),
      inputGaps: parseNumber(flags["input-gaps"], "input-gaps"),
      maxCycles: parseInteger(flags["max-cycles"], "max-cycles"),
      initialValues,
      cacheDir: typeof flags["cache-dir"] === "string" ? flags["cache-dir"] : undefined,
      log: quiet ? undefined : (message) => console.error(message),
    });
    const summary = formatCocotbResult(result);
    console.log(quiet ? summary.split("\n")[0] : summary);
    if (!quiet) console.log(`wrote ${designDir}/sim/result.json`);
    if (!result.passed) Deno.exit(1);
    return;
  }
  const result = await simulateDesign({
    designDir,
    inputs,
    inputPath: typeof flags.input === "string" ? flags.input : undefined,
    steps,
    seed: parseInteger(flags.seed, "seed"),
    simulator,
    backpressure: parseNumber(flags.backpressure, "backpressure"),
    inputGaps: parseNumber(flags["input-gaps"], "input-gaps"),
    maxCycles: parseInteger(flags["max-cycles"], "max-cycles"),
    initialValues,
    cxxOptimization: `-O${cxxOpt}` as CxxOptimization,
    trace: flags.trace === true,
    cacheDir: typeof flags["cache-dir"] === "string" ? flags["cache-dir"] : undefined,
    log: quiet ? undefined : (message) => console.error(message),
    clock: await clockForDesign(designDir).catch(() => undefined),
  }).catch((error) => {
    throw optionAsFlag(error);
  });
  const summary = formatResult(result);
  console.log(quiet ? summary.split("\n")[0] : summary);
  if (!quiet) console.log(`wrote ${designDir}/sim/result.json`);
  if (!result.passed) Deno.exit(1);
});
