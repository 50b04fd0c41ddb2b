/**
 * The build cache of the simulation flows. A simulator build (Verilator's C++ model, Icarus's
 * compiled testbench) is stored under `<cache root>/<simulator>/<hash>/`, where the hash covers
 * every input of the build: Verilog sources, harness source, flags and the simulator's version.
 * Builds happen in a temporary sibling directory that is renamed into place, so concurrent runs
 * (parallel tests) never see a half-built entry; the loser of a race simply uses the winner's.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { onInterrupt, removeSync } from "../util/interrupt.ts";

/** Environment variable that overrides the default cache root. */
export const CACHE_ENV = "RNNFAB_SIM_CACHE";

/** The cache root: an explicit directory, else $RNNFAB_SIM_CACHE, else `.cache/rnnfab-sim` under the current directory. */
export function cacheRoot(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const fromEnv = Deno.env.get(CACHE_ENV);
  if (fromEnv) return resolve(fromEnv);
  return resolve(".cache", "rnnfab-sim");
}

/** One named part of a build's inputs (a file's content, a flag list, a version string). */
export interface HashPart {
  /** What the part is (file name, "flags", ...); part of the hash. */
  name: string;
  /** Its content. */
  content: string | Uint8Array;
}

/** A hex SHA-256 over named parts (names and lengths included, so parts cannot run together). */
export function hashParts(parts: HashPart[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    const bytes = typeof part.content === "string"
      ? new TextEncoder().encode(part.content)
      : part.content;
    hash.update(`${part.name}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The outcome of `cachedBuild`. */
export interface CachedBuild {
  /** Directory holding the finished build. */
  dir: string;
  /** True when the entry already existed and nothing was built. */
  cached: boolean;
  /** Wall seconds spent building (0 when cached). */
  seconds: number;
}

function entryDir(root: string, kind: string, hash: string): string {
  return join(root, kind, hash.slice(0, 24));
}

/** Whether the cache entry `<root>/<kind>/<hash>` is complete (its marker file exists). */
export async function cachedBuildExists(options: {
  root: string;
  kind: string;
  hash: string;
  marker: string;
}): Promise<boolean> {
  return await exists(join(entryDir(options.root, options.kind, options.hash), options.marker));
}

/**
 * Return the cache entry `<root>/<kind>/<hash>`, building it first with `build(temporaryDir)` when
 * it is missing. `marker` is a file name inside the entry whose presence means "complete".
 */
export async function cachedBuild(options: {
  root: string;
  kind: string;
  hash: string;
  marker: string;
  build: (temporaryDir: string) => Promise<void>;
}): Promise<CachedBuild> {
  const dir = entryDir(options.root, options.kind, options.hash);
  if (await exists(join(dir, options.marker))) return { dir, cached: true, seconds: 0 };
  await Deno.mkdir(join(options.root, options.kind), { recursive: true });
  const temporary = `${dir}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const unregister = onInterrupt(() => removeSync(temporary));
  await Deno.mkdir(temporary, { recursive: true });
  const started = performance.now();
  try {
    await options.build(temporary);
    const seconds = (performance.now() - started) / 1000;
    try {
      await Deno.rename(temporary, dir);
    } catch {
      if (await exists(join(dir, options.marker))) {
        // Another process finished the same build first: keep its entry.
        await Deno.remove(temporary, { recursive: true }).catch(() => {});
      } else {
        // A stale entry without its marker (an older layout or a crash): replace it.
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        await Deno.rename(temporary, dir);
      }
    }
    return { dir, cached: false, seconds };
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  } finally {
    unregister();
  }
}
