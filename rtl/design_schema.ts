/**
 * The RTL generator's artifact: `design.json`, as one zod schema. `writeDesign` (generate.ts)
 * writes it and every reader (simulation, synthesis, the cocotb test bench, the benchmarks) parses
 * it with `readDesignJson`; the types are `z.infer` of the schema, so a field is described once.
 * docs/architecture.md ("Files of a design directory") lists what it holds.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { readJsonFile } from "../model/inputs.ts";
import { fixedFormatSchema } from "../model/quantized_io.ts";
import { blockChoiceSchema, peSummarySchema, weightSharingReportSchema } from "../encode/mod.ts";

const int = z.number().int();
const count = int.nonnegative();
const positive = int.positive();

/** The top module of every generated design. */
export const TOP_MODULE = "rnnfab_top";

/** The processing-element module, instantiated once per PE under the top. */
export const PE_MODULE = "rnnfab_pe";

/**
 * The numeric parameters of the generated RTL (names as in rtl-templates/); each described once,
 * here: `renderTop` writes the descriptions as comments of the top's localparams.
 */
export const rtlParametersSchema = z.object({
  N: int.describe("number of PEs"),
  LAYERS: int.describe("number of layers"),
  IN0: int.describe("input size of layer 0"),
  H: int.describe("cells per layer"),
  P: int.describe("projection size (0: none)"),
  O: int.describe("output size of a layer"),
  K: int.describe("cells per PE, ceil(H / N)"),
  KP: int.describe("projection rows per PE"),
  KO: int.describe("output elements per PE"),
  FORMAT: int.describe("weight format: 0 ese, 1 bcr"),
  GRU: int.describe("cell: 0 LSTM, 1 GRU"),
  PEEP: int.describe("LSTM peepholes"),
  PROJ: int.describe("LSTM projection"),
  AB: int.describe("activation width"),
  AF: int.describe("activation fraction bits"),
  WB: int.describe("weight width"),
  WF: int.describe("weight fraction bits"),
  ACC: int.describe("accumulator width"),
  SIG_S: int.describe("sigmoid table step log2"),
  SIG_R: int.describe("sigmoid table range log2"),
  TANH_S: int.describe("tanh table step log2"),
  TANH_R: int.describe("tanh table range log2"),
  EW_LAT: int.describe("element-wise latency, issue to readable"),
  ROW_W: int.describe("PE-local row width"),
  COL_W: int.describe("phase column address width"),
  SEG_W: int.describe("segment count width"),
  KW: int.describe("cell index width"),
  KPW: int.describe("projection row index width"),
  CA_W: int.describe("c/bias address width"),
  HA_W: int.describe("h bank address width"),
  RA_W: int.describe("bank read address width"),
  IDX_BITS: int.describe("ese relative row index width"),
  VAL_BITS: int.describe("ese value field width"),
  CODEBOOK: int.describe("ese codebook present"),
  PTR_W: int.describe("ese pointer width"),
  QUEUE_DEPTH: int.describe("ese activation queue depth"),
  IDX_W: int.describe("bcr index word width"),
  HDR_ROW_BITS: int.describe("bcr header rowCount width"),
  HDR_COL_BITS: int.describe("bcr header colCount width"),
  MAX_ROWS: int.describe("bcr most kept rows of a block in one PE"),
  BLOCK_COLS: int.describe("bcr segment width"),
  VEC_DEPTH: int.describe("longest phase vector"),
});

/** The numeric parameters of the generated RTL. */
export type RtlParameters = z.infer<typeof rtlParametersSchema>;

/**
 * How a model maps onto N PEs (element e of any vector lives in PE e mod N at e div N): N, gate
 * rows per cell (4 LSTM, 3 GRU), cells per PE K = ceil(H / N), H padded to K * N, projection rows
 * per PE (1 without a projection), output elements per PE, each layer's input size, a layer's
 * output size (P with a projection, else H) and the longest vector broadcast in one phase.
 */
export const geometrySchema = z.object({
  pes: positive,
  gates: positive,
  cellsPerPe: positive,
  paddedHidden: positive,
  projRowsPerPe: positive,
  outputsPerPe: positive,
  layerInputs: z.array(positive),
  outputSize: positive,
  longestPhase: positive,
});

/** How a model maps onto the PEs. */
export type Geometry = z.infer<typeof geometrySchema>;

/**
 * Cycles of one steady-state step by what the controller was doing (they sum to the step):
 * matrix-vector phases [x; h], the element-wise step alone, the projection phase (overlapped with
 * the element-wise step), requantization issue and other controller hops.
 */
export const stepBreakdownSchema = z.object({
  matvec: count,
  elementwise: count,
  projection: count,
  other: count,
});

/** Cycles of one steady-state step by what the controller was doing. */
export type StepBreakdown = z.infer<typeof stepBreakdownSchema>;

/**
 * The cycle estimate (computed by the cycle model, rtl/timing.ts): cycles per steady-state step,
 * cycles from reset release to the first step's last output beat, how a sequence's total follows,
 * the method in words, the modelled cycle of each modelled step's last output beat, whether the
 * step times had settled (then the formula is exact), the breakdown, and microseconds per step at
 * the configured clock.
 */
export const cycleEstimateSchema = z.object({
  cyclesPerStep: z.number().positive(),
  firstStepCycles: positive,
  totalCyclesFormula: z.string(),
  method: z.string(),
  stepEndCycles: z.array(positive),
  periodic: z.boolean(),
  breakdown: stepBreakdownSchema,
  microsecondsPerStep: z.number().positive(),
  clockMhz: z.number().positive(),
});

/** The cycle estimate of design.json. */
export type CycleEstimate = z.infer<typeof cycleEstimateSchema>;

/**
 * What a memory holds, for the synthesis mapping check (synth/): weight, pointer and index
 * memories belong in block RAM; `table` are the activation tables and the codebook; `constants`
 * the bias and peephole ROMs.
 */
export const memoryRoleSchema = z.enum(["weights", "pointers", "index", "table", "constants"]);

/** What a memory holds. */
export type MemoryRole = z.infer<typeof memoryRoleSchema>;

/** The kinds of memory images a design has. */
export const designMemoryKindSchema = z.enum([
  "weights",
  "pointers",
  "index",
  "codebook",
  "bias",
  "peephole",
  "sigmoid",
  "tanh",
]);

/**
 * One memory image of the design: its file in mem/, its kind, the name of the memory in the RTL
 * module that loads it (e.g. `weight_mem`), its role, the owning PE (null: shared), used words,
 * word width and bits (depth * width).
 */
export const designMemorySchema = z.object({
  file: z.string().min(1),
  kind: designMemoryKindSchema,
  rtlName: z.string().min(1),
  role: memoryRoleSchema,
  pe: count.nullable(),
  depth: count,
  width: positive,
  bits: count,
});

/** One memory image of the design. */
export type DesignMemory = z.infer<typeof designMemorySchema>;

/** Model shape: kind, sizes, projection (0: none), output size of a layer, peepholes. */
export const designModelSchema = z.object({
  kind: z.enum(["lstm", "gru"]),
  inputSize: positive,
  hiddenSize: positive,
  numLayers: positive,
  projSize: count,
  outputSize: positive,
  peepholes: z.boolean(),
});

/**
 * The accelerator options as used: PEs, weight format and its options (null where they do not
 * apply), how the bcr block was set, the number formats, the ese queue depth, the clock used for
 * microseconds and the memory limit (null: none).
 */
export const designAcceleratorSchema = z.object({
  pes: positive,
  format: z.enum(["ese", "bcr"]),
  indexBits: positive.nullable(),
  codebookBits: positive.nullable(),
  blockRows: positive.nullable(),
  blockCols: positive.nullable(),
  blockChoice: blockChoiceSchema.nullable(),
  weightBits: positive,
  weightFrac: int,
  activationBits: positive,
  activationFrac: int,
  accumulatorBits: positive,
  queueDepth: positive.nullable(),
  clockMhz: z.number().positive(),
  maxMemoryBits: z.number().positive().nullable(),
});

/** A segment as encoded: name, layer, part (x: W_ih, h: W_hh, proj: W_hr) and shape. */
export const designSegmentSchema = z.object({
  name: z.string(),
  layer: count,
  part: z.enum(["x", "h", "proj"]),
  rows: positive,
  cols: positive,
});

/**
 * Work per time step: useful multiply-accumulates (non-zero weights of all layers), weight-memory
 * words walked over all PEs and per PE (padding or kept zeros included), and the ideal cycles
 * nonZerosPerStep / N.
 */
export const designWorkSchema = z.object({
  nonZerosPerStep: count,
  entriesPerStep: count,
  peEntries: z.array(count),
  idealCyclesPerStep: z.number().nonnegative(),
});

/** Memory bits by kind (weight image, bias and peephole ROMs, activation tables) and in total. */
export const memoryBitsSchema = z.object({
  weightImage: count,
  bias: count,
  peephole: count,
  tables: count,
  total: count,
});

/** `design.json`: everything about a generated design that is not a file of its own. */
export const designJsonSchema = z.object({
  top: z.literal(TOP_MODULE),
  /** The module instantiated once per PE (what per-PE synthesis multiplies). */
  peModule: z.literal(PE_MODULE),
  generator: z.object({ name: z.literal("rnnfab"), version: z.string() }),
  description: z.string(),
  model: designModelSchema,
  fixed: fixedFormatSchema,
  accelerator: designAcceleratorSchema,
  geometry: geometrySchema,
  rtl: rtlParametersSchema,
  /** Verilog files, relative to the design directory, top first. */
  rtlFiles: z.array(z.string().min(1)).min(1),
  /** Folder of the memory images, relative to the design directory (the top's MEM_DIR). */
  memDir: z.string(),
  memories: z.array(designMemorySchema),
  memoryBits: memoryBitsSchema,
  /** The encoder's per-PE counts (mem/manifest.json). */
  perPe: z.array(peSummarySchema),
  segments: z.array(designSegmentSchema),
  work: designWorkSchema,
  estimate: cycleEstimateSchema,
  weightSharing: weightSharingReportSchema.nullable(),
});

/** `design.json`. */
export type DesignJson = z.infer<typeof designJsonSchema>;

/** Validate a parsed `design.json`; `source` names the file in the one-line error. */
export function parseDesignJson(value: unknown, source: string): DesignJson {
  const parsed = designJsonSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map(String).join(".");
    throw new UserError(`${source}: ${where ? `${where}: ` : ""}${issue.message}`);
  }
  return parsed.data;
}

/** Read and validate `DIR/design.json`. */
export async function readDesignJson(dir: string): Promise<DesignJson> {
  const source = join(dir, "design.json");
  return parseDesignJson(await readJsonFile(source, "design description"), source);
}

/** Absolute paths of a design's Verilog files (design.json's `rtlFiles`), checked to exist. */
export async function designRtlPaths(dir: string, design: DesignJson): Promise<string[]> {
  const paths: string[] = [];
  for (const name of design.rtlFiles) {
    const path = resolve(dir, name);
    const found = await Deno.stat(path).then((info) => info.isFile, () => false);
    if (!found) {
      throw new UserError(
        `${join(dir, "design.json")}: rtlFiles: ${name} does not exist in the design directory`,
      );
    }
    paths.push(path);
  }
  return paths;
}
