/**
 * Running asynchronous tasks a bounded number at a time (benchmarks' `--jobs`).
 *
 * @module
 */

/** Run `tasks` at most `jobs` at a time; the results in task order. */
export async function runPool<T>(
  tasks: readonly (() => Promise<T>)[],
  jobs: number,
): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, worker));
  return results;
}
