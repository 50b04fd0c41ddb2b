/**
 * Run ONNX models with ONNX Runtime (`onnxruntime-node`, CPU execution provider) under Deno.
 * The npm package ships its native addon and `libonnxruntime.so` for linux x64/arm64, so no
 * install script has to run. Used by the ONNX tests and by the CPU comparison bench.
 *
 * Models are expected to have one float32 input [T, 1, I] and a float32 output whose size is
 * a multiple of T (e.g. [T, 1, O] as `exportOnnx` writes, or [T, 1, 1, O] of a raw LSTM node).
 *
 * @module
 */

import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { UserError } from "../../util/errors.ts";

/**
 * ONNX Runtime's bundled telemetry library (Microsoft 1DS, "MAT") creates an empty debug log
 * `$TMPDIR/mat-debug-<pid>.log` when the first session of a process starts, and never writes
 * to it; every process that used ONNX Runtime left one behind. rnnfab removes it (when it did
 * not exist before this module was loaded, and is still empty) after each session it opens and
 * when the process ends (a session opened through `ort` directly included).
 */
function ortDebugLog(): string {
  return join(Deno.env.get("TMPDIR") || "/tmp", `mat-debug-${Deno.pid}.log`);
}

function sizeOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Whether the debug log existed before any session of this process (then it is not ours). */
const debugLogBefore = sizeOf(ortDebugLog()) !== undefined;
globalThis.addEventListener("unload", () => removeOrtDebugLog());

/** Remove the telemetry debug log ONNX Runtime created, if it is empty. */
function removeOrtDebugLog(): void {
  const path = ortDebugLog();
  if (debugLogBefore === false && sizeOf(path) === 0) {
    try {
      Deno.removeSync(path);
    } catch {
      // gone already
    }
  }
}

/** Options of `openOnnxSession`. */
export interface OnnxSessionOptions {
  /** Threads ONNX Runtime may use inside one operator (default: ONNX Runtime's choice). */
  intraOpThreads?: number;
  /** Graph optimization level (default "all"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /** Name of the model (file) for error messages (default "ONNX model"). */
  source?: string;
}

/** An open ONNX Runtime session for a sequence model. */
export interface OnnxSequenceSession {
  /** Name of the input fed with the sequence. */
  inputName: string;
  /** Name of the output read back (the first graph output). */
  outputName: string;
  /** Run on a T x I sequence; returns T rows of outputs (float32 values as numbers). */
  run(inputs: number[][]): Promise<number[][]>;
  /** Run on a prepared float32 [T, 1, I] tensor; returns the raw output values (for timing). */
  runFlat(flatInputs: Float32Array, steps: number): Promise<Float32Array>;
  /** Free the native session. */
  release(): Promise<void>;
}

/** Open an ONNX Runtime session on ONNX bytes; errors in the model are UserErrors. */
export async function openOnnxSession(
  bytes: Uint8Array,
  options: OnnxSessionOptions = {},
): Promise<OnnxSequenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ["cpu"],
    graphOptimizationLevel: options.optimization ?? "all",
    logSeverityLevel: 3, // errors only: no shape-merge warnings on stderr
  };
  if (options.intraOpThreads !== undefined) {
    sessionOptions.intraOpNumThreads = options.intraOpThreads;
    sessionOptions.interOpNumThreads = 1;
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions);
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    throw new UserError(`${options.source ?? "ONNX model"}: ONNX Runtime refused it: ${message}`);
  } finally {
    removeOrtDebugLog();
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const runFlat = async (flatInputs: Float32Array, steps: number): Promise<Float32Array> => {
    const size = steps === 0 ? 0 : flatInputs.length / steps;
    const tensor = new ort.Tensor("float32", flatInputs, [steps, 1, size]);
    const results = await session.run({ [inputName]: tensor });
    return results[outputName].data as Float32Array;
  };
  const run = async (inputs: number[][]): Promise<number[][]> => {
    const steps = inputs.length;
    const inputSize = inputs[0]?.length ?? 0;
    const flat = new Float32Array(steps * inputSize);
    inputs.forEach((row, t) => flat.set(row, t * inputSize));
    const output = await runFlat(flat, steps);
    const width = steps === 0 ? 0 : output.length / steps;
    return Array.from(
      { length: steps },
      (_, t) => Array.from(output.subarray(t * width, (t + 1) * width)),
    );
  };
  return { inputName, outputName, run, runFlat, release: () => session.release() };
}

/**
 * Run an ONNX model once on a T x I sequence (batch 1) with ONNX Runtime and return the first
 * output as T rows.
 */
export async function runOnnxRuntime(bytes: Uint8Array, inputs: number[][]): Promise<number[][]> {
  const session = await openOnnxSession(bytes);
  try {
    return await session.run(inputs);
  } finally {
    await session.release();
  }
}
