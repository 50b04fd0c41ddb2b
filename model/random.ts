/**
 * Deterministic randomness for example models, calibration sequences and tests. The generator is
 * mulberry32 (32-bit state): the same seed gives the same numbers on every machine.
 *
 * @module
 */

import {
  gateCount,
  layerInputSize,
  type Matrix,
  outputSize,
  type RnnKind,
  type RnnModel,
} from "./model.ts";

/** A uniform [0, 1) generator seeded with a 32-bit integer (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from a uniform generator (Box-Muller). */
export function normalFrom(random: () => number): number {
  const u = Math.max(random(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Options of `randomModel`. */
export interface RandomModelOptions {
  /** Cell type. */
  kind: RnnKind;
  /** Input size of layer 0. */
  inputSize: number;
  /** Cells per layer. */
  hiddenSize: number;
  /** Number of layers. */
  numLayers: number;
  /** LSTM projection size (0 or absent: none). A GRU has no projection: ignored for `gru`. */
  projSize?: number;
  /** LSTM peepholes (drawn like the weights). */
  peepholes?: boolean;
  /** Seed of the generator. */
  seed: number;
  /** Weight scale; default 1/sqrt(H) as PyTorch's initialisation U(-k, k). */
  scale?: number;
}

/**
 * A model drawn like PyTorch initialises `nn.LSTM`/`nn.GRU`: every weight and bias uniform in
 * (-k, k) with k = 1/sqrt(hiddenSize), in a fixed order (layer by layer: weight_ih, weight_hh,
 * bias_ih, bias_hh, weight_hr, peephole), values rounded to float32 so that files round-trip.
 */
export function randomModel(options: RandomModelOptions): RnnModel {
  const random = seededRandom(options.seed);
  const { kind, inputSize, hiddenSize, numLayers } = options;
  const projSize = kind === "lstm" ? options.projSize ?? 0 : 0;
  const scale = options.scale ?? 1 / Math.sqrt(hiddenSize);
  const draw = () => Math.fround((2 * random() - 1) * scale);
  const vector = (length: number) => Float64Array.from({ length }, draw);
  const matrix = (rows: number, cols: number): Matrix => ({
    rows,
    cols,
    data: vector(rows * cols),
  });
  const shape = { inputSize, hiddenSize, projSize };
  const gates = gateCount(kind) * hiddenSize;
  const layers = Array.from({ length: numLayers }, (_, layer) => {
    const weightIh = matrix(gates, layerInputSize(shape, layer));
    const weightHh = matrix(gates, outputSize(shape));
    const biasIh = vector(gates);
    const biasHh = vector(gates);
    const weightHr = projSize > 0 ? matrix(projSize, hiddenSize) : undefined;
    const peephole = kind === "lstm" && options.peepholes ? vector(3 * hiddenSize) : undefined;
    return { weightIh, weightHh, biasIh, biasHh, weightHr, peephole };
  });
  return {
    kind,
    inputSize,
    hiddenSize,
    numLayers,
    projSize,
    layers,
  };
}

/** A T x size input sequence of standard normal values rounded to float32, from a seed. */
export function randomInputs(steps: number, size: number, seed: number): number[][] {
  const random = seededRandom(seed ^ 0x5bd1e995);
  return Array.from(
    { length: steps },
    () => Array.from({ length: size }, () => Math.fround(normalFrom(random))),
  );
}
