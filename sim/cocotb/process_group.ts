/**
 * Child processes of the cocotb flow, each in its own process group so that a timeout or the idle
 * watchdog kills all of it (the simulator included).
 *
 * @module
 */

/** A child process run in its own process group, so that a timeout kills all of it. */
export interface GroupRun {
  code: number | null;
  output: string;
  seconds: number;
  killedBecause?: string;
}

export async function runGroup(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  watchdog?: () => string | undefined;
}): Promise<GroupRun> {
  const started = performance.now();
  const spawn = (command: string, args: string[]) =>
    new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  let child: Deno.ChildProcess;
  let group = true;
  try {
    child = spawn("setsid", [options.command, ...options.args]);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // No setsid (not Linux): a timeout can only kill the Python process itself.
    child = spawn(options.command, options.args);
    group = false;
  }
  let killedBecause: string | undefined;
  const kill = (why: string) => {
    if (killedBecause) return;
    killedBecause = why;
    try {
      if (group) Deno.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(
    () => kill(`it ran past its wall-clock limit of ${options.timeoutSeconds} s`),
    options.timeoutSeconds * 1000,
  );
  const watch = options.watchdog
    ? setInterval(() => {
      const why = options.watchdog!();
      if (why) kill(why);
    }, 500)
    : undefined;
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let text = "";
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    return text;
  };
  try {
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout),
      collect(child.stderr),
      child.status,
    ]);
    return {
      code: killedBecause ? null : status.code,
      output: stdout + (stderr ? `\n--- stderr ---\n${stderr}` : ""),
      seconds: (performance.now() - started) / 1000,
      killedBecause,
    };
  } finally {
    clearTimeout(timer);
    if (watch !== undefined) clearInterval(watch);
  }
}

export function lastLines(text: string, count: number): string {
  return text.split("\n").filter((line) => line.trim() !== "").slice(-count).join("\n");
}
