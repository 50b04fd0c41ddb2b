/**
 * What rnnfab does when it is interrupted (SIGINT, SIGTERM): run every registered cleanup (kill
 * running tools, remove temporaries), newest first, then exit with 130 (SIGINT) or 143 (SIGTERM),
 * as a shell reports a process ended by that signal. While nothing is registered the default
 * behaviour applies (the process just ends).
 *
 * @module
 */

/** A cleanup run on interrupt; must be synchronous (the process exits right after). */
export type InterruptCleanup = () => void;

const SIGNALS = [["SIGINT", 130], ["SIGTERM", 143]] as const;
const cleanups = new Set<InterruptCleanup>();
const listeners = new Map<Deno.Signal, () => void>();

function interrupted(exitCode: number): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // keep cleaning up
    }
  }
  Deno.exit(exitCode);
}

/**
 * Register a cleanup for SIGINT/SIGTERM; returns the function that unregisters it. The signal
 * listeners exist only while some cleanup is registered.
 */
export function onInterrupt(cleanup: InterruptCleanup): () => void {
  cleanups.add(cleanup);
  if (listeners.size === 0 && Deno.build.os !== "windows") {
    for (const [signal, code] of SIGNALS) {
      const listener = () => interrupted(code);
      listeners.set(signal, listener);
      Deno.addSignalListener(signal, listener);
    }
  }
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size > 0) return;
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    listeners.clear();
  };
}
