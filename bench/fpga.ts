/**
 * The FPGA row of the comparison, from the rnnfab flow itself: a design written by `deno task gen`
 * (`DIR/design.json`) and its Verilator run (`DIR/sim/result.json`, written by `deno task sim`).
 * Cycles are measured in the cycle-accurate RTL simulation; time is cycles at the design's
 * configured clock (an assumption until the design is placed and routed at that clock).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { quantizeModel } from "../model/fixed.ts";
import { namedMatrices, type RnnModel } from "../model/model.ts";
import { readDesign, type SimDesign } from "../sim/design.ts";
import { readSimResult, type SimResult, simResultPath } from "../sim/result.ts";

/** The simulation figures the comparison uses (fields of `DIR/sim/result.json`). */
export type SimFigures = Pick<
  SimResult,
  | "simulator"
  | "steps"
  | "passed"
  | "cycles"
  | "cyclesPerStep"
  | "steadyCyclesPerStep"
  | "peUtilization"
>;

/** The FPGA figures of one design. */
export interface FpgaFigures {
  /** Absolute design directory. */
  designDir: string;
  /** Weight format of the design. */
  format: "ese" | "bcr";
  /** Processing elements. */
  pes: number;
  /** Configured clock, MHz (assumed, not timing-closed). */
  clockMhz: number;
  /** Simulator that counted the cycles. */
  simulator: string;
  /** Steps simulated. */
  steps: number;
  /** Whether the simulation was bit-exact against the golden model and protocol-clean. */
  passed: boolean;
  /** Measured: cycles for the whole sequence. */
  cycles: number;
  /** Computed: cycles / steps (includes the pipeline fill of the first step). */
  cyclesPerStep: number;
  /** Computed: steady-state cycles per step (null for one step). */
  steadyCyclesPerStep: number | null;
  /** Computed: cyclesPerStep / clockMhz, microseconds per frame. */
  usPerFrame: number;
  /** Computed: useful MACs / (PEs x cycles). */
  peUtilization: number;
  /** Useful multiply-accumulates per step (non-zero weights). */
  nonZerosPerStep: number;
  /** Computed: 2 x nonZerosPerStep / usPerFrame, in GOP/s (sparse work actually done). */
  effectiveGops: number;
  /** Computed: 2 x dense weights / usPerFrame, in GOP/s (what a dense engine would need). */
  denseEquivalentGops: number;
  /** Bits of the encoded weight image (design.json memoryBits.weightImage). */
  weightMemoryBits: number;
  /** Bits of all memories: weights, biases, peepholes, tables (design.json memoryBits.total). */
  totalMemoryBits: number;
}

/** Combine a design and its simulation into the FPGA figures (pure). */
export function fpgaFigures(
  design: SimDesign,
  sim: SimFigures,
  model: RnnModel,
): FpgaFigures {
  const denseWeights = namedMatrices(model).reduce((sum, m) => sum + m.matrix.data.length, 0);
  const clockMhz = design.accelerator.clockMhz;
  const usPerFrame = sim.cyclesPerStep / clockMhz;
  return {
    designDir: design.dir,
    format: design.accelerator.format,
    pes: design.accelerator.pes,
    clockMhz,
    simulator: sim.simulator,
    steps: sim.steps,
    passed: sim.passed,
    cycles: sim.cycles,
    cyclesPerStep: sim.cyclesPerStep,
    steadyCyclesPerStep: sim.steadyCyclesPerStep ?? null,
    usPerFrame,
    peUtilization: sim.peUtilization,
    nonZerosPerStep: design.work.nonZerosPerStep,
    effectiveGops: (2 * design.work.nonZerosPerStep) / (usPerFrame * 1e3),
    denseEquivalentGops: (2 * denseWeights) / (usPerFrame * 1e3),
    weightMemoryBits: design.memoryBits.weightImage,
    totalMemoryBits: design.memoryBits.total,
  };
}

/**
 * Check that a design was generated from this model: same shape and the same number of non-zero
 * weights. Throws a UserError naming design.json otherwise.
 */
export function checkDesignMatchesModel(design: SimDesign, model: RnnModel): void {
  const source = join(design.dir, "design.json");
  const shape = design.model;
  const fields: [string, number, number][] = [
    ["inputSize", shape.inputSize, model.inputSize],
    ["hiddenSize", shape.hiddenSize, model.hiddenSize],
    ["numLayers", shape.numLayers, model.numLayers],
    ["projSize", shape.projSize, model.projSize],
  ];
  for (const [field, designValue, modelValue] of fields) {
    if (designValue !== modelValue) {
      throw new UserError(
        `${source}: model.${field}: the design has ${designValue}, the model has ${modelValue}`,
      );
    }
  }
  if (shape.kind !== model.kind) {
    throw new UserError(
      `${source}: model.kind: the design is ${shape.kind}, the model ${model.kind}`,
    );
  }
  // The design holds the quantized weights: count the model's non-zeros in the design's format
  // (a tiny weight may round to zero). With a codebook, shared weights may differ: shape only.
  if (design.accelerator.codebookBits !== null) return;
  let nonZeros = 0;
  for (const layer of quantizeModel(model, design.fixed).layers) {
    for (const matrix of [layer.weightIh, layer.weightHh, layer.weightHr]) {
      if (matrix) { for (const value of matrix.data) if (value !== 0) nonZeros++; }
    }
  }
  if (design.work.nonZerosPerStep !== nonZeros) {
    throw new UserError(
      `${source}: work.nonZerosPerStep: the design has ${design.work.nonZerosPerStep} non-zero ` +
        `weights, the model (after any pruning) ${nonZeros} once quantized: give ` +
        "the model the design was made from",
    );
  }
}

/** Read a design and its simulation result and compute the FPGA figures. */
export async function readFpga(designDir: string, model: RnnModel): Promise<FpgaFigures> {
  const design = await readDesign(designDir);
  checkDesignMatchesModel(design, model);
  if (!existsSync(simResultPath(designDir))) {
    throw new UserError(
      `${simResultPath(designDir)}: no simulation result (simulate the design first)`,
    );
  }
  return fpgaFigures(design, await readSimResult(designDir), model);
}
