/**
 * `deno run -A cli/sweep_point.ts --job J.json --result R.json [--previous P.json]
 * [--design-dir D]`: run one sweep job (what each Ray task of `deno task sweep --engine ray`
 * runs): the stages of J's depth that P (the result so far) lacks, with the library functions in
 * process; writes the result to R. The design of deep stages goes to D (default: a temporary
 * folder, removed afterwards). The model named in J must have J's SHA-256 on this machine.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { UserError } from "../util/errors.ts";
import { readJsonFile } from "../util/read.ts";
import { MAX_JSON_BYTES } from "../util/limits.ts";
import { guardPaths } from "../util/output.ts";
import { loadAnyModel } from "../model/load.ts";
import { modelSha256, parseJobFile, parseJobResult, runJob, writeJobResult } from "../sweep/mod.ts";

const NAME = "cli/sweep_point.ts";

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--job J --result R [--previous P] [--design-dir D]",
  description: `Runs one job of a sweep (docs/sweep.md) and writes its result to R.`,
  flags: {
    job: { type: "path", required: true, placeholder: "J", help: "the job file" },
    result: { type: "path", required: true, placeholder: "R", help: "where to write the result" },
    previous: { type: "path", placeholder: "P", help: "the job's result so far" },
    "design-dir": {
      type: "path",
      placeholder: "D",
      help: "folder for the design of deep stages",
      defaultText: "a temporary folder, removed afterwards",
    },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  await guardPaths({
    command: NAME,
    inputs: [
      { path: flags.job, flag: "--job" },
      ...(flags.previous ? [{ path: flags.previous, flag: "--previous" }] : []),
    ],
    outputs: [
      { path: flags.result, flag: "--result", kind: "file" },
      ...(flags["design-dir"]
        ? [{ path: flags["design-dir"], flag: "--design-dir", kind: "dir" as const }]
        : []),
    ],
  });
  const job = parseJobFile(await readJsonFile(flags.job, "sweep job", MAX_JSON_BYTES), flags.job);
  const previous = flags.previous
    ? parseJobResult(
      await readJsonFile(flags.previous, "sweep result", MAX_JSON_BYTES),
      flags.previous,
    )
    : undefined;
  const sha = await modelSha256(job.modelPath);
  if (sha !== job.inputs.modelSha256) {
    throw new UserError(
      `${job.modelPath}: differs on this machine from the sweep's model (SHA-256)`,
    );
  }
  const model = await loadAnyModel(job.modelPath);
  const temporary = flags["design-dir"]
    ? undefined
    : await Deno.makeTempDir({ prefix: "rnnfab-sweep-" });
  try {
    const result = await runJob(job, {
      model,
      previous,
      designDir: flags["design-dir"] ?? `${temporary}/design`,
    });
    await writeJobResult(flags.result, result);
  } finally {
    if (temporary) await Deno.remove(temporary, { recursive: true }).catch(() => {});
  }
});
