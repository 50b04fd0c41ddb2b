/**
 * Output safety (docs/reliability.md, issue 12): a folder is replaced only when it holds an
 * earlier output of the same command (a marker naming the tool and the command) or is empty; an
 * output is never an input nor a folder holding one; a file beside an output that rnnfab did not
 * write is never overwritten. Every refusal is exit 2 with one line, and every file that existed
 * before is byte-for-byte unchanged afterwards.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers.ts";
import {
  copyTree,
  refusal,
  rnnfab,
  snapshot,
  tinyDesign,
  tinyModel,
  withTempRoot,
} from "./reliability_helpers.ts";

const ONNX = `${REPO_ROOT}tests/data/onnx/gru_2layer_float_data.onnx`;

/** Run `run`, expect a refusal matching `pattern`, and no change at all below `root`. */
async function refusedUnchanged(
  root: string,
  run: () => Promise<{ code: number; stdout: string; stderr: string }>,
  pattern: RegExp,
): Promise<void> {
  const before = await snapshot(root);
  const line = refusal(await run());
  assert.match(line, pattern);
  assert.deepEqual(await snapshot(root), before, "a pre-existing file changed");
}

Deno.test("output safety: a folder that is not an earlier output of the command is never replaced", async (t) => {
  await withTempRoot(async (root) => {
    const model = await tinyModel(root, "lstm");
    const design = await tinyDesign(model, join(root, "design"));

    await t.step("bench --out U writes nothing into an unrelated folder", async () => {
      const u = join(root, "U");
      await Deno.mkdir(join(u, "ckernel"), { recursive: true });
      await Deno.writeTextFile(join(u, "report.md"), "my notes\n");
      await Deno.writeTextFile(join(u, "ckernel", "kernel.c"), "int main(void) { return 0; }\n");
      await refusedUnchanged(
        root,
        () => rnnfab("bench", ["--model", model, "--out", u, "--no-fpga", "--skip-host"]),
        /U: the folder exists and is not an earlier output of rnnfab bench \(it has no report\.json\)/,
      );
    });

    await t.step(
      "encode --out webapp keeps index.html beside a foreign manifest.json",
      async () => {
        const webapp = join(root, "webapp");
        await Deno.mkdir(webapp);
        await Deno.writeTextFile(join(webapp, "index.html"), "<html></html>\n");
        await Deno.writeTextFile(join(webapp, "app.js"), "console.log(1);\n");
        await Deno.writeTextFile(join(webapp, "manifest.json"), '{"name": "my app"}\n');
        await refusedUnchanged(
          root,
          () =>
            rnnfab("encode", ["--model", model, "--pes", "2", "--format", "ese", "--out", webapp]),
          /webapp: the folder exists and is not an earlier output of rnnfab encode \(it has no encode\.json\)/,
        );
      },
    );

    await t.step("encode --out DESIGN/mem leaves the design's memory images alone", async () => {
      await refusedUnchanged(
        root,
        () =>
          rnnfab("encode", [
            "--model",
            model,
            "--pes",
            "2",
            "--format",
            "ese",
            "--out",
            join(design, "mem"),
          ]),
        /mem: the folder exists and is not an earlier output of rnnfab encode/,
      );
    });

    await t.step("gen --out into a user's folder, or onto the folder of its --model", async () => {
      const notes = join(root, "notes");
      await Deno.mkdir(notes);
      await Deno.writeTextFile(join(notes, "NOTES.txt"), "precious\n");
      await refusedUnchanged(
        root,
        () => rnnfab("gen", ["--model", model, "--out", notes]),
        /notes: the folder exists and is not an earlier output of rnnfab gen \(it has no design\.json\)/,
      );
      const project = join(root, "project");
      await Deno.mkdir(project);
      const inside = join(project, "model.json");
      await Deno.copyFile(model, inside);
      await Deno.writeTextFile(join(project, "NOTES.txt"), "precious\n");
      await refusedUnchanged(
        root,
        () => rnnfab("gen", ["--model", inside, "--out", project]),
        /--out .*project: contains the input --model .*model\.json, which writing the output would delete/,
      );
    });

    await t.step("a link in the place of an output folder is refused", async () => {
      await Deno.symlink(design, join(root, "link"));
      await refusedUnchanged(
        root,
        () => rnnfab("gen", ["--model", model, "--out", join(root, "link")]),
        /link: is a symbolic link/,
      );
    });
  });
});

Deno.test("output safety: an output is never an input", async (t) => {
  await withTempRoot(async (root) => {
    const model = await tinyModel(root, "lstm");
    const input = join(root, "input.json");
    await Deno.writeTextFile(input, JSON.stringify({ inputs: [[0.1, 0.2, 0.3, 0.4]] }));
    const design = await tinyDesign(model, join(root, "design"));
    const onnx = join(root, "model.onnx");
    await Deno.copyFile(ONNX, onnx);

    await t.step("infer --out onto --model and onto --input", async () => {
      for (const [target, flag] of [[model, "--model"], [input, "--input"]]) {
        await refusedUnchanged(
          root,
          () => rnnfab("infer", ["--model", model, "--input", input, "--out", target]),
          new RegExp(`--out .*: is the input ${flag} `),
        );
      }
    });

    await t.step("import --out onto the .onnx", async () => {
      await refusedUnchanged(
        root,
        () => rnnfab("import", ["--onnx", onnx, "--out", onnx]),
        /--out .*model\.onnx: is the input --onnx /,
      );
    });

    await t.step("prune --report onto the model; two outputs on one path", async () => {
      const pruned = join(root, "pruned.json");
      const prune = (report: string) => () =>
        rnnfab("prune", [
          "--model",
          model,
          "--out",
          pruned,
          "--density",
          "0.5",
          "--report",
          report,
        ]);
      await refusedUnchanged(root, prune(model), /--report .*lstm\.json: is the input --model /);
      await refusedUnchanged(
        root,
        prune(pruned),
        /--out .*pruned\.json and --report .*pruned\.json overlap/,
      );
    });

    await t.step("synth --out onto design.json or a memory image", async () => {
      for (const file of ["design.json", "mem/pe0_weights.hex"]) {
        await refusedUnchanged(
          root,
          () => rnnfab("synth", ["--design", design, "--out", join(design, file)]),
          new RegExp(`--out .*${file.replace(".", "\\.")}: is the input --design`),
        );
      }
    });

    await t.step("bench --out onto its --design", async () => {
      await refusedUnchanged(
        root,
        () => rnnfab("bench", ["--model", model, "--design", design, "--out", design]),
        /--out .*design: is the input --design /,
      );
    });

    await t.step("bench:* --out onto a merged, combined or model input", async () => {
      const earlier = join(root, "a.json");
      await Deno.writeTextFile(earlier, '{"mine": true}\n');
      const cases: [string, string[], RegExp][] = [
        [
          "bench_schedules",
          ["--merge", `${earlier},${model}`],
          /--out .*a\.json: is the input --merge /,
        ],
        ["bench_fidelity", ["--merge", earlier], /--out .*a\.json: is the input --merge /],
        ["bench_sim", ["--combine", earlier], /--out .*a\.json: is the input --combine /],
      ];
      for (const [command, args, message] of cases) {
        await refusedUnchanged(root, () => rnnfab(command, [...args, "--out", earlier]), message);
      }
      await refusedUnchanged(
        root,
        () => rnnfab("bench_cpu", ["--model", model, "--out", model]),
        /--out .*lstm\.json: is the input --model /,
      );
    });
  });
});

Deno.test("output safety: a file beside an output that rnnfab did not write is kept", async (t) => {
  await withTempRoot(async (root) => {
    const model = await tinyModel(root, "lstm");
    await t.step("import --safetensors beside a user's .safetensors", async () => {
      const out = join(root, "out");
      await Deno.mkdir(out);
      await Deno.writeFile(
        join(out, "model.safetensors"),
        new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      );
      await refusedUnchanged(
        root,
        () => rnnfab("import", ["--onnx", ONNX, "--out", join(out, "model.json"), "--safetensors"]),
        /model\.safetensors: exists and is not an earlier rnnfab output/,
      );
      // rnnfab's own .safetensors there is replaced on the next run.
      await Deno.remove(join(out, "model.safetensors"));
      for (let run = 0; run < 2; run++) {
        const imported = await rnnfab("import", [
          "--onnx",
          ONNX,
          "--out",
          join(out, "model.json"),
          "--safetensors",
        ]);
        assert.equal(imported.code, 0, imported.stderr);
      }
    });

    await t.step("prune's default report path holding a user's file", async () => {
      await Deno.writeTextFile(join(root, "p.prune.json"), '{"mine": true}\n');
      await refusedUnchanged(
        root,
        () =>
          rnnfab("prune", ["--model", model, "--out", join(root, "p.json"), "--density", "0.5"]),
        /p\.prune\.json: exists and is not an earlier rnnfab output/,
      );
    });
  });
});

Deno.test("output safety: an earlier output of the same command is replaced whole", async () => {
  await withTempRoot(async (root) => {
    const model = await tinyModel(root, "lstm");
    const other = await tinyModel(root, "other");
    const design = await tinyDesign(model, join(root, "design"));
    const json = JSON.parse(await Deno.readTextFile(join(design, "design.json")));
    assert.equal(json.tool, "rnnfab gen");
    await tinyDesign(other, join(root, "fresh"));
    // Replacing the design with another model's gives exactly what a fresh gen gives.
    await tinyDesign(other, design);
    assert.deepEqual(await snapshot(design), await snapshot(join(root, "fresh")));

    const weights = join(root, "weights");
    for (let run = 0; run < 2; run++) {
      const args = ["--model", model, "--pes", "2", "--format", "ese", "--out", weights];
      const encoded = await rnnfab("encode", args);
      assert.equal(encoded.code, 0, encoded.stderr);
    }
    const marker = JSON.parse(await Deno.readTextFile(join(weights, "encode.json")));
    assert.equal(marker.tool, "rnnfab encode");
    // No temporary is left beside the outputs.
    const names = [...Deno.readDirSync(root)].map((entry) => entry.name).sort();
    assert.deepEqual(names, ["design", "fresh", "lstm.json", "other.json", "weights"]);

    // A folder copied from a design is still gen's output (the marker travels with it).
    await copyTree(design, join(root, "copy"));
    await tinyDesign(model, join(root, "copy"));
  });
});
