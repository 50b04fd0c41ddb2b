/**
 * What rnnfab does when it is interrupted (SIGINT, SIGTERM): no temporary left behind and no
 * child process running. Code that creates a temporary (or must kill a tool) registers a
 * synchronous cleanup with `onInterrupt`; the process runner also registers each tool's pid with
 * `trackChild`. On a signal the handler ends the tracked children and all their descendants
 * (SIGTERM, then SIGKILL after a grace period; a tool's own process group too), runs every cleanup
 * newest first, prints one line and exits 130 (SIGINT) or 143 (SIGTERM), as a shell reports a
 * process ended by that signal. Commands install the handler when they start (`runCommand`);
 * library code installs it with its first registration.
 *
 * The handler is synchronous from start to exit, so no other code of the command runs between
 * a cleanup and the exit (a half-finished rename cannot continue after its cleanup ran).
 *
 * @module
 */

/** A cleanup run on interrupt; must be synchronous (the process exits right after). */
export type InterruptCleanup = () => void;

/** The signals rnnfab handles. */
export type InterruptSignal = "SIGINT" | "SIGTERM";

/** Exit status of a command ended by each signal (128 + the signal number). */
export const SIGNAL_EXIT_CODES: Record<InterruptSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** How long children get to end after SIGTERM before SIGKILL (milliseconds). */
export const CHILD_GRACE_MS = 3000;

const cleanups = new Set<InterruptCleanup>();
const children = new Set<number>();
let installed = false;
let handling = false;

/** Block the thread for `ms` milliseconds (the handler must not yield to other code). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** State letter and parent pid of a process from /proc (Linux); undefined when it is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Every live descendant of the given processes (children first found, then theirs). */
export function descendants(roots: Iterable<number>): number[] {
  const byParent = new Map<number, number[]>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const pid = Number(entry.name);
      const stat = procStat(pid);
      if (!stat) continue;
      const list = byParent.get(stat.ppid) ?? [];
      list.push(pid);
      byParent.set(stat.ppid, list);
    }
  } catch {
    return []; // no /proc: only the tracked children themselves are signalled
  }
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (!found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Whether a process still runs (a zombie has ended; it only waits to be reaped). */
function running(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

function signal(pid: number, name: Deno.Signal): void {
  try {
    Deno.kill(pid, name);
  } catch {
    // already gone
  }
}

/** End the tracked children and their descendants: SIGTERM, wait, then SIGKILL. */
export function stopChildren(graceMs = CHILD_GRACE_MS): void {
  const all = [...new Set([...children, ...descendants(children)])];
  for (const pid of all) signal(pid, "SIGTERM");
  const deadline = performance.now() + graceMs;
  while (all.some(running) && performance.now() < deadline) sleepSync(20);
  // Descendants started meanwhile (a make that spawned a compiler) are ended too.
  const stubborn = [...all, ...descendants(all)].filter(running);
  for (const pid of stubborn) signal(pid, "SIGKILL");
  // A killed process still has to run its exit (seconds for a large one on a loaded machine):
  // wait for it, so that no child outlives rnnfab's own exit.
  const killDeadline = performance.now() + graceMs;
  while (stubborn.some(running) && performance.now() < killDeadline) sleepSync(20);
}

function handle(name: InterruptSignal): void {
  if (handling) return;
  handling = true;
  stopChildren();
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // best effort: the next cleanup still runs
    }
  }
  console.error(`interrupted (${name}): temporary files removed`);
  Deno.exit(SIGNAL_EXIT_CODES[name]);
}

/** Install the SIGINT and SIGTERM handlers (idempotent; they do not keep the process alive). */
export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  if (Deno.build.os === "windows") return;
  for (const name of Object.keys(SIGNAL_EXIT_CODES) as InterruptSignal[]) {
    try {
      Deno.addSignalListener(name, () => handle(name));
    } catch {
      // platforms without these signals
    }
  }
}

/**
 * Run `cleanup` (synchronously: use the *Sync file functions) if the command is interrupted
 * before the returned function is called to unregister it.
 */
export function onInterrupt(cleanup: InterruptCleanup): () => void {
  installInterruptHandler();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** End the process `pid` (and its descendants) on an interrupt; call the result when it exited. */
export function trackChild(pid: number): () => void {
  installInterruptHandler();
  children.add(pid);
  return () => {
    children.delete(pid);
  };
}

/** Remove a file or folder now, ignoring a missing one (for cleanups). */
export function removeSync(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch {
    // already gone
  }
}
