/**
 * `deriveDesign`: everything a generated accelerator is, as plain data, from a quantized model
 * and an accelerator configuration: the geometry, the encoded weight images, the auxiliary
 * memories, every RTL parameter, memory sizes, the work per step and the cycle estimate. Pure:
 * rendering and file writing live in `generate.ts`.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";
import type { FixedFormat, QuantizedModel } from "../model/fixed.ts";
import {
  type EncodedImage,
  encodeSegments,
  shareWeights,
  type WeightSharingReport,
} from "../encode/mod.ts";
import { outputSize } from "../model/model.ts";
import type { AcceleratorConfig } from "./config.ts";
import {
  auxMemories,
  type AuxMemory,
  type Geometry,
  type HardwareSegment,
  hardwareSegments,
  modelGeometry,
} from "./hardware.ts";
import { type CycleEstimate, estimateCycles } from "./timing.ts";
import { type BlockScore, chooseBlock } from "./block_choice.ts";

/**
 * Element-wise pipeline latency (issue to readable) of the RTL units: the source of the number
 * for the cycle model and the controller (parameter EW_LAT); the units check it against their
 * pipeline (PIPELINE_LATENCY of rnnfab_ew_lstm.v, rnnfab_ew_gru.v) and tests/rtl_ew_test.ts
 * measures it.
 */
export const EW_LATENCY = { lstm: 9, gru: 8 } as const;

/**
 * Deepest PE state memory left to LUT RAM (parameter LUT_RAM_DEPTH of rnnfab_pe.v); deeper ones
 * are marked block RAM. The synthesis checks use the same number (docs/synthesis.md).
 */
export const LUT_RAM_DEPTH = 64;

/**
 * The primary numeric parameters of the generated RTL (names as in rtl-templates/); the widths
 * derived from them are localparams of the cores (rnnfab_pkg.vh, docs/architecture.md).
 */
export interface RtlParameters {
  N: number;
  LAYERS: number;
  IN0: number;
  H: number;
  P: number;
  O: number;
  K: number;
  KP: number;
  KO: number;
  FORMAT: number;
  GRU: number;
  PEEP: number;
  PROJ: number;
  AB: number;
  AF: number;
  WB: number;
  WF: number;
  ACC: number;
  SIG_S: number;
  SIG_R: number;
  TANH_S: number;
  TANH_R: number;
  EW_LAT: number;
  LUT_RAM_DEPTH: number;
  IDX_BITS: number;
  VAL_BITS: number;
  CODEBOOK: number;
  PTR_W: number;
  QUEUE_DEPTH: number;
  IDX_W: number;
  HDR_ROW_BITS: number;
  HDR_COL_BITS: number;
  MAX_ROWS: number;
  BLOCK_COLS: number;
}

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

/**
 * What a memory holds, for the synthesis mapping check (synth/): weight, pointer and index
 * memories belong in block RAM; `table` are the activation tables and the codebook; `constants`
 * the bias and peephole ROMs.
 */
export type MemoryRole = "weights" | "pointers" | "index" | "table" | "constants";

/** RTL memory name and role of each memory kind of design.json. */
export const MEMORY_RTL: Record<string, { rtlName: string; role: MemoryRole }> = {
  weights: { rtlName: "weight_mem", role: "weights" },
  pointers: { rtlName: "pointer_mem", role: "pointers" },
  index: { rtlName: "index_mem", role: "index" },
  codebook: { rtlName: "codebook_rom", role: "table" },
  bias: { rtlName: "bias_rom", role: "constants" },
  peephole: { rtlName: "peep_rom", role: "constants" },
  sigmoid: { rtlName: "table_rom", role: "table" },
  tanh: { rtlName: "table_rom", role: "table" },
};

/** One memory of the design, for design.json. */
export interface DesignMemory {
  /** File in mem/. */
  file: string;
  /** weights, pointers, index, codebook, bias, peephole, sigmoid, tanh. */
  kind: string;
  /** Name of the memory in the RTL module that loads the file (e.g. `weight_mem`). */
  rtlName: string;
  /** What it holds (see `MemoryRole`). */
  role: MemoryRole;
  /** Owning PE or null. */
  pe: number | null;
  /** Used words. */
  depth: number;
  /** Word width. */
  width: number;
  /** depth * width. */
  bits: number;
}

/** Everything about a generated design. */
export interface DesignParams {
  /** Top module name. */
  top: "rnnfab_top";
  /** Model shape. */
  model: {
    kind: "lstm" | "gru";
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    projSize: number;
    outputSize: number;
    peepholes: boolean;
  };
  /** The resolved number formats. */
  fixed: FixedFormat;
  /** The accelerator options as used. */
  accelerator: {
    pes: number;
    format: "ese" | "bcr";
    indexBits: number | null;
    codebookBits: number | null;
    blockRows: number | null;
    blockCols: number | null;
    /** bcr: how the block was set (given, or chosen and its score). */
    blockChoice: BlockChoice | null;
    weightBits: number;
    weightFrac: number;
    activationBits: number;
    activationFrac: number;
    accumulatorBits: number;
    queueDepth: number | null;
    clockMhz: number;
    maxMemoryBits: number | null;
  };
  /** How the model maps onto the PEs. */
  geometry: Geometry;
  /** RTL parameters. */
  rtl: RtlParameters;
  /** Per-PE parameters. */
  peParameters: PeParameters[];
  /** The segments as encoded (name, layer, part, shape). */
  segments: { name: string; layer: number; part: string; rows: number; cols: number }[];
  /** Every memory image. */
  memories: DesignMemory[];
  /** Bits by kind and in total. */
  memoryBits: {
    weightImage: number;
    bias: number;
    peephole: number;
    tables: number;
    total: number;
  };
  /** Work per time step. */
  work: {
    /** Useful multiply-accumulates per step (non-zero weights of all layers). */
    nonZerosPerStep: number;
    /** Weight-memory words walked per step, all PEs (padding or kept zeros included). */
    entriesPerStep: number;
    /** Per PE: weight-memory words walked per step. */
    peEntries: number[];
    /** Ideal cycles per step: nonZerosPerStep / N. */
    idealCyclesPerStep: number;
  };
  /** Analytical cycle estimate. */
  estimate: CycleEstimate;
  /** Weight sharing report (ese with a codebook). */
  weightSharing: WeightSharingReport | null;
  /** The integer model the hardware holds (after weight sharing). */
  quantized: QuantizedModel;
  /** The encoded weight image. */
  image: EncodedImage;
  /** Biases, peepholes, tables. */
  auxMemories: AuxMemory[];
  /** The hardware segments (matrices) that were encoded. */
  hardwareSegments: HardwareSegment[];
}

/** How the bcr block was set. */
export interface BlockChoice {
  /** Block height. */
  rows: number;
  /** Block width. */
  cols: number;
  /** "given" (both sides configured) or "chosen" (block_choice.ts scored candidates). */
  how: "given" | "chosen";
  /** The winning score (chosen only): approximate cycles of the busiest PE and memory words. */
  score: BlockScore | null;
}

/** Resolve the bcr block: the configured sides, the missing ones chosen from the model. */
export function resolveBlock(
  model: QuantizedModel,
  geometry: Geometry,
  config: AcceleratorConfig,
): BlockChoice {
  if (config.blockRows !== undefined && config.blockCols !== undefined) {
    return { rows: config.blockRows, cols: config.blockCols, how: "given", score: null };
  }
  const matrices = hardwareSegments(model, geometry, "ese", 1).map((segment) => segment.matrix);
  const score = chooseBlock(matrices, config.pes, {
    rows: config.blockRows,
    cols: config.blockCols,
  });
  return { rows: score.rows, cols: score.cols, how: "chosen", score };
}

/**
 * Derive a design: share weights (ese codebook), build the hardware segments, encode them,
 * compute every parameter, memory size and the cycle estimate. Throws a UserError for
 * impossible configurations (memory limit exceeded, formats too narrow).
 */
export function deriveDesign(model: QuantizedModel, requested: AcceleratorConfig): DesignParams {
  let held = model;
  let weightSharing: WeightSharingReport | null = null;
  let codebook: { bits: number; values: Int32Array } | undefined;
  if (requested.format === "ese" && requested.codebookBits !== undefined) {
    const shared = shareWeights(model, requested.codebookBits);
    held = shared.model;
    weightSharing = shared.report;
    codebook = { bits: requested.codebookBits, values: shared.codebook };
  }
  const geometry = modelGeometry(held, requested.pes);
  const blockChoice = requested.format === "bcr" ? resolveBlock(held, geometry, requested) : null;
  const config: AcceleratorConfig = blockChoice
    ? { ...requested, blockRows: blockChoice.rows, blockCols: blockChoice.cols }
    : requested;
  const segments = hardwareSegments(held, geometry, config.format, config.blockCols ?? 1);
  const format = held.format;
  const image = config.format === "ese"
    ? encodeSegments(segments, {
      format: "ese",
      pes: config.pes,
      indexBits: config.indexBits,
      weightBits: format.weightBits,
      codebook,
    })
    : encodeSegments(segments, {
      format: "bcr",
      pes: config.pes,
      blockRows: config.blockRows ?? 1,
      blockCols: config.blockCols ?? 1,
      weightBits: format.weightBits,
    });
  const aux = auxMemories(held, geometry);
  const rtl = rtlParameters(held, geometry, config, image);
  const peParameters = image.peMemories.map((memory, pe): PeParameters => ({
    pe,
    weightDepth: memory.weights.length,
    pointerDepth: Math.max(1, memory.pointers.length),
    indexDepth: Math.max(1, memory.index.length),
  }));
  const memories: DesignMemory[] = [
    ...image.manifest.memories.map(({ file, kind, pe, depth, width, bits }) => ({
      file,
      kind,
      ...MEMORY_RTL[kind],
      pe,
      depth,
      width,
      bits,
    })),
    ...aux.map(({ file, kind, pe, depth, width, bits }) => ({
      file,
      kind,
      ...MEMORY_RTL[kind],
      pe,
      depth,
      width,
      bits,
    })),
  ];
  const sumBits = (kinds: string[]) =>
    aux.filter((m) => kinds.includes(m.kind)).reduce((sum, m) => sum + m.bits, 0);
  const memoryBits = {
    weightImage: image.manifest.totalBits,
    bias: sumBits(["bias"]),
    peephole: sumBits(["peephole"]),
    tables: sumBits(["sigmoid", "tanh"]),
    total: 0,
  };
  memoryBits.total = memoryBits.weightImage + memoryBits.bias + memoryBits.peephole +
    memoryBits.tables;
  if (config.maxMemoryBits !== undefined && memoryBits.total > config.maxMemoryBits) {
    throw new UserError(
      `the design needs ${memoryBits.total} memory bits, more than maxMemoryBits ` +
        `(${config.maxMemoryBits}); use fewer weights, a sparser model or a larger limit`,
    );
  }
  const peEntries = image.manifest.perPe.map((pe) => pe.entries);
  const nonZerosPerStep = image.manifest.nonZeros;
  const estimate = estimateCycles({ rtl, image, clockMhz: config.clockMhz });
  return {
    top: "rnnfab_top",
    model: {
      kind: held.kind,
      inputSize: held.inputSize,
      hiddenSize: held.hiddenSize,
      numLayers: held.numLayers,
      projSize: held.projSize,
      outputSize: outputSize(held),
      peepholes: held.layers.some((layer) => layer.peephole !== undefined),
    },
    fixed: format,
    accelerator: {
      pes: config.pes,
      format: config.format,
      indexBits: config.format === "ese" ? config.indexBits : null,
      codebookBits: config.format === "ese" ? config.codebookBits ?? null : null,
      blockRows: config.format === "bcr" ? config.blockRows ?? null : null,
      blockCols: config.format === "bcr" ? config.blockCols ?? null : null,
      blockChoice,
      weightBits: format.weightBits,
      weightFrac: format.weightFrac,
      activationBits: format.activationBits,
      activationFrac: format.activationFrac,
      accumulatorBits: format.accumulatorBits,
      queueDepth: config.format === "ese" ? config.queueDepth : null,
      clockMhz: config.clockMhz,
      maxMemoryBits: config.maxMemoryBits ?? null,
    },
    geometry,
    rtl,
    peParameters,
    segments: segments.map((s) => ({
      name: s.name,
      layer: s.layer,
      part: s.part,
      rows: s.matrix.rows,
      cols: s.matrix.cols,
    })),
    memories,
    memoryBits,
    work: {
      nonZerosPerStep,
      entriesPerStep: peEntries.reduce((a, b) => a + b, 0),
      peEntries,
      idealCyclesPerStep: nonZerosPerStep / config.pes,
    },
    estimate,
    weightSharing,
    quantized: held,
    image,
    auxMemories: aux,
    hardwareSegments: segments,
  };
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
  const bcr = config.format === "bcr";
  const blockCols = bcr ? config.blockCols ?? 1 : 1;
  const ese = image.manifest.ese;
  const layout = image.manifest.bcr;
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
    EW_LAT: EW_LATENCY[model.kind],
    LUT_RAM_DEPTH,
    IDX_BITS: ese ? config.indexBits : 1,
    VAL_BITS: ese ? ese.valueBits : f.weightBits,
    CODEBOOK: image.manifest.codebookBits !== null ? 1 : 0,
    PTR_W: ese ? ese.pointerWidth : 1,
    QUEUE_DEPTH: config.queueDepth,
    IDX_W: layout ? layout.indexWidth : 1,
    HDR_ROW_BITS: layout ? layout.headerRowBits : 1,
    HDR_COL_BITS: layout ? layout.headerColBits : 1,
    MAX_ROWS: bcr ? Math.ceil((config.blockRows ?? 1) / N) : 1,
    BLOCK_COLS: blockCols,
  };
}
