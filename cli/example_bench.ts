/**
 * What the benchmarks over the trained examples (bench:fidelity, bench:schedules) share on the
 * command line: `--only`, `--densities`, `--out`, `--work` and `--merge`, the example selection
 * and the merge of result files of separate runs.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import { guardPaths } from "../util/output.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** What a benchmark over the examples names in its flags. */
export interface ExampleBenchFlagOptions {
  /** The examples it can run (for --only's default). */
  examples: readonly { name: string }[];
  /** Default densities and how --help shows them. */
  densities: { default: number[]; text: string };
  /** The result file's name in bench/results/ ("fidelity.json"). */
  resultFile: string;
  /** The work folder's name in out/ and what goes there. */
  work: { dir: string; help: string };
}

/** The flags `--only`, `--densities`, `--out`, `--work` and `--merge` of an examples benchmark. */
export function exampleBenchFlags(options: ExampleBenchFlagOptions) {
  return {
    only: {
      type: "string" as const,
      placeholder: "NAMES",
      help: "examples to run, comma-separated",
      defaultText: options.examples.map((e) => e.name).join(","),
    },
    densities: {
      type: "custom" as const,
      placeholder: "LIST",
      expected: "comma-separated numbers in (0, 1]",
      parse: (text: string) => {
        const values = text.split(",").map(Number);
        return values.every((d) => d > 0 && d <= 1) ? values : undefined;
      },
      default: options.densities.default,
      defaultText: options.densities.text,
      help: "target densities",
    },
    out: {
      type: "path" as const,
      placeholder: "FILE",
      default: `${ROOT}bench/results/${options.resultFile}`,
      defaultText: `bench/results/${options.resultFile}`,
      help: "result file (the Markdown table goes beside it)",
    },
    work: {
      type: "path" as const,
      placeholder: "DIR",
      default: `${ROOT}out/${options.work.dir}`,
      defaultText: `out/${options.work.dir}`,
      help: options.work.help,
    },
    merge: {
      type: "string" as const,
      placeholder: "A,B",
      help: "combine result files of separate runs (e.g. --only runs in parallel) into --out",
    },
  };
}

/** The examples `--only` names (all when absent); an unknown name is a UserError of `command`. */
export function selectExamples<E extends { name: string }>(
  command: string,
  only: string | undefined,
  examples: readonly E[],
): E[] {
  const names = only?.split(",");
  const selected = examples.filter((e) => !names || names.includes(e.name));
  if (names && selected.length !== names.length) {
    throw new UserError(
      `${command}: --only: expected names among ${examples.map((e) => e.name).join(", ")}`,
    );
  }
  return selected;
}

/**
 * With `--merge A,B`: combine the result files into `--out` with `merge` (`--out` may not be one
 * of them), print the table and say so, and return true; without it, return false.
 */
export async function mergeWhenAsked(
  flags: { merge?: string; out: string },
  merge: (files: string[], out: string) => Promise<string>,
  command: string,
): Promise<boolean> {
  if (flags.merge === undefined) return false;
  const files = flags.merge.split(",");
  await guardPaths({
    command,
    inputs: files.map((path) => ({ path, flag: "--merge" })),
    outputs: [{ path: flags.out, flag: "--out", kind: "file" }],
  });
  console.log(await merge(files, flags.out));
  console.log(`wrote ${flags.out}`);
  return true;
}
