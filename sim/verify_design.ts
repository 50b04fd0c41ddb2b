/**
 * Verifying a design whole before simulating it (docs/reliability.md). First the content hashes
 * gen sealed into design.json (rtl/integrity.ts). Then, independently of them, what the design
 * holds is checked against what it claims: design.json's fields against the design that the
 * quantized model (quantized.json) and design.json's accelerator options give; every memory image
 * parsed strictly (a corrupt word is an error naming the file and line), compared word by word
 * with the encoding of quantized.json, and the weight images decoded and compared with the
 * quantized matrices; every activation-table entry compared with the fixed-point spec; and every
 * other file (RTL, test bench, manifest) compared with what gen makes. A short simulation only
 * exercises the path its input takes; this check covers every word.
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { MAX_DESIGN_FILE_BYTES } from "../util/limits.ts";
import { readInputText, readJsonFile } from "../util/read.ts";
import { activationTable, type QuantizedModel } from "../model/fixed.ts";
import { readQuantizedModel } from "../model/quantized_io.ts";
import {
  decodeImage,
  type EncodedImage,
  memoryWordsWide,
  parseHexText,
  parseHexWords,
  unpackLanes,
} from "../encode/mod.ts";
import {
  ACCELERATOR_LIMITS,
  type AcceleratorConfig,
  DEFAULT_ACCELERATOR_CONFIG,
  deriveDesign,
  designFiles,
  designJson,
  type DesignParams,
  packSignedFields,
} from "../rtl/mod.ts";
import {
  type IntegrityOptions,
  type VerifiedDesign,
  verifyDesignIntegrity,
} from "../rtl/integrity.ts";
import { designDeltaSchema, designThresholds } from "../rtl/design_schema.ts";

const count = (range: { min: number; max: number }) =>
  z.number().int().min(range.min).max(range.max);

/** The accelerator options of design.json that, with quantized.json, determine the design. */
const acceleratorSchema = z.looseObject({
  pes: count(ACCELERATOR_LIMITS.pes),
  format: z.enum(["ese", "bcr"]),
  clockMhz: z.number().positive(),
  indexBits: count(ACCELERATOR_LIMITS.indexBits).nullable(),
  codebookBits: count(ACCELERATOR_LIMITS.codebookBits).nullable(),
  blockRows: count(ACCELERATOR_LIMITS.blockSide).nullable(),
  blockCols: count(ACCELERATOR_LIMITS.blockSide).nullable(),
  blockChoice: z.looseObject({ how: z.enum(["given", "chosen"]) }).nullable(),
  queueDepth: count(ACCELERATOR_LIMITS.queueDepth).nullable(),
  lanes: z.number().int().positive().optional(),
  broadcast: z.number().int().positive().optional(),
  batch: z.number().int().positive().optional(),
  ewGroup: z.number().int().positive().optional(),
  outWords: z.number().int().positive().optional(),
  inWords: z.number().int().positive().optional(),
  earlyInput: z.boolean().optional(),
  readAheadM: z.union([z.boolean(), z.literal(4)]).optional(),
  projQueue: z.boolean().optional(),
  busStage: z.boolean().optional(),
  maxMemoryBits: z.number().positive().nullable(),
});

/** The configurations to try: a chosen bcr block may have had one side given. */
function candidateConfigs(json: Record<string, unknown>, source: string): AcceleratorConfig[] {
  const parsed = acceleratorSchema.safeParse(json.accelerator);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${source}: accelerator.${issue.path.map(String).join(".")}: ${issue.message}`,
    );
  }
  const a = parsed.data;
  const rtl = (json.rtl ?? {}) as Record<string, unknown>;
  const queueDepth = a.queueDepth ??
    (typeof rtl.QUEUE_DEPTH === "number" ? rtl.QUEUE_DEPTH : DEFAULT_ACCELERATOR_CONFIG.queueDepth);
  const base: AcceleratorConfig = {
    pes: a.pes,
    format: a.format,
    clockMhz: a.clockMhz,
    indexBits: a.indexBits ?? DEFAULT_ACCELERATOR_CONFIG.indexBits,
    codebookBits: a.codebookBits ?? undefined,
    queueDepth,
    blockRows: a.blockRows ?? undefined,
    blockCols: a.blockCols ?? undefined,
    lanes: a.lanes ?? 1,
    broadcast: a.broadcast ?? 1,
    batch: a.batch ?? 1,
    ewGroup: a.ewGroup ?? 1,
    outWords: a.outWords ?? 1,
    inWords: a.inWords ?? 1,
    earlyInput: a.earlyInput,
    readAheadM: a.readAheadM,
    projQueue: a.projQueue,
    busStage: a.busStage,
    maxMemoryBits: a.maxMemoryBits ?? undefined,
    fixed: DEFAULT_ACCELERATOR_CONFIG.fixed,
  };
  // a delta design (docs/delta.md): its thresholds, in activation LSBs as design.json holds them
  const delta = designDeltaSchema.safeParse(json.delta);
  if (delta.success) {
    base.delta = { ...designThresholds(delta.data), units: "fixed" };
  }
  if (a.format !== "bcr" || a.blockChoice?.how !== "chosen") return [base];
  const free = { ...base, blockRows: undefined, blockCols: undefined };
  return [free, { ...free, blockRows: base.blockRows }, { ...free, blockCols: base.blockCols }];
}

/** The design quantized.json and design.json's options give (the one whose block matches). */
function rederive(model: QuantizedModel, json: Record<string, unknown>, dir: string): DesignParams {
  const claimed = (json.accelerator ?? {}) as Record<string, unknown>;
  let first: DesignParams | undefined;
  for (const config of candidateConfigs(json, join(dir, "design.json"))) {
    let derived: DesignParams;
    try {
      derived = deriveDesign(model, config);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(
        `${join(dir, "quantized.json")}: gives no design for the options of design.json ` +
          `(${error.message})`,
      );
    }
    const a = derived.accelerator;
    if (a.blockRows === claimed.blockRows && a.blockCols === claimed.blockCols) return derived;
    first ??= derived;
  }
  return first!;
}

/** The first place two JSON values differ, as "path: actual vs expected", or undefined. */
export function firstDifference(actual: unknown, expected: unknown, path = ""): string | undefined {
  if (typeof expected === "object" && expected !== null) {
    if (
      typeof actual !== "object" || actual === null ||
      Array.isArray(actual) !== Array.isArray(expected)
    ) {
      return `${path || "(top)"} is ${brief(actual)}, expected ${brief(expected)}`;
    }
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      const sub = Array.isArray(expected) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      const found = firstDifference(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        sub,
      );
      if (found) return found;
    }
    return undefined;
  }
  return actual === expected
    ? undefined
    : `${path} is ${brief(actual)}, expected ${brief(expected)}`;
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? "absent";
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** design.json's fields against the re-derived design (the seal fields aside). */
function designJsonProblems(json: Record<string, unknown>, derived: DesignParams, dir: string) {
  // The weight-sharing report describes the float model before sharing, which the design does
  // not hold; the codebook itself is checked word by word with the images.
  const { tool: _tool, files: _files, selfSha256: _self, weightSharing: _ws, ...claimed } = json;
  const { weightSharing: _derivedWs, ...summary } = designJson(derived);
  const expected = JSON.parse(JSON.stringify(summary));
  // The fields a person edits first, then the rest in file order, the prose description last.
  const first = ["model", "fixed", "accelerator", "rtl", "geometry", "memories"];
  const keys = [...first, ...Object.keys({ ...expected, ...claimed }), "description"];
  const difference = [...new Set(keys)].map((key) =>
    firstDifference(claimed[key], expected[key], key)
  ).find((found) => found !== undefined);
  return difference
    ? [
      `${join(dir, "design.json")}: ${difference} (the design that quantized.json and ` +
      `design.json's accelerator options give)`,
    ]
    : [];
}

/** Parse a `$readmemh` image of words up to any width, as `parseHexWords`. */
export function parseWideHex(text: string, width: number, source: string): bigint[] {
  return parseHexWords(text, {
    width,
    source,
    parse: (digits) => BigInt(`0x${digits}`),
    fits: (word) => word < 1n << BigInt(width),
  });
}

/** Read one memory image of the design strictly; a missing file is a problem, not a crash. */
async function readImage(path: string, width: number): Promise<bigint[] | undefined> {
  try {
    await Deno.lstat(path);
  } catch {
    return undefined;
  }
  const text = await readInputText(path, "memory image", MAX_DESIGN_FILE_BYTES);
  return width <= 52
    ? parseHexText(text, width, path).map(BigInt)
    : parseWideHex(text, width, path);
}

/** The first word where an image differs from the expected words. */
function wordProblem(path: string, kind: string, actual: bigint[], expected: bigint[]) {
  const wanted = expected.length === 0 ? [0n] : expected;
  for (let i = 0; i < Math.max(actual.length, wanted.length); i++) {
    if (actual[i] !== wanted[i]) {
      const show = (word: bigint | undefined) =>
        word === undefined ? "no word" : `0x${word.toString(16)}`;
      return `${path}:${i + 1}: ${show(actual[i])} where ${kind} gives ${show(wanted[i])}`;
    }
  }
  return undefined;
}

/** Every memory image: strict parse, tables against the spec, words against the encoding. */
async function imageProblems(derived: DesignParams, dir: string) {
  const problems: string[] = [];
  const memDir = join(dir, "mem");
  const images = new Map<string, bigint[]>();
  const expectedWords = new Map<string, bigint[]>();
  for (const memory of derived.image.manifest.memories) {
    expectedWords.set(memory.file, memoryWordsWide(derived.image, memory));
  }
  for (const aux of derived.auxMemories) expectedWords.set(aux.file, aux.words);
  for (const memory of derived.memories) {
    const path = join(memDir, memory.file);
    const words = await readImage(path, memory.width);
    if (!words) {
      problems.push(`${path}: missing (the design needs this ${memory.kind} memory)`);
      continue;
    }
    images.set(memory.file, words);
    if (memory.kind === "sigmoid" || memory.kind === "tanh") {
      const table = Array.from(
        activationTable(memory.kind, derived.quantized.format),
        (value) => packSignedFields([value], derived.quantized.format.activationBits),
      );
      const problem = wordProblem(path, `the fixed-point ${memory.kind} spec`, words, table);
      if (problem) problems.push(problem);
      continue;
    }
    const what = ["bias", "peephole"].includes(memory.kind)
      ? `quantized.json's ${memory.kind}`
      : `the ${derived.accelerator.format} encoding of quantized.json`;
    const problem = wordProblem(path, what, words, expectedWords.get(memory.file) ?? []);
    if (problem) problems.push(problem);
  }
  if (problems.length === 0) problems.push(...decodeProblems(derived, images, memDir));
  return problems;
}

/** Decode the weight images as read and compare every weight with the quantized matrices. */
function decodeProblems(derived: DesignParams, images: Map<string, bigint[]>, memDir: string) {
  const { manifest } = derived.image;
  const words = (file: string, depth: number, lanes: number, width: number) =>
    depth === 0
      ? []
      : lanes > 1
      ? unpackLanes(images.get(file) ?? [], lanes, width / lanes)
      : (images.get(file) ?? []).map(Number);
  const image: EncodedImage = {
    manifest,
    peMemories: Array.from(
      { length: manifest.pes },
      () => ({ weights: [], pointers: [], index: [] }),
    ),
    codebook: null,
  };
  for (const memory of manifest.memories) {
    const lanes = memory.kind === "weights" ? manifest.lanes : 1;
    const read = words(memory.file, memory.depth, lanes, memory.width);
    if (memory.kind === "codebook") image.codebook = read;
    else image.peMemories[memory.pe ?? 0][memory.kind] = read;
  }
  let decoded;
  try {
    decoded = decodeImage(image);
  } catch (error) {
    return [`${memDir}: the weight images do not decode (${(error as Error).message})`];
  }
  for (const [index, segment] of derived.hardwareSegments.entries()) {
    const got = decoded[index]?.matrix;
    const { rows, cols, data } = segment.matrix;
    for (let i = 0; i < data.length; i++) {
      if (got?.data[i] !== data[i]) {
        const row = Math.floor(i / cols);
        return [
          `${join(memDir, `pe${row % manifest.pes}_weights.hex`)}: decodes to ${segment.name}` +
          `[${row}][${i % cols}] = ${got?.data[i]} where quantized.json gives ${data[i]} ` +
          `(${rows}x${cols} hardware segment)`,
        ];
      }
    }
  }
  return [];
}

/** The design's other files (RTL, test bench, manifest, quantized.json) against gen's. */
async function otherFileProblems(derived: DesignParams, dir: string, memFiles: Set<string>) {
  const problems: string[] = [];
  for (const [path, text] of await designFiles(derived)) {
    // quantized.json is where the expected contents come from (its hash covers it).
    if (path === "design.json" || path === "quantized.json" || memFiles.has(path)) continue;
    const full = join(dir, path);
    let actual: string;
    try {
      actual = await readInputText(full, "design file", MAX_DESIGN_FILE_BYTES);
    } catch {
      problems.push(`${full}: missing or unreadable (gen writes it)`);
      continue;
    }
    if (actual !== text) {
      const a = actual.split("\n");
      const e = text.split("\n");
      let line = 0;
      while (line < a.length && a[line] === e[line]) line++;
      problems.push(`${full}:${line + 1}: differs from what gen makes of quantized.json`);
    }
  }
  return problems;
}

/** design.json's PE count against the PEs the RTL and the weight image were built for. */
async function peCountProblems(dir: string, json: Record<string, unknown>): Promise<string[]> {
  const pes = (json.accelerator as { pes?: unknown } | undefined)?.pes;
  const n = (json.rtl as { N?: unknown } | undefined)?.N;
  let manifestPes: unknown;
  try {
    manifestPes =
      (await readJsonFile(join(dir, "mem", "manifest.json"), "manifest", MAX_DESIGN_FILE_BYTES) as {
        pes?: unknown;
      }).pes;
  } catch {
    manifestPes = undefined;
  }
  if (pes === n && pes === manifestPes) return [];
  return [
    `${join(dir, "design.json")}: accelerator.pes is ${pes}, but rtl.N is ${n} and ` +
    `mem/manifest.json says ${manifestPes} PEs`,
  ];
}

/** Everything the contents check finds, in the order a reader would want to know it. */
export async function contentProblems(dir: string, json: Record<string, unknown>) {
  const peProblems = await peCountProblems(dir, json);
  if (peProblems.length > 0) return peProblems;
  const quantized = await readQuantizedModel(join(dir, "quantized.json"));
  const derived = rederive(quantized, json, dir);
  const problems = designJsonProblems(json, derived, dir);
  // A design.json that disagrees gives no trustworthy layout to read the images with.
  if (problems.length > 0) return problems;
  problems.push(...await imageProblems(derived, dir));
  const memFiles = new Set(derived.memories.map((memory) => `mem/${memory.file}`));
  problems.push(...await otherFileProblems(derived, dir, memFiles));
  return problems;
}

/**
 * Verify a design before simulating it: the content hashes, then the contents themselves. The
 * first problem is a UserError naming the file (exit 2); with `allowModified` every problem is
 * printed as a warning and the design is used anyway.
 */
export async function verifyDesign(
  dir: string,
  options: IntegrityOptions,
): Promise<VerifiedDesign> {
  const integrity = await verifyDesignIntegrity(dir, options);
  const problems = await contentProblems(dir, integrity.json);
  if (problems.length > 0 && !options.allowModified) {
    throw new UserError(
      `${options.command}: ${problems[0]}; regenerate the design with gen, or pass ` +
        `--allow-modified to use it anyway`,
    );
  }
  const warn = options.warn ?? ((line: string) => console.error(line));
  for (const problem of problems) warn(`WARNING: --allow-modified: ${problem}`);
  return { ...integrity, modifications: [...integrity.modifications, ...problems] };
}
