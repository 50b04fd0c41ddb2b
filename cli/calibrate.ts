/**
 * `deno task calibrate --model M --data D [--config C] [--activation-bits A] [--headroom H]`:
 * measure, with the float model on the data file's sequences, the largest value of every quantity
 * the fixed-point model keeps in an activation word, and print the activation format in which none
 * of them saturates (model/calibrate.ts, docs/fixed-point.md "Choosing the activation format").
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { DEFAULT_FIXED_CONFIG } from "../model/fixed.ts";
import { FIXED_POINT_FLAGS, MODEL_FLAG } from "./shared_flags.ts";
import {
  activationRanges,
  chooseActivationFrac,
  minimumActivationFrac,
  RANGE_QUANTITIES,
} from "../model/calibrate.ts";
import { loadModelConfig } from "../rtl/config_file.ts";
import { loadAnyModel } from "../model/load.ts";
import { loadDataset } from "../model/dataset.ts";
import { UserError } from "../util/errors.ts";

const COMMAND = defineCommand({
  name: "deno task calibrate",
  synopsis: "--model M --data D [--config C] [--activation-bits A] [--headroom H]",
  description:
    `Runs the float model M on the sequences of the data file D and prints, for every quantity the
fixed-point model holds in an activation word (inputs, biases, LSTM cell states, layer outputs,
GRU candidate terms), the largest magnitude seen, and the activation format QA.F with the most
fraction bits in which none of them saturates after the headroom. Give the printed format to gen
(--activation-bits, --activation-frac) or to any command as activationBits/activationFrac in a
config file (--config). Writes nothing.`,
  flags: {
    model: MODEL_FLAG,
    data: {
      type: "path",
      required: true,
      placeholder: "D",
      help: 'calibration data file ({"sequences": [...]} or .safetensors; the training split)',
    },
    config: {
      type: "path",
      placeholder: "C",
      help: "fixed-point formats to start from (activation width and table steps)",
    },
    "activation-bits": {
      ...FIXED_POINT_FLAGS["activation-bits"],
      defaultText: "the config's, else " + DEFAULT_FIXED_CONFIG.activationBits,
    },
    headroom: {
      type: "number",
      min: 1,
      max: 16,
      default: 1.25,
      placeholder: "H",
      help: "margin over the largest value seen",
    },
  },
});

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const fixed = typeof flags.config === "string"
    ? (await loadModelConfig(flags.config)).fixed
    : DEFAULT_FIXED_CONFIG;
  const activationBits = flags["activation-bits"] ?? fixed.activationBits;
  const model = await loadAnyModel(flags.model);
  const dataset = await loadDataset(flags.data, { inputSize: model.inputSize });
  if (dataset.sequences.length === 0) {
    throw new UserError(
      `${COMMAND.name}: ${flags.data}: sequences: expected at least one sequence`,
    );
  }
  const ranges = await activationRanges(model, dataset.sequences);
  const choice = chooseActivationFrac(ranges, {
    activationBits,
    minimumFrac: minimumActivationFrac(fixed),
    headroom: flags.headroom,
  });
  console.log(
    `largest magnitudes (computed: float model on ${dataset.sequences.length} sequences of ${flags.data}):`,
  );
  for (const quantity of RANGE_QUANTITIES) {
    console.log(`  ${quantity.padEnd(9)} ${ranges[quantity].toPrecision(4)}`);
  }
  const current = Math.min(fixed.activationFrac, activationBits - 1);
  const currentLimit = 2 ** (activationBits - 1 - current);
  console.log(
    `Q${activationBits}.${current} (current) holds |v| < ${currentLimit}: ${
      ranges[choice.largest.quantity] < currentLimit
        ? "no value saturates"
        : `${choice.largest.quantity} saturates`
    }`,
  );
  if (!choice.fits) {
    console.log(
      `no fraction width of ${activationBits}-bit words holds ${choice.largest.quantity} ` +
        `(${choice.largest.value.toPrecision(4)} x ${flags.headroom}) with the tables' ` +
        `${choice.activationFrac} fraction bits: use --activation-bits ${
          choice.bitsForFrac(choice.activationFrac)
        } or more`,
    );
    Deno.exitCode = 1;
    return;
  }
  console.log(
    `chosen: Q${activationBits}.${choice.activationFrac} (largest ${choice.largest.quantity} ` +
      `${choice.largest.value.toPrecision(4)} x ${flags.headroom} <= ${
        choice.representable.toPrecision(4)
      }): --activation-bits ${activationBits} --activation-frac ${choice.activationFrac}`,
  );
  if (choice.activationFrac < current) {
    console.log(
      `  or keep ${current} fraction bits with --activation-bits ${
        choice.bitsForFrac(current)
      } --activation-frac ${current}`,
    );
  }
});
