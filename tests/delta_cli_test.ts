import assert from "node:assert/strict";
import { expectUserError, REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const MODEL = `${REPO_ROOT}examples/lstm.json`;
const INPUT = `${REPO_ROOT}examples/input16.json`;

async function infer(dir: string, name: string, config: unknown, ...extra: string[]) {
  await Deno.writeTextFile(`${dir}/${name}.config.json`, JSON.stringify(config));
  const out = `${dir}/${name}.out.json`;
  const run = await runDenoScript("cli/infer.ts", [
    "--model",
    MODEL,
    "--input",
    INPUT,
    "--out",
    out,
    "--config",
    `${dir}/${name}.config.json`,
    ...extra,
  ]);
  return { run, out };
}

Deno.test("infer --config with delta: theta 0 gives the dense outputs, a threshold fires less, counts go into Y", async () => {
  await withTempDir("rnnfab-delta-cli-", async (dir) => {
    for (const mode of ["fixed", "float"]) {
      const inferIn = (name: string, config: unknown) =>
        infer(dir, `${name}-${mode}`, config, "--mode", mode);
      const dense = await inferIn("dense", {});
      assert.equal(dense.run.code, 0, dense.run.stderr);
      const zero = await inferIn("zero", { delta: { thetaX: 0, thetaH: 0 } });
      assert.equal(zero.run.code, 0, zero.run.stderr);
      assert.match(zero.run.stdout, /delta \((fixed|float) model, computed\): layer 0 fired/);
      const denseOut = JSON.parse(await Deno.readTextFile(dense.out));
      const zeroOut = JSON.parse(await Deno.readTextFile(zero.out));
      assert.deepEqual(zeroOut.outputs, denseOut.outputs);
      const steps = denseOut.outputs.length;
      assert.equal(zeroOut.delta.fired[0].length, steps);
      // In fixed units: 0.5 in Q16.12 is 2048 LSBs; the same as {"thetaX": 0.5} in real units.
      const fixedUnits = await inferIn("t", {
        delta: { thetaX: 2048, thetaH: 2048, units: "fixed" },
      });
      const real = await inferIn("r", { delta: { thetaX: 0.5, thetaH: 0.5 } });
      assert.equal(fixedUnits.run.code, 0, fixedUnits.run.stderr);
      const a = JSON.parse(await Deno.readTextFile(fixedUnits.out));
      const b = JSON.parse(await Deno.readTextFile(real.out));
      assert.deepEqual(a, b);
      assert.ok(a.delta.firedFraction[0] < zeroOut.delta.firedFraction[0]);
    }
  });
});

Deno.test("delta config errors: one line, exit 2, in infer and in gen", async () => {
  await withTempDir("rnnfab-delta-cli-", async (dir) => {
    const bad = await infer(dir, "bad", { delta: { thetaX: -1, thetaH: 0 } });
    assert.match(expectUserError(bad.run), /bad\.config\.json: delta\.thetaX/);
    const units = await infer(dir, "units", { delta: { thetaX: 0.5, thetaH: 0, units: "fixed" } });
    assert.match(expectUserError(units.run), /delta\.thetaX: expected an integer in fixed units/);
    const layers = await infer(dir, "layers", { delta: { thetaX: [0, 0, 0], thetaH: 0 } });
    assert.match(expectUserError(layers.run), /expected one threshold per layer/);
    const noProjection = await infer(dir, "m", { delta: { thetaX: 0, thetaH: 0, thetaM: 0.1 } });
    assert.match(
      expectUserError(noProjection.run),
      /m\.config\.json: delta\.thetaM: expected no thetaM: .* this model has no projection/,
    );
    await assert.rejects(Deno.stat(bad.out));
    const gen = await runDenoScript("cli/gen.ts", [
      "--model",
      MODEL,
      "--out",
      `${dir}/design`,
      "--config",
      `${dir}/bad.config.json`.replace("bad", "layers"),
    ]);
    assert.match(expectUserError(gen), /delta/);
  });
});

/** What the LSTMP test reads from Y. */
interface InferOut {
  outputs: number[][];
  delta: { firedFractionM: number[]; columns: { m: number }[] };
}

Deno.test("infer --config with theta_m on an LSTMP: theta_m 0 is the dense projection, the m part is reported", async () => {
  await withTempDir("rnnfab-delta-cli-m-", async (dir) => {
    const run = (name: string) =>
      runDenoScript("cli/infer.ts", [
        ...["--model", `${REPO_ROOT}examples/ese_lstmp.json`],
        ...["--input", `${REPO_ROOT}examples/input153.json`, "--out", `${dir}/${name}.json`],
        ...["--config", `${dir}/${name}.config.json`],
      ]).then(async (result) => ({
        result,
        out: result.code === 0
          ? JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`))
          : undefined,
      }));
    const configs = {
      dense: { delta: { thetaX: 0, thetaH: 0 } },
      zero: { delta: { thetaX: 0, thetaH: 0, thetaM: 0 } },
      some: { delta: { thetaX: 0, thetaH: 0, thetaM: 0.05 } },
    };
    const outs: Record<
      string,
      { result: { stdout: string; stderr: string; code: number }; out: InferOut }
    > = {};
    for (const [name, config] of Object.entries(configs)) {
      await Deno.writeTextFile(`${dir}/${name}.config.json`, JSON.stringify(config));
      outs[name] = await run(name);
      assert.equal(outs[name].result.code, 0, outs[name].result.stderr);
    }
    assert.deepEqual(outs.zero.out.outputs, outs.dense.out.outputs);
    assert.match(outs.some.result.stdout, /projection input \d+\.\d+% of 1024/);
    const m = outs.some.out.delta.firedFractionM[0];
    assert.ok(m > 0 && m < outs.zero.out.delta.firedFractionM[0], `m fired ${m}`);
    assert.equal(outs.dense.out.delta.columns[0].m, 0);
  });
});
