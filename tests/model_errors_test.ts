import assert from "node:assert/strict";
import { modelTensors, modelToJson } from "../model/model_io.ts";
import { writeSafetensors } from "../model/safetensors.ts";
import { randomModel } from "../model/random.ts";
import { REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

const model = randomModel({ kind: "lstm", inputSize: 3, hiddenSize: 4, numLayers: 1, seed: 5 });
const good = modelToJson(model) as Record<string, unknown> & { weights: Record<string, unknown> };
const inputs = JSON.stringify({ inputs: [[0.1, 0.2, 0.3]] });

/** A malformed-model case: files to write into a fresh folder, and what the one error line must say. */
interface BadCase {
  name: string;
  files: (dir: string) => Promise<void>;
  expect: RegExp;
}

function withWeights(
  change: (weights: Record<string, unknown>) => void,
  top: Record<string, unknown> = {},
) {
  const weights = structuredClone(good.weights);
  change(weights);
  return JSON.stringify({ ...good, ...top, weights });
}

const safetensorsBytes = writeSafetensors(modelTensors(model));
const header = { ...good, weights: "w.safetensors" };

const CASES: BadCase[] = [
  {
    name: "wrong shape",
    files: (dir) =>
      Deno.writeTextFile(
        `${dir}/m.json`,
        withWeights((w) => (w.weight_ih_l0 as number[][]).forEach((row) => row.pop())),
      ),
    expect: /m\.json: weight_ih_l0: expected shape \[16,3\], got \[16,2\]/,
  },
  {
    name: "missing tensor",
    files: (dir) => Deno.writeTextFile(`${dir}/m.json`, withWeights((w) => delete w.weight_hh_l0)),
    expect: /weight_hh_l0: missing tensor/,
  },
  {
    name: "Infinity in inline weights",
    files: (dir) =>
      Deno.writeTextFile(
        `${dir}/m.json`,
        withWeights((w) => ((w.bias_ih_l0 as number[])[2] = 1e999)).replace("null", "1e999"),
      ),
    expect: /weights\.bias_ih_l0\[2\]: expected a finite number/,
  },
  {
    name: "a string where a number belongs",
    files: (dir) =>
      Deno.writeTextFile(
        `${dir}/m.json`,
        withWeights((w) => ((w.bias_hh_l0 as unknown[])[0] = "NaN")),
      ),
    expect: /weights\.bias_hh_l0\[0\]: expected a number, got string/,
  },
  {
    name: "ragged nested array",
    files: (dir) =>
      Deno.writeTextFile(
        `${dir}/m.json`,
        withWeights((w) => (w.weight_hh_l0 as number[][])[3].push(1)),
      ),
    expect: /weights\.weight_hh_l0\[3\]: expected an array of length 4/,
  },
  {
    name: "wrong kind",
    files: (dir) => Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ ...good, kind: "rnn" })),
    expect: /m\.json: kind: .*"lstm".*"gru"/,
  },
  {
    name: "negative size",
    files: (dir) =>
      Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ ...good, hiddenSize: -4 })),
    expect: /m\.json: hiddenSize: /,
  },
  {
    name: "GRU with a projection",
    files: (dir) =>
      Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ ...good, kind: "gru", projSize: 2 })),
    expect: /projSize: only LSTM models can have a projection/,
  },
  {
    name: "not JSON",
    files: (dir) => Deno.writeTextFile(`${dir}/m.json`, "{ kind: lstm"),
    expect: /m\.json: not valid JSON/,
  },
  {
    name: "missing safetensors file",
    files: (dir) => Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header)),
    expect: /weights: cannot read w\.safetensors/,
  },
  {
    name: "truncated safetensors",
    files: async (dir) => {
      await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header));
      await Deno.writeFile(
        `${dir}/w.safetensors`,
        safetensorsBytes.subarray(0, safetensorsBytes.length - 10),
      );
    },
    expect: /w\.safetensors: tensor \w+: data_offsets .* outside/,
  },
  {
    name: "safetensors cut inside its header",
    files: async (dir) => {
      await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header));
      await Deno.writeFile(`${dir}/w.safetensors`, safetensorsBytes.subarray(0, 40));
    },
    expect: /w\.safetensors: header length \d+ exceeds the file size/,
  },
  {
    name: "not a safetensors file",
    files: async (dir) => {
      await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header));
      await Deno.writeTextFile(`${dir}/w.safetensors`, "hello");
    },
    expect: /not a safetensors file/,
  },
  {
    name: "NaN inside safetensors",
    files: async (dir) => {
      const tensors = modelTensors(model);
      const bias = tensors.get("bias_ih_l0")!;
      bias.data = bias.data.slice();
      bias.data[1] = NaN;
      await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header));
      await Deno.writeFile(`${dir}/w.safetensors`, writeSafetensors(tensors));
    },
    expect: /tensor bias_ih_l0: element 1 is NaN/,
  },
  {
    name: "weights path leaving the model's folder",
    files: (dir) =>
      Deno.writeTextFile(
        `${dir}/m.json`,
        JSON.stringify({ ...header, weights: "../w.safetensors" }),
      ),
    expect: /weights: path \.\.\/w\.safetensors leaves the model's folder/,
  },
  {
    name: "absolute weights path",
    files: (dir) =>
      Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ ...header, weights: "/etc/passwd" })),
    expect: /weights: expected a path relative to the model's folder/,
  },
  {
    name: "link leaving the model's folder",
    files: async (dir) => {
      const outside = await Deno.makeTempDir();
      await Deno.writeFile(`${outside}/w.safetensors`, safetensorsBytes);
      await Deno.symlink(`${outside}/w.safetensors`, `${dir}/w.safetensors`);
      await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header));
    },
    expect: /leaves the model's folder \(through a link\)/,
  },
  {
    name: "unexpected tensor name",
    files: (dir) =>
      Deno.writeTextFile(`${dir}/m.json`, withWeights((w) => (w.weight_ih_l1 = w.weight_ih_l0))),
    expect: /weight_ih_l1: unexpected tensor for a 1-layer LSTM/,
  },
  {
    name: "peephole with the wrong length",
    files: (dir) =>
      Deno.writeTextFile(`${dir}/m.json`, JSON.stringify({ ...good, peephole_l0: [1, 2, 3] })),
    expect: /peephole_l0: expected shape \[12\]/,
  },
];

for (const testCase of CASES) {
  Deno.test(`a malformed model gives exit 2 and one line naming the problem: ${testCase.name}`, async () => {
    await withTempDir("rnnfab-test-", async (dir) => {
      await testCase.files(dir);
      await Deno.writeTextFile(`${dir}/in.json`, inputs);
      const [model, input, out] = ["m", "in", "out"].map((name) => `${dir}/${name}.json`);
      const result = await runDenoScript("cli/infer.ts", [
        ...["--model", model, "--input", input, "--out", out],
      ]);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], testCase.expect);
      assert.doesNotMatch(result.stderr, /^\s+at .*:\d+:\d+/m); // no stack trace
      await assert.rejects(Deno.stat(`${dir}/out.json`)); // nothing written
    });
  });
}

Deno.test("the same model loads from inline weights and from safetensors, and infer exits 0", async () => {
  await withTempDir("rnnfab-test-", async (dir) => {
    await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify(header));
    await Deno.writeFile(`${dir}/w.safetensors`, safetensorsBytes);
    await Deno.writeTextFile(`${dir}/inline.json`, JSON.stringify(good));
    await Deno.writeTextFile(`${dir}/in.json`, inputs);
    const outputs = [];
    for (const file of ["m.json", "inline.json"]) {
      for (const mode of ["float", "fixed"]) {
        const result = await runDenoScript("cli/infer.ts", [
          "--model",
          `${dir}/${file}`,
          "--input",
          `${dir}/in.json`,
          "--out",
          `${dir}/o.json`,
          "--mode",
          mode,
        ]);
        assert.equal(result.code, 0, result.stderr);
        outputs.push(JSON.parse(await Deno.readTextFile(`${dir}/o.json`)).outputs);
      }
    }
    assert.deepEqual(outputs[0], outputs[2]);
    assert.deepEqual(outputs[1], outputs[3]);
  });
});

/** Arguments of `infer` on the LSTM example with an input file of examples/ and an output. */
function inferArgs(input: string, out: string, ...extra: string[]): string[] {
  const model = `${REPO_ROOT}examples/lstm.json`;
  return ["--model", model, "--input", `${REPO_ROOT}examples/${input}`, "--out", out, ...extra];
}

Deno.test("bad flags and bad input sequences give exit 2 with one line", async () => {
  await withTempDir("rnnfab-infer-flags-", async (dir) => {
    const out = `${dir}/o.json`;
    const cases: [string[], RegExp][] = [
      [["--model", `${REPO_ROOT}examples/lstm.json`], /--input is required/],
      [["--bogus"], /unknown flag --bogus/],
      [inferArgs("input153.json", out), /inputs\[0\]: expected 16 numbers per step/],
      [inferArgs("input16.json", out, "--mode", "double"), /--mode: expected float or fixed/],
    ];
    for (const [args, expect] of cases) {
      const result = await runDenoScript("cli/infer.ts", args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, expect);
    }
    // One config schema for every command: a misspelt field is an error, not silently ignored.
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ weightBitz: 10 }));
    const typo = await runDenoScript(
      "cli/infer.ts",
      inferArgs("input16.json", out, "--mode", "fixed", "--config", `${dir}/c.json`),
    );
    assert.equal(typo.code, 2, typo.stderr);
    assert.match(typo.stderr, /c\.json: unknown field "weightBitz"/);
    await assert.rejects(Deno.stat(out));
  });
  const help = await runDenoScript("cli/infer.ts", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: deno task infer/);
});
