import assert from "node:assert/strict";
import { readRecordedThresholds } from "../bench/speech_record.ts";
import { UserError } from "../util/errors.ts";
import { withTempDir } from "./helpers.ts";

Deno.test("speech record: the search's thresholds, else the fine-tuning's, else none", async () => {
  await withTempDir("rnnfab-record-", async (dir) => {
    const write = async (name: string, value: unknown) => {
      await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(value));
      return `${dir}/${name}`;
    };
    const searched = await write("s.models.json", {
      stages: {
        delta: {
          thresholds: { theta: 0.35, thetaInput: 0.8, thetaM: 0.3 },
          testAtTheta: { theta: 0.35, thetaInput: 0.8, thetaM: 0.3, accuracy: 0.95 },
        },
      },
    });
    assert.deepEqual(await readRecordedThresholds(searched), {
      theta: 0.35,
      thetaInput: 0.8,
      thetaM: 0.3,
    });
    // an older record: the test figures at the thresholds, no theta_input, no theta_m
    const older = await write("o.models.json", {
      stages: { delta: { testAtTheta: { theta: 0.3, accuracy: 0.9, firedFraction: [0.1] } } },
    });
    assert.deepEqual(await readRecordedThresholds(older), { theta: 0.3, thetaInput: 0.3 });
    const noDelta = await write("n.models.json", { stages: { dense: { key: "k" } } });
    assert.equal(await readRecordedThresholds(noDelta), undefined);
    assert.equal(await readRecordedThresholds(`${dir}/missing.models.json`), undefined);
    const bad = await write("b.models.json", { stages: { delta: { thresholds: { theta: -1 } } } });
    await assert.rejects(
      () => readRecordedThresholds(bad),
      (error: Error) =>
        error instanceof UserError && /b\.models\.json: stages\.delta\.thresholds\.theta/.test(
          error.message,
        ),
    );
  });
});
