/**
 * Generating a design for simulation from an in-memory model, through the `gen` command exactly
 * as a user runs it (`cli/gen.ts`): the sim tests and the ESE benchmark use this.
 *
 * @module
 */

import { join } from "node:path";
import { saveModel } from "../model/model_io.ts";
import type { RnnModel } from "../model/model.ts";
import { runTool, tail } from "../util/process.ts";
import { onInterrupt, removeSync } from "../util/interrupt.ts";

/** Options of `generateDesign`. */
export interface GenerateDesignOptions {
  /** The (pruned) model. */
  model: RnnModel;
  /** Design directory to write. */
  outDir: string;
  /** Directory for the model file handed to `gen` (default: a temporary directory). */
  workDir?: string;
  /** Number of PEs. */
  pes: number;
  /** Weight format. */
  format: "ese" | "bcr";
  /** Clock for reporting (MHz). */
  clockMhz?: number;
  /** Further `gen` flags, e.g. ["--block", "4x4"]. */
  extraArgs?: string[];
  /** Progress messages. */
  log?: (message: string) => void;
}

/** A generated design. */
export interface GeneratedDesign {
  /** The design directory. */
  dir: string;
  /** Wall seconds of the `gen` command (measured, including Deno's start). */
  seconds: number;
  /** What `gen` printed. */
  output: string;
}

/** Save the model and run `deno run -A cli/gen.ts --model ... --out ...`; throws on failure. */
export async function generateDesign(options: GenerateDesignOptions): Promise<GeneratedDesign> {
  const workDir = options.workDir ?? await Deno.makeTempDir({ prefix: "rnnfab-model-" });
  const unregister = options.workDir === undefined
    ? onInterrupt(() => removeSync(workDir))
    : () => {};
  const modelPath = join(workDir, "model.json");
  const large = options.model.layers.some((layer) => layer.weightHh.data.length > 100000);
  await saveModel(options.model, modelPath, { safetensors: large });
  const genScript = new URL("../cli/gen.ts", import.meta.url).pathname;
  const args = [
    "run",
    "-A",
    genScript,
    "--model",
    modelPath,
    "--out",
    options.outDir,
    "--pes",
    String(options.pes),
    "--format",
    options.format,
    ...(options.clockMhz ? ["--clock-mhz", String(options.clockMhz)] : []),
    ...(options.extraArgs ?? []),
  ];
  options.log?.(`gen: deno ${args.slice(2).join(" ")}`);
  const run = await runTool(Deno.execPath(), args, {
    onHeartbeat: (seconds) => options.log?.(`gen: still generating (${seconds} s)`),
    timeoutSeconds: 1800,
  });
  if (options.workDir === undefined) await Deno.remove(workDir, { recursive: true });
  unregister();
  if (run.code !== 0) {
    throw new Error(`gen failed (exit ${run.code}): ${tail(run)}`);
  }
  return { dir: options.outDir, seconds: run.seconds, output: `${run.stdout}${run.stderr}` };
}
