/**
 * Reading input files within stated limits: a path must name a regular file (not a folder, a
 * device such as /dev/zero, a pipe or a socket) no larger than the limit for its kind, checked
 * before reading; JSON must parse and hold no duplicate key. Every problem is a one-line
 * UserError naming the file.
 *
 * @module
 */

import { UserError } from "./errors.ts";
import { findDuplicateKey } from "./json.ts";
import { formatBytes } from "./limits.ts";

/** What is read and its size limit. */
export interface ReadLimit {
  /** What the file is, for messages ("model file", "input sequence"). */
  what: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
}

/** Check that `path` is a regular file within the limit; returns its size. */
export async function checkReadable(path: string, limit: ReadLimit): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const reason =
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory
        ? "no such file"
        : (error as Error).message;
    throw new UserError(`${path}: cannot read the ${limit.what} (${reason})`);
  }
  if (info.isDirectory) {
    throw new UserError(`${path}: is a folder (expected the ${limit.what}, a file)`);
  }
  if (!info.isFile) {
    throw new UserError(
      `${path}: not a regular file (expected the ${limit.what}; devices, pipes and sockets are not read)`,
    );
  }
  if (info.size > limit.maxBytes) {
    throw new UserError(
      `${path}: ${formatBytes(info.size)}, more than the ${formatBytes(limit.maxBytes)} ` +
        `accepted for a ${limit.what}`,
    );
  }
  return info.size;
}

/** Read a file's bytes within the limit. */
export async function readBytesBounded(path: string, limit: ReadLimit): Promise<Uint8Array> {
  await checkReadable(path, limit);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new UserError(`${path}: cannot read the ${limit.what} (${(error as Error).message})`);
  }
  if (bytes.length > limit.maxBytes) {
    throw new UserError(`${path}: grew beyond ${formatBytes(limit.maxBytes)} while being read`);
  }
  return bytes;
}

/** Read a UTF-8 text file within the limit. */
export async function readTextBounded(path: string, limit: ReadLimit): Promise<string> {
  const bytes = await readBytesBounded(path, limit);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path}: not UTF-8 text (expected the ${limit.what})`);
  }
}

/** Parse JSON text strictly: valid JSON with no duplicate key; errors name `source`. */
export function parseJsonStrict(text: string, source: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    throw new UserError(
      `${source}: ${duplicate.path ? `${duplicate.path}: ` : ""}duplicate key "${duplicate.key}" ` +
        `(expected each key once)`,
    );
  }
  return value;
}

/** Read and parse a JSON file within the limit, strictly (see `parseJsonStrict`). */
export async function readJsonBounded(path: string, limit: ReadLimit): Promise<unknown> {
  return parseJsonStrict(await readTextBounded(path, limit), path);
}
