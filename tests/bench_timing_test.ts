/**
 * The timing benchmark's seeds (bench/timing.ts): an entry of several seeds' runs takes the best
 * seed's Fmax and path, with the median and spread beside it; the median of even and odd counts.
 * From a captured nextpnr report (tests/data/pnr), no place and route.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  entryOfReports,
  formatTimingBench,
  generatedDigest,
  goalVerdict,
  median,
  mergeTimingBench,
  readTimingBench,
  runTimingBench,
  sourceRevision,
  TIMING_BENCH_DESIGNS,
  timingBenchSchema,
} from "../bench/timing.ts";
import { parseScopes, scopeIndex } from "../synth/pnr/hierarchy.ts";
import { designDigest, readPnrDesign } from "../synth/pnr/design.ts";
import { randomModel } from "../model/random.ts";
import { generateDesignDir } from "../rtl/mod.ts";
import { parseNextpnrReport } from "../synth/pnr/nextpnr_report.ts";
import { timingReportFrom } from "../synth/pnr/result.ts";
import { pnrTarget } from "../synth/pnr/targets.ts";

import { withTempDir } from "./helpers.ts";

const DATA = new URL("./data/pnr/", import.meta.url).pathname;

Deno.test("bench:timing: the median of odd and even counts", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([140, 120]), 130);
  assert.equal(median([5]), 5);
});

Deno.test("bench:timing: the goal's verdict says which seeds reached it and the median", () => {
  assert.equal(goalVerdict([151], 150), "met");
  assert.equal(goalVerdict([149.9], 150), "not met");
  assert.equal(goalVerdict([151, 160, 155], 150), "met on every seed");
  assert.equal(goalVerdict([151, 140, 155], 150), "met by the median (2 of 3 seeds)");
  assert.equal(
    goalVerdict([156.67, 145.94, 147.3], 150),
    "met by the best seed, not by the median (1 of 3 seeds)",
  );
  assert.equal(goalVerdict([140, 145], 150), "not met on any seed");
});

Deno.test("bench:timing: an entry of three seeds is the best run's, with the spread", async () => {
  const name = "ecp5-25k_gru_2pe";
  const report = parseNextpnrReport(
    JSON.parse(await Deno.readTextFile(join(DATA, `${name}.report.json`))),
    name,
  );
  const scopes = parseScopes(await Deno.readTextFile(join(DATA, `${name}.scopes.txt`)));
  const base = timingReportFrom({
    design: { description: "GRU", top: "rnnfab_top", pes: 2, cyclesPerStep: 156 },
    target: pnrTarget("ecp5-25k", "--target"),
    tools: { yosysVersion: "Yosys 0.70", nextpnrVersion: "nextpnr-0.11.1", packages: {} },
    digest: "0",
    seed: 1,
    ports: "registered",
    router: "router1",
    flow: 4,
    blockRamOutputRegisters: null,
    freqMhz: 200,
    report,
    index: scopeIndex(scopes, "rnnfab_top", "rnnfab_pe"),
    cells: {},
    seconds: { synthesis: 1, placeAndRoute: 2, total: 3 },
    files: {},
    notes: [],
  });
  const runs = [[1, 58.37], [2, 70], [3, 61]].map(([seed, fmaxMhz]) => ({
    ...base,
    seed,
    fmaxMhz,
    usPerStepAtFmax: 156 / fmaxMhz,
  }));
  const entry = entryOfReports(TIMING_BENCH_DESIGNS[0], 100, runs, 200);
  assert.equal(entry.fmaxMhz, 70);
  assert.equal(entry.seed, 2);
  assert.equal(entry.fmaxMedianMhz, 61);
  assert.deepEqual([entry.fmaxMinMhz, entry.fmaxMaxMhz], [58.37, 70]);
  assert.equal(entry.usPerFrameAtMedian, Math.round((156 / 61) * 1e4) / 1e4);
  assert.deepEqual(entry.seeds.map((run) => run.seed), [1, 2, 3]);
  assert.equal(entry.ports, "registered");
  assert.equal(entry.runtimeSeconds, 9);
  assert.deepEqual(entry.seeds.map((run) => run.digest), ["0", "0", "0"]);
});

Deno.test("bench:timing: an entry's source is the checkout's commit, null outside a checkout", async () => {
  await withTempDir("rnnfab-source-", async (dir) => {
    assert.equal(await sourceRevision(dir), null);
    const git = (...args: string[]) =>
      new Deno.Command("git", { args: ["-C", dir, ...args], stdout: "null", stderr: "null" })
        .output();
    await git("init", "-q");
    await Deno.writeTextFile(join(dir, "a.txt"), "a\n");
    await git("add", "a.txt");
    await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a");
    const clean = await sourceRevision(dir);
    assert.match(clean ?? "", /^[0-9a-f]{12}$/);
    // a benchmark's own results do not make the checkout dirty; other files do
    await Deno.mkdir(join(dir, "bench", "results"), { recursive: true });
    await Deno.writeTextFile(join(dir, "bench", "results", "timing.json"), "{}\n");
    await git("add", "bench");
    await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "results");
    const withResults = await sourceRevision(dir);
    await Deno.writeTextFile(join(dir, "bench", "results", "timing.json"), "{ }\n");
    assert.equal(await sourceRevision(dir), withResults);
    await Deno.writeTextFile(join(dir, "a.txt"), "b\n");
    assert.equal(await sourceRevision(dir), `${withResults}-dirty`);
  });
});

Deno.test("bench:timing: runs past the time limit make a 'not finished' entry, not a crash", async () => {
  await withTempDir("rnnfab-bench-timing-", async (workDir) => {
    const tiny = {
      id: "tiny",
      description: "GRU 4 -> 4, 1 PE",
      model: { kind: "gru" as const, inputSize: 4, hiddenSize: 4, numLayers: 1, seed: 5 },
      density: 0.5,
      block: { rows: 2, cols: 2 },
      pes: 1,
      format: "ese" as const,
    };
    const results = await runTimingBench({
      designs: [tiny],
      workDir,
      target: "ecp5-25k",
      seeds: [1, 2],
      jobs: 2,
      timeoutSeconds: 0.2,
      note: "the RTL of a test",
    });
    const [entry] = results.designs;
    assert.equal(entry.status, "not finished");
    assert.equal(entry.note, "the RTL of a test"); // --note: kept with each entry of the run
    assert.match(entry.message!, /^seed 1: yosys ran past the time limit/);
    assert.equal(entry.fmaxMhz, null);
    assert.ok(entry.cyclesPerFrame > 0);
    assert.match(formatTimingBench(results)[0], /^tiny: not finished: seed 1: /);
  });
});

Deno.test("bench:timing --merge: the run's entries replace the file's, the others stay, in design order", async () => {
  const committed = await readTimingBench(
    new URL("../bench/results/timing.json", import.meta.url).pathname,
  );
  const lstmp = committed.designs.find((entry) => entry.id === "lstmp-8pe")!;
  const run = timingBenchSchema.parse({
    ...committed,
    generatedAt: "2026-12-03T05:00:00.000Z",
    designs: [
      { ...lstmp, id: "delta-lstmp-8pe", runAt: "2026-12-03T05:00:00.000Z" },
      { ...lstmp, fmaxMhz: 999, runAt: "2026-12-03T05:00:00.000Z" },
    ],
    notes: ["the run's note"],
  });
  const merged = mergeTimingBench(committed, run);
  const ids = merged.designs.map((entry) => entry.id);
  assert.deepEqual(ids, [
    "gru-8pe",
    "lstmp-8pe",
    "lstmp-16pe",
    "lstmp-16pe-ewg4",
    "lstmp-16pe-ewg4-bus",
    "delta-lstmp-8pe",
    "delta-lstmp1-8pe",
    "delta-lstmp1-8pe-q0",
  ]);
  assert.equal(merged.designs[1].fmaxMhz, 999);
  assert.equal(merged.designs[0].fmaxMhz, committed.designs[0].fmaxMhz);
  assert.equal(merged.generatedAt, run.generatedAt);
  assert.equal(merged.notes[0], "the run's note");
  // the file's notes stay (an earlier merge note is replaced by this merge's)
  const earlierNotes = committed.notes.filter((note) => !note.startsWith("merged ("));
  assert.ok(earlierNotes.every((note) => merged.notes.includes(note)));
  assert.match(
    merged.notes.at(-1)!,
    /^merged \(--merge\): gru-8pe, lstmp-16pe, lstmp-16pe-ewg4, lstmp-16pe-ewg4-bus, delta-lstmp1-8pe, delta-lstmp1-8pe-q0 kept from/,
  );
  // merging twice keeps one merge note
  const again = mergeTimingBench(merged, run);
  assert.equal(again.notes.filter((note) => note.startsWith("merged (")).length, 1);
});

Deno.test("bench:timing --merge: a file that is not results is a one-line error naming it", async () => {
  await withTempDir("rnnfab-bench-timing-merge-", async (dir) => {
    const path = join(dir, "timing.json");
    await Deno.writeTextFile(path, JSON.stringify({ format: "something else" }));
    await assert.rejects(() => readTimingBench(path), (error: Error) => {
      assert.match(error.message, new RegExp(`^${path}: format: `));
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  });
});

Deno.test(
  "bench:timing --reuse: the digest of what the current code generates, as a seed folder's own",
  async () => {
    await withTempDir("rnnfab-timing-reuse-", async (dir) => {
      const model = randomModel({
        kind: "gru",
        inputSize: 3,
        hiddenSize: 4,
        numLayers: 1,
        seed: 5,
      });
      const settings = { pes: 2, format: "ese" as const };
      const folder = join(dir, "seed-1");
      await generateDesignDir(model, folder, settings, "test");
      const own = async () => designDigest(folder, (await readPnrDesign(folder)).rtlFiles);
      // the same model and settings generated elsewhere: the same digest (no path inside)
      assert.equal(await generatedDigest(model, settings), await own());
      assert.notEqual(await generatedDigest(model, { ...settings, pes: 4 }), await own());
      // a folder whose RTL the current code would not write (a template changed since): differs
      const rtl = join(folder, (await readPnrDesign(folder)).rtlFiles[0]);
      await Deno.writeTextFile(rtl, (await Deno.readTextFile(rtl)) + "\n// edited\n");
      assert.notEqual(await generatedDigest(model, settings), await own());
    });
  },
);
