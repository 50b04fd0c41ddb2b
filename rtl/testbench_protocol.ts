/**
 * The messages of the cocotb bridge (protocol version 2; docs/cocotb.md is the prose version).
 * Every message is one JSON text frame with a `type`. Client messages come from the Python test
 * bench, so they are validated here with zod before anything trusts them.
 *
 * @module
 */

import { z } from "zod";
import { checkSchema } from "../util/zod_error.ts";

/**
 * The protocol version this bridge speaks; a client with another version is refused. Version 2:
 * a request on a batch design (`gen --batch B`) is answered with B sequences per spec, one per
 * slot of the stream beats (`slot`, `stream` in the plan).
 */
export const PROTOCOL_VERSION = 2;

const probability = z.number().min(0).max(0.99);
const count = z.number().int().nonnegative();

/** Stimulus a client declares for a sequence (the bridge scales the cycle limit with it). */
export const stimulusSchema = z.object({ backpressure: probability, inputGaps: probability });

/** A sequence request: the run's own sequence, random steps, or real-valued inputs. */
export const sequenceSpecSchema = z.discriminatedUnion("source", [
  z.object({ source: z.literal("main"), stimulus: stimulusSchema.optional() }),
  z.object({
    source: z.literal("random"),
    steps: z.number().int().min(1).max(100000),
    stimulus: stimulusSchema.optional(),
  }),
  z.object({
    source: z.literal("inputs"),
    inputs: z.array(z.array(z.number().refine(Number.isFinite, "expected a finite number")))
      .min(1),
    stimulus: stimulusSchema.optional(),
  }),
]);

/** Counters the client measured while streaming one sequence (names as the harness result). */
export const sequenceStatsSchema = z.object({
  cycles: count,
  simulatedCycles: count,
  firstOutputCycle: count,
  lastInputCycle: count,
  inputsAccepted: count,
  outputs: count,
  expectedOutputs: count,
  outputStallCycles: count,
  inputStarvedCycles: count,
  inputWaitCycles: count,
  protocolViolations: count,
  validDependsOnReady: count,
  unknownControl: count,
  lastFlagErrors: count,
  extraBeats: count,
  timedOut: z.boolean(),
  wallSeconds: z.number().nonnegative(),
});

/** Every message a client may send. */
export const clientMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    protocol: z.number().int(),
    test: z.string().min(1).max(200),
    client: z.record(z.string(), z.unknown()).default({}),
  }),
  z.object({ type: z.literal("request"), sequences: z.array(sequenceSpecSchema).min(1).max(100) }),
  z.object({
    type: z.literal("word"),
    sequence: count,
    index: count,
    value: z.number().int().nullable(),
    last: z.boolean(),
    cycle: count,
  }),
  z.object({ type: z.literal("progress"), cycle: count }),
  z.object({
    type: z.literal("sequence_end"),
    sequence: count,
    aborted: z.boolean(),
    stats: sequenceStatsSchema,
  }),
  z.object({ type: z.literal("end") }),
]);

/** A message from the test bench. */
export type ClientMessage = z.infer<typeof clientMessageSchema>;
/** A sequence request. */
export type SequenceSpec = z.infer<typeof sequenceSpecSchema>;
/** Streaming counters of one sequence. */
export type SequenceStats = z.infer<typeof sequenceStatsSchema>;
/** Stream timing declared by the client. */
export type StimulusSpec = z.infer<typeof stimulusSchema>;

/** The design facts the bridge announces (the client checks them against its own constants). */
export interface WelcomeDesign {
  /** Top module. */
  top: string;
  /** Cell type. */
  kind: "lstm" | "gru";
  /** Input words per step. */
  inputSize: number;
  /** Output words per step. */
  outputSize: number;
  /** Width of in_data/out_data. */
  activationBits: number;
  /** Fraction bits of the activation format. */
  activationFrac: number;
  /** Sequences per stream beat (`gen --batch B`; 1 for a design without batch). */
  batch: number;
  /** Elements of a step per input beat (`gen --in-words W`, batch 1; 1 otherwise). */
  inWords: number;
  /** Elements of a step per output beat (`gen --out-words W`, batch 1; 1 otherwise). */
  outWords: number;
}

/** Server -> client: the answer to `hello`. */
export interface WelcomeMessage {
  type: "welcome";
  protocol: number;
  design: WelcomeDesign;
  /** The run's stimulus: back-pressure and input-gap probabilities and the seed. */
  stimulus: { backpressure: number; inputGaps: number; seed: number };
}

/** One sequence of a plan. */
export interface PlannedSequence {
  /** Id within the session (words refer to it). */
  id: number;
  /** Its slot in the stream beats, its sequence tag: bits [slot*AB, (slot+1)*AB) (0..B-1). */
  slot: number;
  /** Id of the stream's slot-0 sequence: the B sequences that share one stream have the same. */
  stream: number;
  /** Where its inputs came from. */
  source: "main" | "random" | "inputs";
  /** Quantized inputs, T x inputSize. */
  inputs: number[][];
  /** Golden outputs, T x outputSize. */
  expected: number[][];
  /** Simulated cycles after which the client gives up on the sequence. */
  maxCycles: number;
}

/** Server -> client: the answer to `request`. */
export interface PlanMessage {
  type: "plan";
  sequences: PlannedSequence[];
  stimulus: { backpressure: number; inputGaps: number; seed: number };
}

/** Server -> client: the answer to `end`. */
export interface VerdictMessage {
  type: "verdict";
  test: string;
  passed: boolean;
  /** One line per problem (mismatching words first). */
  failures: string[];
  mismatchCount: number;
}

/** Server -> client: a refusal; the server closes the connection after it. */
export interface ErrorMessage {
  type: "error";
  message: string;
}

/** Every message the server sends. */
export type ServerMessage = WelcomeMessage | PlanMessage | VerdictMessage | ErrorMessage;

/** Parse and validate one client frame; returns the message or a one-line problem. */
export function parseClientMessage(
  text: string,
): { ok: true; message: ClientMessage } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  const checked = checkSchema(clientMessageSchema, value);
  return checked.ok ? { ok: true, message: checked.value } : checked;
}
