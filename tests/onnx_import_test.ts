/**
 * ONNX import and export without ONNX Runtime: gate-order mapping checked against an independent
 * re-ordering, exact round trips, every weight storage, external data safety, and one clear
 * UserError for each unsupported feature or malformed file.
 */

import assert from "node:assert/strict";
import { UserError } from "../util/errors.ts";
import type { RnnModel } from "../model/model.ts";
import { randomModel } from "../model/random.ts";
import {
  buildOnnxRecurrentModel,
  type OnnxRecurrentSpec,
  pytorchLayoutFromOnnx,
  randomOnnxLayers,
} from "../model/onnx/build.ts";
import { exportOnnx } from "../model/onnx/export.ts";
import { importOnnx, importOnnxDetailed } from "../model/onnx/import.ts";
import { modelProtoType } from "../model/onnx/schema.ts";
import { withTempDir } from "./helpers.ts";

function expectUserError(run: () => unknown, ...fragments: string[]): void {
  assert.throws(run, (error: Error) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error.stack}`);
    assert.ok(!error.message.includes("\n"), `more than one line: ${error.message}`);
    for (const fragment of fragments) {
      assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    }
    return true;
  });
}

function assertSameModel(actual: RnnModel, expected: RnnModel): void {
  for (const key of ["kind", "inputSize", "hiddenSize", "numLayers", "projSize"] as const) {
    assert.equal(actual[key], expected[key], key);
  }
  actual.layers.forEach((layer, k) => {
    const other = expected.layers[k];
    assert.deepEqual(layer.weightIh, other.weightIh, `layer ${k} weightIh`);
    assert.deepEqual(layer.weightHh, other.weightHh, `layer ${k} weightHh`);
    assert.deepEqual(layer.biasIh, other.biasIh, `layer ${k} biasIh`);
    assert.deepEqual(layer.biasHh, other.biasHh, `layer ${k} biasHh`);
    assert.deepEqual(layer.peephole, other.peephole, `layer ${k} peephole`);
    assert.equal(layer.weightHr, undefined);
  });
}

const BASE: Omit<OnnxRecurrentSpec, "layers"> = { kind: "lstm", inputSize: 3, hiddenSize: 4 };

function lstmSpec(overrides: Partial<OnnxRecurrentSpec> = {}): OnnxRecurrentSpec {
  const kind = overrides.kind ?? "lstm";
  return {
    ...BASE,
    kind,
    layers: randomOnnxLayers({
      kind,
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 2,
      peepholes: kind === "lstm",
      seed: 1,
    }),
    ...overrides,
  };
}

Deno.test("import: ONNX gate order, biases and peepholes map to PyTorch's (independent re-ordering)", () => {
  for (const kind of ["lstm", "gru"] as const) {
    const layers = randomOnnxLayers({
      kind,
      inputSize: 5,
      hiddenSize: 3,
      numLayers: 3,
      peepholes: kind === "lstm",
      seed: 4,
    });
    const built = buildOnnxRecurrentModel({ kind, inputSize: 5, hiddenSize: 3, layers });
    const model = importOnnx(built.bytes, "model.onnx");
    assert.equal(model.kind, kind);
    assert.equal(model.numLayers, 3);
    assert.equal(model.inputSize, 5);
    layers.forEach((onnxLayer, k) => {
      const expected = pytorchLayoutFromOnnx(kind, 3, onnxLayer);
      const layer = model.layers[k];
      assert.deepEqual(layer.weightIh.data, expected.weightIh);
      assert.deepEqual(layer.weightHh.data, expected.weightHh);
      assert.deepEqual(layer.biasIh, expected.biasIh);
      assert.deepEqual(layer.biasHh, expected.biasHh);
      assert.deepEqual(layer.peephole, expected.peephole);
    });
  }
});

Deno.test("import: a hand-written LSTM gate layout lands in PyTorch's rows", () => {
  // H = 1, I = 1: W rows are the ONNX gates i, o, f, c with values 1, 2, 3, 4.
  const built = buildOnnxRecurrentModel({
    kind: "lstm",
    inputSize: 1,
    hiddenSize: 1,
    layers: [{
      w: Float64Array.of(1, 2, 3, 4),
      r: Float64Array.of(10, 20, 30, 40),
      b: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      p: Float64Array.of(100, 200, 300),
    }],
  });
  const layer = importOnnx(built.bytes, "tiny.onnx").layers[0];
  assert.deepEqual(Array.from(layer.weightIh.data), [1, 3, 4, 2]); // i, f, g, o
  assert.deepEqual(Array.from(layer.weightHh.data), [10, 30, 40, 20]);
  assert.deepEqual(Array.from(layer.biasIh), [1, 3, 4, 2]);
  assert.deepEqual(Array.from(layer.biasHh), [5, 7, 8, 6]);
  assert.deepEqual(Array.from(layer.peephole!), [100, 300, 200]); // i, f, o from Pi, Po, Pf
  const gru = buildOnnxRecurrentModel({
    kind: "gru",
    inputSize: 1,
    hiddenSize: 1,
    layers: [{ w: Float64Array.of(1, 2, 3), r: Float64Array.of(4, 5, 6) }],
  });
  const gruLayer = importOnnx(gru.bytes, "tiny_gru.onnx").layers[0];
  assert.deepEqual(Array.from(gruLayer.weightIh.data), [2, 1, 3]); // r, z, n from z, r, h
  assert.deepEqual(Array.from(gruLayer.weightHh.data), [5, 4, 6]);
  assert.deepEqual(Array.from(gruLayer.biasIh), [0, 0, 0]); // no B input: zero biases
});

Deno.test("import: every weight storage gives the same model", async () => {
  const spec = lstmSpec();
  const reference = importOnnx(buildOnnxRecurrentModel(spec).bytes, "raw.onnx");
  for (const storage of ["float_data", "double", "constant"] as const) {
    const model = importOnnx(
      buildOnnxRecurrentModel({ ...spec, storage }).bytes,
      `${storage}.onnx`,
    );
    assertSameModel(model, reference);
  }
  await withTempDir("rnnfab-onnx-", async (dir) => {
    const built = buildOnnxRecurrentModel({
      ...spec,
      storage: "external",
      externalLocation: "data/weights.bin",
    });
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeFile(`${dir}/data/weights.bin`, built.externalData!);
    assertSameModel(importOnnx(built.bytes, "ext.onnx", { baseDir: dir }), reference);
  });
});

Deno.test("import: external data that leaves the model's folder, is missing or short is refused", async () => {
  const spec = lstmSpec();
  await withTempDir("rnnfab-onnx-", async (dir) => {
    await Deno.mkdir(`${dir}/model`);
    const base = `${dir}/model`;
    const escaping = buildOnnxRecurrentModel({
      ...spec,
      storage: "external",
      externalLocation: "../weights.bin",
    });
    await Deno.writeFile(`${dir}/weights.bin`, escaping.externalData!);
    expectUserError(
      () => importOnnx(escaping.bytes, "m.onnx", { baseDir: base }),
      "m.onnx",
      `"../weights.bin" leaves the model's folder`,
    );
    const absolute = buildOnnxRecurrentModel({
      ...spec,
      storage: "external",
      externalLocation: `${dir}/weights.bin`,
    });
    expectUserError(
      () => importOnnx(absolute.bytes, "m.onnx", { baseDir: base }),
      "must be a relative path",
    );
    await Deno.symlink(`${dir}/weights.bin`, `${base}/link.bin`);
    const linked = buildOnnxRecurrentModel({
      ...spec,
      storage: "external",
      externalLocation: "link.bin",
    });
    expectUserError(
      () => importOnnx(linked.bytes, "m.onnx", { baseDir: base }),
      "is a link leading out of the model's folder",
    );
    const inside = buildOnnxRecurrentModel({ ...spec, storage: "external" });
    expectUserError(
      () => importOnnx(inside.bytes, "m.onnx", { baseDir: base }),
      `"weights.bin" not found`,
    );
    await Deno.writeFile(`${base}/weights.bin`, inside.externalData!.subarray(0, 100));
    expectUserError(
      () => importOnnx(inside.bytes, "m.onnx", { baseDir: base }),
      "m.onnx: LSTM node 'lstm_0' (#1 of 2): initializer 'l0_W'",
      "truncated file?",
    );
    expectUserError(() => importOnnx(inside.bytes, "m.onnx"), "no model folder was given");
  });
});

Deno.test("import: zero initial states are accepted in every form, others refused", () => {
  for (
    const initialState of ["zero-initializer", "zero-expand", "zero-constant-of-shape"] as const
  ) {
    importOnnx(buildOnnxRecurrentModel(lstmSpec({ initialState })).bytes, "zero.onnx");
  }
  expectUserError(
    () =>
      importOnnx(buildOnnxRecurrentModel(lstmSpec({ initialState: "nonzero" })).bytes, "h.onnx"),
    "h.onnx: LSTM node 'lstm_0' (#1 of 2): initial_h 'l0_h0' is not a constant zero (it has non-zero values); rnnfab starts from zero state",
  );
  expectUserError(
    () =>
      importOnnx(
        buildOnnxRecurrentModel(lstmSpec({ initialState: "graph-input" })).bytes,
        "h.onnx",
      ),
    "initial_h 'l0_h0' is not a constant zero (it is the graph input 'l0_h0')",
  );
});

const UNSUPPORTED: [string, Partial<OnnxRecurrentSpec>, string][] = [
  [
    "reverse direction",
    { attributes: { direction: "reverse" } },
    `direction "reverse" is not supported`,
  ],
  [
    "bidirectional",
    { attributes: { direction: "bidirectional" } },
    `direction "bidirectional" is not supported`,
  ],
  [
    "other activations",
    { attributes: { activations: ["Sigmoid", "Relu", "Tanh"] } },
    "activations [Sigmoid, Relu, Tanh] are not supported",
  ],
  ["clip", { attributes: { clip: [5] } }, "attribute 'clip' (cell clipping) is not supported"],
  ["input_forget", { attributes: { input_forget: 1 } }, "input_forget=1"],
  ["batch-first layout", { attributes: { layout: 1 } }, "layout=1 (batch-first) is not supported"],
  [
    "unknown attribute",
    { attributes: { output_sequence: 1 } },
    "unknown attribute 'output_sequence'",
  ],
  [
    "hidden_size against W",
    { attributes: { hidden_size: 5 } },
    "W has shape [1, 16, 3], expected [1, 20, 3]",
  ],
  [
    "hidden_size as a string",
    { attributes: { hidden_size: "4" } },
    "'hidden_size' must be an integer",
  ],
  [
    "GRU without linear_before_reset",
    { kind: "gru", attributes: { linear_before_reset: 0 } },
    "linear_before_reset=0 is not supported; rnnfab's GRU is PyTorch's",
  ],
];

for (const [name, overrides, message] of UNSUPPORTED) {
  Deno.test(`import: refuses ${name} with one clear line`, () => {
    const built = buildOnnxRecurrentModel(lstmSpec(overrides));
    expectUserError(() => importOnnx(built.bytes, "bad.onnx"), "bad.onnx: ", message);
  });
}

Deno.test("import: default activations in any case and a missing hidden_size are accepted", () => {
  const spec = lstmSpec({ attributes: { activations: ["sigmoid", "TANH", "Tanh"] } });
  const reference = importOnnx(buildOnnxRecurrentModel(lstmSpec()).bytes, "a.onnx");
  assertSameModel(importOnnx(buildOnnxRecurrentModel(spec).bytes, "b.onnx"), reference);
  const noHidden = buildOnnxRecurrentModel(lstmSpec({ omitHiddenSize: true }));
  assertSameModel(importOnnx(noHidden.bytes, "c.onnx"), reference);
});

/** Decode an ONNX file, let `edit` change it as plain data, and encode it again. */
// The decoded protobuf object is edited freely here, as a malformed file would be.
// deno-lint-ignore no-explicit-any
function editModel(bytes: Uint8Array, edit: (model: Record<string, any>) => void): Uint8Array {
  const type = modelProtoType();
  const object = type.toObject(type.decode(bytes), { longs: Number });
  edit(object);
  return type.encode(type.fromObject(object)).finish();
}

Deno.test("import: missing initializers, computed weights and sequence_lens are refused", () => {
  const bytes = buildOnnxRecurrentModel(lstmSpec()).bytes;
  const missing = editModel(bytes, (model) => {
    model.graph.initializer = model.graph.initializer.filter((t: { name: string }) =>
      t.name !== "l1_R"
    );
  });
  expectUserError(
    () => importOnnx(missing, "m.onnx"),
    "m.onnx: LSTM node 'lstm_1' (#2 of 2): input R 'l1_R' is missing (no initializer, Constant or node produces it)",
  );
  const asInput = editModel(bytes, (model) => {
    model.graph.initializer = model.graph.initializer.filter((t: { name: string }) =>
      t.name !== "l0_W"
    );
    model.graph.input.push({ name: "l0_W" });
  });
  expectUserError(() => importOnnx(asInput, "m.onnx"), "input W 'l0_W' is a graph input");
  const computed = editModel(bytes, (model) => {
    model.graph.node.unshift({ op_type: "Neg", input: ["l0_R_source"], output: ["l0_R_neg"] });
    model.graph.node.find((n: { op_type: string }) => n.op_type === "LSTM").input[2] = "l0_R_neg";
  });
  expectUserError(() => importOnnx(computed, "m.onnx"), "is computed by a Neg node");
  const sequenceLengths = editModel(bytes, (model) => {
    model.graph.input.push({ name: "lengths" });
    model.graph.node.find((n: { op_type: string }) => n.op_type === "LSTM").input[4] = "lengths";
  });
  expectUserError(() => importOnnx(sequenceLengths, "m.onnx"), "sequence_lens is not supported");
  const shortB = editModel(bytes, (model) => {
    const b = model.graph.initializer.find((t: { name: string }) => t.name === "l0_B");
    b.raw_data = b.raw_data.slice(0, 12);
  });
  expectUserError(
    () => importOnnx(shortB, "m.onnx"),
    "initializer 'l0_B': raw_data has 12 bytes, dims [1, 32] of FLOAT need 128",
  );
});

Deno.test("import: graphs that are not one recurrent stack are refused, heads are noted", () => {
  const bytes = buildOnnxRecurrentModel(lstmSpec()).bytes;
  const preprocessed = editModel(bytes, (model) => {
    model.graph.node.unshift({ op_type: "Relu", input: ["x"], output: ["x_relu"] });
    model.graph.node.find((n: { op_type: string }) => n.op_type === "LSTM").input[0] = "x_relu";
  });
  expectUserError(
    () => importOnnx(preprocessed, "m.onnx"),
    "input X 'x_relu' is computed by a Relu node; rnnfab needs the first layer to read the graph input",
  );
  const broken = editModel(bytes, (model) => {
    model.graph.node.find((n: { name: string }) => n.name === "lstm_1").input[0] = "x";
  });
  expectUserError(() => importOnnx(broken, "m.onnx"), "2 recurrent nodes read the graph input");
  const noRecurrent = editModel(bytes, (model) => {
    model.graph.node = [{ op_type: "Relu", input: ["x"], output: ["y"] }];
  });
  expectUserError(
    () => importOnnx(noRecurrent, "m.onnx"),
    "m.onnx: no LSTM or GRU node in the graph (ops: Relu)",
  );
  const withHead = buildOnnxRecurrentModel(lstmSpec({ head: true }));
  const { notes } = importOnnxDetailed(withHead.bytes, "head.onnx");
  assert.deepEqual(notes, [
    "graph output 'logits' is computed by a MatMul node after the recurrent layers; rnnfab imports only the LSTM/GRU stack",
    "no graph output is the last layer's Y directly; rnnfab's model outputs the last layer's h(t) at every step",
  ]);
  assert.deepEqual(importOnnxDetailed(bytes, "plain.onnx").notes, []);
});

Deno.test("import: truncated, empty and non-ONNX files give one clear line", () => {
  const bytes = buildOnnxRecurrentModel(lstmSpec()).bytes;
  for (let cut = 0; cut < bytes.length; cut += 7) {
    expectUserError(() => importOnnx(bytes.subarray(0, cut), "cut.onnx"), "cut.onnx: ");
  }
  expectUserError(() => importOnnx(new Uint8Array(), "e.onnx"), "e.onnx: empty file");
  expectUserError(
    () => importOnnx(new TextEncoder().encode('{"format": "rnnfab-model"}'), "j.onnx"),
    "j.onnx: not a valid ONNX file",
  );
  expectUserError(
    () => importOnnx(Uint8Array.of(0x08, 0x08), "ir.onnx"),
    "ir.onnx: not an ONNX model (no graph field",
  );
});

Deno.test("export then import gives the model back exactly (LSTM, LSTM with peepholes, GRU)", () => {
  const cases = [
    { kind: "lstm", inputSize: 5, hiddenSize: 7, numLayers: 1 },
    { kind: "lstm", inputSize: 5, hiddenSize: 7, numLayers: 3, peepholes: true },
    { kind: "gru", inputSize: 6, hiddenSize: 4, numLayers: 2 },
  ] as const;
  for (const options of cases) {
    const model = randomModel({ ...options, seed: 21 });
    const bytes = exportOnnx(model);
    const back = importOnnx(bytes, "exported.onnx");
    assertSameModel(back, model);
    assert.deepEqual(exportOnnx(back), bytes, "export is deterministic");
  }
});

Deno.test("export of LSTM with projection is a Scan graph that import refuses clearly", () => {
  const shape = { kind: "lstm", inputSize: 5, hiddenSize: 8, numLayers: 2, projSize: 3 } as const;
  const model = randomModel({ ...shape, seed: 2 });
  const decoded = modelProtoType().decode(exportOnnx(model)) as unknown as {
    graph: { node: { op_type: string }[] };
  };
  assert.deepEqual(decoded.graph.node.map((node) => node.op_type), ["Scan", "Scan"]);
  expectUserError(
    () => importOnnx(exportOnnx(model), "lstmp.onnx"),
    "lstmp.onnx: no LSTM or GRU node (found a Scan graph)",
    "use the model JSON file",
  );
});
