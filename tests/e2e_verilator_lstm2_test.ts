/**
 * The Verilator LSTM cases of the end-to-end table (tests/e2e_cases.ts), every other one from the
 * second (the rest: e2e_verilator_lstm_test.ts, so that two test workers share the slow 32-PE
 * builds), simulated by the Verilator harness of the sim flow with random initial register
 * values: every output word bit-exact with and without random back-pressure and input gaps, and
 * the cycle model exactly equal to the simulated cycles.
 */

import { e2eTests, everyOther } from "./e2e.ts";
import { E2E_CASES } from "./e2e_cases.ts";

e2eTests(
  "verilator lstm 2",
  everyOther(E2E_CASES.filter((c) => c.simulator === "verilator" && c.kind === "lstm"), 1),
);
