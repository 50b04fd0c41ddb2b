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
import { MAX_DESIGN_FILE_BYTES, MAX_JSON_BYTES } from "../util/limits.ts";
import { MARKERS, TOOLS } from "../util/output.ts";
import { readInputText, readJsonFile } from "../util/read.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import {
  type EncodedImage,
  hasLaneWords,
  memoryWords,
  memoryWordsWide,
  type PeMemories,
  unpackLanes,
} from "./image.ts";
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

/** The text of a `.hex` file of words of any width (BigInt), as `toHexText` writes it. */
export function toWideHexText(words: readonly bigint[], width: number): string {
  const digits = hexDigits(width);
  const lines = words.length === 0
    ? ["0".repeat(digits)]
    : words.map((word) => word.toString(16).padStart(digits, "0"));
  return lines.join("\n") + "\n";
}

/** Parse a `.hex` file of words of any width (BigInt), as strictly as `parseHexText`. */
export function parseWideHexText(text: string, width: number, source: string): bigint[] {
  const digits = hexDigits(width);
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  const pattern = new RegExp(`^[0-9a-f]{${digits}}$`);
  return lines.map((line, index) => {
    const word = pattern.test(line) ? BigInt(`0x${line}`) : -1n;
    if (word < 0n || word >= 1n << BigInt(width)) {
      throw new UserError(
        `${source}:${index + 1}: expected ${digits} lowercase hex digits of ${width} bits, ` +
          `got "${line}"`,
      );
    }
    return word;
  });
}

/** The text of a `.hex` file (lines joined, trailing newline). */
export function toHexText(words: readonly number[], width: number): string {
  return toHexLines(words, width).join("\n") + "\n";
}

/** How `parseHexWords` reads one line's digits and whether the word fits the width. */
export interface HexWordReader<T> {
  /** Bits of a word. */
  width: number;
  /** The file, for messages. */
  source: string;
  /** The word of a line of lowercase hex digits. */
  parse: (digits: string) => T;
  /** Whether a word fits `width` bits. */
  fits: (word: T) => boolean;
}

/**
 * Parse a `$readmemh` image strictly: every line exactly ceil(width/4) lowercase hex digits whose
 * value fits `width` bits; throws a UserError naming the file and line otherwise.
 */
export function parseHexWords<T>(text: string, reader: HexWordReader<T>): T[] {
  const { width, source } = reader;
  const digits = hexDigits(width);
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  const pattern = new RegExp(`^[0-9a-f]{${digits}}$`);
  return lines.map((line, index) => {
    if (!pattern.test(line)) {
      const shown = line.length > 60 ? `${line.slice(0, 57)}...` : line;
      throw new UserError(
        `${source}:${index + 1}: expected ${digits} lowercase hex digits, got "${shown}"`,
      );
    }
    const word = reader.parse(line);
    if (!reader.fits(word)) {
      throw new UserError(`${source}:${index + 1}: ${line} does not fit ${width} bits`);
    }
    return word;
  });
}

/** Parse a `.hex` file written by `toHexText` (words up to 48 bits), as `parseHexWords`. */
export function parseHexText(text: string, width: number, source: string): number[] {
  return parseHexWords(text, {
    width,
    source,
    parse: (digits) => parseInt(digits, 16),
    fits: (word) => word < 2 ** width,
  });
}

/**
 * The files of an image directory: every memory as a `.hex` file and `manifest.json` (file name
 * -> text). `deno task encode` writes them as a directory; a design holds them in `mem/`.
 */
export function imageFiles(image: EncodedImage): Map<string, string> {
  const files = new Map<string, string>();
  for (const memory of image.manifest.memories) {
    files.set(
      memory.file,
      hasLaneWords(image, memory)
        ? toWideHexText(memoryWordsWide(image, memory), memory.width)
        : toHexText(memoryWords(image, memory), memory.width),
    );
  }
  files.set("manifest.json", JSON.stringify(image.manifest, null, 2) + "\n");
  return files;
}

/** Write every memory of an image as a `.hex` file, and `manifest.json`, into `dir`. */
export async function writeImageFiles(dir: string, image: EncodedImage): Promise<void> {
  for (const [name, text] of imageFiles(image)) await writeFileAtomic(join(dir, name), text);
}

/**
 * Write an image as a fresh directory `dir` atomically, the output of `encode`: the image files
 * (exactly a design's `mem/` files) and the marker `encode.json` (`"tool": "rnnfab encode"`). An
 * existing folder is replaced only when empty or an earlier encode output, so a design's mem/
 * folder or a user's folder is never touched.
 */
export function writeImageDir(dir: string, image: EncodedImage): Promise<void> {
  return writeDirAtomic(dir, async (temporary) => {
    await writeImageFiles(temporary, image);
    await writeFileAtomic(
      join(temporary, MARKERS.encode.file),
      JSON.stringify({ tool: TOOLS.encode, manifest: "manifest.json" }, null, 2) + "\n",
    );
  }, { marker: MARKERS.encode });
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
  const value = await readJsonFile(manifestPath, "manifest", MAX_JSON_BYTES);
  const manifest = parseManifest(value, manifestPath);
  const peMemories: PeMemories[] = Array.from(
    { length: manifest.pes },
    () => ({ weights: [], pointers: [], index: [] }),
  );
  let codebook: number[] | null = null;
  for (const memory of manifest.memories) {
    const path = join(dir, memory.file);
    const text = await readInputText(path, "memory image", MAX_DESIGN_FILE_BYTES);
    const lanes = memory.kind === "weights" ? manifest.lanes : 1;
    const words = lanes > 1
      ? unpackLanes(parseWideHexText(text, memory.width, path), lanes, memory.width / lanes)
      : parseHexText(text, memory.width, path);
    const slots = Math.max(memory.depth, 1) * lanes;
    if (words.length !== slots) {
      throw new UserError(
        `${path}: ${words.length / lanes} words, manifest depth is ${memory.depth}`,
      );
    }
    if (memory.depth === 0 && words.some((word) => word !== 0)) {
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
