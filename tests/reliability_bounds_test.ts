/**
 * Bounds (docs/reliability.md, issue 12): every reader checks that its path is a regular file
 * within the stated size limit before reading (`/dev/zero` as a model ends at once), sequence
 * lengths have a stated limit, lying safetensors headers are refused, and errors that used to be
 * internal (a 1e30 weight, `--out /proc/foo`, a Yosys crash under a tiny memory bound) are one
 * line, exit 2, naming the file. Pre-existing files stay byte-for-byte unchanged.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { modelTensors } from "../model/model_io.ts";
import { writeSafetensors } from "../model/safetensors.ts";
import { randomModel } from "../model/random.ts";
import { findDuplicateKey } from "../util/json.ts";
import {
  MAX_CONFIG_BYTES,
  MAX_MODEL_JSON_BYTES,
  MAX_SIM_OUTPUT_WORDS,
  MAX_STEPS,
} from "../util/limits.ts";
import { REPO_ROOT } from "./helpers.ts";
import {
  refusal,
  rnnfab,
  snapshot,
  TINY,
  tinyDesign,
  tinyModel,
  withTempRoot,
} from "./reliability_helpers.ts";

/** Run, expect one refusal line matching `pattern`, and no change below `root`. */
async function refused(
  root: string,
  command: string,
  args: string[],
  pattern: RegExp,
): Promise<void> {
  const before = await snapshot(root);
  const started = performance.now();
  assert.match(refusal(await rnnfab(command, args)), pattern);
  assert.ok(performance.now() - started < 60_000, "took too long: read or computed too much");
  assert.deepEqual(await snapshot(root), before, "a pre-existing file changed");
}

Deno.test("bounds: files are checked before they are read", async (t) => {
  await withTempRoot(async (root) => {
    const model = await tinyModel(root, "lstm");
    const input = join(root, "input.json");
    await Deno.writeTextFile(input, JSON.stringify({ inputs: [[0.1, 0.2, 0.3, 0.4]] }));
    const out = join(root, "out.json");
    const infer = (
      m: string,
      extra: string[] = [],
    ) => ["--model", m, "--input", input, "--out", out, ...extra];

    await t.step("devices, folders and huge files are refused unread", async () => {
      await refused(root, "infer", infer("/dev/zero"), /\/dev\/zero: not a regular file/);
      await refused(root, "infer", infer(root), /: is a folder \(expected the model file/);
      const huge = join(root, "huge.json");
      await Deno.writeTextFile(huge, "");
      await Deno.truncate(huge, MAX_MODEL_JSON_BYTES + 1); // sparse: no disk used
      await refused(root, "infer", infer(huge), /huge\.json: 256 MiB, more than the 256 MiB/);
      await Deno.symlink("/dev/zero", join(root, "zero.onnx"));
      await refused(
        root,
        "infer",
        infer(join(root, "zero.onnx")),
        /zero\.onnx: not a regular file/,
      );
      const config = join(root, "config.json");
      await Deno.writeTextFile(config, "");
      await Deno.truncate(config, MAX_CONFIG_BYTES + 1);
      await refused(
        root,
        "infer",
        infer(model, ["--config", config]),
        /config\.json: .* more than the 1 MiB accepted for a config/,
      );
      await refused(
        root,
        "infer",
        ["--model", model, "--input", "/dev/zero", "--out", out],
        /\/dev\/zero: not a regular file \(expected the input sequence or data file/,
      );
    });

    await t.step("duplicate keys and unknown fields in a model", async () => {
      const text = await Deno.readTextFile(model);
      const duplicate = join(root, "duplicate.json");
      await Deno.writeTextFile(
        duplicate,
        text.replace('"hiddenSize":8', '"hiddenSize":8,"hiddenSize":9'),
      );
      await refused(root, "infer", infer(duplicate), /duplicate\.json: duplicate key "hiddenSize"/);
      const unknown = join(root, "unknown.json");
      await Deno.writeTextFile(
        unknown,
        text.replace('"hiddenSize":8', '"hiddenSize":8,"projsize":2'),
      );
      await refused(root, "infer", infer(unknown), /unknown\.json: unknown field "projsize"/);
    });

    await t.step("a 1e30 weight: the error names the file and the tensor", async () => {
      const value = JSON.parse(await Deno.readTextFile(model));
      value.weights.weight_hh_l0[3][1] = 1e30;
      const big = join(root, "big.json");
      await Deno.writeTextFile(big, JSON.stringify(value));
      await refused(
        root,
        "gen",
        ["--model", big, "--out", join(root, "design")],
        /big\.json: weight format Q12\.0 is too narrow: 1 weights saturate, first weight_hh_l0\[3\]\[1\] = 1e\+30/,
      );
    });
  });
});

/**
 * A safetensors model whose header `edit` changes; `edit` returns how many bytes to append to
 * the data section.
 */
async function lyingModel(
  dir: string,
  name: string,
  edit: (header: Record<string, { data_offsets: number[] }>) => number,
): Promise<string> {
  const bytes = writeSafetensors(modelTensors(randomModel(TINY.gru)));
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const data = bytes.subarray(8 + length);
  const extra = edit(header);
  let text = JSON.stringify(header);
  while ((8 + text.length) % 8 !== 0) text += " ";
  const out = new Uint8Array(8 + text.length + data.length + extra);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(new TextEncoder().encode(text), 8);
  out.set(data, 8 + text.length);
  await Deno.writeFile(join(dir, `${name}.safetensors`), out);
  const model = {
    kind: "gru",
    inputSize: 4,
    hiddenSize: 8,
    numLayers: 1,
    weights: `${name}.safetensors`,
  };
  await Deno.writeTextFile(join(dir, `${name}.json`), JSON.stringify(model));
  return join(dir, `${name}.json`);
}

Deno.test("bounds: lying safetensors headers are refused", async () => {
  await withTempRoot(async (root) => {
    const input = join(root, "input.json");
    await Deno.writeTextFile(input, JSON.stringify({ inputs: [[0.1, 0.2, 0.3, 0.4]] }));
    type Header = Record<string, { data_offsets: number[] }>;
    const shift = (h: Header, name: string, by: number) =>
      h[name].data_offsets = h[name].data_offsets.map((offset) => offset + by);
    const cases: [string, (header: Header) => number, RegExp][] = [
      ["overlap", (h) => {
        h.bias_ih_l0.data_offsets = h.bias_hh_l0.data_offsets;
        return 0;
      }, /overlap/],
      ["unaligned", (h) => {
        shift(h, "bias_hh_l0", 2);
        return 0;
      }, /not aligned to its 4-byte F32 elements/],
      ["gap", (h) => {
        shift(h, "bias_hh_l0", 4);
        return 4;
      }, /belong to no tensor \(a gap before tensor bias_hh_l0/],
      ["trailing", () => 64, /belong to no tensor \(expected the tensors to cover/],
    ];
    for (const [name, edit, pattern] of cases) {
      const model = await lyingModel(root, name, edit);
      await refused(
        root,
        "infer",
        ["--model", model, "--input", input, "--out", join(root, "out.json")],
        new RegExp(`${name}\\.safetensors: .*${pattern.source}`),
      );
    }
  });
});

Deno.test("bounds: sequence limits, unwritable outputs and a Yosys memory bound", async (t) => {
  await withTempRoot(async (root) => {
    const model = await tinyModel(root, "lstm");
    const design = await tinyDesign(model, join(root, "design"));
    const cache = join(root, "cache");
    await Deno.mkdir(cache);

    await t.step("sim --steps above the stated limit, before any build", async () => {
      for (const steps of [String(MAX_STEPS + 1), "1e12"]) {
        await refused(
          root,
          "sim",
          ["--design", design, "--steps", steps, "--cache-dir", cache],
          new RegExp(`--steps: expected .*${MAX_STEPS}`),
        );
      }
      assert.ok(MAX_SIM_OUTPUT_WORDS >= MAX_STEPS);
      await refused(
        root,
        "bench",
        ["--model", model, "--out", join(root, "report"), "--steps", String(MAX_STEPS + 1)],
        new RegExp(`--steps: expected .*${MAX_STEPS}`),
      );
    });

    await t.step("gen --out /proc/foo", async () => {
      await refused(
        root,
        "gen",
        ["--model", model, "--out", "/proc/rnnfab-test/foo"],
        /\/proc\/rnnfab-test\/foo: cannot/,
      );
    });

    await t.step(
      "synth --max-memory-mb below Yosys's floor, and a crash under the bound",
      async () => {
        await refused(
          root,
          "synth",
          ["--design", design, "--max-memory-mb", "1"],
          /--max-memory-mb: expected .*64/,
        );
        const line = refusal(await rnnfab("synth", ["--design", design, "--max-memory-mb", "64"]));
        assert.match(line, /yosys \w+ run ran out of memory.*limit 64 MiB/);
      },
    );
  });
});

Deno.test("bounds: duplicate keys are found wherever they are", () => {
  assert.equal(findDuplicateKey('{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}'), undefined);
  assert.deepEqual(findDuplicateKey('{"a": {"x\\"y": 1, "x\\"y": 2}}'), { key: 'x"y', path: "a" });
  assert.deepEqual(findDuplicateKey('{"l": [{"k": 1}, {"k": 1, "k": 2}]}'), {
    key: "k",
    path: "l[1]",
  });
  assert.deepEqual(findDuplicateKey('{"s": "{\\"q\\": [", "s": 1}'), { key: "s", path: "" });
  assert.equal(REPO_ROOT.endsWith("/"), true);
});
