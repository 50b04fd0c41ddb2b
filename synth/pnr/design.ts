/**
 * What place and route reads of a design folder: design.json's top module, Verilog files,
 * memories (for the fit check before synthesis), PE count, configured clock and cycle estimate,
 * and a digest of the RTL and memory images (timing.json records it, so that a result of other
 * RTL is never taken for this design's clock).
 *
 * @module
 */

import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { z } from "zod";
import { UserError } from "../../util/errors.ts";
import { firstIssue, readJsonFile } from "../../model/inputs.ts";

// The fields of design.json (rtl/generate.ts) this stage reads; the rest passes through.
const designSchema = z.object({
  top: z.string().min(1),
  description: z.string(),
  rtlFiles: z.array(z.string().min(1)).min(1),
  memDir: z.string().optional(),
  memories: z.array(
    z.object({
      role: z.string().optional(),
      pe: z.number().int().nonnegative().nullable().optional(),
      bits: z.number().nonnegative(),
    }).passthrough(),
  ),
  accelerator: z.object({
    pes: z.number().int().positive(),
    clockMhz: z.number().positive(),
  }).passthrough(),
  estimate: z.object({ cyclesPerStep: z.number().positive() }).passthrough(),
}).passthrough();

/** A design folder as place and route sees it. */
export interface PnrDesign {
  /** Absolute folder. */
  dir: string;
  /** Folder as the user gave it (for messages). */
  given: string;
  /** Top module. */
  top: string;
  /** design.json's one-line description. */
  description: string;
  /** Verilog files and headers, relative to `dir`. */
  rtlFiles: string[];
  /** Memories (role, PE, bits). */
  memories: z.infer<typeof designSchema>["memories"];
  /** PEs. */
  pes: number;
  /** Configured (assumed) clock, MHz. */
  clockMhz: number;
  /** Cycles per time step (the cycle estimate). */
  cyclesPerStep: number;
}

/** Read a design folder; a missing folder, file or field is a UserError naming it. */
export async function readPnrDesign(dir: string): Promise<PnrDesign> {
  const absolute = resolve(dir);
  try {
    if (!(await Deno.stat(absolute)).isDirectory) {
      throw new UserError(`${dir}: not a folder (expected a design folder of deno task gen)`);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${dir}: no such design folder`);
  }
  const path = join(dir, "design.json");
  const result = designSchema.safeParse(await readJsonFile(path, "design description"));
  if (!result.success) throw firstIssue(result.error, path);
  const design = result.data;
  for (const file of design.rtlFiles) {
    if (file.startsWith("/") || file.split("/").includes("..")) {
      throw new UserError(`${path}: rtlFiles: ${file} is not a path inside the design folder`);
    }
    try {
      await Deno.stat(join(absolute, file));
    } catch {
      throw new UserError(`${path}: rtlFiles: ${file} does not exist`);
    }
  }
  return {
    dir: absolute,
    given: dir,
    top: design.top,
    description: design.description,
    rtlFiles: design.rtlFiles,
    memories: design.memories,
    pes: design.accelerator.pes,
    clockMhz: design.accelerator.clockMhz,
    cyclesPerStep: design.estimate.cyclesPerStep,
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
