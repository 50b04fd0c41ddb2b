/**
 * The bridge: a WebSocket server (npm `ws`, bound to 127.0.0.1 on a free port) that serves input
 * sequences and golden outputs of the fixed-point model to the cocotb test bench and records every
 * output word it sends back. One connection is one test's session (docs/cocotb.md):
 *
 *     hello -> welcome, request -> plan, word*, sequence_end, ..., end -> verdict
 *
 * The bridge never trusts the client: frames are validated (protocol.ts), and a bad frame is
 * answered with `error` and a closed connection, recorded as a problem of that test.
 *
 * @module
 */

import { WebSocketServer } from "ws";
import { type QuantizedModel, quantizeInputs, runFixed } from "../../model/fixed.ts";
import { randomInputs } from "../../model/random.ts";
import { checkTest, type SequenceRecord, type TestRecord, type TestVerdict } from "./checker.ts";
import {
  type ClientMessage,
  parseClientMessage,
  PROTOCOL_VERSION,
  type SequenceSpec,
  type ServerMessage,
  type StimulusSpec,
  type WelcomeDesign,
} from "../../rtl/testbench_protocol.ts";

/** The run-wide stream timing and seed. */
export interface RunStimulus {
  /** Probability that out_ready is low in a cycle. */
  backpressure: number;
  /** Probability that a pending input word is withheld in a cycle. */
  inputGaps: number;
  /** Seed of the run (random sequences and the client's random streams derive from it). */
  seed: number;
}

/** Options of `startBridge`. */
export interface BridgeOptions {
  /** The design facts announced in `welcome`. */
  design: WelcomeDesign;
  /** The integer model the hardware holds (its input format quantizes the inputs). */
  model: QuantizedModel;
  /**
   * The golden outputs of quantized inputs (default `runFixed` on `model`; a delta design's
   * golden model is the delta one, sim/golden.ts).
   */
  golden?: (inputs: Int32Array[]) => Int32Array[];
  /**
   * The run's own input sequences (real values, T x inputSize), served as source "main": one per
   * slot of the stream beats (`design.batch` of them, equally long).
   */
  mainInputs: number[][][];
  /** The run's stream timing and seed. */
  stimulus: RunStimulus;
  /** Cycle limit of a sequence of `steps` steps streamed with `stimulus`. */
  cycleLimit: (steps: number, stimulus: StimulusSpec) => number;
  /** Progress messages. */
  log?: (message: string) => void;
}

/** A running bridge. */
export interface Bridge {
  /** `ws://127.0.0.1:PORT`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Every test session so far, in the order they said hello. */
  tests: TestRecord[];
  /** Verdicts sent so far, by test name. */
  verdicts: Map<string, TestVerdict>;
  /** Wall-clock milliseconds (performance.now) of the last connection or frame. */
  lastActivity(): number;
  /** Number of open connections. */
  openConnections(): number;
  /** Close every connection and stop listening. */
  close(): Promise<void>;
}

/** The subset of a `ws` socket this module uses (the package ships no types). */
interface Socket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: "message", listener: (data: { toString(): string }, isBinary: boolean) => void): void;
  on(event: "close", listener: (code: number, reason: { toString(): string }) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
}

/** A 31-bit seed from a string (FNV-1a), so random sequences depend on (seed, test, id) only. */
export function seedFrom(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

/** What every session of one bridge shares. */
interface BridgeState {
  options: BridgeOptions;
  tests: TestRecord[];
  verdicts: Map<string, TestVerdict>;
  mainQuantized: Int32Array[][];
  mainGolden: Int32Array[][];
  golden: (inputs: Int32Array[]) => Int32Array[];
  log: (message: string) => void;
}

/** One connection: its test (after hello), and how to answer or refuse it. */
interface Session {
  test?: TestRecord;
  send(message: ServerMessage): void;
  refuse(problem: string): void;
}

/** A test name not taken yet in this bridge ("name", else "name#2", ...). */
function uniqueName(tests: TestRecord[], name: string): string {
  const taken = new Set(tests.map((test) => test.name));
  if (!taken.has(name)) return name;
  let n = 2;
  while (taken.has(`${name}#${n}`)) n++;
  return `${name}#${n}`;
}

/**
 * The B sequences a request asks for (one per slot of the stream beats, sequence ids consecutive),
 * with their golden outputs, or the problem with the request. `random` gives every slot its own
 * inputs (seed from the run's seed, the test and the sequence id); `inputs` puts the given inputs
 * in every slot; `main` is the run's own sequences.
 */
function makeSequences(
  state: BridgeState,
  test: TestRecord,
  spec: SequenceSpec,
): SequenceRecord[] | string {
  const { options } = state;
  const stream = test.sequences.length;
  const stimulus = spec.stimulus ??
    { backpressure: options.stimulus.backpressure, inputGaps: options.stimulus.inputGaps };
  if (spec.source === "inputs") {
    const bad = spec.inputs.findIndex((step) => step.length !== options.design.inputSize);
    if (bad >= 0) {
      return `inputs[${bad}]: expected ${options.design.inputSize} numbers, got ${
        spec.inputs[bad].length
      }`;
    }
  }
  return Array.from({ length: options.design.batch }, (_, slot) => {
    const id = stream + slot;
    let inputs: Int32Array[];
    let expected: Int32Array[];
    if (spec.source === "main") {
      inputs = state.mainQuantized[slot];
      expected = state.mainGolden[slot];
    } else {
      const real = spec.source === "random"
        ? randomInputs(
          spec.steps,
          options.design.inputSize,
          seedFrom(`${options.stimulus.seed}:${test.name}:${id}`),
        )
        : spec.inputs;
      inputs = quantizeInputs(real, options.model.format);
      expected = state.golden(inputs);
    }
    return {
      id,
      slot,
      stream,
      source: spec.source,
      inputs,
      expected,
      maxCycles: options.cycleLimit(inputs.length, stimulus),
      outWords: options.design.outWords,
      stimulus,
      words: [],
      problems: [],
    };
  });
}

/** hello: check the protocol version, register the test, answer welcome. */
function handleHello(
  state: BridgeState,
  session: Session,
  message: Extract<ClientMessage, { type: "hello" }>,
): void {
  if (session.test) return session.refuse("a second hello on one connection");
  if (message.protocol !== PROTOCOL_VERSION) {
    return session.refuse(
      `protocol version ${message.protocol} is not supported; this bridge speaks ` +
        `${PROTOCOL_VERSION} (regenerate DIR/tb with \`deno task gen\`)`,
    );
  }
  const test: TestRecord = {
    name: uniqueName(state.tests, message.test),
    client: message.client,
    sequences: [],
    problems: [],
    ended: false,
  };
  session.test = test;
  state.tests.push(test);
  state.log(`bridge: ${test.name} connected`);
  session.send({
    type: "welcome",
    protocol: PROTOCOL_VERSION,
    design: state.options.design,
    stimulus: state.options.stimulus,
  });
}

/** request: make the sequences and answer with the plan (or refuse the whole request). */
function handleRequest(
  state: BridgeState,
  session: Session,
  test: TestRecord,
  specs: SequenceSpec[],
): void {
  const planned: SequenceRecord[] = [];
  for (const spec of specs) {
    const made = makeSequences(state, test, spec);
    if (typeof made === "string") return session.refuse(`request: ${made}`);
    test.sequences.push(...made);
    planned.push(...made);
  }
  session.send({
    type: "plan",
    sequences: planned.map((s) => ({
      id: s.id,
      slot: s.slot,
      stream: s.stream,
      source: s.source,
      inputs: s.inputs.map((step) => Array.from(step)),
      expected: s.expected.map((step) => Array.from(step)),
      maxCycles: s.maxCycles,
    })),
    stimulus: state.options.stimulus,
  });
}

/** word: record a DUT output word of a sequence, noting one out of order or after its end. */
function recordWord(
  session: Session,
  test: TestRecord,
  message: Extract<ClientMessage, { type: "word" }>,
): void {
  const sequence = test.sequences[message.sequence];
  if (!sequence) return session.refuse(`word for unknown sequence ${message.sequence}`);
  if (sequence.end) {
    sequence.problems.push(`sequence ${sequence.id}: a word came after sequence_end`);
    return;
  }
  if (message.index !== sequence.words.length) {
    sequence.problems.push(
      `sequence ${sequence.id}: word ${message.index} came where ` +
        `${sequence.words.length} was due`,
    );
  }
  sequence.words.push({ value: message.value, last: message.last, cycle: message.cycle });
}

/** One client message of a session (every problem is a refusal or a recorded problem). */
function handleMessage(state: BridgeState, session: Session, message: ClientMessage): void {
  if (message.type === "hello") return handleHello(state, session, message);
  const test = session.test;
  if (!test) return session.refuse(`'${message.type}' before hello`);
  if (test.ended) return session.refuse(`'${message.type}' after end`);
  switch (message.type) {
    case "request":
      return handleRequest(state, session, test, message.sequences);
    case "word":
      return recordWord(session, test, message);
    case "progress":
      return;
    case "sequence_end": {
      const sequence = test.sequences[message.sequence];
      if (!sequence) {
        return session.refuse(`sequence_end for unknown sequence ${message.sequence}`);
      }
      if (sequence.end) return session.refuse(`sequence ${sequence.id} ended twice`);
      sequence.end = { aborted: message.aborted, stats: message.stats };
      return;
    }
    case "end": {
      test.ended = true;
      const verdict = checkTest(test);
      state.verdicts.set(test.name, verdict);
      state.log(`bridge: ${test.name} ${verdict.passed ? "passed" : "FAILED"}`);
      return session.send({
        type: "verdict",
        test: test.name,
        passed: verdict.passed,
        failures: verdict.failures,
        mismatchCount: verdict.mismatchCount,
      });
    }
  }
}

/** Serve one connection: parse its frames, handle them, record how it closed. */
function serveSocket(state: BridgeState, socket: Socket, touch: () => void, onClose: () => void) {
  const session: Session = {
    send: (message) => socket.send(JSON.stringify(message)),
    refuse: (problem) => {
      session.test?.problems.push(`protocol: ${problem}`);
      state.log(`bridge: refused ${session.test ? session.test.name : "a client"}: ${problem}`);
      session.send({ type: "error", message: problem });
      socket.close(1008, problem.slice(0, 120));
    },
  };
  socket.on("message", (data, isBinary) => {
    touch();
    if (isBinary) return session.refuse("binary frame (every message is JSON text)");
    const parsed = parseClientMessage(data.toString());
    if (!parsed.ok) return session.refuse(`bad message: ${parsed.problem}`);
    handleMessage(state, session, parsed.message);
  });
  socket.on("error", (error) => session.test?.problems.push(`connection error: ${error.message}`));
  socket.on("close", (code, reason) => {
    onClose();
    const test = session.test;
    if (test && !test.ended && !test.problems.some((p) => p.startsWith("protocol:"))) {
      const why = reason.toString();
      test.problems.push(
        `the connection closed before the test ended (code ${code}${why ? `: ${why}` : ""})`,
      );
    }
  });
}

/** Start the bridge; resolves once it listens. */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 64 << 20 });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", (error: Error) => reject(error));
  });
  const port = (server.address() as { port: number }).port;
  if (options.mainInputs.length !== options.design.batch) {
    throw new Error(
      `the bridge needs ${options.design.batch} main sequences, got ${options.mainInputs.length}`,
    );
  }
  const golden = options.golden ?? ((inputs: Int32Array[]) => runFixed(options.model, inputs));
  const mainQuantized = options.mainInputs.map((real) =>
    quantizeInputs(real, options.model.format)
  );
  const state: BridgeState = {
    options,
    tests: [],
    verdicts: new Map(),
    mainQuantized,
    mainGolden: mainQuantized.map(golden),
    golden,
    log: options.log ?? (() => {}),
  };
  const sockets = new Set<Socket>();
  let lastActivity = performance.now();
  const touch = () => lastActivity = performance.now();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    touch();
    serveSocket(state, socket, touch, () => {
      sockets.delete(socket);
      touch();
    });
  });

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    tests: state.tests,
    verdicts: state.verdicts,
    lastActivity: () => lastActivity,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.close(1001, "the bridge is shutting down");
        server.close(() => resolve());
      }),
  };
}
