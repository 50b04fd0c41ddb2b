/**
 * What place and route reads of a design folder: design.json's top module, Verilog files,
 * memories (for the fit check before synthesis), PE count, configured clock and cycle estimate,
 * and a digest of the RTL and memory images (timing.json records it, so that a result of other
 * RTL is never taken for this design's clock).
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import { createHash } from "node:crypto";
import { UserError } from "../../util/errors.ts";
import type { StreamBits } from "./ports.ts";
import { type DesignMemory, designRtlPaths, readDesignJson } from "../../rtl/design_schema.ts";

/** A design folder as place and route sees it (from design.json, rtl/design_schema.ts). */
export interface PnrDesign {
  /** Absolute folder. */
  dir: string;
  /** Folder as the user gave it (for messages). */
  given: string;
  /** Top module. */
  top: string;
  /** The module instantiated once per PE. */
  peModule: string;
  /** design.json's one-line description. */
  description: string;
  /** Verilog files and headers, relative to `dir`. */
  rtlFiles: string[];
  /** Memories (role, PE, bits). */
  memories: DesignMemory[];
  /** PEs. */
  pes: number;
  /** Configured (assumed) clock, MHz. */
  clockMhz: number;
  /** Cycles per time step (the cycle estimate). */
  cyclesPerStep: number;
  /** The stream widths of the top (for the registered-ports wrapper, ports.ts). */
  streamBits: StreamBits;
}

/** Read a design folder; a missing folder, file or field is a UserError naming it. */
export async function readPnrDesign(dir: string): Promise<PnrDesign> {
  const absolute = resolve(dir);
  const info = await Deno.stat(absolute).catch(() => null);
  if (!info) throw new UserError(`${dir}: no such design folder`);
  if (!info.isDirectory) {
    throw new UserError(`${dir}: not a folder (expected a design folder of deno task gen)`);
  }
  const design = await readDesignJson(dir);
  const paths = await designRtlPaths(absolute, design);
  const rtlFiles = paths.map((path) => relative(absolute, path));
  const outside = rtlFiles.find((file) => file.startsWith(".."));
  if (outside) {
    throw new UserError(
      `${join(dir, "design.json")}: rtlFiles: ${outside} is outside the design folder`,
    );
  }
  return {
    dir: absolute,
    given: dir,
    top: design.top,
    peModule: design.peModule,
    description: design.description,
    rtlFiles,
    memories: design.memories,
    pes: design.accelerator.pes,
    clockMhz: design.accelerator.clockMhz,
    cyclesPerStep: design.estimate.cyclesPerStep,
    streamBits: {
      input: design.rtl.AB * design.rtl.BATCH * design.rtl.IN_WORDS,
      output: design.rtl.AB * design.rtl.BATCH * design.rtl.OUT_WORDS,
    },
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  } catch {
    // no folder: nothing to hash
  }
  return names.sort();
}

/**
 * sha256 over the design's RTL files and memory images (names and contents): what place and
 * route saw. `rtlFiles` relative to `dir`; the images are the files of `dir/mem`.
 */
export async function designDigest(dir: string, rtlFiles: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  const memFiles = (await listFiles(join(dir, "mem"))).map((name) => join("mem", name));
  for (const file of [...rtlFiles, ...memFiles]) {
    hash.update(`${file}\n`);
    hash.update(await Deno.readFile(join(dir, file)));
  }
  return hash.digest("hex");
}
