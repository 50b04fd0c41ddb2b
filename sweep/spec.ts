/**
 * The sweep specification (docs/sweep.md): the model, the axes (any prune, gen, synth, sim and
 * place-and-route parameter, each a list or a range), the fixed settings, the objectives, the
 * resource budget and the depth every front candidate runs to. One zod schema, owned here; the
 * values of each axis are checked with the schema of the stage parameter they set (the gen
 * parameters come from rtl/'s accelerator config schema, so a new gen field is a new axis).
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { checkSchema, parseWithSchema } from "../util/zod_error.ts";
import { parseBlock } from "../prune/mod.ts";
import { acceleratorConfigSchema } from "../rtl/config.ts";
import { SYNTH_TARGETS } from "../synth/mod.ts";
import { PNR_TARGET_IDS, PNR_TARGETS } from "../synth/pnr/targets.ts";

/** The stages a point may run, cheapest first; each includes the ones before it. */
export const DEPTHS = ["estimate", "synth", "sim", "pnr"] as const;

/** How far a point runs: estimate; + synthesis; + simulation; + place and route. */
export type Depth = typeof DEPTHS[number];

/** Objectives: minimized, except `gops` (maximized). */
export const OBJECTIVES = [
  "usPerFrame",
  "gops",
  "luts",
  "flipFlops",
  "blockRams",
  "dsps",
  "fidelityError",
  "clockMhz",
] as const;

/** One objective name. */
export type Objective = typeof OBJECTIVES[number];

/** Objectives that are maximized (the rest are minimized). */
export const MAXIMIZED: ReadonlySet<Objective> = new Set(["gops", "clockMhz"]);

/** The stage an objective's figure needs. */
export const OBJECTIVE_DEPTH: Record<Objective, Depth> = {
  usPerFrame: "estimate",
  gops: "estimate",
  fidelityError: "estimate",
  luts: "synth",
  flipFlops: "synth",
  blockRams: "synth",
  dsps: "synth",
  clockMhz: "pnr",
};

const positiveInt = z.number().int().positive();

/** The prune parameters (prune/bcr.ts `pruneModelBcr`); absent density: the model is used as is. */
export const pruneParameterSchemas = {
  density: z.number().gt(0, { message: "expected a density in (0, 1]" }).max(1, {
    message: "expected a density in (0, 1]",
  }),
  colShare: z.number().min(0).max(1),
  block: z.string().refine((text) => parseBlock(text) !== null, {
    message: 'expected a block "RxC" (e.g. "4x4", "1xall")',
  }),
  balance: z.boolean(),
} as const;

/** The gen parameters: every field of `deno task gen`'s config (rtl/config.ts). */
export const genParameterSchemas = Object.fromEntries(
  Object.entries(acceleratorConfigSchema.shape).map(([key, schema]) => [
    key,
    (schema as z.ZodOptional<z.ZodType>).unwrap(),
  ]),
) as Record<string, z.ZodType>;

/** The synthesis parameters (synth/flow.ts `synthesizeDesign`). */
export const synthParameterSchemas = {
  target: z.enum(SYNTH_TARGETS),
  perPe: z.boolean(),
} as const;

/**
 * The simulation parameters (sim/simulate.ts `simulateDesign`); the input is the fidelity
 * sequence, so the simulated outputs give the fidelity error too.
 */
export const simParameterSchemas = {
  simulator: z.enum(["verilator", "icarus"]),
  seed: z.number().int().min(0),
} as const;

/** The place-and-route parameters (synth/pnr/flow.ts `placeAndRoute`). */
export const pnrParameterSchemas = {
  target: z.enum(PNR_TARGET_IDS as [string, ...string[]]),
  freqMhz: z.number().positive(),
  seed: z.number().int().min(0),
} as const;

/** Every stage's parameter schemas, by stage name (the axis prefix). */
export const STAGE_PARAMETERS: Record<Stage, Record<string, z.ZodType>> = {
  prune: pruneParameterSchemas,
  gen: genParameterSchemas,
  synth: synthParameterSchemas,
  sim: simParameterSchemas,
  pnr: pnrParameterSchemas,
};

/** A stage whose parameters can be swept. */
export type Stage = "prune" | "gen" | "synth" | "sim" | "pnr";

/** The stages, in pipeline order. */
export const STAGES: readonly Stage[] = ["prune", "gen", "synth", "sim", "pnr"];

/** A range: `from` to `to` (inclusive) by `step` (added) or `factor` (multiplied). */
const rangeSchema = z.object({
  from: z.number(),
  to: z.number(),
  step: z.number().positive().optional(),
  factor: z.number().gt(1).optional(),
}).strict();

/** An axis: a list of values or a range. */
const axisSchema = z.union([z.array(z.unknown()), rangeSchema], {
  message: 'expected a list of values or a range {"from", "to", "step" or "factor"}',
});

/** The count of a nextpnr resource of a part (0 when the part lacks it). */
function available(target: typeof PNR_TARGETS[number], resource: string): number {
  return target.resources.find((r) => r.resource === resource)?.available ?? 0;
}

/** The nextpnr resources an ECP5 budget's figures are checked against, by budget key. */
export const ECP5_BUDGET_RESOURCES = {
  luts: "TRELLIS_COMB",
  flipFlops: "TRELLIS_FF",
  blockRams: "DP16KD",
  dsps: "MULT18X18D",
} as const;

/** Resource budgets by named part (the synthesis target family they are checked against). */
export const BUDGET_PARTS: Record<string, PartBudget> = {
  // Kintex UltraScale XCKU060 (DS890): CLB LUTs, flip-flops, RAMB36 blocks, DSP48E2 slices.
  xcku060: {
    family: "xilinx",
    luts: 331_680,
    flipFlops: 663_360,
    blockRams: 1_080,
    dsps: 2_760,
    memoryBits: 1_080 * 36_864,
  },
  // iCE40 UP5K: checked against `synth.target: "ice40"` (logic cells, SB_RAM40_4K, SB_MAC16).
  ...Object.fromEntries(
    PNR_TARGETS.filter((target) => target.family === "ice40").map((target) => [target.id, {
      family: "ice40",
      luts: available(target, "ICESTORM_LC"),
      flipFlops: available(target, "ICESTORM_LC"),
      blockRams: available(target, "ICESTORM_RAM"),
      dsps: available(target, "ICESTORM_DSP"),
      memoryBits: available(target, "ICESTORM_RAM") * target.blockRamBits,
    }]),
  ),
  // ECP5 parts: checked against place and route's utilization (nextpnr's LUT4s, flip-flops,
  // DP16KD block RAMs and MULT18X18D multipliers), as rnnfab's synth has no ECP5 target.
  ...Object.fromEntries(
    PNR_TARGETS.filter((target) => target.family === "ecp5").map((target) => [target.id, {
      family: "ecp5",
      luts: available(target, ECP5_BUDGET_RESOURCES.luts),
      flipFlops: available(target, ECP5_BUDGET_RESOURCES.flipFlops),
      blockRams: available(target, ECP5_BUDGET_RESOURCES.blockRams),
      dsps: available(target, ECP5_BUDGET_RESOURCES.dsps),
      memoryBits: available(target, target.blockRamResource) * target.blockRamBits,
    }]),
  ),
};

/**
 * A resource budget in numbers (any subset); `family` ties LUT/BRAM units to a synthesis target
 * ("xilinx", "ice40") or, for "ecp5", to place and route's utilization.
 */
export interface PartBudget {
  /** Family whose units the numbers are in (null: any; "ecp5": nextpnr's utilization). */
  family: "xilinx" | "ice40" | "ecp5" | null;
  /** LUTs (ECP5: LUT4s, TRELLIS_COMB). */
  luts?: number;
  /** Flip-flops. */
  flipFlops?: number;
  /** Block RAM tiles (RAMB36 on xilinx, SB_RAM40_4K on ice40, DP16KD on ECP5). */
  blockRams?: number;
  /** DSP slices (ECP5: MULT18X18D). */
  dsps?: number;
  /** Bits of all generated memories (computed from design.json; the check before synthesis). */
  memoryBits?: number;
}

const budgetNumber = z.number().positive();
const budgetSchema = z.union([
  z.object({ part: z.enum(Object.keys(BUDGET_PARTS) as [string, ...string[]]) }).strict(),
  z.object({
    luts: budgetNumber.optional(),
    flipFlops: budgetNumber.optional(),
    blockRams: budgetNumber.optional(),
    dsps: budgetNumber.optional(),
    memoryBits: budgetNumber.optional(),
  }).strict().refine((value) => Object.keys(value).length > 0, {
    message: "expected at least one of luts, flipFlops, blockRams, dsps, memoryBits",
  }),
], {
  message: `expected {"part": ${
    Object.keys(BUDGET_PARTS).join(" | ")
  }} or numbers {"luts", "flipFlops", "blockRams", "dsps", "memoryBits"}`,
});

const settingsSchema = z.object({
  prune: z.record(z.string(), z.unknown()).optional(),
  gen: z.record(z.string(), z.unknown()).optional(),
  synth: z.record(z.string(), z.unknown()).optional(),
  sim: z.record(z.string(), z.unknown()).optional(),
  pnr: z.record(z.string(), z.unknown()).optional(),
}).strict();

/** The spec file as written (before the axes are expanded). */
export const sweepSpecSchema = z.object({
  model: z.string().min(1),
  axes: z.record(z.string(), axisSchema).refine((axes) => Object.keys(axes).length > 0, {
    message: "expected at least one axis",
  }),
  settings: settingsSchema.optional(),
  objectives: z.array(z.enum(OBJECTIVES)).min(1).optional(),
  budget: budgetSchema.optional(),
  depth: z.union([z.enum(DEPTHS), z.array(z.enum(DEPTHS)).min(1)], {
    message: `expected one of ${DEPTHS.join(", ")} (that stage and those before it) or a list ` +
      'of stages (e.g. ["sim"]: the estimate and simulation)',
  }).optional(),
  screen: z.boolean().optional(),
  fidelity: z.object({
    steps: positiveInt.max(1000).optional(),
    seed: z.number().int().min(0).optional(),
  }).strict().optional(),
}).strict();

/** The spec file as written. */
export type SweepSpecFile = z.infer<typeof sweepSpecSchema>;

/** A parameter value of a stage (number, string or boolean). */
export type ParameterValue = number | string | boolean;

/** One expanded axis: `stage.name` and its values. */
export interface Axis {
  /** "prune.density", "gen.pes", ... */
  key: string;
  /** Stage. */
  stage: Stage;
  /** Parameter name within the stage. */
  name: string;
  /** The values, in order. */
  values: ParameterValue[];
}

/** A validated, expanded spec. */
export interface SweepSpec {
  /** Model path, resolved against the spec file's folder. */
  modelPath: string;
  /** The axes, in the spec's order. */
  axes: Axis[];
  /** Fixed settings per stage (the axes override them). */
  settings: Record<Stage, Record<string, ParameterValue>>;
  /** Objectives. */
  objectives: Objective[];
  /** Resource budget, or null. */
  budget: PartBudget | null;
  /** Name of the budget's part, or null. */
  budgetPart: string | null;
  /** Depth of the front candidates. */
  depth: Depth;
  /** The stages the candidates run, in pipeline order, always starting with the estimate. */
  stages: Depth[];
  /** Screen with the estimate (true) or run every point to `depth`. */
  screen: boolean;
  /** Random input sequence of the fidelity error (float64 dense model vs fixed-point design). */
  fidelity: { steps: number; seed: number };
}

/** The stages of a spec's depth: a stage and those before it, or the listed ones (+ estimate). */
export function stagesOfDepth(depth: Depth | Depth[]): Depth[] {
  if (!Array.isArray(depth)) return DEPTHS.slice(0, DEPTHS.indexOf(depth) + 1);
  return DEPTHS.filter((stage) => stage === "estimate" || depth.includes(stage));
}

/** Most points a sweep may have. */
export const MAX_POINTS = 100_000;

/** The values of a range; a UserError (naming the axis) when it is empty or too long. */
export function expandRange(
  range: z.infer<typeof rangeSchema>,
  where: string,
): number[] {
  if ((range.step === undefined) === (range.factor === undefined)) {
    throw new UserError(`${where}: a range needs exactly one of "step" and "factor"`);
  }
  if (range.from > range.to) {
    throw new UserError(`${where}: empty range (from ${range.from} > to ${range.to})`);
  }
  if (range.factor !== undefined && range.from <= 0) {
    throw new UserError(`${where}: a range with "factor" needs from > 0, got ${range.from}`);
  }
  const values: number[] = [];
  for (let i = 0;; i++) {
    const value = range.step !== undefined
      ? range.from + i * range.step
      : range.from * range.factor! ** i;
    // Round away float noise (0.1 + 2 * 0.1) so that values and their hashes are stable.
    const clean = Number(value.toPrecision(12));
    if (clean > range.to + 1e-12 * Math.abs(range.to)) break;
    values.push(clean);
    if (values.length > MAX_POINTS) throw new UserError(`${where}: more than ${MAX_POINTS} values`);
  }
  return values;
}

/** Check one parameter value with its stage schema; returns it or throws a one-line UserError. */
function checkParameter(stage: Stage, name: string, value: unknown, where: string) {
  const schemas = STAGE_PARAMETERS[stage];
  const schema = schemas[name];
  if (schema === undefined) {
    throw new UserError(
      `${where}: unknown ${stage} parameter "${name}" (expected one of ${
        Object.keys(schemas).join(", ")
      })`,
    );
  }
  const checked = checkSchema(schema, value);
  if (!checked.ok) throw new UserError(`${where}: ${checked.problem}`);
  return checked.value as ParameterValue;
}

/** Split "stage.name" and check the stage; a UserError for anything else. */
function axisKey(key: string, source: string): { stage: Stage; name: string } {
  const dot = key.indexOf(".");
  const stage = key.slice(0, dot) as Stage;
  if (dot < 0 || !STAGES.includes(stage)) {
    throw new UserError(
      `${source}: axes.${key}: unknown axis (expected "stage.parameter" with a stage of ${
        STAGES.join(", ")
      }, e.g. "gen.pes")`,
    );
  }
  return { stage, name: key.slice(dot + 1) };
}

/** Expand and check the axes. */
function expandAxes(file: SweepSpecFile, source: string): Axis[] {
  return Object.entries(file.axes).map(([key, axis]) => {
    const { stage, name } = axisKey(key, source);
    const where = `${source}: axes.${key}`;
    if (STAGE_PARAMETERS[stage][name] === undefined) checkParameter(stage, name, undefined, where);
    const raw = Array.isArray(axis) ? axis : expandRange(axis, where);
    if (raw.length === 0) throw new UserError(`${where}: empty list (expected at least one value)`);
    const values = raw.map((value, i) => checkParameter(stage, name, value, `${where}[${i}]`));
    if (new Set(values.map((v) => JSON.stringify(v))).size !== values.length) {
      throw new UserError(`${where}: a value appears twice`);
    }
    return { key, stage, name, values };
  });
}

/** The stage settings, checked parameter by parameter. */
function checkSettings(file: SweepSpecFile, source: string): SweepSpec["settings"] {
  const settings = { prune: {}, gen: {}, synth: {}, sim: {}, pnr: {} } as SweepSpec["settings"];
  for (const stage of STAGES) {
    for (const [name, value] of Object.entries(file.settings?.[stage] ?? {})) {
      settings[stage][name] = checkParameter(stage, name, value, `${source}: settings.${stage}`);
    }
  }
  return settings;
}

/** Check what the objectives, the budget and the depth need of each other. */
function checkCombination(spec: SweepSpec, source: string): void {
  for (const objective of spec.objectives) {
    const needs = OBJECTIVE_DEPTH[objective];
    if (!spec.stages.includes(needs)) {
      throw new UserError(
        `${source}: objectives: ${objective} needs the ${needs} stage (depth runs ` +
          `${spec.stages.join(", ")})`,
      );
    }
  }
  const family = spec.budget?.family;
  if (family === "ecp5") checkPlacedBudget(spec, source);
  else if (family) {
    const targets = spec.axes.find((axis) => axis.key === "synth.target")?.values ??
      [spec.settings.synth.target ?? "xilinx"];
    const other = targets.find((target) => target !== family);
    if (other !== undefined) {
      throw new UserError(
        `${source}: budget: part ${spec.budgetPart} is checked against ${family} synthesis, but ` +
          `synth.target is ${other} (set settings.synth.target to "${family}" or give numbers)`,
      );
    }
  }
}

/** An ECP5 part budget needs place and route on ECP5 parts (its figures are nextpnr's). */
function checkPlacedBudget(spec: SweepSpec, source: string): void {
  const where = `${source}: budget: part ${spec.budgetPart} is checked against place and ` +
    "route's utilization";
  if (!spec.stages.includes("pnr")) {
    throw new UserError(`${where}, but depth does not run pnr (add "pnr" to depth)`);
  }
  const targets = spec.axes.find((axis) => axis.key === "pnr.target")?.values ??
    [spec.settings.pnr.target ?? "ecp5-85k"];
  const other = targets.find((target) => !String(target).startsWith("ecp5-"));
  if (other !== undefined) {
    throw new UserError(`${where}, but pnr.target is ${other} (expected an ECP5 part)`);
  }
}

/** Validate a parsed spec file (`source` names it in messages) and expand its axes. */
export function parseSweepSpec(value: unknown, source: string, specDir: string): SweepSpec {
  const file = parseWithSchema(sweepSpecSchema, value, source);
  const axes = expandAxes(file, source);
  const points = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (points > MAX_POINTS) {
    throw new UserError(`${source}: axes: ${points} points (at most ${MAX_POINTS})`);
  }
  const budget = file.budget === undefined
    ? null
    : "part" in file.budget
    ? BUDGET_PARTS[file.budget.part]
    : { family: null, ...file.budget };
  const stages = stagesOfDepth(file.depth ?? "estimate");
  const modelPath = file.model.startsWith("/") ? file.model : `${specDir}/${file.model}`;
  const spec: SweepSpec = {
    modelPath,
    axes,
    settings: checkSettings(file, source),
    objectives: file.objectives ?? ["usPerFrame", "fidelityError"],
    budget,
    budgetPart: file.budget !== undefined && "part" in file.budget ? file.budget.part : null,
    depth: stages[stages.length - 1],
    stages,
    screen: file.screen ?? true,
    fidelity: { steps: file.fidelity?.steps ?? 8, seed: file.fidelity?.seed ?? 1 },
  };
  checkCombination(spec, source);
  return spec;
}
