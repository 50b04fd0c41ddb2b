/**
 * `clockForDesign(dir)`: the clock to quote a design's times at. The Fmax of the design's last
 * place and route (DIR/pnr/timing.json) when it was made from the RTL and memory images the
 * folder holds now; otherwise the configured clock of design.json, labelled "assumed, not
 * timing-closed".
 *
 * @module
 */

import { join } from "node:path";
import { assumedClock, type DesignClock } from "../../rtl/clock.ts";
import { designDigest, readPnrDesign } from "./design.ts";
import { readTimingReport, type TimingReport } from "./schema.ts";
import { pathExists } from "../../util/fs.ts";

/** Path of a design's latest place-and-route result. */
export function timingReportPath(designDir: string): string {
  return join(designDir, "pnr", "timing.json");
}

/** The clock of a timing report: its Fmax, labelled with its provenance. */
export function clockOfReport(report: TimingReport): DesignClock {
  return { mhz: report.fmaxMhz, provenance: report.provenance, placedAndRouted: true };
}

/**
 * The clock for a design folder's times: the achieved Fmax of DIR/pnr/timing.json when it
 * exists, is valid and matches the current RTL; else design.json's configured clock (or
 * `assumedMhz`) as "assumed, not timing-closed", with a note saying why a result was not used.
 */
export async function clockForDesign(dir: string, assumedMhz?: number): Promise<DesignClock> {
  const design = await readPnrDesign(dir);
  const assumed = assumedMhz ?? design.clockMhz;
  const path = timingReportPath(dir);
  if (!(await pathExists(path))) return assumedClock(assumed);
  let report: TimingReport;
  try {
    report = await readTimingReport(path);
  } catch (error) {
    return assumedClock(assumed, `${path} not used: ${(error as Error).message}`);
  }
  if (report.design.digest !== await designDigest(design.dir, design.rtlFiles)) {
    return assumedClock(assumed, `${path} is for other RTL or memory images (stale)`);
  }
  return clockOfReport(report);
}
