/**
 * rnnfab: a generator of FPGA accelerators for sparse recurrent neural networks.
 *
 * The public API: model files, the float64 reference, the fixed-point golden model, and (as they
 * land) pruning, encoding, RTL generation, simulation and benchmarks.
 *
 * @module
 */

export * from "./model/model.ts";
export * from "./util/errors.ts";
export {
  expectedTensors,
  loadModel,
  modelTensors,
  modelToJson,
  parseModelJson,
  saveModel,
  type SaveModelOptions,
} from "./model/model_io.ts";
export { readSafetensors, type Tensor, writeSafetensors } from "./model/safetensors.ts";
export { loadAnyModel } from "./model/load.ts";
export { cellsPermutable, isPermutation, permuteCells } from "./model/permute.ts";
export { type FloatRunOptions, type ObservedQuantity, runFloat } from "./model/float.ts";
export {
  type ActivationFracChoice,
  type ActivationFracOptions,
  type ActivationRanges,
  activationRanges,
  chooseActivationFrac,
  minimumActivationFrac,
  RANGE_QUANTITIES,
} from "./model/calibrate.ts";
export * from "./model/fixed.ts";
export {
  parseQuantizedModel,
  quantizedModelSchema,
  readQuantizedModel,
  serializeQuantizedModel,
  writeQuantizedModel,
} from "./model/quantized_io.ts";
export { loadInputs, parseInputs } from "./model/inputs.ts";
export { loadFixedConfig, loadModelConfig } from "./rtl/config_file.ts";
export * from "./model/delta.ts";
export * from "./model/delta_run.ts";
export { compareOutputs, type OutputError } from "./model/metrics.ts";
export {
  normalFrom,
  randomInputs,
  randomModel,
  type RandomModelOptions,
  seededRandom,
} from "./model/random.ts";
export {
  importOnnx,
  importOnnxDetailed,
  type OnnxImportOptions,
  type OnnxImportResult,
} from "./model/onnx/import.ts";
export { exportGraphKind, exportOnnx } from "./model/onnx/export.ts";
export * from "./encode/mod.ts";
export * from "./prune/mod.ts";
export * from "./model/dataset.ts";
export * from "./model/head.ts";
export * from "./model/evaluate.ts";
export * from "./prune/calibrate.ts";
export * from "./prune/refit.ts";
export * from "./prune/finetune.ts";
export * from "./synth/mod.ts";
export { type BenchOptions, runBench } from "./bench/run.ts";
export { type BenchReport, buildReport, type Provenance, type ReportRow } from "./bench/report.ts";
export { type GeneratedKernel, generateKernel } from "./bench/ckernel.ts";
export { type BcrMatrix, toBcrStorage } from "./bench/bcr_storage.ts";
export { buildKernel, runKernel, TOOLCHAINS } from "./bench/cbuild.ts";
export { type HostCpuResult, measureHostCpu } from "./bench/host_cpu.ts";
export { checkAarch64 } from "./bench/aarch64.ts";
export { countStep, type StepCounts } from "./bench/counts.ts";
export { ROOFLINE_ASSUMPTIONS, rooflineEstimate } from "./bench/roofline.ts";
export {
  BUILT_IN_DEVICES,
  type DeviceProfile,
  loadDevices,
  parseDevices,
} from "./bench/devices.ts";
export { PUBLISHED_ROWS } from "./bench/published.ts";
export * from "./sim/mod.ts";
export {
  type AcceleratorConfig,
  type AcceleratorSettings,
  type CycleEstimate,
  DEFAULT_ACCELERATOR_CONFIG,
  deriveDesign,
  designFiles,
  type DesignJson,
  designJson,
  designJsonSchema,
  type DesignParams,
  estimateCycles,
  generateDesignDir,
  generateFromModel,
  parseAcceleratorSettings,
  parseDesignJson,
  quantizeForAccelerator,
  readDesignJson,
  resolveAcceleratorConfig,
  simulateTiming,
  writeDesign,
} from "./rtl/mod.ts";
export {
  type FrontObjective,
  paretoFront,
  parseSweepSpec,
  runSweep,
  type SweepOptions,
  type SweepSpec,
  sweepSpecSchema,
  type SweepSummary,
} from "./sweep/mod.ts";
