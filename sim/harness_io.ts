/**
 * The two plain-text files exchanged with the simulation harnesses (the Verilator C++ harness and
 * the Icarus testbench share them): the stimulus the TypeScript side writes and the result the
 * harness writes back.
 *
 * Stimulus: `rnnfab-stimulus 1`, then `steps inputSize outputSize`, then the quantized inputs as
 * signed decimal integers, step by step.
 *
 * Result: one `beat <cycle> <value> <last>` line per transferred output beat (value `x` when a
 * four-state simulator saw unknown bits), then `summary <key> <value>` lines ending with
 * `summary end 1`.
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
  /** Wall seconds the harness measured itself (null when it does not). */
  wallSeconds: number | null;
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
      wallSeconds: values.has("wallSeconds") ? get("wallSeconds") : null,
    },
  };
}
