/**
 * The fixed-point golden model: the bit-accurate arithmetic of the generated hardware, exactly as
 * `docs/fixed-point.md` writes it down. Floats appear only in `quantizeModel` / `quantizeInputs`
 * (the edge) and in `toReal`; `runFixed` and everything it calls use integers only.
 *
 * @module
 */

import { accumulatorBitsFor } from "./accumulator.ts";
import { type Matrix, outputSize, type RnnKind, type RnnModel, weightArrays } from "./model.ts";

/** Parameters of one piecewise-linear activation table (see docs/fixed-point.md). */
export interface ActivationTableSpec {
  /** Segments are 2^-stepLog2 wide. */
  stepLog2: number;
  /** The table covers |x| in [0, 2^rangeLog2); beyond it the last entry is used. */
  rangeLog2: number;
}

/** The user-facing fixed-point configuration; `weightFrac` may be left out to be chosen. */
export interface FixedPointConfig {
  /** Width of weights, peepholes and projection weights. */
  weightBits: number;
  /** Fraction bits of weights; chosen from the model when absent. */
  weightFrac?: number;
  /** Width of inputs, states, gate values and biases. */
  activationBits: number;
  /** Fraction bits of all activation-format values. */
  activationFrac: number;
  /** Sigmoid table parameters. */
  sigmoid: ActivationTableSpec;
  /** Tanh table parameters. */
  tanh: ActivationTableSpec;
}

/** A fully resolved format: every field known, including the derived accumulator width. */
export interface FixedFormat extends Required<FixedPointConfig> {
  /** Accumulator width, derived from the quantized weights (accumulatorBitsFor). */
  accumulatorBits: number;
}

/** The defaults: 12-bit weights, Q16.12 activations, 1/16-wide segments over [0, 8). */
export const DEFAULT_FIXED_CONFIG: FixedPointConfig = {
  weightBits: 12,
  activationBits: 16,
  activationFrac: 12,
  sigmoid: { stepLog2: 4, rangeLog2: 3 },
  tanh: { stepLog2: 4, rangeLog2: 3 },
};

/** A dense integer matrix, row-major. */
export interface IntMatrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** Row-major integer values. */
  data: Int32Array;
}

/** One quantized layer, in the accumulator-row layout of docs/fixed-point.md. */
export interface QuantizedLayer {
  /** Quantized `weight_ih_lK`, (G*H) x inputs, PyTorch gate order. */
  weightIh: IntMatrix;
  /** Quantized `weight_hh_lK`, (G*H) x recurrent inputs, PyTorch gate order. */
  weightHh: IntMatrix;
  /** Quantized `weight_hr_lK` (P x H), LSTM with projection only. */
  weightHr?: IntMatrix;
  /** 4H accumulator-row biases in activation format: LSTM i,f,g,o; GRU r,z,xn,hn. */
  bias: Int32Array;
  /** 3H peepholes (i,f,o) in weight format, LSTM with peepholes only. */
  peephole?: Int32Array;
}

/** A model whose every number is an integer in a known format. */
export interface QuantizedModel {
  /** Cell type. */
  kind: RnnKind;
  /** Input size of layer 0. */
  inputSize: number;
  /** Cells per layer. */
  hiddenSize: number;
  /** Number of layers. */
  numLayers: number;
  /** Projection size, 0 for none. */
  projSize: number;
  /** The resolved number formats. */
  format: FixedFormat;
  /** Quantized layers. */
  layers: QuantizedLayer[];
  /** How many values saturated when quantizing (0 in a well-chosen format). */
  saturatedValues: number;
}

/** Clamp an integer to the signed range of `bits` bits. */
export function saturate(value: number, bits: number): number {
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  return value > max ? max : value < min ? min : value;
}

/** Round-half-up right shift: floor((value + 2^(shift-1)) / 2^shift); identity for shift 0. */
export function roundShift(value: number, shift: number): number {
  if (shift === 0) return value;
  return Math.floor((value + 2 ** (shift - 1)) / 2 ** shift);
}

/** Floor (arithmetic) right shift of an integer that may exceed 32 bits. */
export function floorShift(value: number, shift: number): number {
  return Math.floor(value / 2 ** shift);
}

/** Quantize a real number: sat_bits(floor(x * 2^frac + 0.5)). */
export function quantize(value: number, bits: number, frac: number): number {
  return saturate(Math.floor(value * 2 ** frac + 0.5), bits);
}

/** Whether quantize(value) had to saturate. */
function saturates(value: number, bits: number, frac: number): boolean {
  const raw = Math.floor(value * 2 ** frac + 0.5);
  return raw !== saturate(raw, bits);
}

/** Largest |w| over the weight matrices and peepholes of a model. */
function largestWeight(model: RnnModel): number {
  let largest = 0;
  for (const values of weightArrays(model)) {
    for (const v of values) largest = Math.max(largest, Math.abs(v));
  }
  return largest;
}

/** The largest weight fraction width for which the model's largest weight does not saturate. */
export function chooseWeightFrac(model: RnnModel, weightBits: number): number {
  const largest = largestWeight(model);
  for (let frac = weightBits - 1; frac > 0; frac--) {
    if (!saturates(largest, weightBits, frac) && !saturates(-largest, weightBits, frac)) {
      return frac;
    }
  }
  return 0;
}

/**
 * Widths the arithmetic supports (every product and sum stays exact in a float64); the fraction
 * widths are further bounded by their word widths (weightFrac <= weightBits - 1, activationFrac <=
 * activationBits - 1).
 */
export const FIXED_POINT_LIMITS = {
  weightBits: { min: 2, max: 24 },
  weightFrac: { min: 0, max: 23 },
  activationBits: { min: 2, max: 24 },
  activationFrac: { min: 1, max: 23 },
} as const;

/** Check a config's constraints; returns a list of problems (empty when valid). */
export function checkFixedConfig(config: FixedPointConfig): string[] {
  const problems: string[] = [];
  const { weightBits: wb, activationBits: ab, activationFrac: af } = config;
  const { weightBits: wbRange, activationBits: abRange } = FIXED_POINT_LIMITS;
  if (!(wb >= wbRange.min && wb <= wbRange.max)) {
    problems.push(`weightBits must be in ${wbRange.min}..${wbRange.max}, got ${wb}`);
  }
  if (config.weightFrac !== undefined && !(config.weightFrac >= 0 && config.weightFrac <= wb - 1)) {
    problems.push(`weightFrac must be in 0..weightBits-1 (${wb - 1}), got ${config.weightFrac}`);
  }
  if (!(ab >= abRange.min && ab <= abRange.max)) {
    problems.push(`activationBits must be in ${abRange.min}..${abRange.max}, got ${ab}`);
  }
  if (!(af >= 1 && af <= ab - 1)) {
    problems.push(`activationFrac must be in 1..activationBits-1 (${ab - 1}), got ${af}`);
  }
  for (const name of ["sigmoid", "tanh"] as const) {
    const { stepLog2, rangeLog2 } = config[name];
    if (!(stepLog2 >= 0 && stepLog2 <= af)) {
      problems.push(`${name}.stepLog2 must be in 0..activationFrac (${af}), got ${stepLog2}`);
    }
    if (!(rangeLog2 >= 0)) problems.push(`${name}.rangeLog2 must be >= 0, got ${rangeLog2}`);
    if (!(stepLog2 + rangeLog2 <= 12)) {
      problems.push(`${name}.stepLog2 + rangeLog2 must be <= 12, got ${stepLog2 + rangeLog2}`);
    }
  }
  return problems;
}

/**
 * Resolve a config for a model: choose weightFrac if absent and derive the accumulator width
 * from the quantized weights (quantizeModel's format).
 */
export function resolveFormat(
  model: RnnModel,
  config: FixedPointConfig = DEFAULT_FIXED_CONFIG,
): FixedFormat {
  return quantizeModel(model, config).format;
}

function quantizeMatrix(
  matrix: Matrix,
  bits: number,
  frac: number,
  counter: { saturated: number },
): IntMatrix {
  const data = new Int32Array(matrix.data.length);
  for (let i = 0; i < data.length; i++) {
    if (saturates(matrix.data[i], bits, frac)) counter.saturated++;
    data[i] = quantize(matrix.data[i], bits, frac);
  }
  return { rows: matrix.rows, cols: matrix.cols, data };
}

/** Sum the real biases into the 4H accumulator rows of docs/fixed-point.md (before quantization). */
export function accumulatorRowBiases(
  kind: RnnKind,
  hidden: number,
  biasIh: Float64Array,
  biasHh: Float64Array,
): Float64Array {
  const rows = new Float64Array(4 * hidden);
  if (kind === "lstm") {
    for (let r = 0; r < 4 * hidden; r++) rows[r] = biasIh[r] + biasHh[r];
  } else {
    for (let r = 0; r < 2 * hidden; r++) rows[r] = biasIh[r] + biasHh[r];
    for (let j = 0; j < hidden; j++) {
      rows[2 * hidden + j] = biasIh[2 * hidden + j];
      rows[3 * hidden + j] = biasHh[2 * hidden + j];
    }
  }
  return rows;
}

/** Quantize a float model into the resolved format (the edge: floats in, integers out). */
export function quantizeModel(
  model: RnnModel,
  config: FixedPointConfig = DEFAULT_FIXED_CONFIG,
): QuantizedModel {
  const problems = checkFixedConfig(config);
  if (problems.length > 0) throw new Error(`invalid fixed-point config: ${problems.join("; ")}`);
  const weightFrac = config.weightFrac ?? chooseWeightFrac(model, config.weightBits);
  // the accumulator width follows from the quantized weights (below)
  const format: FixedFormat = { ...config, weightFrac, accumulatorBits: 0 };
  const counter = { saturated: 0 };
  const { weightBits: wb, weightFrac: wf, activationBits: ab, activationFrac: af } = format;
  const layers = model.layers.map((w): QuantizedLayer => {
    const biasReal = accumulatorRowBiases(model.kind, model.hiddenSize, w.biasIh, w.biasHh);
    const bias = new Int32Array(biasReal.length);
    biasReal.forEach((b, i) => {
      if (saturates(b, ab, af)) counter.saturated++;
      bias[i] = quantize(b, ab, af);
    });
    let peephole: Int32Array | undefined;
    if (w.peephole) {
      peephole = new Int32Array(w.peephole.length);
      w.peephole.forEach((p, i) => {
        if (saturates(p, wb, wf)) counter.saturated++;
        peephole![i] = quantize(p, wb, wf);
      });
    }
    return {
      weightIh: quantizeMatrix(w.weightIh, wb, wf, counter),
      weightHh: quantizeMatrix(w.weightHh, wb, wf, counter),
      weightHr: w.weightHr ? quantizeMatrix(w.weightHr, wb, wf, counter) : undefined,
      bias,
      peephole,
    };
  });
  const quantized: QuantizedModel = {
    kind: model.kind,
    inputSize: model.inputSize,
    hiddenSize: model.hiddenSize,
    numLayers: model.numLayers,
    projSize: model.projSize,
    format,
    layers,
    saturatedValues: counter.saturated,
  };
  format.accumulatorBits = accumulatorBitsFor(quantized);
  if (format.accumulatorBits > 52) {
    throw new Error(
      `accumulator would need ${format.accumulatorBits} bits; the golden model supports at most 52`,
    );
  }
  return quantized;
}

/** Quantize an input sequence (T x inputSize reals) to activation format. */
export function quantizeInputs(inputs: number[][], format: FixedFormat): Int32Array[] {
  return inputs.map((step) =>
    Int32Array.from(step, (x) => quantize(x, format.activationBits, format.activationFrac))
  );
}

/** Show activation-format integers as real numbers. */
export function toReal(values: ArrayLike<number>, format: FixedFormat): number[] {
  return Array.from(values, (q) => q / 2 ** format.activationFrac);
}

/** Build an activation table: T[i] = quantize(fn(i / 2^S)) for i = 0..2^(R+S). */
export function activationTable(fn: "sigmoid" | "tanh", format: FixedFormat): Int32Array {
  const spec = format[fn];
  const entries = 2 ** (spec.rangeLog2 + spec.stepLog2) + 1;
  const table = new Int32Array(entries);
  for (let i = 0; i < entries; i++) {
    const x = i / 2 ** spec.stepLog2;
    const y = fn === "sigmoid" ? 1 / (1 + Math.exp(-x)) : Math.tanh(x);
    table[i] = quantize(y, format.activationBits, format.activationFrac);
  }
  return table;
}

/** Evaluate a table activation on an activation-format integer, as docs/fixed-point.md says. */
export function tableActivation(
  x: number,
  fn: "sigmoid" | "tanh",
  table: Int32Array,
  format: FixedFormat,
): number {
  const spec = format[fn];
  const af = format.activationFrac;
  const a = Math.abs(x);
  const last = table.length - 1;
  let y: number;
  if (a >= 2 ** (spec.rangeLog2 + af)) {
    y = table[last];
  } else {
    const d = af - spec.stepLog2;
    const i = floorShift(a, d);
    const t = a - i * 2 ** d;
    y = table[i] + floorShift((table[i + 1] - table[i]) * t, d);
  }
  if (x >= 0) return y;
  return fn === "sigmoid" ? 2 ** af - y : 0 - y;
}

/** The per-cell arithmetic of a format: table activations and requantization. */
export interface CellArithmetic {
  /** sigmoid by table and interpolation. */
  sigmoid: (x: number) => number;
  /** tanh by table and interpolation. */
  tanh: (x: number) => number;
  /** requant(a) = sat_AB(rshr(a, WF)) of an accumulator-scale value. */
  requant: (a: number) => number;
  /** The format. */
  format: FixedFormat;
}

/** The per-cell arithmetic of a format (builds its two activation tables). */
export function cellArithmetic(format: FixedFormat): CellArithmetic {
  const sigmoidTable = activationTable("sigmoid", format);
  const tanhTable = activationTable("tanh", format);
  return {
    sigmoid: (x) => tableActivation(x, "sigmoid", sigmoidTable, format),
    tanh: (x) => tableActivation(x, "tanh", tanhTable, format),
    requant: (a) => saturate(roundShift(a, format.weightFrac), format.activationBits),
    format,
  };
}

/**
 * One LSTM cell ("LSTM, per cell j" of docs/fixed-point.md): `acc` are the accumulators of rows
 * i, f, g, o with their biases (accumulator scale), `peephole` p_i, p_f, p_o (0 without), `cPrev`
 * is c(t-1). Returns c(t) and m = o * tanh(c(t)).
 */
export function lstmCell(
  arithmetic: CellArithmetic,
  acc: readonly number[],
  peephole: readonly number[],
  cPrev: number,
): { c: number; m: number } {
  const { sigmoid, tanh, requant, format } = arithmetic;
  const { activationBits: ab, activationFrac: af } = format;
  const i = sigmoid(requant(acc[0] + peephole[0] * cPrev));
  const f = sigmoid(requant(acc[1] + peephole[1] * cPrev));
  const g = tanh(requant(acc[2]));
  const c = saturate(roundShift(f * cPrev + i * g, af), ab);
  const o = sigmoid(requant(acc[3] + peephole[2] * c));
  return { c, m: saturate(roundShift(o * tanh(c), af), ab) };
}

/**
 * One GRU cell ("GRU, per cell j" of docs/fixed-point.md): `acc` are the accumulators of rows r,
 * z, xn, hn with their biases, `hPrev` is h(t-1). Returns h(t).
 */
export function gruCell(arithmetic: CellArithmetic, acc: readonly number[], hPrev: number): number {
  const { sigmoid, tanh, requant, format } = arithmetic;
  const { activationBits: ab, activationFrac: af } = format;
  const r = sigmoid(requant(acc[0]));
  const z = sigmoid(requant(acc[1]));
  const n = tanh(saturate(requant(acc[2]) + roundShift(r * requant(acc[3]), af), ab));
  return saturate(n + roundShift(z * (hPrev - n), af), ab);
}

/** Internal state of the golden model across steps: per layer, h and (LSTM) c. */
interface FixedState {
  hidden: Int32Array[];
  cell: Int32Array[];
}

/** One matrix-vector product into accumulators: acc[r] += sum_k M[r][k] * v[k] (exact). */
function accumulate(
  acc: Float64Array,
  rowOffset: number,
  matrix: IntMatrix,
  vector: Int32Array,
  colOffset = 0,
): void {
  const { rows, cols, data } = matrix;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    const base = r * cols;
    for (let k = 0; k < cols; k++) {
      const w = data[base + k];
      if (w !== 0) sum += w * vector[colOffset + k];
    }
    acc[rowOffset + r] += sum;
  }
}

/**
 * The 4H accumulators of one layer and step (docs/fixed-point.md, "Accumulator rows"): the biases
 * at accumulator scale plus the products with x (this layer's input) and hPrev, exact. GRU: W_ih
 * rows r,z,n and W_hh rows r,z,n go to accumulator rows r,z,xn and r,z,hn.
 */
export function denseAccumulators(
  model: Pick<QuantizedModel, "kind" | "hiddenSize" | "format">,
  layer: QuantizedLayer,
  x: Int32Array,
  hPrev: Int32Array,
): Float64Array {
  const H = model.hiddenSize;
  const acc = new Float64Array(4 * H);
  for (let r = 0; r < 4 * H; r++) acc[r] = layer.bias[r] * 2 ** model.format.weightFrac;
  accumulate(acc, 0, layer.weightIh, x);
  if (model.kind === "lstm") accumulate(acc, 0, layer.weightHh, hPrev);
  else accumulateGruRecurrent(acc, layer.weightHh, hPrev, H);
  return acc;
}

/** Options of `runFixed`. */
export interface FixedRunOptions {
  /**
   * The accumulators of layer `layer` at a step, given its input x and previous output hPrev
   * (default: `denseAccumulators`). The delta model (`model/delta_run.ts`) passes its memories.
   */
  accumulators?: (layer: number, x: Int32Array, hPrev: Int32Array) => Float64Array;
  /**
   * The P projection accumulators of layer `layer` given m (default: `W_hr m`, exact); the delta
   * model passes its projection memories when theta_m delta-codes m. requant follows either way.
   */
  projection?: (layer: number, m: Int32Array) => Float64Array;
}

/** Run the fixed-point golden model on a quantized input sequence; returns h_{L-1}(t) per step. */
export function runFixed(
  model: QuantizedModel,
  inputs: Int32Array[],
  options: FixedRunOptions = {},
): Int32Array[] {
  const arithmetic = cellArithmetic(model.format);
  const { requant } = arithmetic;
  const H = model.hiddenSize;
  const outSize = outputSize(model);
  const state: FixedState = {
    hidden: model.layers.map(() => new Int32Array(outSize)),
    cell: model.layers.map(() => new Int32Array(H)),
  };
  const outputs: Int32Array[] = [];
  for (const x of inputs) {
    let layerInput = x;
    model.layers.forEach((layer, l) => {
      const hPrev = state.hidden[l];
      const acc = options.accumulators?.(l, layerInput, hPrev) ??
        denseAccumulators(model, layer, layerInput, hPrev);
      const h = new Int32Array(outSize);
      if (model.kind === "lstm") {
        const cPrev = state.cell[l];
        const c = new Int32Array(H);
        const m = new Int32Array(H);
        const p = layer.peephole;
        for (let j = 0; j < H; j++) {
          const gates = [acc[j], acc[H + j], acc[2 * H + j], acc[3 * H + j]];
          const peephole = p ? [p[j], p[H + j], p[2 * H + j]] : [0, 0, 0];
          ({ c: c[j], m: m[j] } = lstmCell(arithmetic, gates, peephole, cPrev[j]));
        }
        state.cell[l] = c;
        if (layer.weightHr) {
          let projAcc = options.projection?.(l, m);
          if (!projAcc) {
            projAcc = new Float64Array(model.projSize);
            accumulate(projAcc, 0, layer.weightHr, m);
          }
          for (let q = 0; q < model.projSize; q++) h[q] = requant(projAcc[q]);
        } else {
          h.set(m);
        }
      } else {
        for (let j = 0; j < H; j++) {
          const gates = [acc[j], acc[H + j], acc[2 * H + j], acc[3 * H + j]];
          h[j] = gruCell(arithmetic, gates, hPrev[j]);
        }
      }
      state.hidden[l] = h;
      layerInput = h;
    });
    outputs.push(layerInput);
  }
  return outputs;
}

/** GRU recurrent product: rows r,z of W_hh go to accumulator rows r,z; rows n go to row hn. */
function accumulateGruRecurrent(
  acc: Float64Array,
  weightHh: IntMatrix,
  hPrev: Int32Array,
  H: number,
): void {
  const { cols, data } = weightHh;
  for (let r = 0; r < 3 * H; r++) {
    let sum = 0;
    for (let k = 0; k < cols; k++) {
      const w = data[r * cols + k];
      if (w !== 0) sum += w * hPrev[k];
    }
    acc[r < 2 * H ? r : r + H] += sum;
  }
}
