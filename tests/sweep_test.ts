/**
 * `deno task sweep` end to end on a small random model: a bad spec is one line and exit 2; a
 * 12-point sweep over 3 axes writes results.jsonl, pareto.json and sweep.html, its front equals a
 * brute-force front over results.jsonl, and a rerun reuses every point; a sweep killed halfway
 * resumes and ends with the same results as one that ran through; the screening runs the deep
 * stage (Icarus simulation) only on front candidates.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { countColour } from "../bench/png.ts";
import {
  chromiumMissing,
  imageStatistics,
  profileDir,
  screenshotPage,
} from "../bench/screenshot.ts";
import {
  type CommandResult,
  expectUserError,
  runDenoScript,
  saveRandomModel,
  withTempDir,
} from "./helpers.ts";

/** A 12-point spec (density x PEs x format) on `model`. */
function smallSpec(model: string, extra: Record<string, unknown> = {}) {
  return {
    model,
    axes: {
      "prune.density": [0.5, 0.25],
      "gen.pes": { from: 1, to: 4, factor: 2 },
      "gen.format": ["ese", "bcr"],
    },
    settings: { prune: { block: "2x2" } },
    objectives: ["usPerFrame", "fidelityError"],
    ...extra,
  };
}

/** Write a spec and a small model into `dir`; returns the spec path. */
/** Run `deno task sweep --spec SPEC --out OUT`. */
function sweep(spec: string, out: string) {
  return runDenoScript("cli/sweep.ts", ["--spec", spec, "--out", out]);
}

/** Run a sweep that must succeed (its stderr shown when it does not); returns the run. */
async function sweepOk(spec: string, out: string): Promise<CommandResult> {
  const run = await sweep(spec, out);
  assert.equal(run.code, 0, run.stderr);
  return run;
}

async function writeSpec(dir: string, spec: Record<string, unknown>): Promise<string> {
  await saveRandomModel(join(dir, "model.json"), {
    kind: "lstm",
    inputSize: 3,
    hiddenSize: 8,
    numLayers: 1,
    seed: 7,
  });
  const path = join(dir, "spec.json");
  await Deno.writeTextFile(path, JSON.stringify(spec));
  return path;
}

/** results.jsonl without the wall times (the rest must not depend on how the sweep ran). */
async function resultRows(outDir: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(join(outDir, "results.jsonl"));
  return text.trim().split("\n").map((line) => {
    const { wallSeconds: _, ...rest } = JSON.parse(line);
    return rest;
  });
}

/** Brute force: the rows no other eligible row dominates (both objectives minimized). */
function bruteFront(rows: Record<string, unknown>[], keys: string[]): string[] {
  type Row = { hash: string; status: string; figures: Record<string, { value: number }> };
  const ok = (rows as Row[]).filter((row) => row.status === "ok");
  const value = (row: Row, key: string) => row.figures[key].value;
  const dominated = (a: Row) =>
    ok.some((b) =>
      keys.every((k) => value(b, k) <= value(a, k)) && keys.some((k) => value(b, k) < value(a, k))
    );
  return ok.filter((row) => !dominated(row)).map((row) => row.hash).sort();
}

Deno.test("sweep: a bad spec is one line and exit 2", async () => {
  await withTempDir("rnnfab-sweep-bad-", async (dir) => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ axes: { "gen.lanes2": [1, 2] } }, /axes\.gen\.lanes2: unknown gen parameter "lanes2"/],
      [{ axes: { "foo.bar": [1] } }, /axes\.foo\.bar: unknown axis/],
      [{ axes: { "gen.pes": { from: 8, to: 2, step: 1 } } }, /axes\.gen\.pes: empty range/],
      [{ axes: { "gen.pes": [] } }, /axes\.gen\.pes: empty list/],
      [{ axes: { "gen.pes": [0] } }, /axes\.gen\.pes\[0\]: pes must be at least 1/],
      [{ objectives: ["luts"] }, /objectives: luts needs the synth stage/],
      [
        { budget: { memoryBits: 10 } },
        /budget: no point meets it \(12 points over; closest: memoryBits/,
      ],
      [
        { budget: { part: "xcku060" }, depth: "synth", settings: { synth: { target: "ice40" } } },
        /budget: part xcku060 is checked against xilinx synthesis, but synth.target is ice40/,
      ],
    ];
    for (const [i, [change, expected]] of cases.entries()) {
      const spec = await writeSpec(dir, smallSpec("model.json", change));
      const run = await sweep(spec, join(dir, `out${i}`));
      const line = expectUserError(run);
      assert.match(line, expected);
    }
  });
});

Deno.test("sweep: 12 points write results, pareto and html; the front is the brute-force one; a rerun reuses every point, an extended sweep computes only the new ones", async () => {
  await withTempDir("rnnfab-sweep-", async (dir) => {
    const spec = await writeSpec(dir, smallSpec("model.json"));
    const out = join(dir, "out");
    const first = await sweepOk(spec, out);
    assert.match(first.stdout, /12 points.*12 jobs computed, 0 cached, 0 failed/);
    assert.match(first.stderr, /sweep estimate: 12\/12 done \(0 cached, 0 failed/);
    const rows = await resultRows(out);
    assert.equal(rows.length, 12);
    for (const row of rows) {
      const figures = row.figures as Record<string, { value: number | null; provenance: string }>;
      assert.equal(row.status, "ok");
      assert.equal(figures.usPerFrame.provenance, "computed");
      assert.equal(figures.fidelityError.provenance, "computed");
      assert.equal(figures.luts.value, null);
      assert.deepEqual(row.clock, { mhz: 200, kind: "assumed" });
    }
    const pareto = JSON.parse(await Deno.readTextFile(join(out, "pareto.json")));
    const front = pareto.fronts[0];
    assert.deepEqual(front.keys, ["usPerFrame", "fidelityError"]);
    assert.deepEqual([...front.hashes].sort(), bruteFront(rows, front.keys));
    const html = await Deno.readTextFile(join(out, "sweep.html"));
    assert.match(html, /<svg/);
    assert.match(html, /<table id="points">/);
    assert.equal((html.match(/<tr( class="front")?><td data-sort/g) ?? []).length, 12);

    const again = await sweepOk(spec, out);
    assert.match(again.stdout, /0 jobs computed, 12 cached, 0 failed/);
    assert.deepEqual(await resultRows(out), rows);

    // An extended sweep (one more PE count) computes only the new points.
    const wider = smallSpec("model.json");
    wider.axes["gen.pes"] = { from: 1, to: 8, factor: 2 };
    await Deno.writeTextFile(spec, JSON.stringify(wider));
    const extended = await sweepOk(spec, out);
    assert.match(extended.stdout, /16 points.*4 jobs computed, 12 cached, 0 failed/);
  });
});

Deno.test("sweep: a folder that is not an earlier sweep is refused", async () => {
  await withTempDir("rnnfab-sweep-guard-", async (dir) => {
    const spec = await writeSpec(dir, smallSpec("model.json"));
    await Deno.mkdir(join(dir, "mine"));
    await Deno.writeTextFile(join(dir, "mine", "notes.txt"), "keep");
    const run = await sweep(spec, join(dir, "mine"));
    assert.match(expectUserError(run), /not an earlier sweep/);
    assert.equal(await Deno.readTextFile(join(dir, "mine", "notes.txt")), "keep");
    const onto = await sweep(spec, dir);
    assert.match(expectUserError(onto), /contains the input --spec/);
  });
});

/** A spec whose every point runs an Icarus simulation (a second or so each). */
function simSpec(screen: boolean) {
  return smallSpec("model.json", {
    settings: { prune: { block: "2x2" }, sim: { simulator: "icarus" } },
    depth: ["sim"],
    screen,
    fidelity: { steps: 3 },
  });
}

Deno.test("sweep: a sweep killed halfway resumes and ends with the results of an uninterrupted one", async () => {
  await withTempDir("rnnfab-sweep-kill-", async (dir) => {
    const spec = await writeSpec(dir, simSpec(false));
    const whole = join(dir, "whole");
    await sweepOk(spec, whole);

    const out = join(dir, "killed");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "-q", "cli/sweep.ts", "--spec", spec, "--out", out, "--jobs", "1"],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const results = () => {
      try {
        return [...Deno.readDirSync(join(out, "jobs"))].filter((e) => e.name.endsWith(".json"))
          .length;
      } catch {
        return 0;
      }
    };
    while (results() < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 143);
    const kept = results();
    assert.ok(kept < 12, `the sweep finished (${kept} results) before it was killed`);
    const names = [...Deno.readDirSync(join(out, "jobs"))].map((e) => e.name);
    assert.ok(names.every((name) => /^[0-9a-f]{64}\.json$/.test(name)), names.join(", "));

    const resumed = await sweepOk(spec, out);
    assert.match(
      resumed.stdout,
      new RegExp(`${12 - kept} jobs computed, ${kept} cached, 0 failed`),
    );
    assert.deepEqual(await resultRows(out), await resultRows(whole));
  });
});

Deno.test("sweep: screening simulates only the front candidates; their figures say simulated", async () => {
  await withTempDir("rnnfab-sweep-screen-", async (dir) => {
    const spec = await writeSpec(dir, simSpec(true));
    const out = join(dir, "out");
    await sweepOk(spec, out);
    const rows = await resultRows(out) as {
      candidate: boolean;
      depth: string;
      onFront: boolean;
      figures: Record<string, { value: number; provenance: string }>;
    }[];
    const candidates = rows.filter((row) => row.candidate);
    assert.ok(candidates.length > 0 && candidates.length < rows.length, `${candidates.length}`);
    for (const row of rows) {
      assert.equal(row.depth, row.candidate ? "sim" : "estimate");
      const provenance = row.candidate ? "simulated" : "computed";
      assert.equal(row.figures.usPerFrame.provenance, provenance);
      assert.equal(row.figures.fidelityError.provenance, provenance);
      if (row.onFront) assert.ok(row.candidate);
    }
  });
});

const noChromium = chromiumMissing();
if (noChromium) console.warn(`sweep_test screenshot skipped: ${noChromium}`);

Deno.test({
  name: "sweep: sweep.html renders its front plot and table in headless chromium",
  ignore: noChromium !== undefined,
  fn: async () => {
    await withTempDir("rnnfab-sweep-shot-", async (dir) => {
      const spec = await writeSpec(dir, smallSpec("model.json"));
      const out = join(dir, "out");
      await sweepOk(spec, out);
      const pngPath = join(dir, "sweep.png");
      const image = await screenshotPage({
        htmlPath: join(out, "sweep.html"),
        pngPath,
        width: 1200,
        height: 900,
        profileDir: profileDir(dir),
      });
      assert.equal(image.width, 1200);
      const statistics = imageStatistics(image);
      assert.ok(statistics.colours > 50, `only ${statistics.colours} colours`);
      // The front's points and line (red) and the other points (grey) are drawn.
      assert.ok(countColour(image, "#d62728", 20) > 100, "no front points on screen");
      assert.ok(countColour(image, "#9e9e9e", 20) > 50, "no other points on screen");
      // RNNFAB_SWEEP_SCREENSHOT=docs/images/sweep.png keeps the picture for the README.
      const keep = Deno.env.get("RNNFAB_SWEEP_SCREENSHOT");
      if (keep) await Deno.copyFile(pngPath, keep);
    });
  },
});
