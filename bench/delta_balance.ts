/**
 * `bench:delta --balance-data FILE`: the built delta design's cells balanced over its PEs on the
 * columns that fire on held-out sequences (encode/balance_cells.ts): the model with every layer's
 * cells renumbered (model/permute.ts: the same function, the same fixed-point outputs bit for
 * bit), which the built design then holds (docs/delta.md, "Balancing the cells over the PEs").
 *
 * @module
 */

import { balanceCells, type CellBalance } from "../encode/balance_cells.ts";
import type { DeltaConfig } from "../model/delta.ts";
import { quantizeInputs } from "../model/fixed.ts";
import { layerInputSize, type RnnModel } from "../model/model.ts";
import { cellsPermutable, permuteCells } from "../model/permute.ts";
import type { AcceleratorConfig } from "../rtl/config.ts";
import { deltaRunWithColumns, firedColumnsOf } from "../rtl/delta_timing.ts";
import { builtDesigns } from "./delta_built.ts";

/** The label of the balance's figures. */
export const CELL_BALANCE_LABEL = "computed: the busiest PE's lines a frame on the fitting " +
  "sequences' fired columns (encode/balance_cells.ts), before and after";

/** What the report says about the balance. */
export interface CellBalanceSummary {
  /** The file whose sequences were fitted on (held out from the test set). */
  data: string;
  /** Sequences fitted on, and their frames. */
  sequences: number;
  frames: number;
  /** Per layer (the last layer of a model without a projection is not balanced: null). */
  layers: (Omit<CellBalance, "order"> | null)[];
  /** The renumbered model's delta golden outputs (fixed point) equal the original's on a test sequence. */
  outputsEqual: boolean;
  label: string;
}

/** The built design's settings (as `builtDesigns` takes them). */
export interface BuiltSettings {
  accelerator: AcceleratorConfig;
  delta: DeltaConfig;
  broadcast: number;
  lanes: number;
  inWords?: number;
}

/**
 * The model with each layer's cells balanced for the built design on the fired columns of
 * `fit` (real-valued sequences), and a summary; `check` is a test sequence on which the
 * renumbered model's fixed-point outputs are compared with the original's.
 */
export function balancedBuiltModel(
  model: RnnModel,
  settings: BuiltSettings,
  data: { path: string; fit: number[][][]; check: number[][] },
): { model: RnnModel; summary: CellBalanceSummary } {
  const design = builtDesigns(model, settings.accelerator, settings).delta;
  const fired = data.fit.flatMap((sequence) =>
    firedColumnsOf(
      design.quantized,
      quantizeInputs(sequence, design.quantized.format),
      design.delta!,
    )
  );
  let balanced = model;
  const layers = model.layers.map((weights, layer) => {
    if (!cellsPermutable(model, layer)) return null;
    const gateColumns = layerInputSize(model, layer) + weights.weightHh.cols;
    const frames = fired.map((step) => [...step[layer]].filter((column) => column < gateColumns));
    const { order, ...figures } = balanceCells(
      model,
      layer,
      { pes: settings.accelerator.pes, lanes: settings.lanes },
      frames,
    );
    balanced = permuteCells(balanced, layer, order);
    return figures;
  });
  const outputsOf = (m: RnnModel) => {
    const built = builtDesigns(m, settings.accelerator, settings).delta;
    const inputs = quantizeInputs(data.check, built.quantized.format);
    return deltaRunWithColumns(built.quantized, inputs, built.delta!).run.outputs;
  };
  const before = outputsOf(model);
  const after = outputsOf(balanced);
  const outputsEqual = before.every((step, t) => step.every((value, i) => value === after[t][i]));
  return {
    model: balanced,
    summary: {
      data: data.path,
      sequences: data.fit.length,
      frames: fired.length,
      layers,
      outputsEqual,
      label: CELL_BALANCE_LABEL,
    },
  };
}
