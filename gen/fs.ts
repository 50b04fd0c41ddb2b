/**
 * File helpers shared by every command: outputs are written to a temporary path and renamed, so
 * that a failed run never leaves a half-written file behind.
 *
 * @module
 */

import { dirname } from "node:path";

/** Write a text or binary file atomically (temporary file in the same folder, then rename). */
export async function writeFileAtomic(path: string, contents: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path) || ".", { recursive: true });
  const temporary = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof contents === "string") await Deno.writeTextFile(temporary, contents);
    else await Deno.writeFile(temporary, contents);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** Write JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Populate a directory atomically: `fill` writes into a fresh temporary sibling directory, which
 * then replaces `dir` (an existing `dir` is removed only after `fill` succeeded).
 */
export async function writeDirAtomic(
  dir: string,
  fill: (temporaryDir: string) => Promise<void>,
): Promise<void> {
  const parent = dirname(dir) || ".";
  await Deno.mkdir(parent, { recursive: true });
  const temporary = `${dir}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(temporary, { recursive: true });
  try {
    await fill(temporary);
    await Deno.remove(dir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.rename(temporary, dir);
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
}
