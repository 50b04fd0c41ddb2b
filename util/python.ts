/**
 * The project's Python environment (`.venv`, made by `deno task setup` from requirements.txt): the
 * one place that knows where its interpreter is and what to say when it is missing.
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
  const python = `${ROOT}.venv/bin/python`;
  try {
    await Deno.stat(python);
  } catch {
    throw new UserError(`${python}: missing; run deno task setup (installs ${needs} into .venv)`);
  }
  return python;
}
