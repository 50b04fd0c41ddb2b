/**
 * Range calibration of the activation format: run the float model on calibration sequences,
 * record the largest magnitude of every quantity the fixed-point model keeps in an activation word
 * (docs/fixed-point.md), and choose the fraction width `activationFrac` so that none of them
 * saturates. The default Q16.12 covers [-8, 8): a trained LSTM's cell state easily leaves it
 * (|c| > 100 on the speech example), and every step after that computes on a clipped state.
 *
 * Gate pre-activations are not tracked: they feed the sigmoid/tanh tables, which are flat beyond
 * 2^rangeLog2, so clipping them changes nothing as long as the clip is outside the table.
 *
 * @module
 */

import { accumulatorRowBiases, type FixedPointConfig } from "./fixed.ts";
import { runFloat } from "./float.ts";
import type { RnnModel } from "./model.ts";
import { yieldIfDue } from "../util/event_loop.ts";

/** The largest magnitude (float) of each quantity held in activation words. */
export interface ActivationRanges {
  /** Layer-0 inputs x(t). */
  input: number;
  /** Accumulator-row biases (summed where two biases meet one row). */
  bias: number;
  /** LSTM cell states c(t) (0 for a GRU). */
  cell: number;
  /** Layer outputs h(t), after the projection where there is one. */
  hidden: number;
  /** GRU candidate terms W_in x + b_in and W_hn h + b_hn (0 for an LSTM). */
  candidate: number;
}

/** The quantities of `ActivationRanges`, in the order reports list them. */
export const RANGE_QUANTITIES = ["input", "bias", "cell", "hidden", "candidate"] as const;

function maxAbs(values: ArrayLike<number>, start = 0): number {
  let largest = start;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  return largest;
}

/**
 * Measure `ActivationRanges` of `model` over `sequences` (each T x inputSize) with the float model
 * (asynchronous only to let an interrupt in between sequences: util/event_loop.ts).
 */
export async function activationRanges(
  model: RnnModel,
  sequences: number[][][],
): Promise<ActivationRanges> {
  const ranges: ActivationRanges = { input: 0, bias: 0, cell: 0, hidden: 0, candidate: 0 };
  for (const layer of model.layers) {
    const rows = accumulatorRowBiases(model.kind, model.hiddenSize, layer.biasIh, layer.biasHh);
    ranges.bias = maxAbs(rows, ranges.bias);
  }
  for (const sequence of sequences) {
    await yieldIfDue();
    for (const step of sequence) ranges.input = maxAbs(step, ranges.input);
    runFloat(model, sequence, {
      observe: (_layer, quantity, values) => {
        ranges[quantity] = maxAbs(values, ranges[quantity]);
      },
    });
  }
  return ranges;
}

/** Options of `chooseActivationFrac`. */
export interface ActivationFracOptions {
  /** Width of activation words (kept; only the fraction width is chosen). */
  activationBits: number;
  /** The smallest fraction width allowed: the activation tables' step (`stepLog2`) needs it. */
  minimumFrac: number;
  /**
   * Margin over the calibration data's largest value (1.25: a test value 25% beyond anything the
   * calibration data showed still fits).
   */
  headroom: number;
}

/** What `chooseActivationFrac` chose, with the evidence. */
export interface ActivationFracChoice {
  /** The chosen fraction width. */
  activationFrac: number;
  /** Whether every range, times the headroom, fits at that width (false: more bits are needed). */
  fits: boolean;
  /** The quantity with the largest range, and that range. */
  largest: { quantity: keyof ActivationRanges; value: number };
  /** The largest representable magnitude at the chosen width: 2^(AB-1-AF) - 2^-AF. */
  representable: number;
  /**
   * The narrowest activation width that would keep today's fraction width `activationFrac` and
   * still fit (the alternative to giving up resolution).
   */
  bitsForFrac: (activationFrac: number) => number;
}

function largestRange(
  ranges: ActivationRanges,
): { quantity: keyof ActivationRanges; value: number } {
  let best: { quantity: keyof ActivationRanges; value: number } = { quantity: "input", value: 0 };
  for (const quantity of RANGE_QUANTITIES) {
    if (ranges[quantity] > best.value) best = { quantity, value: ranges[quantity] };
  }
  return best;
}

function largestValue(bits: number, frac: number): number {
  return 2 ** (bits - 1 - frac) - 2 ** -frac;
}

/**
 * The largest fraction width AF (at most AB - 1, at least `minimumFrac`) at which every measured
 * range times `headroom` is representable in QAB.AF. Where even `minimumFrac` is too fine, it is
 * returned with `fits: false`.
 */
export function chooseActivationFrac(
  ranges: ActivationRanges,
  options: ActivationFracOptions,
): ActivationFracChoice {
  const { activationBits, minimumFrac, headroom } = options;
  const largest = largestRange(ranges);
  const needed = largest.value * headroom;
  let activationFrac = minimumFrac;
  for (let frac = activationBits - 1; frac >= minimumFrac; frac--) {
    if (largestValue(activationBits, frac) >= needed) {
      activationFrac = frac;
      break;
    }
  }
  const representable = largestValue(activationBits, activationFrac);
  const bitsForFrac = (frac: number) => {
    let bits = frac + 1;
    while (largestValue(bits, frac) < needed) bits++;
    return bits;
  };
  return { activationFrac, fits: representable >= needed, largest, representable, bitsForFrac };
}

/** The smallest fraction width a configuration's activation tables allow. */
export function minimumActivationFrac(config: FixedPointConfig): number {
  return Math.max(1, config.sigmoid.stepLog2, config.tanh.stepLog2);
}
