/**
 * Design-space exploration (docs/sweep.md): a spec of axes over the prune, gen, synth, sim and
 * place-and-route parameters, content-addressed jobs run locally or on Ray, screening with the
 * cycle model, Pareto fronts and the sweep's report. `runSweep` is what `deno task sweep` runs.
 *
 * @module
 */

export * from "./spec.ts";
export * from "./job.ts";
export * from "./pareto.ts";
export * from "./results.ts";
export * from "./progress.ts";
export { designDir, type EngineOptions, jobsDir, type QueueEntry, runJobs } from "./engine.ts";
export {
  DEFAULT_PRUNE_BLOCK,
  outputError,
  pointDesign,
  prunedModel,
  readJobResult,
  resultPath,
  runJob,
  type RunJobOptions,
  writeJobResult,
} from "./stages.ts";
export { frontPlotSpec, sweepHtml } from "./html.ts";
export {
  modelSha256,
  prepareSweepDir,
  runSweep,
  SWEEP_MARKER,
  type SweepOptions,
  type SweepSummary,
} from "./run.ts";
