/**
 * Design integrity (docs/reliability.md, issue 12), by fault injection: every kind of file of a
 * generated design is changed, one at a time, in a fresh copy (a weight, pointer, index, bias,
 * peephole and table word; design.json fields; quantized.json; an RTL file; a file removed;
 * a memory name leaving the folder). `sim` must refuse each before simulating (exit 2, one line
 * naming the file; nothing built, no result written). Then the same changes with design.json's
 * hashes recomputed, as a careful forger would: the contents check, which decodes every image
 * and compares it with quantized.json and the fixed-point spec, still refuses each. `synth` and
 * `bench --design` refuse a modified design too; `--allow-modified` proceeds, loudly.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { verifyDesign } from "../sim/verify_design.ts";
import {
  copyTree,
  refusal,
  rnnfab,
  tinyDesign,
  tinyModel,
  withTempRoot,
} from "./reliability_helpers.ts";

const sha256 = (content: string | Uint8Array) => createHash("sha256").update(content).digest("hex");

/** A change to a design copy, and the file (or field) the refusal must name. */
interface Fault {
  name: string;
  design: "ese" | "bcr";
  change: (dir: string) => Promise<void>;
  names: RegExp;
}

/** Flip the last hex digit of line `line` (1-based) of a file. */
function flipWord(file: string, line: number) {
  return async (dir: string) => {
    const path = join(dir, file);
    const lines = (await Deno.readTextFile(path)).split("\n");
    const word = lines[line - 1];
    const last = word.slice(-1) === "0" ? "1" : "0";
    lines[line - 1] = word.slice(0, -1) + last;
    await Deno.writeTextFile(path, lines.join("\n"));
  };
}

/** Edit a JSON file of the design as a parsed object (the edits reach deep into it). */
// deno-lint-ignore no-explicit-any
function editJson(file: string, edit: (value: Record<string, any>) => void) {
  return async (dir: string) => {
    const path = join(dir, file);
    const value = JSON.parse(await Deno.readTextFile(path));
    edit(value);
    await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
  };
}

/** A word of a memory image flipped: the refusal names the image. */
function wordFault(name: string, design: Fault["design"], file: string, line: number): Fault {
  return { name, design, change: flipWord(file, line), names: new RegExp(escapeRegExp(file)) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const FAULTS: Fault[] = [
  wordFault("a weight word", "ese", "mem/pe0_weights.hex", 3),
  wordFault("a pointer word", "ese", "mem/pe1_pointers.hex", 2),
  wordFault("an index word", "bcr", "mem/pe0_index.hex", 2),
  wordFault("a bias word", "ese", "mem/pe0_bias.hex", 2),
  wordFault("a peephole word", "ese", "mem/pe1_peephole.hex", 1),
  wordFault("a sigmoid table word", "ese", "mem/sigmoid.hex", 37),
  wordFault("a tanh table word", "bcr", "mem/tanh.hex", 5),
  {
    name: "design.json: PEs 2 -> 4",
    design: "ese",
    change: editJson("design.json", (v) => v.accelerator.pes = 4),
    names: /design\.json/,
  },
  {
    name: "design.json: activationFrac 12 -> 10",
    design: "ese",
    change: editJson("design.json", (v) => v.accelerator.activationFrac = 10),
    names: /design\.json/,
  },
  {
    name: "quantized.json: one bias",
    design: "ese",
    change: editJson("quantized.json", (v) => v.layers[0].bias[5] += 1),
    names: /quantized\.json|_bias\.hex/,
  },
  {
    name: "an RTL file",
    design: "bcr",
    change: async (dir) => {
      await Deno.writeTextFile(join(dir, "rtl/rnnfab_pe.v"), "// edited\n", { append: true });
    },
    names: /rtl\/rnnfab_pe\.v/,
  },
  {
    name: "a memory image removed",
    design: "ese",
    change: (dir) => Deno.remove(join(dir, "mem/pe1_weights.hex")),
    names: /mem\/pe1_weights\.hex/,
  },
];

/** Recompute design.json's hashes over the folder as it is now (what a forger would do). */
async function reseal(dir: string): Promise<void> {
  const path = join(dir, "design.json");
  const { selfSha256: _old, ...json } = JSON.parse(await Deno.readTextFile(path));
  for (const file of Object.keys(json.files)) {
    try {
      json.files[file] = sha256(await Deno.readFile(join(dir, file)));
    } catch {
      delete json.files[file];
    }
  }
  const text = JSON.stringify(json, null, 2) + "\n";
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...json, selfSha256: sha256(text) }, null, 2) + "\n",
  );
}

/** `sim` on a changed copy: refused before any build, nothing written into the design. */
async function simRefuses(dir: string, cache: string): Promise<string> {
  const line = refusal(
    await rnnfab("sim", ["--design", dir, "--steps", "2", "--cache-dir", cache]),
  );
  assert.equal([...Deno.readDirSync(cache)].length, 0, "sim built something");
  assert.throws(() => Deno.statSync(join(dir, "sim")), "sim wrote into the design");
  return line;
}

Deno.test("integrity: sim refuses every changed file of a design before simulating", async (t) => {
  await withTempRoot(async (root) => {
    const lstm = await tinyModel(root, "lstm");
    const gru = await tinyModel(root, "gru");
    const designs = {
      ese: await tinyDesign(lstm, join(root, "ese")),
      bcr: await tinyDesign(gru, join(root, "bcr"), ["--format", "bcr"]),
    };
    const cache = join(root, "cache");
    await Deno.mkdir(cache);
    let copies = 0;
    for (const fault of FAULTS) {
      for (const resealed of [false, true]) {
        await t.step(`${fault.name}${resealed ? ", hashes recomputed" : ""}`, async () => {
          const dir = join(root, `copy${copies++}`);
          await copyTree(designs[fault.design], dir);
          await fault.change(dir);
          if (resealed) await reseal(dir);
          const line = await simRefuses(dir, cache);
          assert.match(line, fault.names);
          assert.match(line, resealed ? /./ : /modified after gen|missing/);
        });
      }
    }

    await t.step("a memory file name leaving the folder", async () => {
      const dir = join(root, "escape");
      await copyTree(designs.ese, dir);
      await editJson("design.json", (v) => v.memories[0].file = "../../../../etc/passwd")(dir);
      const line = await simRefuses(dir, cache);
      assert.match(
        line,
        /design\.json: memories\[0\]\.file: "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" is not a path inside the design folder/,
      );
    });

    await t.step("a corrupt hex word is named by file and line", async () => {
      const dir = join(root, "corrupt");
      await copyTree(designs.ese, dir);
      const path = join(dir, "mem/pe0_weights.hex");
      const lines = (await Deno.readTextFile(path)).split("\n");
      lines[4] = "zz" + lines[4].slice(2);
      await Deno.writeTextFile(path, lines.join("\n"));
      await reseal(dir);
      const line = await simRefuses(dir, cache);
      assert.match(line, /mem\/pe0_weights\.hex:5: expected \d+ lowercase hex digits, got "zz/);
    });

    await t.step("synth and bench --design refuse a modified design", async () => {
      const dir = join(root, "copy0"); // a weight word changed
      const synth = refusal(await rnnfab("synth", ["--design", dir]));
      assert.match(synth, /mem\/pe0_weights\.hex: modified after gen/);
      const bench = refusal(
        await rnnfab("bench", ["--model", lstm, "--design", dir, "--out", join(root, "report")]),
      );
      assert.match(bench, /mem\/pe0_weights\.hex: modified after gen/);
    });

    await t.step("--allow-modified proceeds and prints every difference", async () => {
      const warnings: string[] = [];
      const verified = await verifyDesign(join(root, "copy0"), {
        command: "test",
        allowModified: true,
        warn: (line) => warnings.push(line),
      });
      assert.ok(verified.modifications.length >= 2, verified.modifications.join("\n"));
      assert.match(warnings[0], /^WARNING: --allow-modified: using a MODIFIED design/);
      assert.ok(
        warnings.some((line) =>
          /pe0_weights\.hex:3: 0x[0-9a-f]+ where the ese encoding/.test(line)
        ),
      );
    });

    await t.step("an intact design passes both checks", async () => {
      for (const dir of Object.values(designs)) {
        const verified = await verifyDesign(dir, { command: "test" });
        assert.deepEqual(verified.modifications, []);
      }
    });
  });
});
