/**
 * The delta models of docs/delta.md: the float64 reference (`runFloatDelta`, memories through their
 * invariant b + W v_hat) and the fixed-point golden model (`runFixedDelta`, integer memories that
 * accumulate W * delta column by column, as the hardware will). Both report the fired count of
 * every step and layer. With theta_m (an LSTM with projection) the projection input m is
 * delta-coded too: `h = W_hr m_hat`, through P projection memories in fixed point.
 *
 * @module
 */

import { runFloat } from "./float.ts";
import {
  DEFAULT_FIXED_CONFIG,
  type FixedPointConfig,
  type IntMatrix,
  type QuantizedModel,
  quantizeInputs,
  quantizeModel,
  runFixed,
  toReal,
} from "./fixed.ts";
import {
  type DeltaConfig,
  type DeltaStats,
  type DeltaThresholds,
  emptyStats,
  fixedThresholds,
  realThresholds,
} from "./delta.ts";
import type { RunMode } from "./evaluate.ts";
import { layerInputSize, outputSize, type RnnModel } from "./model.ts";
import { mapYielding } from "../util/event_loop.ts";

/** What a delta run returns: the outputs, the fired counts and the final encoder state. */
export interface DeltaRun<V> {
  /** h_{L-1}(t) per step. */
  outputs: V[];
  /** Fired counts per step and layer. */
  stats: DeltaStats;
  /** Last-sent inputs of every layer after the last step. */
  xHat: V[];
  /** Last-sent recurrent inputs of every layer after the last step. */
  hHat: V[];
  /** Last-sent projection inputs m of every layer after the last step (empty without theta_m). */
  mHat: V[];
}

/** Fixed-point delta run: also the memories M (4H per layer, accumulator scale) at the end. */
export interface FixedDeltaRun extends DeltaRun<Int32Array> {
  /** Pre-activation memories of every layer after the last step. */
  memories: Float64Array[];
  /** Projection memories M_r (P per layer, accumulator scale; empty without theta_m). */
  projectionMemories: Float64Array[];
}

/**
 * The delta encoder of docs/delta.md: encode `values` against the last-sent values `sent` with
 * threshold `theta`; where |v - v_hat| > theta, call `fire(k, delta)` and set v_hat = v, elsewhere
 * leave v_hat alone. Returns the number of fired columns.
 */
export function encodeDeltas<V extends Float64Array | Int32Array>(
  values: ArrayLike<number>,
  sent: V,
  theta: number,
  fire?: (column: number, delta: number) => void,
): number {
  let fired = 0;
  for (let k = 0; k < sent.length; k++) {
    const delta = values[k] - sent[k];
    if (Math.abs(delta) > theta) {
      sent[k] = values[k];
      fire?.(k, delta);
      fired++;
    }
  }
  return fired;
}

/** Records the fired counts of one layer at one step (layers run in order, 0 starts a step). */
function record(stats: DeltaStats, layer: number, firedX: number, firedH: number): void {
  if (layer === 0) {
    stats.firedX.push([]);
    stats.firedH.push([]);
    stats.firedM.push([]);
  }
  stats.firedX[stats.firedX.length - 1].push(firedX);
  stats.firedH[stats.firedH.length - 1].push(firedH);
  stats.firedM[stats.firedM.length - 1].push(0);
}

/** Records the fired projection input columns of a layer at the current step. */
function recordM(stats: DeltaStats, layer: number, firedM: number): void {
  stats.firedM[stats.firedM.length - 1][layer] = firedM;
}

/** Whether theta_m delta-codes the projection input of this model. */
function codesM(model: { projSize: number; kind: string }, thresholds: DeltaThresholds): boolean {
  return thresholds.thetaM !== undefined && model.kind === "lstm" && model.projSize > 0;
}

/**
 * The float64 delta reference: thresholds in real units. The matrix-vector products see x_hat and
 * h_hat (`b + W v_hat`, the memories' invariant) and, with theta_m, the projection sees m_hat
 * (`W_hr m_hat`); with zero thresholds the outputs are those of `runFloat`, bit for bit.
 */
export function runFloatDelta(
  model: RnnModel,
  inputs: number[][],
  thresholds: DeltaThresholds,
): DeltaRun<Float64Array> {
  const codedM = codesM(model, thresholds);
  const stats = emptyStats(model, codedM);
  const layers = model.layers.map((_, l) => l);
  const xHat = layers.map((l) => new Float64Array(layerInputSize(model, l)));
  const hHat = layers.map(() => new Float64Array(outputSize(model)));
  const mHat = codedM ? layers.map(() => new Float64Array(model.hiddenSize)) : [];
  const outputs = runFloat(model, inputs, {
    matVecInputs: (l, x, hPrev) => {
      const firedX = encodeDeltas(x, xHat[l], thresholds.thetaX[l]);
      const firedH = encodeDeltas(hPrev, hHat[l], thresholds.thetaH[l]);
      record(stats, l, firedX, firedH);
      return { x: xHat[l], h: hHat[l] };
    },
    projectionInput: codedM
      ? (l, m) => {
        recordM(stats, l, encodeDeltas(m, mHat[l], thresholds.thetaM![l]));
        return mHat[l];
      }
      : undefined,
  });
  return { outputs: outputs.map((step) => Float64Array.from(step)), stats, xHat, hHat, mHat };
}

/** memory[route(r)] += W[r][column] * delta for every non-zero weight of the column (exact). */
function addColumn(
  memory: Float64Array,
  matrix: IntMatrix,
  column: number,
  delta: number,
  route: (row: number) => number,
): void {
  const { rows, cols, data } = matrix;
  for (let r = 0; r < rows; r++) {
    const w = data[r * cols + column];
    if (w !== 0) memory[route(r)] += w * delta;
  }
}

/** One entry of a layer's delta queue: what the encoder emits when a column fires. */
export interface FiredColumn {
  /** Time step (0-based). */
  step: number;
  /** Layer. */
  layer: number;
  /**
   * "x": an input column of the layer (W_ih); "h": a recurrent column (W_hh); "m": a projection
   * input column (W_hr, with theta_m).
   */
  part: "x" | "h" | "m";
  /** Column index within the part. */
  column: number;
  /** The integer delta v - v_hat (AB + 1 bits, docs/delta.md). */
  delta: number;
}

/**
 * The fixed-point delta golden model: thresholds in activation LSBs. Every layer keeps x_hat,
 * h_hat and 4H integer memories (starting at bias << WF) that accumulate W * delta over the fired
 * columns; the cells read the memories where the dense model reads its accumulators. With zero
 * thresholds the outputs are those of `runFixed`, bit for bit. With theta_m every LSTMP layer also
 * keeps m_hat and P projection memories M_r (starting at 0: no projection bias) that accumulate
 * W_hr * delta over the fired m columns; h = requant(M_r), so theta_m = 0 is the dense projection
 * bit for bit. `onFire` sees every fired column in the order the encoder emits them (per step and
 * layer: the x part in column order, then the h part, then, after the cells, the m part), e.g.
 * for a cycle model or a test bench that checks a delta queue.
 */
export function runFixedDelta(
  model: QuantizedModel,
  inputs: Int32Array[],
  thresholds: DeltaThresholds,
  options: {
    onFire?: (fired: FiredColumn) => void;
    /** Sees every layer's column vector [x ; h(t-1)] before it is encoded (e.g. an encoder bench). */
    onColumns?: (step: number, layer: number, x: Int32Array, hPrev: Int32Array) => void;
    /** With theta_m: sees every layer's projection input m before it is encoded. */
    onProjection?: (step: number, layer: number, m: Int32Array) => void;
  } = {},
): FixedDeltaRun {
  const H = model.hiddenSize;
  const codedM = codesM(model, thresholds);
  const stats = emptyStats(model, codedM);
  const layers = model.layers.map((_, l) => l);
  const xHat = layers.map((l) => new Int32Array(layerInputSize(model, l)));
  const hHat = layers.map(() => new Int32Array(outputSize(model)));
  const mHat = codedM ? layers.map(() => new Int32Array(H)) : [];
  const projectionMemories = codedM ? layers.map(() => new Float64Array(model.projSize)) : [];
  const memories = model.layers.map((layer) =>
    Float64Array.from(layer.bias, (b) => b * 2 ** model.format.weightFrac)
  );
  const same = (row: number) => row;
  // GRU: recurrent rows r, z keep their place; rows n go to the separate memory hn (rows 3H..4H).
  const recurrent = model.kind === "lstm" ? same : (row: number) => row < 2 * H ? row : row + H;
  const { onFire, onColumns, onProjection } = options;
  const outputs = runFixed(model, inputs, {
    accumulators: (l, x, hPrev) => {
      const { weightIh, weightHh } = model.layers[l];
      const memory = memories[l];
      const step = l === 0 ? stats.firedX.length : stats.firedX.length - 1;
      onColumns?.(step, l, x, hPrev);
      const firedX = encodeDeltas(x, xHat[l], thresholds.thetaX[l], (column, delta) => {
        addColumn(memory, weightIh, column, delta, same);
        onFire?.({ step, layer: l, part: "x", column, delta });
      });
      const firedH = encodeDeltas(hPrev, hHat[l], thresholds.thetaH[l], (column, delta) => {
        addColumn(memory, weightHh, column, delta, recurrent);
        onFire?.({ step, layer: l, part: "h", column, delta });
      });
      record(stats, l, firedX, firedH);
      return memory.slice();
    },
    projection: codedM
      ? (l, m) => {
        const memory = projectionMemories[l];
        const step = stats.firedX.length - 1;
        const weightHr = model.layers[l].weightHr!;
        onProjection?.(step, l, m);
        const firedM = encodeDeltas(m, mHat[l], thresholds.thetaM![l], (column, delta) => {
          addColumn(memory, weightHr, column, delta, same);
          onFire?.({ step, layer: l, part: "m", column, delta });
        });
        recordM(stats, l, firedM);
        return memory.slice();
      }
      : undefined,
  });
  return { outputs, stats, xHat, hHat, mHat, memories, projectionMemories };
}

/** Options of `runSequencesDelta`. */
export interface DeltaSequencesOptions {
  /** float64 reference or the fixed-point golden model. */
  mode: RunMode;
  /** The `delta` field of the config. */
  delta: DeltaConfig;
  /** Fixed-point formats (their activationFrac converts threshold units). */
  config?: FixedPointConfig;
  /** Where the delta config came from, for messages. */
  source: string;
}

/** Outputs (real values) and fired counts of a delta run over many sequences. */
export interface DeltaSequencesRun {
  /** `outputs[n]`: T_n steps of the last layer's output of sequence n. */
  outputs: number[][][];
  /** Fired counts of every sequence. */
  stats: DeltaStats[];
  /** Weight/bias values saturated by quantization (fixed mode; 0 in float mode). */
  saturatedValues: number;
}

/**
 * Run a delta model over every sequence, each from a zero state (and zero x_hat, h_hat);
 * asynchronous only to let the event loop in between sequences (util/event_loop.ts).
 */
export async function runSequencesDelta(
  model: RnnModel,
  sequences: number[][][],
  options: DeltaSequencesOptions,
): Promise<DeltaSequencesRun> {
  const config = options.config ?? DEFAULT_FIXED_CONFIG;
  const units = {
    numLayers: model.numLayers,
    activationFrac: config.activationFrac,
    source: options.source,
    projection: model.kind === "lstm" && model.projSize > 0,
  };
  if (options.mode === "float") {
    const thresholds = realThresholds(options.delta, units);
    const runs = await mapYielding(
      sequences,
      (sequence) => runFloatDelta(model, sequence, thresholds),
    );
    return {
      outputs: runs.map((run) => run.outputs.map((step) => Array.from(step))),
      stats: runs.map((run) => run.stats),
      saturatedValues: 0,
    };
  }
  const thresholds = fixedThresholds(options.delta, units);
  const quantized = quantizeModel(model, config);
  const runs = await mapYielding(
    sequences,
    (sequence) => runFixedDelta(quantized, quantizeInputs(sequence, quantized.format), thresholds),
  );
  return {
    outputs: runs.map((run) => run.outputs.map((step) => toReal(step, quantized.format))),
    stats: runs.map((run) => run.stats),
    saturatedValues: quantized.saturatedValues,
  };
}
