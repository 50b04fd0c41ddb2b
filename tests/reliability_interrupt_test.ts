/**
 * Interrupts (docs/reliability.md, issue 12): `gen`, `sim` and `bench` get SIGINT or SIGTERM at
 * 20 seeded random points of their runs each (small designs, cached builds; a few points during
 * a Verilator build). Afterwards the output is either the old whole output or the new whole one,
 * no temporary is left (the children's TMPDIR is inside the test folder, so even their temporary
 * files are seen), and no child process survives (no process runs in or names the test folder).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { seededRandom } from "../model/random.ts";
import { REPO_ROOT } from "./helpers.ts";
import { snapshot, tinyDesign, tinyModel, withTempRoot } from "./reliability_helpers.ts";

/** Points per command. */
const POINTS = 20;

/**
 * The points of a run: fractions of its length (half anywhere in it, half in its second half,
 * where the outputs are written), each with its signal. `Pacer` turns them into delays.
 */
function schedule(seed: number): { fraction: number; signal: Deno.Signal }[] {
  const random = seededRandom(seed);
  return Array.from({ length: POINTS }, (_, i) => ({
    fraction: i % 2 === 0 ? random() : 0.5 + random() / 2,
    signal: i % 4 < 2 ? "SIGINT" : "SIGTERM",
  }));
}

/** The length of a run, learned from complete runs (the shortest seen, as machines vary). */
class Pacer {
  constructor(private ms: number) {}
  /** The delay of a point. */
  delay(point: { fraction: number; signal: Deno.Signal }) {
    return { delay: Math.round(point.fraction * this.ms), signal: point.signal };
  }
  /** Learn from a run that completed. */
  completed(ended: { code: number; ms: number }): void {
    if (ended.code === 0) this.ms = Math.min(this.ms, ended.ms);
  }
}

/** How a run ended. */
interface Ended {
  code: number;
  stderr: string;
  ms: number;
}

/** Run an rnnfab command, sending `signal` after `delay` ms (never, when delay is undefined). */
async function runInterrupted(
  root: string,
  command: string,
  args: string[],
  at?: { delay: number; signal: Deno.Signal },
): Promise<Ended> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO_ROOT}cli/${command}.ts`, ...args],
    cwd: root,
    env: {
      RNNFAB_SKIP_SETUP: "1",
      RNNFAB_SIM_CACHE: join(root, "cache"),
      TMPDIR: join(root, "tmp"),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = at === undefined ? undefined : setTimeout(() => {
    try {
      child.kill(at.signal);
    } catch {
      // it has finished
    }
  }, at.delay);
  const output = await child.output();
  clearTimeout(timer);
  const stderr = new TextDecoder().decode(output.stderr);
  if (at === undefined) assert.equal(output.code, 0, stderr);
  return { code: output.code, stderr, ms: performance.now() - started };
}

/** The exit of an interrupted run: done, or ended by the signal (before or by our handler). */
function assertEnded(ended: Ended, signal: Deno.Signal): "done" | "interrupted" {
  if (ended.code === 0) return "done";
  assert.equal(ended.code, signal === "SIGINT" ? 130 : 143, ended.stderr);
  assert.doesNotMatch(ended.stderr, /internal error|\n\s+at /, ended.stderr);
  return "interrupted";
}

/** Temporaries anywhere below `root`: OUT.tmp-*, sim/run-*, build-cache *.tmp-PID-*, TMPDIR. */
async function temporaries(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const temporary = /\.tmp-\d+-/.test(entry.name) ||
        (dir.endsWith("/sim") && /^(run|cocotb)-/.test(entry.name));
      if (temporary) found.push(path);
      else if (entry.isDirectory) await walk(path);
    }
  };
  await walk(root);
  for await (const entry of Deno.readDir(join(root, "tmp"))) {
    found.push(join(root, "tmp", entry.name));
  }
  return found;
}

/** Live processes other than this one that run in `root` or name it on their command line. */
function survivors(root: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3))) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      let cwd = "";
      try {
        cwd = Deno.readLinkSync(`/proc/${entry.name}/cwd`);
      } catch {
        // not ours to read
      }
      if (cmdline.includes(root) || cwd.startsWith(root)) found.push(`${entry.name}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * After every run: no temporary left, no process left (a grace for the kernel to finish a
 * killed process's exit, which takes seconds on a loaded 2-core machine).
 */
async function assertClean(root: string, what: string): Promise<void> {
  assert.deepEqual(await temporaries(root), [], `${what}: temporaries left`);
  let left = survivors(root);
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = survivors(root);
  }
  assert.deepEqual(left, [], `${what}: processes survived`);
}

/** A folder of `root` with the children's TMPDIR and build cache inside it. */
async function subRoot(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await Deno.mkdir(join(dir, "tmp"), { recursive: true });
  await Deno.mkdir(join(dir, "cache"));
  return dir;
}

/** Run a command twice without interrupting it; the second (warm) run's time calibrates. */
async function calibrate(root: string, command: string, args: string[]): Promise<number> {
  await runInterrupted(root, command, args);
  return (await runInterrupted(root, command, args)).ms;
}

/** gen: the design folder is the old whole design or the new whole design. */
async function genPoints(root: string): Promise<void> {
  const oldModel = await tinyModel(root, "lstm");
  const newModel = await tinyModel(root, "other");
  const out = join(root, "design");
  const gen = (model: string, dir: string) => ["--model", model, "--out", dir, "--pes", "2"];
  const pace = new Pacer(await calibrate(root, "gen", gen(oldModel, out)));
  const old = JSON.stringify(await snapshot(out));
  await runInterrupted(root, "gen", gen(newModel, join(root, "reference")));
  const fresh = JSON.stringify(await snapshot(join(root, "reference")));
  assert.notEqual(old, fresh);
  let interrupted = 0;
  for (const [i, at] of schedule(12).entries()) {
    const point = pace.delay(at);
    const ended = await runInterrupted(root, "gen", gen(i % 2 ? newModel : oldModel, out), point);
    pace.completed(ended);
    if (assertEnded(ended, point.signal) === "interrupted") interrupted++;
    const now = JSON.stringify(await snapshot(out));
    assert.ok(
      now === old || now === fresh,
      `gen point ${i} (${point.signal} at ${point.delay} ms): neither the old nor the new design`,
    );
    await assertClean(root, `gen point ${i}`);
  }
  assert.ok(interrupted >= POINTS / 2, `gen: only ${interrupted} runs were interrupted`);
}

/**
 * sim: two points inside a Verilator build (make and g++ running), then points of Icarus runs
 * (fast to build): the result is whole, the design untouched.
 */
async function simPoints(root: string): Promise<void> {
  const design = await tinyDesign(await tinyModel(root, "lstm"), join(root, "design"));
  const designFiles = await snapshot(design);
  const sim = (steps: number, seed: number, simulator = "icarus") => [
    "--design",
    design,
    "--steps",
    String(steps),
    "--seed",
    String(seed),
    "--simulator",
    simulator,
    "--quiet",
  ];
  for (const [i, delay] of [2500, 6000].entries()) {
    const signal: Deno.Signal = i === 0 ? "SIGTERM" : "SIGINT";
    const ended = await runInterrupted(root, "sim", sim(2, 1, "verilator"), { delay, signal });
    assert.equal(assertEnded(ended, signal), "interrupted", "the build was not interrupted");
    await assertClean(root, `sim build point ${i}`);
  }
  await runInterrupted(root, "sim", sim(3, 2));
  const pace = new Pacer(await calibrate(root, "sim", sim(2, 1)));
  const result = join(design, "sim", "result.json");
  let interrupted = 0;
  for (const [i, at] of schedule(34).entries()) {
    const [steps, seed] = i % 2 ? [3, 2] : [2, 1];
    const point = pace.delay(at);
    const ended = await runInterrupted(root, "sim", sim(steps, seed), point);
    pace.completed(ended);
    if (assertEnded(ended, point.signal) === "interrupted") interrupted++;
    const value = JSON.parse(await Deno.readTextFile(result));
    assert.ok(value.passed === true && [1, 2].includes(value.input.seed), `sim point ${i}`);
    if (ended.code === 0) assert.equal(value.input.seed, seed);
    const { "sim": _sim, "sim/result.json": _result, ...now } = await snapshot(design);
    assert.deepEqual(now, designFiles, `sim point ${i}: the design changed`);
    await assertClean(root, `sim point ${i}`);
  }
  assert.ok(interrupted >= POINTS / 2, `sim: only ${interrupted} runs were interrupted`);
}

/** bench (of a simulated design): the report folder is the old or the new whole folder. */
async function benchPoints(root: string): Promise<void> {
  const model = await tinyModel(root, "lstm");
  const design = await tinyDesign(model, join(root, "design"));
  await runInterrupted(root, "sim", ["--design", design, "--steps", "2", "--simulator", "icarus"]);
  const out = join(root, "report");
  const bench = (
    seed: number,
  ) => [
    "--model",
    model,
    "--design",
    design,
    "--out",
    out,
    "--skip-host",
    "--steps",
    "2",
    "--seed",
    String(seed),
    "--quiet",
  ];
  const pace = new Pacer(await calibrate(root, "bench", bench(1)));
  const names = Object.keys(await snapshot(out)).sort();
  let interrupted = 0;
  for (const [i, at] of schedule(56).entries()) {
    const seed = 1 + (i % 2);
    const point = pace.delay(at);
    const ended = await runInterrupted(root, "bench", bench(seed), point);
    pace.completed(ended);
    if (assertEnded(ended, point.signal) === "interrupted") interrupted++;
    assert.deepEqual(Object.keys(await snapshot(out)).sort(), names, `bench point ${i}`);
    const report = JSON.parse(await Deno.readTextFile(join(out, "report.json")));
    assert.equal(report.tool, "rnnfab bench");
    assert.ok([1, 2].includes(report.sequence.seed), `bench point ${i}`);
    if (ended.code === 0) assert.equal(report.sequence.seed, seed);
    await assertClean(root, `bench point ${i}`);
  }
  assert.ok(interrupted >= POINTS / 2, `bench: only ${interrupted} runs were interrupted`);
}

Deno.test("interrupts: gen, sim and bench leave the old or the new whole output, nothing else", async () => {
  await withTempRoot(async (root) => {
    // The three commands run side by side, each in its own folder (its own TMPDIR and cache).
    const timed = async (name: string, points: Promise<void>) => {
      const started = performance.now();
      await points;
      console.log(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    };
    const runs = await Promise.allSettled([
      timed("gen", genPoints(await subRoot(root, "gen"))),
      timed("sim", simPoints(await subRoot(root, "sim"))),
      timed("bench", benchPoints(await subRoot(root, "bench"))),
    ]);
    for (const run of runs) if (run.status === "rejected") throw run.reason;
  });
});
