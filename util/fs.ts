/**
 * File helpers shared by every command: outputs are written to a temporary path and renamed, so
 * that a failed run never leaves a half-written file behind.
 *
 * @module
 */

import { dirname, relative, resolve } from "node:path";
import { UserError } from "./errors.ts";

/** What is at `path` now: "missing", "directory" or "file" (anything else that is not a folder). */
async function pathKind(path: string): Promise<"missing" | "directory" | "file"> {
  try {
    return (await Deno.stat(path)).isDirectory ? "directory" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return "missing";
    }
    throw error;
  }
}

/**
 * Create the folder that will hold `path`; a path component that is a file is a UserError (the
 * user gave an output path under a file), not an internal failure.
 */
async function makeParent(path: string): Promise<string> {
  const parent = dirname(path) || ".";
  try {
    await Deno.mkdir(parent, { recursive: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotADirectory) {
      throw new UserError(`${path}: cannot create its folder ${parent} (a file is in the way)`);
    }
    throw error;
  }
  return parent;
}

/** Whether a folder has no entries. */
async function isEmptyDir(path: string): Promise<boolean> {
  for await (const _entry of Deno.readDir(path)) return false;
  return true;
}

/** Write a text or binary file atomically (temporary file in the same folder, then rename). */
export async function writeFileAtomic(path: string, contents: string | Uint8Array): Promise<void> {
  if (await pathKind(path) === "directory") {
    throw new UserError(`${path}: is a folder (expected the path of a file to write)`);
  }
  await makeParent(path);
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

/** Options of `writeDirAtomic`. */
export interface WriteDirOptions {
  /**
   * A file that marks a folder as an earlier output of the same command (e.g. "design.json"): an
   * existing non-empty folder is replaced only when it holds this file. Without it, only a missing
   * or empty folder is written.
   */
  replaceIfContains?: string;
}

/**
 * Populate a directory atomically: `fill` writes into a fresh temporary sibling directory, which
 * then replaces `dir` (an existing `dir` is removed only after `fill` succeeded). An existing file
 * at `dir`, the current folder, and a non-empty folder that is not an earlier output (see
 * `WriteDirOptions`) are never replaced: each is a UserError.
 */
export async function writeDirAtomic(
  dir: string,
  fill: (temporaryDir: string) => Promise<void>,
  options: WriteDirOptions = {},
): Promise<void> {
  // Absolute and without a trailing slash: "out/" must not put the temporary folder inside "out".
  const target = resolve(dir);
  if (!relative(target, Deno.cwd()).startsWith("..")) {
    throw new UserError(
      `${dir}: is the current folder or contains it (expected the path of an output folder)`,
    );
  }
  const kind = await pathKind(target);
  if (kind === "file") {
    throw new UserError(`${dir}: is a file (expected the path of an output folder)`);
  }
  if (kind === "directory" && !(await isEmptyDir(target))) {
    const marker = options.replaceIfContains;
    if (!marker || await pathKind(`${target}/${marker}`) !== "file") {
      throw new UserError(
        `${dir}: the folder exists and is not an earlier output of this command` +
          (marker ? ` (it has no ${marker})` : "") + `; remove it or choose another folder`,
      );
    }
  }
  await makeParent(target);
  const temporary = `${target}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(temporary, { recursive: true });
  try {
    await fill(temporary);
    await Deno.remove(target, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.rename(temporary, target);
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
}
