/**
 * `bench:delta --balance-data FILE`: the built delta design's cells balanced over its PEs on the
 * columns that fire on held-out sequences (rtl/cell_balance.ts): the model with every layer's
 * cells renumbered (model/permute.ts: the same function, the same fixed-point outputs bit for
 * bit), which the built design then holds (docs/delta.md, "Balancing the cells over the PEs").
 *
 * @module
 */

import { quantizeInputs } from "../model/fixed.ts";
import type { RnnModel } from "../model/model.ts";
import type { AcceleratorConfig } from "../rtl/config.ts";
import { balanceModelCells, type CellBalanceRecord } from "../rtl/cell_balance.ts";
import { deltaRunWithColumns } from "../rtl/delta_timing.ts";
import { generateFromModel } from "../rtl/mod.ts";
import { builtDeltaConfig, type BuiltDeltaOptions } from "./delta_built.ts";

/** The label of the balance's figures. */
export const CELL_BALANCE_LABEL = "computed: the busiest PE's lines a frame on the fitting " +
  "sequences' fired columns (encode/balance_cells.ts), before and after";

/** What the report says about the balance (design.json's record without the orders). */
export interface CellBalanceSummary {
  /** The file whose sequences were fitted on (held out from the test set). */
  data: string;
  /** Sequences fitted on, and their frames. */
  sequences: number;
  frames: number;
  /** Per layer (the last layer of a model without a projection is not balanced: null). */
  layers: (Omit<NonNullable<CellBalanceRecord["layers"][number]>, "order"> | null)[];
  /** The renumbered model's delta golden outputs equal the original's on a test sequence. */
  outputsEqual: boolean;
  label: string;
}

/**
 * The model with each layer's cells balanced for the built delta design on the fired columns of
 * `fit` (real-valued sequences), and a summary; `check` is a test sequence on which the
 * renumbered model's delta golden outputs (fixed point) are compared with the original's.
 */
export function balancedBuiltModel(
  model: RnnModel,
  settings: BuiltDeltaOptions & { accelerator: AcceleratorConfig },
  data: { path: string; fit: number[][][]; check: number[][] },
): { model: RnnModel; summary: CellBalanceSummary } {
  const config = builtDeltaConfig(settings.accelerator, settings);
  const { model: balanced, record } = balanceModelCells(model, config, {
    data: data.path,
    sequences: data.fit,
  });
  const outputsOf = (m: RnnModel) => {
    const built = generateFromModel(m, config).design;
    const inputs = quantizeInputs(data.check, built.quantized.format);
    return deltaRunWithColumns(built.quantized, inputs, built.delta!).run.outputs;
  };
  const before = outputsOf(model);
  const after = outputsOf(balanced);
  const outputsEqual = before.every((step, t) => step.every((value, i) => value === after[t][i]));
  return {
    model: balanced,
    summary: {
      ...record,
      layers: record.layers.map((layer) => {
        if (!layer) return null;
        const { order: _order, ...figures } = layer;
        return figures;
      }),
      outputsEqual,
      label: CELL_BALANCE_LABEL,
    },
  };
}
