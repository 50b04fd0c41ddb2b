/**
 * The Python side of the cocotb flow: which interpreter, which cocotb and websockets it has,
 * whether that cocotb can drive a Verilator, the environment that points cocotb's runner at the
 * project's Verilator, and cocotb's results.xml.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { VerilatorTool } from "../verilator_tool.ts";

const REPOSITORY_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/** The Python interpreter of the cocotb flow. */
export function defaultPython(): string {
  return Deno.env.get("RNNFAB_PYTHON") ?? join(REPOSITORY_ROOT, ".venv", "bin", "python");
}

/** cocotb's and websockets' versions in a Python, or an error that says how to install them. */
export async function pythonPackages(
  python: string,
): Promise<{ cocotb: string; websockets: string }> {
  const script = "import cocotb, websockets; print(cocotb.__version__, websockets.__version__)";
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, { args: ["-c", script], stdin: "null" }).output();
  } catch {
    throw new Error(`${python} does not exist: run \`deno task setup\` to create the venv`);
  }
  if (output.code !== 0) {
    throw new Error(
      `${python} lacks cocotb or websockets: run \`deno task setup\` (requirements.txt)`,
    );
  }
  const [cocotb, websockets] = new TextDecoder().decode(output.stdout).trim().split(/\s+/);
  return { cocotb, websockets };
}

/** Whether a cocotb version can drive a Verilator version (cocotb 2.x needs Verilator 5.036). */
export function verilatorSupported(cocotbVersion: string, verilatorVersionText: string): boolean {
  const verilator = /(\d+)\.(\d+)/.exec(verilatorVersionText);
  if (!verilator) return false;
  const number = Number(verilator[1]) + Number(verilator[2]) / 1000;
  const major = Number(cocotbVersion.split(".")[0]);
  return number >= (major >= 2 ? 5.036 : 5.006);
}

/**
 * The environment that makes cocotb's runner (which finds `verilator` on PATH and runs make
 * itself) build with this Verilator: its bin directory first on PATH, its VERILATOR_ROOT, and its
 * make variable overrides and `make` (further definitions: the build profile's optimization,
 * OBJCACHE) as command-line definitions in MAKEFLAGS (spaces escaped).
 */
export function verilatorEnvironment(
  tool: VerilatorTool,
  make: string[] = [],
): Record<string, string> {
  const definitions = [...(tool.root ? tool.makeOverrides : []), ...make]
    .map((definition) => definition.replaceAll(" ", "\\ "));
  return {
    ...(tool.root
      ? {
        PATH: `${join(tool.root, "bin")}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        VERILATOR_ROOT: tool.root,
      }
      : {}),
    MAKEFLAGS: [`-j${navigator.hardwareConcurrency || 2}`, ...definitions].join(" "),
  };
}

/** cocotb's results.xml: test name -> passed, with the failure message (our own file format). */
export function parseCocotbResults(
  xml: string,
): Map<string, { passed: boolean; message?: string }> {
  const tests = new Map<string, { passed: boolean; message?: string }>();
  const pattern = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1];
    if (!name) continue;
    const body = match[3] ?? "";
    const failure = /<(failure|error)\b([^>]*)/.exec(body);
    const message = failure ? /\bmessage="([^"]*)"/.exec(failure[2])?.[1] : undefined;
    tests.set(name, { passed: !failure, ...(message ? { message: unescapeXml(message) } : {}) });
  }
  return tests;
}

function unescapeXml(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'").replaceAll("&#10;", "\n").replaceAll("&amp;", "&");
}
