/**
 * Design integrity (docs/reliability.md): `gen` seals a design folder by writing into design.json
 * the SHA-256 of every other file it emitted (`files: {path: hash}`), the tool that wrote it
 * (`"tool": "rnnfab gen"`) and a hash of design.json itself (`selfSha256`, over the file's text
 * without that field). `sim`, `synth` and `bench --design` call `verifyDesignIntegrity` before
 * using a design: a file changed, missing or unlisted is refused in one line naming it, unless
 * the user passes `--allow-modified` (then every difference is printed as a warning). File names
 * of design.json (files, rtlFiles, memories) are confined to the design folder, always.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { isAbsolute, join, normalize, resolve } from "node:path";
import { UserError } from "../util/errors.ts";
import { MAX_DESIGN_FILE_BYTES, MAX_DESIGN_JSON_BYTES } from "../util/limits.ts";
import { TOOLS } from "../util/output.ts";
import { readInputBytes, readInputText } from "../util/read.ts";
import { parseJsonStrict } from "../util/read.ts";

/** Hex SHA-256 of text (UTF-8) or bytes. */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** The text of design.json: 2-space JSON and a trailing newline. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/**
 * The sealed text of design.json: `tool` first, the fields of `summary`, then `files` (hashes of
 * every other file of the design, sorted by path) and `selfSha256`.
 */
export function sealDesignJson(
  summary: Record<string, unknown>,
  files: ReadonlyMap<string, string | Uint8Array>,
): string {
  const hashes: Record<string, string> = {};
  for (const path of [...files.keys()].filter((path) => path !== "design.json").sort()) {
    hashes[path] = sha256Hex(files.get(path)!);
  }
  const sealed = { tool: TOOLS.gen, ...summary, files: hashes };
  return jsonText({ ...sealed, selfSha256: sha256Hex(jsonText(sealed)) });
}

/** Options of `verifyDesignIntegrity`. */
export interface IntegrityOptions {
  /** The command, for messages ("deno task sim"). */
  command: string;
  /** Proceed with a modified design, printing every difference through `warn`. */
  allowModified?: boolean;
  /** Where warnings go (default: stderr). */
  warn?: (line: string) => void;
}

/** A verified design folder. */
export interface VerifiedDesign {
  /** Absolute path of the folder. */
  dir: string;
  /** The parsed design.json. */
  json: Record<string, unknown>;
  /** Relative paths of every file design.json lists (design.json itself included). */
  files: string[];
  /** Differences found and accepted with --allow-modified (empty for an intact design). */
  modifications: string[];
}

/** A path of design.json that may be read: relative, normalized, inside the folder. */
export function confinedPath(path: unknown): path is string {
  return typeof path === "string" && path !== "" && !isAbsolute(path) && !path.includes("\\") &&
    !path.includes("\0") && normalize(path) === path && !path.startsWith("..") &&
    !path.split("/").includes("..") && !path.split("/").includes(".");
}

/** Check every file name design.json gives; a name leaving the folder is always refused. */
function checkNames(json: Record<string, unknown>, source: string): void {
  const refuse = (field: string, name: unknown): never => {
    throw new UserError(
      `${source}: ${field}: ${JSON.stringify(name)} is not a path inside the design folder`,
    );
  };
  const files = json.files;
  if (files !== undefined) {
    if (typeof files !== "object" || files === null || Array.isArray(files)) {
      throw new UserError(`${source}: files: expected an object {path: sha256}`);
    }
    for (const name of Object.keys(files)) if (!confinedPath(name)) refuse("files", name);
  }
  const rtlFiles = Array.isArray(json.rtlFiles) ? json.rtlFiles : [];
  rtlFiles.forEach((name, i) => confinedPath(name) || refuse(`rtlFiles[${i}]`, name));
  const memDir = json.memDir ?? "mem/";
  if (typeof memDir !== "string" || !confinedPath(memDir.replace(/\/$/, ""))) {
    refuse("memDir", memDir);
  }
  const memories = Array.isArray(json.memories) ? json.memories : [];
  memories.forEach((memory, i) => {
    const file = (memory as { file?: unknown })?.file;
    if (typeof file !== "string" || file.includes("/") || !confinedPath(file)) {
      refuse(`memories[${i}].file`, file);
    }
  });
}

/** Whether `real` (a resolved path) lies inside the folder `root` (resolved). */
function inside(real: string, root: string): boolean {
  return real.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** The differences between the folder and the hashes design.json lists. */
async function differences(dir: string, json: Record<string, unknown>): Promise<string[]> {
  const problems: string[] = [];
  const source = join(dir, "design.json");
  if (json.tool !== TOOLS.gen || typeof json.files !== "object" || !json.selfSha256) {
    return [
      `${source}: no content hashes ("tool": "${TOOLS.gen}", files, selfSha256): not sealed by ` +
      `this version of gen`,
    ];
  }
  const { selfSha256, ...sealed } = json;
  if (sha256Hex(jsonText(sealed)) !== selfSha256) {
    problems.push(`${source}: modified after gen (its content hash differs from selfSha256)`);
  }
  const files = json.files as Record<string, unknown>;
  const root = await Deno.realPath(dir);
  for (const [path, hash] of Object.entries(files)) {
    const full = join(dir, path);
    let real: string;
    try {
      real = await Deno.realPath(full);
    } catch {
      problems.push(`${full}: missing (design.json lists it)`);
      continue;
    }
    if (!inside(real, root)) {
      throw new UserError(`${source}: files: ${path} leads outside the design folder (a link)`);
    }
    const bytes = await readInputBytes(full, "design file", MAX_DESIGN_FILE_BYTES);
    if (sha256Hex(bytes) !== hash) {
      problems.push(`${full}: modified after gen (its SHA-256 differs from design.json files)`);
    }
  }
  const listed = (path: string) => Object.hasOwn(files, path);
  const rtlFiles = Array.isArray(json.rtlFiles) ? json.rtlFiles as string[] : [];
  for (const name of rtlFiles.filter((name) => !listed(name))) {
    problems.push(`${source}: rtlFiles: ${name} has no content hash in files`);
  }
  const memDir = String(json.memDir ?? "mem/").replace(/\/?$/, "/");
  const memories = Array.isArray(json.memories) ? json.memories as { file: string }[] : [];
  for (const memory of memories.filter((memory) => !listed(memDir + memory.file))) {
    problems.push(`${source}: memories: ${memDir}${memory.file} has no content hash in files`);
  }
  return problems;
}

/**
 * Verify a design folder against the hashes gen sealed into design.json. A difference is a
 * UserError naming the file (exit 2), or with `allowModified` a loud warning per difference.
 */
export async function verifyDesignIntegrity(
  dir: string,
  options: IntegrityOptions,
): Promise<VerifiedDesign> {
  const source = join(dir, "design.json");
  const text = await readInputText(source, "design description", MAX_DESIGN_JSON_BYTES);
  const json = parseJsonStrict(text, source);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UserError(`${source}: expected a JSON object`);
  }
  const record = json as Record<string, unknown>;
  checkNames(record, source);
  const problems = await differences(dir, record);
  if (problems.length > 0 && !options.allowModified) {
    throw new UserError(
      `${options.command}: ${problems[0]}; regenerate the design with gen, or pass ` +
        `--allow-modified to use it anyway`,
    );
  }
  const warn = options.warn ?? ((line: string) => console.error(line));
  if (problems.length > 0) {
    warn(`WARNING: --allow-modified: using a MODIFIED design (${problems.length} difference(s)):`);
    for (const problem of problems) warn(`WARNING: ${problem}`);
  }
  const files = record.files && typeof record.files === "object" ? Object.keys(record.files) : [];
  return {
    dir: resolve(dir),
    json: record,
    files: ["design.json", ...files],
    modifications: problems,
  };
}
