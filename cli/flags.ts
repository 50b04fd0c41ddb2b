/**
 * The one flag parser of every rnnfab command: flags are declared once per command (name, type,
 * accepted range, default, help text); the same declarations parse the command line, check every
 * value against its range and write the `--help` text. A bad flag is one line naming the flag and
 * what it accepts ("deno task gen: --pes: expected an integer in 1..1024, got -1").
 *
 * Values may start with a dash (`--seed -5` is the value -5 for --seed, then checked against the
 * range); a token that starts with `--` is always a flag. `--name=value` works too.
 *
 * @module
 */

import { UserError } from "../util/errors.ts";

/** What every flag declaration has. */
interface FlagCommon {
  /** One line (or a few) of help text; the range and the default are added to it. */
  help: string;
  /** Heading of the group the flag is listed under in --help (none: the first list). */
  group?: string;
  /** Name of the value in --help, e.g. "N", "FILE", "RxC". */
  placeholder?: string;
  /** A command line without this flag is refused. */
  required?: boolean;
  /** Default shown in --help when the command applies it itself (no `default` value). */
  defaultText?: string;
}

/** A whole number within [min, max] (max may be Infinity). */
export interface IntFlag extends FlagCommon {
  /** Flag type. */
  type: "int";
  /** Smallest accepted value. */
  min: number;
  /** Largest accepted value. */
  max: number;
  /** Value when the flag is absent. */
  default?: number;
}

/** A finite number within a range; each end is inclusive unless marked exclusive. */
export interface NumberFlag extends FlagCommon {
  /** Flag type. */
  type: "number";
  /** Lower end. */
  min: number;
  /** Upper end (Infinity: none). */
  max: number;
  /** The lower end itself is refused. */
  minExclusive?: boolean;
  /** The upper end itself is refused. */
  maxExclusive?: boolean;
  /** Value when the flag is absent. */
  default?: number;
}

/** Free text (not empty). */
export interface StringFlag extends FlagCommon {
  /** Flag type. */
  type: "string";
  /** Value when the flag is absent. */
  default?: string;
}

/** A file or folder path (not empty). */
export interface PathFlag extends FlagCommon {
  /** Flag type. */
  type: "path";
  /** Value when the flag is absent. */
  default?: string;
}

/** One of a fixed list of words. */
export interface EnumFlag<V extends string = string> extends FlagCommon {
  /** Flag type. */
  type: "enum";
  /** The accepted words. */
  values: readonly V[];
  /** Value when the flag is absent. */
  default?: V;
}

/** A switch without a value. */
export interface BoolFlag {
  /** Flag type. */
  type: "bool";
  /** Help text. */
  help: string;
  /** Group heading in --help. */
  group?: string;
}

/** A value with its own syntax (e.g. a block shape "16x16"), parsed by `parse`. */
export interface CustomFlag<T = unknown> extends FlagCommon {
  /** Flag type. */
  type: "custom";
  /** What is accepted, for messages and --help ("RxC with positive integers, e.g. 16x16"). */
  expected: string;
  /** The value, or undefined when the text is not acceptable. */
  parse: (text: string) => T | undefined;
  /** Value when the flag is absent. */
  default?: T;
}

/** Any flag declaration. */
export type FlagSpec =
  | IntFlag
  | NumberFlag
  | StringFlag
  | PathFlag
  // deno-lint-ignore no-explicit-any
  | EnumFlag<any>
  | BoolFlag
  // deno-lint-ignore no-explicit-any
  | CustomFlag<any>;

/** The flags of a command, by name without the dashes (e.g. "col-keep"). */
export type FlagTable = Record<string, FlagSpec>;

/** The value type of one flag. */
export type FlagValue<F> = F extends BoolFlag ? boolean
  : F extends IntFlag | NumberFlag ? number
  : F extends EnumFlag<infer V> ? V
  : F extends CustomFlag<infer T> ? T
  : string;

type AlwaysPresent<F> = F extends BoolFlag ? true
  : F extends { required: true } ? true
  : F extends { default: unknown } ? true
  : false;

/** Parsed values: flags that are required, have a default or are switches are always present. */
export type FlagValues<F extends FlagTable> = {
  [K in keyof F]: AlwaysPresent<F[K]> extends true ? FlagValue<F[K]> : FlagValue<F[K]> | undefined;
};

/** A command: its name, synopsis, description and flags. */
export interface CommandSpec<F extends FlagTable = FlagTable> {
  /** As typed, e.g. "deno task prune". */
  name: string;
  /** What follows the name in the usage line (may span lines). */
  synopsis: string;
  /** Paragraphs after the usage line. */
  description?: string;
  /** The flags (`--help`/`-h` is added). */
  flags: F;
  /** Paragraphs after the flag list. */
  notes?: string;
  /** Pairs of flags that must not be given together ("give either --a or --b, not both"). */
  exclusive?: readonly (readonly [keyof F & string, keyof F & string])[];
}

/** Declare a command (keeps the literal types of its flags for `FlagValues`). */
export function defineCommand<const F extends FlagTable>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

/** What parsing a command line gave: help asked for, or the values. */
export type ParsedCommandLine<F extends FlagTable> =
  | { help: true; text: string }
  | { help: false; values: FlagValues<F> };

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A decimal number written as text ("12", "-5", "0.25", "1e-3"); NaN for anything else. */
export function numberFromText(text: string): number {
  return NUMBER_TEXT.test(text.trim()) ? Number(text) : NaN;
}

/** "an integer in 1..1024", "a number in (0, 1]", "a number > 0": what a numeric flag accepts. */
export function describeRange(spec: IntFlag | NumberFlag): string {
  if (spec.type === "int") {
    return Number.isFinite(spec.max)
      ? `an integer in ${spec.min}..${spec.max}`
      : `an integer >= ${spec.min}`;
  }
  if (!Number.isFinite(spec.max)) return `a number ${spec.minExclusive ? ">" : ">="} ${spec.min}`;
  const open = spec.minExclusive ? "(" : "[";
  const close = spec.maxExclusive ? ")" : "]";
  return `a number in ${open}${spec.min}, ${spec.max}${close}`;
}

/** "ese or bcr", "0, 1, 2 or s". */
export function wordList(values: readonly string[]): string {
  return values.length <= 1
    ? values.join("")
    : `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}

/** What a flag accepts, as said in messages. */
export function describeAccepted(spec: FlagSpec): string {
  switch (spec.type) {
    case "int":
    case "number":
      return describeRange(spec);
    case "enum":
      return wordList(spec.values);
    case "custom":
      return spec.expected;
    case "path":
      return "a path";
    case "string":
      return "a value";
    case "bool":
      return "no value";
  }
}

function inRange(spec: IntFlag | NumberFlag, value: number): boolean {
  if (spec.type === "int" && !Number.isInteger(value)) return false;
  const aboveMin = spec.type === "number" && spec.minExclusive
    ? value > spec.min
    : value >= spec.min;
  const belowMax = spec.type === "number" && spec.maxExclusive
    ? value < spec.max
    : value <= spec.max;
  return Number.isFinite(value) && aboveMin && belowMax;
}

/**
 * Check one flag value given as text; returns the typed value or throws a UserError
 * "PREFIX--flag: expected ..., got TEXT". `prefix` is usually "deno task NAME: ".
 */
export function parseFlagValue<S extends Exclude<FlagSpec, BoolFlag>>(
  name: string,
  spec: S,
  text: string,
  prefix = "",
): FlagValue<S> {
  const refuse = (): never => {
    const got = text === "" ? '""' : text;
    throw new UserError(`${prefix}--${name}: expected ${describeAccepted(spec)}, got ${got}`);
  };
  switch (spec.type) {
    case "int":
    case "number": {
      const value = numberFromText(text);
      return (inRange(spec, value) ? value : refuse()) as FlagValue<S>;
    }
    case "enum":
      return (spec.values.includes(text) ? text : refuse()) as FlagValue<S>;
    case "custom": {
      const value = spec.parse(text);
      return (value === undefined ? refuse() : value) as FlagValue<S>;
    }
    default:
      return (text === "" ? refuse() : text) as FlagValue<S>;
  }
}

/** Split `--name=value` into its parts. */
function splitToken(token: string): { name: string; inline?: string } {
  const equals = token.indexOf("=");
  return equals < 0
    ? { name: token.slice(2) }
    : { name: token.slice(2, equals), inline: token.slice(equals + 1) };
}

/**
 * Parse a command line against a command's flags: `--help`/`-h` anywhere asks for help; unknown
 * flags, stray arguments, missing values, values out of range and missing required flags are
 * UserErrors of one line. Pure: prints nothing, exits nothing.
 */
export function parseCommandLine<F extends FlagTable>(
  spec: CommandSpec<F>,
  args: readonly string[],
): ParsedCommandLine<F> {
  if (args.some((arg) => arg === "--help" || arg === "-h")) {
    return { help: true, text: helpText(spec) };
  }
  const prefix = `${spec.name}: `;
  const values: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (!token.startsWith("--") || token === "--") {
      const what = token !== "--" && /^-[^\d.]/.test(token)
        ? `unknown flag ${token}`
        : `unexpected argument ${token}`;
      throw new UserError(`${prefix}${what} (see --help)`);
    }
    const { name, inline } = splitToken(token);
    const flag = Object.hasOwn(spec.flags, name) ? spec.flags[name] : undefined;
    if (!flag) throw new UserError(`${prefix}unknown flag --${name} (see --help)`);
    if (flag.type === "bool") {
      if (inline !== undefined) throw new UserError(`${prefix}--${name} takes no value`);
      values[name] = true;
      continue;
    }
    let text = inline;
    if (text === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new UserError(`${prefix}--${name}: expected ${describeAccepted(flag)}, got nothing`);
      }
      text = next;
      i++;
    }
    values[name] = parseFlagValue(name, flag, text, prefix);
  }
  for (const [a, b] of spec.exclusive ?? []) {
    if (values[a] !== undefined && values[b] !== undefined) {
      throw new UserError(`${prefix}give either --${a} or --${b}, not both`);
    }
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (values[name] !== undefined) continue;
    if (flag.type === "bool") values[name] = false;
    else if (flag.default !== undefined) values[name] = flag.default;
    else if (flag.required) throw new UserError(`${prefix}--${name} is required (see --help)`);
  }
  return { help: false, values: values as FlagValues<F> };
}

const HELP_WIDTH = 100;
const FLAG_COLUMN = 24;

function placeholderOf(flag: FlagSpec): string {
  if (flag.type === "bool") return "";
  if (flag.placeholder) return flag.placeholder;
  switch (flag.type) {
    case "int":
      return "N";
    case "number":
      return "X";
    case "enum":
      return flag.values.join("|");
    case "path":
      return "FILE";
    default:
      return "TEXT";
  }
}

function detailsOf(flag: FlagSpec): string[] {
  if (flag.type === "bool") return [];
  const details: string[] = [];
  if (flag.type === "int" || flag.type === "number") details.push(describeRange(flag));
  if (flag.required) details.push("required");
  const shown = flag.defaultText ??
    (flag.default !== undefined && flag.type !== "custom" ? String(flag.default) : undefined);
  if (shown !== undefined) details.push(`default ${shown}`);
  return details;
}

/** Wrap words to the help width, continuation lines indented to the flag column. */
function wrap(first: string, text: string): string[] {
  const lines: string[] = [];
  let line = first.length >= FLAG_COLUMN - 1
    ? (lines.push(first), " ".repeat(FLAG_COLUMN))
    : first.padEnd(FLAG_COLUMN);
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = " ".repeat(FLAG_COLUMN);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** The line(s) of one flag in --help. */
function flagHelp(name: string, flag: FlagSpec): string[] {
  const placeholder = placeholderOf(flag);
  const details = detailsOf(flag);
  const text = details.length > 0 ? `${flag.help} (${details.join("; ")})` : flag.help;
  return wrap(`  --${name}${placeholder ? ` ${placeholder}` : ""}`, text);
}

/** The --help text of a command, from its declarations. */
export function helpText<F extends FlagTable>(spec: CommandSpec<F>): string {
  const parts = [`usage: ${spec.name} ${spec.synopsis.trim()}`];
  if (spec.description) parts.push(spec.description.trim());
  const groups = new Map<string, string[]>();
  for (const [name, flag] of Object.entries(spec.flags)) {
    const group = flag.group ?? "";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(...flagHelp(name, flag));
  }
  for (const [group, lines] of groups) {
    parts.push([...(group ? [`${group}:`] : []), ...lines].join("\n"));
  }
  if (spec.notes) parts.push(spec.notes.trim());
  return parts.join("\n\n");
}
