/**
 * The shape of the code base (docs/code.md): imports run one way along the pipeline, no module
 * imports itself through a cycle, and no source file or function outgrows what a reader can hold
 * (every non-test .ts file: at most 600 lines; every function, method and arrow function: at
 * most 120 lines, measured as tests/function_spans.ts says).
 *
 * Layers, lowest first: util -> model -> prune -> encode -> rtl -> (sim | synth) -> bench ->
 * sweep -> (cli | mod.ts) -> scripts. A file may import its own layer or a lower one; sim and
 * synth are siblings and import neither each other.
 */

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { functionSpans } from "./function_spans.ts";
import { REPO_ROOT } from "./helpers.ts";

/** The layer of each top-level source folder (higher may import lower, never the reverse). */
const LAYERS: Record<string, number> = {
  util: 0,
  model: 1,
  prune: 2,
  encode: 3,
  rtl: 4,
  sim: 5,
  synth: 5,
  bench: 6,
  sweep: 7,
  cli: 8,
  "mod.ts": 8,
  scripts: 9,
};

/** Source folders checked for size (tests are exempt). */
const SOURCE_ROOTS = Object.keys(LAYERS);

/** Largest source file, in lines. */
const MAX_FILE_LINES = 600;
/** Largest function, method or arrow function, in lines. */
const MAX_FUNCTION_LINES = 120;

async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(join(REPO_ROOT, dir))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && path.endsWith(".ts")) files.push(path);
    }
  };
  for (const root of SOURCE_ROOTS) {
    if (root.endsWith(".ts")) files.push(root);
    else await walk(root);
  }
  return files.sort();
}

/** Relative imports of a file (static, re-exports and dynamic), as repository paths. */
function importsOf(file: string, text: string): string[] {
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  return [...text.matchAll(pattern)].map((match) =>
    normalize(join(dirname(file), match[1])).replaceAll("\\", "/")
  );
}

function layerOf(path: string): { name: string; rank: number } | undefined {
  const top = path.split("/")[0];
  const rank = LAYERS[top];
  return rank === undefined ? undefined : { name: top, rank };
}

/** Upward or sideways imports between layers, as "from -> to" lines. */
function layerViolations(graph: Map<string, string[]>): string[] {
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file)!;
    for (const target of targets) {
      const to = layerOf(target);
      if (to === undefined) continue;
      const sideways = from.rank === to.rank && from.name !== to.name;
      if (to.rank > from.rank || sideways) violations.push(`${file} -> ${target}`);
    }
  }
  return violations;
}

/** Every import cycle among source files (Tarjan's strongly connected components). */
function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/**
 * Functions longer than the limit: every function, method and arrow function, measured by the
 * brace-matching scan of tests/function_spans.ts (from the line of its parameter list to the line
 * of its body's closing brace, both counted; nested functions count in the function around them).
 */
function longFunctions(file: string, text: string): string[] {
  return functionSpans(text).filter((span) => span.lines > MAX_FUNCTION_LINES)
    .map((span) => `${file}:${span.startLine} ${span.name} (${span.lines} lines)`);
}

/** Every non-test TypeScript file of the repository (outside tests/, dot folders, node_modules). */
async function nonTestFiles(): Promise<string[]> {
  const skip = new Set(["tests", "node_modules", "out"]);
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(join(REPO_ROOT, dir))) {
      const path = dir ? join(dir, entry.name) : entry.name;
      if (entry.name.startsWith(".") || (dir === "" && skip.has(entry.name))) continue;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && path.endsWith(".ts") && !path.endsWith("_test.ts")) {
        files.push(path);
      }
    }
  };
  await walk("");
  return files.sort();
}

const files = await sourceFiles();
const readAll = (paths: string[]) =>
  Promise.all(
    paths.map(async (file) =>
      [file, await Deno.readTextFile(join(REPO_ROOT, file))] as [string, string]
    ),
  );
const texts = new Map(await readAll(files));
/** Every non-test source, for the size checks (a superset of the layered files). */
const sizedTexts = new Map(await readAll(await nonTestFiles()));
const graph = new Map(files.map((file) => [file, importsOf(file, texts.get(file)!)]));

Deno.test("architecture: imports run one way along the pipeline", () => {
  assert.deepEqual(layerViolations(graph), []);
});

Deno.test("architecture: no import cycles", () => {
  assert.deepEqual(importCycles(graph), []);
});

Deno.test("architecture: every relative import names an existing file", async () => {
  const missing: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const exists = await Deno.stat(join(REPO_ROOT, target)).then(() => true, () => false);
      if (!exists) missing.push(`${file} -> ${relative(".", target)}`);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test(`architecture: no source file over ${MAX_FILE_LINES} lines`, () => {
  const long = [...sizedTexts].map(([file, text]) => [file, text.split("\n").length] as const)
    .filter(([, count]) => count > MAX_FILE_LINES)
    .map(([file, count]) => `${file} (${count} lines)`);
  assert.deepEqual(long, []);
});

Deno.test(`architecture: no function or method over ${MAX_FUNCTION_LINES} lines`, () => {
  const long = [...sizedTexts].flatMap(([file, text]) => longFunctions(file, text));
  assert.deepEqual(long, []);
});

Deno.test("architecture: the checks themselves catch what they are meant to", () => {
  const upward = new Map([["model/a.ts", ["rtl/b.ts"]], ["sim/c.ts", ["synth/d.ts"]]]);
  assert.deepEqual(layerViolations(upward), ["model/a.ts -> rtl/b.ts", "sim/c.ts -> synth/d.ts"]);
  const cyclic = new Map([["rtl/a.ts", ["rtl/b.ts"]], ["rtl/b.ts", ["rtl/a.ts"]]]);
  assert.deepEqual(importCycles(cyclic), [["rtl/a.ts", "rtl/b.ts"]]);
  const lines = (n: number) => Array(n).fill("    x();").join("\n");
  const big = (header: string, n: number) => `${header}\n${lines(n)}\n  }`;
  const limit = MAX_FUNCTION_LINES - 2;
  for (
    const header of [
      "  export async function big(a: { b: number }): Promise<{ c: string }> {",
      "  big(a: number): void {",
      "  const big = async (a: number) => {",
      "  const big = a => {",
      "  private get big(): number {",
    ]
  ) {
    assert.deepEqual(longFunctions("f.ts", big(header, limit)), [], header);
    assert.deepEqual(longFunctions("f.ts", big(header, limit + 1)).length, 1, header);
  }
  // Braces in strings, templates, regular expressions and comments do not count; control blocks
  // and object literals are no functions.
  const tricky = `function f() {\n  const s = "}";\n  const t = \`\${"}"} }\`;\n` +
    `  const r = /}/;\n  // }\n  if (s) {\n    x();\n  }\n  return { a: 1 };\n}\n`;
  assert.deepEqual(functionSpans(tricky), [{ name: "f", startLine: 1, lines: 10 }]);
  assert.deepEqual(importsOf("sim/x.ts", `import { a } from "../rtl/mod.ts";`), ["rtl/mod.ts"]);
});
