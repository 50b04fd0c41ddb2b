/**
 * Reading the files users give (models, inputs, configs, designs): one place that checks, before
 * reading, that a path names a regular file (not a folder, a device such as /dev/zero, a pipe or
 * a socket) no larger than the stated limit for its kind (util/limits.ts), and that turns every
 * problem into a one-line UserError naming the file and what it was meant to be. JSON must parse
 * and hold no duplicate key.
 *
 * @module
 */

import { UserError } from "./errors.ts";
import { findDuplicateKey } from "./json.ts";
import { formatBytes, MAX_JSON_BYTES, MAX_SAFETENSORS_BYTES } from "./limits.ts";

/** Check that `path` is a regular file of at most `maxBytes`; returns its size. */
export async function checkReadable(path: string, what: string, maxBytes: number): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory;
    const reason = missing ? "no such file" : (error as Error).message;
    throw new UserError(`${path}: cannot read the ${what} (${reason})`);
  }
  if (info.isDirectory) {
    throw new UserError(`${path}: is a folder (expected the ${what}, a file)`);
  }
  if (!info.isFile) {
    throw new UserError(
      `${path}: not a regular file (expected the ${what}; devices, pipes and sockets are not read)`,
    );
  }
  if (info.size > maxBytes) {
    throw new UserError(
      `${path}: ${formatBytes(info.size)}, more than the ${formatBytes(maxBytes)} ` +
        `accepted for a ${what}`,
    );
  }
  return info.size;
}

/**
 * How every reader of an input file is called: the path, what the file is meant to be (named in
 * every message: "ONNX file", "model file") and its size limit (a default per reader).
 */
export type InputReader<T> = (path: string, what: string, maxBytes?: number) => Promise<T>;

/** Read a file's bytes within the limit (default: the safetensors limit). */
export const readInputBytes: InputReader<Uint8Array> = async (
  path,
  what,
  maxBytes = MAX_SAFETENSORS_BYTES,
) => {
  await checkReadable(path, what, maxBytes);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new UserError(`${path}: cannot read the ${what} (${(error as Error).message})`);
  }
  if (bytes.length > maxBytes) {
    throw new UserError(`${path}: grew beyond ${formatBytes(maxBytes)} while being read`);
  }
  return bytes;
};

/** Read a UTF-8 text file within the limit (default: the JSON limit). */
export const readInputText: InputReader<string> = async (path, what, maxBytes = MAX_JSON_BYTES) => {
  const bytes = await readInputBytes(path, what, maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path}: not UTF-8 text (expected the ${what})`);
  }
};

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

/**
 * Read a JSON file within the limit (default: the JSON limit), strictly (see `parseJsonStrict`): a
 * missing file, a size over the limit, bad JSON or a duplicate key is a one-line UserError.
 */
export const readJsonFile: InputReader<unknown> = async (path, what, maxBytes = MAX_JSON_BYTES) =>
  parseJsonStrict(await readInputText(path, what, maxBytes), path);
