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
import { sameFields } from "../util/schema.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { readJsonFile } from "../model/inputs.ts";
import { fixedFormatSchema } from "../model/quantized_io.ts";
import {
  blockChoiceSchema,
  manifestSchema,
  memoryKindSchema,
  weightSharingReportSchema,
} from "../encode/mod.ts";

const int = z.number().int();
const count = int.nonnegative();
const positive = int.positive();

/** The top module of every generated design. */
export const TOP_MODULE = "rnnfab_top";

/** The processing-element module, instantiated once per PE under the top. */
export const PE_MODULE = "rnnfab_pe";

/**
 * The primary numeric parameters of the generated RTL (names as in rtl-templates/); each
 * described once, here: `renderTop` writes the descriptions as comments of the top's
 * localparams. The widths derived from them are computed in the cores (rnnfab_pkg.vh,
 * docs/architecture.md, "Parameters").
 */
export const rtlParametersSchema = z.object({
  N: int.describe("number of PEs"),
  LAYERS: int.describe("number of layers"),
  IN0: int.describe("input size of layer 0"),
  H: int.describe("cells per layer"),
  P: int.describe("projection size (0: none)"),
  O: int.describe("output size of a layer"),
  K: int.describe("cells per PE, ceil(H / N) rounded up to a multiple of LANES"),
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
  LUT_RAM_DEPTH: int.describe("deepest state memory left to LUT RAM"),
  IDX_BITS: int.describe("ese relative row index width"),
  VAL_BITS: int.describe(
    "weight field width: ese value field, bcr weight slot (WB, or the code width)",
  ),
  CODEBOOK: int.describe("codebook present (weights stored as codes)"),
  PTR_W: int.describe("ese pointer width"),
  QUEUE_DEPTH: int.describe("ese activation queue depth"),
  IDX_W: int.describe("bcr index word width"),
  HDR_ROW_BITS: int.describe("bcr header rowCount width"),
  HDR_COL_BITS: int.describe("bcr header colCount width"),
  MAX_ROWS: int.describe("bcr most row (line) words of a block record of one PE"),
  BLOCK_COLS: int.describe("bcr segment width"),
  LANES: int.describe("MAC lanes: weights per weight word (bcr, ese lines), multipliers per PE"),
  BCAST: int.default(1).describe("bcr columns per broadcast beat (divides N)"),
  DELTA: int.default(0).describe("delta activations (ese): 1 skips the columns that did not fire"),
  DPTR_W: int.default(1).describe("delta: pointer memory address width of a fired column"),
  XEARLY: int.default(0).describe(
    "delta with theta_m: 1 broadcasts layer 0's next input part in the projection phase",
  ),
  PQUEUE: int.default(0).describe(
    "XEARLY, one layer: 1 queues projection columns apart in each PE and takes them first",
  ),
  MREAD: int.default(1).describe(
    "XEARLY with lanes: cells of the memories M read a cycle ahead of the element-wise issue " +
      "(2 or 4; mac_hold K / MREAD - 3 cycles); 1: no read-ahead",
  ),
  IDLE_PIPE: int.default(0).describe(
    "1: the PEs' idle bits ANDed in registered groups of four before the drained test (one " +
      "cycle more per wait; more than 4 engines); 0: one AND in the drained test",
  ),
  BUS_STAGE: int.default(0).describe(
    "1 (dense ese): every PE registers the bus and its bank read data once more (a column a " +
      "cycle later; each queue one entry more); 0: none",
  ),
  BATCH: int.default(1).describe("sequences sharing every weight read (B elements per beat)"),
  EW_GROUP: int.default(1).describe(
    "PEs sharing one element-wise unit (divides N; EW_LAT 1 longer past 1)",
  ),
  OUT_WORDS: int.default(1).describe("output stream elements per beat (divides N; batch 1)"),
  IN_WORDS: int.default(1).describe("input stream elements per beat (divides BCAST; batch 1)"),
  ACC_SERIAL: int.default(0).describe(
    "1: accumulator banks read one gate field a cycle (rnnfab_acc_serial; EW_LAT 3 longer)",
  ),
});

/**
 * design.json's `delta` (delta designs only, docs/delta.md): the thresholds per layer in
 * activation LSBs as the hardware holds them, and where each layer's segments start in the PEs'
 * pointer memories (ese, the same in every PE).
 */
export const designDeltaSchema = z.object({
  thetaX: z.array(z.number().int().nonnegative()),
  thetaH: z.array(z.number().int().nonnegative()),
  /** theta_m per layer: the projection input m is delta-coded (absent: the dense projection). */
  thetaM: z.array(z.number().int().nonnegative()).optional(),
  pointerBase: z.object({
    x: z.array(z.number().int().nonnegative()),
    h: z.array(z.number().int().nonnegative()),
    proj: z.array(z.number().int().nonnegative()),
  }),
});

/** design.json's `delta`. */
export type DesignDelta = z.infer<typeof designDeltaSchema>;

/** The thresholds of a delta design as the golden model takes them (fixed units). */
export function designThresholds(
  delta: Pick<DesignDelta, "thetaX" | "thetaH" | "thetaM">,
): { thetaX: number[]; thetaH: number[]; thetaM?: number[] } {
  const { thetaX, thetaH, thetaM } = delta;
  return thetaM ? { thetaX, thetaH, thetaM } : { thetaX, thetaH };
}

/** The numeric parameters of the generated RTL. */
export type RtlParameters = z.infer<typeof rtlParametersSchema>;

/**
 * What a memory holds, for the synthesis mapping check (synth/): weight, pointer and index
 * memories belong in block RAM; `table` are the activation tables and the codebook; `constants`
 * the bias and peephole ROMs.
 */
export const memoryRoleSchema = z.enum(["weights", "pointers", "index", "table", "constants"]);

/** What a memory holds. */
export type MemoryRole = z.infer<typeof memoryRoleSchema>;

/**
 * `design.json`: everything about a generated design that is not a file of its own.
 * - `top`, `peModule` (instantiated once per PE: what per-PE synthesis multiplies), the
 *   generator, a one-line description;
 * - `model`: kind, sizes, projection (0: none), a layer's output size, peepholes; `fixed`: the
 *   resolved number formats;
 * - `accelerator`: the options as used: PEs, weight format and its options (null where they do
 *   not apply), how the bcr block was set, the MAC lanes per PE (bcr, or ese lines), the
 *   columns per broadcast beat (bcr; 1 for ese), the batch (sequences per stream beat), the
 *   number formats, the ese queue depth, the
 *   clock used for microseconds, the memory limit (null: none);
 * - `geometry`: how the model maps onto N PEs (element e of any vector lives in PE e mod N at
 *   e div N): gate rows per cell (4 LSTM, 3 GRU), cells per PE K = ceil(H / N) (rounded up to a
 *   multiple of the lanes), H padded to
 *   K * N, projection rows per PE (1 without a projection), output elements per PE, each layer's
 *   input size, a layer's output size (P with a projection, else H), the longest vector
 *   broadcast in one phase;
 * - `rtl`: the RTL parameters; `rtlFiles`: the Verilog files relative to the design directory,
 *   top first; `memDir`: the folder of the memory images (the top's MEM_DIR);
 * - `memories`: every memory image: its file in mem/, kind, the name of the memory in the RTL
 *   module that loads it (e.g. `weight_mem`), its role, owning PE (null: shared), used words,
 *   word width, bits; `memoryBits`: by kind and in total;
 * - `perPe`: the encoder's per-PE counts (mem/manifest.json); `segments`: as encoded (name,
 *   layer, part x: W_ih, h: W_hh, proj: W_hr, shape);
 * - `work` per time step: useful multiply-accumulates (non-zero weights), weight-memory words
 *   walked over all PEs and per PE (padding or kept zeros included), the ideal cycles
 *   nonZerosPerStep / N;
 * - `estimate` (computed by the cycle model, rtl/timing.ts): cycles per steady-state step,
 *   cycles from reset release to the first step's last output beat, how a sequence's total
 *   follows, the method, the modelled cycle of each modelled step's last output beat, whether
 *   the step times had settled (then the formula is exact), where the cycles of a steady-state
 *   step go (matrix-vector phases, the element-wise step alone, the projection phase, other
 *   controller hops; they sum to the step), microseconds per step at the clock, the frames a step
 *   computes (the batch B: B sequences advance one step together, in the same cycles);
 * - `weightSharing`: the codebook report (ese with a codebook), else null;
 * - `tool`, `files`, `selfSha256`: the seal of gen (rtl/integrity.ts): "rnnfab gen", the SHA-256
 *   of every other file of the design, and of design.json's own text without `selfSha256`.
 */
export const designJsonSchema = z.object({
  top: z.literal(TOP_MODULE),
  peModule: z.literal(PE_MODULE),
  generator: z.object({ name: z.literal("rnnfab"), version: z.string() }),
  description: z.string(),
  model: sameFields(positive, "inputSize", "hiddenSize", "numLayers", "outputSize")
    .extend({ kind: z.enum(["lstm", "gru"]), projSize: count, peepholes: z.boolean() }),
  fixed: fixedFormatSchema,
  accelerator: z.object({
    ...sameFields(positive, "pes", "weightBits", "activationBits", "accumulatorBits").shape,
    ...sameFields(positive.nullable(), "indexBits", "codebookBits", "blockRows", "blockCols")
      .shape,
    format: z.enum(["ese", "bcr"]),
    blockChoice: blockChoiceSchema.nullable(),
    lanes: positive.default(1),
    broadcast: positive.default(1),
    batch: positive.default(1),
    ewGroup: positive.default(1),
    outWords: positive.default(1),
    inWords: positive.default(1),
    // delta designs with theta_m and a projection: written only when off (absent: on, as in files
    // before session 21)
    earlyInput: z.literal(false).optional(),
    readAheadM: z.union([z.literal(false), z.literal(4)]).optional(),
    projQueue: z.literal(false).optional(),
    busStage: z.literal(true).optional(),
    ...sameFields(int, "weightFrac", "activationFrac").shape,
    queueDepth: positive.nullable(),
    clockMhz: z.number().positive(),
    maxMemoryBits: z.number().positive().nullable(),
  }),
  geometry: sameFields(positive, "pes", "gates", "cellsPerPe", "paddedHidden", "projRowsPerPe")
    .extend(sameFields(positive, "outputsPerPe", "outputSize", "longestPhase").shape)
    .extend({ layerInputs: z.array(positive) }),
  rtl: rtlParametersSchema,
  rtlFiles: z.array(z.string().min(1)).min(1),
  memDir: z.string(),
  memories: z.array(
    sameFields(z.string().min(1), "file", "rtlName").extend({
      kind: z.enum([...memoryKindSchema.options, "bias", "peephole", "sigmoid", "tanh"]),
      role: memoryRoleSchema,
      pe: count.nullable(),
      ...sameFields(count, "depth", "bits").shape,
      width: positive,
    }),
  ),
  memoryBits: sameFields(count, "weightImage", "bias", "peephole", "tables", "total"),
  perPe: manifestSchema.shape.perPe,
  segments: z.array(
    sameFields(positive, "rows", "cols")
      .extend({ name: z.string(), layer: count, part: z.enum(["x", "h", "proj"]) }),
  ),
  work: sameFields(count, "nonZerosPerStep", "entriesPerStep").extend({
    peEntries: z.array(count),
    /** Non-zeros per step / (PEs x lanes): the cycles if every multiplier worked every cycle. */
    idealCyclesPerStep: z.number().nonnegative(),
  }),
  estimate: z.object({
    cyclesPerStep: z.number().positive(),
    firstStepCycles: positive,
    ...sameFields(z.string(), "totalCyclesFormula", "method").shape,
    stepEndCycles: z.array(positive),
    periodic: z.boolean(),
    breakdown: sameFields(count, "matvec", "elementwise", "projection", "other"),
    ...sameFields(z.number().positive(), "microsecondsPerStep", "clockMhz").shape,
    framesPerStep: positive.default(1),
    /** Delta designs: cycles per step with no column fired (cyclesPerStep: with every one). */
    noneFiredCyclesPerStep: z.number().positive().optional(),
  }),
  weightSharing: weightSharingReportSchema.nullable(),
  delta: designDeltaSchema.optional(),
  /**
   * `gen --balance-data`: every layer's cells renumbered so that the busiest PE's lines are fewest
   * on the columns that fired on the fitting sequences (rtl/cell_balance.ts); `order[c]` is the
   * model's cell at position c (quantized.json holds the renumbered model: the same function).
   */
  cellBalance: z.object({
    data: z.string(),
    sequences: count,
    frames: count,
    layers: z.array(
      z.object({
        order: z.array(count),
        ...sameFields(z.number().nonnegative(), "busiestBefore", "busiestAfter", "meanPe").shape,
        movedGroups: count,
        evaluations: count,
      }).nullable(),
    ),
  }).optional(),
  // The seal gen writes (rtl/integrity.ts, docs/reliability.md); verified before a design is used.
  tool: z.literal("rnnfab gen").optional(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  selfSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

/** `design.json`. */
export type DesignJson = z.infer<typeof designJsonSchema>;

/** How a model maps onto the PEs. */
export type Geometry = DesignJson["geometry"];

/** The cycle estimate of design.json. */
export type CycleEstimate = DesignJson["estimate"];

/** Cycles of one steady-state step by what the controller was doing. */
export type StepBreakdown = CycleEstimate["breakdown"];

/** One memory image of the design. */
export type DesignMemory = DesignJson["memories"][number];

/** Validate a parsed `design.json`; `source` names the file in the one-line error. */
export function parseDesignJson(value: unknown, source: string): DesignJson {
  return parseWithSchema(designJsonSchema, value, source);
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
