/**
 * `gen --balance-data` (and `bench:delta --balance-data`): a delta design's cells balanced over
 * its PEs on the columns that fire on sample sequences (docs/delta.md, "Balancing the cells over
 * the PEs"). The design is generated once to learn what fires (its fixed-point delta golden
 * model), every layer whose cells may be renumbered is balanced (encode/balance_cells.ts), and
 * the model comes back renumbered (model/permute.ts: the same function) with the record that
 * design.json keeps.
 *
 * @module
 */

import { balanceCells } from "../encode/balance_cells.ts";
import { quantizeInputs } from "../model/fixed.ts";
import { layerInputSize, type RnnModel } from "../model/model.ts";
import { cellsPermutable, permuteCells } from "../model/permute.ts";
import { UserError } from "../util/errors.ts";
import type { AcceleratorConfig } from "./config.ts";
import { firedColumnsOf } from "./delta_timing.ts";
import type { DesignJson } from "./design_schema.ts";
import { generateFromModel } from "./mod.ts";

/** What design.json records of a balance. */
export type CellBalanceRecord = NonNullable<DesignJson["cellBalance"]>;

/**
 * The model with every renumberable layer's cells balanced for the delta design of `config` on
 * the fired columns of `fit.sequences` (real-valued inputs; held out from any test set), and the
 * record of it. A design without delta is refused (what fires decides the balance).
 */
export function balanceModelCells(
  model: RnnModel,
  config: AcceleratorConfig,
  fit: { data: string; sequences: number[][][] },
): { model: RnnModel; record: CellBalanceRecord } {
  if (!config.delta || config.format !== "ese") {
    throw new UserError(
      "cell balance: expected a delta design (format ese with delta thresholds): the columns " +
        "that fire decide it",
    );
  }
  const design = generateFromModel(model, config).design;
  const fired = fit.sequences.flatMap((sequence) =>
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
    const balance = balanceCells(model, layer, { pes: config.pes, lanes: config.lanes }, frames);
    balanced = permuteCells(balanced, layer, balance.order);
    return { ...balance, order: Array.from(balance.order) };
  });
  return {
    model: balanced,
    record: { data: fit.data, sequences: fit.sequences.length, frames: fired.length, layers },
  };
}

/**
 * One line per layer, for progress output (the record, with or without the orders): a balanced
 * layer's figures, or why a layer was left as it is (its cells are the model's outputs).
 */
export function describeCellBalance(
  record: Pick<CellBalanceRecord, "data" | "sequences" | "frames"> & {
    layers: (
      | { busiestBefore: number; busiestAfter: number; meanPe: number; movedGroups: number }
      | null
    )[];
  },
): string[] {
  return record.layers.flatMap((figures, layer) =>
    figures
      ? [
        `cell balance, layer ${layer}: the busiest PE's lines a frame ` +
        `${figures.busiestBefore.toFixed(1)} -> ${figures.busiestAfter.toFixed(1)} (mean PE ` +
        `${figures.meanPe.toFixed(1)}; ${figures.movedGroups} line groups moved; computed on ` +
        `${record.frames} frames of ${record.sequences} sequences of ${record.data})`,
      ]
      : [
        `cell balance, layer ${layer}: left as it is (its cells are the model's outputs: the ` +
        `last layer, without a projection, cannot be renumbered)`,
      ]
  );
}
