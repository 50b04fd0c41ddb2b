/**
 * Resource estimates from real synthesis with Yosys: `synthesizeDesign` (the flow behind
 * `deno task synth`), the report types, and resource tables beside ESE's published figures.
 *
 * @module
 */

export { AUTO_PER_PE_MIN_PES, synthesizeDesign, type SynthesizeOptions } from "./flow.ts";
export {
  BLOCK_RAM_MIN_BITS,
  designMemoryRoles,
  expectsBlockRam,
  LOGIC_MEMORY_MAX_BITS,
  LUT_RAM_MAX_DEPTH,
  mappingChecks,
  memoryRole,
} from "./checks.ts";
export { findPeModule } from "./collect.ts";
export {
  type MemoryReport,
  type ModuleReport,
  type MultiplierReport,
  readSynthesisReport,
  type RunReport,
  type SynthesisReport,
  synthesisReportSchema,
  type SynthMemoryRole,
} from "./report.ts";
export {
  type CellCounts,
  estimateXilinxLogicCells,
  type Resources,
  resourcesOf,
  resourcesSchema,
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
