/**
 * Reading the files users give (models, inputs, configs, designs): one place that turns a missing
 * or unreadable file into a one-line UserError naming the file and what it was meant to be.
 *
 * @module
 */

import { UserError } from "./errors.ts";

function cannotRead(path: string, what: string, error: unknown): UserError {
  const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
  return new UserError(`${path}: cannot read the ${what} (${reason})`);
}

/** Read a file's bytes; `what` names it in the message ("ONNX file"). */
export async function readInputBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw cannotRead(path, what, error);
  }
}

/** Read a text file; `what` names it in the message ("model file"). */
export async function readInputText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw cannotRead(path, what, error);
  }
}

/** Read a JSON file, turning a missing file or bad JSON into a one-line UserError. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readInputText(path, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}
