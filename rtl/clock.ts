/**
 * The clock a design's times are quoted at, and where it comes from. Every printed time of a
 * design (gen's estimate, sim's microseconds per step, bench's FPGA row) uses one: the Fmax that
 * place and route reached (`clockForDesign` of synth/pnr/clock.ts reads DIR/pnr/timing.json), or
 * else the configured clock, labelled as assumed.
 *
 * @module
 */

/** Label of a clock that no place and route has reached. */
export const ASSUMED_CLOCK = "assumed, not timing-closed";

/** A clock and its provenance. */
export interface DesignClock {
  /** Clock frequency, MHz. */
  mhz: number;
  /** "placed and routed (nextpnr, ECP5-85F, -8)" or "assumed, not timing-closed". */
  provenance: string;
  /** True when `mhz` is an Fmax that place and route reached for this design's RTL. */
  placedAndRouted: boolean;
  /** Why an existing place-and-route result was not used, if one was found. */
  note?: string;
}

/** The configured clock of a design, labelled as assumed. */
export function assumedClock(mhz: number, note?: string): DesignClock {
  return { mhz, provenance: ASSUMED_CLOCK, placedAndRouted: false, ...(note ? { note } : {}) };
}

/** "58.4 MHz, placed and routed (nextpnr, ECP5-25F, -8)" / "200 MHz, assumed, not timing-closed". */
export function formatClock(clock: Pick<DesignClock, "mhz" | "provenance">): string {
  const mhz = Number.isInteger(clock.mhz) ? String(clock.mhz) : clock.mhz.toFixed(1);
  return `${mhz} MHz, ${clock.provenance}`;
}
