/**
 * The shape of the code base (docs/code.md): imports run one way along the pipeline, no module
 * imports itself through a cycle, and no source file or function outgrows what a reader can hold.
 *
 * Layers, lowest first: util -> model -> prune -> encode -> rtl -> (sim | synth) -> bench ->
 * sweep -> (cli | mod.ts) -> scripts. A file may import its own layer or a lower one; sim and
 * synth are siblings and import neither each other.
 */

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
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
/** Largest top-level function, in lines. */
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
 * Top-level functions longer than the limit. deno fmt puts the closing brace of a top-level
 * declaration alone at column 0, so a declaration runs from its first line to the next `}` line.
 */
function longFunctions(file: string, lines: string[]): string[] {
  const start =
    /^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+(\w+)|^(?:export\s+)?const\s+(\w+)\s*=\s*(?:async\s*)?\(/;
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = lines[i].match(start);
    if (!match) continue;
    let end = i;
    while (end < lines.length && !/^\}[;)]*$/.test(lines[end])) end++;
    const length = end - i + 1;
    if (end < lines.length && length > MAX_FUNCTION_LINES) {
      found.push(`${file}:${i + 1} ${match[1] ?? match[2]} (${length} lines)`);
    }
  }
  return found;
}

const files = await sourceFiles();
const texts = new Map(
  await Promise.all(
    files.map(async (file) =>
      [file, await Deno.readTextFile(join(REPO_ROOT, file))] as [string, string]
    ),
  ),
);
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
  const long = [...texts].map(([file, text]) => [file, text.split("\n").length] as const)
    .filter(([, count]) => count > MAX_FILE_LINES)
    .map(([file, count]) => `${file} (${count} lines)`);
  assert.deepEqual(long, []);
});

Deno.test(`architecture: no top-level function over ${MAX_FUNCTION_LINES} lines`, () => {
  const long = [...texts].flatMap(([file, text]) => longFunctions(file, text.split("\n")));
  assert.deepEqual(long, []);
});

Deno.test("architecture: the checks themselves catch what they are meant to", () => {
  const upward = new Map([["model/a.ts", ["rtl/b.ts"]], ["sim/c.ts", ["synth/d.ts"]]]);
  assert.deepEqual(layerViolations(upward), ["model/a.ts -> rtl/b.ts", "sim/c.ts -> synth/d.ts"]);
  const cyclic = new Map([["rtl/a.ts", ["rtl/b.ts"]], ["rtl/b.ts", ["rtl/a.ts"]]]);
  assert.deepEqual(importCycles(cyclic), [["rtl/a.ts", "rtl/b.ts"]]);
  const body = ["export function big() {", ...Array(MAX_FUNCTION_LINES).fill("  x;"), "}"];
  assert.deepEqual(longFunctions("f.ts", body).length, 1);
  assert.deepEqual(importsOf("sim/x.ts", `import { a } from "../rtl/mod.ts";`), ["rtl/mod.ts"]);
});
