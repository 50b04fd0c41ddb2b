/**
 * The accelerator configuration of `deno task gen`: PE count, weight format and its options,
 * activation-queue depth, clock for reporting, memory limit, and the fixed-point fields. Validated
 * once, at the edge, with zod; every field has a default.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { DEFAULT_FIXED_CONFIG, type FixedPointConfig } from "../model/fixed.ts";
import { fixedConfigFields, fixedConfigFrom } from "../model/inputs.ts";
import { type DeltaConfig, deltaConfigSchema } from "../model/delta.ts";
import { MAC_LANE_COUNTS } from "../encode/manifest.ts";

/** The weight formats the generator builds hardware for. */
export type HardwareFormat = "ese" | "bcr";

/** A fully resolved accelerator configuration. */
export interface AcceleratorConfig {
  /** Number of processing elements N. */
  pes: number;
  /** Weight format: `ese` (column pointers + relative row index) or `bcr` (block-compact). */
  format: HardwareFormat;
  /** Clock frequency used to report microseconds (the RTL itself has no clock constraint). */
  clockMhz: number;
  /** ese: width of the relative row index of an entry. */
  indexBits: number;
  /** Optional weight sharing with a 2^k-word codebook (k = codebookBits), ese or bcr. */
  codebookBits?: number;
  /** ese: depth of each PE's activation queue (entries). */
  queueDepth: number;
  /** bcr: block height used by the encoding; absent: chosen from the model (block_choice.ts). */
  blockRows?: number;
  /** bcr: block width (also the width of a PE's column segment); absent: chosen. */
  blockCols?: number;
  /** MAC lanes L per PE (1, 2, 4, ..., 64): one weight word feeds L multipliers (bcr, ese). */
  lanes: number;
  /**
   * bcr, or ese with delta: columns per broadcast beat W (1, 2, 4, ..., 64, dividing `pes`): the
   * controller puts W vector elements on the bus per cycle. Default: the largest power of two up
   * to `lanes` and 16 that divides `pes` (`defaultBroadcast`); 1 for ese.
   */
  broadcast: number;
  /**
   * Independent sequences B (1, 2, 4, 8, 16) that share every weight read: each lane's
   * weight feeds B multipliers, each with its own activations, accumulators and state; the streams
   * carry B elements per beat (docs/architecture.md, "Batch").
   */
  batch: number;
  /**
   * PEs that share one element-wise unit G (1, 2, 4, 8, 16, dividing `pes`; dense designs): the
   * unit of a group's first PE takes the cells of all G in turn, so the element-wise step of a
   * layer takes G x K issue cycles instead of K, for G times fewer units, multipliers and
   * activation tables (docs/architecture.md, "Shared element-wise units"). Absent: 1.
   */
  ewGroup?: number;
  /**
   * Dense ese designs: every PE registers the broadcast bus and its bank read data once more (the
   * bus stage, rtl BUS_STAGE; docs/architecture.md, "Bus stage"), so that no route between the
   * controller and a PE ends in logic: for designs of many PEs, whose bus spans the chip. A column
   * reaches the engines a cycle later (about one cycle more per matrix-vector phase); each
   * engine's queue has one entry more. Absent: off.
   */
  busStage?: boolean;
  /**
   * Output stream words per beat (1, 2, 4, ... dividing `pes`; batch 1): the streamer reads one
   * bank address of `outWords` neighbouring PEs per beat, so a step's P (or H) outputs take
   * ceil(P / outWords) beats (docs/architecture.md, "Streaming interface"). Absent: 1.
   */
  outWords?: number;
  /**
   * Input stream words per beat (1, 2, 4, ... dividing `broadcast`; batch 1): a beat's elements
   * are written to the input buffer's banks side by side, so a step's I inputs take
   * ceil(I / inWords) beats (docs/architecture.md, "Streaming interface"). Absent: 1.
   */
  inWords?: number;
  /**
   * Delta designs with theta_m and a projection: walk layer 0's next input part during the
   * projection phase ("early input", docs/delta.md; rtl XEARLY). Absent: on where it applies.
   */
  earlyInput?: boolean;
  /**
   * With early input and 2 or more lanes: the element-wise issue reads the memories M ahead, two
   * cells a cycle (true), or four (4; no more than the lanes), shortening the engines' hold
   * (docs/delta.md; rtl MREAD; LUT RAM per PE); false: one cell a cycle. Absent: two where it
   * applies.
   */
  readAheadM?: boolean | 4;
  /**
   * Delta designs with early input and one layer: a queue of the projection's own in every PE,
   * taken first (docs/delta.md; rtl PQUEUE; about 700 LUTs a PE on the ESE shape). Absent: on
   * where it applies.
   */
  projQueue?: boolean;
  /** Optional limit on the bits of all generated memories (weights, indices, biases, states). */
  maxMemoryBits?: number;
  /** The fixed-point configuration the model is quantized with. */
  fixed: FixedPointConfig;
  /** Delta activations (docs/delta.md): thresholds; ese only. Absent: a dense design. */
  delta?: DeltaConfig;
}

/** Defaults of every accelerator option. */
export const DEFAULT_ACCELERATOR_CONFIG: AcceleratorConfig = {
  pes: 8,
  format: "ese",
  clockMhz: 200,
  indexBits: 4,
  queueDepth: 64,
  lanes: 1,
  broadcast: 1,
  batch: 1,
  outWords: 1,
  inWords: 1,
  fixed: DEFAULT_FIXED_CONFIG,
};

/**
 * The MAC lane counts the generator builds (powers of two: the PE banks by cell mod L), those the
 * encoders take (`MAC_LANE_COUNTS`, encode/manifest.ts): 1 .. 64.
 */
export const LANE_COUNTS = MAC_LANE_COUNTS;

/** The element-wise group sizes the generator builds (PEs sharing one element-wise unit). */
export const EW_GROUP_SIZES = [1, 2, 4, 8, 16] as const;

/** The broadcast widths the generator builds (powers of two: a beat lives in W neighbouring PEs). */
export const BROADCAST_WIDTHS = [1, 2, 4, 8, 16, 32, 64] as const;

/** The most output words per stream beat (a power of two that divides the PE count). */
export const MAX_OUT_WORDS = 64;

/** The most input words per stream beat (a power of two that divides the broadcast width). */
export const MAX_IN_WORDS = 16;

/**
 * The default broadcast width of a bcr design: the largest power of two up to the MAC lanes (and
 * 16, the widest default beat) that divides the PE count (L lanes take a column's L weights per cycle, so
 * the broadcast keeps up with L columns per cycle where the PEs and the beat allow it).
 */
export function defaultBroadcast(pes: number, lanes: number): number {
  const widest = Math.min(lanes, 16);
  let width = 1;
  while (width * 2 <= widest && pes % (width * 2) === 0) width *= 2;
  return width;
}

/** The batch sizes the generator builds (sequences per stream beat). */
export const BATCH_SIZES = [1, 2, 4, 8, 16] as const;

/** Hard limits of the RTL generator (beyond them the design would be silly or unsupported). */
export const ACCELERATOR_LIMITS = {
  pes: { min: 1, max: 1024 },
  indexBits: { min: 1, max: 16 },
  codebookBits: { min: 1, max: 12 },
  queueDepth: { min: 1, max: 4096 },
  blockSide: { min: 1, max: 65536 },
} as const;

const intIn = (range: { min: number; max: number }, what: string) =>
  z.number().int({ message: `${what} must be an integer` }).min(range.min, {
    message: `${what} must be at least ${range.min}`,
  }).max(range.max, { message: `${what} must be at most ${range.max}` });

/** zod schema of the accelerator fields (all optional; absent fields take the defaults). */
export const acceleratorFields = {
  pes: intIn(ACCELERATOR_LIMITS.pes, "pes").optional(),
  format: z.enum(["ese", "bcr"], { message: 'format must be "ese" or "bcr"' }).optional(),
  clockMhz: z.number().positive({ message: "clockMhz must be a positive number" }).optional(),
  indexBits: intIn(ACCELERATOR_LIMITS.indexBits, "indexBits").optional(),
  codebookBits: intIn(ACCELERATOR_LIMITS.codebookBits, "codebookBits").optional(),
  queueDepth: intIn(ACCELERATOR_LIMITS.queueDepth, "queueDepth").optional(),
  blockRows: intIn(ACCELERATOR_LIMITS.blockSide, "blockRows").optional(),
  blockCols: intIn(ACCELERATOR_LIMITS.blockSide, "blockCols").optional(),
  lanes: z.union(
    LANE_COUNTS.map((n) => z.literal(n)) as unknown as [
      z.ZodLiteral<1>,
      z.ZodLiteral<2>,
      ...z.ZodLiteral<number>[],
    ],
    { message: `lanes must be one of ${LANE_COUNTS.join(", ")}` },
  ).optional(),
  broadcast: z.number().refine((n) => (BROADCAST_WIDTHS as readonly number[]).includes(n), {
    message: `broadcast must be one of ${BROADCAST_WIDTHS.join(", ")}`,
  }).optional(),
  batch: z.number().refine((n) => (BATCH_SIZES as readonly number[]).includes(n), {
    message: "batch must be 1, 2, 4, 8 or 16",
  }).optional(),
  ewGroup: z.number().refine((n) => (EW_GROUP_SIZES as readonly number[]).includes(n), {
    message: `ewGroup must be one of ${EW_GROUP_SIZES.join(", ")}`,
  }).optional(),
  outWords: z.number().int().refine((n) => n >= 1 && n <= MAX_OUT_WORDS && (n & (n - 1)) === 0, {
    message: `outWords must be a power of two from 1 to ${MAX_OUT_WORDS}`,
  }).optional(),
  inWords: z.number().int().refine((n) => n >= 1 && n <= MAX_IN_WORDS && (n & (n - 1)) === 0, {
    message: `inWords must be a power of two from 1 to ${MAX_IN_WORDS}`,
  }).optional(),
  earlyInput: z.boolean({ message: "earlyInput must be true or false" }).optional(),
  readAheadM: z.union([z.boolean(), z.literal(4)], {
    message: "readAheadM must be true, false or 4",
  }).optional(),
  projQueue: z.boolean({ message: "projQueue must be true or false" }).optional(),
  busStage: z.boolean({ message: "busStage must be true or false" }).optional(),
  maxMemoryBits: z.number().positive({ message: "maxMemoryBits must be positive" }).optional(),
};

/**
 * zod schema of a whole config file: accelerator fields, the fixed-point fields and the delta
 * thresholds (`delta`, docs/delta.md; read by `infer`, built by `gen` for the ese format).
 */
export const acceleratorConfigSchema = z.object({
  ...acceleratorFields,
  ...fixedConfigFields,
  delta: deltaConfigSchema.optional(),
}).strict();

/** Partial accelerator settings as they come from a file or from flags. */
export type AcceleratorSettings = z.infer<typeof acceleratorConfigSchema>;

/** Validate raw settings (from a config file or flags); `source` names them in messages. */
export function parseAcceleratorSettings(value: unknown, source: string): AcceleratorSettings {
  return parseWithSchema(acceleratorConfigSchema, value, source);
}

/**
 * Merge settings over the defaults (later settings win) into a resolved config, checking the
 * fixed-point constraints and the combinations zod cannot see.
 */
export function resolveAcceleratorConfig(
  layers: { settings: AcceleratorSettings; source: string }[],
): AcceleratorConfig {
  const merged: AcceleratorSettings = {};
  let source = "defaults";
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.settings)) {
      if (value !== undefined) {
        (merged as Record<string, unknown>)[key] = value;
        source = layer.source;
      }
    }
  }
  const fixed = fixedConfigFrom({
    weightBits: merged.weightBits,
    weightFrac: merged.weightFrac,
    activationBits: merged.activationBits,
    activationFrac: merged.activationFrac,
    sigmoid: merged.sigmoid,
    tanh: merged.tanh,
  }, source);
  const config: AcceleratorConfig = {
    pes: merged.pes ?? DEFAULT_ACCELERATOR_CONFIG.pes,
    format: merged.format ?? DEFAULT_ACCELERATOR_CONFIG.format,
    clockMhz: merged.clockMhz ?? DEFAULT_ACCELERATOR_CONFIG.clockMhz,
    indexBits: merged.indexBits ?? DEFAULT_ACCELERATOR_CONFIG.indexBits,
    codebookBits: merged.codebookBits,
    queueDepth: merged.queueDepth ?? DEFAULT_ACCELERATOR_CONFIG.queueDepth,
    blockRows: merged.blockRows,
    blockCols: merged.blockCols,
    lanes: merged.lanes ?? DEFAULT_ACCELERATOR_CONFIG.lanes,
    broadcast: 1,
    batch: merged.batch ?? DEFAULT_ACCELERATOR_CONFIG.batch,
    ewGroup: merged.ewGroup ?? 1,
    outWords: merged.outWords ?? DEFAULT_ACCELERATOR_CONFIG.outWords,
    inWords: merged.inWords ?? DEFAULT_ACCELERATOR_CONFIG.inWords,
    earlyInput: merged.earlyInput,
    readAheadM: merged.readAheadM,
    projQueue: merged.projQueue,
    busStage: merged.busStage,
    maxMemoryBits: merged.maxMemoryBits,
    fixed,
  };
  if (merged.delta !== undefined) {
    if (config.format !== "ese") {
      throw new UserError(
        `${source}: delta needs format "ese" (its engine addresses a fired column's pointer; bcr walks blocks)`,
      );
    }
    config.delta = merged.delta;
  }
  checkEwGroup(config, source);
  checkBusStage(config, source);
  config.broadcast = broadcastOf(config, merged.broadcast, source);
  checkStreamWords(config, source);
  if (config.codebookBits !== undefined && config.codebookBits > fixed.weightBits) {
    throw new UserError(
      `${source}: codebookBits (${config.codebookBits}) must not exceed weightBits (${fixed.weightBits})`,
    );
  }
  return config;
}

/**
 * The element-wise group: it divides the PE count (a group is G neighbouring PEs), and a delta
 * design keeps a unit per PE (its issue reads the memories M per PE, docs/delta.md).
 */
export function checkEwGroup(config: AcceleratorConfig, source: string): void {
  const group = config.ewGroup ?? 1;
  if (config.pes % group !== 0) {
    throw new UserError(
      `${source}: ewGroup (${group}) must divide pes (${config.pes}): a group is that many neighbouring PEs`,
    );
  }
  if (group > 1 && config.delta) {
    throw new UserError(`${source}: ewGroup > 1 needs a dense design (delta keeps a unit per PE)`);
  }
}

/** The bus stage is built for dense ese designs (bcr and delta broadcast other words). */
export function checkBusStage(config: AcceleratorConfig, source: string): void {
  if (config.busStage !== true) return;
  if (config.format !== "ese" || config.delta) {
    throw new UserError(
      `${source}: busStage needs a dense ese design (format "ese" without delta), not ${
        config.delta ? "a delta design" : `format "${config.format}"`
      }`,
    );
  }
}

/**
 * The stream widths (batch 1): outWords, a beat's outputs live at one address of outWords
 * neighbouring PEs; inWords, a beat's inputs are written to inWords neighbouring banks of the
 * input buffer, which has one bank per broadcast lane.
 */
export function checkStreamWords(config: AcceleratorConfig, source: string): void {
  const words = config.outWords ?? 1;
  if (config.pes % words !== 0) {
    throw new UserError(
      `${source}: outWords (${words}) must divide pes (${config.pes}): a beat's outputs live in neighbouring PEs`,
    );
  }
  const inWords = config.inWords ?? 1;
  if (config.broadcast % inWords !== 0) {
    throw new UserError(
      `${source}: inWords (${inWords}) must divide broadcast (${config.broadcast}): a beat's inputs go to neighbouring banks of the input buffer, one bank per broadcast lane`,
    );
  }
  if ((words > 1 || inWords > 1) && config.batch > 1) {
    throw new UserError(
      `${source}: ${
        words > 1 ? "outWords" : "inWords"
      } > 1 needs batch 1 (a batch beat carries B sequences)`,
    );
  }
}

/** The broadcast width of a resolved configuration: the one asked for (checked) or the default. */
function broadcastOf(config: AcceleratorConfig, asked: number | undefined, source: string): number {
  if (asked === undefined) {
    return config.format === "bcr" ? defaultBroadcast(config.pes, config.lanes) : 1;
  }
  if (asked !== 1 && config.format !== "bcr" && !config.delta) {
    throw new UserError(
      `${source}: broadcast needs format "bcr" or delta (ese takes one column per cycle)`,
    );
  }
  if (config.pes % asked !== 0) {
    throw new UserError(
      `${source}: broadcast (${asked}) must divide pes (${config.pes}): a beat's elements live in neighbouring PEs`,
    );
  }
  return asked;
}
