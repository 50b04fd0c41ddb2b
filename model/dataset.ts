/**
 * Data files: many input sequences with optional class labels, for `infer`, `prune --calib`,
 * `finetune` and the fidelity benchmark (docs/finetune.md).
 *
 * JSON: `{"sequences": [[[...], ...], ...], "labels": [...]}`. Sequences may differ in length; every
 * step has the same number of features. Labels are optional: one class id per sequence, or one list
 * of class ids per sequence (one per step). The same names in a safetensors file: `sequences` as a
 * padded [N, T, I] float tensor, `lengths` [N] (optional; default T each) and `labels` [N] or
 * [N, T] (optional), as `dataset_safetensors.ts` reads them.
 *
 * Every problem is a one-line `UserError` naming the file, the field and what was expected.
 *
 * @module
 */

import { z } from "zod";
import { UserError } from "../util/errors.ts";
import { parseInputs } from "./inputs.ts";
import { parseWithSchema } from "../util/zod_error.ts";
import { readInputBytes, readInputText } from "../util/read.ts";
import { datasetFromSafetensors } from "./dataset_safetensors.ts";

/** Class labels of a data set: one per sequence, or one per step of every sequence. */
export type Labels =
  | { kind: "sequence"; values: number[] }
  | { kind: "step"; values: number[][] };

/** Many input sequences, optionally labelled. */
export interface Dataset {
  /** N sequences, each T_n steps of `inputSize` numbers. */
  sequences: number[][][];
  /** Features per step. */
  inputSize: number;
  /** Class labels, when the file has them. */
  labels?: Labels;
}

/** What a data file is checked against. */
export interface DatasetExpectations {
  /** Required features per step (the model's inputSize). */
  inputSize?: number;
  /** Number of classes (the head's rows): labels must lie in 0..classes-1. */
  classes?: number;
}

const topSchema = z.object({
  sequences: z.array(z.unknown(), { message: "expected an array of sequences" })
    .min(1, { message: "expected at least one sequence" }),
  labels: z.array(z.unknown(), { message: "expected an array of labels" }).optional(),
}).strict();

/** Placeholder that `parseDataText` puts where the JSON text had NaN or Infinity. */
const NON_FINITE = "~rnnfab-non-finite~";

function describe(value: unknown): string {
  if (typeof value === "string" && value.startsWith(NON_FINITE)) {
    return value.slice(NON_FINITE.length);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "number" ? String(value) : typeof value;
}

/** Validate one sequence (T >= 1 steps of `width` finite numbers) and copy it. */
function checkSequence(
  value: unknown,
  index: number,
  width: { size?: number; expected: string },
  source: string,
): number[][] {
  const where = `${source}: sequences[${index}]`;
  if (!Array.isArray(value) || value.length === 0) {
    throw new UserError(`${where}: expected a non-empty array of time steps`);
  }
  return value.map((step, t) => {
    if (!Array.isArray(step)) {
      throw new UserError(`${where}[${t}]: expected an array of numbers, got ${describe(step)}`);
    }
    if (width.size === undefined) {
      width.size = step.length;
      width.expected = "as many numbers as sequences[0][0]";
    }
    if (step.length !== width.size) {
      throw new UserError(
        `${where}[${t}]: expected ${width.size} numbers per step (${width.expected}), got ${step.length}`,
      );
    }
    for (let k = 0; k < step.length; k++) {
      const x = step[k];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new UserError(`${where}[${t}][${k}]: expected a finite number, got ${describe(x)}`);
      }
    }
    return step as number[];
  });
}

function classRange(classes?: number): string {
  return classes === undefined
    ? "a class id (an integer >= 0)"
    : `a class id in 0..${classes - 1} (the head has ${classes} rows)`;
}

function checkClass(value: unknown, where: string, classes?: number): number {
  const ok = typeof value === "number" && Number.isInteger(value) && value >= 0 &&
    (classes === undefined || value < classes);
  if (!ok) throw new UserError(`${where}: expected ${classRange(classes)}, got ${describe(value)}`);
  return value as number;
}

/** Validate labels against the sequences: one class per sequence, or one list per sequence. */
export function checkLabels(
  labels: unknown[],
  sequences: number[][][],
  source: string,
  classes?: number,
): Labels {
  if (labels.length !== sequences.length) {
    throw new UserError(
      `${source}: labels: expected ${sequences.length} labels (one per sequence), got ${labels.length}`,
    );
  }
  if (labels.length > 0 && Array.isArray(labels[0])) {
    const values = labels.map((entry, n) => {
      const where = `${source}: labels[${n}]`;
      if (!Array.isArray(entry) || entry.length !== sequences[n].length) {
        throw new UserError(
          `${where}: expected ${
            sequences[n].length
          } class ids (one per step of sequences[${n}]) or one class id per sequence`,
        );
      }
      return entry.map((value, t) => checkClass(value, `${where}[${t}]`, classes));
    });
    return { kind: "step", values };
  }
  return {
    kind: "sequence",
    values: labels.map((value, n) => checkClass(value, `${source}: labels[${n}]`, classes)),
  };
}

/** Validate a parsed JSON data file. */
export function parseDataset(
  value: unknown,
  source: string,
  expect: DatasetExpectations = {},
): Dataset {
  const parsed = { data: parseWithSchema(topSchema, value, source) };
  const width = {
    size: expect.inputSize,
    expected: "the model's inputSize",
  };
  const sequences = parsed.data.sequences.map((sequence, n) =>
    checkSequence(sequence, n, width, source)
  );
  const labels = parsed.data.labels === undefined
    ? undefined
    : checkLabels(parsed.data.labels, sequences, source, expect.classes);
  return { sequences, inputSize: width.size!, labels };
}

/**
 * Parse JSON text in which NaN and Infinity (which Python's json module writes) may stand for
 * numbers: they are read as markers, so that validation names the element that holds one.
 */
function parseLenientJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const marked = text.replace(/(-?Infinity|NaN)(?=\s*[,\]}])/g, `"${NON_FINITE}$1"`);
    try {
      return JSON.parse(marked);
    } catch {
      throw new UserError(`${source}: not valid JSON (${(error as Error).message})`);
    }
  }
}

/** Parse and validate the text of a JSON data file. */
export function parseDataText(
  text: string,
  source: string,
  expect: DatasetExpectations = {},
): Dataset {
  return parseDataset(parseLenientJson(text, source), source, expect);
}

/** Whether a path names a safetensors data file (by its extension). */
export function isSafetensorsPath(path: string): boolean {
  return path.toLowerCase().endsWith(".safetensors");
}

/** Load a data file (JSON or safetensors) and check it against the model and head. */
export async function loadDataset(
  path: string,
  expect: DatasetExpectations = {},
): Promise<Dataset> {
  if (isSafetensorsPath(path)) {
    const bytes = await readInputBytes(path, "data file");
    const { sequences, labels } = datasetFromSafetensors(bytes, path, expect.inputSize);
    return {
      sequences,
      inputSize: sequences[0][0].length,
      labels: labels === undefined
        ? undefined
        : checkLabels(labels, sequences, path, expect.classes),
    };
  }
  const text = await readInputText(path, "data file");
  return parseDataText(text, path, expect);
}

/** What an input file held: one sequence (`{"inputs": ...}`) or a data file of many. */
export type InputFile =
  | { kind: "sequence"; inputs: number[][] }
  | { kind: "data"; dataset: Dataset };

/**
 * Load an input file that may be a single sequence (`{"inputs": [[...], ...]}`, as `infer` always
 * took) or a data file (`{"sequences": ...}` or a `.safetensors` file).
 */
export async function loadSequenceOrData(
  path: string,
  expect: DatasetExpectations & { inputSize: number },
): Promise<InputFile> {
  if (isSafetensorsPath(path)) return { kind: "data", dataset: await loadDataset(path, expect) };
  const value = parseLenientJson(await readInputText(path, "input sequence or data file"), path);
  if (typeof value === "object" && value !== null && "sequences" in value) {
    return { kind: "data", dataset: parseDataset(value, path, expect) };
  }
  return { kind: "sequence", inputs: parseInputs(value, expect.inputSize, path) };
}

/** Total number of time steps of a data set. */
export function totalSteps(sequences: number[][][]): number {
  return sequences.reduce((sum, sequence) => sum + sequence.length, 0);
}

/**
 * At most `count` sequences, evenly spaced over the data set (deterministic); all of them when
 * there are no more than `count`. Labels follow their sequences.
 */
export function evenSubset(dataset: Dataset, count: number): Dataset {
  const n = dataset.sequences.length;
  if (count >= n) return dataset;
  return pickSequences(
    dataset,
    Array.from({ length: count }, (_, k) => Math.floor((k * n) / count)),
  );
}

/** The sequences at `indices` (the same arrays, in that order), their labels following them. */
export function pickSequences(dataset: Dataset, indices: number[]): Dataset {
  const labels: Labels | undefined = dataset.labels === undefined
    ? undefined
    : dataset.labels.kind === "sequence"
    ? { kind: "sequence", values: indices.map((i) => (dataset.labels!.values as number[])[i]) }
    : { kind: "step", values: indices.map((i) => (dataset.labels!.values as number[][])[i]) };
  return { ...dataset, sequences: indices.map((i) => dataset.sequences[i]), labels };
}
