/**
 * The `synth` command: --help, bad flags, a missing or wrong Yosys (PATH without it, fake ones
 * printing another version or failing), Yosys errors, the time and memory bounds, and two real
 * generated 2-PE designs synthesized end to end: a tiny ese LSTM (weight, pointer and table
 * memories in block RAM, shallow state memories in LUT RAM, multipliers in DSPs) and a bcr LSTM
 * with 65 cells per PE (weight, index and vector memories, and the deep state memories, in block
 * RAM: one Yosys run for both properties).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { randomModel, seededRandom } from "../model/random.ts";
import { type AcceleratorSettings, generateDesignDir } from "../rtl/mod.ts";
import { readSynthesisReport, type SynthesisReport } from "../synth/report.ts";
import { type CommandResult, expectUserError, runDenoScript, withTempDir } from "./helpers.ts";
import type { RnnModel } from "../model/model.ts";

function synth(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runDenoScript("cli/synth.ts", args, { env });
}

/** A tiny LSTM (4 inputs, 8 cells). */
const TINY = () =>
  randomModel({ kind: "lstm", inputSize: 4, hiddenSize: 8, numLayers: 1, seed: 5 });

Deno.test("synth command: flags and a missing or wrong yosys", async (t) => {
  await withTempDir("rnnfab-synth-cli-", async (root) => {
    const dir = await generate(root, TINY());

    await t.step("--help", async () => {
      const run = await synth(["--help"]);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /usage: deno task synth --design DIR/);
      assert.match(run.stdout, /--per-pe/);
    });

    await t.step("bad flags and directories", async () => {
      assert.match(expectUserError(await synth([])), /--design is required/);
      assert.match(
        expectUserError(await synth(["--design", dir, "--target", "ecp5"])),
        /--target: expected xilinx or ice40, got ecp5/,
      );
      assert.match(
        expectUserError(await synth(["--design", join(root, "nothing")])),
        /no such design directory/,
      );
      assert.match(
        expectUserError(await synth(["--design", dir, "--timeout", "soon"])),
        /--timeout: expected a number > 0, got soon/,
      );
      assert.match(
        expectUserError(await synth(["--design", dir, "--max-memory-mb", "1"])),
        /--max-memory-mb: expected a number >= 64, got 1/,
      );
      assert.match(
        expectUserError(await synth(["--design", dir, "--per-pe", "--whole"])),
        /not both/,
      );
    });

    await t.step("no yosys on PATH", async () => {
      const line = expectUserError(await synth(["--design", dir], { PATH: join(root, "empty") }));
      assert.match(line, /yosys not found .*install Yosys 0\.23 \(apt-get install yosys\)/);
    });

    const fakes = join(root, "fake");
    await Deno.mkdir(fakes);
    const fake = async (body: string) => {
      await Deno.writeTextFile(join(fakes, "yosys"), `#!/bin/sh\n${body}\n`);
      await Deno.chmod(join(fakes, "yosys"), 0o755);
      return { PATH: `${fakes}:${Deno.env.get("PATH") ?? ""}` };
    };

    await t.step("a yosys too old", async () => {
      const env = await fake('echo "Yosys 0.9 (git sha1 1061d2a, gcc 9.3.0)"');
      assert.match(expectUserError(await synth(["--design", dir], env)), /yosys 0\.9 is too old/);
    });

    await t.step("a yosys that fails", async () => {
      const env = await fake('echo "libyosys.so: cannot open shared object file" >&2; exit 1');
      assert.match(
        expectUserError(await synth(["--design", dir], env)),
        /"yosys -V" failed \(exit 1: libyosys\.so: cannot open shared object file\)/,
      );
    });

    await t.step("something else called yosys", async () => {
      const env = await fake('echo "hello"');
      assert.match(
        expectUserError(await synth(["--design", dir], env)),
        /printed "hello", not a Yosys/,
      );
    });
  });
});

Deno.test("synth command: Yosys errors, time and memory bounds name the log", async (t) => {
  await withTempDir("rnnfab-synth-bounds-", async (root) => {
    const dir = await generate(root, TINY());

    await t.step("time bound", async () => {
      const line = expectUserError(await synth(["--design", dir, "--timeout", "1"]));
      assert.match(
        line,
        /--timeout: (yosys \w+ run timed out after \d+ s.*log: .*\.log|.*time budget)/,
      );
    });

    await t.step("memory bound", async () => {
      const line = expectUserError(await synth(["--design", dir, "--max-memory-mb", "100"]));
      assert.match(
        line,
        /--max-memory-mb: .*ran out of memory \(limit 100 MiB.*log: .*synth\/xilinx\/\w+\.log/,
      );
    });

    await t.step("a Verilog error (a folder without design.json: rtl/*.v)", async () => {
      await Deno.remove(join(dir, "design.json"));
      await Deno.writeTextFile(join(dir, "rtl", "broken.v"), "module broken(input wire a\n");
      const line = expectUserError(await synth(["--design", dir]));
      assert.match(line, /yosys elaborate run failed: .*broken\.v.*ERROR.*; log: .*elaborate\.log/);
    });
  });
});

/** Generates a 2-PE design of `model` in `root` (in process, as `deno task gen` does). */
async function generate(
  root: string,
  model: RnnModel,
  settings: AcceleratorSettings = {},
): Promise<string> {
  return (await generateDesignDir(model, join(root, "design"), { pes: 2, ...settings })).dir;
}

/** The leaf of a memory's hierarchical name (`gen_vec_bank[0].vec_mem` -> `vec_mem`). */
const leaf = (name: string) => name.split(".").pop();

/** Instances of the memories named `name` in the report, all expected in and mapped to BRAM. */
function assertInBlockRam(report: SynthesisReport, name: string, instances: number): void {
  const found = report.memories.filter((memory) => leaf(memory.name) === name);
  assert.equal(found.reduce((sum, memory) => sum + memory.instances, 0), instances, name);
  for (const memory of found) {
    assert.equal(memory.expectedInBlockRam, true, name);
    assert.equal(memory.mapping, "block", `${name} became ${memory.mapping}`);
  }
}

Deno.test("synth command: a generated 2-PE LSTM design (ese)", async () => {
  await withTempDir("rnnfab-synth-gen-", async (root) => {
    const design = await generate(root, TINY());
    const description = JSON.parse(await Deno.readTextFile(join(design, "design.json")));
    const weights = description.memories.find((memory: { kind: string }) =>
      memory.kind === "weights"
    );
    assert.equal(weights.rtlName, "weight_mem");
    assert.equal(weights.role, "weights");

    const run = await synth(["--design", design]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /\| rnnfab: one PE \(rnnfab_pe\) \|/);
    assert.match(run.stdout, /ESE on XCKU060 \(published, approximate\)/);
    assert.match(run.stderr, /synth: whole: synthesizing rnnfab_top/);
    const report = await readSynthesisReport(join(design, "synth", "resources.json"));
    assert.equal(report.target, "xilinx");
    assert.equal(report.method, "whole");
    assert.equal(report.pes, 2);
    assert.equal(report.peModule, "rnnfab_pe");
    // Every memory of the RTL is accounted for; the weight and pointer memories of both PEs and
    // the activation tables (two per LSTM unit, five units per PE) are block RAM.
    assert.equal(report.memories.every((memory) => memory.mapping !== "unknown"), true);
    assertInBlockRam(report, "weight_mem", 2);
    assertInBlockRam(report, "pointer_mem", 2);
    assertInBlockRam(report, "table_rom", 10);
    assert.equal(
      report.memories.find((memory) => leaf(memory.name) === "weight_mem")?.role,
      "weights",
    );
    // The gate accumulators are a shallow state memory (4 words, read synchronously): LUT RAM,
    // and not a failure.
    const accumulators = report.memories.find((memory) => leaf(memory.name) === "acc_mem")!;
    assert.equal(accumulators.role, "state");
    assert.equal(accumulators.asyncReadPorts, 0);
    assert.equal(accumulators.expectedInBlockRam, false);
    assert.equal(report.checks.memoriesInBlockRam, true, report.checks.warnings.join("\n"));
    assert.ok(report.total.blockRams >= 2, JSON.stringify(report.total));
    assert.doesNotMatch(run.stdout, /<-- expected block RAM/);
    // Every multiplier wide enough for a DSP is in one; each PE's engine has at least one.
    assert.equal(report.checks.multipliersInDsp, true, report.checks.warnings.join("\n"));
    assert.equal(report.multipliers.dspBlocks, report.multipliers.inRtl);
    assert.ok(report.total.dsps >= 2);
    assert.ok(report.perPe!.dsps >= 1);
    const pe = report.modules.find((module) => module.name === "rnnfab_pe")!;
    assert.equal(pe.instances, 2);
    assert.ok(report.modules.some((module) => module.name === "rnnfab_mv_ese"));
  });
});

Deno.test("synth command: a generated 2-PE LSTM design (bcr), 65 cells per PE: state memories in block RAM", async () => {
  await withTempDir("rnnfab-synth-bcr-deep-", async (root) => {
    // LSTM 3 -> 130 with peepholes on 2 PEs: 65 cells per PE, more than the 64 words of a LUT
    // RAM, so the gate accumulators, c, the h bank and the bias and peephole ROMs are 65 words
    // deep. 10% of the weights kept keep the design (and the synthesis time) small. One design
    // for both properties (the bcr engine's memories, the deep state memories): one Yosys run.
    const model = randomModel({
      kind: "lstm",
      inputSize: 3,
      hiddenSize: 130,
      numLayers: 1,
      peepholes: true,
      seed: 9,
    });
    const random = seededRandom(10);
    for (const layer of model.layers) {
      for (const matrix of [layer.weightIh, layer.weightHh]) {
        for (let i = 0; i < matrix.data.length; i++) if (random() >= 0.1) matrix.data[i] = 0;
      }
    }
    const design = await generate(root, model, { format: "bcr" });
    const run = await synth(["--design", design, "--json"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report: SynthesisReport = JSON.parse(run.stdout);
    assert.equal(report.pes, 2);
    // Weight and index memories and the vector copy of both PEs are block RAM.
    assertInBlockRam(report, "weight_mem", 2);
    assertInBlockRam(report, "index_mem", 2);
    assertInBlockRam(report, "vec_mem", 2);
    for (const name of ["acc_mem", "c_mem", "h_mem", "bias_rom", "peep_rom"]) {
      const found = report.memories.filter((memory) => leaf(memory.name) === name);
      // the gate accumulators: one memory per gate field, in each PE
      const instances = name === "acc_mem" ? 4 * 2 : 2;
      assert.equal(found.reduce((sum, memory) => sum + memory.instances, 0), instances, name);
      for (const memory of found) {
        assert.equal(memory.depth, 65, name);
        assert.equal(memory.asyncReadPorts, 0, name);
        assert.equal(memory.expectedInBlockRam, true, name);
        assert.equal(memory.mapping, "block", `${name} became ${memory.mapping}`);
      }
    }
    assert.equal(report.checks.memoriesInBlockRam, true, report.checks.warnings.join("\n"));
    assert.equal(report.checks.multipliersInDsp, true, report.checks.warnings.join("\n"));
    assert.ok(report.modules.some((module) => module.name === "rnnfab_mv_bcr"));
  });
});
