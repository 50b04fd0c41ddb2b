/**
 * Place and route (`deno task pnr`, synth/pnr/): the parsers on captured nextpnr reports
 * (tests/data/pnr), the mapping of netlist names back to RTL instances, the fit checks, the
 * clock helper and one-line errors (bad target, a design that cannot fit). The two real runs on a
 * tiny generated GRU (1 PE), for iCE40 UP5K and ECP5-25F, are tests/pnr_ice40_test.ts and
 * pnr_ecp5_test.ts (one file each, so that they can run on different test workers).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  blockRamLowerBound,
  designShortfalls,
  fitMessage,
  nextpnrShortfalls,
  shortfalls,
  synthesisNeeds,
  unplaceableCell,
  unplaceableMessage,
} from "../synth/pnr/fit.ts";
import {
  locate,
  parseScopes,
  refineLocation,
  scopeIndex,
  signalOf,
} from "../synth/pnr/hierarchy.ts";
import {
  achievedFmax,
  criticalPath,
  ioPaths,
  parseNextpnrReport,
} from "../synth/pnr/nextpnr_report.ts";
import { formatTimingReport, timingReportFrom } from "../synth/pnr/result.ts";
import { parseTimingReport } from "../synth/pnr/schema.ts";
import {
  nextpnrPhase,
  router2Iterations,
  router2StallWatch,
  runLogged,
  yosysPhase,
} from "../synth/pnr/run.ts";
import { pnrSynthesisScript } from "../synth/pnr/script.ts";
import { pnrTarget } from "../synth/pnr/targets.ts";
import { expectUserError, withTempDir } from "./helpers.ts";
import { generate, pnr, TINY_GRU } from "./pnr_helpers.ts";

const DATA = new URL("./data/pnr/", import.meta.url).pathname;

async function captured(name: string) {
  const report = parseNextpnrReport(
    JSON.parse(await Deno.readTextFile(join(DATA, `${name}.report.json`))),
    name,
  );
  const scopes = parseScopes(await Deno.readTextFile(join(DATA, `${name}.scopes.txt`)));
  return { report, index: scopeIndex(scopes, "rnnfab_top", "rnnfab_pe") };
}

Deno.test("pnr: the captured ECP5 report: Fmax, the critical path in RTL terms, port paths", async () => {
  const { report, index } = await captured("ecp5-25k_gru_2pe");
  assert.deepEqual(achievedFmax(report)?.mhz.toFixed(2), "58.37");
  const path = criticalPath(report, index)!;
  // Logic and routing add up to the total, which is the clock period at Fmax.
  assert.ok(Math.abs(path.logicNs + path.routingNs - path.totalNs) < 0.01);
  assert.ok(Math.abs(1000 / path.totalNs - 58.37) < 0.1, `${path.totalNs}`);
  // It starts in PE 0's GRU element-wise unit, in the n gate's activation unit (its table ROM
  // and interpolation product), and ends in the unit's gate register.
  const first = path.hops[0];
  assert.equal(first.instance, "pe0.gen_gru.ew.act_n");
  assert.equal(first.module, "rnnfab_act");
  assert.deepEqual(first.modules, ["rnnfab_pe", "rnnfab_ew_gru", "rnnfab_act"]);
  assert.equal(first.pe, 0);
  assert.ok(first.signals.includes("table_rom") && first.signals.includes("product"));
  assert.ok(first.sources.some((source) => source.startsWith("rtl/rnnfab_act.v:")));
  assert.equal(path.hops[path.hops.length - 1].instance, "pe0.gen_gru.ew");
  const io = ioPaths(report);
  assert.deepEqual(io.map((p) => p.kind).sort(), ["input -> register", "register -> output"]);
  assert.ok(io.some((p) => p.port === "rst"));
  assert.deepEqual(report.utilization.DP16KD, { used: 12, available: 56 });
});

Deno.test("pnr: the captured iCE40 report: logic named after its sink is placed by its RTL source", async () => {
  const { report, index } = await captured("ice40-up5k_gru_1pe");
  const path = criticalPath(report, index)!;
  // Yosys names the GRU unit's output logic after the PE's h bank it feeds
  // ("pe0.gen_h_lut.h_mem[0]_SB_DFFE_Q_1_D_..."); its nets' sources are rnnfab_ew_gru.v, so the
  // path runs act_n -> the GRU unit -> the h bank register.
  assert.deepEqual(path.hops.map((hop) => hop.instance), [
    "pe0.gen_gru.ew.act_n",
    "pe0.gen_gru.ew",
    "pe0",
  ]);
  assert.ok(path.hops[1].sources.every((source) => source.startsWith("rtl/rnnfab_ew_gru.v:")));
  assert.deepEqual(path.hops[2].signals, ["gen_h_lut.h_mem"]);
  assert.ok(path.routingNs > path.logicNs, "routing dominates on the iCE40");
});

Deno.test("pnr: names to RTL instances", async () => {
  const scopes = parseScopes(await Deno.readTextFile(join(DATA, "ecp5-25k_gru_2pe.scopes.txt")));
  assert.equal(scopes.length, 13);
  assert.ok(scopes.some((s) => s.path === "pe1.gen_ese.engine" && s.module === "rnnfab_mv_ese"));
  const index = scopeIndex(scopes, "rnnfab_top", "rnnfab_pe");
  const cell = locate("pe1.gen_gru.ew.act_z.product_MULT18X18D_P9_A1_CCU2C_S1$CCU2_COMB0", index);
  assert.deepEqual(cell, {
    instance: "pe1.gen_gru.ew.act_z",
    module: "rnnfab_act",
    modules: ["rnnfab_pe", "rnnfab_ew_gru", "rnnfab_act"],
    pe: 1,
    signal: "product",
  });
  assert.equal(locate("ctrl.in_mem.0.2_RAD_LUT4_Z", index).signal, "in_mem");
  assert.equal(locate("ctrl.in_mem.0.2_RAD_LUT4_Z", index).pe, null);
  assert.deepEqual(locate("rst$TRELLIS_IO_IN", index).instance, "");
  assert.equal(locate("rst$TRELLIS_IO_IN", index).module, "rnnfab_top");
  assert.equal(signalOf("$abc$123$auto"), null);
  assert.equal(signalOf("base_wide[3]"), "base_wide");
  // A net named in the PE whose source is the GRU unit's file is the PE's GRU unit; an
  // ambiguous module (three activation units) keeps the name's location.
  const pe = locate("pe0.gen_h_lut.h_mem[0]_SB_DFFE_Q_D", index);
  assert.equal(refineLocation(pe, "rnnfab_ew_gru", index).instance, "pe0.gen_gru.ew");
  assert.equal(refineLocation(pe, "rnnfab_act", index).instance, "pe0");
  assert.equal(
    refineLocation(pe, "rnnfab_act", index, "pe0.gen_gru.ew.act_z").instance,
    "pe0.gen_gru.ew.act_z",
  );
});

Deno.test("pnr: fit checks before and after synthesis and from nextpnr's log", () => {
  const ecp25 = pnrTarget("ecp5-25k", "--target");
  const memories = Array.from({ length: 60 }, (_, pe) => ({ role: "weights", pe, bits: 16384 }));
  assert.deepEqual(blockRamLowerBound(memories, ecp25.blockRamBits), {
    blocks: 60,
    bits: 60 * 16384,
  });
  const early = designShortfalls([...memories, { role: "table", pe: null, bits: 4128 }], ecp25);
  assert.deepEqual(early.map((s) => [s.resource, s.needed, s.available]), [["DP16KD", 60, 56]]);
  assert.match(
    fitMessage(early, ecp25, "lower bound"),
    /^the design does not fit the ECP5-25F \(LFE5U-25F\): it needs 60 block RAM \(DP16KD, 18 Kbit\) \(the part has 56\); lower bound$/,
  );
  const needs = synthesisNeeds(
    { LUT4: 2443, CCU2C: 656, TRELLIS_DPR16X4: 84, TRELLIS_FF: 1823, DP16KD: 12, MULT18X18D: 30 },
    39,
    "ecp5",
  );
  // nextpnr counted 4,259 LUT4s before packing for these cells (tests/data/pnr README design).
  assert.equal(needs.TRELLIS_COMB, 4259);
  assert.deepEqual(shortfalls(needs, ecp25).map((s) => s.resource), ["MULT18X18D"]);
  const up5k = pnrTarget("ice40-up5k", "--target");
  const ice = synthesisNeeds(
    { SB_LUT4: 4764, SB_DFF: 1350, SB_DFFE: 1447, SB_MAC16: 12 },
    39,
    "ice40",
  );
  assert.deepEqual(shortfalls(ice, up5k).map((s) => [s.resource, s.needed]), [[
    "ICESTORM_DSP",
    12,
  ]]);
  const log = [
    "Info: Device utilisation:",
    "Info: \t          TRELLIS_IO:      39/    197    19%",
    "Info: \t              DP16KD:      70/     56   125%",
    "Info: \t          MULT18X18D:      12/     28    42%",
    "",
  ].join("\n");
  assert.deepEqual(nextpnrShortfalls(log, ecp25), [
    { resource: "DP16KD", name: "block RAM (DP16KD, 18 Kbit)", needed: 70, available: 56 },
  ]);
  assert.throws(() => pnrTarget("ecp5-12k", "--target"), /--target: expected ecp5-25k, ecp5-45k/);
});

Deno.test("pnr: a cell nextpnr's placer finds no legal place for is one line naming it and why", () => {
  // the error of nextpnr 0.11 on the 8-PE LSTMP whose 96 multipliers each had their own clock
  // enables (session 27), with --placer-heap-cell-placement-timeout bounding its attempts
  const cell = "core.pe2.gen_unit.unit.gen_lstm_unit.ew.gen_peep_out.po_mul.gen_ecp5.mult";
  const log = [
    "Info: Running main analytical placer, max placement attempts per cell = 11490000.",
    `ERROR: Unable to find legal placement for cell '${cell}' of type 'MULT18X18D' after ` +
    "11490001 attempts, check constraints and utilisation. Use " +
    "`--placer-heap-cell-placement-timeout` to change the number of attempts.",
    "0 warnings, 1 error",
  ].join("\n");
  const unplaced = unplaceableCell(log);
  assert.deepEqual(unplaced, { cell, type: "MULT18X18D" });
  const ecp85 = pnrTarget("ecp5-85k", "--target");
  const message = unplaceableMessage(unplaced!, ecp85, "log: pnr/x/nextpnr.log");
  assert.match(
    message,
    /^the design does not fit the ECP5-85F \(LFE5U-85F\): nextpnr found no legal/,
  );
  assert.match(
    message,
    /po_mul\.gen_ecp5\.mult \(MULT18X18D\): the multipliers of one ECP5 DSP block/,
  );
  assert.doesNotMatch(message, /\n/);
  assert.equal(unplaceableCell("Info: Program finished normally."), null);
});

Deno.test("pnr: the Yosys script reads with include folders and leaves ice40_dsp out", () => {
  const outputs = { netlist: "pnr/w/netlist.json", stat: "pnr/w/stat.json", scopes: "pnr/w/s.txt" };
  const files = ["rtl/rnnfab_top.v", "rtl/rnnfab_pe.v", "rtl/rnnfab_pkg.vh"];
  const ecp5 = pnrSynthesisScript({ family: "ecp5", files, top: "rnnfab_top", outputs });
  assert.match(
    ecp5,
    /^read_verilog -defer -D RNNFAB_ECP5_MULT -I rtl rtl\/rnnfab_top\.v rtl\/rnnfab_pe\.v$/m,
  );
  assert.match(
    ecp5,
    /^synth_ecp5 -top rnnfab_top\nsetparam .*t:MULT18X18D a:rnnfab_mult_registers/m,
  );
  assert.match(ecp5, /^tee -q -o pnr\/w\/s.txt dump t:\$scopeinfo$/m);
  assert.match(ecp5, /^write_json pnr\/w\/netlist.json$/m);
  assert.doesNotMatch(ecp5, /booth/);
  const lut = pnrSynthesisScript({
    family: "ecp5",
    files,
    top: "rnnfab_top",
    outputs,
    lutMultipliers: true,
  });
  assert.match(
    lut,
    /^hierarchy -top rnnfab_top\nproc\nbooth a:rnnfab_lut_multiplier\nsynth_ecp5 /m,
  );
  assert.match(lut, /-D RNNFAB_ECP5_MULT -D RNNFAB_LUT_MULTIPLIERS /);
  const ice40 = pnrSynthesisScript({
    family: "ice40",
    files,
    top: "rnnfab_top",
    includeDirs: ["extra"],
    outputs,
  });
  assert.match(ice40, /^read_verilog -defer -I rtl -I extra /m);
  assert.doesNotMatch(ice40, /RNNFAB_ECP5_MULT|setparam/);
  assert.match(ice40, /-run begin:coarse$/m);
  assert.doesNotMatch(ice40, /^ice40_dsp$/m);
});

Deno.test("pnr: progress lines say what the tools are doing", () => {
  assert.equal(nextpnrPhase("Info: Packing IOs..\n"), "packing");
  assert.equal(
    nextpnrPhase(
      "Info: Running main analytical placer.\nInfo:     at iteration #3, type ALL: " +
        "wirelen solved = 122, spread = 9, legal = 140; time = 0.01s\n",
    ),
    "placing (analytical)",
  );
  assert.equal(
    nextpnrPhase("Info:   at iteration #5: temp = 0.000000, timing cost = 12, wirelen = 90\n"),
    "placing (annealing)",
  );
  assert.equal(
    nextpnrPhase(
      "Info: Routing 17699 arcs.\nInfo:      1000 |       52         947 |   52   947 |     16787|\n",
    ),
    "routing, 16787 arcs left",
  );
  assert.equal(
    nextpnrPhase("Info:     iter=19 wires=27830 overused=1 overuse=1 archfail=NA\n"),
    "routing, iteration 19, 1 wires overused",
  );
  assert.equal(nextpnrPhase(""), undefined);
  assert.equal(
    yosysPhase("11.37.4. Executing OPT_CLEAN pass (remove unused cells and wires).\n"),
    "opt_clean",
  );
  assert.equal(yosysPhase("2.1. Executing Verilog-2005 frontend: rtl/a.v\n"), "reading Verilog");
});

Deno.test("pnr: timing.json from a captured report, and the clock helper", async () => {
  const { report, index } = await captured("ecp5-25k_gru_2pe");
  const target = pnrTarget("ecp5-25k", "--target");
  const timing = timingReportFrom({
    design: { description: "GRU 4->8 x1; 2 PEs", top: "rnnfab_top", pes: 2, cyclesPerStep: 156 },
    target,
    tools: { yosysVersion: "Yosys 0.70", nextpnrVersion: "nextpnr-0.11.1", packages: {} },
    digest: "0",
    seed: 1,
    ports: "direct",
    router: "router1",
    flow: 4,
    blockRamOutputRegisters: null,
    freqMhz: 200,
    report,
    index,
    cells: { LUT4: 2443 },
    seconds: { synthesis: 52, placeAndRoute: 225, total: 280 },
    files: {},
    notes: [],
  });
  assert.equal(timing.fmaxMhz, 58.37);
  assert.equal(timing.passed, false);
  assert.ok(timing.slackNs < -10);
  assert.equal(timing.provenance, "placed and routed (nextpnr, ECP5-25F, -8)");
  assert.equal(timing.usPerStepAtFmax, Math.round((156 / 58.37370681762695) * 1e4) / 1e4);
  const comb = timing.utilization.summary.find((row) => row.resource === "TRELLIS_COMB")!;
  assert.deepEqual([comb.used, comb.available], [4569, 24288]);
  const text = formatTimingReport(timing).join("\n");
  assert.match(text, /Fmax 58\.37 MHz, target 200 MHz: FAIL/);
  assert.match(text, /pe0\.gen_gru\.ew\.act_n \(rnnfab_act, PE 0\): table_rom/);
  assert.throws(
    () => parseTimingReport({ ...timing, fmaxMhz: "fast" }, "t.json"),
    /t\.json: fmaxMhz/,
  );
  // The part table matches what nextpnr reports as available for the ECP5-25F.
  for (const resource of target.resources) {
    assert.equal(report.utilization[resource.resource].available, resource.available);
  }
});

Deno.test("pnr command: --help and one-line errors", async () => {
  await withTempDir("rnnfab-pnr-cli-", async (root) => {
    const help = await pnr(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: deno task pnr --design DIR --target T/);
    assert.match(expectUserError(await pnr(["--target", "ecp5-25k"])), /--design is required/);
    const design = await generate(root, "small", TINY_GRU, { pes: 1 });
    assert.match(
      expectUserError(await pnr(["--design", design, "--target", "ecp5-12k"])),
      /^error: deno task pnr: --target: expected ecp5-25k, ecp5-45k, ecp5-85k or ice40-up5k, got ecp5-12k$/,
    );
    assert.match(
      expectUserError(await pnr(["--design", design, "--target", "ice40-up5k", "--freq", "fast"])),
      /--freq: expected a number > 0, got fast/,
    );
    assert.match(
      expectUserError(await pnr(["--design", join(root, "none"), "--target", "ecp5-25k"])),
      /no such design folder/,
    );
    // A dense GRU 64 -> 128 on 2 PEs: its weights alone need more block RAM than the UP5K has;
    // said before anything is synthesized.
    const big = await generate(root, "big", { ...TINY_GRU, inputSize: 64, hiddenSize: 128 }, {
      pes: 2,
    });
    const line = expectUserError(await pnr(["--design", big, "--target", "ice40-up5k"]));
    assert.match(
      line,
      /does not fit the iCE40 UP5K \(iCE40UP5K\): it needs \d+ block RAM \(SB_RAM40_4K, 4 Kbit\) \(the part has 30\).*nothing was synthesized/,
    );
    await assert.rejects(Deno.stat(join(big, "pnr", "timing.json")));
  });
});

/** router2's iteration lines, as nextpnr writes them. */
function router2Log(overused: number[], first = 1): string {
  return overused.map((count, i) =>
    `Info:     iter=${first + i} wires=27830 overused=${count} overuse=${count} archfail=NA\n`
  ).join("");
}

Deno.test("pnr: router2's stall watch names a router that stopped making progress", () => {
  assert.deepEqual(router2Iterations("Info: Routing..\n" + router2Log([821, 246])), [
    { iteration: 1, overused: 821 },
    { iteration: 2, overused: 246 },
  ]);
  // the captured convergence of the tiny GRU (tests/pnr_ice40_test.ts): a plateau of 4 at one wire
  const converging = router2StallWatch(5);
  assert.equal(converging(router2Log([821, 246, 147, 1, 1, 1, 1])), undefined);
  assert.equal(converging(router2Log([0], 8)), undefined);
  // one wire overused from iteration 3 on, seen in tails of successive heartbeats
  const stuck = router2StallWatch(100);
  assert.equal(stuck(router2Log([40, 3, 1, 2, 1])), undefined);
  assert.equal(stuck(router2Log(Array(60).fill(1), 40)), undefined);
  assert.equal(
    stuck(router2Log([1, 2, 1], 101)),
    "router2 stalled: 1 wire(s) still overused at iteration 103, no fewer than 1 since " +
      "iteration 3; try --router router1 or another --seed",
  );
  // a new low restarts the count
  const recovering = router2StallWatch(10);
  assert.equal(recovering(router2Log([5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3])), undefined);
  assert.equal(recovering(router2Log([3], 20)), undefined);
  assert.match(
    recovering(router2Log([3], 22)) ?? "",
    /at iteration 22, no fewer than 3 since iteration 12/,
  );
});

Deno.test("pnr: runLogged stops a tool whose log shows a stalled router2", () =>
  withTempDir("rnnfab-pnr-stall-", async (dir) => {
    // a stand-in for nextpnr: router2 lines with one wire overused, forever
    const line = "Info:     iter=$i wires=9 overused=1 overuse=1 archfail=NA";
    const script = `i=1; while true; do echo "${line}" >> log.txt; i=$((i+1)); sleep 0.01; done`;
    const progress: string[] = [];
    const run = await runLogged("sh", ["-c", script], {
      cwd: dir,
      log: "log.txt",
      timeoutSeconds: 60,
      heartbeatSeconds: 1,
      onProgress: (text) => progress.push(text),
      label: "stand-in",
      phase: nextpnrPhase,
      stalled: router2StallWatch(50),
    });
    assert.equal(run.timedOut, false);
    assert.match(
      run.killedBecause ?? "",
      /^router2 stalled: 1 wire\(s\) still overused at iteration \d+/,
    );
    assert.ok(run.seconds < 30, `stopped after ${run.seconds} s`);
    assert.match(progress.join("\n"), /stand-in: \d+ s, routing, iteration \d+, 1 wires overused/);
  }));
