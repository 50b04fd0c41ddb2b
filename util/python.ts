/**
 * The project's Python environment (`.venv`, made by `deno task setup` from requirements.txt and
 * requirements-training.txt): the one place that knows where its interpreter is, what to say when
 * it is missing, and how to wait for the training packages that `deno task test` installs in the
 * background.
 *
 * @module
 */

import { UserError } from "./errors.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * The project's Python interpreter (`.venv/bin/python`), or a UserError saying how to get it;
 * `needs` names what the caller wants from it ("PyTorch", "ray") in that message.
 */
export async function projectPython(needs: string): Promise<string> {
  await trainingPackagesReady();
  const python = `${ROOT}.venv/bin/python`;
  try {
    await Deno.stat(python);
  } catch {
    throw new UserError(`${python}: missing; run deno task setup (installs ${needs} into .venv)`);
  }
  return python;
}

/**
 * The environment variable that `deno task test` (scripts/run_tests.ts) sets while it installs
 * requirements-training.txt (PyTorch, Ray, ...) in the background: the path of a status file that
 * appears when that install ends, holding `ok`, or `failed: ...` with where its log is.
 */
export const TRAINING_INSTALL_ENV = "RNNFAB_TRAINING_INSTALL";

/** How long a caller waits for the background install before it gives up (milliseconds). */
const TRAINING_INSTALL_WAIT_MS = 45 * 60_000;

/**
 * Wait until the training packages are in `.venv` when `deno task test` installs them in the
 * background ($RNNFAB_TRAINING_INSTALL); return at once otherwise. A failed install is a
 * UserError that says where its log is.
 */
export async function trainingPackagesReady(): Promise<void> {
  const status = Deno.env.get(TRAINING_INSTALL_ENV);
  if (!status) return;
  const deadline = Date.now() + TRAINING_INSTALL_WAIT_MS;
  for (;;) {
    const text = await Deno.readTextFile(status).catch(() => undefined);
    if (text !== undefined) {
      if (text.trim() === "ok") return;
      throw new UserError(`installing requirements-training.txt into .venv ${text.trim()}`);
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `installing requirements-training.txt into .venv: no result after ${
          TRAINING_INSTALL_WAIT_MS / 60_000
        } minutes (${status} missing)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
