/**
 * Place and route with open tools (`deno task pnr`, docs/timing.md): the flow, its report
 * (timing.json), the supported parts, and the clock every printed time of a design uses.
 *
 * @module
 */

export { DEFAULT_PNR_MHZ, placeAndRoute, type PlaceAndRouteOptions } from "./flow.ts";
export { clockForDesign, clockOfReport, timingReportPath } from "./clock.ts";
export {
  parseTimingReport,
  readTimingReport,
  TIMING_FORMAT,
  type TimingReport,
  timingReportSchema,
} from "./schema.ts";
export { formatHop, formatTimingReport, pnrProvenance } from "./result.ts";
export { partLabel, PNR_TARGET_IDS, PNR_TARGETS, type PnrTarget, pnrTarget } from "./targets.ts";
export { type CriticalPath, parseNextpnrReport, type PathHop } from "./nextpnr_report.ts";
