/**
 * One way to turn a zod validation failure into the one-line message users see: the file, the
 * field path and what was expected, with the value that was found ("m.json: weights: expected a
 * string or an object, got 42"), never zod's bare "Invalid input". Messages written in a schema
 * (`{ message: "..." }`) win over the generated ones.
 *
 * @module
 */

import type { z } from "zod";
import { UserError } from "./errors.ts";

/** What a validation gave: the typed value, or one line saying what is wrong. */
export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Raw issue fields the generated messages use (zod's raw issues, before messages are set). */
interface RawIssue {
  code: string;
  input?: unknown;
  expected?: string;
  format?: string;
  values?: readonly unknown[];
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  exact?: boolean;
  keys?: string[];
  divisor?: number;
  errors?: { code: string; path: PropertyKey[]; expected?: string; format?: string }[][];
}

/** `a.b[2].c`: a zod path as a field name. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    "",
  );
}

/** A short description of a value for "got ...": numbers and short strings as JSON, else the kind. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  }
  return String(value);
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "an array",
  tuple: "an array",
  null: "null",
  bigint: "an integer",
};

function typeName(expected: string | undefined, format?: string): string {
  if (format === "safeint" || expected === "int") return "an integer";
  return TYPE_NAMES[expected ?? ""] ?? `a value of type ${expected}`;
}

function listOf(items: string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1
    ? unique.join("")
    : `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

/** How a bound reads, for counts (words) and for numbers (operators). */
const BOUND_WORDS = {
  minimum: { exact: ["exactly", "="], inclusive: ["at least", ">="], open: ["more than", ">"] },
  maximum: { exact: ["exactly", "="], inclusive: ["at most", "<="], open: ["fewer than", "<"] },
} as const;

function sizeText(issue: RawIssue, bound: "minimum" | "maximum"): string {
  const value = Number(issue[bound]);
  const kind = issue.exact ? "exact" : issue.inclusive === false ? "open" : "inclusive";
  const [relation, op] = BOUND_WORDS[bound][kind];
  switch (issue.origin) {
    case "array":
    case "set":
      return `an array of ${relation} ${value} item${value === 1 ? "" : "s"}`;
    case "string":
      return value === 1 && bound === "minimum" && !issue.exact
        ? "a non-empty string"
        : `a string of ${relation} ${value} characters`;
    default:
      return `a number ${op} ${value}`;
  }
}

/** What a union accepts, from the type its branches wanted. */
function unionExpected(issue: RawIssue): string {
  const names = (issue.errors ?? []).map((branch) => {
    const first = branch.find((inner) => inner.path.length === 0) ?? branch[0];
    return first?.code === "invalid_type" ? typeName(first.expected, first.format) : undefined;
  });
  return names.every((name) => name !== undefined) && names.length > 0
    ? listOf(names as string[])
    : "one of the accepted forms";
}

/** The message of one raw issue: what was expected and what was found. */
function issueMessage(issue: RawIssue): string {
  const got = "input" in issue ? `, got ${describeValue(issue.input)}` : "";
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? `expected ${typeName(issue.expected, issue.format)}, but the field is missing`
        : `expected ${typeName(issue.expected, issue.format)}${got}`;
    case "invalid_value":
      return `expected ${listOf((issue.values ?? []).map((v) => JSON.stringify(v)))}${got}`;
    case "invalid_union":
      return `expected ${unionExpected(issue)}${got}`;
    case "too_small":
      return `expected ${sizeText(issue, "minimum")}${got}`;
    case "too_big":
      return `expected ${sizeText(issue, "maximum")}${got}`;
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}${got}`;
    case "unrecognized_keys":
      return `unknown field ${(issue.keys ?? []).map((key) => `"${key}"`).join(", ")}`;
    case "invalid_format":
      return `expected a ${issue.format ?? "well-formed"} string${got}`;
    default:
      return `invalid value${got}`;
  }
}

/** The zod error map of `checkSchema`: our phrasing for every issue without a schema message. */
const errorMap = (issue: unknown) => issueMessage(issue as RawIssue);

/**
 * One line for the first issue of a zod error: `field.path: message`, the path left out when it
 * is empty or when the message already starts with the field name. A schema message of the form
 * "expected ..." gets the value that was found appended when it does not say it.
 */
export function formatZodError(error: z.ZodError): string {
  const issue = error.issues[0] as z.core.$ZodIssue & { input?: unknown };
  const where = formatIssuePath(issue.path);
  let message = issue.message;
  if (/^expected /.test(message) && !/\bgot\b|\bmissing\b/.test(message) && "input" in issue) {
    message += `, got ${describeValue(issue.input)}`;
  }
  const firstKey = issue.path.length > 0 ? String(issue.path[0]) : "";
  const named = where === "" || message.startsWith(where) ||
    (firstKey !== "" && message.startsWith(`${firstKey} `));
  return named ? message : `${where}: ${message}`;
}

/** Validate a value; on failure say in one line what is wrong (no file name: see `parseWithSchema`). */
export function checkSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
): SchemaCheck<z.output<S>> {
  const parsed = schema.safeParse(value, { reportInput: true, error: errorMap });
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, problem: formatZodError(parsed.error) };
}

/**
 * Validate a value read from `source` (a file name, or "deno task gen flags"); throws a UserError
 * "source: field: expected ..., got ..." naming the first problem, followed by
 * "(expected `fileKind`)" when given ("a nextpnr --report JSON file").
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: string,
  fileKind?: string,
): z.output<S> {
  const checked = checkSchema(schema, value);
  if (!checked.ok) {
    const kind = fileKind ? ` (expected ${fileKind})` : "";
    throw new UserError(`${source}: ${checked.problem}${kind}`);
  }
  return checked.value;
}
