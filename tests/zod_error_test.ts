/**
 * The one zod-issue formatter (util/zod_error.ts): the file, the field path, what was expected and
 * what was found, in one line; messages written in a schema win.
 */

import assert from "node:assert/strict";
import { z } from "zod";
import { checkSchema, describeValue, formatIssuePath, parseWithSchema } from "../util/zod_error.ts";
import { UserError } from "../util/errors.ts";
import { parseModelJson } from "../model/model_io.ts";

const schema = z.object({
  kind: z.enum(["lstm", "gru"]),
  size: z.number().int().min(1).max(10),
  named: z.number().int({ message: "named must be an integer" }).optional(),
  weights: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  custom: z.union([z.string(), z.number()], { message: "expected a path or a count" }).optional(),
  rows: z.array(z.array(z.number()).length(2)).optional(),
  label: z.string().min(1).optional(),
  nested: z.object({ depth: z.number() }).strict().optional(),
}).strict();

function problem(value: unknown): string {
  const checked = checkSchema(schema, value);
  assert.equal(checked.ok, false);
  return (checked as { problem: string }).problem;
}

Deno.test("zod errors: field path, what was expected and what was found", () => {
  const base = { kind: "lstm", size: 3 };
  assert.equal(problem({ ...base, kind: "rnn" }), 'kind: expected "lstm" or "gru", got "rnn"');
  assert.equal(problem({ ...base, size: 2.5 }), "size: expected an integer, got 2.5");
  assert.equal(problem({ ...base, size: 11 }), "size: expected a number <= 10, got 11");
  assert.equal(problem({ ...base, size: 0 }), "size: expected a number >= 1, got 0");
  assert.equal(problem({ kind: "gru" }), "size: expected a number, but the field is missing");
  assert.equal(
    problem({ ...base, weights: 42 }),
    "weights: expected a string or an object, got 42",
  );
  assert.equal(
    problem({ ...base, rows: [[1, 2], [3]] }),
    "rows[1]: expected an array of exactly 2 items, got an array of 1",
  );
  assert.equal(problem({ ...base, label: "" }), 'label: expected a non-empty string, got ""');
  assert.equal(problem({ ...base, extra: 1 }), 'unknown field "extra"');
  assert.equal(problem({ ...base, nested: { depth: 1, x: 2 } }), 'nested: unknown field "x"');
  assert.equal(problem([1, 2]), "expected an object, got an array of 2");
});

Deno.test("zod errors: schema messages win; 'expected ...' gets what was found", () => {
  const base = { kind: "lstm", size: 3 };
  assert.equal(problem({ ...base, named: 0.5 }), "named must be an integer");
  assert.equal(problem({ ...base, custom: true }), "custom: expected a path or a count, got true");
});

Deno.test("zod errors: parseWithSchema throws one line naming the source", () => {
  assert.throws(
    () => parseWithSchema(schema, { kind: "lstm", size: "3" }, "c.json"),
    (error: unknown) =>
      error instanceof UserError && error.message === 'c.json: size: expected a number, got "3"',
  );
  assert.deepEqual(parseWithSchema(schema, { kind: "gru", size: 1 }, "c.json"), {
    kind: "gru",
    size: 1,
  });
});

Deno.test('zod errors: a model file with "weights": 42 says what was expected', async () => {
  await assert.rejects(
    parseModelJson(
      { kind: "lstm", inputSize: 2, hiddenSize: 2, numLayers: 1, weights: 42 },
      "m.json",
    ),
    (error: unknown) =>
      error instanceof UserError &&
      /^m\.json: weights: expected a \.safetensors path .* or an object of tensors, got 42$/.test(
        error.message,
      ),
  );
});

Deno.test("zod errors: paths and values as written in messages", () => {
  assert.equal(formatIssuePath(["layers", 0, "bias", 3]), "layers[0].bias[3]");
  assert.equal(formatIssuePath([]), "");
  assert.equal(describeValue(null), "null");
  assert.equal(describeValue({ a: 1 }), "an object");
  assert.equal(describeValue("x".repeat(50)), "a string of 50 characters");
});
