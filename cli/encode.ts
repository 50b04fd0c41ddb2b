/**
 * `deno task encode --model M --pes N --format ese|bcr --out DIR [...]`: quantize a (pruned) model
 * and write its weight matrices as the PEs' memory images (`.hex` for `$readmemh`) plus
 * `manifest.json`, as docs/encoding.md describes.
 *
 * @module
 */

import { parseCommand, runCommand } from "./common.ts";
import { defineCommand } from "./flags.ts";
import { blockFlag, LANE_FLAG_VALUES, limitFlag, pesFlag } from "./shared_flags.ts";
import { UserError } from "../util/errors.ts";
import { DEFAULT_FIXED_CONFIG, FIXED_POINT_LIMITS, quantizeModel } from "../model/fixed.ts";
import { loadFixedConfig } from "../rtl/config_file.ts";
import { loadAnyModel, modelInputPaths } from "../model/load.ts";
import { guardPaths } from "../util/output.ts";
import { ACCELERATOR_LIMITS, DEFAULT_ACCELERATOR_CONFIG } from "../rtl/config.ts";
import { ENCODING_FORMATS } from "../encode/manifest.ts";
import { writeImageDir } from "../encode/hex.ts";
import { encodeModel, type ModelImage } from "../encode/model_image.ts";
import { type BlockSize, formatBlock } from "../prune/mod.ts";
import { summarizeImage } from "../encode/mod.ts";

const NAME = "deno task encode";
const LIMITS = ACCELERATOR_LIMITS;

const COMMAND = defineCommand({
  name: NAME,
  synopsis: "--model M --pes N --format ese|bcr --out DIR [options]",
  description:
    `Quantizes the model M (rnnfab JSON or ONNX; usually pruned) and encodes all its weight matrices
(weight_ih_l0, weight_hh_l0, weight_hr_l0, weight_ih_l1, ...) for N PEs exactly as the generated
accelerator holds them (each gate's rows padded to a multiple of N, rows interleaved: row r goes
to PE r mod N; bcr matrices cut into block columns). Writes DIR (replaced if it exists) with one
$readmemh image per memory (pe{p}_weights.hex, pe{p}_pointers.hex or pe{p}_index.hex,
codebook.hex) and manifest.json, the files of a design's mem/, and prints the bit accounting. The
format is docs/encoding.md. The limits are those of deno task gen.`,
  flags: {
    model: { type: "path", required: true, placeholder: "M", help: "model file (JSON or ONNX)" },
    pes: pesFlag({ required: true }),
    format: {
      type: "enum",
      values: ENCODING_FORMATS,
      required: true,
      help: "ese: column-major sparse entries {relative row index, weight}, pointer memory; " +
        "bcr: per block, kept row and column indices, dense kept sub-block",
    },
    out: { type: "path", required: true, placeholder: "DIR", help: "folder to write" },
    "index-bits": limitFlag(LIMITS.indexBits, "ese: relative row index width", {
      placeholder: "B",
      defaultText: String(DEFAULT_ACCELERATOR_CONFIG.indexBits),
    }),
    "weight-bits": limitFlag(
      FIXED_POINT_LIMITS.weightBits,
      "stored weight width; must hold every quantized weight",
      { placeholder: "W", defaultText: "the fixed-point weightBits, 12" },
    ),
    "codebook-bits": limitFlag(
      LIMITS.codebookBits,
      "weight sharing with 2^K shared values (k-means); weights stored as K-bit codes",
      { placeholder: "K" },
    ),
    block: blockFlag({
      allowAll: true,
      help: 'bcr: block size, "all" for a whole dimension as in prune',
      defaultText: "the block with the fewest cycles on the busiest PE, as deno task gen",
    }),
    lanes: {
      type: "enum",
      values: LANE_FLAG_VALUES,
      placeholder: "L",
      help: "MAC lanes per PE (L weights per weight word, as deno task gen --lanes)",
      defaultText: "1",
    },
    config: {
      type: "path",
      placeholder: "C",
      help: "fixed-point formats (JSON: weightBits, weightFrac, ...; docs/fixed-point.md)",
    },
    json: { type: "bool", help: "print the summary as JSON instead of text" },
  },
});

/** Format a summary for people. */
function formatSummary(result: ModelImage, out: string, requestedBlock?: BlockSize): string {
  const { image, segments, sharing, block } = result;
  const { manifest } = image;
  const summary = summarizeImage(image);
  const lines: string[] = [];
  // bcr segments are block columns of a matrix: list each matrix once, with its whole width
  const matrices = new Map<string, { rows: number; cols: number }>();
  for (const { name, matrix } of segments) {
    const whole = name.replace(/\[.*\]$/, "");
    const known = matrices.get(whole);
    if (known) known.cols += matrix.cols;
    else matrices.set(whole, { rows: matrix.rows, cols: matrix.cols });
  }
  const shapes = [...matrices].map(([name, shape]) => `${name} ${shape.rows}x${shape.cols}`);
  const detail = manifest.format === "ese"
    ? `${manifest.indexBits}-bit row index, ${
      manifest.codebookBits
        ? `${manifest.codebookBits}-bit codes`
        : `${manifest.weightBits}-bit weights`
    }`
    : `block ${block!.rows}x${block!.cols}${
      block!.how === "chosen"
        ? " (chosen: fewest cycles on the busiest PE, then fewest words; computed)"
        : requestedBlock && formatBlock(requestedBlock).includes("all")
        ? ` (${formatBlock(requestedBlock)})`
        : ""
    }, ${
      manifest.codebookBits
        ? `${manifest.codebookBits}-bit codes`
        : `${manifest.weightBits}-bit weights`
    }`;
  lines.push(
    `encoded ${matrices.size} matrices (${
      shapes.join(", ")
    }) for ${manifest.pes} PEs as ${manifest.format} (${detail})`,
  );
  if (sharing) {
    const r = sharing.report;
    lines.push(
      `weight sharing: ${r.distinctValuesBefore} distinct weights -> ${r.distinctCodes} shared values; error max ${r.maxAbsError} LSB, rms ${
        r.rmsError.toFixed(3)
      } LSB (computed)`,
    );
    if (r.zeroedWeights > 0) {
      lines.push(`weight sharing: ${r.zeroedWeights} non-zero weights became 0 (nearest value 0)`);
    }
  }
  const kinds = Object.entries(summary.bitsByKind).filter(([, bits]) => bits > 0)
    .map(([kind, bits]) => `${kind} ${bits}`).join(", ");
  lines.push(`wrote ${manifest.memories.length} memories + manifest.json to ${out}`);
  lines.push(
    `total ${manifest.totalBits} bits (${kinds}); ${manifest.nonZeros} non-zeros; ${
      manifest.bitsPerNonZero === null
        ? "no non-zero weight"
        : `${manifest.bitsPerNonZero.toFixed(2)} bits per non-zero`
    } (computed)`,
  );
  const stats = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const list = values.length <= 16 ? ` [${values.join(" ")}]` : "";
    return `min ${Math.min(...values)}, max ${Math.max(...values)}, mean ${mean.toFixed(1)}${list}`;
  };
  lines.push(
    `per-PE non-zeros: ${stats(summary.peNonZeros)}; imbalance ${
      summary.nonZeroImbalance.toFixed(3)
    } (max/mean)`,
  );
  const stored = manifest.format === "ese" ? "entries incl. padding" : "weights incl. zeros";
  lines.push(
    `per-PE ${stored}: ${stats(summary.peEntries)}; imbalance ${
      summary.entryImbalance.toFixed(3)
    } (max/mean)`,
  );
  return lines.join("\n");
}

await runCommand(async () => {
  const flags = parseCommand(COMMAND);
  const { model: modelPath, pes, format, out, block } = flags;
  const indexBits = flags["index-bits"];
  const weightBits = flags["weight-bits"];
  const codebookBits = flags["codebook-bits"];
  if (format === "bcr" && indexBits !== undefined) {
    throw new UserError(`${NAME}: --index-bits applies to --format ese only`);
  }
  if (format === "ese" && block !== undefined) {
    throw new UserError(`${NAME}: --block applies to --format bcr only`);
  }
  const lanes = flags.lanes === undefined ? 1 : Number(flags.lanes);
  await guardPaths({
    command: NAME,
    inputs: [
      ...await modelInputPaths(modelPath),
      ...(typeof flags.config === "string" ? [{ path: flags.config, flag: "--config" }] : []),
    ],
    outputs: [{ path: out, flag: "--out", kind: "dir" }],
  });
  const config = typeof flags.config === "string"
    ? await loadFixedConfig(flags.config)
    : DEFAULT_FIXED_CONFIG;

  const model = await loadAnyModel(modelPath);
  const quantized = quantizeModel(model, config);
  if (quantized.saturatedValues > 0) {
    console.error(
      `warning: ${quantized.saturatedValues} weight/bias values saturated in the chosen fixed-point format`,
    );
  }
  let result: ModelImage;
  try {
    result = encodeModel(quantized, {
      format,
      pes,
      indexBits,
      weightBits,
      codebookBits,
      block,
      lanes,
    });
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${NAME}: ${modelPath}: ${error.message}`);
    throw error;
  }
  await writeImageDir(out, result.image);
  if (flags.json) {
    console.log(JSON.stringify(
      {
        ...summarizeImage(result.image),
        block: result.block,
        weightSharing: result.sharing?.report ?? null,
        out,
      },
      null,
      2,
    ));
  } else {
    console.log(formatSummary(result, out, block));
  }
});
