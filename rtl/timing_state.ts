/**
 * The controller's registers in the cycle model of rtl/timing.ts (rnnfab_ctrl.v's registers of
 * the same names): the input buffer, the broadcaster, the write sequencer and tracker, the output
 * streamer and the main sequence, and their values at reset.
 *
 * @module
 */

/** Main states of rnnfab_ctrl.v (ST_X: XEARLY's walk of the next step's input part; 6 unused). */
export const ST_A = 0, ST_A_WAIT = 1, ST_EW = 2, ST_EW_WAIT = 3, ST_C_WAIT = 4, ST_D = 5;
export const ST_X = 7;
/** Main states of rnnfab_ctrl.v (the size of `TimingRun.stateCycles`). */
export const MAIN_STATES = 8;
/** Sources of a broadcast part (job_src0_q). */
export const SRC_INPUT = 0, SRC_H = 1, SRC_M = 2;

/** The input buffer of rnnfab_ctrl: two slots of IN0 words. */
export interface InputBuffer {
  full: [boolean, boolean];
  wslot: number;
  rslot: number;
  widx: number;
  /** Input words offered and taken so far (the harness offers every step at once). */
  sent: number;
}

/** The broadcaster: the phase's job (B0) and the bus stage B1 (beats of BCAST columns). */
export interface Broadcaster {
  active: boolean;
  part: number;
  /** job_rfirst_q: part 0 is the recurrent part (RFIRST: a delta design's layer l > 0). */
  rfirst: boolean;
  /** The recurrent part's first column position (the job's layer's input part, aligned). */
  rbase: number;
  src0: number;
  layer0: number;
  layer1: number;
  len0: number;
  len1: number;
  e: number;
  pe: number;
  k: number;
  b1Valid: boolean;
  b1SegLast: boolean;
  /** The bus's column position (b1_col_q) and part (b1_hpart_q). */
  b1Col: number;
  b1Hpart: boolean;
  bcCount: number;
  /** The OR of the PEs' registered stall requests, registered (bc_stall_q). */
  bcStall: boolean;
  /**
   * bc_stall_q registered once more (bc_stall_late_q, `rnnfab_ctrl` STALL_LATE: the designs
   * without delta activations, whose PEs raise their requests a cycle ahead); the issue reads it.
   */
  bcStallLate: boolean;
}

/** The write sequencer (EW cells or requantization rows) and the write tracker. */
export interface WriteSequencer {
  active: boolean;
  rq: boolean;
  count: number;
  total: number;
  /** Bit i: an issued round that lands after i + 1 cycles (EW_LAT may pass 32 bits). */
  pipe: bigint;
  trkOn: boolean;
  trkM: boolean;
  trkLayer: number;
  trkRounds: number;
}

/** The output streamer and the output register. */
export interface OutputStreamer {
  active: boolean;
  /** os_was_active_q: `active` a cycle before (the main sequence's ST_D waits on it). */
  wasActive: boolean;
  e: number;
  pe: number;
  k: number;
  outValid: boolean;
  outLast: boolean;
}

/** The main sequence and the phase registers the PEs see. */
export interface MainSequence {
  state: number;
  layer: number;
  phaseStart: boolean;
  phaseNseg: number;
  phaseNseg0: number;
  phaseCbase1: number;
  /** phase_proj_q: the phase is the projection. */
  phaseProj: boolean;
  /** drained_q: the previous cycle had every engine drained, no bus beat and no job started. */
  drained: boolean;
  /** drained_proj (PQUEUE, ST_C_WAIT): as `drained` for the projection columns alone. */
  drainedProj: boolean;
  /**
   * IDLE_PIPE: the drained test's parts in registers (idle_grp_q and job_idle_q of rnnfab_ctrl.v):
   * `drained` of the cycle before without its job-start term; `drained` is this and no job start.
   */
  drainedPre: boolean;
  /** IDLE_PIPE: the same for `drainedProj`. */
  drainedProjPre: boolean;
  /** x_early_q (XEARLY): layer 0's input part of the next step was broadcast early. */
  xEarly: boolean;
}

/** Every register of the controller model. */
export interface Controller {
  input: InputBuffer;
  job: Broadcaster;
  ws: WriteSequencer;
  os: OutputStreamer;
  main: MainSequence;
}

/** The controller at reset. */
export function resetController(): Controller {
  return {
    input: { full: [false, false], wslot: 0, rslot: 0, widx: 0, sent: 0 },
    job: {
      active: false,
      part: 0,
      rfirst: false,
      rbase: 0,
      src0: SRC_INPUT,
      layer0: 0,
      layer1: 0,
      len0: 0,
      len1: 0,
      e: 0,
      pe: 0,
      k: 0,
      b1Valid: false,
      b1SegLast: false,
      b1Col: 0,
      b1Hpart: false,
      bcCount: 0,
      bcStall: false,
      bcStallLate: false,
    },
    ws: {
      active: false,
      rq: false,
      count: 0,
      total: 0,
      pipe: 0n,
      trkOn: false,
      trkM: false,
      trkLayer: 0,
      trkRounds: 0,
    },
    os: { active: false, wasActive: false, e: 0, pe: 0, k: 0, outValid: false, outLast: false },
    main: {
      state: ST_A,
      layer: 0,
      phaseStart: false,
      phaseNseg: 0,
      phaseNseg0: 0,
      phaseCbase1: 0,
      phaseProj: false,
      drained: false,
      drainedProj: false,
      drainedPre: false,
      drainedProjPre: false,
      xEarly: false,
    },
  };
}
