/**
 * `deno task bench:schedules [--only NAMES] [--schedules LIST] [--structures LIST]
 * [--densities LIST] [--seeds LIST] [--out FILE] [--work DIR] [--merge A,B]`: each pruning schedule
 * on the trained examples (bench/schedules.ts, docs/pruning.md).
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { exampleBenchFlags, mergeWhenAsked, selectExamples } from "./example_bench.ts";
import { wordsFlag } from "./shared_flags.ts";
import {
  ALL_SCHEDULES,
  mergeSchedulesReports,
  runSchedulesBench,
  SCHEDULE_EXAMPLES,
} from "../bench/schedules.ts";
import type { MaskStructure, ScheduleName } from "../prune/schedules.ts";

const NAME = "deno task bench:schedules";

const { only, densities, out, work, merge } = exampleBenchFlags({
  examples: SCHEDULE_EXAMPLES,
  densities: { default: [0.5, 0.25, 0.1], text: "0.5,0.25,0.1 (2x, 4x, 10x)" },
  resultFile: "schedules.json",
  work: { dir: "schedules", help: "where the training data goes" },
});

const COMMAND = defineCommand({
  name: NAME,
  synopsis: `[--only NAMES] [--schedules LIST] [--structures LIST] [--densities LIST]
       [--seeds LIST] [--out FILE] [--work DIR] [--merge A,B]`,
  description:
    `Trains the examples with each pruning schedule (fixed, gradual, gap from scratch, imp, admm) at
each density, BCR and unstructured, and measures the test accuracy through rnnfab's fixed-point
golden model and the training time; writes bench/results/schedules.json and schedules.md
(docs/pruning.md, "Pruning schedules").`,
  flags: {
    only,
    schedules: wordsFlag<ScheduleName>(ALL_SCHEDULES, { help: "schedules" }),
    structures: wordsFlag<MaskStructure>(["bcr", "unstructured"], { help: "mask structures" }),
    densities,
    seeds: {
      type: "custom",
      placeholder: "LIST",
      expected: "comma-separated integers in 0..2^31",
      parse: (text: string) => {
        const values = text.split(",").map(Number);
        return values.every((s) => Number.isInteger(s) && s >= 0 && s <= 2 ** 31)
          ? values
          : undefined;
      },
      default: [1],
      defaultText: "1",
      help: "seeds (several: the table gives the mean and the range)",
    },
    epochs: {
      type: "int",
      min: 1,
      max: 10000,
      placeholder: "N",
      help: "base epochs (fixed, gradual, imp per round; gap 2N; admm N/2 + N/2)",
      defaultText: "each example's (10)",
    },
    "input-density": {
      type: "number",
      min: 0,
      max: 1,
      minExclusive: true,
      placeholder: "X",
      help: "the input matrices (weight_ih) at density X, the others at the largest density " +
        "that keeps the whole model at or below each target (BCR counts per block)",
    },
    out,
    work,
    merge,
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  if (await mergeWhenAsked(flags, mergeSchedulesReports, NAME)) return;
  const examples = selectExamples(NAME, flags.only, SCHEDULE_EXAMPLES);
  const markdown = await runSchedulesBench({
    examples,
    schedules: [...flags.schedules],
    structures: [...flags.structures],
    densities: [...flags.densities],
    seeds: [...flags.seeds],
    epochs: flags.epochs,
    inputDensity: flags["input-density"],
    out: flags.out,
    work: flags.work,
  });
  console.log(markdown);
  console.log(`wrote ${flags.out}`);
});
