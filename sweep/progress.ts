/**
 * Sweep progress on the terminal: done/total, cached, failed and the time left (from the mean
 * wall time of the jobs computed so far), one line at most every `intervalMs` and at the end of
 * each phase.
 *
 * @module
 */

/** Counts of one phase. */
export interface ProgressCounts {
  /** Phase name ("estimate", "synth", ...). */
  phase: string;
  /** Jobs in the phase. */
  total: number;
  /** Finished (cached included). */
  done: number;
  /** Reused from an earlier run. */
  cached: number;
  /** Failed. */
  failed: number;
}

/** The progress line of a phase. */
export function progressLine(counts: ProgressCounts, secondsLeft: number | null): string {
  const left = secondsLeft === null
    ? ""
    : `, about ${
      secondsLeft >= 90 ? `${Math.round(secondsLeft / 60)} min` : `${Math.ceil(secondsLeft)} s`
    } left`;
  return `sweep ${counts.phase}: ${counts.done}/${counts.total} done (${counts.cached} cached, ` +
    `${counts.failed} failed${left})`;
}

/** A phase's progress reporter. */
export class Progress {
  /** The counts so far. */
  readonly counts: ProgressCounts;
  #started = performance.now();
  #last = 0;
  #computed = 0;

  /** Start a phase of `total` jobs, `cached` of which are already done. */
  constructor(
    phase: string,
    total: number,
    cached: number,
    private readonly log: (line: string) => void,
    private readonly intervalMs = 1000,
  ) {
    this.counts = { phase, total, done: cached, cached, failed: 0 };
    this.log(progressLine(this.counts, null));
  }

  /** Seconds left: wall time per computed job so far (jobs in parallel) times the jobs left. */
  secondsLeft(): number | null {
    if (this.#computed === 0) return null;
    const perJob = (performance.now() - this.#started) / 1000 / this.#computed;
    return perJob * (this.counts.total - this.counts.done);
  }

  /** One job finished (computed now). */
  finished(failed: boolean): void {
    this.#computed++;
    this.counts.done++;
    if (failed) this.counts.failed++;
    const now = performance.now();
    if (now - this.#last >= this.intervalMs || this.counts.done === this.counts.total) {
      this.#last = now;
      this.log(progressLine(this.counts, this.secondsLeft()));
    }
  }
}
