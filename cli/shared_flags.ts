/**
 * Flags that several commands take, declared once so that every command accepts the same range
 * (the limits come from the stage that owns them: the accelerator's from rtl/config.ts, the
 * fixed-point widths from model/fixed.ts, the simulation length from sim/simulate.ts).
 *
 * @module
 */

import { ACCELERATOR_LIMITS, LANE_COUNTS } from "../rtl/config.ts";
import { DEFAULT_FIXED_CONFIG, FIXED_POINT_LIMITS } from "../model/fixed.ts";
import { MAX_SIMULATION_STEPS } from "../sim/limits.ts";
import { DEFAULT_PNR_MHZ } from "../synth/pnr/flow.ts";
import { DEFAULT_PORT_MODE, PORT_MODES } from "../synth/pnr/ports.ts";
import { DEFAULT_ROUTER, PNR_ROUTERS } from "../synth/pnr/targets.ts";
import { type BlockSize, parseBlock } from "../prune/mod.ts";
import type { CustomFlag, FlagSpec, IntFlag, NumberFlag, PathFlag } from "./flags.ts";

/** Largest seed: the generators are 32-bit (model/random.ts), larger seeds would wrap. */
export const MAX_SEED = 2 ** 32 - 1;

/** Options of the shared flag declarations: help text, group, default. */
export interface SharedFlagOptions<T> {
  /** Help text (default: a generic one). */
  help?: string;
  /** Group heading in --help. */
  group?: string;
  /** Value when absent. */
  default?: T;
  /** Default shown in --help when the command applies it itself. */
  defaultText?: string;
  /** Name of the value in --help. */
  placeholder?: string;
  /** A command line without this flag is refused. */
  required?: boolean;
}

type Options = SharedFlagOptions<number>;

/** A whole number within a stage's limit (`{ min, max }`). */
export function limitFlag<const O extends Options = Record<never, never>>(
  range: { readonly min: number; readonly max: number },
  help: string,
  options: O = {} as O,
): IntFlag & O {
  return { type: "int", min: range.min, max: range.max, help, ...options };
}

/** `--model M`, required: a model file in any format `loadAnyModel` reads (infer, calibrate). */
export const MODEL_FLAG = {
  type: "path",
  required: true,
  placeholder: "M",
  help: "model file (rnnfab JSON or ONNX)",
} as const satisfies PathFlag;

/** `--pes N`: processing elements, within the generator's limit (gen, encode, prune, bench). */
export function pesFlag<const O extends Options = Record<never, never>>(
  options: O = {} as O,
): IntFlag & O {
  const help = "processing elements (rows interleaved: row i to PE i mod N)";
  return limitFlag(ACCELERATOR_LIMITS.pes, options.help ?? help, options);
}

/** `--seed S`: a 32-bit seed of the random inputs. */
export function seedFlag<const O extends Options = Record<never, never>>(
  options: O = {} as O,
): IntFlag & O {
  const help = options.help ?? "seed of the random inputs";
  return limitFlag({ min: 0, max: MAX_SEED }, help, { placeholder: "S", ...options });
}

/** `--steps T`: length of a random input sequence. */
export function stepsFlag<const O extends Options = Record<never, never>>(
  options: O = {} as O,
): IntFlag & O {
  const help = options.help ?? "steps of the random input sequence";
  return limitFlag({ min: 1, max: MAX_SIMULATION_STEPS }, help, { placeholder: "T", ...options });
}

/** A fraction in (0, 1] (densities, keep rates). */
export function fractionFlag<const O extends Options = Record<never, never>>(
  help: string,
  options: O = {} as O,
): NumberFlag & O {
  return { type: "number", min: 0, max: 1, minExclusive: true, help, ...options };
}

/** A positive number with no upper bound (clock, time limits). */
export function positiveFlag<const O extends Options = Record<never, never>>(
  help: string,
  options: O = {} as O,
): NumberFlag & O {
  return { type: "number", min: 0, max: Infinity, minExclusive: true, help, ...options };
}

/** The fixed-point width flags of `gen` and `encode` (`--weight-bits` and friends). */
export const FIXED_POINT_FLAGS = {
  "weight-bits": limitFlag(FIXED_POINT_LIMITS.weightBits, "weight word width", {
    placeholder: "W",
    defaultText: String(DEFAULT_FIXED_CONFIG.weightBits),
  }),
  "weight-frac": limitFlag(FIXED_POINT_LIMITS.weightFrac, "weight fraction bits", {
    defaultText: "the largest that does not saturate the model's weights",
  }),
  "activation-bits": limitFlag(FIXED_POINT_LIMITS.activationBits, "activation word width", {
    placeholder: "A",
    defaultText: String(DEFAULT_FIXED_CONFIG.activationBits),
  }),
  "activation-frac": limitFlag(FIXED_POINT_LIMITS.activationFrac, "activation fraction bits", {
    placeholder: "F",
    defaultText: String(DEFAULT_FIXED_CONFIG.activationFrac),
  }),
} as const;

/** The same flags listed under a group heading in --help. */
export function withGroup<T extends Record<string, FlagSpec>>(flags: T, group: string): T {
  return Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [name, { ...flag, group }]),
  ) as T;
}

/** Options of `blockFlag`. */
export interface BlockFlagOptions extends SharedFlagOptions<BlockSize> {
  /** Accept "all" for a whole dimension (prune, encode, bench); gen takes numbers only. */
  allowAll: boolean;
}

/** `--block RxC`: a block shape, each side within the generator's block limit. */
export function blockFlag<const O extends BlockFlagOptions>(
  options: O,
): CustomFlag<BlockSize> & Omit<O, "allowAll"> {
  const { max } = ACCELERATOR_LIMITS.blockSide;
  const sideOk = (side: number) =>
    (options.allowAll && side === Infinity) || (Number.isInteger(side) && side <= max);
  const { allowAll, ...rest } = options;
  return {
    type: "custom",
    placeholder: "RxC",
    expected: allowAll
      ? `RxC with integers in 1..${max} or "all" (e.g. 16x16, 16xall)`
      : `RxC with integers in 1..${max} (e.g. 64x16)`,
    parse: (text) => {
      const block = parseBlock(text);
      return block && sideOk(block.rows) && sideOk(block.cols) ? block : undefined;
    },
    help: "block shape",
    ...rest,
  };
}

/** `--freq MHZ --seed S --timeout S`: the place-and-route run's flags (pnr, bench:timing). */
export function pnrRunFlags() {
  return {
    freq: positiveFlag("clock target of nextpnr in MHz", {
      placeholder: "MHZ",
      defaultText: String(DEFAULT_PNR_MHZ),
    }),
    seed: seedFlag({ help: "placer seed", defaultText: "1" }),
    timeout: positiveFlag("wall-clock limit of each tool in seconds", { defaultText: "7200" }),
    router: {
      type: "enum" as const,
      values: PNR_ROUTERS,
      default: DEFAULT_ROUTER,
      help: "nextpnr's router (router2 copes better with congestion on large designs)",
    },
    ports: {
      type: "enum" as const,
      values: PORT_MODES,
      default: DEFAULT_PORT_MODE,
      help: "registered: the design behind a register slice on each stream and a registered " +
        "reset (rnnfab_pnr_top), so no I/O pin sets Fmax; direct: rnnfab_top on the pins",
    },
  };
}

/** Options of `benchOutputFlags`. */
export interface BenchOutputOptions {
  /** Default of `--work-dir` (generated designs, builds), relative to the working folder. */
  workDir: string;
  /** Help of `--work-dir`. */
  workHelp: string;
  /** Default of `--out`, the result file (under bench/results/). */
  out: string;
}

/** A path flag that always has a value. */
type DefaultedPath = PathFlag & { default: string };

/**
 * `--work-dir DIR` and `--out FILE` of a benchmark command (bench:ese, bench:sim): the folder it
 * generates and builds in, and the result file it writes.
 */
export function benchOutputFlags(
  options: BenchOutputOptions,
): { "work-dir": DefaultedPath; out: DefaultedPath } {
  return {
    "work-dir": {
      type: "path",
      placeholder: "DIR",
      default: options.workDir,
      help: options.workHelp,
    },
    out: { type: "path", placeholder: "FILE", default: options.out, help: "result file" },
  };
}

/** Options of `wordsFlag`. */
export interface WordsFlagOptions<T extends string> {
  /** Help text. */
  help: string;
  /** Value when absent (default: every allowed word). */
  default?: readonly T[];
  /** What is accepted, for messages and --help (default: the allowed words). */
  expected?: string;
}

/**
 * A comma-separated list of words out of `allowed` (spaces around a word are ignored), e.g.
 * `--formats ese,bcr`; every allowed word when absent unless `default` says otherwise.
 */
export function wordsFlag<const T extends string>(
  allowed: readonly T[],
  options: WordsFlagOptions<T>,
): CustomFlag<T[]> & { default: T[] } {
  const defaults = [...(options.default ?? allowed)];
  return {
    type: "custom",
    placeholder: "LIST",
    expected: options.expected ?? `comma-separated words among ${allowed.join(", ")}`,
    parse: (text: string) => {
      const words = text.split(",").map((word) => word.trim());
      return words.every((word) => (allowed as readonly string[]).includes(word))
        ? words as T[]
        : undefined;
    },
    default: defaults,
    defaultText: defaults.join(","),
    help: options.help,
  };
}

/** The values of an enum `--lanes L` flag (gen, encode, prune): the lane counts gen builds. */
export const LANE_FLAG_VALUES: readonly string[] = LANE_COUNTS.map(String);

/** One number out of `allowed` (e.g. `--lanes L` among 1, 2, 4, 8, 16), `fallback` when absent. */
export function numberChoiceFlag(
  allowed: readonly number[],
  options: { help: string; placeholder: string; fallback: number },
): CustomFlag<number> & { default: number } {
  return {
    type: "custom",
    expected: allowed.join(", "),
    parse: (text: string) => allowed.includes(Number(text)) ? Number(text) : undefined,
    placeholder: options.placeholder,
    help: options.help,
    default: options.fallback,
    defaultText: String(options.fallback),
  };
}

/** An on/off flag's value as a boolean (absent: undefined, the default). */
export function onOff(value: "on" | "off" | undefined): boolean | undefined {
  return value === undefined ? undefined : value === "on";
}
