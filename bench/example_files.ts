/**
 * Files the benchmarks over the trained examples (bench/fidelity.ts, bench/schedules.ts) share:
 * the training data they make, and their report pair (JSON and the Markdown table beside it).
 *
 * @module
 */

import { writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { runTool, tail } from "../util/process.ts";
import { projectPython } from "../util/python.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Write the examples' training data into `folder` (scripts/fidelity_data.py, no download). */
export async function makeExampleData(folder: string): Promise<void> {
  const python = await projectPython("PyTorch");
  const run = await runTool(python, [`${ROOT}scripts/fidelity_data.py`, folder], { cwd: ROOT });
  if (run.code !== 0) throw new Error(`scripts/fidelity_data.py failed:\n${tail(run)}`);
}

/** Write a report: `out` (JSON, `head` first) and the Markdown beside it (`.md`); returns it. */
async function writeReportPair(
  out: string,
  report: { head: Record<string, unknown>; body: object; markdown: string },
): Promise<string> {
  await writeJsonAtomic(out, { ...report.head, ...report.body });
  await writeFileAtomic(out.replace(/\.json$/, "") + ".md", report.markdown);
  return report.markdown;
}

/** Read the reports of separate runs, for a merge. */
export function readReports<T>(paths: string[]): Promise<T[]> {
  return Promise.all(paths.map(async (path) => JSON.parse(await Deno.readTextFile(path)) as T));
}

/** How one benchmark's reports are written and merged. */
export interface ReportKind<R> {
  /** The report's fixed fields (what was measured, how), first in the JSON. */
  head: Record<string, unknown>;
  /** The Markdown table written beside the JSON. */
  markdown: (report: R) => string;
  /** One report out of the reports of separate runs (e.g. examples run in parallel). */
  combine: (reports: R[]) => R;
}

/**
 * A benchmark's report files: `write(out, report)` writes the JSON (head first) and the Markdown
 * beside it and returns the Markdown; `merge(paths, out)` combines the reports of separate runs
 * into `out`.
 */
export function reportFiles<R extends object>(kind: ReportKind<R>) {
  const write = (out: string, report: R): Promise<string> =>
    writeReportPair(out, { head: kind.head, body: report, markdown: kind.markdown(report) });
  const merge = async (paths: string[], out: string): Promise<string> =>
    write(out, kind.combine(await readReports<R>(paths)));
  return { write, merge };
}
