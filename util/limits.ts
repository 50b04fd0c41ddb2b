/**
 * The stated limits of rnnfab: every file a command reads is checked against its limit (and to be
 * a regular file) before a byte is read, and sequence lengths are bounded before any work, so no
 * input can make a command read or compute forever. docs/reliability.md lists them.
 *
 * @module
 */

const MIB = 1024 * 1024;

/** A model file in rnnfab JSON (weights inline or a path). */
export const MAX_MODEL_JSON_BYTES = 256 * MIB;
/** A `.safetensors` weights file. */
export const MAX_SAFETENSORS_BYTES = 1024 * MIB;
/** A `.safetensors` header (the JSON part). */
export const MAX_SAFETENSORS_HEADER_BYTES = 16 * MIB;
/** An ONNX model file, and each of its external data files. */
export const MAX_ONNX_BYTES = 1024 * MIB;
/** An input sequence file. */
export const MAX_INPUT_BYTES = 256 * MIB;
/** A config file (fixed-point formats, accelerator options) or a devices file. */
export const MAX_CONFIG_BYTES = 1 * MIB;
/** A design's `design.json`. */
export const MAX_DESIGN_JSON_BYTES = 64 * MIB;
/** A design's `quantized.json`. */
export const MAX_QUANTIZED_BYTES = 512 * MIB;
/** Any other JSON file rnnfab reads (reports, results, manifests). */
export const MAX_JSON_BYTES = 256 * MIB;
/** A memory image (`.hex`) or a Verilog file of a design. */
export const MAX_DESIGN_FILE_BYTES = 256 * MIB;

/** Time steps of one simulated (or benchmarked) sequence. */
export const MAX_STEPS = 100_000;
/** Output words of one simulated sequence (steps x output size), all held and compared. */
export const MAX_SIM_OUTPUT_WORDS = 4_000_000;

/** A byte count for messages: "256 MiB", "1.5 KiB", "17 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${+(bytes / MIB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
