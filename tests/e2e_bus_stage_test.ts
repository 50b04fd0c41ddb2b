/**
 * End-to-end cases of designs with the bus stage (`gen --bus-stage on`, docs/architecture.md,
 * "Bus stage"): every PE registers the broadcast bus and its bank read data once more, so a
 * column reaches the engines a cycle later and each queue has one entry more. Cases of the
 * end-to-end table built with it, every word bit-exact against the golden model and the cycle
 * model exactly equal to the simulated cycles (tests/e2e.ts): the timing bench's LSTMP shape with
 * shared element-wise units, a queue of two entries (the stall at its tightest), a GRU, a batch.
 *
 * @module
 */

import { e2eTests } from "./e2e.ts";
import type { E2eCase } from "./e2e.ts";
import { e2eCase } from "./e2e_cases.ts";

/** A case of the end-to-end table with the bus stage, and `changes` on top. */
function busStageOf(base: string, changes: Partial<E2eCase> = {}): E2eCase {
  const source = e2eCase(base);
  const simulator = changes.simulator ?? source.simulator ?? "verilator";
  const settings = { ...source.settings, ...changes.settings, busStage: true };
  const extra = (settings.ewGroup ?? 1) > 1 ? `-ewg${settings.ewGroup}` : "";
  const batch = (settings.batch ?? 1) > 1 ? `-batch${settings.batch}` : "";
  return {
    ...source,
    ...changes,
    name: `${base}-bus${extra}${batch}${simulator === source.simulator ? "" : `-${simulator}`}`,
    settings,
    simulator,
  };
}

/** Bus-stage cases: LSTMP with groups (the 16-PE bench design's shape), stalls, GRU, a batch. */
export const BUS_STAGE_CASES: E2eCase[] = [
  // Verilator: LSTMP, two layers, 8 PEs with an element-wise unit per 4 (as lstmp-16pe-ewg4-bus)
  busStageOf("lstmp-2layer-mag5-pe8-ese", { settings: { ewGroup: 4 }, backpressure: 0.4 }),
  // Verilator: LSTM with peepholes and queues of 2 entries (built 6 with the stage): stalls
  busStageOf("lstm-peep-rand40-pe3-ese-q2", { backpressure: 0.3 }),
  // Icarus: GRU, two layers (h(t-1) through the broadcaster's port of the h bank)
  busStageOf("gru-2layer-rand30-pe3-ese", { simulator: "icarus", steps: 3 }),
  // Icarus: LSTMP with peepholes and a codebook, batch 2 (the copies' read data registered too)
  busStageOf("lstmp-peep-2layer-rand30-pe4-ese-codebook", {
    simulator: "icarus",
    settings: { batch: 2 },
    steps: 3,
  }),
];

e2eTests("bus stage", BUS_STAGE_CASES);
