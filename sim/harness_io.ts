/**
 * The two plain-text files exchanged with the simulation harnesses (the Verilator C++ harness and
 * the Icarus testbench share them): the stimulus the TypeScript side writes and the result the
 * harness writes back.
 *
 * Stimulus: `rnnfab-stimulus 1`, then `steps inputSize outputSize`, then the quantized inputs as
 * signed decimal integers, step by step. A batch of sequences (Verilator harness only) is
 * `rnnfab-stimulus 2`, `sequences inputSize outputSize`, then per sequence `sequence steps
 * maxCycles` and its integers.
 *
 * A batch design (`gen --batch B`) takes B words per stream beat: the stimulus lists them beat by
 * beat (`inputSize` and `outputSize` count words, B per element) and the result has one `beat`
 * line per word (sim/batch_stream.ts).
 *
 * Result: one `beat <cycle> <value> <last>` line per transferred output beat (value `x` when a
 * four-state simulator saw unknown bits), then `summary <key> <value>` lines ending with
 * `summary end 1`. For a batch, each sequence's block starts with a `sequence <index>` line.
 *
 * @module
 */

/** Settings of one harness run that shape the stimulus timing. */
export interface HarnessSettings {
  /** Probability in [0, 1) that out_ready is low in a cycle (0: always ready). */
  backpressure: number;
  /** Probability in [0, 1) that a pending input beat is withheld in a cycle (0: no gaps). */
  inputGaps: number;
  /** Seed of the harness's random streams (and of Verilator's random initial values). */
  seed: number;
  /** The run gives up (and reports a timeout) after this many cycles. */
  maxCycles: number;
  /**
   * Initial value of registers and memories without reset or initializer (Verilator): "random"
   * (seeded; catches designs that rely on power-up zeros) or "zero". Icarus always starts at x.
   */
  initialValues: "random" | "zero";
}

/** One output beat as the harness saw it transfer. */
export interface OutputBeat {
  /** Cycle of the transfer (1 = first rising edge after reset). */
  cycle: number;
  /** Sign-extended value, or null when it had unknown (x/z) bits. */
  value: number | null;
  /** out_last with the beat. */
  last: boolean;
}

/** The counters a harness reports at the end of a run. */
export interface HarnessSummary {
  /** Cycle of the last expected output beat (0 if it never came). */
  cycles: number;
  /** Cycles simulated after reset (equals `cycles` unless the run timed out). */
  simulatedCycles: number;
  /** Cycle of the first output beat. */
  firstOutputCycle: number;
  /** Cycle of the last accepted input beat. */
  lastInputCycle: number;
  /** Input beats accepted. */
  inputsAccepted: number;
  /** Output beats received. */
  outputs: number;
  /** Output beats expected (steps x outputSize). */
  expectedOutputs: number;
  /** Cycles with out_valid && !out_ready (back-pressure held the accelerator). */
  outputStallCycles: number;
  /** Cycles with in_ready && !in_valid while inputs remained (input gaps starved it). */
  inputStarvedCycles: number;
  /** Cycles with in_valid && !in_ready (the accelerator was busy and did not take input). */
  inputWaitCycles: number;
  /** Times a held output beat (valid && !ready) changed or vanished before it transferred. */
  protocolViolations: number;
  /** Beats whose out_last did not match "last element of a step". */
  lastFlagErrors: number;
  /** Beats offered after the last expected one (during a short drain). */
  extraBeats: number;
  /** True when the cycle limit was reached before every output arrived. */
  timedOut: boolean;
  /**
   * Wall seconds of the simulation loop the harness measured itself (the Verilator harness: from
   * the reset of the sequence to its last drain cycle, without the model's initialization; null
   * when the harness does not measure).
   */
  wallSeconds: number | null;
  /** Process CPU seconds of the same span (null when the harness does not measure). */
  cpuSeconds: number | null;
  /**
   * Seconds the harness spent before the first sequence: model construction and the initial
   * blocks ($readmemh of the memory images); null when not measured or not the first sequence.
   */
  initSeconds: number | null;
}

/** A parsed harness result file. */
export interface HarnessRun {
  /** Every output beat in transfer order. */
  beats: OutputBeat[];
  /** The end-of-run counters. */
  summary: HarnessSummary;
}

/** The stimulus file for a quantized input sequence. */
export function stimulusText(inputs: Int32Array[], inputSize: number, outputSize: number): string {
  const lines = ["rnnfab-stimulus 1", `${inputs.length} ${inputSize} ${outputSize}`];
  for (const step of inputs) lines.push(Array.from(step).join(" "));
  return lines.join("\n") + "\n";
}

/** One sequence of a batch stimulus: its quantized inputs and its cycle limit. */
export interface BatchSequence {
  /** Quantized inputs, T x inputSize. */
  inputs: Int32Array[];
  /** The harness gives up on this sequence after this many cycles. */
  maxCycles: number;
}

/** The version-2 stimulus file of several sequences run back to back in one harness process. */
export function batchStimulusText(
  sequences: BatchSequence[],
  sizes: { inputSize: number; outputSize: number },
): string {
  const lines = ["rnnfab-stimulus 2", `${sequences.length} ${sizes.inputSize} ${sizes.outputSize}`];
  for (const sequence of sequences) {
    lines.push(`sequence ${sequence.inputs.length} ${sequence.maxCycles}`);
    for (const step of sequence.inputs) lines.push(step.join(" "));
  }
  return lines.join("\n") + "\n";
}

const SUMMARY_KEYS = [
  "cycles",
  "simulatedCycles",
  "firstOutputCycle",
  "lastInputCycle",
  "inputsAccepted",
  "outputs",
  "expectedOutputs",
  "outputStallCycles",
  "inputStarvedCycles",
  "inputWaitCycles",
  "protocolViolations",
  "lastFlagErrors",
  "extraBeats",
  "timedOut",
] as const;

/** Parse a harness result file; throws when it is truncated or malformed (a harness failure). */
export function parseHarnessResult(text: string, source: string): HarnessRun {
  const beats: OutputBeat[] = [];
  const values = new Map<string, number>();
  let complete = false;
  text.split("\n").forEach((line, index) => {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "beat" && fields.length === 4) {
      const value = /^-?\d+$/.test(fields[2]) ? Number(fields[2]) : null;
      beats.push({ cycle: Number(fields[1]), value, last: fields[3] === "1" });
    } else if (fields[0] === "summary" && fields.length === 3) {
      if (fields[1] === "end") complete = true;
      else values.set(fields[1], Number(fields[2]));
    } else if (fields[0] !== "") {
      throw new Error(`${source}: line ${index + 1}: unexpected harness output "${line}"`);
    }
  });
  if (!complete) throw new Error(`${source}: the harness result is incomplete`);
  for (const key of SUMMARY_KEYS) {
    if (!values.has(key) || !Number.isFinite(values.get(key))) {
      throw new Error(`${source}: the harness result lacks "summary ${key}"`);
    }
  }
  const get = (key: string) => values.get(key)!;
  const optional = (key: string) => values.has(key) ? get(key) : null;
  return {
    beats,
    summary: {
      cycles: get("cycles"),
      simulatedCycles: get("simulatedCycles"),
      firstOutputCycle: get("firstOutputCycle"),
      lastInputCycle: get("lastInputCycle"),
      inputsAccepted: get("inputsAccepted"),
      outputs: get("outputs"),
      expectedOutputs: get("expectedOutputs"),
      outputStallCycles: get("outputStallCycles"),
      inputStarvedCycles: get("inputStarvedCycles"),
      inputWaitCycles: get("inputWaitCycles"),
      protocolViolations: get("protocolViolations"),
      lastFlagErrors: get("lastFlagErrors"),
      extraBeats: get("extraBeats"),
      timedOut: get("timedOut") !== 0,
      wallSeconds: optional("wallSeconds"),
      cpuSeconds: optional("cpuSeconds"),
      initSeconds: optional("initSeconds"),
    },
  };
}

/**
 * Parse the result file of a batch run: one `sequence <index>` block per sequence, each a
 * complete single-sequence result; throws when a block is missing, out of order or incomplete.
 */
export function parseBatchHarnessResult(
  text: string,
  source: string,
  sequences: number,
): HarnessRun[] {
  const blocks = text.split(/^sequence /m);
  if (blocks[0].trim() !== "") {
    throw new Error(`${source}: the batch result does not start with a sequence line`);
  }
  const runs = blocks.slice(1).map((block, index) => {
    const newline = block.indexOf("\n");
    const header = newline < 0 ? block : block.slice(0, newline);
    if (header.trim() !== String(index)) {
      throw new Error(`${source}: expected sequence ${index}, found "sequence ${header.trim()}"`);
    }
    return parseHarnessResult(
      newline < 0 ? "" : block.slice(newline + 1),
      `${source} (sequence ${index})`,
    );
  });
  if (runs.length !== sequences) {
    throw new Error(`${source}: the harness reported ${runs.length} of ${sequences} sequences`);
  }
  return runs;
}
