/**
 * One sweep point as a content-addressed job: its inputs (the model's SHA-256 and every stage
 * parameter, the depth left out) hash to the name of its result file, `DIR/jobs/<hash>.json`. A
 * result records each stage it ran (estimate, synth, sim, pnr); running a job to a depth runs
 * only the stages its result lacks, so a rerun, a deeper rerun and a resumed sweep reuse what
 * exists. The job file (what `cli/sweep_point.ts` and the Ray driver run) and the result have one
 * schema each, owned here.
 *
 * @module
 */

import { z } from "zod";
import { sha256Hex } from "../rtl/integrity.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { DEPTHS, type ParameterValue, type Stage, STAGES, type SweepSpec } from "./spec.ts";

/** Format tag of a job's inputs (part of the hash: a new format recomputes every point). */
export const JOB_FORMAT = "rnnfab-sweep-job-1";

/** The `"tool"` of every file the sweep writes (util/output.ts markers). */
export const SWEEP_TOOL = "rnnfab sweep";

const parameterValue = z.union([z.number(), z.string(), z.boolean()]);
const parameters = z.record(z.string(), parameterValue);

/** What a point's result depends on: hashed into its name. */
export const jobInputsSchema = z.object({
  format: z.literal(JOB_FORMAT),
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  prune: parameters,
  gen: parameters,
  synth: parameters,
  sim: parameters,
  pnr: parameters,
  fidelity: z.object({ steps: z.number().int().positive(), seed: z.number().int().min(0) }),
}).strict();

/** What a point's result depends on. */
export type JobInputs = z.infer<typeof jobInputsSchema>;

/** A job file: the inputs, where the model is, how deep to run, and the axis values (labels). */
export const jobFileSchema = z.object({
  tool: z.literal(SWEEP_TOOL),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  inputs: jobInputsSchema,
  point: parameters,
  modelPath: z.string().min(1),
  /** The stages to run, in pipeline order (estimate first). */
  stages: z.array(z.enum(DEPTHS)).min(1),
}).strict();

/** A job file. */
export type JobFile = z.infer<typeof jobFileSchema>;

const figure = z.number().nullable();

/** The estimate stage: the design's figures computed by the cycle model and the golden model. */
export const estimateStageSchema = z.object({
  pes: z.number(),
  format: z.string(),
  weightBits: z.number(),
  density: z.number(),
  nonZerosPerStep: z.number(),
  memoryBits: z.number(),
  cyclesPerStep: z.number(),
  firstStepCycles: z.number(),
  clockMhz: z.number(),
  usPerFrame: z.number(),
  /** Largest absolute output difference, fixed-point design vs dense float64 model. */
  fidelityMaxError: z.number(),
  /** RMS(design - dense float64) / RMS(dense float64) over the fidelity sequence. */
  fidelityRelativeError: z.number(),
});

/** The synthesis stage: Yosys's resource counts. */
export const synthStageSchema = z.object({
  target: z.string(),
  method: z.string(),
  estimated: z.boolean(),
  luts: z.number(),
  flipFlops: z.number(),
  blockRams: z.number(),
  dsps: z.number(),
  yosys: z.string(),
});

/** The simulation stage: cycles counted in RTL simulation, outputs checked bit for bit. */
export const simStageSchema = z.object({
  simulator: z.string(),
  steps: z.number(),
  bitExact: z.boolean(),
  passed: z.boolean(),
  cyclesPerStep: z.number(),
  fidelityMaxError: figure,
  fidelityRelativeError: figure,
});

/** The place-and-route stage: achieved clock and placed utilization. */
export const pnrStageSchema = z.object({
  target: z.string(),
  requestedMhz: z.number(),
  fmaxMhz: z.number(),
  passed: z.boolean(),
  utilization: z.array(z.object({ resource: z.string(), used: z.number(), available: z.number() })),
});

/** A result file `DIR/jobs/<hash>.json`. */
export const jobResultSchema = z.object({
  tool: z.literal(SWEEP_TOOL),
  hash: z.string(),
  inputs: jobInputsSchema,
  point: parameters,
  stages: z.object({
    estimate: estimateStageSchema.optional(),
    synth: synthStageSchema.optional(),
    sim: simStageSchema.optional(),
    pnr: pnrStageSchema.optional(),
  }),
  /** The stage that failed and why (a failed job is not rerun until its inputs change). */
  failure: z.object({ stage: z.string(), message: z.string() }).nullable(),
  /** Measured wall seconds of each stage (not part of the comparison between engines). */
  wallSeconds: z.record(z.string(), z.number()),
});

/** A result file. */
export type JobResult = z.infer<typeof jobResultSchema>;

/** Validate a job file's content. */
export function parseJobFile(value: unknown, source: string): JobFile {
  return parseWithSchema(jobFileSchema, value, source);
}

/** Validate a result file's content. */
export function parseJobResult(value: unknown, source: string): JobResult {
  return parseWithSchema(jobResultSchema, value, source);
}

/** JSON with object keys sorted at every level (the hash does not depend on key order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The hash that names a job's result. */
export function jobHash(inputs: JobInputs): string {
  return sha256Hex(canonicalJson(inputs));
}

/** Every point of a spec: the cartesian product of the axes over the settings, in spec order. */
export function expandPoints(spec: SweepSpec): Record<string, ParameterValue>[] {
  let points: Record<string, ParameterValue>[] = [{}];
  for (const axis of spec.axes) {
    points = points.flatMap((point) =>
      axis.values.map((value) => ({ ...point, [axis.key]: value }))
    );
  }
  return points;
}

/** The inputs of one point: the settings of each stage with the point's axis values over them. */
export function jobInputs(
  spec: SweepSpec,
  point: Record<string, ParameterValue>,
  modelSha256: string,
): JobInputs {
  const stages = Object.fromEntries(
    STAGES.map((stage) => [stage, { ...spec.settings[stage] }]),
  ) as Record<Stage, Record<string, ParameterValue>>;
  for (const axis of spec.axes) stages[axis.stage][axis.name] = point[axis.key];
  // Only the stages a point can run belong to its identity; sim/pnr settings do not change an
  // estimate, but keeping them makes a deeper rerun find the same file.
  return { format: JOB_FORMAT, modelSha256, ...stages, fidelity: spec.fidelity };
}

/** Whether a result already has every stage of `stages` (or failed: failures are kept). */
export function resultCovers(result: JobResult | undefined, stages: JobFile["stages"]): boolean {
  if (result === undefined) return false;
  if (result.failure !== null) return true;
  return stages.every((stage) => result.stages[stage] !== undefined);
}
