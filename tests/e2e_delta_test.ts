/**
 * Delta designs end to end under Verilator (docs/delta.md, "Hardware"): `gen` with a `delta`
 * config, every output word bit-exact against the fixed-point delta golden model (with theta = 0
 * against the dense golden model, which the dense design matches), with and without random output
 * back-pressure and input gaps, and the delta cycle model (rtl/delta_timing.ts) equal to the
 * simulated cycle of every step's last output beat, on random inputs and on speech features.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { caseDesign, type E2eCase, generateCase } from "./e2e.ts";
import { firedColumnsOf, simulateDeltaTiming } from "../rtl/delta_timing.ts";
import { parseAcceleratorSettings } from "../rtl/config.ts";
import { quantizeInputs, runFixed } from "../model/fixed.ts";
import { randomInputs } from "../model/random.ts";
import { loadDataset } from "../model/dataset.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { runProgram, VENV_PYTHON, withTempDir } from "./helpers.ts";

/** A delta case: an ese e2e case with thresholds (real units, every layer). */
function deltaCase(
  name: string,
  shape: Pick<E2eCase, "kind" | "numLayers"> & Partial<E2eCase>,
  theta: number,
): E2eCase {
  return {
    name,
    inputSize: 6,
    hiddenSize: 8,
    density: 0.5,
    pes: 4,
    format: "ese",
    seed: 3,
    steps: 8,
    ...shape,
    settings: { delta: { thetaX: theta, thetaH: theta } },
  };
}

/** Simulate a generated delta case (plain, and with back-pressure when asked) and check it. */
async function checkDeltaCase(
  c: E2eCase,
  root: string,
  options: { backpressure?: number; inputs?: number[][] } = {},
) {
  const dir = join(root, c.name);
  await generateCase(c, dir);
  const design = caseDesign(c);
  const real = options.inputs ?? randomInputs(c.steps, c.inputSize, c.seed);
  const common = { designDir: dir, seed: c.seed, resultPath: null, inputs: real };
  const plain = await simulateDesign(common);
  assert.ok(plain.bitExact, `${c.name}: ${JSON.stringify(plain.mismatches[0])}`);
  assert.deepEqual(plain.failures, []);
  assert.equal(plain.build.warnings, 0, `${c.name}: Verilator warnings`);
  const inputs = quantizeInputs(real, design.quantized.format);
  const fired = firedColumnsOf(design.quantized, inputs, design.delta!);
  const model = simulateDeltaTiming(
    { rtl: design.rtl, image: design.image, delta: design.delta! },
    fired,
  );
  assert.deepEqual(plain.stepEndCycles, model.stepEndCycles, `${c.name}: cycle model`);
  if (design.rtl.XEARLY === 1) {
    // the next step's input part went early (state ST_X) in the run the simulation equals
    assert.ok(model.stateCycles[7] > 0, `${c.name}: the input part never went early`);
    // with lanes the PEs read M two cells a cycle (readAheadM 4: four, no more than the lanes),
    // and mac_hold lasts K / MREAD - 3 (rnnfab_pe.v MREAD)
    const ahead = design.rtl.LANES >= 2 && c.settings?.readAheadM !== false;
    const cells = Math.min(c.settings?.readAheadM === 4 ? 4 : 2, design.rtl.LANES);
    assert.equal(design.rtl.MREAD, ahead ? cells : 1, `${c.name}: MREAD`);
    // one layer: the projection's own queue in every PE (rnnfab_mv_ese PQUEUE)
    assert.equal(design.rtl.PQUEUE, c.numLayers === 1 ? 1 : 0, `${c.name}: PQUEUE`);
  } else {
    assert.equal(design.rtl.MREAD, 1, `${c.name}: MREAD without early input`);
  }
  // the report: fired fraction per layer, cycles per frame between the steps' last beats
  const frames = model.stepEndCycles.slice(1).map((end, t) => end - model.stepEndCycles[t]);
  assert.equal(plain.delta?.frames, frames.length);
  assert.equal(plain.delta?.cyclesPerFrame.worst, Math.max(...frames));
  assert.equal(plain.delta?.firedFraction.length, c.numLayers);
  if (options.backpressure) {
    const stalled = await simulateDesign({
      ...common,
      backpressure: options.backpressure,
      inputGaps: options.backpressure / 2,
    });
    assert.ok(stalled.bitExact, `${c.name} stalled: ${JSON.stringify(stalled.mismatches[0])}`);
    assert.ok(stalled.stalls.outputBackpressureCycles > 0, `${c.name}: the output was never held`);
  }
  return { plain, design, inputs, fired };
}

Deno.test("delta theta = 0 (theta_m = 0 too, a 2-layer LSTMP): the dense golden outputs bit for bit, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    const c = deltaCase("delta0-lstmp2", { kind: "lstm", numLayers: 2, projSize: 4 }, 0);
    c.settings = { delta: { thetaX: 0, thetaH: 0, thetaM: 0 } };
    const { plain, design, inputs } = await checkDeltaCase(c, root);
    const scale = 2 ** -design.quantized.format.activationFrac;
    const dense = runFixed(design.quantized, inputs).map((o) => Array.from(o, (v) => v * scale));
    assert.deepEqual(plain.outputs, dense);
  });
});

Deno.test("delta LSTM 1 layer and GRU 2 layers: bit-exact with back-pressure, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    const lstm = deltaCase("delta-lstm1", { kind: "lstm", numLayers: 1 }, 0.05);
    const { fired } = await checkDeltaCase(lstm, root, { backpressure: 0.3 });
    // thresholds > 0 skip columns: fewer than all of them fired
    const count = fired.flat().reduce((sum, s) => sum + s.size, 0);
    assert.ok(count < lstm.steps * (lstm.inputSize + lstm.hiddenSize), `fired ${count}`);
    const gru = deltaCase("delta-gru2", { kind: "gru", numLayers: 2 }, 0.2);
    await checkDeltaCase(gru, root, { backpressure: 0.3 });
  });
});

Deno.test("delta LSTMP 2 layers (dense projection): bit-exact with back-pressure, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    const c = deltaCase("delta-lstmp2", { kind: "lstm", numLayers: 2, projSize: 4 }, 0.1);
    await checkDeltaCase(c, root, { backpressure: 0.3 });
  });
});

const espeak = new Deno.Command("sh", { args: ["-c", "command -v espeak-ng"] }).outputSync()
  .success;

Deno.test({
  name: "delta cycle model equals Verilator on speech features (one utterance, 40 bands)",
  ignore: !espeak,
  fn: () =>
    withTempDir("rnnfab-delta-speech-", async (root) => {
      const made = await runProgram(VENV_PYTHON, [
        "scripts/make_speech.py",
        "--out",
        join(root, "speech"),
        "--per-word",
        "1",
        "--val-per-word",
        "1",
      ]);
      assert.equal(made.code, 0, made.stderr);
      const data = await loadDataset(join(root, "speech", "speech40_test.safetensors"), {
        inputSize: 40,
      });
      const c = deltaCase("delta-speech", {
        kind: "lstm",
        numLayers: 2,
        inputSize: 40,
        hiddenSize: 16,
        density: 0.3,
      }, 0.3);
      for (const [i, sequence] of data.sequences.slice(0, 1).entries()) {
        const { plain } = await checkDeltaCase({ ...c, name: `${c.name}${i}` }, root, {
          inputs: sequence,
        });
        assert.equal(plain.steps, sequence.length);
      }
    }),
});

Deno.test("delta with 4 columns per beat (LSTM 2 layers, GRU 1 layer): bit-exact, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    for (const [name, kind, layers] of [["lstm2", "lstm", 2], ["gru1", "gru", 1]] as const) {
      const c = deltaCase(`delta-w4-${name}`, { kind, numLayers: layers, inputSize: 7 }, 0.05);
      c.settings = { ...c.settings, broadcast: 4 };
      await checkDeltaCase(c, root, { backpressure: 0.3 });
    }
  });
});

Deno.test("delta LSTMP 2 layers with theta_m (delta-coded projection input), 1 and 4 columns per beat (the latter with 4 output elements per beat): bit-exact with back-pressure, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    for (const broadcast of [1, 4]) {
      // W = 4 also streams 4 outputs per beat (gen --out-words): P = 6 in beats of 4 and 2
      const proj = broadcast === 4 ? 6 : 4;
      const c = deltaCase(
        `delta-lstmp2-m-w${broadcast}`,
        { kind: "lstm", numLayers: 2, projSize: proj, inputSize: 7 },
        0.1,
      );
      c.settings = {
        delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.05 },
        broadcast,
        outWords: broadcast,
      };
      const { fired, design } = await checkDeltaCase(c, root, { backpressure: 0.3 });
      assert.equal(design.rtl.OUT_WORDS, broadcast);
      // the m part fired (some of it) and the encoder never fired more than theta_m allows
      const m = fired.flat().reduce(
        (sum, set, i) => sum + [...set].filter((k) => k >= (i % 2 === 0 ? 7 : proj) + proj).length,
        0,
      );
      assert.ok(m > 0 && m < c.steps * 2 * c.hiddenSize, `m fired ${m}`);
      assert.deepEqual(design.delta!.thetaM, [204, 204]);
    }
  });
});

Deno.test("earlyInput / readAheadM / projQueue: on by default where they apply, off by the config (gen --early-input, --read-ahead-m, --proj-queue)", () => {
  const c = deltaCase("switches", { kind: "lstm", numLayers: 2, projSize: 5, pes: 2 }, 0.05);
  // [XEARLY, MREAD] of the design with these settings (one design each)
  const switches = (settings: object) => {
    const delta = { thetaX: 0.1, thetaH: 0.1, thetaM: 0.05 };
    const { rtl } = caseDesign({ ...c, settings: { ...c.settings, delta, ...settings } });
    return [rtl.XEARLY, rtl.MREAD];
  };
  assert.deepEqual(switches({ lanes: 2 }), [1, 2]);
  assert.deepEqual(switches({ lanes: 8 }), [1, 2]);
  // four cells a cycle where asked for, no more than the lanes
  assert.deepEqual(switches({ lanes: 8, readAheadM: 4 }), [1, 4]);
  assert.deepEqual(switches({ lanes: 2, readAheadM: 4 }), [1, 2]);
  assert.deepEqual(switches({ lanes: 2, readAheadM: false }), [1, 1]);
  // the read-ahead only shortens the hold that early input needs: off with it
  assert.deepEqual(switches({ lanes: 2, earlyInput: false }), [0, 1]);
  assert.throws(
    () => parseAcceleratorSettings({ earlyInput: "no" }, "c.json"),
    /c\.json: .*earlyInput must be true or false/,
  );
  assert.throws(
    () => parseAcceleratorSettings({ readAheadM: 3 }, "c.json"),
    /c\.json: .*readAheadM must be true, false or 4/,
  );
  // the projection's own queue: one layer with early input, unless off (gen --proj-queue off)
  const one = deltaCase("switches1", { kind: "lstm", numLayers: 1, projSize: 5, pes: 2 }, 0.05);
  const queue = (settings: object) => {
    const delta = { thetaX: 0.1, thetaH: 0.1, thetaM: 0.05 };
    return caseDesign({ ...one, settings: { ...one.settings, delta, ...settings } }).rtl.PQUEUE;
  };
  assert.equal(queue({}), 1);
  assert.equal(queue({ projQueue: false }), 0);
  assert.equal(queue({ earlyInput: false }), 0);
  assert.throws(
    () => parseAcceleratorSettings({ projQueue: 1 }, "c.json"),
    /c\.json: .*projQueue must be true or false/,
  );
});

Deno.test("delta with MAC lanes (ese lines): LSTM 2 layers on 4 PEs x 4 lanes, GRU 2 layers on 2 PEs x 8 lanes, LSTMP 2 layers (dense projection) on 3 PEs x 2 lanes, LSTM 2 layers at 4 columns per beat on 4 PEs x 2 lanes, LSTMP 2 layers with theta_m on 2 PEs x 2 lanes (3 projection rows per PE: padded lines; also with the read-ahead of M off and with early input off) and at 4 columns per beat on 4 PEs x 4 lanes, LSTMP 1 layer with theta_m (the projection's own engine queue) on 2 PEs x 2 lanes and x 4 lanes at 2 columns per beat with M read four cells a cycle: bit-exact with back-pressure, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    const thetaM = { delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.05 } };
    const cases: [string, Pick<E2eCase, "kind" | "numLayers"> & Partial<E2eCase>, object][] = [
      ["lstm2-l4", { kind: "lstm", numLayers: 2, hiddenSize: 13 }, { lanes: 4 }],
      ["gru2-l8", { kind: "gru", numLayers: 2, pes: 2, hiddenSize: 11 }, { lanes: 8 }],
      ["lstmp2-l2", { kind: "lstm", numLayers: 2, projSize: 5, pes: 3, hiddenSize: 10 }, {
        lanes: 2,
      }],
      ["lstm2-l2-w4", { kind: "lstm", numLayers: 2, inputSize: 7 }, { lanes: 2, broadcast: 4 }],
      ["lstmp2-m-l2", { kind: "lstm", numLayers: 2, projSize: 5, pes: 2, inputSize: 7 }, {
        ...thetaM,
        lanes: 2,
      }],
      // the same with the read-ahead of M off (gen --read-ahead-m off), and early input off
      ["lstmp2-m-l2-nopair", { kind: "lstm", numLayers: 2, projSize: 5, pes: 2, inputSize: 7 }, {
        ...thetaM,
        lanes: 2,
        readAheadM: false,
      }],
      ["lstmp2-m-l2-noearly", { kind: "lstm", numLayers: 2, projSize: 5, pes: 2, inputSize: 7 }, {
        ...thetaM,
        lanes: 2,
        earlyInput: false,
      }],
      // one layer: the projection's own engine queue (PQUEUE), at 2 lanes and at 4 lanes with
      // 2 columns per beat and M read four cells a cycle
      ["lstmp1-m-l2", { kind: "lstm", numLayers: 1, projSize: 5, pes: 2, inputSize: 7 }, {
        ...thetaM,
        lanes: 2,
      }],
      ["lstmp1-m-l4-w2", { kind: "lstm", numLayers: 1, projSize: 6, pes: 2, inputSize: 9 }, {
        ...thetaM,
        lanes: 4,
        broadcast: 2,
        readAheadM: 4,
      }],
      // (4 input elements per stream beat: 7 in beats of 4 and 3)
      ["lstmp2-m-l4-w4-in4", { kind: "lstm", numLayers: 2, projSize: 6, inputSize: 7 }, {
        ...thetaM,
        lanes: 4,
        broadcast: 4,
        outWords: 4,
        inWords: 4,
      }],
    ];
    for (const [name, shape, settings] of cases) {
      const c = deltaCase(`delta-lanes-${name}`, shape, 0.05);
      c.settings = { ...c.settings, ...settings };
      // (0.4: at 0.3 the seeded ready draws of lstmp2-m-l4-w4 happen to hold none of its 16
      // output beats since its input part goes early)
      const { design } = await checkDeltaCase(c, root, { backpressure: 0.4 });
      assert.equal(design.rtl.LANES, c.settings.lanes);
      if (name.endsWith("-nopair")) assert.equal(design.rtl.XEARLY, 1, name);
      if (name.endsWith("-noearly")) assert.equal(design.rtl.XEARLY, 0, name);
    }
  });
});

Deno.test("delta past 16 MAC lanes (ese lines): LSTMP 64 cells with theta_m on 2 PEs x 32 lanes (32 cells a PE, 4 projection rows padded to a line) at 2 columns per beat, GRU 2 layers of 64 cells on 1 PE x 64 lanes: bit-exact with back-pressure, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    const lstmp = deltaCase("delta-lanes-lstmp1-m-l32-w2", {
      kind: "lstm",
      numLayers: 1,
      inputSize: 7,
      hiddenSize: 64,
      projSize: 8,
      pes: 2,
    }, 0.05);
    lstmp.settings = {
      delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.05 },
      lanes: 32,
      broadcast: 2,
      outWords: 2,
    };
    const gru = deltaCase("delta-lanes-gru2-l64", {
      kind: "gru",
      numLayers: 2,
      hiddenSize: 64,
      pes: 1,
    }, 0.05);
    gru.settings = { ...gru.settings, lanes: 64 };
    for (const [c, cells] of [[lstmp, 32], [gru, 64]] as const) {
      const { design } = await checkDeltaCase(c, root, { backpressure: 0.3 });
      assert.equal(design.rtl.LANES, c.settings!.lanes);
      assert.equal(design.rtl.K, cells);
    }
  });
});

Deno.test("delta at 32 columns per beat (every PE's bank in one beat): LSTMP 2 layers with theta_m on 32 PEs x 2 lanes, 32 output words, 16 input words (40 inputs in beats of 16, 16 and 8): bit-exact with back-pressure, cycles exact", async () => {
  await withTempDir("rnnfab-delta-e2e-", async (root) => {
    const c = deltaCase("delta-lstmp2-m-l2-w32", {
      kind: "lstm",
      numLayers: 2,
      inputSize: 40,
      hiddenSize: 64,
      projSize: 32,
      pes: 32,
    }, 0.1);
    c.settings = {
      delta: { thetaX: 0.1, thetaH: 0.1, thetaM: 0.05 },
      lanes: 2,
      broadcast: 32,
      outWords: 32,
      inWords: 16,
    };
    const { design } = await checkDeltaCase(c, root, { backpressure: 0.3 });
    assert.equal(design.rtl.BCAST, 32);
    assert.equal(design.rtl.IN_WORDS, 16);
  });
});
