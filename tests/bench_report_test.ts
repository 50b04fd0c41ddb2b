/**
 * `deno task bench` end to end on the small example LSTM (host CPU measured, FPGA skipped):
 * report.json's structure, units and provenance labels, report.md and report.html, a user's
 * measured time replacing a modeled row, and the one-line errors of bad input.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const FAST = ["--repeats", "2", "--rounds", "1", "--warmup", "1", "--steps", "6"];

Deno.test("bench writes report.json, report.md and report.html with labelled rows", async () => {
  await withTempDir("rnnfab-bench-report-", async (dir) => {
    const devicesPath = join(dir, "devices.json");
    await Deno.writeTextFile(
      devicesPath,
      JSON.stringify({
        devices: [
          { id: "sd855-cpu-prime", measured: { sparseUsPerFrame: 3.5, note: "test phone" } },
          {
            id: "server-gpu",
            name: "A server GPU",
            kind: "gpu",
            peakGflops: 50000,
            bandwidthGBs: 3000,
            overheadUsPerStep: 5,
          },
        ],
      }),
    );
    const out = join(dir, "report");
    const model = `${REPO_ROOT}examples/lstm.json`;
    const run = await runDenoScript("cli/bench.ts", [
      ...["--model", model, "--density", "0.3", "--no-fpga", "--devices", devicesPath],
      ...["--out", out, "--quiet", ...FAST],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(await Deno.readTextFile(join(out, "report.json")));
    assert.equal(report.schema, "rnnfab-bench-report/1");
    assert.equal(report.model.kind, "lstm");
    assert.ok(Math.abs(report.model.density - 0.3) < 0.01);
    assert.deepEqual(report.model.pruning, {
      method: "bcr",
      density: 0.3,
      block: "16x16",
      colShare: 0.5,
      balancedOverPes: 8,
    });
    for (const key of ["usPerFrame", "effectiveGops", "denseEquivalentGops", "bytes"]) {
      assert.equal(typeof report.units[key], "string", key);
    }
    const ids = report.rows.map((r: { id: string }) => r.id);
    for (const id of ["host-ort-dense", "host-c-dense", "host-c-bcr", "host-c-bcr-portable"]) {
      assert.ok(ids.includes(id), id);
    }
    for (const row of report.rows) {
      assert.ok(["measured", "modeled", "published"].includes(row.provenance), row.id);
      assert.equal(typeof row.platform, "string");
      assert.equal(typeof row.provenanceLabel, "string");
      assert.ok(row.provenanceLabel.startsWith(row.provenance), row.id);
      assert.ok(row.usPerFrame === null || row.usPerFrame > 0, row.id);
      assert.equal(row.modelOwner === "theirs", row.provenance === "published", row.id);
      if (row.id.startsWith("host-")) assert.equal(row.provenance, "measured");
    }
    const byId = new Map(report.rows.map((r: { id: string }) => [r.id, r]));
    // deno-lint-ignore no-explicit-any
    const row = (id: string) => byId.get(id) as any;
    assert.equal(row("sd855-cpu-prime-bcr").provenanceLabel, "measured (user)");
    assert.equal(row("sd855-cpu-prime-bcr").usPerFrame, 3.5);
    assert.equal(row("sd855-cpu-prime-dense").provenance, "modeled");
    assert.equal(row("server-gpu-bcr").provenance, "modeled");
    assert.ok(row("server-gpu-bcr").usPerFrame >= 5); // the per-step overhead
    assert.ok(report.modeled.assumptions.length >= 3);
    assert.equal(report.fpga.missing, "not asked for (--no-fpga)");
    assert.equal(report.counts.dense.macs, report.model.weights);
    assert.equal(report.counts.bcr.macs, report.model.nonZeroWeights);
    assert.ok(report.hostCpu.ort.agreesWithFloat && report.hostCpu.bcr.agreesWithFloat);
    assert.ok(report.checks.every((c: { passed: boolean | null }) => c.passed !== false));
    // ratio in the report is the ratio of the two measured medians
    assert.equal(
      report.hostCpu.speedupBcrVsOrt,
      report.hostCpu.ort.usPerFrame / report.hostCpu.bcr.usPerFrame,
    );

    const markdown = await Deno.readTextFile(join(out, "report.md"));
    assert.match(markdown, /## This model on each platform/);
    assert.match(markdown, /\| .* \| modeled \|/);
    assert.match(markdown, /measured \(user\)/);
    assert.match(markdown, /## Published figures \(their models, not this one\)/);
    assert.match(markdown, /## Modeled rows: assumptions/);
    const html = await Deno.readTextFile(join(out, "report.html"));
    assert.match(html, /<svg[^>]*class="marks"/);
    assert.ok(!/<script/i.test(html), "the report must not need scripts");
    assert.ok(!/(src|href)="https?:/i.test(html), "the report must not load anything");
  });
});

Deno.test("bench: --help, and one-line errors for bad input", async () => {
  const help = await runDenoScript("cli/bench.ts", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: deno task bench --model M --out REPORT_DIR/);

  await withTempDir("rnnfab-bench-errors-", async (dir) => {
    const bad = join(dir, "devices.json");
    const out = join(dir, "report"); // not the folder of the inputs (docs/reliability.md)
    await Deno.writeTextFile(
      bad,
      JSON.stringify({ devices: [{ id: "x", name: "X", kind: "cpu" }] }),
    );
    const lstm = `${REPO_ROOT}examples/lstm.json`;
    const head = `${REPO_ROOT}examples/digits_lstm.head.json`;
    const digits = `${REPO_ROOT}examples/digits_lstm.json`;
    const digitsData = `${REPO_ROOT}examples/digits_test.json`;
    const cases: [string[], RegExp][] = [
      [["--out", out], /--model is required/],
      [["--model", "nope.json", "--out", out], /nope\.json: cannot read the model file/],
      [
        ["--model", `${REPO_ROOT}examples/lstm.json`, "--out", out, "--density", "2"],
        /--density: expected a number in \(0, 1\], got 2/,
      ],
      [
        ["--model", `${REPO_ROOT}examples/lstm.json`, "--out", out, "--devices", bad],
        /devices\.json: devices\[0\]\.peakGflops: required/,
      ],
      [
        ["--model", `${REPO_ROOT}examples/lstm.json`, "--out", out, "--design", join(dir, "none")],
        /design\.json: cannot read/,
      ],
      [
        ["--model", `${REPO_ROOT}examples/lstm.json`, "--out", out, "--block", "3y3"],
        /--block: expected RxC/,
      ],
      [["--model", lstm, "--out", out, "--head", head], /--head needs --data D/],
      [
        ["--model", lstm, "--out", out, "--data", `${REPO_ROOT}examples/digits_test.json`],
        /digits_test\.json: sequences\[0\]\[0\]: expected 16 numbers per step/,
      ],
      [
        ["--model", digits, "--out", out, "--data", digitsData, "--finetuned", lstm],
        /lstm\.json: expected a model of the --model's shape/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const run = await runDenoScript("cli/bench.ts", [...args, "--skip-host", "--quiet"]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      const lines = run.stderr.trim().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], pattern);
    }
  });
});
