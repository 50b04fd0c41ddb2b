/**
 * The one process runner (util/process.ts): output, time limits, watchdogs, memory bounds, and no
 * orphans: a killed tool takes its process group with it, and so does an interrupted rnnfab.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runTool, tail, ToolNotFoundError } from "../util/process.ts";
import { REPO_ROOT, withTempDir } from "./helpers.ts";

/** Whether a process id is alive. */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Wait until `check` holds (up to `seconds`). */
async function eventually(check: () => boolean, seconds = 5): Promise<boolean> {
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

Deno.test("runTool captures output, lines and exit code; tail keeps the last lines", async () => {
  const lines: string[] = [];
  const run = await runTool("sh", ["-c", "echo one; echo two; echo oops >&2; exit 3"], {
    onLine: (line) => lines.push(line),
  });
  assert.equal(run.code, 3);
  assert.equal(run.stdout, "one\ntwo\n");
  assert.equal(run.stderr, "oops\n");
  assert.deepEqual(lines, ["one", "two"]);
  assert.equal(run.timedOut, false);
  assert.equal(run.killedBecause, undefined);
  assert.equal(tail(run, 2), "two\noops");
});

Deno.test("runTool: a missing tool is a ToolNotFoundError", async () => {
  await assert.rejects(runTool("rnnfab-no-such-tool", []), ToolNotFoundError);
});

Deno.test("runTool: the time limit kills the whole process group", async () => {
  let grandchild = 0;
  const run = await runTool("sh", ["-c", "sleep 30 & echo $!; wait"], {
    processGroup: true,
    timeoutSeconds: 1,
    onLine: (line) => grandchild = Number(line),
  });
  assert.equal(run.timedOut, true);
  assert.equal(run.code, -1);
  assert.match(run.killedBecause ?? "", /wall-clock limit of 1 s/);
  assert.ok(grandchild > 0);
  assert.ok(await eventually(() => !alive(grandchild)), "the background sleep was killed too");
});

Deno.test("runTool: a watchdog's reason stops the tool; the heartbeat ticks", async () => {
  let beats = 0;
  const started = performance.now();
  const run = await runTool("sleep", ["30"], {
    watchdog: () => performance.now() - started > 1200 ? "idle for too long" : undefined,
    onHeartbeat: () => {
      beats++;
    },
    heartbeatSeconds: 0.25,
  });
  assert.equal(run.killedBecause, "idle for too long");
  assert.equal(run.timedOut, false);
  assert.equal(run.signal, "SIGKILL");
  assert.ok(beats >= 2, `heartbeats: ${beats}`);
});

Deno.test("runTool: the memory bound applies to the tool", async () => {
  const run = await runTool("sh", ["-c", "ulimit -v"], { memoryLimitMb: 256 });
  assert.equal(run.stdout.trim(), String(256 * 1024));
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`an rnnfab process that gets ${signal} kills the tools it runs`, async () => {
    await withTempDir("rnnfab-process-", async (dir) => {
      const script = join(dir, "parent.ts");
      await Deno.writeTextFile(
        script,
        `import { runTool } from ${JSON.stringify(join(REPO_ROOT, "util/process.ts"))};
await runTool("sh", ["-c", "sleep 60 & echo $!; wait"], {
  processGroup: true,
  onLine: (line) => console.log(line),
});
console.log("not reached");
`,
      );
      const parent = new Deno.Command(Deno.execPath(), {
        args: ["run", "-q", "-A", "--no-lock", script],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const first = await reader.read();
      const grandchild = Number(String(first.value).trim().split("\n")[0]);
      assert.ok(grandchild > 0 && alive(grandchild));
      parent.kill(signal);
      const status = await parent.status;
      await reader.cancel();
      await parent.stderr.cancel();
      assert.equal(status.code, code);
      assert.ok(await eventually(() => !alive(grandchild)), "no tool survives the parent");
    });
  });
}
