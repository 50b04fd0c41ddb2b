/**
 * Memory images on disk: one `$readmemh` file per memory (one word per line, lowercase hex,
 * exactly ceil(width/4) digits) and `manifest.json`, written atomically as one directory, and read
 * back strictly.
 *
 * @module
 */

import { join } from "node:path";
import { UserError } from "../util/errors.ts";
import { writeDirAtomic, writeFileAtomic } from "../util/fs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { type EncodedImage, memoryWords, type PeMemories } from "./image.ts";
import { type EncodingManifest, manifestSchema } from "./manifest.ts";

/** Hex digits of a word of `width` bits. */
export function hexDigits(width: number): number {
  return Math.ceil(width / 4);
}

/**
 * The lines of a `$readmemh` image: each word as exactly ceil(width/4) lowercase hex digits. An
 * empty memory gives one line of zeros, so that `$readmemh` always has something to read.
 */
export function toHexLines(words: readonly number[], width: number): string[] {
  if (!Number.isInteger(width) || width < 1 || width > 52) {
    throw new Error(`word width must be an integer in 1..52, got ${width}`);
  }
  const digits = hexDigits(width);
  const limit = 2 ** width;
  if (words.length === 0) return ["0".repeat(digits)];
  return words.map((word, address) => {
    if (!Number.isInteger(word) || word < 0 || word >= limit) {
      throw new Error(`word ${word} at address ${address} does not fit ${width} bits`);
    }
    return word.toString(16).padStart(digits, "0");
  });
}

/** The text of a `.hex` file (lines joined, trailing newline). */
export function toHexText(words: readonly number[], width: number): string {
  return toHexLines(words, width).join("\n") + "\n";
}

/**
 * Parse a `.hex` file written by `toHexText`: every line exactly ceil(width/4) lowercase hex
 * digits whose value fits `width` bits; throws a UserError naming the file and line otherwise.
 */
export function parseHexText(text: string, width: number, source: string): number[] {
  const digits = hexDigits(width);
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  const pattern = new RegExp(`^[0-9a-f]{${digits}}$`);
  return lines.map((line, index) => {
    if (!pattern.test(line)) {
      throw new UserError(
        `${source}:${index + 1}: expected ${digits} lowercase hex digits, got "${line}"`,
      );
    }
    const word = parseInt(line, 16);
    if (word >= 2 ** width) {
      throw new UserError(`${source}:${index + 1}: ${line} does not fit ${width} bits`);
    }
    return word;
  });
}

/**
 * The files of an image directory: every memory as a `.hex` file and `manifest.json` (file name
 * -> text). `deno task encode` writes them as a directory; a design holds them in `mem/`.
 */
export function imageFiles(image: EncodedImage): Map<string, string> {
  const files = new Map<string, string>();
  for (const memory of image.manifest.memories) {
    files.set(memory.file, toHexText(memoryWords(image, memory), memory.width));
  }
  files.set("manifest.json", JSON.stringify(image.manifest, null, 2) + "\n");
  return files;
}

/** Write every memory of an image as a `.hex` file, and `manifest.json`, into `dir`. */
export async function writeImageFiles(dir: string, image: EncodedImage): Promise<void> {
  for (const [name, text] of imageFiles(image)) await writeFileAtomic(join(dir, name), text);
}

/** Write an image as a fresh directory `dir` (replacing an earlier image there) atomically. */
export function writeImageDir(dir: string, image: EncodedImage): Promise<void> {
  return writeDirAtomic(dir, (temporary) => writeImageFiles(temporary, image), {
    replaceIfContains: "manifest.json",
  });
}

/** Validate a parsed `manifest.json`; throws a UserError naming the field. */
export function parseManifest(value: unknown, source: string): EncodingManifest {
  return parseWithSchema(manifestSchema, value, source);
}

/**
 * Read an image directory back: the manifest, then every memory's `.hex` file, checking that each
 * file holds exactly max(depth, 1) words of the manifest's width (an empty memory holds one 0).
 */
export async function readImageDir(dir: string): Promise<EncodedImage> {
  const manifestPath = join(dir, "manifest.json");
  let text: string;
  try {
    text = await Deno.readTextFile(manifestPath);
  } catch (error) {
    throw new UserError(`${manifestPath}: cannot read the manifest (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${manifestPath}: not valid JSON (${(error as Error).message})`);
  }
  const manifest = parseManifest(value, manifestPath);
  const peMemories: PeMemories[] = Array.from(
    { length: manifest.pes },
    () => ({ weights: [], pointers: [], index: [] }),
  );
  let codebook: number[] | null = null;
  for (const memory of manifest.memories) {
    const path = join(dir, memory.file);
    const words = parseHexText(await Deno.readTextFile(path), memory.width, path);
    if (words.length !== Math.max(memory.depth, 1)) {
      throw new UserError(
        `${path}: ${words.length} words, manifest depth is ${memory.depth}`,
      );
    }
    if (memory.depth === 0 && words[0] !== 0) {
      throw new UserError(`${path}: an empty memory must hold one word of 0`);
    }
    if (memory.kind !== "codebook" && !(memory.pe !== null && memory.pe < manifest.pes)) {
      throw new UserError(`${manifestPath}: memory ${memory.file} names no valid PE`);
    }
    const used = memory.depth === 0 ? [] : words;
    if (memory.kind === "codebook") codebook = used;
    else peMemories[memory.pe ?? 0][memory.kind] = used;
  }
  return { manifest, peMemories, codebook };
}
