/**
 * Output paths a user can type wrong: a trailing slash, an existing file where a folder goes, a
 * folder where a file goes, a file in the middle of the path, the current folder.
 *
 * Every test works inside a fresh temporary folder; the current-folder test runs in a child
 * process whose working folder is a temporary one, so a regression can never touch the repository.
 */

import assert from "node:assert/strict";
import { UserError } from "../util/errors.ts";
import { writeDirAtomic, writeFileAtomic } from "../util/fs.ts";
import { REPO_ROOT, runDenoScript, withTempDir } from "./helpers.ts";

/** Assert that `action` rejects with a UserError whose message contains `text`. */
async function rejectsWith(action: () => Promise<void>, text: string): Promise<void> {
  await assert.rejects(
    action,
    (error) => error instanceof UserError && error.message.includes(text),
  );
}

async function fillOne(temporary: string): Promise<void> {
  await Deno.writeTextFile(`${temporary}/new.txt`, "new");
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("writeDirAtomic: a trailing slash replaces the folder instead of deleting it", async () => {
  await withTempDir("rnnfab-test-", async (root) => {
    await Deno.mkdir(`${root}/out`);
    await Deno.writeTextFile(`${root}/out/old.json`, '{"tool": "rnnfab test"}');
    await writeDirAtomic(`${root}/out/`, fillOne, {
      marker: { file: "old.json", tool: "rnnfab test" },
    });
    assert.deepEqual(names(`${root}/out`), ["new.txt"]);
    assert.deepEqual(names(root), ["out"]);
  });
});

Deno.test("writeDirAtomic: a non-empty folder that is not an earlier output is refused and kept", async () => {
  await withTempDir("rnnfab-test-", async (root) => {
    await Deno.mkdir(`${root}/home`);
    await Deno.writeTextFile(`${root}/home/thesis.tex`, "precious");
    await rejectsWith(
      () =>
        writeDirAtomic(`${root}/home`, fillOne, {
          marker: { file: "design.json", tool: "rnnfab gen" },
        }),
      "is not an earlier output of rnnfab gen (it has no design.json)",
    );
    await rejectsWith(() => writeDirAtomic(`${root}/home`, fillOne), "is not an earlier output");
    assert.deepEqual(names(`${root}/home`), ["thesis.tex"]);
    // An empty folder is fine to fill.
    await Deno.mkdir(`${root}/empty`);
    await writeDirAtomic(`${root}/empty`, fillOne);
    assert.deepEqual(names(`${root}/empty`), ["new.txt"]);
  });
});

Deno.test("writeDirAtomic: an existing file is refused and kept", async () => {
  await withTempDir("rnnfab-test-", async (root) => {
    await Deno.writeTextFile(`${root}/model.json`, "{}");
    await rejectsWith(() => writeDirAtomic(`${root}/model.json`, fillOne), "is a file");
    assert.equal(await Deno.readTextFile(`${root}/model.json`), "{}");
  });
});

Deno.test("writeDirAtomic: the current folder (or one above it) is refused", async () => {
  await withTempDir("rnnfab-test-", async (root) => {
    const work = `${root}/work`;
    await Deno.mkdir(work);
    await Deno.writeTextFile(`${work}/keep.txt`, "keep");
    const script = `import { writeDirAtomic } from "${REPO_ROOT}util/fs.ts";
for (const dir of [".", "./", ".."]) {
  try {
    await writeDirAtomic(dir, (t) => Deno.writeTextFile(t + "/new.txt", "new"));
    console.log(dir + ": written");
  } catch (error) {
    console.log(dir + ": " + error.constructor.name + ": " + error.message);
  }
}`;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      cwd: work,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    assert.equal(lines.length, 3, new TextDecoder().decode(output.stderr));
    for (const line of lines) assert.match(line, /: UserError: .*current folder/);
    assert.equal(await Deno.readTextFile(`${work}/keep.txt`), "keep");
    assert.deepEqual(names(root), ["work"]);
  });
});

Deno.test("writeFileAtomic: a folder, or a file in the path, is a UserError", async () => {
  await withTempDir("rnnfab-test-", async (root) => {
    await rejectsWith(() => writeFileAtomic(root, "x"), "is a folder");
    await Deno.writeTextFile(`${root}/plain`, "keep");
    await rejectsWith(() => writeFileAtomic(`${root}/plain/y.json`, "x"), "a file is in the way");
    await rejectsWith(() => writeDirAtomic(`${root}/plain/out`, fillOne), "a file is in the way");
    assert.equal(await Deno.readTextFile(`${root}/plain`), "keep");
    await writeFileAtomic(`${root}/a/b/c.txt`, "ok");
    assert.equal(await Deno.readTextFile(`${root}/a/b/c.txt`), "ok");
  });
});

Deno.test("infer --out FOLDER exits 2 with one line; encode --out DIR/ writes DIR", async () => {
  await withTempDir("rnnfab-test-", async (root) => {
    const infer = await runDenoScript("cli/infer.ts", [
      "--model",
      `${REPO_ROOT}examples/lstm.json`,
      "--input",
      `${REPO_ROOT}examples/input16.json`,
      "--out",
      root,
    ]);
    assert.equal(infer.code, 2, infer.stderr);
    assert.equal(infer.stderr.trim().split("\n").length, 1, infer.stderr);
    assert.ok(infer.stderr.includes(`error: ${root}: is a folder`), infer.stderr);
    const encodeFlags = ["--pes", "2", "--format", "ese", "--out", `${root}/weights/`];
    const encode = await runDenoScript("cli/encode.ts", [
      ...["--model", `${REPO_ROOT}examples/lstm.json`, ...encodeFlags],
    ]);
    assert.equal(encode.code, 0, encode.stderr);
    assert.ok((await Deno.stat(`${root}/weights/manifest.json`)).isFile);
    assert.deepEqual(names(root), ["weights"]);
  });
});
