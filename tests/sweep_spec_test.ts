/**
 * The sweep spec and job identity as pure functions: ranges expand without float noise, every gen
 * config field is an axis, depths name their stages, a job's hash does not depend on key order
 * but on every input, and screening keeps every point of the estimate's front.
 */

import assert from "node:assert/strict";
import { acceleratorConfigSchema } from "../rtl/config.ts";
import {
  canonicalJson,
  expandPoints,
  expandRange,
  genParameterSchemas,
  jobHash,
  jobInputs,
  type JobResult,
  parseSweepSpec,
  resultRow,
  screenCandidates,
  stagesOfDepth,
} from "../sweep/mod.ts";
import { UserError } from "../util/errors.ts";

Deno.test("sweep spec: ranges by step and by factor, ends included, no float noise", () => {
  assert.deepEqual(expandRange({ from: 0.1, to: 0.5, step: 0.1 }, "a"), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(expandRange({ from: 2, to: 16, factor: 2 }, "a"), [2, 4, 8, 16]);
  assert.deepEqual(expandRange({ from: 3, to: 3, step: 1 }, "a"), [3]);
  assert.throws(() => expandRange({ from: 2, to: 1, step: 1 }, "axes.x"), UserError);
  assert.throws(
    () => expandRange({ from: 1, to: 4 }, "axes.x"),
    /exactly one of "step" and "factor"/,
  );
});

Deno.test("sweep spec: every field of gen's config is a gen axis", () => {
  assert.deepEqual(
    Object.keys(genParameterSchemas).sort(),
    Object.keys(acceleratorConfigSchema.shape).sort(),
  );
});

Deno.test("sweep spec: a depth is its stage and the ones before; a list adds the estimate", () => {
  assert.deepEqual(stagesOfDepth("estimate"), ["estimate"]);
  assert.deepEqual(stagesOfDepth("sim"), ["estimate", "synth", "sim"]);
  assert.deepEqual(stagesOfDepth(["pnr", "sim"]), ["estimate", "sim", "pnr"]);
});

Deno.test("sweep jobs: the product of the axes; the hash follows the inputs, not their order", () => {
  const spec = parseSweepSpec(
    {
      model: "m.json",
      axes: { "gen.pes": [1, 2], "prune.density": [0.5, 0.25, 0.1] },
      settings: { gen: { format: "bcr" } },
    },
    "spec.json",
    "/tmp",
  );
  const points = expandPoints(spec);
  assert.equal(points.length, 6);
  const sha = "0".repeat(64);
  const hashes = points.map((point) => jobHash(jobInputs(spec, point, sha)));
  assert.equal(new Set(hashes).size, 6);
  const inputs = jobInputs(spec, points[0], sha);
  assert.equal(inputs.gen.format, "bcr");
  const reordered = JSON.parse(canonicalJson(inputs));
  assert.equal(jobHash({ ...reordered, gen: { pes: 1, format: "bcr" } }), hashes[0]);
  assert.notEqual(jobHash(jobInputs(spec, points[0], "1".repeat(64))), hashes[0]);
});

/** A result with an estimate stage (what screening sees). */
function estimated(hash: string, figures: { us: number; error: number; pes: number }): JobResult {
  const inputs = {
    format: "rnnfab-sweep-job-1" as const,
    modelSha256: "0".repeat(64),
    prune: {},
    gen: {},
    synth: {},
    sim: {},
    pnr: {},
    fidelity: { steps: 1, seed: 1 },
  };
  return {
    tool: "rnnfab sweep",
    hash,
    inputs,
    point: {},
    stages: {
      estimate: {
        pes: figures.pes,
        format: "ese",
        weightBits: 12,
        density: 0.5,
        nonZerosPerStep: 100,
        memoryBits: 1000,
        cyclesPerStep: figures.us * 200,
        firstStepCycles: 10,
        clockMhz: 200,
        usPerFrame: figures.us,
        fidelityMaxError: figures.error,
        fidelityRelativeError: figures.error,
      },
    },
    failure: null,
    wallSeconds: {},
  };
}

Deno.test("sweep screening: resources stand in as PEs; a point beaten on everything is dropped", () => {
  const spec = parseSweepSpec(
    {
      model: "m.json",
      axes: { "gen.pes": [2, 4] },
      objectives: ["usPerFrame", "luts", "fidelityError"],
      depth: "synth",
    },
    "spec.json",
    "/tmp",
  );
  const rows = [
    estimated("fast", { us: 1, error: 0.2, pes: 4 }),
    estimated("small", { us: 2, error: 0.2, pes: 2 }), // slower but fewer PEs: may use fewer LUTs
    estimated("worse", { us: 3, error: 0.3, pes: 4 }), // beaten by "fast" on every stand-in
    estimated("accurate", { us: 3, error: 0.1, pes: 4 }),
  ].map((result) => resultRow(result, null));
  assert.deepEqual([...screenCandidates(rows, spec)].sort(), ["accurate", "fast", "small"]);
});

Deno.test("sweep budget: an ECP5 part is checked against place and route's utilization", () => {
  const spec = (extra: Record<string, unknown>) =>
    parseSweepSpec(
      { model: "m.json", axes: { "gen.pes": [1, 2] }, budget: { part: "ecp5-25k" }, ...extra },
      "spec.json",
      "/tmp",
    );
  const placed = spec({ depth: "pnr", settings: { pnr: { target: "ecp5-25k" } } });
  assert.deepEqual(placed.budget, {
    family: "ecp5",
    luts: 24288,
    flipFlops: 24288,
    blockRams: 56,
    dsps: 28,
    memoryBits: 56 * 18432,
  });
  assert.throws(
    () => spec({ depth: "synth" }),
    /checked against place and route's utilization, but depth does not run pnr/,
  );
  assert.throws(
    () => spec({ depth: "pnr", settings: { pnr: { target: "ice40-up5k" } } }),
    /pnr.target is ice40-up5k \(expected an ECP5 part\)/,
  );
  const result = estimated("p", { us: 1, error: 0.1, pes: 1 });
  // Before place and route the LUTs are unknown: not over, not within.
  assert.equal(resultRow(result, placed.budget).withinBudget, null);
  const utilization = (luts: number) => [
    { resource: "TRELLIS_COMB", used: luts, available: 24288 },
    { resource: "TRELLIS_FF", used: 900, available: 24288 },
    { resource: "DP16KD", used: 4, available: 56 },
    { resource: "MULT18X18D", used: 2, available: 28 },
  ];
  const pnr = (luts: number) => ({
    ...result,
    stages: {
      ...result.stages,
      pnr: {
        target: "ecp5-25k",
        requestedMhz: 100,
        fmaxMhz: 80,
        passed: true,
        utilization: utilization(luts),
      },
    },
  });
  assert.equal(resultRow(pnr(3000), placed.budget).withinBudget, true);
  const over = resultRow(pnr(30000), placed.budget);
  assert.equal(over.withinBudget, false);
  assert.deepEqual(over.overBudget, ["luts 30000 > 24288"]);
});
