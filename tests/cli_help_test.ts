import assert from "node:assert/strict";
import { runDenoScript } from "./helpers.ts";

/** Every command behind `deno task ...`, by its script. */
const SCRIPTS = [
  "cli/infer.ts",
  "cli/prune.ts",
  "cli/encode.ts",
  "cli/gen.ts",
  "cli/sim.ts",
  "cli/import.ts",
  "cli/bench.ts",
  "cli/synth.ts",
  "cli/pnr.ts",
  "cli/bench_timing.ts",
  "cli/demo.ts",
  "cli/finetune.ts",
  "cli/bench_fidelity.ts",
  "cli/bench_schedules.ts",
  "cli/bench_ese.ts",
  "cli/bench_cpu.ts",
  "cli/bench_sim.ts",
  "cli/bench_delta.ts",
  "scripts/make_examples.ts",
  "scripts/setup.ts",
];

for (const script of SCRIPTS) {
  Deno.test(`${script} prints its usage with --help and exits 0`, async () => {
    const result = await runDenoScript(script, ["--help"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^usage: deno task /);
  });
}
