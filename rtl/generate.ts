/**
 * Rendering and writing a design directory: `rtl/` (the hand-written cores copied from
 * rtl-templates/ and the rendered top), `mem/` (every memory image), `design.json` and
 * `quantized.json` (hw-interface contract, docs/architecture.md).
 *
 * @module
 */

import { join } from "node:path";
import nunjucks from "nunjucks";
import { toHexText } from "../encode/mod.ts";
import { writeDirAtomic, writeFileAtomic } from "../util/fs.ts";
import { serializeQuantizedModel } from "../model/quantized_io.ts";
import type { DesignParams, RtlParameters } from "./design.ts";
import { wideHexText } from "./hardware.ts";
import { renderCocotbTestbench } from "./testbench.ts";

/**
 * The hand-written Verilog cores, copied unchanged into every design, and the include file they
 * share (rnnfab_pkg.vh: listed last in design.json's rtlFiles, so that every flow hashes it;
 * compiling it alone defines its macros only).
 */
export const CORE_FILES = [
  "rnnfab_ctrl.v",
  "rnnfab_pe.v",
  "rnnfab_mv_ese.v",
  "rnnfab_mv_bcr.v",
  "rnnfab_ew_lstm.v",
  "rnnfab_ew_gru.v",
  "rnnfab_acc_mem.v",
  "rnnfab_act_lanes.v",
  "rnnfab_act.v",
  "rnnfab_delay.v",
  "rnnfab_pkg.vh",
] as const;

/** Version string written into generated files. */
export const GENERATOR_VERSION = "0.1.0";

const TEMPLATE_DIR = new URL("../rtl-templates/", import.meta.url);

/** Read a file of rtl-templates/. */
export function readTemplate(name: string): Promise<string> {
  return Deno.readTextFile(new URL(name, TEMPLATE_DIR));
}

/** What each top-level localparam means (rendered as comments). */
const PARAMETER_NOTES: Record<keyof RtlParameters, string> = {
  N: "number of PEs",
  LAYERS: "number of layers",
  IN0: "input size of layer 0",
  H: "cells per layer",
  P: "projection size (0: none)",
  O: "output size of a layer",
  K: "cells per PE, ceil(H / N)",
  KP: "projection rows per PE",
  KO: "output elements per PE",
  FORMAT: "weight format: 0 ese, 1 bcr",
  GRU: "cell: 0 LSTM, 1 GRU",
  PEEP: "LSTM peepholes",
  PROJ: "LSTM projection",
  AB: "activation width",
  AF: "activation fraction bits",
  WB: "weight width",
  WF: "weight fraction bits",
  ACC: "accumulator width",
  SIG_S: "sigmoid table step log2",
  SIG_R: "sigmoid table range log2",
  TANH_S: "tanh table step log2",
  TANH_R: "tanh table range log2",
  EW_LAT: "element-wise latency, issue to readable",
  LUT_RAM_DEPTH: "deepest state memory left to LUT RAM",
  IDX_BITS: "ese relative row index width",
  VAL_BITS: "ese value field width",
  CODEBOOK: "ese codebook present",
  PTR_W: "ese pointer width",
  QUEUE_DEPTH: "ese activation queue depth",
  IDX_W: "bcr index word width",
  HDR_ROW_BITS: "bcr header rowCount width",
  HDR_COL_BITS: "bcr header colCount width",
  MAX_ROWS: "bcr most kept rows of a block in one PE",
  BLOCK_COLS: "bcr segment width",
};

/** Parameters the top does not pass down (documented in design.json only). */
const UNRENDERED: (keyof RtlParameters)[] = ["P"];

/** One-line description of a design. */
export function describeDesign(design: DesignParams): string {
  const m = design.model;
  const a = design.accelerator;
  const shape = `${m.kind.toUpperCase()} ${m.inputSize}->${m.hiddenSize}` +
    (m.projSize > 0 ? ` proj ${m.projSize}` : "") + (m.peepholes ? " peepholes" : "") +
    ` x${m.numLayers}`;
  return `${shape}; ${a.pes} PEs, ${a.format}, Q${a.weightBits}.${a.weightFrac} weights, ` +
    `Q${a.activationBits}.${a.activationFrac} activations`;
}

/** Render `rnnfab_top.v` from its template. */
export function renderTop(design: DesignParams, template: string): string {
  const environment = new nunjucks.Environment(null, { autoescape: false });
  const localparams = (Object.keys(PARAMETER_NOTES) as (keyof RtlParameters)[])
    .filter((name) => !UNRENDERED.includes(name))
    .map((name) => [name, design.rtl[name], PARAMETER_NOTES[name]]);
  const pes = design.peParameters.map((pe) => ({
    ...pe,
    weightFile: `pe${pe.pe}_weights.hex`,
    pointerFile: `pe${pe.pe}_pointers.hex`,
    indexFile: `pe${pe.pe}_index.hex`,
  }));
  return environment.renderString(template, {
    version: GENERATOR_VERSION,
    description: describeDesign(design),
    p: design.rtl,
    localparams,
    pes,
  });
}

/** Every file of a design directory: relative path -> contents. */
export async function designFiles(design: DesignParams): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set("rtl/rnnfab_top.v", renderTop(design, await readTemplate("rnnfab_top.v.njk")));
  for (const core of CORE_FILES) files.set(`rtl/${core}`, await readTemplate(core));
  for (const memory of design.image.manifest.memories) {
    const words = memory.kind === "codebook"
      ? design.image.codebook ?? []
      : design.image.peMemories[memory.pe ?? 0][memory.kind as "weights" | "pointers" | "index"];
    files.set(`mem/${memory.file}`, toHexText(words, memory.width));
  }
  for (const memory of design.auxMemories) {
    files.set(`mem/${memory.file}`, wideHexText(memory.words, memory.width));
  }
  files.set("mem/manifest.json", JSON.stringify(design.image.manifest, null, 2) + "\n");
  files.set("design.json", JSON.stringify(designJson(design), null, 2) + "\n");
  files.set("quantized.json", JSON.stringify(serializeQuantizedModel(design.quantized)) + "\n");
  // The cocotb test bench (docs/cocotb.md): plain Python, meant to be edited by users.
  for (const [name, text] of renderCocotbTestbench(design)) files.set(`tb/${name}`, text);
  return files;
}

/** The JSON-ready summary of a design (design.json). */
export function designJson(design: DesignParams): Record<string, unknown> {
  return {
    top: design.top,
    generator: { name: "rnnfab", version: GENERATOR_VERSION },
    description: describeDesign(design),
    model: design.model,
    fixed: design.fixed,
    accelerator: design.accelerator,
    geometry: design.geometry,
    rtl: design.rtl,
    rtlFiles: ["rtl/rnnfab_top.v", ...CORE_FILES.map((core) => `rtl/${core}`)],
    memDir: "mem/",
    memories: design.memories,
    memoryBits: design.memoryBits,
    perPe: design.image.manifest.perPe,
    segments: design.segments,
    work: design.work,
    estimate: design.estimate,
    weightSharing: design.weightSharing,
  };
}

/** Write a design directory atomically (an earlier design there is replaced only on success). */
export async function writeDesign(dir: string, design: DesignParams): Promise<void> {
  const files = await designFiles(design);
  await writeDirAtomic(dir, async (temporary) => {
    for (const [path, contents] of files) await writeFileAtomic(join(temporary, path), contents);
  }, { replaceIfContains: "design.json" });
}
