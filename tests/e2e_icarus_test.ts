/**
 * The Icarus cases of the end-to-end table (tests/e2e_cases.ts): generated LSTM and GRU designs
 * (projection, peepholes, 1 and 2 layers, odd sizes, 1 to 8 PEs, both weight formats, other
 * number formats, block-RAM state memories, random shapes) simulated by the Icarus harness of the
 * sim flow: every output word bit-exact, the cycle model exactly equal to the simulated cycles;
 * some with back-pressure, and two against Verilator (same outputs and cycles).
 */

import { e2eTests } from "./e2e.ts";
import { E2E_CASES } from "./e2e_cases.ts";

e2eTests("icarus", E2E_CASES.filter((c) => c.simulator === "icarus"));
