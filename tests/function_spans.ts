/**
 * How long each function of a TypeScript source is, by a brace-matching scan (no parser): for the
 * structure check of tests/architecture_test.ts.
 *
 * 1. `codeOnly` blanks comments, string and regular-expression literals and the text of template
 *    literals (keeping their `${...}` code) with spaces, so that braces and parentheses in them
 *    do not count; line breaks stay, so offsets keep their line numbers.
 * 2. `functionSpans` finds every function body in that text: a `{` right after a parameter list
 *    `(...)` (after an optional return type) that follows no control keyword (`if`, `for`,
 *    `while`, `switch`, `catch`, `with`), which covers declarations, function expressions,
 *    methods, getters and setters, and arrow functions; or a `{` right after `=>` (arrow
 *    functions, whatever their parameters). A span runs from the line of the parameter list's `(`
 *    (the line of `=>` for an arrow without parentheses) to the line of the body's matching `}`,
 *    both counted, so a function's length is its header and its body. Nested functions are
 *    measured on their own and also count in the lines of the function around them.
 *
 * @module
 */

/** Words after which a `/` starts a regular expression (not a division). */
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
]);

/** Control keywords whose parenthesized part is followed by a block that is not a function. */
const CONTROL_WORDS = new Set(["if", "for", "while", "switch", "catch", "with"]);

/** `text` with comments, string, regex and template-literal text blanked (see the module doc). */
export function codeOnly(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== "\n") out[i] = " ";
  };
  // Brace depths at which a template literal's `${` was opened (to resume the literal at `}`).
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const lastSignificant = (): string => {
    let j = i - 1;
    while (j >= 0 && /\s/.test(out[j])) j--;
    if (j < 0) return "";
    if (/[\w$]/.test(out[j])) {
      let k = j;
      while (k > 0 && /[\w$]/.test(out[k - 1])) k--;
      return out.slice(k, j + 1).join("");
    }
    return out[j];
  };
  /** Skip template text from `i` (just past the backquote or a `}`) to its end or a `${`. */
  const templateText = () => {
    const start = i;
    while (i < text.length) {
      if (text[i] === "\\") i += 2;
      else if (text[i] === "`") {
        blank(start, i);
        i++;
        return;
      } else if (text[i] === "$" && text[i + 1] === "{") {
        blank(start, i + 2);
        templates.push(depth);
        depth++;
        i += 2;
        return;
      } else i++;
    }
    blank(start, text.length);
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === "`") {
      i++;
      templateText();
    } else if (c === "/") {
      const before = lastSignificant();
      const isRegex = before === "" || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(before) ||
        REGEX_AFTER_WORDS.has(before);
      if (!isRegex) {
        i++;
        continue;
      }
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== "\n") {
        if (text[j] === "\\") j++;
        else if (text[j] === "[") inClass = true;
        else if (text[j] === "]") inClass = false;
        else if (text[j] === "/" && !inClass) break;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
    } else if (c === "{") {
      depth++;
      i++;
    } else if (c === "}") {
      depth--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        out[i - 1] = " ";
        templateText();
      }
    } else i++;
  }
  return out.join("");
}

/** One function found by `functionSpans`. */
export interface FunctionSpan {
  /** The name before its parameter list or `=`, or "(anonymous)". */
  name: string;
  /** First line (1-based): the line of its parameter list. */
  startLine: number;
  /** Lines from the first to the body's closing brace, both counted. */
  lines: number;
}

/** For each opening bracket of `code`, the offset of its match (`(` / `{` / `[`). */
function matchingBrackets(code: string): Map<number, number> {
  const pairs = new Map<number, number>();
  const stack: number[] = [];
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === "(" || c === "{" || c === "[") stack.push(i);
    else if (c === ")" || c === "}" || c === "]") {
      const open = stack.pop();
      if (open !== undefined) {
        pairs.set(open, i);
        pairs.set(i, open);
      }
    }
  }
  return pairs;
}

const skipSpace = (code: string, i: number) => {
  while (i < code.length && /\s/.test(code[i])) i++;
  return i;
};

/**
 * From just past a parameter list, skip an optional return type `: T`; return the offset of the
 * body's `{` (or of `=>` for an arrow), or -1 when neither follows.
 */
function bodyAfterParameters(code: string, i: number, pairs: Map<number, number>): number {
  i = skipSpace(code, i);
  if (code[i] !== ":") return code[i] === "{" || code.startsWith("=>", i) ? i : -1;
  // A return type: a `{` there opens an object type when it follows `:`, `|`, `&`, `<` or `,`.
  let previous = ":";
  i++;
  while (i < code.length) {
    i = skipSpace(code, i);
    const c = code[i];
    if (c === "{" && !/[:|&<,]/.test(previous)) return i;
    if (code.startsWith("=>", i)) return i;
    if (c === ";" || c === "=" || c === ")" || c === "}" || c === undefined) return -1;
    if (c === "(" || c === "[" || c === "{") {
      i = (pairs.get(i) ?? code.length) + 1;
      previous = "]";
    } else if (c === "<") {
      let level = 0;
      do {
        if (code[i] === "<") level++;
        else if (code[i] === ">" && code[i - 1] !== "=") level--;
        i++;
      } while (level > 0 && i < code.length);
      previous = ">";
    } else {
      previous = c;
      i++;
    }
  }
  return -1;
}

/** Every function of a TypeScript source with its length in lines (see the module doc). */
export function functionSpans(text: string): FunctionSpan[] {
  const code = codeOnly(text);
  const pairs = matchingBrackets(code);
  // The line (1-based) of every offset, counted once.
  const lines = new Uint32Array(code.length + 1);
  for (let i = 0, line = 1; i <= code.length; i++) {
    lines[i] = line;
    if (code[i] === "\n") line++;
  }
  const lineOf = (offset: number) => lines[offset];
  const spans: FunctionSpan[] = [];
  const seenBodies = new Set<number>();
  const add = (start: number, body: number, name: string) => {
    const close = pairs.get(body);
    if (close === undefined || seenBodies.has(body)) return;
    seenBodies.add(body);
    const startLine = lineOf(start);
    spans.push({ name, startLine, lines: lineOf(close) - startLine + 1 });
  };
  const nameBefore = (offset: number): string => {
    const head = code.slice(Math.max(0, offset - 200), offset).replace(/\s*<[^<>]*>\s*$/, "")
      .replace(/\basync\s*$/, "");
    const match = head.match(/([\w$]+)\s*(?:[:=][^=;{}()]*?)?(?:=\s*(?:async\s*)?)?$/);
    return match ? match[1] : "(anonymous)";
  };
  for (let i = 0; i < code.length; i++) {
    if (code[i] === "(") {
      const close = pairs.get(i);
      if (close === undefined) continue;
      const word = code.slice(Math.max(0, i - 100), i).match(/([\w$]+)\s*$/)?.[1] ?? "";
      if (CONTROL_WORDS.has(word)) continue;
      const at = bodyAfterParameters(code, close + 1, pairs);
      if (at < 0) continue;
      const body = code[at] === "{" ? at : skipSpace(code, at + 2);
      const named = word !== "" && word !== "function" && word !== "async";
      if (code[body] === "{") add(i, body, named ? word : nameBefore(i));
    } else if (code.startsWith("=>", i)) {
      const body = skipSpace(code, i + 2);
      if (code[body] === "{" && !seenBodies.has(body)) add(i, body, nameBefore(i));
    }
  }
  return spans.sort((a, b) => a.startLine - b.startLine);
}
