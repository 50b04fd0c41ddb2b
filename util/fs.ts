/**
 * File helpers shared by every command: outputs are written to a temporary path and renamed, so
 * that a failed or interrupted run never leaves a half-written file behind, and an output folder
 * is replaced only when it holds an earlier output of the same command (docs/reliability.md).
 *
 * @module
 */

import { dirname, relative, resolve } from "node:path";
import { UserError } from "./errors.ts";
import { MAX_JSON_BYTES } from "./limits.ts";
import { onInterrupt, removeSync } from "./interrupt.ts";

/** What is at `path` now: "missing", "directory", "link" (symbolic) or "file" (anything else). */
async function pathKind(path: string): Promise<"missing" | "directory" | "link" | "file"> {
  try {
    const info = await Deno.lstat(path);
    return info.isSymlink ? "link" : info.isDirectory ? "directory" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return "missing";
    }
    throw error;
  }
}

/** A filesystem error while creating an output, as a one-line UserError naming the path. */
function outputError(path: string, error: unknown): unknown {
  if (error instanceof UserError || !(error instanceof Error)) return error;
  const known = error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.IsADirectory ||
    /EROFS|ENOSPC|EDQUOT|read-only|No space/i.test(error.message);
  if (!known) return error;
  const reason = error.message.split(":")[0].split(",")[0].trim();
  return new UserError(`${path}: cannot write the output there (${reason})`);
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
    throw outputError(path, error);
  }
  return parent;
}

/** Whether a folder has no entries. */
async function isEmptyDir(path: string): Promise<boolean> {
  for await (const _entry of Deno.readDir(path)) return false;
  return true;
}

/** A fresh temporary name beside `path`: `PATH.tmp-PID-RANDOM` (removed on any failure). */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Write a text or binary file atomically (temporary file in the same folder, then rename). */
export async function writeFileAtomic(path: string, contents: string | Uint8Array): Promise<void> {
  const kind = await pathKind(path);
  if (kind === "directory") {
    throw new UserError(`${path}: is a folder (expected the path of a file to write)`);
  }
  await makeParent(path);
  const temporary = temporaryPath(path);
  const unregister = onInterrupt(() => removeSync(temporary));
  try {
    if (typeof contents === "string") await Deno.writeTextFile(temporary, contents);
    else await Deno.writeFile(temporary, contents);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw outputError(path, error);
  } finally {
    unregister();
  }
}

/** Write JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * How an earlier output of a command is recognized: a JSON file in the folder whose `"tool"`
 * field names the tool and the command (e.g. design.json with `"tool": "rnnfab gen"`), never a
 * common file name alone.
 */
export interface OutputMarker {
  /** The marker file, relative to the folder (e.g. "design.json"). */
  file: string;
  /** Its `"tool"` value (e.g. "rnnfab gen"). */
  tool: string;
  /** Recognizes, by its exact structure, an output of an rnnfab version without markers. */
  legacy?: (dir: string) => Promise<boolean>;
}

/** Options of `writeDirAtomic`. */
export interface WriteDirOptions {
  /**
   * The marker of an earlier output of the same command: an existing non-empty folder is
   * replaced only when it holds this marker. Without it, only a missing or empty folder is
   * written.
   */
  marker?: OutputMarker;
}

/** Why `dir` is not an earlier output with `marker`, or undefined when it is one. */
export async function notEarlierOutput(
  dir: string,
  marker: OutputMarker,
): Promise<string | undefined> {
  const path = `${dir}/${marker.file}`;
  if (marker.legacy && await marker.legacy(dir).catch(() => false)) return undefined;
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return `it has no ${marker.file}`;
  }
  if (!info.isFile || info.size > MAX_JSON_BYTES) return `its ${marker.file} is not a marker file`;
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (value?.tool === marker.tool) return undefined;
  } catch {
    // not JSON: not a marker
  }
  return `its ${marker.file} does not say "tool": "${marker.tool}"`;
}

/** Put the old output back (or finish the replacement) and remove the new one's temporary. */
function settleReplacement(target: string, temporary: string, aside: string): void {
  removeSync(temporary);
  let asideExists = true;
  try {
    Deno.lstatSync(aside);
  } catch {
    asideExists = false;
  }
  if (!asideExists) return;
  try {
    Deno.lstatSync(target);
    removeSync(aside); // the new output is in place: the old one goes
  } catch {
    Deno.renameSync(aside, target); // the new output never arrived: the old one comes back
  }
}

/** Refuse a target that is the current folder, a file, a link or someone else's folder. */
async function checkReplaceable(dir: string, target: string, marker?: OutputMarker) {
  if (!relative(target, Deno.cwd()).startsWith("..")) {
    throw new UserError(
      `${dir}: is the current folder or contains it (expected the path of an output folder)`,
    );
  }
  const kind = await pathKind(target);
  if (kind === "file") {
    throw new UserError(`${dir}: is a file (expected the path of an output folder)`);
  }
  if (kind === "link") {
    throw new UserError(`${dir}: is a symbolic link (expected the path of an output folder)`);
  }
  if (kind === "directory" && !(await isEmptyDir(target))) {
    const why = marker ? await notEarlierOutput(target, marker) : "it is not empty";
    if (why !== undefined) {
      throw new UserError(
        `${dir}: the folder exists and is not an earlier output of ` +
          `${marker ? marker.tool : "this command"} (${why}); remove it or choose another folder`,
      );
    }
  }
  return kind;
}

/**
 * Refuse, before any work, an output folder that `writeDirAtomic` would refuse at the end (the
 * current folder, a file, a link, a folder that is not an earlier output of `marker`'s command).
 */
export async function checkOutputDir(dir: string, marker?: OutputMarker): Promise<void> {
  await checkReplaceable(dir, resolve(dir), marker);
}

/**
 * Populate a directory atomically: `fill` writes into a fresh temporary sibling directory; then
 * the old folder (if any) is renamed aside, the new one renamed in, and the old one deleted, so
 * that at every instant the old or the new output is whole (an interrupt puts the old one back
 * or finishes the swap, and removes the temporary). An existing file or link at `dir`, the
 * current folder, and a non-empty folder that is not an earlier output (see `WriteDirOptions`)
 * are never replaced: each is a UserError.
 */
export async function writeDirAtomic(
  dir: string,
  fill: (temporaryDir: string) => Promise<void>,
  options: WriteDirOptions = {},
): Promise<void> {
  // Absolute and without a trailing slash: "out/" must not put the temporary folder inside "out".
  const target = resolve(dir);
  const kind = await checkReplaceable(dir, target, options.marker);
  await makeParent(target);
  const temporary = temporaryPath(target);
  const aside = `${temporary}.old`;
  const unregister = onInterrupt(() => settleReplacement(target, temporary, aside));
  try {
    try {
      await Deno.mkdir(temporary);
    } catch (error) {
      throw outputError(dir, error);
    }
    await fill(temporary);
    if (kind === "directory") await Deno.rename(target, aside);
    await Deno.rename(temporary, target);
    settleReplacement(target, temporary, aside);
  } catch (error) {
    settleReplacement(target, temporary, aside);
    throw outputError(dir, error);
  } finally {
    unregister();
  }
}

/** Whether anything exists at `path` (a file, a folder, a link's target). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
