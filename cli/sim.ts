/**
 * `deno task sim --design DIR [--input X | --steps T --seed S] [--simulator verilator|icarus]
 * [--backpressure P] [--input-gaps P] [--trace]`: simulate a generated accelerator, check every
 * output word against the fixed-point golden model and count cycles.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { optionAsFlag, UserError } from "../util/errors.ts";
import { defineCommand } from "./flags.ts";
import { seedFlag, stepsFlag } from "./shared_flags.ts";
import { readDesign } from "../sim/design.ts";
import { formatResult } from "../sim/result.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { formatCocotbResult, runCocotb } from "../sim/cocotb/run.ts";
import { verifyDesign } from "../sim/verify_design.ts";
import { guardPaths } from "../util/output.ts";
import { join } from "node:path";
import type { VerilatorOpt } from "../sim/verilator.ts";
import { formatBatchResult, loadSequences, simulateBatch } from "../sim/batch.ts";
import { clockForDesign } from "../synth/pnr/clock.ts";

const NAME = "deno task sim";

/** A probability of a random stimulus event per cycle. */
const probability = (help: string) =>
  ({ type: "number", min: 0, max: 0.95, placeholder: "P", help, defaultText: "0" }) as const;

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--design DIR [--input X | --steps T --seed S] [options]",
  description:
    `Simulates the accelerator in DIR (written by \`deno task gen\`), compares every output word with
the fixed-point golden model (DIR/quantized.json) bit for bit, counts cycles, and writes
DIR/sim/result.json. Exit 0 when bit-exact, 1 on any mismatch or protocol failure, 2 on bad input.`,
  flags: {
    design: { type: "path", required: true, placeholder: "DIR", help: "the design folder" },
    input: {
      type: "path",
      placeholder: "X",
      help: 'input sequence ({"inputs": [[...], ...]}, T steps of inputSize numbers), or a ' +
        'batch ({"sequences": [[[...], ...], ...]}): every sequence runs in one build and one ' +
        "process, back to back, each checked on its own",
    },
    steps: stepsFlag({ help: "random input sequence of T steps ...", defaultText: "8" }),
    seed: seedFlag({
      help: "... from seed S (also seeds back-pressure and initial values)",
      defaultText: "1",
    }),
    simulator: {
      type: "enum",
      values: ["verilator", "icarus"],
      default: "verilator",
      help: "verilator or icarus (slow; for small designs)",
    },
    backpressure: probability("out_ready is low with probability P in each cycle"),
    "input-gaps": probability("a pending input beat is withheld with probability P"),
    "max-cycles": {
      type: "int",
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      help: "give up after N cycles",
      defaultText: "from the design's estimate, generous",
    },
    init: {
      type: "enum",
      values: ["random", "zero"],
      default: "random",
      help: "verilator: initial value of registers and memories that have no reset (random is " +
        "seeded: a design must not rely on power-up zeros)",
    },
    opt: {
      type: "enum",
      values: ["auto", "build", "run"],
      default: "auto",
      help: "verilator build profile: build (shortest build), run (fastest simulation, longer " +
        "build) or auto (the one that minimises build + run for the cycles the run expects; " +
        "docs/simulation.md)",
    },
    cocotb: {
      type: "bool",
      help: "run the design's cocotb test bench (DIR/tb) through the WebSocket bridge to the " +
        "golden model (docs/cocotb.md)",
    },
    trace: { type: "bool", help: "write an FST waveform to DIR/sim/trace.fst (verilator)" },
    "cache-dir": {
      type: "path",
      placeholder: "D",
      help: "build cache",
      defaultText: "$RNNFAB_SIM_CACHE or ./.cache/rnnfab-sim",
    },
    quiet: { type: "bool", help: "print only the verdict" },
    "allow-modified": {
      type: "bool",
      help: "simulate a design that fails verification (content hashes, memory images, tables; " +
        "docs/reliability.md), printing every difference",
    },
  },
  exclusive: [["input", "steps"], ["trace", "cocotb"]],
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { design: designDir, simulator, init: initialValues, quiet } = flags;
  const allowModified = flags["allow-modified"];
  // Before anything is read from the design or written into it (docs/reliability.md).
  const verified = await verifyDesign(designDir, { command: NAME, allowModified });
  await guardPaths({
    command: NAME,
    inputs: [
      ...verified.files.map((file) => ({ path: join(designDir, file), flag: "--design" })),
      ...(flags.input !== undefined ? [{ path: flags.input, flag: "--input" }] : []),
    ],
    outputs: [{ path: join(designDir, "sim", "result.json"), flag: "result", kind: "file" }],
  });
  let inputs: number[][] | undefined;
  let batch: number[][][] | undefined;
  if (flags.input !== undefined) {
    const design = await readDesign(designDir);
    const sequences = await loadSequences(flags.input, design.model.inputSize);
    if (sequences.length === 1) inputs = sequences[0];
    else batch = sequences;
  }
  const common = {
    designDir,
    inputs,
    inputPath: flags.input,
    steps: flags.steps,
    seed: flags.seed,
    simulator,
    backpressure: flags.backpressure,
    inputGaps: flags["input-gaps"],
    maxCycles: flags["max-cycles"],
    initialValues,
    cacheDir: flags["cache-dir"],
    log: quiet ? undefined : (message: string) => console.error(message),
  };
  let summary: string;
  let passed: boolean;
  if (batch) {
    if (flags.cocotb || flags.trace) {
      throw new UserError(`${NAME}: a batch of sequences runs without --cocotb and --trace`);
    }
    const result = await simulateBatch({
      ...common,
      sequences: batch,
      opt: flags.opt as VerilatorOpt,
    }).catch((error) => {
      throw optionAsFlag(error);
    });
    summary = formatBatchResult(result);
    passed = result.passed;
  } else if (flags.cocotb) {
    const result = await runCocotb(common).catch((error) => {
      throw optionAsFlag(error);
    });
    summary = formatCocotbResult(result);
    passed = result.passed;
  } else {
    const result = await simulateDesign({
      ...common,
      opt: flags.opt as VerilatorOpt,
      trace: flags.trace,
      verified: true,
      allowModified,
      clock: await clockForDesign(designDir).catch(() => undefined),
    }).catch((error) => {
      throw optionAsFlag(error);
    });
    summary = formatResult(result);
    passed = result.passed;
  }
  console.log(quiet ? summary.split("\n")[0] : summary);
  if (!quiet) console.log(`wrote ${designDir}/sim/result.json`);
  if (!passed) Deno.exit(1);
});
