/**
 * The float64 reference: an LSTM/GRU stack computed exactly as PyTorch's `nn.LSTM` / `nn.GRU`
 * define it (batch 1, zero initial state), plus ONNX-style peepholes for LSTM.
 *
 * @module
 */

import { type Matrix, outputSize, type RnnModel } from "./model.ts";

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** y = M v + b (b optional), in float64. */
function matVec(matrix: Matrix, vector: ArrayLike<number>, bias?: ArrayLike<number>): Float64Array {
  const { rows, cols, data } = matrix;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = bias ? bias[r] : 0;
    const base = r * cols;
    for (let k = 0; k < cols; k++) sum += data[base + k] * vector[k];
    out[r] = sum;
  }
  return out;
}

/** The GRU candidate's input term W_in x + b_in and recurrent term W_hn h + b_hn, side by side. */
function gruCandidateTerms(gx: Float64Array, gh: Float64Array, H: number): Float64Array {
  const terms = new Float64Array(2 * H);
  terms.set(gx.subarray(2 * H, 3 * H), 0);
  terms.set(gh.subarray(2 * H, 3 * H), H);
  return terms;
}

/** Options of `runFloat`. */
export interface FloatRunOptions {
  /**
   * The vectors the matrix-vector products of layer `layer` see, given its input x and its previous
   * output hPrev (default: x and hPrev themselves). The delta model (`model/delta_run.ts`) passes
   * the last-sent values here; the cells always use the real state.
   */
  matVecInputs?: (
    layer: number,
    x: ArrayLike<number>,
    hPrev: ArrayLike<number>,
  ) => { x: ArrayLike<number>; h: ArrayLike<number> };
  /**
   * The vector the projection `W_hr m` of layer `layer` sees, given m (default: m itself). The
   * delta model passes the last-sent m_hat here when theta_m delta-codes the projection input.
   */
  projectionInput?: (layer: number, m: Float64Array) => ArrayLike<number>;
  /**
   * Called with the values of layer `layer` that the fixed-point model holds in activation words:
   * the LSTM cell state (`cell`, every step), the layer output (`hidden`, after the projection
   * where there is one) and the GRU candidate's two pre-activation terms (`candidate`). Range
   * calibration (`model/calibrate.ts`) reads them; the run itself is unchanged.
   */
  observe?: (layer: number, quantity: ObservedQuantity, values: ArrayLike<number>) => void;
}

/** The quantities `FloatRunOptions.observe` reports. */
export type ObservedQuantity = "cell" | "hidden" | "candidate";

/**
 * Run the float reference over an input sequence (T x inputSize) and return the last layer's
 * output at every step (T x outputSize).
 *
 * LSTM (PyTorch, gate order i,f,g,o; peepholes as ONNX: i,f see c(t-1), o sees c(t)):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi + p_i c), f likewise, g = tanh(...),
 *   c' = f c + i g, o = σ(... + p_o c'), h' = o tanh(c'), projected: h' = W_hr (o tanh(c')).
 * GRU (PyTorch, gate order r,z,n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise,
 *   n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
 */
export function runFloat(
  model: RnnModel,
  inputs: number[][],
  options: FloatRunOptions = {},
): number[][] {
  const H = model.hiddenSize;
  const hidden: Float64Array[] = model.layers.map(() => new Float64Array(outputSize(model)));
  const cell = model.layers.map(() => new Float64Array(H));
  const outputs: number[][] = [];
  for (const x of inputs) {
    let layerInput: ArrayLike<number> = x;
    model.layers.forEach((w, l) => {
      const seen = options.matVecInputs?.(l, layerInput, hidden[l]) ??
        { x: layerInput, h: hidden[l] };
      const gx = matVec(w.weightIh, seen.x, w.biasIh);
      const gh = matVec(w.weightHh, seen.h, w.biasHh);
      if (model.kind === "lstm") {
        const c = cell[l];
        const m = new Float64Array(H);
        const p = w.peephole;
        for (let j = 0; j < H; j++) {
          const i = sigmoid(gx[j] + gh[j] + (p ? p[j] * c[j] : 0));
          const f = sigmoid(gx[H + j] + gh[H + j] + (p ? p[H + j] * c[j] : 0));
          const g = Math.tanh(gx[2 * H + j] + gh[2 * H + j]);
          c[j] = f * c[j] + i * g;
          const o = sigmoid(gx[3 * H + j] + gh[3 * H + j] + (p ? p[2 * H + j] * c[j] : 0));
          m[j] = o * Math.tanh(c[j]);
        }
        hidden[l] = w.weightHr ? matVec(w.weightHr, options.projectionInput?.(l, m) ?? m) : m;
        options.observe?.(l, "cell", c);
      } else {
        const hPrev = hidden[l];
        const h = new Float64Array(H);
        if (options.observe) options.observe(l, "candidate", gruCandidateTerms(gx, gh, H));
        for (let j = 0; j < H; j++) {
          const r = sigmoid(gx[j] + gh[j]);
          const z = sigmoid(gx[H + j] + gh[H + j]);
          const n = Math.tanh(gx[2 * H + j] + r * gh[2 * H + j]);
          h[j] = (1 - z) * n + z * hPrev[j];
        }
        hidden[l] = h;
      }
      options.observe?.(l, "hidden", hidden[l]);
      layerInput = hidden[l];
    });
    outputs.push(Array.from(layerInput));
  }
  return outputs;
}
