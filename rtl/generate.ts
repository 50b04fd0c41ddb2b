/**
 * Rendering and writing a design directory: `rtl/` (the hand-written cores copied from
 * rtl-templates/ and the rendered top), `mem/` (every memory image), `design.json` and
 * `quantized.json` (hw-interface contract, docs/architecture.md).
 *
 * @module
 */

import { join } from "node:path";
import nunjucks from "nunjucks";
import { imageFiles } from "../encode/mod.ts";
import { writeDirAtomic, writeFileAtomic } from "../util/fs.ts";
import { MARKERS } from "../util/output.ts";
import { sealDesignJson } from "./integrity.ts";
import { serializeQuantizedModel } from "../model/quantized_io.ts";
import type { DesignParams } from "./design.ts";
import { ewUnitRomFiles } from "./hardware.ts";
import {
  type DesignJson,
  PE_MODULE,
  type RtlParameters,
  rtlParametersSchema,
} from "./design_schema.ts";
import { wideHexText } from "./hardware.ts";
import { renderCocotbTestbench } from "./testbench.ts";

/**
 * The hand-written Verilog cores, copied unchanged into every design, and the include file they
 * share (rnnfab_pkg.vh: listed last in design.json's rtlFiles, so that every flow hashes it;
 * compiling it alone defines its macros only).
 */
export const CORE_FILES = [
  "rnnfab_ctrl.v",
  "rnnfab_in_buf.v",
  "rnnfab_pe.v",
  "rnnfab_mv_ese.v",
  "rnnfab_mv_bcr.v",
  "rnnfab_ew_lstm.v",
  "rnnfab_ew_gru.v",
  "rnnfab_ew_unit.v",
  "rnnfab_acc_mem.v",
  "rnnfab_acc_banks.v",
  "rnnfab_acc_serial.v",
  "rnnfab_acc_proj.v",
  "rnnfab_mac_dsp.v",
  "rnnfab_act_lanes.v",
  "rnnfab_act.v",
  "rnnfab_mul.v",
  "rnnfab_delay.v",
  "rnnfab_ew_stages.v",
  "rnnfab_pkg.vh",
] as const;

/** The cores a delta design adds (docs/delta.md, "Hardware"), listed before rnnfab_pkg.vh. */
export const DELTA_FILES = ["rnnfab_delta_bc.v", "rnnfab_delta_lanes.v"] as const;

/** The cores of a design: CORE_FILES, with the delta cores before the include file when asked. */
export function coreFilesOf(design: Pick<DesignParams, "rtl">): string[] {
  if (!design.rtl.DELTA) return [...CORE_FILES];
  return [...CORE_FILES.slice(0, -1), ...DELTA_FILES, CORE_FILES[CORE_FILES.length - 1]];
}

/** A Verilog concatenation of one `width`-bit word per layer, layer 0 in the low bits. */
function perLayerVector(values: number[], width: number): string {
  return `{${values.map((v) => `${width}'d${v}`).reverse().join(", ")}}`;
}

/** The delta block's parameters as the top template writes them (undefined: a dense design). */
function deltaTemplateValues(design: DesignParams) {
  const delta = design.delta;
  if (!delta) return undefined;
  const { AB, DPTR_W } = design.rtl;
  return {
    thetaX: perLayerVector(delta.thetaX, AB),
    thetaH: perLayerVector(delta.thetaH, AB),
    baseX: perLayerVector(delta.pointerBase.x, DPTR_W),
    baseH: perLayerVector(delta.pointerBase.h, DPTR_W),
    baseP: perLayerVector(delta.pointerBase.proj, DPTR_W),
    pdelta: delta.thetaM ? 1 : 0,
    thetaM: perLayerVector(delta.thetaM ?? delta.thetaX.map(() => 0), AB),
  };
}

/** Version string written into generated files. */
export const GENERATOR_VERSION = "0.1.0";

const TEMPLATE_DIR = new URL("../rtl-templates/", import.meta.url);

/** Read a file of rtl-templates/. */
export function readTemplate(name: string): Promise<string> {
  return Deno.readTextFile(new URL(name, TEMPLATE_DIR));
}

/** Parameters the top does not pass down (documented in design.json only). */
const UNRENDERED: (keyof RtlParameters)[] = ["P"];

/** One-line description of a design. */
export function describeDesign(design: DesignParams): string {
  const m = design.model;
  const a = design.accelerator;
  const shape = `${m.kind.toUpperCase()} ${m.inputSize}->${m.hiddenSize}` +
    (m.projSize > 0 ? ` proj ${m.projSize}` : "") + (m.peepholes ? " peepholes" : "") +
    ` x${m.numLayers}`;
  const lanes = (a.lanes > 1 ? ` x ${a.lanes} MAC lanes` : "") +
    (a.broadcast > 1 ? `, ${a.broadcast} columns per broadcast` : "") +
    (a.batch > 1 ? `, batch ${a.batch}` : "") +
    ((a.ewGroup ?? 1) > 1 ? `, an element-wise unit per ${a.ewGroup} PEs` : "") +
    (a.busStage === true ? ", bus stage" : "");
  return `${shape}; ${a.pes} PEs${lanes}, ${a.format}, Q${a.weightBits}.${a.weightFrac} weights, ` +
    `Q${a.activationBits}.${a.activationFrac} activations`;
}

/** Render `rnnfab_top.v` from its template. */
export function renderTop(design: DesignParams, template: string): string {
  const environment = new nunjucks.Environment(null, { autoescape: false });
  const shape = rtlParametersSchema.shape;
  const localparams = (Object.keys(shape) as (keyof RtlParameters)[])
    .filter((name) => !UNRENDERED.includes(name))
    .map((name) => [name, design.rtl[name], shape[name].description]);
  const group = design.rtl.EW_GROUP;
  const pes = design.peParameters.map((pe) => {
    // the element-wise unit's ROMs (read only by the unit's PE, the first of its group)
    const roms = ewUnitRomFiles(pe.pe - pe.pe % group, group);
    return {
      ...pe,
      weightFile: `pe${pe.pe}_weights.hex`,
      pointerFile: `pe${pe.pe}_pointers.hex`,
      indexFile: `pe${pe.pe}_index.hex`,
      biasFile: roms.bias,
      peepholeFile: roms.peephole,
    };
  });
  return environment.renderString(template, {
    version: GENERATOR_VERSION,
    description: describeDesign(design),
    p: design.rtl,
    localparams,
    pes,
    delta: deltaTemplateValues(design),
  });
}

/** Every file of a design directory: relative path -> contents. */
export async function designFiles(design: DesignParams): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set("rtl/rnnfab_top.v", renderTop(design, await readTemplate("rnnfab_top.v.njk")));
  for (const core of coreFilesOf(design)) files.set(`rtl/${core}`, await readTemplate(core));
  for (const [name, text] of imageFiles(design.image)) files.set(`mem/${name}`, text);
  for (const memory of design.auxMemories) {
    files.set(`mem/${memory.file}`, wideHexText(memory.words, memory.width));
  }
  const json = designJson(design);
  files.set("quantized.json", JSON.stringify(serializeQuantizedModel(design.quantized)) + "\n");
  // The cocotb test bench (docs/cocotb.md): plain Python, meant to be edited by users.
  for (const [name, text] of renderCocotbTestbench(json)) files.set(`tb/${name}`, text);
  // Last: design.json holds the content hash of every file above (rtl/integrity.ts).
  files.set("design.json", sealDesignJson(json, files));
  return files;
}

/** The JSON-ready summary of a design (design.json). */
export function designJson(design: DesignParams): DesignJson {
  return {
    top: design.top,
    peModule: PE_MODULE,
    generator: { name: "rnnfab", version: GENERATOR_VERSION },
    description: describeDesign(design),
    model: design.model,
    fixed: design.fixed,
    accelerator: design.accelerator,
    geometry: design.geometry,
    rtl: design.rtl,
    rtlFiles: ["rtl/rnnfab_top.v", ...coreFilesOf(design).map((core) => `rtl/${core}`)],
    memDir: "mem/",
    memories: design.memories,
    memoryBits: design.memoryBits,
    perPe: design.image.manifest.perPe,
    segments: design.segments,
    work: design.work,
    estimate: design.estimate,
    weightSharing: design.weightSharing,
    ...(design.delta ? { delta: design.delta } : {}),
    ...(design.cellBalance ? { cellBalance: design.cellBalance } : {}),
  };
}

/** Write a design directory atomically (an earlier design there is replaced only on success). */
export async function writeDesign(dir: string, design: DesignParams): Promise<void> {
  const files = await designFiles(design);
  await writeDirAtomic(dir, async (temporary) => {
    for (const [path, contents] of files) await writeFileAtomic(join(temporary, path), contents);
  }, { marker: MARKERS.gen });
}
