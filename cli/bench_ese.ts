/**
 * `deno task bench:ese`: the ESE-shaped LSTM BCR-pruned with PE balance to about 11% density,
 * generated for 32 PEs at 200 MHz and simulated with Verilator over a few frames, in both weight
 * formats (`runEseBench`, bench/ese.ts). Prints the figures and writes bench/results/ese.json.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { parseFlags, runCommand } from "./common.ts";
import { UserError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { type BlockSize, parseBlock } from "../prune/prune.ts";
import { runEseBench } from "../bench/ese.ts";

const NAME = "deno task bench:ese";
const USAGE = `[--steps T] [--formats ese,bcr] [--density D] [--block RxC] [--pes N]
       [--clock-mhz F] [--work-dir DIR] [--reuse-build] [--out FILE]

Generates and simulates the ESE-shaped LSTMP (examples/ese_lstmp.json) and writes FILE
(default bench/results/ese.json).

  --steps T        frames (time steps) simulated (default 4)
  --formats LIST   weight formats to run (default ese,bcr)
  --density D      BCR pruning density with PE balance (default 0.11)
  --block RxC      BCR block (default 16x16)
  --pes N          processing elements (default 32)
  --clock-mhz F    clock for the microsecond figures (default 200, as ESE)
  --work-dir DIR   where designs are generated (default out/bench-ese)
  --reuse-build    keep the Verilator builds of an earlier run (default: build afresh, so that
                   the build time is measured)`;

await runCommand(async () => {
  const flags = parseFlags(Deno.args, {
    name: NAME,
    usage: USAGE,
    options: {
      steps: { type: "string", default: "4" },
      formats: { type: "string", default: "ese,bcr" },
      density: { type: "string", default: "0.11" },
      block: { type: "string", default: "16x16" },
      pes: { type: "string", default: "32" },
      "clock-mhz": { type: "string", default: "200" },
      "work-dir": { type: "string", default: "out/bench-ese" },
      "reuse-build": { type: "boolean" },
      out: { type: "string", default: "bench/results/ese.json" },
    },
  });
  const steps = Number(flags.steps);
  const density = Number(flags.density);
  const pes = Number(flags.pes);
  const clockMhz = Number(flags["clock-mhz"]);
  const formats = String(flags.formats).split(",").map((f) => f.trim());
  const block: BlockSize | null = parseBlock(String(flags.block));
  if (!Number.isInteger(steps) || steps < 2) throw new UserError(`${NAME}: --steps: expected >= 2`);
  if (!(density > 0 && density <= 1)) throw new UserError(`${NAME}: --density: expected (0, 1]`);
  if (!Number.isInteger(pes) || pes < 1) throw new UserError(`${NAME}: --pes: expected >= 1`);
  if (!(clockMhz > 0)) throw new UserError(`${NAME}: --clock-mhz: expected > 0`);
  if (!block) throw new UserError(`${NAME}: --block: expected RxC, got ${flags.block}`);
  for (const format of formats) {
    if (format !== "ese" && format !== "bcr") {
      throw new UserError(`${NAME}: --formats: expected ese and/or bcr, got ${format}`);
    }
  }
  const workDir = resolve(String(flags["work-dir"]));
  await Deno.mkdir(workDir, { recursive: true });
  const cacheDir = join(workDir, "cache");
  if (!flags["reuse-build"]) await Deno.remove(cacheDir, { recursive: true }).catch(() => {});

  const output = await runEseBench({
    steps,
    formats: formats as ("ese" | "bcr")[],
    density,
    block,
    pes,
    clockMhz,
    workDir,
    cacheDir,
    log: (line) => console.log(line),
  });
  const outPath = String(flags.out);
  await writeJsonAtomic(outPath, output);
  console.log(`\nwrote ${outPath}`);
  if (output.formats.some((r) => !r.bitExact)) {
    console.error("error: a design was not bit-exact (see the result above)");
    Deno.exit(1);
  }
});
