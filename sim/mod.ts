/**
 * Simulation of generated accelerators (docs/simulation.md): `simulateDesign` runs a design in
 * Verilator or Icarus, checks every output word against the fixed-point golden model and counts
 * cycles; the parts (design reading, harness builds and runs, comparison, report) are exported
 * for tools that need only one of them.
 *
 * @module
 */

export { cycleLimit, simulateDesign, type SimulateOptions, type Simulator } from "./simulate.ts";
export type { StimulusOptions, VerilatorProfileOptions } from "./options.ts";
export {
  compareBeats,
  type Comparison,
  formatResult,
  type Mismatch,
  readSimResult,
  type RunContext,
  type SimResult,
  simResultPath,
  simResultSchema,
  summarizeRun,
} from "./result.ts";
export { estimatedCycles, readDesign, type SimDesign } from "./design.ts";
export {
  type HarnessRun,
  type HarnessSettings,
  type HarnessSummary,
  type OutputBeat,
  parseBatchHarnessResult,
  parseHarnessResult,
  stimulusText,
} from "./harness_io.ts";
export {
  buildVerilatorHarness,
  chooseProfile,
  resolveProfile,
  runVerilatorHarness,
  VERILATOR_PROFILES,
  type VerilatorBuildOptions,
  verilatorFlags,
  type VerilatorHarness,
  type VerilatorOpt,
  type VerilatorProfileName,
  type VerilatorRunOptions,
  verilatorVersion,
} from "./verilator.ts";
export { findVerilator, type VerilatorChoice, type VerilatorTool } from "./verilator_tool.ts";
export {
  type BatchOptions,
  type BatchResult,
  formatBatchResult,
  loadSequences,
  simulateBatch,
} from "./batch.ts";
export {
  buildIcarusHarness,
  type IcarusBuildOptions,
  type IcarusHarness,
  icarusVersion,
  runIcarusHarness,
} from "./icarus.ts";
export {
  CACHE_ENV,
  type CachedBuild,
  cachedBuild,
  cacheRoot,
  type HashPart,
  hashParts,
} from "./cache.ts";
