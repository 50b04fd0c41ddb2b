/**
 * A precompiled `verilated.h`, shared by every `build`-profile Verilator build of a cache root.
 * Parsing Verilator's runtime header takes about 2 CPU s of every compile of a model at -O0 (on a
 * small design, a third of its build); the header compiled once per cache root, with the flags of
 * the model's own compile (made by the model's verilated makefile, so they match exactly), cuts
 * that to a load. GCC checks a precompiled header against the compile's flags and macros and reads
 * the plain header instead where they differ, so a mismatch costs time, never correctness.
 *
 * @module
 */

import { join } from "node:path";
import { cachedBuild, hashParts } from "./cache.ts";
import { runTool, tail, type ToolRun } from "../util/process.ts";
import { verilatedMakeCommand, type VerilatorTool } from "./verilator_tool.ts";

const HEADER = "rnnfab_pch.h";
/** verilated.mk's rule `%.fast.gch: %` compiles HEADER to this, with OPT_FAST and CPPFLAGS. */
const COMPILED = `${HEADER}.fast.gch`;
/** The name a compile includes: GCC takes `<name>.gch` beside it when it is valid. */
const INCLUDED = `${HEADER}.fast`;

/**
 * The make variables that compile a verilated model (its `objDir`, verilated already) with the
 * shared precompiled header: `variables` with `-include <header>` added to OPT_FAST and OPT_SLOW
 * (the model's and the harness's compiles; not OPT_GLOBAL, the runtime's, at another level). The
 * header is built on first use, keyed by the Verilator, the variables and the trace setting.
 */
export async function withSharedPch(options: {
  cacheRoot: string;
  objDir: string;
  makefile: string;
  tool: VerilatorTool;
  variables: string[];
  trace: boolean;
  env: string[];
  /** Wraps the precompiling command line (the caller's CPU-time measurement). */
  wrap: (command: string[]) => [string, string[]];
}): Promise<{ variables: string[]; run?: ToolRun }> {
  const { objDir, tool, variables } = options;
  const hash = hashParts([
    { name: "verilator", content: `${tool.source}\n${tool.version}\n${tool.executable}` },
    { name: "make", content: JSON.stringify(variables) },
    { name: "trace", content: String(options.trace) },
  ]);
  let run: ToolRun | undefined;
  const build = await cachedBuild({
    root: options.cacheRoot,
    kind: "verilator-pch",
    hash,
    marker: INCLUDED,
    build: async (dir) => {
      await Deno.writeTextFile(join(objDir, HEADER), '#include "verilated.h"\n');
      const [make, makeArgs] = verilatedMakeCommand(tool, {
        objDir,
        makefile: options.makefile,
        jobs: 1,
        variables: [...variables, COMPILED],
      });
      run = await runTool(...options.wrap(["env", ...options.env, make, ...makeArgs]), {
        cwd: objDir,
        timeoutSeconds: 600,
      });
      if (run.code !== 0) throw new Error(`precompiling verilated.h failed:\n${tail(run)}`);
      await Deno.rename(join(objDir, COMPILED), join(dir, `${INCLUDED}.gch`));
      await Deno.writeTextFile(join(dir, INCLUDED), '#include "verilated.h"\n');
    },
  });
  const include = `-include ${join(build.dir, INCLUDED)}`;
  return {
    variables: variables.map((variable) =>
      /^OPT_(FAST|SLOW)=/.test(variable) ? `${variable} ${include}` : variable
    ),
    ...(run ? { run } : {}),
  };
}
