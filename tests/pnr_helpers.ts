/**
 * What the place-and-route tests share: the command, the tiny GRU they generate in process (in
 * the narrowest formats, `PNR_FORMATS`), and one real run on a part with its checks
 * (tests/pnr_ice40_test.ts and pnr_ecp5_test.ts: each its own file, so that the two long runs can
 * go to different test workers).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { randomModel, type RandomModelOptions } from "../model/random.ts";
import { ASSUMED_CLOCK } from "../rtl/clock.ts";
import { type AcceleratorSettings, generateDesignDir } from "../rtl/mod.ts";
import { clockForDesign } from "../synth/pnr/clock.ts";
import { parseTimingReport, type TimingReport } from "../synth/pnr/schema.ts";
import { type CommandResult, runDenoScript, withTempDir } from "./helpers.ts";

/** `deno task pnr` with these arguments. */
export function pnr(args: string[]): Promise<CommandResult> {
  return runDenoScript("cli/pnr.ts", args);
}

/** The tiny GRU (4 -> 4, one layer) of the command tests. */
export const TINY_GRU = {
  kind: "gru",
  inputSize: 4,
  hiddenSize: 4,
  numLayers: 1,
  seed: 5,
} as const;

/**
 * Narrow number formats for the real runs: 8-bit weights, Q12.8 activations. The datapath (and so
 * the synthesis and placement work) shrinks; measured on the iCE40 UP5K: 2,763 LCs and 31 I/O
 * instead of 3,639 and 39, place and route 356 s instead of 519 s on the same loaded machine.
 */
export const NARROW_FORMATS: AcceleratorSettings = {
  weightBits: 8,
  activationBits: 12,
  activationFrac: 8,
};

/**
 * Narrower still for the two place-and-route tests: 6-bit weights, Q8.5 activations. The design
 * keeps what the tests check (an RTL instance path on the critical path, block RAMs, DSPs);
 * measured on the loaded development machine, CPU seconds of one `pnr` run: iCE40 UP5K 52 instead
 * of 71 with NARROW_FORMATS (2,688 logic cells, 3 DSPs); the ECP5-25F run 42, with 5 DP16KD.
 */
export const PNR_FORMATS: AcceleratorSettings = {
  weightBits: 6,
  activationBits: 8,
  activationFrac: 5,
};

/** Generate a design from a random model in process, as `deno task gen` does. */
export async function generate(
  root: string,
  name: string,
  model: RandomModelOptions,
  settings: AcceleratorSettings,
): Promise<string> {
  return (await generateDesignDir(randomModel(model), join(root, name), settings)).dir;
}

/**
 * Seeds a place-and-route test tries in turn while router2 stalls. nextpnr's router2 can loop on
 * its last overused wire indefinitely, fixed for a netlist and seed (docs/timing.md), so any
 * change of the RTL may tip the tiny design into it on one seed: the flow stops a stalled router2
 * with one line (exit 2), which the test checks, and goes on with the next seed.
 */
export const ROUTER2_TEST_SEEDS = [1, 2, 3] as const;

/**
 * `pnr --design DIR ...args --seed S` for each of `ROUTER2_TEST_SEEDS` until a run does not stop
 * at a router2 stall (the `--timeout` of `args` bounds each run); the last run.
 */
async function placeWithSeeds(design: string, args: string[]): Promise<CommandResult> {
  let run: CommandResult | undefined;
  for (const seed of ROUTER2_TEST_SEEDS) {
    run = await pnr(["--design", design, ...args, "--seed", String(seed)]);
    if (!/router2 stalled/.test(run.stderr)) return run;
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /router2 stalled: \d+ wire\(s\) still overused at iteration \d+, .*try --router router1 or another --seed; log: /,
    );
  }
  return run!;
}

/** Place and route the tiny design on a part and check timing.json and the clock helper. */
export function placeTiny(
  target: string,
  freq: string,
  extraArgs: string[] = [],
): Promise<TimingReport> {
  return withTempDir(`rnnfab-pnr-${target}-`, async (root) => {
    const design = await generate(root, "gru", TINY_GRU, { pes: 1, ...PNR_FORMATS });
    assert.equal((await clockForDesign(design)).provenance, ASSUMED_CLOCK);
    const run = await placeWithSeeds(design, [
      ...["--target", target, "--freq", freq, "--timeout", "900"],
      ...extraArgs,
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // progress: a heartbeat every 10 s while nextpnr runs (none when it is done sooner), then done
    const done = /pnr: nextpnr-(?:ecp5|ice40): done in (\d+) s/.exec(run.stderr);
    assert.ok(done, `no progress line: ${run.stderr}`);
    if (Number(done[1]) > 10) {
      assert.match(run.stderr, /pnr: nextpnr-(ecp5|ice40): \d+ s, /, "heartbeat lines");
    }
    assert.match(run.stdout, /Fmax \d+\.\d+ MHz, target/);
    const timing = parseTimingReport(
      JSON.parse(await Deno.readTextFile(join(design, "pnr", "timing.json"))),
      "timing.json",
    );
    assert.equal(timing.target.id, target);
    assert.equal(timing.ports, "registered", "the core behind registered ports by default");
    assert.ok(timing.fmaxMhz > 1 && timing.fmaxMhz < 1000, `${timing.fmaxMhz}`);
    assert.equal(timing.passed, timing.fmaxMhz >= Number(freq));
    const hops = timing.criticalPath.hops;
    assert.ok(hops.length >= 1);
    assert.ok(
      hops.some((hop) =>
        /^core\.(pe0|ctrl)(\.|$)/.test(hop.instance) && hop.module.startsWith("rnnfab_")
      ),
      JSON.stringify(hops),
    );
    assert.ok(timing.criticalPath.logicNs > 0 && timing.criticalPath.routingNs > 0);
    for (const row of timing.utilization.summary) {
      assert.ok(row.available > 0 && row.used >= 0, JSON.stringify(row));
    }
    assert.ok(timing.utilization.summary.some((row) => row.used > 0));
    assert.match(timing.tools.yosys, /^Yosys 0\.\d+/);
    assert.match(timing.tools.nextpnr, /^nextpnr-/);
    await Deno.stat(join(design, timing.files.nextpnrLog));
    const clock = await clockForDesign(design);
    assert.deepEqual(clock, {
      mhz: timing.fmaxMhz,
      provenance: timing.provenance,
      placedAndRouted: true,
    });
    return timing;
  });
}
