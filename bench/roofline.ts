/**
 * The roofline model of a batch-1 recurrent step on a device: the step takes at least its FLOPs
 * at the device's throughput and at least its bytes at the device's memory bandwidth, plus a
 * fixed per-step overhead. Every figure it produces is MODELED, never measured.
 *
 *   computeUs = flops / (peakGflops x computeEfficiency x 1e3)
 *   memoryUs  = bytes / (bandwidthGBs x bandwidthEfficiency x 1e3)
 *   usPerFrame = max(computeUs, memoryUs) + overheadUsPerStep
 *
 * @module
 */

import type { StepCounts } from "./counts.ts";
import type { DeviceProfile } from "./devices.ts";

/** A modeled step time and how it was reached. */
export interface RooflineEstimate {
  /** Modeled microseconds per frame (one time step). */
  usPerFrame: number;
  /** Time the FLOPs need at the device's (efficiency-scaled) throughput, microseconds. */
  computeUs: number;
  /** Time the bytes need at the device's (efficiency-scaled) bandwidth, microseconds. */
  memoryUs: number;
  /** The fixed per-step overhead added, microseconds. */
  overheadUs: number;
  /** Which roof limits the step. */
  bound: "compute" | "memory";
  /** FLOPs per byte of the step. */
  arithmeticIntensity: number;
  /** FLOPs per byte where the two roofs meet on this device. */
  ridgeIntensity: number;
  /** Modeled throughput, GFLOP/s (flops / usPerFrame). */
  attainableGflops: number;
}

/** Apply the roofline model to one step's counts on one device. */
export function rooflineEstimate(
  counts: Pick<StepCounts, "flops" | "totalBytes">,
  device: Pick<
    DeviceProfile,
    | "peakGflops"
    | "bandwidthGBs"
    | "computeEfficiency"
    | "bandwidthEfficiency"
    | "overheadUsPerStep"
  >,
): RooflineEstimate {
  const gflops = device.peakGflops * device.computeEfficiency;
  const gbytes = device.bandwidthGBs * device.bandwidthEfficiency;
  const computeUs = counts.flops / (gflops * 1e3);
  const memoryUs = counts.totalBytes / (gbytes * 1e3);
  const usPerFrame = Math.max(computeUs, memoryUs) + device.overheadUsPerStep;
  return {
    usPerFrame,
    computeUs,
    memoryUs,
    overheadUs: device.overheadUsPerStep,
    bound: computeUs >= memoryUs ? "compute" : "memory",
    arithmeticIntensity: counts.flops / counts.totalBytes,
    ridgeIntensity: gflops / gbytes,
    attainableGflops: counts.flops / (usPerFrame * 1e3),
  };
}

/** The assumptions of the roofline model, printed with every modeled figure. */
export const ROOFLINE_ASSUMPTIONS: readonly string[] = [
  "Modeled, not measured: time per frame = max(FLOPs / throughput, bytes / bandwidth) + " +
  "per-step overhead (roofline); batch 1, one time step per frame.",
  "FLOPs: 2 per multiply-accumulate of the matrix-vector products (dense: every weight; " +
  "sparse: every stored BCR value), plus the element-wise additions and multiplications, plus " +
  "25 FLOPs per sigmoid/tanh.",
  "Bytes: every weight in its storage format (dense float32; BCR float32 values + uint16 row " +
  "and column indices per kept block), biases and peepholes (float32), and the layer inputs, " +
  "states and outputs (float32) move between memory and the chip once per step: no weight is " +
  "assumed to stay in a cache between steps.",
  "Throughput and bandwidth are the device profile's figures times its efficiency factors " +
  "(1 for the built-ins: an upper bound on speed, i.e. a lower bound on time, for weights that " +
  "come from DRAM every step).",
  "When the weights fit in the device's caches (cacheBytes), real steps can be faster than the " +
  "memory roof says; when the kernel does not reach the peaks, slower. Feed measured times back " +
  "with --devices to replace a modeled row.",
];
