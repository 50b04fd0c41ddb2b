/**
 * The one flag parser (cli/flags.ts): types, ranges, negative values, unknown flags and the
 * generated --help; then every flag case of issue 12 through the real commands: exit 2, one line
 * naming the flag and the accepted range, and nothing written.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  defineCommand,
  describeRange,
  helpText,
  parseCommandLine,
  parseFlagValue,
} from "../cli/flags.ts";
import { ACCELERATOR_LIMITS } from "../rtl/config.ts";
import { UserError } from "../util/errors.ts";
import { REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const COMMAND = defineCommand({
  name: "deno task try",
  synopsis: "--count N [options]",
  description: "A command for the tests.",
  flags: {
    count: { type: "int", min: 1, max: 8, required: true, help: "how many" },
    offset: { type: "int", min: -10, max: 10, default: 0, help: "a signed shift" },
    rate: {
      type: "number",
      min: 0,
      max: 1,
      minExclusive: true,
      help: "a fraction",
      group: "Tuning",
    },
    scale: { type: "number", min: 1, max: Infinity, help: "at least one", group: "Tuning" },
    mode: { type: "enum", values: ["fast", "slow"], default: "fast", help: "speed" },
    name: { type: "string", help: "a label" },
    file: { type: "path", placeholder: "FILE", help: "where" },
    pair: {
      type: "custom",
      expected: "AxB with integers",
      placeholder: "AxB",
      parse: (text: string) => {
        const match = /^(\d+)x(\d+)$/.exec(text);
        return match ? [Number(match[1]), Number(match[2])] as const : undefined;
      },
      help: "two numbers",
    },
    verbose: { type: "bool", help: "say more" },
  },
  exclusive: [["name", "file"]],
});

function parse(args: string[]) {
  const parsed = parseCommandLine(COMMAND, args);
  assert.equal(parsed.help, false);
  return (parsed as Extract<typeof parsed, { help: false }>).values;
}

function refused(args: string[], message: RegExp): void {
  assert.throws(() => parseCommandLine(COMMAND, args), (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, message);
    assert.equal(error.message.split("\n").length, 1, error.message);
    return true;
  });
}

Deno.test("flags: every type parses, defaults apply, --name=value works", () => {
  const values = parse([
    "--count",
    "3",
    "--rate=0.25",
    "--scale",
    "1e3",
    "--mode",
    "slow",
    "--file=/tmp/a b",
    "--pair",
    "4x5",
    "--verbose",
  ]);
  assert.deepEqual(values, {
    count: 3,
    offset: 0,
    rate: 0.25,
    scale: 1000,
    mode: "slow",
    file: "/tmp/a b",
    pair: [4, 5],
    verbose: true,
  });
  assert.equal(parse(["--count", "1", "--name", "x y"]).name, "x y");
  const defaults = parse(["--count", "1"]);
  assert.equal(defaults.mode, "fast");
  assert.equal(defaults.verbose, false);
  assert.equal(defaults.rate, undefined);
  // Typed: these lines only compile with the declared value types.
  const count: number = defaults.count;
  const mode: "fast" | "slow" = defaults.mode;
  assert.ok(count === 1 && mode === "fast");
});

Deno.test("flags: ranges are checked and named in one line", () => {
  refused(["--count", "0"], /^deno task try: --count: expected an integer in 1\.\.8, got 0$/);
  refused(["--count", "9"], /--count: expected an integer in 1\.\.8, got 9/);
  refused(["--count", "2.5"], /--count: expected an integer in 1\.\.8, got 2\.5/);
  refused(["--count", "two"], /--count: expected an integer in 1\.\.8, got two/);
  refused(["--count", "0x4"], /--count: expected an integer in 1\.\.8, got 0x4/);
  refused(["--count", "1", "--rate", "0"], /--rate: expected a number in \(0, 1\], got 0/);
  refused(["--count", "1", "--rate", "1.01"], /--rate: expected a number in \(0, 1\]/);
  refused(["--count", "1", "--scale", "0.5"], /--scale: expected a number >= 1, got 0\.5/);
  refused(["--count", "1", "--scale", "1e400"], /--scale: expected a number >= 1, got 1e400/);
  refused(["--count", "1", "--mode", "medium"], /--mode: expected fast or slow, got medium/);
  refused(["--count", "1", "--pair", "4by5"], /--pair: expected AxB with integers, got 4by5/);
  refused(["--count", "1", "--name="], /--name: expected a value, got ""/);
  assert.equal(parse(["--count", "8", "--rate", "1", "--scale", "1"]).count, 8);
});

Deno.test("flags: negative numbers are values, checked against the range", () => {
  assert.equal(parse(["--count", "1", "--offset", "-5"]).offset, -5);
  assert.equal(parse(["--count", "1", "--offset=-10"]).offset, -10);
  refused(["--count", "-1"], /--count: expected an integer in 1\.\.8, got -1/);
  refused(["--count", "1", "--offset", "-11"], /--offset: expected an integer in -10\.\.10/);
  refused(["--count", "1", "--rate", "-0.5"], /--rate: expected a number in \(0, 1\], got -0\.5/);
});

Deno.test("flags: unknown flags, stray arguments, missing values and required flags", () => {
  refused(["--count", "1", "--bogus"], /^deno task try: unknown flag --bogus \(see --help\)$/);
  refused(["--count", "1", "-x"], /unknown flag -x \(see --help\)/);
  refused(["--count", "1", "extra"], /unexpected argument extra \(see --help\)/);
  refused(["--count", "1", "--", "x"], /unexpected argument --/);
  refused(["--count"], /--count: expected an integer in 1\.\.8, got nothing/);
  refused(["--name", "--count", "1"], /--name: expected a value, got nothing/);
  refused(["--verbose=yes", "--count", "1"], /--verbose takes no value/);
  refused([], /--count is required \(see --help\)/);
  refused(["--constructor", "1"], /unknown flag --constructor/);
  refused(["--count", "1", "--name", "a", "--file", "b"], /give either --name or --file, not both/);
});

Deno.test("flags: --help anywhere gives the help text generated from the declarations", () => {
  for (const args of [["--help"], ["-h"], ["--count", "99", "--help"], ["--bogus", "-h"]]) {
    const parsed = parseCommandLine(COMMAND, args);
    assert.equal(parsed.help, true);
  }
  const text = helpText(COMMAND);
  assert.match(text, /^usage: deno task try --count N \[options\]\n\nA command for the tests\./);
  assert.match(text, /\n {2}--count N +how many \(an integer in 1\.\.8; required\)\n/);
  assert.match(text, /--offset N +a signed shift \(an integer in -10\.\.10; default 0\)/);
  assert.match(text, /--mode fast\|slow +speed \(default fast\)/);
  assert.match(text, /--file FILE +where/);
  assert.match(text, /--verbose +say more/);
  assert.match(
    text,
    /\n\nTuning:\n {2}--rate X +a fraction \(a number in \(0, 1\]\)\n {2}--scale X/,
  );
  for (const line of text.split("\n")) assert.ok(line.length <= 100, line);
});

Deno.test("flags: ranges as they are written", () => {
  assert.equal(describeRange({ type: "int", min: 0, max: Infinity, help: "" }), "an integer >= 0");
  assert.equal(
    describeRange({ type: "number", min: 0, max: 0.95, help: "" }),
    "a number in [0, 0.95]",
  );
  assert.equal(
    describeRange({ type: "number", min: 0, max: 1, maxExclusive: true, help: "" }),
    "a number in [0, 1)",
  );
  assert.equal(
    describeRange({ type: "number", min: 0, max: Infinity, minExclusive: true, help: "" }),
    "a number > 0",
  );
  assert.equal(parseFlagValue("n", { type: "int", min: 1, max: 4, help: "" }, "+3"), 3);
});

// ---- Issue 12: the flag cases, through the commands ----

const LSTM = `${REPO_ROOT}examples/lstm.json`;
/** Weights of examples/lstm.json: the smallest density keeps one of them. */
const LSTM_WEIGHTS = 14336;

/** A flag case: the command, its arguments (OUT is the output path) and the expected line. */
interface FlagCase {
  script: string;
  args: string[];
  line: RegExp;
}

const CASES: Record<string, FlagCase> = {
  "prune --pes -1": {
    script: "cli/prune.ts",
    args: ["--model", LSTM, "--out", "OUT/p.json", "--density", "0.5", "--pes", "-1"],
    line: /^error: deno task prune: --pes: expected an integer in 1\.\.1024, got -1$/,
  },
  "gen --pes -1": {
    script: "cli/gen.ts",
    args: ["--model", LSTM, "--out", "OUT/design", "--pes", "-1"],
    line: /^error: deno task gen: --pes: expected an integer in 1\.\.1024, got -1$/,
  },
  "gen --clock-mhz -5": {
    script: "cli/gen.ts",
    args: ["--model", LSTM, "--out", "OUT/design", "--clock-mhz", "-5"],
    line: /^error: deno task gen: --clock-mhz: expected a number > 0, got -5$/,
  },
  "sim --seed -5": {
    script: "cli/sim.ts",
    args: ["--design", "OUT", "--seed", "-5"],
    line: /^error: deno task sim: --seed: expected an integer in 0\.\.4294967295, got -5$/,
  },
  "prune --seed -5": {
    script: "cli/prune.ts",
    args: ["--model", LSTM, "--out", "OUT/p.json", "--density", "0.5", "--seed", "-5"],
    line: /--seed: expected an integer in 0\.\.4294967295, got -5$/,
  },
  "prune --density 1e-300": {
    script: "cli/prune.ts",
    args: ["--model", LSTM, "--out", "OUT/p.json", "--density", "1e-300"],
    line: new RegExp(
      `^error: deno task prune: --density: expected a number in \\[6\\.98e-5, 1\\] \\(.*lstm\\.json has ${LSTM_WEIGHTS} weights; beyond that no weight is kept\\), got 1e-300$`,
    ),
  },
  "prune --compression 1e9": {
    script: "cli/prune.ts",
    args: ["--model", LSTM, "--out", "OUT/p.json", "--compression", "1e9"],
    line: new RegExp(
      `^error: deno task prune: --compression: expected a number in \\[1, ${LSTM_WEIGHTS}\\] .*, got 1000000000$`,
    ),
  },
  "prune --col-keep 0.0001 --row-keep 0.0001": {
    script: "cli/prune.ts",
    args: [
      "--model",
      LSTM,
      "--out",
      "OUT/p.json",
      "--block",
      "4x4",
      "--col-keep",
      "0.0001",
      "--row-keep",
      "0.0001",
    ],
    line:
      /^error: deno task prune: --col-keep\/--row-keep: expected --col-keep x --row-keep >= 6\.98e-5 .*, got 0\.0001 x 0\.0001$/,
  },
  "prune --density that BCR rounds to zero": {
    script: "cli/prune.ts",
    args: ["--model", LSTM, "--out", "OUT/p.json", "--density", "0.0001", "--quiet"],
    line:
      /^error: deno task prune: --density 0\.0001: BCR pruning with \d+x\d+ blocks keeps no weight .*expected a larger density$/,
  },
  "prune --pes 1000000": {
    script: "cli/prune.ts",
    args: ["--model", LSTM, "--out", "OUT/p.json", "--density", "0.5", "--pes", "1000000"],
    line: /^error: deno task prune: --pes: expected an integer in 1\.\.1024, got 1000000$/,
  },
  "sim --steps 1e12": {
    script: "cli/sim.ts",
    args: ["--design", "OUT", "--steps", "1e12"],
    line: /^error: deno task sim: --steps: expected an integer in 1\.\.100000, got 1e12$/,
  },
  "bench --density 1e-300": {
    script: "cli/bench.ts",
    args: ["--model", LSTM, "--out", "OUT/report", "--density", "1e-300", "--skip-host"],
    line: /^error: deno task bench: --density: expected a number in \[6\.98e-5, 1\] .*got 1e-300$/,
  },
  "bench --steps 1e12": {
    script: "cli/bench.ts",
    args: ["--model", LSTM, "--out", "OUT/report", "--steps", "1e12"],
    line: /^error: deno task bench: --steps: expected an integer in 1\.\.100000, got 1e12$/,
  },
  "synth --max-memory-mb 1": {
    script: "cli/synth.ts",
    args: ["--design", "OUT", "--max-memory-mb", "1"],
    line: /^error: deno task synth: --max-memory-mb: expected a number >= 64, got 1$/,
  },
};

/** Run a case in a fresh folder holding one file; assert exit 2, the line, and nothing written. */
async function checkCase(name: string, flagCase: FlagCase): Promise<void> {
  await withTempDir("rnnfab-flags-", async (dir) => {
    await Deno.writeTextFile(join(dir, "keep.txt"), "untouched");
    const args = flagCase.args.map((arg) => arg.replace(/^OUT/, dir));
    const result = await runDenoScript(flagCase.script, args);
    assert.equal(result.code, 2, `${name}: ${result.stderr}`);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${name}: one line, got ${result.stderr}`);
    assert.match(lines[0], flagCase.line, name);
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, ["keep.txt"], `${name}: nothing written`);
    assert.equal(await Deno.readTextFile(join(dir, "keep.txt")), "untouched");
  });
}

for (const [name, flagCase] of Object.entries(CASES)) {
  Deno.test(`issue 12: ${name} is exit 2 with one line naming the flag and its range`, () =>
    checkCase(name, flagCase));
}

Deno.test("issue 12: encode and gen accept the same ranges (from rtl/config.ts)", async () => {
  await withTempDir("rnnfab-flags-", async (dir) => {
    const limits: [string, { min: number; max: number }][] = [
      ["pes", ACCELERATOR_LIMITS.pes],
      ["index-bits", ACCELERATOR_LIMITS.indexBits],
      ["codebook-bits", ACCELERATOR_LIMITS.codebookBits],
    ];
    for (const [flag, { min, max }] of limits) {
      for (const value of [min - 1, max + 1]) {
        const [encode, gen] = await Promise.all([
          runDenoScript("cli/encode.ts", [
            "--model",
            LSTM,
            "--out",
            join(dir, "weights"),
            "--format",
            "ese",
            ...(flag === "pes" ? [] : ["--pes", "4"]),
            `--${flag}`,
            String(value),
          ]),
          runDenoScript("cli/gen.ts", [
            "--model",
            LSTM,
            "--out",
            join(dir, "design"),
            `--${flag}`,
            String(value),
          ]),
        ]);
        const expected = `--${flag}: expected an integer in ${min}..${max}, got ${value}`;
        for (const [command, run] of [["encode", encode], ["gen", gen]] as const) {
          assert.equal(run.code, 2, `${command} --${flag} ${value}: ${run.stderr}`);
          assert.ok(run.stderr.trim().endsWith(expected), `${command}: ${run.stderr}`);
        }
      }
    }
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, []);
  });
});
