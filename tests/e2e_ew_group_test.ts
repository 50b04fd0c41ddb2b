/**
 * End-to-end cases of designs whose PEs share element-wise units in groups (`gen --ew-group G`,
 * docs/architecture.md, "Shared element-wise units"): cases of the end-to-end table built with
 * one unit per G neighbouring PEs, every word bit-exact against the golden model and the cycle
 * model exactly equal to the simulated cycles (tests/e2e.ts), with a batch on top in two of them
 * (a unit's slots are the group's PEs times the batch copies).
 *
 * @module
 */

import { e2eTests } from "./e2e.ts";
import type { E2eCase } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";

/** A case of the end-to-end table with groups of G PEs, and `changes` on top. */
function groupOf(base: string, group: number, changes: Partial<E2eCase> = {}): E2eCase {
  const source = e2eCase(base);
  const simulator = changes.simulator ?? source.simulator ?? "verilator";
  const batch = changes.settings?.batch;
  return {
    ...source,
    ...changes,
    name: `${base}-ewg${group}${batch ? `-batch${batch}` : ""}${
      simulator === source.simulator ? "" : `-${simulator}`
    }`,
    settings: { ...source.settings, ...changes.settings, ewGroup: group },
    simulator,
  };
}

/** Group cases: LSTMP (ese, the timing bench's shape), peepholes, lanes, GRU, a batch. */
export const EW_GROUP_CASES: E2eCase[] = [
  // Verilator: LSTMP, two layers, 8 PEs in groups of 4 (as the 16-PE LSTMP of bench:timing)
  groupOf("lstmp-2layer-mag5-pe8-ese", 4, { backpressure: 0.4 }),
  // Verilator: a miniature ESE (projection, peepholes) on 8 PEs x 4 lanes, bcr, groups of 2
  groupOf("lstmp-peep-bcr11-pe8-bcr-lanes4", 2, { backpressure: 0.3 }),
  // Verilator: GRU, two layers, 2 lanes, beats of 4 columns: all 4 PEs share one unit
  groupOf("gru-2layer-blocks50-pe4-bcr-lanes2-bcast4", 4, { backpressure: 0.3 }),
  // Icarus, ese: LSTMP with peepholes, a codebook, groups of 2 with batch 2 (four slots a unit)
  // and with batch 4 (eight slots; accumulator banks read a gate field a cycle)
  groupOf("lstmp-peep-2layer-rand30-pe4-ese-codebook", 2, {
    simulator: "icarus",
    settings: { batch: 2 },
    steps: 3,
  }),
  groupOf("lstmp-peep-2layer-rand30-pe4-ese-codebook", 2, {
    simulator: "icarus",
    settings: { batch: 4 },
    steps: 2,
  }),
];

e2eTests("ew group", EW_GROUP_CASES);
