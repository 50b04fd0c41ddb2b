/**
 * Helpers of the reliability tests (docs/reliability.md): a guarded temporary root, snapshots of
 * every file below a folder (to prove that pre-existing files are byte-for-byte unchanged; files
 * over 16 MiB, the sparse ones of the bounds test, by size and modification time), the
 * one-line error of a refused command, and a tiny generated design.
 *
 * Destructive steps are guarded: only folders made by `tempRoot` (under the system's temporary
 * folder, with the rnnfab-rel- prefix) are ever removed.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { saveModel } from "../model/model_io.ts";
import { randomModel, type RandomModelOptions } from "../model/random.ts";
import { type CommandResult, REPO_ROOT, runDenoScript } from "./helpers.ts";

/** The prefix of every temporary root of these tests. */
const PREFIX = "rnnfab-rel-";

/** A fresh temporary folder for one test (see `removeRoot`). */
export async function tempRoot(): Promise<string> {
  return await Deno.realPath(await Deno.makeTempDir({ prefix: PREFIX }));
}

/** Run `body` in a fresh `tempRoot`, removed afterwards whatever happens. */
export async function withTempRoot<T>(body: (root: string) => Promise<T>): Promise<T> {
  const root = await tempRoot();
  try {
    return await body(root);
  } finally {
    await removeRoot(root);
  }
}

/** Remove a folder made by `tempRoot`, refusing anything else (the checkout above all). */
export async function removeRoot(root: string): Promise<void> {
  const real = await Deno.realPath(root);
  const temp = await Deno.realPath(Deno.env.get("TMPDIR") || "/tmp");
  assert.ok(
    real.startsWith(`${temp}/${PREFIX}`) && !resolve(REPO_ROOT).startsWith(real),
    `refusing to remove ${real}`,
  );
  await Deno.remove(real, { recursive: true });
}

/** Every entry below `dir`: relative path -> "dir", "link:TARGET" or the SHA-256 of the file. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  const walk = async (folder: string, prefix: string) => {
    const names = [];
    for await (const entry of Deno.readDir(folder)) names.push(entry);
    for (const entry of names.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      const key = prefix + entry.name;
      if (entry.isSymlink) entries[key] = `link:${await Deno.readLink(path)}`;
      else if (entry.isDirectory) {
        entries[key] = "dir";
        await walk(path, `${key}/`);
      } else {
        // Huge (sparse) test files are compared by size and time instead of read.
        const info = await Deno.stat(path);
        entries[key] = info.size > 16 * 1024 * 1024
          ? `size:${info.size}:${info.mtime?.getTime()}`
          : createHash("sha256").update(await Deno.readFile(path)).digest("hex");
      }
    }
  };
  await walk(dir, "");
  return entries;
}

/** The single `error: ...` line of a command refused with exit 2 (no stack trace). */
export function refusal(run: CommandResult): string {
  assert.equal(run.code, 2, `expected exit 2:\n${run.stdout}\n${run.stderr}`);
  const lines = run.stderr.trim().split("\n").filter((line) => line.trim() !== "");
  const errors = lines.filter((line) => line.startsWith("error: "));
  assert.equal(errors.length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, run.stderr);
  return errors[0];
}

/** Run an rnnfab command (e.g. "gen") with arguments. */
export function rnnfab(command: string, args: string[]): Promise<CommandResult> {
  return runDenoScript(`cli/${command}.ts`, args);
}

/** The tiny models of these tests. */
export const TINY: Record<string, RandomModelOptions> = {
  lstm: { kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 1, peepholes: true, seed: 5 },
  other: { kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 1, peepholes: true, seed: 9 },
  gru: { kind: "gru", inputSize: 4, hiddenSize: 8, numLayers: 1, seed: 6 },
};

/** Save a tiny model as `dir/name.json`; returns its path. */
export async function tinyModel(dir: string, name: keyof typeof TINY): Promise<string> {
  const path = join(dir, `${name}.json`);
  await saveModel(randomModel(TINY[name]), path);
  return path;
}

/** Generate a 2-PE design of a tiny model into `out` (extra gen flags in `flags`). */
export async function tinyDesign(
  model: string,
  out: string,
  flags: string[] = [],
): Promise<string> {
  const run = await rnnfab("gen", ["--model", model, "--out", out, "--pes", "2", ...flags]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  return out;
}

/** Copy a folder tree (files and folders). */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory) await copyTree(source, target);
    else await Deno.copyFile(source, target);
  }
}
