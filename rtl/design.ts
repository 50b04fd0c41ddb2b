/**
 * `deriveDesign`: everything a generated accelerator is, as plain data, from a quantized model
 * and an accelerator configuration: the encoded weight image (`encodeModel`, the encoder of
 * `deno task encode`), the geometry, the auxiliary memories, every RTL parameter, memory sizes,
 * the work per step and the cycle estimate. Pure: rendering and file writing live in
 * `generate.ts`; the design.json schema in `design_schema.ts`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import {
  type EncodedImage,
  encodeModel,
  type HardwareSegment,
  type ModelEncodeOptions,
} from "../encode/mod.ts";
import { outputSize } from "../model/model.ts";
import { fixedThresholds } from "../model/delta.ts";
import { bitsFor } from "../util/bits.ts";
import { type AcceleratorConfig, checkBusStage, checkEwGroup, checkStreamWords } from "./config.ts";
import {
  type DesignDelta,
  type DesignJson,
  type DesignMemory,
  type Geometry,
  type MemoryRole,
  type RtlParameters,
  TOP_MODULE,
} from "./design_schema.ts";
import { auxMemories, type AuxMemory, modelGeometry } from "./hardware.ts";
import { estimateCycles } from "./timing.ts";
import { estimateDeltaCycles } from "./delta_timing.ts";

/**
 * Element-wise pipeline latency (issue to readable) of the RTL units: the source of the number
 * for the cycle model and the controller (parameter EW_LAT); the units check it against their
 * pipeline (PIPELINE_LATENCY of rnnfab_ew_lstm.v, rnnfab_ew_gru.v) and tests/rtl_ew_test.ts
 * measures it.
 */
export const EW_LATENCY = { lstm: 40, gru: 31 } as const;

/**
 * Cycles from a cell's S1 to the cycle its c(t) is written (port c_we of rnnfab_ew_lstm.v); c is
 * read again only in the next time step, so the cycle model does not need it. tests/rtl_ew_test.ts
 * checks it.
 */
export const EW_C_WRITE = 20;

/** Latency of the activation unit (LATENCY of rnnfab_act.v), x to y; tests/rtl_act_test.ts. */
export const ACT_LATENCY = 8;

/**
 * Deepest PE state memory left to LUT RAM (parameter LUT_RAM_DEPTH of rnnfab_pe.v); deeper ones
 * are marked block RAM. The synthesis checks use the same number (docs/synthesis.md).
 */
export const LUT_RAM_DEPTH = 64;

/** Per-PE parameters (memory depths). */
export interface PeParameters {
  /** PE number. */
  pe: number;
  /** Used words of its weight memory. */
  weightDepth: number;
  /** ese: words of its pointer memory (1 for bcr, unused). */
  pointerDepth: number;
  /** bcr: words of its index memory (1 for ese, unused). */
  indexDepth: number;
}

/** RTL memory name and role of each memory kind of design.json. */
export const MEMORY_RTL: Record<DesignMemory["kind"], { rtlName: string; role: MemoryRole }> = {
  weights: { rtlName: "weight_mem", role: "weights" },
  pointers: { rtlName: "pointer_mem", role: "pointers" },
  index: { rtlName: "index_mem", role: "index" },
  codebook: { rtlName: "codebook_rom", role: "table" },
  bias: { rtlName: "bias_rom", role: "constants" },
  peephole: { rtlName: "peep_rom", role: "constants" },
  sigmoid: { rtlName: "table_rom", role: "table" },
  tanh: { rtlName: "table_rom", role: "table" },
};

/**
 * Everything about a generated design: the fields of design.json it is derived with, plus what
 * the files are written from (the integer model the hardware holds after weight sharing, the
 * encoded weight image and the hardware segments it encodes, the auxiliary memories) and the
 * per-PE memory depths.
 */
export interface DesignParams extends
  Pick<
    DesignJson,
    | "top"
    | "model"
    | "fixed"
    | "accelerator"
    | "geometry"
    | "rtl"
    | "segments"
    | "memories"
    | "memoryBits"
    | "work"
    | "estimate"
    | "weightSharing"
    | "delta"
    | "cellBalance"
  > {
  /** Per-PE parameters. */
  peParameters: PeParameters[];
  /** The integer model the hardware holds (after weight sharing). */
  quantized: QuantizedModel;
  /** The encoded weight image. */
  image: EncodedImage;
  /** Biases, peepholes, tables. */
  auxMemories: AuxMemory[];
  /** The hardware segments (matrices) that were encoded. */
  hardwareSegments: HardwareSegment[];
}

/** The encoder options of an accelerator configuration (the format's options only). */
export function encodeOptions(config: AcceleratorConfig): ModelEncodeOptions {
  return config.format === "ese"
    ? {
      format: "ese",
      pes: config.pes,
      indexBits: config.indexBits,
      lanes: config.lanes,
      codebookBits: config.codebookBits,
    }
    : {
      format: "bcr",
      pes: config.pes,
      block: { rows: config.blockRows, cols: config.blockCols },
      lanes: config.lanes,
      codebookBits: config.codebookBits,
    };
}

/** Every memory image of a design with its RTL name and role: the encoder's, then the others. */
function designMemories(image: EncodedImage, aux: AuxMemory[]): DesignMemory[] {
  return [...image.manifest.memories, ...aux].map(({ file, kind, pe, depth, width, bits }) => ({
    file,
    kind,
    ...MEMORY_RTL[kind],
    pe,
    depth,
    width,
    bits,
  }));
}

/** Memory bits by kind; throws a UserError beyond the configured limit. */
function memoryBitsOf(
  image: EncodedImage,
  aux: AuxMemory[],
  limit: number | undefined,
): DesignJson["memoryBits"] {
  const sumBits = (kinds: string[]) =>
    aux.filter((m) => kinds.includes(m.kind)).reduce((sum, m) => sum + m.bits, 0);
  const parts = {
    weightImage: image.manifest.totalBits,
    bias: sumBits(["bias"]),
    peephole: sumBits(["peephole"]),
    tables: sumBits(["sigmoid", "tanh"]),
  };
  const total = parts.weightImage + parts.bias + parts.peephole + parts.tables;
  if (limit !== undefined && total > limit) {
    throw new UserError(
      `the design needs ${total} memory bits, more than maxMemoryBits ` +
        `(${limit}); use fewer weights, a sparser model or a larger limit`,
    );
  }
  return { ...parts, total };
}

/** The accelerator options as used (design.json's `accelerator`). */
function acceleratorOf(
  config: AcceleratorConfig,
  held: QuantizedModel,
  blockChoice: DesignJson["accelerator"]["blockChoice"],
): DesignJson["accelerator"] {
  const format = held.format;
  const ese = config.format === "ese";
  return {
    pes: config.pes,
    format: config.format,
    indexBits: ese ? config.indexBits : null,
    codebookBits: config.codebookBits ?? null,
    blockRows: ese ? null : config.blockRows ?? null,
    blockCols: ese ? null : config.blockCols ?? null,
    blockChoice,
    lanes: config.lanes,
    broadcast: config.broadcast,
    batch: config.batch,
    ewGroup: config.ewGroup ?? 1,
    outWords: config.outWords ?? 1,
    inWords: config.inWords ?? 1,
    // written only when off, so that a design.json of an earlier version still verifies
    earlyInput: config.earlyInput === false ? false : undefined,
    readAheadM: config.readAheadM === false || config.readAheadM === 4
      ? config.readAheadM
      : undefined,
    projQueue: config.projQueue === false ? false : undefined,
    // written only when on (absent: off, as in files before session 32)
    busStage: config.busStage === true ? true : undefined,
    weightBits: format.weightBits,
    weightFrac: format.weightFrac,
    activationBits: format.activationBits,
    activationFrac: format.activationFrac,
    accumulatorBits: format.accumulatorBits,
    queueDepth: ese ? config.queueDepth : null,
    clockMhz: config.clockMhz,
    maxMemoryBits: config.maxMemoryBits ?? null,
  };
}

/**
 * Derive a design: encode the model (weight sharing, hardware segments, block choice), compute
 * every parameter, memory size and the cycle estimate. Throws a UserError for impossible
 * configurations (memory limit exceeded, formats too narrow).
 */
export function deriveDesign(model: QuantizedModel, requested: AcceleratorConfig): DesignParams {
  const encoded = encodeModel(model, encodeOptions(requested));
  const { image, block } = encoded;
  const held = encoded.model;
  const config: AcceleratorConfig = block
    ? { ...requested, blockRows: block.rows, blockCols: block.cols }
    : requested;
  checkStreamWords(config, "config");
  checkEwGroup(config, "config");
  checkBusStage(config, "config");
  const geometry = modelGeometry(held, config.pes, config.lanes);
  const aux = auxMemories(held, geometry, config.ewGroup ?? 1);
  const delta = designDelta(held, config, encoded.segments);
  const rtl = rtlParameters(held, geometry, config, image);
  const peEntries = image.manifest.perPe.map((pe) => pe.entries);
  const nonZerosPerStep = image.manifest.nonZeros;
  return {
    top: TOP_MODULE,
    model: {
      kind: held.kind,
      inputSize: held.inputSize,
      hiddenSize: held.hiddenSize,
      numLayers: held.numLayers,
      projSize: held.projSize,
      outputSize: outputSize(held),
      peepholes: held.layers.some((layer) => layer.peephole !== undefined),
    },
    fixed: held.format,
    accelerator: acceleratorOf(config, held, block),
    geometry,
    rtl,
    peParameters: image.peMemories.map((memory, pe): PeParameters => ({
      pe,
      weightDepth: Math.ceil(memory.weights.length / image.manifest.lanes),
      pointerDepth: Math.max(1, memory.pointers.length),
      indexDepth: Math.max(1, memory.index.length),
    })),
    segments: encoded.segments.map((s) => ({
      name: s.name,
      layer: s.layer,
      part: s.part,
      rows: s.matrix.rows,
      cols: s.matrix.cols,
    })),
    memories: designMemories(image, aux),
    memoryBits: memoryBitsOf(image, aux, config.maxMemoryBits),
    work: {
      nonZerosPerStep,
      entriesPerStep: peEntries.reduce((a, b) => a + b, 0),
      peEntries,
      idealCyclesPerStep: nonZerosPerStep / (config.pes * config.lanes),
    },
    estimate: delta
      ? estimateDeltaCycles({ rtl, image, delta, clockMhz: config.clockMhz })
      : estimateCycles({ rtl, image, clockMhz: config.clockMhz }),
    weightSharing: encoded.sharing?.report ?? null,
    ...(delta ? { delta } : {}),
    quantized: held,
    image,
    auxMemories: aux,
    hardwareSegments: encoded.segments,
  };
}

/**
 * Cycles the element-wise unit's input comes later in a design whose accumulator banks are read
 * one gate field a cycle (`ACC_SERIAL`, rnnfab_acc_serial.v: a cell's four gate fields take four
 * reads, the unit takes the cell after the last).
 */
export const ACC_SERIAL_DELAY = 3;

/**
 * Cycles the element-wise unit's input comes later in a design whose PEs share units in groups
 * (`EW_GROUP` > 1, rnnfab_ew_unit.v: the group's cell multiplexer and the ROM words are
 * registered once more, S1b).
 */
export const EW_GROUP_DELAY = 1;

/**
 * The cells of the memories M a delta PE reads a cycle ahead of the element-wise issue by default
 * (rtl MREAD, with early input and lanes; no more than the lanes; `readAheadM: 4` asks for four):
 * the engines' hold is K / MREAD - 3 cycles. On the ESE shape (K = 32) two take the hold from 29
 * to 13 cycles and four to 5, which with the projection's own queue (PQUEUE) gained 0.9% cycles
 * for about 900 LUTs a PE (docs/delta.md, "Reading M ahead").
 */
export const MREAD_CELLS = 2;

/**
 * The most PE engines (PEs times batch copies) whose idle bits the controller ANDs in its drained
 * test in one cycle; past it they are ANDed in registered groups first (rtl IDLE_PIPE: one cycle
 * more for every wait on the PEs; docs/timing.md).
 */
export const IDLE_PIPE_ENGINES = 4;

/**
 * Whether a design's accumulator banks are read one gate field a cycle (docs/architecture.md,
 * "Batch"): an LSTM with projection whose projection rows are the banks' fifth field (LUT RAM
 * banks, no delta), with a batch of at least 4, so that each batch copy gets a cell every 4 or more
 * cycles of the shared element-wise unit.
 */
export function accumulatorsSerial(
  model: QuantizedModel,
  config: AcceleratorConfig,
  cellsPerPe: number,
  projRowsPerPe: number,
): boolean {
  const bankDepth = Math.ceil(Math.max(cellsPerPe, projRowsPerPe) / config.lanes);
  return model.kind === "lstm" && model.projSize > 0 && !config.delta && config.batch >= 4 &&
    bankDepth <= LUT_RAM_DEPTH;
}

/** The RTL parameters of a design. */
export function rtlParameters(
  model: QuantizedModel,
  geometry: Geometry,
  config: AcceleratorConfig,
  image: EncodedImage,
): RtlParameters {
  const f = model.format;
  const N = config.pes;
  const L = model.numLayers;
  const K = geometry.cellsPerPe;
  const KP = geometry.projRowsPerPe;
  const KO = geometry.outputsPerPe;
  const proj = model.projSize > 0;
  const earlyInput = config.delta?.thetaM !== undefined && proj && config.earlyInput !== false;
  const bcr = config.format === "bcr";
  const blockCols = bcr ? config.blockCols ?? 1 : 1;
  const ese = image.manifest.ese;
  const layout = image.manifest.bcr;
  const serial = accumulatorsSerial(model, config, K, KP);
  return {
    N,
    LAYERS: L,
    IN0: model.inputSize,
    H: model.hiddenSize,
    P: model.projSize,
    O: geometry.outputSize,
    K,
    KP,
    KO,
    FORMAT: bcr ? 1 : 0,
    GRU: model.kind === "gru" ? 1 : 0,
    PEEP: model.layers.some((layer) => layer.peephole !== undefined) ? 1 : 0,
    PROJ: proj ? 1 : 0,
    AB: f.activationBits,
    AF: f.activationFrac,
    WB: f.weightBits,
    WF: f.weightFrac,
    ACC: f.accumulatorBits,
    SIG_S: f.sigmoid.stepLog2,
    SIG_R: f.sigmoid.rangeLog2,
    TANH_S: f.tanh.stepLog2,
    TANH_R: f.tanh.rangeLog2,
    EW_LAT: EW_LATENCY[model.kind] + (serial ? ACC_SERIAL_DELAY : 0) +
      ((config.ewGroup ?? 1) > 1 ? EW_GROUP_DELAY : 0),
    LUT_RAM_DEPTH,
    IDX_BITS: ese ? config.indexBits : 1,
    VAL_BITS: ese ? ese.valueBits : layout ? layout.weightWidth : f.weightBits,
    CODEBOOK: image.manifest.codebookBits !== null ? 1 : 0,
    PTR_W: ese ? ese.pointerWidth : 1,
    QUEUE_DEPTH: config.queueDepth,
    IDX_W: layout ? layout.indexWidth : 1,
    HDR_ROW_BITS: layout ? layout.headerRowBits : 1,
    HDR_COL_BITS: layout ? layout.headerColBits : 1,
    MAX_ROWS: !bcr
      ? 1
      : config.lanes === 1
      ? Math.ceil((config.blockRows ?? 1) / N)
      : Math.max(1, layout?.maxBlockLines ?? 1),
    BLOCK_COLS: blockCols,
    LANES: config.lanes,
    BCAST: config.broadcast,
    BATCH: config.batch,
    EW_GROUP: config.ewGroup ?? 1,
    OUT_WORDS: config.outWords ?? 1,
    IN_WORDS: config.inWords ?? 1,
    ACC_SERIAL: serial ? 1 : 0,
    DELTA: config.delta ? 1 : 0,
    // the PEs' pointer memory address width (PM_W of rnnfab_mv_ese.v; every PE's has one depth)
    DPTR_W: config.delta ? bitsFor(Math.max(1, image.peMemories[0].pointers.length) - 1) : 1,
    // the next step's input part early, in the projection phase (docs/delta.md, "Early input")
    XEARLY: earlyInput ? 1 : 0,
    // with early input and lanes, the element-wise issue's reads of M, MREAD_CELLS cells a
    // cycle (docs/delta.md); it only shortens the hold that early input needs
    // with early input and one layer, a queue of the projection's own in every PE: the
    // projection, which the next step's recurrent part waits for, does not wait behind the next
    // step's input part (docs/delta.md)
    PQUEUE: earlyInput && model.layers.length === 1 && config.projQueue !== false ? 1 : 0,
    MREAD: earlyInput && config.lanes >= 2 && config.readAheadM !== false
      ? Math.min(config.readAheadM === 4 ? 4 : MREAD_CELLS, config.lanes)
      : 1,
    // past IDLE_PIPE_ENGINES engines the AND of every PE's idle bits is registered in groups
    // before the controller's drained test (the 8- and 16-PE LSTMP's critical path, docs/timing.md)
    IDLE_PIPE: N * config.batch > IDLE_PIPE_ENGINES ? 1 : 0,
    // the bus and the bank read data registered once more in every PE (docs/architecture.md)
    BUS_STAGE: config.busStage === true ? 1 : 0,
  };
}

/**
 * The delta part of a design (docs/delta.md, "Hardware"), or undefined for a dense one: the
 * thresholds in activation LSBs, clamped to 2^AB - 1 (a delta of AB + 1 bits never exceeds it, so
 * a larger threshold fires as rarely), and the pointer address of every layer's x, h and
 * projection segments (ese: C + 1 words per segment, in encoding order).
 */
export function designDelta(
  model: QuantizedModel,
  config: AcceleratorConfig,
  segments: HardwareSegment[],
): DesignDelta | undefined {
  if (!config.delta) return undefined;
  if (config.batch > 1) {
    throw new UserError("config: delta needs batch 1 (every sequence has its own v_hat and M)");
  }
  if (config.broadcast > 1 && model.projSize > 0 && config.delta.thetaM === undefined) {
    throw new UserError(
      "config: broadcast > 1 with delta and a projection needs delta.thetaM (without it the " +
        "projection columns pass to the PEs one per cycle)",
    );
  }
  if (config.delta.thetaM !== undefined && model.projSize > model.hiddenSize) {
    throw new UserError(
      `config: delta.thetaM needs a projection no larger than the cells (${model.projSize} > ` +
        `${model.hiddenSize}: the projection memories share the gate memories' addresses)`,
    );
  }
  const f = model.format;
  const thresholds = fixedThresholds(config.delta, {
    numLayers: model.numLayers,
    activationFrac: f.activationFrac,
    source: "config",
    projection: model.kind === "lstm" && model.projSize > 0,
  });
  const most = 2 ** f.activationBits - 1;
  const clamp = (values: number[]) => values.map((v) => Math.min(v, most));
  const base = { x: [] as number[], h: [] as number[], proj: [] as number[] };
  let address = 0;
  for (const segment of segments) {
    base[segment.part][segment.layer] = address;
    address += segment.matrix.cols + 1;
  }
  return {
    thetaX: clamp(thresholds.thetaX),
    thetaH: clamp(thresholds.thetaH),
    ...(thresholds.thetaM ? { thetaM: clamp(thresholds.thetaM) } : {}),
    pointerBase: {
      x: base.x,
      h: base.h,
      proj: model.layers.map((_, l) => base.proj[l] ?? 0),
    },
  };
}
