import assert from "node:assert/strict";
import { saveModel } from "../model/model_io.ts";
import { densePrunedPair, runDenoScript, withTempDir } from "./helpers.ts";

/** A slow random walk per sequence. */
function walk(steps: number, size: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (state * 69069 + 1) % 4294967296) / 4294967296) - 0.5;
  let value = Array.from({ length: size }, () => 2 * next());
  return Array.from({ length: steps }, () => (value = value.map((v) => v + 0.3 * next())));
}

Deno.test("bench:delta on tiny models: labelled figures, the built delta datapath's cycles (model and Verilator), the analytical model's, targets", async () => {
  await withTempDir("rnnfab-bench-delta-", async (dir) => {
    const { dense, pruned: bcr } = densePrunedPair(
      { kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 2, seed: 21 },
      { rows: 4, cols: 2, density: 0.5 },
    );
    await saveModel(dense, `${dir}/dense.json`);
    await saveModel(bcr, `${dir}/bcr.json`);
    const sequences = Array.from({ length: 6 }, (_, k) => walk(8 + k, 4, 30 + k));
    const labels = sequences.map((_, k) => k % 3);
    await Deno.writeTextFile(`${dir}/test.json`, JSON.stringify({ sequences, labels }));
    const head = {
      weight: [0, 1, 2].map((c) => Array.from({ length: 8 }, (_, j) => Math.sin(c * 8 + j))),
      bias: [0, 0.1, -0.1],
    };
    await Deno.writeTextFile(`${dir}/head.json`, JSON.stringify(head));
    const run = await runDenoScript("cli/bench_delta.ts", [
      ...["--dense", `${dir}/dense.json`, "--bcr", `${dir}/bcr.json`],
      ...["--delta-model", `${dir}/bcr.json`, "--head", `${dir}/head.json`],
      ...["--data", `${dir}/test.json`, "--theta", "0.1,0.05", "--pes", "4"],
      ...["--broadcast", "2", "--verilator", "1", "--sweep", "0,0.1"],
      ...["--out", `${dir}/delta.json`],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await Deno.readTextFile(`${dir}/delta.json`));
    assert.equal(result.accuracy.length, 4);
    assert.ok(result.accuracy.every((a: { label: string }) => /measured/.test(a.label)));
    assert.equal(result.fired.fraction.length, 2);
    assert.ok(result.fired.fraction.every((f: number) => f > 0 && f < 1));
    const frames = sequences.reduce((sum, s) => sum + s.length, 0);
    assert.equal(result.cycles.delta.frames, frames);
    assert.match(result.cycles.delta.label, /modeled \(column-skip datapath not built\)/);
    assert.ok(result.cycles.delta.delta.worst <= result.cycles.dense.cyclesPerFrame);
    assert.ok(result.cycles.delta.speedup > 1);
    assert.match(result.throughput.clockLabel, /assumed/);
    assert.equal(result.targets.length, 5);
    // what the time targets ask: fewer MACs than the model's non-zeros (computed)
    assert.ok(result.bound.macsPerFrame > 0);
    assert.ok(result.bound.macsPerFrame < result.bound.macsPerFrameWithoutDelta);
    assert.match(result.bound.label, /^computed/);
    const built = result.cycles.built;
    assert.equal(built.design.broadcast, 2);
    assert.equal(built.frames, frames - sequences.length);
    assert.ok(built.delta.mean < built.denseCyclesPerFrame, JSON.stringify(built));
    // nothing fired: the floor of the delta design, at most every frame's cycles
    assert.ok(built.idleCyclesPerFrame > 0 && built.idleCyclesPerFrame <= built.delta.p50);
    assert.equal(built.verilator.sequences, 1);
    assert.ok(built.verilator.equal, "Verilator equals the cycle model");
    assert.match(built.label, /rtl\/delta_timing\.ts/);
    // The sweep: theta 0 is the dense fixed-point model (bit for bit), so its accuracy is the BCR
    // model's (the delta model here is the BCR model); theta 0.1 fires less and takes fewer cycles.
    const [zero, point] = result.sweep.points;
    assert.equal(zero.accuracy, result.accuracy[1].accuracy);
    assert.ok(point.fired.fraction.every((f: number, l: number) => f < zero.fired.fraction[l]));
    assert.ok(point.cycles.mean < zero.cycles.mean);
    assert.equal(result.sweep.denseCyclesPerFrame, built.denseCyclesPerFrame);
    assert.equal(point.speedup, built.denseCyclesPerFrame / point.cycles.mean);
    const markdown = await Deno.readTextFile(`${dir}/delta.md`);
    assert.match(markdown, /Threshold sweep on /);
    assert.match(markdown, /## Delta activations \(issue 19\)/);
    assert.match(markdown, /modeled \(column-skip datapath not built\)/);
    assert.match(markdown, /built datapath with delta \(ese, 2 columns per beat\)/);
    assert.match(
      markdown,
      /; built design: 4 PEs x 1 MAC lane\(s\), ese, 2 column\(s\) per beat, \d+ output \/ 1 input word/,
    );
    assert.match(markdown, /no column fired \(what delta cannot remove\)/);
    assert.match(markdown, /measured \(Verilator; every step end equal to the cycle model\)/);
    assert.match(markdown, /What limits them/);
    assert.match(markdown, /A delta frame leaves [\d,]+ MACs/);
    assert.ok(
      result.cycles.delta.columnBalance.busiestPe >= result.cycles.delta.columnBalance.meanPe,
    );
  });
});

Deno.test("bench:delta --theta-m on a tiny LSTMP: the projection input's fired fraction, the sweep at that theta_m, 2 columns per beat (cycle model only)", async () => {
  await withTempDir("rnnfab-bench-delta-m-", async (dir) => {
    const { dense, pruned: bcr } = densePrunedPair(
      { kind: "lstm", inputSize: 4, hiddenSize: 8, projSize: 4, numLayers: 1, seed: 22 },
      { rows: 4, cols: 2, density: 0.5 },
    );
    await saveModel(dense, `${dir}/dense.json`);
    await saveModel(bcr, `${dir}/bcr.json`);
    const sequences = Array.from({ length: 3 }, (_, k) => walk(8, 4, 40 + k));
    await Deno.writeTextFile(
      `${dir}/test.json`,
      JSON.stringify({ sequences, labels: [0, 1, 0] }),
    );
    const head = { weight: [[1, 0, 0, 0], [0, 1, 0, 0]], bias: [0, 0] };
    await Deno.writeTextFile(`${dir}/head.json`, JSON.stringify(head));
    const validation = Array.from({ length: 2 }, (_, k) => walk(8, 4, 60 + k));
    await Deno.writeTextFile(`${dir}/val.json`, JSON.stringify({ sequences: validation }));
    const args = [
      ...["--dense", `${dir}/dense.json`, "--bcr", `${dir}/bcr.json`],
      ...["--delta-model", `${dir}/bcr.json`, "--head", `${dir}/head.json`],
      ...["--data", `${dir}/test.json`, "--theta", "0.1,0.05", "--pes", "4"],
      ...["--broadcast", "2", "--verilator", "0", "--sweep", "0.1"],
    ];
    const run = await runDenoScript("cli/bench_delta.ts", [
      ...args,
      ...["--theta-m", "0.05", "--out", `${dir}/delta.json`, "--configs", "4x2o4,4x4o2i2"],
      ...["--in-words", "2", "--design-out", `${dir}/built`],
      ...["--balance-data", `${dir}/val.json`, "--balance-sequences", "2"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await Deno.readTextFile(`${dir}/delta.json`));
    assert.equal(result.setup.delta.thetaM, 0.05);
    // --balance-data: the built design's cells balanced on the validation walks' fired columns
    const balance = result.setup.cellBalance;
    assert.equal(balance.sequences, 2);
    assert.equal(balance.frames, 16);
    assert.equal(balance.outputsEqual, true);
    assert.ok(balance.layers[0].busiestAfter <= balance.layers[0].busiestBefore);
    assert.match(await Deno.readTextFile(`${dir}/delta.md`), /cells are balanced over its PEs/);
    // --in-words: the built design's input beat; --design-out: that design, as gen writes it
    assert.equal(result.cycles.built.design.inWords, 2);
    const built = JSON.parse(await Deno.readTextFile(`${dir}/built/design.json`));
    assert.equal(built.accelerator.inWords, 2);
    assert.equal(built.rtl.BCAST, 2);
    assert.equal(built.rtl.PQUEUE, 1, "one layer, early input: the projection's own queue");
    // the configuration table: each design's cycles and where they go; the built design streams
    // the widest output beat that divides the PEs by default
    assert.equal(result.cycles.built.design.outWords, 4);
    const rows = result.configs.rows;
    assert.deepEqual(rows.map((r: { broadcast: number }) => r.broadcast), [2, 4]);
    assert.deepEqual(rows.map((r: { inWords: number }) => r.inWords), [1, 2]);
    assert.equal(rows[0].delta.mean, result.cycles.built.delta.mean);
    for (const row of rows) {
      const p = row.phases;
      assert.ok(p.matvec > 0 && p.projection > 0 && row.idleCyclesPerFrame <= row.delta.p50);
      assert.ok(row.resources.fits);
      // BRAM36: the larger of the scaled estimate and the design's memories' bound, both kept
      const { bram36, bram36Estimate, bram36FromMemories } = row.resources;
      assert.equal(bram36, Math.max(bram36Estimate, bram36FromMemories));
      assert.equal(bram36FromMemories, row.memoryBlockRams.bram36);
      assert.ok(
        row.memoryBlockRams.memories.some((m: { memory: string }) => m.memory === "weight_mem"),
      );
    }
    assert.ok(result.configs.best);
    // the time targets are the fastest configuration's within the budget, with its resources
    const best = result.configs.best;
    const time = result.targets.find((t: { target: string }) => t.target === "time per frame");
    assert.match(time.reached, /the fastest configuration within the budget/);
    assert.match(time.reached, new RegExp(`^${best.microseconds.toFixed(3)} us`));
    const budget = result.targets.find((t: { target: string }) => /XCKU060/.test(t.target));
    assert.match(budget.reached, new RegExp(`${best.resources.bram36} BRAM36`));
    assert.equal(budget.met, true);
    assert.match(
      await Deno.readTextFile(`${dir}/delta.md`),
      /Fastest within the budget: \*\*4 PEs/,
    );
    assert.match(
      await Deno.readTextFile(`${dir}/delta.md`),
      /BRAM36: scaled estimate \/ memories' bound/,
    );
    assert.ok(result.fired.fractionM[0] > 0 && result.fired.fractionM[0] < 1);
    assert.equal(result.cycles.built.design.broadcast, 2);
    assert.deepEqual(result.sweep.points[0].thetaFixed.thetaM, [204]);
    assert.match(await Deno.readTextFile(`${dir}/delta.md`), /projection input m /);
    // without --theta-m a projection with 2 columns per beat is refused (one line, exit 2)
    const refused = await runDenoScript("cli/bench_delta.ts", [
      ...args,
      ...["--out", `${dir}/dense-proj.json`],
    ]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /needs delta\.thetaM/);
    // --design-out: a user's folder, or an input as the results file, is refused before any work
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "mine");
    for (
      const [flags, message] of [
        [
          ["--design-out", `${dir}/mine`, "--out", `${dir}/mine.json`],
          /mine: the folder exists and is not an earlier output/,
        ],
        [["--out", `${dir}/bcr.json`], /--out .*is the input/],
        [
          ["--balance-data", `${dir}/test.json`, "--out", `${dir}/b.json`],
          /--balance-data .*test\.json: is the test set --data/,
        ],
      ] as const
    ) {
      const run = await runDenoScript("cli/bench_delta.ts", [
        ...args,
        "--theta-m",
        "0.05",
        ...flags,
      ]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr.trim(), message);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    }
    assert.equal(await Deno.readTextFile(`${dir}/mine/notes.txt`), "mine");
    // --built-lanes: the built designs (and the sweep) with 2 MAC lanes per PE; --proj-queue off:
    // without the projection's queue; the same design as the configuration 4 PEs x 2 lanes x 2
    // columns per beat x 4 words without it (q0), so the same cycles
    const laned = await runDenoScript("cli/bench_delta.ts", [
      ...args,
      ...["--theta-m", "0.05", "--built-lanes", "2", "--configs", "4x2x2o4q0,4x2o4"],
      ...["--proj-queue", "off", "--out", `${dir}/lanes.json`, "--design-out", `${dir}/q0`],
    ]);
    assert.equal(laned.code, 0, laned.stderr);
    const lanes = JSON.parse(await Deno.readTextFile(`${dir}/lanes.json`));
    assert.equal(lanes.cycles.built.design.lanes, 2);
    assert.equal(lanes.configs.rows[0].lanes, 2);
    const withoutQueue = JSON.parse(await Deno.readTextFile(`${dir}/q0/design.json`));
    assert.equal(withoutQueue.rtl.PQUEUE, 0);
    assert.equal(withoutQueue.accelerator.projQueue, false);
    assert.equal(lanes.configs.rows[0].delta.mean, lanes.cycles.built.delta.mean);
    assert.notEqual(lanes.configs.rows[1].delta.mean, lanes.cycles.built.delta.mean);
    assert.match(await Deno.readTextFile(`${dir}/lanes.md`), /4 PEs x 2 MAC lane\(s\)/);
  });
});
