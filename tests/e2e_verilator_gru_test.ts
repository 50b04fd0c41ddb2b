/**
 * The Verilator GRU cases of the end-to-end table (tests/e2e_cases.ts), simulated by the
 * Verilator harness of the sim flow with random initial register values: every output word
 * bit-exact with and without random back-pressure and input gaps, and the cycle model exactly
 * equal to the simulated cycles.
 */

import { e2eTests } from "./e2e.ts";
import { E2E_CASES } from "./e2e_cases.ts";

e2eTests(
  "verilator gru",
  E2E_CASES.filter((c) => c.simulator === "verilator" && c.kind === "gru"),
);
