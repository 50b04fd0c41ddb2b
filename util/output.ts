/**
 * Output safety (docs/reliability.md): before a command writes anything, `guardPaths` checks its
 * inputs and outputs together. An output may not be an input, may not be a folder that holds an
 * input (replacing the folder would delete it), and two outputs may not be one path. Outputs are
 * recognized by markers naming the tool and command (`TOOLS`), never by a common file name.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { UserError } from "./errors.ts";
import type { OutputMarker } from "./fs.ts";
import { MAX_JSON_BYTES, MAX_SAFETENSORS_HEADER_BYTES } from "./limits.ts";

/** The `"tool"` value each command writes into its output's marker. */
export const TOOLS = {
  gen: "rnnfab gen",
  encode: "rnnfab encode",
  bench: "rnnfab bench",
  prune: "rnnfab prune",
  import: "rnnfab import",
  finetune: "rnnfab finetune",
} as const;

/** A JSON object file of at most MAX_JSON_BYTES, or undefined. */
async function jsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile || info.size > MAX_JSON_BYTES) return undefined;
    const value = JSON.parse(await Deno.readTextFile(path));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether every entry of `dir` is one of `allowed`. */
async function onlyEntries(dir: string, allowed: Set<string>): Promise<boolean> {
  for await (const entry of Deno.readDir(dir)) if (!allowed.has(entry.name)) return false;
  return true;
}

/** A design folder of gen before markers: design.json of rnnfab and nothing but gen's parts. */
async function legacyDesign(dir: string): Promise<boolean> {
  const json = await jsonObject(join(dir, "design.json"));
  const generator = json?.generator as { name?: unknown } | undefined;
  return generator?.name === "rnnfab" && typeof json?.top === "string" &&
    Array.isArray(json?.rtlFiles) &&
    await onlyEntries(
      dir,
      new Set(["design.json", "quantized.json", "rtl", "mem", "tb", "sim", "synth"]),
    );
}

/** An encode folder before markers: manifest.json and exactly its memories, not a design's mem/. */
async function legacyImage(dir: string): Promise<boolean> {
  const json = await jsonObject(join(dir, "manifest.json"));
  if (!json || json.tool !== undefined || !Array.isArray(json.memories)) return false;
  if (await jsonObject(join(dir, "..", "design.json"))) return false;
  const files = (json.memories as { file?: unknown }[]).map((memory) => String(memory.file));
  return await onlyEntries(dir, new Set(["manifest.json", ...files]));
}

/** A bench report folder before markers: report.json of bench and nothing but bench's parts. */
async function legacyReport(dir: string): Promise<boolean> {
  const json = await jsonObject(join(dir, "report.json"));
  return Array.isArray(json?.rows) && Array.isArray(json?.checks) && await onlyEntries(
    dir,
    new Set([
      "report.json",
      "report.md",
      "report.html",
      "plots.vl.json",
      "ckernel",
      "ckernel-aarch64",
      "design",
      "sweep",
    ]),
  );
}

/** The markers of the commands that write folders (docs/reliability.md). */
export const MARKERS = {
  gen: { file: "design.json", tool: TOOLS.gen, legacy: legacyDesign },
  encode: { file: "encode.json", tool: TOOLS.encode, legacy: legacyImage },
  bench: { file: "report.json", tool: TOOLS.bench, legacy: legacyReport },
} satisfies Record<string, OutputMarker>;

/** A path a command reads, with the flag that named it (e.g. "--model"). */
export interface InputPath {
  /** The path as given. */
  path: string;
  /** The flag (or a description such as "--design's design.json"). */
  flag: string;
}

/** A path a command writes. */
export interface OutputPath extends InputPath {
  /** A file, or a folder that is replaced as a whole. */
  kind: "file" | "dir";
}

/** Everything a command reads and writes. */
export interface CommandPaths {
  /** The command, for messages ("deno task gen"). */
  command: string;
  /** Files and folders read. */
  inputs: InputPath[];
  /** Files and folders written. */
  outputs: OutputPath[];
}

/**
 * The absolute path with every existing part resolved through links (`a/link/b` -> the real
 * place), so two spellings of one file compare equal even when the file does not exist yet.
 */
export async function canonicalPath(path: string): Promise<string> {
  let existing = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await Deno.realPath(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return resolve(path);
      rest.push(existing.slice(parent.length).replace(/^\//, ""));
      existing = parent;
    }
  }
}

/** Whether `inner` is `outer` or lies inside it (both canonical). */
export function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function describe(role: InputPath): string {
  return `${role.flag} ${role.path}`;
}

/**
 * Refuse, before anything is written, any output that is an input, a folder holding an input, a
 * file in the place of a folder holding an input, or the same path as another output.
 */
export async function guardPaths(paths: CommandPaths): Promise<void> {
  const inputs = await Promise.all(
    paths.inputs.map(async (input) => ({ ...input, real: await canonicalPath(input.path) })),
  );
  const outputs = await Promise.all(
    paths.outputs.map(async (output) => ({ ...output, real: await canonicalPath(output.path) })),
  );
  for (const [index, output] of outputs.entries()) {
    for (const input of inputs) {
      if (output.real === input.real) {
        throw new UserError(
          `${paths.command}: ${describe(output)}: is the input ${describe(input)} ` +
            `(an output must not overwrite an input; choose another path)`,
        );
      }
      if (isWithin(input.real, output.real)) {
        throw new UserError(
          `${paths.command}: ${describe(output)}: contains the input ${describe(input)}, which ` +
            `writing the output would delete (choose another ${
              output.kind === "dir" ? "folder" : "path"
            })`,
        );
      }
    }
    for (const other of outputs.slice(index + 1)) {
      if (isWithin(other.real, output.real) || isWithin(output.real, other.real)) {
        throw new UserError(
          `${paths.command}: ${describe(output)} and ${describe(other)} overlap ` +
            `(expected separate outputs)`,
        );
      }
    }
  }
}

/**
 * Check that a file a command writes beside its named output (e.g. `model.safetensors` beside
 * `--out model.json`) is missing or an earlier output of rnnfab: `isOurs` looks at its first
 * bytes. A user's file there is never overwritten.
 */
export async function checkDerivedOutput(
  path: string,
  options: { command: string; what: string; isOurs: (head: Uint8Array) => boolean },
): Promise<void> {
  let head: Uint8Array;
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile) throw new Error("not a file");
    using file = await Deno.open(path);
    const buffer = new Uint8Array(Math.min(info.size, 8 + MAX_SAFETENSORS_HEADER_BYTES));
    let filled = 0;
    while (filled < buffer.length) {
      const count = await file.read(buffer.subarray(filled));
      if (count === null) break;
      filled += count;
    }
    head = buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    head = new Uint8Array();
  }
  if (!options.isOurs(head)) {
    throw new UserError(
      `${options.command}: ${path}: exists and is not an earlier rnnfab output (the ${options.what} ` +
        `would overwrite it); move it away or choose another --out`,
    );
  }
}

/** Whether JSON text is an object whose `"tool"` field is `tool`. */
export function jsonHasTool(head: Uint8Array, tool: string): boolean {
  try {
    return JSON.parse(new TextDecoder().decode(head))?.tool === tool;
  } catch {
    return false;
  }
}
