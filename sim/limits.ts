/**
 * Limits of a simulation run that commands check before any work.
 *
 * @module
 */

/**
 * Most random input steps of one simulation: the golden outputs and the result file hold every
 * step, so a longer sequence would exhaust memory instead of failing with a clear message.
 */
export const MAX_SIMULATION_STEPS = 100_000;
