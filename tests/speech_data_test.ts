import assert from "node:assert/strict";
import { loadDataset } from "../model/dataset.ts";
import { runSequencesDelta } from "../model/delta_run.ts";
import { summarizeStats } from "../model/delta.ts";
import { randomModel } from "../model/random.ts";
import { runProgram, VENV_PYTHON, withTempDir } from "./helpers.ts";

const espeak = new Deno.Command("sh", { args: ["-c", "command -v espeak-ng"] }).outputSync()
  .success;

async function makeSpeech(out: string, ...extra: string[]) {
  return await runProgram(VENV_PYTHON, ["scripts/make_speech.py", "--out", out, ...extra]);
}

/** A test that needs espeak-ng (ignored without it), in a fresh temporary folder. */
function speechTest(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({ name, ignore: !espeak, fn: () => withTempDir("rnnfab-speech-", fn) });
}

speechTest(
  "make_speech: the same bytes twice, rnnfab data files of 40 and 153 features, split by voice",
  async (dir) => {
    const first = await makeSpeech(`${dir}/a`, "--per-word", "1", "--val-per-word", "2");
    assert.equal(first.code, 0, first.stderr);
    const second = await makeSpeech(`${dir}/b`, "--per-word", "1", "--val-per-word", "2");
    assert.equal(second.code, 0, second.stderr);
    const a = JSON.parse(await Deno.readTextFile(`${dir}/a/manifest.json`));
    const b = JSON.parse(await Deno.readTextFile(`${dir}/b/manifest.json`));
    assert.deepEqual(a.files, b.files);
    for (const [size, split] of [[40, "train"], [153, "test"], [153, "val"]] as const) {
      const data = await loadDataset(`${dir}/a/speech${size}_${split}.safetensors`, {
        inputSize: size,
        classes: 10,
      });
      assert.equal(data.sequences.length, a.counts[split]);
      for (const sequence of data.sequences) assert.ok(sequence.length >= 10);
    }
    // the validation split: its own utterances of the test set's voices (none heard in training)
    const testVariants = new Set(a.testVariants);
    assert.equal(a.counts.val, 10 * 2);
    for (const utterance of a.utterances) {
      const expected = utterance.split === "val"
        ? "val"
        : testVariants.has(utterance.variant)
        ? "test"
        : "train";
      assert.equal(utterance.split, expected);
      if (utterance.split === "val") assert.ok(testVariants.has(utterance.variant));
    }
    // Again into its own folder: allowed (it holds only what the script wrote).
    assert.equal((await makeSpeech(`${dir}/a`, "--per-word", "1", "--val-per-word", "2")).code, 0);
    // A folder with someone else's file: refused, nothing touched.
    await Deno.mkdir(`${dir}/c`);
    await Deno.writeTextFile(`${dir}/c/notes.txt`, "mine");
    const refused = await makeSpeech(`${dir}/c`, "--per-word", "1", "--val-per-word", "2");
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /holds files this script did not write \(notes\.txt/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/c`)].map((e) => e.name), ["notes.txt"]);
  },
);

speechTest(
  "speech features change slowly: layer 0 of a delta model skips most input columns at theta 0.5",
  async (dir) => {
    assert.equal((await makeSpeech(dir, "--per-word", "1", "--val-per-word", "2")).code, 0);
    const data = await loadDataset(`${dir}/speech40_train.safetensors`, { inputSize: 40 });
    const model = randomModel({
      kind: "lstm",
      inputSize: 40,
      hiddenSize: 8,
      numLayers: 1,
      seed: 1,
    });
    const fired = async (theta: number) =>
      summarizeStats(
        (await runSequencesDelta(model, data.sequences, {
          mode: "fixed",
          delta: { thetaX: theta, thetaH: 0 },
          source: "test",
        })).stats,
      ).firedFractionX[0];
    const dense = await fired(0);
    const sparse = await fired(0.5);
    assert.ok(dense > 0.95, `theta 0: ${dense}`);
    assert.ok(sparse < 0.5, `theta 0.5: ${sparse}`);
  },
);
