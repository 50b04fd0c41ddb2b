/**
 * Resource estimates from real synthesis with Yosys: `synthesizeDesign` (the flow behind
 * `deno task synth`), the report types, and resource tables beside ESE's published figures.
 *
 * @module
 */

export {
  AUTO_PER_PE_MIN_PES,
  BLOCK_RAM_MIN_BITS,
  expectsBlockRam,
  findPeModule,
  LOGIC_MEMORY_MAX_BITS,
  LUT_RAM_MAX_DEPTH,
  mappingChecks,
  type MemoryReport,
  type MemoryRole as SynthMemoryRole,
  memoryRole,
  type ModuleReport,
  type MultiplierReport,
  type RunReport,
  type SynthesisReport,
  synthesizeDesign,
  type SynthesizeOptions,
} from "./flow.ts";
export {
  type CellCounts,
  estimateXilinxLogicCells,
  type Resources,
  resourcesOf,
  SYNTH_TARGETS,
  type SynthTarget,
} from "./cells.ts";
export {
  ESE_PUBLISHED_RESOURCES,
  formatMemoryMapping,
  formatResourceTable,
  type ResourceRow,
  type ResourceRowKind,
  type ResourceTable,
  resourceTable,
  type ResourceTableOptions,
} from "./table.ts";
export { checkYosys, TESTED_YOSYS, type YosysInfo } from "./yosys.ts";
export * from "./pnr/mod.ts";
