/**
 * The analytical cycle estimate: a cycle-level model of the generated RTL's control, in
 * TypeScript. It carries only what decides timing (no arithmetic): the controller (input buffer,
 * broadcaster, write sequencer and tracker, output streamer, main sequence) and each PE's
 * matrix-vector engine, driven by the PE's real pointer or index memory words. Each model
 * register mirrors the register of the same name in rtl-templates/, and each cycle is computed
 * the way the RTL does: combinational values from the registers, then the next registers. With
 * inputs always offered and no output back-pressure (the harness's defaults) it reproduces the
 * simulated cycle counts exactly; see docs/architecture.md ("Cycle estimate").
 *
 * @module
 */

import { type EncodedImage, esePaddingFlags } from "../encode/mod.ts";
import type { CycleEstimate, RtlParameters, StepBreakdown } from "./design_schema.ts";
import { BcrEngine, EseEngine, type PhaseInfo } from "./timing_engines.ts";
import {
  type Broadcaster,
  type Controller,
  type InputBuffer,
  MAIN_STATES,
  type MainSequence,
  type OutputStreamer,
  resetController,
  SRC_H,
  SRC_INPUT,
  SRC_M,
  ST_A,
  ST_A_WAIT,
  ST_C_WAIT,
  ST_D,
  ST_EW,
  ST_EW_WAIT,
  ST_X,
  type WriteSequencer,
} from "./timing_state.ts";

export { type Controller, MAIN_STATES } from "./timing_state.ts";

/** Cycle-level model options. */
export interface TimingOptions {
  /** RTL parameters of the design. */
  rtl: RtlParameters;
  /** The encoded weight image (pointer or index memories drive the PE engines). */
  image: EncodedImage;
}

/** Result of running the model for some steps. */
export interface TimingRun {
  /** Cycle (1 = first edge after reset) of the last output beat of each step. */
  stepEndCycles: number[];
  /** Cycles spent in each main state over the whole run. */
  stateCycles: number[];
  /** Cycles spent in each main state during the last step. */
  lastStepStateCycles: number[];
}

/** The combinational signals of one cycle, from the registers and the PEs' outputs. */
interface Signals {
  inFire: boolean;
  wsIdle: boolean;
  curSrc: number;
  curLast: boolean;
  b1Advance: boolean;
  b0Issue: boolean;
  jobDone: boolean;
  allIdle: boolean;
  /** No projection column in the PEs (PQUEUE; else allIdle). */
  projIdle: boolean;
  osLoad: boolean;
  osLast: boolean;
  lastLayer: boolean;
  nextLayer: number;
}

/** The output is always ready in the model (the harness's default). */
const OUT_READY = true;

/** The controller's combinational logic of one cycle. */
function controllerSignals(
  c: Controller,
  pe: { allIdle: boolean; projIdle?: boolean },
  rtl: RtlParameters,
  totalInputs: number,
): Signals {
  const { input, job, ws, os, main } = c;
  const inFire = input.sent < totalInputs && !input.full[input.wslot];
  const roundReady = (isM: boolean, lay: number, round: number) =>
    ws.trkOn && isM === ws.trkM && (isM || lay === ws.trkLayer) ? round < ws.trkRounds : true;
  const curSrc = job.part ? SRC_H : job.src0;
  const curLayer = job.part ? job.layer1 : job.layer0;
  const curLen = job.part ? job.len1 : job.len0;
  const beat = rtl.BCAST;
  const inputReady = input.full[input.rslot] ||
    (input.wslot === input.rslot && input.widx > job.e + beat - 1);
  const sourceReady = curSrc === SRC_INPUT
    ? inputReady
    : roundReady(curSrc === SRC_M, curLayer, job.k);
  const b1Advance = job.b1Valid; // the bus never waits
  const lastLayer = main.layer === rtl.LAYERS - 1;
  return {
    inFire,
    wsIdle: !ws.active && ws.pipe === 0n,
    curSrc,
    curLast: job.e + beat >= curLen,
    b1Advance,
    b0Issue: job.active && sourceReady && !(rtl.DELTA === 1 ? job.bcStall : job.bcStallLate),
    jobDone: !job.active && !job.b1Valid,
    allIdle: pe.allIdle,
    projIdle: pe.projIdle ?? pe.allIdle,
    osLoad: os.active && roundReady(false, rtl.LAYERS - 1, os.k) && (!os.outValid || OUT_READY),
    osLast: os.e + (rtl.OUT_WORDS ?? 1) >= rtl.O,
    lastLayer,
    nextLayer: lastLayer ? 0 : main.layer + 1,
  };
}

/** What the main sequence decides in one cycle: its next registers and what it starts. */
interface SequenceStep {
  main: MainSequence;
  jobStart: boolean;
  jobStartProj: boolean;
  /** XEARLY: layer 0's input part alone (the next step's). */
  jobStartXonly: boolean;
  /** XEARLY: layer 0's recurrent part alone (its input part went early). */
  jobStartHonly: boolean;
  wsStart: boolean;
  wsStartRq: boolean;
  osStart: boolean;
}

/** The projection job's start (ST_EW, or ST_X after an early input part). */
function startProjection(step: SequenceStep, rtl: RtlParameters): void {
  const segs = Math.ceil(rtl.H / rtl.BLOCK_COLS);
  step.jobStart = true;
  step.jobStartProj = true;
  Object.assign(step.main, {
    phaseStart: true,
    phaseProj: true,
    phaseNseg0: segs,
    phaseNseg: segs,
    phaseCbase1: 0,
    state: ST_C_WAIT,
  });
}

/** The main sequence (states A, A_WAIT, EW, EW_WAIT, C_WAIT, D, X of rnnfab_ctrl.v). */
function mainSequenceNext(c: Controller, s: Signals, rtl: RtlParameters): SequenceStep {
  const segs = (cols: number) => Math.ceil(cols / rtl.BLOCK_COLS);
  const align = (cols: number) => Math.ceil(cols / rtl.BCAST) * rtl.BCAST;
  const proj = rtl.PROJ !== 0;
  const main: MainSequence = { ...c.main, phaseStart: false };
  const step: SequenceStep = {
    main,
    jobStart: false,
    jobStartProj: false,
    jobStartXonly: false,
    jobStartHonly: false,
    wsStart: false,
    wsStartRq: false,
    osStart: false,
  };
  const layer0 = c.main.layer === 0;
  switch (c.main.state) {
    case ST_A: {
      step.jobStart = true;
      step.jobStartHonly = rtl.XEARLY === 1 && layer0 && c.main.xEarly;
      if (layer0) main.xEarly = false;
      main.phaseStart = true;
      main.phaseProj = false;
      const inSegs = c.main.layer === 0 ? segs(rtl.IN0) : segs(rtl.O);
      main.phaseNseg0 = inSegs;
      main.phaseNseg = inSegs + segs(rtl.O);
      main.phaseCbase1 = align(c.main.layer === 0 ? rtl.IN0 : rtl.O);
      main.state = ST_A_WAIT;
      break;
    }
    case ST_A_WAIT:
      if (c.main.drained) main.state = ST_EW;
      break;
    case ST_EW:
      if (s.wsIdle && (proj || !s.lastLayer || !c.os.active)) {
        step.wsStart = true;
        if (rtl.XEARLY === 1 && layer0 && c.input.full[c.input.rslot]) {
          step.jobStart = true;
          step.jobStartXonly = true;
          main.xEarly = true;
          main.state = ST_X;
        } else if (proj) {
          startProjection(step, rtl);
        } else {
          step.osStart = s.lastLayer;
          main.state = ST_EW_WAIT;
        }
      }
      break;
    case ST_EW_WAIT:
      if (!c.ws.active) {
        main.layer = s.nextLayer;
        main.state = ST_A;
      }
      break;
    case ST_X:
      if (s.jobDone) startProjection(step, rtl);
      break;
    case ST_C_WAIT:
      if (c.main.drainedProj && s.wsIdle) main.state = ST_D;
      break;
    default: // ST_D: waits on os_was_active_q, the streamer's activity a cycle before
      if (!s.lastLayer || !c.os.wasActive) {
        step.wsStart = true;
        step.wsStartRq = true;
        step.osStart = s.lastLayer;
        main.layer = s.nextLayer;
        main.state = ST_A;
      }
  }
  const drained = s.jobDone && s.allIdle && !step.jobStart;
  const drainedProj = s.jobDone && s.projIdle && !step.jobStart;
  if (rtl.IDLE_PIPE === 1) {
    // the test's parts registered first: the same test a cycle later, not after a job start
    main.drained = c.main.drainedPre && !step.jobStart;
    main.drainedProj = c.main.drainedProjPre && !step.jobStart;
    main.drainedPre = drained;
    main.drainedProjPre = drainedProj;
  } else {
    main.drained = drained;
    main.drainedProj = drainedProj;
  }
  return step;
}

/** The broadcaster's next registers, and whether it releases the input slot it read. */
function broadcasterNext(
  c: Controller,
  s: Signals,
  step: SequenceStep,
  rtl: RtlParameters,
  bcStall: boolean,
): { job: Broadcaster; inRelease: boolean } {
  const job = c.job;
  const next: Broadcaster = {
    ...job,
    bcStall,
    bcStallLate: job.bcStall,
    b1Valid: s.b1Advance ? false : job.b1Valid,
    bcCount: job.bcCount + (s.b1Advance ? rtl.BCAST : 0),
  };
  let inRelease = false;
  if (s.b0Issue) {
    next.b1Valid = true;
    next.b1SegLast = s.curLast;
    const recurrent = job.rfirst ? job.part === 0 : job.part === 1;
    next.b1Col = (recurrent ? job.rbase : 0) + job.e;
    next.b1Hpart = recurrent;
    if (s.curLast) {
      if (s.curSrc === SRC_INPUT) inRelease = true;
      next.e = 0;
      next.pe = 0;
      next.k = 0;
      if (!job.part && job.len1 !== 0) next.part = 1;
      else next.active = false;
    } else {
      next.e = job.e + rtl.BCAST;
      if (job.pe === rtl.N - rtl.BCAST) {
        next.pe = 0;
        next.k = job.k + 1;
      } else {
        next.pe = job.pe + rtl.BCAST;
      }
    }
  }
  if (step.jobStart) {
    const layer = c.main.layer;
    const rbase = Math.ceil((layer === 0 ? rtl.IN0 : rtl.O) / rtl.BCAST) * rtl.BCAST;
    Object.assign(next, {
      active: true,
      part: 0,
      e: 0,
      pe: 0,
      k: 0,
      bcCount: 0,
      rfirst: false,
      rbase,
    });
    if (step.jobStartProj) {
      Object.assign(next, { src0: SRC_M, len0: rtl.H, len1: 0 });
    } else if (step.jobStartXonly) {
      Object.assign(next, { src0: SRC_INPUT, len0: rtl.IN0, len1: 0 });
    } else if (step.jobStartHonly) {
      Object.assign(next, { src0: SRC_H, rfirst: true, layer0: 0, len0: rtl.O, len1: 0 });
    } else {
      next.src0 = layer === 0 ? SRC_INPUT : SRC_H;
      next.rfirst = rtl.DELTA === 1 && layer > 0;
      next.layer0 = next.rfirst ? layer : layer - 1;
      next.layer1 = next.rfirst ? layer - 1 : layer;
      next.len0 = layer === 0 ? rtl.IN0 : rtl.O;
      next.len1 = rtl.O;
    }
  }
  return { job: next, inRelease };
}

/**
 * The input buffer's next registers: a beat of IN_WORDS elements taken (a step's last beat may
 * hold fewer), then a slot released.
 */
function inputBufferNext(
  input: InputBuffer,
  inFire: boolean,
  inRelease: boolean,
  rtl: RtlParameters,
): InputBuffer {
  const next: InputBuffer = { ...input, full: [input.full[0], input.full[1]] };
  const words = rtl.IN_WORDS ?? 1;
  if (inFire) {
    next.sent += Math.min(words, rtl.IN0 - next.widx);
    if (next.widx + words >= rtl.IN0) {
      next.full[next.wslot] = true;
      next.wslot = 1 - next.wslot;
      next.widx = 0;
    } else {
      next.widx += words;
    }
  }
  if (inRelease) {
    next.full[next.rslot] = false;
    next.rslot = 1 - next.rslot;
  }
  return next;
}

/** The write sequencer's and tracker's next registers. */
function writeSequencerNext(
  c: Controller,
  step: SequenceStep,
  rtl: RtlParameters,
): WriteSequencer {
  const ws = c.ws;
  const next: WriteSequencer = {
    ...ws,
    pipe: ws.pipe >> 1n,
    trkRounds: ws.trkRounds + Number(ws.pipe & 1n),
  };
  // a batch's copies (and a group's PEs) share one element-wise unit: each cell is issued once
  // per slot (count = cell x B x G + sequence x G + place) and its round lands with the last's
  const seqs = (rtl.BATCH ?? 1) * (rtl.EW_GROUP ?? 1);
  if (ws.active) {
    if (ws.rq) next.pipe |= 1n;
    else if (ws.count % seqs === seqs - 1) next.pipe |= 1n << BigInt(rtl.EW_LAT - 1);
    next.count = ws.count + 1;
    if (ws.count + 1 === ws.total) next.active = false;
  }
  if (step.wsStart) {
    next.active = true;
    next.rq = step.wsStartRq;
    next.count = 0;
    next.total = step.wsStartRq ? rtl.KP : rtl.K * seqs;
    next.trkOn = true;
    next.trkM = rtl.PROJ !== 0 && !step.wsStartRq;
    next.trkLayer = c.main.layer;
    next.trkRounds = 0;
  }
  return next;
}

/** The output streamer's and output register's next values (OUT_WORDS elements per beat). */
function outputStreamerNext(
  os: OutputStreamer,
  s: Signals,
  osStart: boolean,
  rtl: RtlParameters,
): OutputStreamer {
  const words = rtl.OUT_WORDS ?? 1;
  const next: OutputStreamer = {
    ...os,
    wasActive: os.active,
    outValid: os.outValid && OUT_READY ? false : os.outValid,
  };
  if (s.osLoad) {
    next.outValid = true;
    next.outLast = s.osLast;
    if (s.osLast) {
      Object.assign(next, { active: false, e: 0, pe: 0, k: 0 });
    } else {
      next.e = os.e + words;
      if (os.pe === rtl.N - words) {
        next.pe = 0;
        next.k = os.k + 1;
      } else {
        next.pe = os.pe + words;
      }
    }
  }
  if (osStart) next.active = true; // the streamer is idle, at element 0
  return next;
}

/** The PE side as the controller sees it (the PEs, and a delta design's delta broadcast). */
export interface PeSide {
  /** The stall request the controller registers (bc_stall), and every engine drained. */
  outputs(c: Controller): { bcStall: boolean; allIdle: boolean; projIdle?: boolean };
  /** Compute the next state from the controller's registers of this cycle. */
  next(c: Controller): void;
  /** Clock edge. */
  commit(): void;
}

/** The PE side of a dense design: every PE's engine. */
function denseSide(rtl: RtlParameters, image: EncodedImage): PeSide {
  const engines = peEngines(rtl, image);
  return {
    outputs: () => peOutputs(engines),
    next: (c) => pesNext(engines, c),
    commit: () => engines.forEach((engine) => engine.commit()),
  };
}

/** Every PE's engine of a design, for its format. */
function peEngines(rtl: RtlParameters, image: EncodedImage): (EseEngine | BcrEngine)[] {
  if (rtl.FORMAT !== 0) {
    return image.peMemories.map((memory) =>
      new BcrEngine(memory.index, rtl.HDR_COL_BITS, rtl.BLOCK_COLS)
    );
  }
  return image.peMemories.map((memory, pe) =>
    new EseEngine(memory.pointers, esePaddingFlags(image, pe), rtl.QUEUE_DEPTH, rtl.BUS_STAGE === 1)
  );
}

/** The PEs' outputs: the OR of the ese stall requests (registers), every engine drained. */
function peOutputs(engines: (EseEngine | BcrEngine)[]): { bcStall: boolean; allIdle: boolean } {
  let bcStall = false;
  let allIdle = true;
  for (const engine of engines) {
    if (engine instanceof EseEngine && engine.stallRequest()) bcStall = true;
    if (!engine.idle()) allIdle = false;
  }
  return { bcStall, allIdle };
}

/** The PEs' next states: they see the controller's registers of this cycle. */
function pesNext(engines: (EseEngine | BcrEngine)[], c: Controller): void {
  const phase: PhaseInfo = {
    start: c.main.phaseStart,
    nseg: c.main.phaseNseg,
    nseg0: c.main.phaseNseg0,
    cbase1: c.main.phaseCbase1,
  };
  for (const engine of engines) {
    if (engine instanceof BcrEngine) engine.next(phase, c.job.bcCount);
    else engine.next(c.job.b1Valid, c.job.b1SegLast);
  }
}

/**
 * Run the cycle-level model for `steps` time steps with inputs always offered and the output
 * always ready; returns the cycle of each step's last output beat. Each cycle: the PEs'
 * combinational outputs, the controller's signals, the main sequence, the PEs' and the
 * controller's next states, then the clock edge.
 */
export function simulateTiming(
  options: TimingOptions,
  steps: number,
  side: PeSide = denseSide(options.rtl, options.image),
): TimingRun {
  const { rtl } = options;
  let c = resetController();
  const stepEndCycles: number[] = [];
  const stateCycles = new Array(MAIN_STATES).fill(0);
  let lastStepStateCycles = new Array(MAIN_STATES).fill(0);
  let stepStateCycles = new Array(MAIN_STATES).fill(0);
  const limit = 1e9;
  for (let cycle = 1; cycle < limit; cycle++) {
    stateCycles[c.main.state]++;
    stepStateCycles[c.main.state]++;
    const pe = side.outputs(c);
    const s = controllerSignals(c, pe, rtl, steps * rtl.IN0);
    if (c.os.outValid && OUT_READY && c.os.outLast) {
      stepEndCycles.push(cycle);
      lastStepStateCycles = stepStateCycles;
      stepStateCycles = new Array(MAIN_STATES).fill(0);
      if (stepEndCycles.length === steps) break;
    }
    const step = mainSequenceNext(c, s, rtl);
    side.next(c);
    const { job, inRelease } = broadcasterNext(c, s, step, rtl, pe.bcStall);
    const next: Controller = {
      input: inputBufferNext(c.input, s.inFire, inRelease, rtl),
      job,
      ws: writeSequencerNext(c, step, rtl),
      os: outputStreamerNext(c.os, s, step.osStart, rtl),
      main: step.main,
    };
    side.commit();
    c = next;
  }
  return { stepEndCycles, stateCycles, lastStepStateCycles };
}

/**
 * The cycle estimate of a design: run the cycle-level model until the step time settles (at
 * least 3 steps, at most 8) and report the first step and the steady-state period.
 */
export function estimateCycles(
  options: TimingOptions & {
    clockMhz?: number;
    /** The PE side of a run of `steps` steps (default: the dense PEs' engines). */
    sideOf?: (steps: number) => PeSide;
    /** What the estimate is (default: the dense model's description). */
    method?: string;
  },
): CycleEstimate {
  const periodsOf = (ends: number[]) => ends.slice(1).map((end, i) => end - ends[i]);
  const run = (steps: number) => simulateTiming(options, steps, options.sideOf?.(steps));
  let timed = run(3);
  let periods = periodsOf(timed.stepEndCycles);
  if (periods[periods.length - 1] !== periods[periods.length - 2]) {
    timed = run(8);
    periods = periodsOf(timed.stepEndCycles);
  }
  const last = periods.length - 1;
  const periodic = periods[last] === periods[last - 1];
  const cyclesPerStep = periodic
    ? periods[last]
    : (timed.stepEndCycles[timed.stepEndCycles.length - 1] - timed.stepEndCycles[0]) /
      (timed.stepEndCycles.length - 1);
  const s = timed.lastStepStateCycles;
  const breakdown: StepBreakdown = {
    matvec: s[ST_A_WAIT],
    elementwise: s[ST_EW] + s[ST_EW_WAIT],
    // (ST_X: the next step's input part, broadcast before the projection's columns)
    projection: s[ST_C_WAIT] + s[ST_X],
    other: s[ST_A] + s[ST_D],
  };
  const clockMhz = options.clockMhz ?? 200;
  return {
    cyclesPerStep,
    firstStepCycles: timed.stepEndCycles[0],
    totalCyclesFormula: "firstStepCycles + (T-1) * cyclesPerStep",
    method: options.method ??
      "cycle-level model of the controller and PE engines (rtl/timing.ts), " +
        "inputs always offered, output always ready",
    stepEndCycles: timed.stepEndCycles,
    periodic,
    breakdown,
    microsecondsPerStep: cyclesPerStep / clockMhz,
    clockMhz,
    // batch: the B copies of every PE take the same MACs in the same cycles and the cells one
    // sequence after another (a step computes B frames)
    framesPerStep: options.rtl.BATCH ?? 1,
  };
}
