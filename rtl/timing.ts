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

import type { EncodedImage } from "../encode/mod.ts";
import type { CycleEstimate, RtlParameters, StepBreakdown } from "./design_schema.ts";

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

const ST_A = 0, ST_A_WAIT = 1, ST_EW = 2, ST_EW_WAIT = 3, ST_C_WAIT = 4, ST_D = 5;
const SRC_INPUT = 0, SRC_H = 1, SRC_M = 2;

/** The ESE engine of one PE (rnnfab_mv_ese.v), timing only. */
class EseEngine {
  private pointerAddr = 1;
  private pointerQ: number;
  private prevEnd = 0;
  private queue: number[] = []; // end addresses
  private weightAddr = 0;
  private pfCount = 0;
  private pfInflight = false;
  private c1 = false;
  private c2 = false;
  // next state
  private nPointerAddr = 1;
  private nPrevEnd = 0;
  private push = false;
  private pop = false;
  private nWeightAddr = 0;
  private fire = false;
  private taken = 0;
  private pfIssue = false;

  constructor(
    private readonly pointers: number[],
    private readonly padding: Uint8Array,
    private readonly queueDepth: number,
  ) {
    this.pointerQ = pointers[1] ?? 0;
  }

  /** Combinational: this PE cannot take the offered column. */
  stallRequest(bcValid: boolean): boolean {
    return bcValid && this.pointerQ !== this.prevEnd && this.queue.length === this.queueDepth;
  }

  /** Combinational: drained. */
  idle(): boolean {
    return this.queue.length === 0 && !this.c1 && !this.c2;
  }

  private next1(address: number): number {
    return address + 1 === this.padding.length ? 0 : address + 1;
  }

  /** Compute the next state. */
  next(bcValid: boolean, bcSegLast: boolean, bcStall: boolean): void {
    const advance = bcValid && !bcStall;
    const nonEmpty = this.pointerQ !== this.prevEnd;
    this.push = advance && nonEmpty;
    this.nPointerAddr = this.pointerAddr;
    this.nPrevEnd = this.prevEnd;
    if (advance) {
      const step = this.pointerAddr + 1 + (bcSegLast ? 1 : 0);
      const wrap = step >= this.pointers.length;
      this.nPointerAddr = wrap ? 1 : step;
      this.nPrevEnd = wrap ? 0 : this.pointerQ;
    }
    this.pfIssue = this.padding.length > 0 &&
      this.pfCount + (this.pfInflight ? 2 : 0) + 2 <= 8;
    this.fire = this.queue.length > 0 && this.pfCount > 0;
    const takeTwo = this.fire && this.padding[this.weightAddr] === 1 && this.pfCount >= 2;
    this.taken = this.fire ? (takeTwo ? 2 : 1) : 0;
    this.pop = this.fire && this.weightAddr + this.taken === this.queue[0];
    this.nWeightAddr = this.weightAddr;
    if (this.fire) {
      this.nWeightAddr = this.next1(this.weightAddr);
      if (takeTwo) this.nWeightAddr = this.next1(this.nWeightAddr);
    }
  }

  /** Clock edge. */
  commit(): void {
    if (this.pop) this.queue.shift();
    if (this.push) this.queue.push(this.pointerQ);
    this.pointerAddr = this.nPointerAddr;
    this.prevEnd = this.nPrevEnd;
    this.pointerQ = this.pointers[this.pointerAddr] ?? 0;
    this.weightAddr = this.nWeightAddr;
    this.pfCount = this.pfCount + (this.pfInflight ? 2 : 0) - this.taken;
    this.pfInflight = this.pfIssue;
    this.c2 = this.c1;
    this.c1 = this.fire;
  }
}

/** Phase information the controller gives the PEs (registers of rnnfab_ctrl). */
interface PhaseInfo {
  start: boolean;
  nseg: number;
  nseg0: number;
  cbase1: number;
}

const SLOTS = 4;
const COLQ_DEPTH = 4;
const DR_DONE = 0, DR_HEADER = 1, DR_ROWS = 2;

interface Descriptor {
  colAddr: number;
  cols: number;
  rows: number;
  slot: number;
  base: number;
}

interface ColumnEntry {
  vaddr: number;
  rows: number;
  slot: number;
  last: boolean;
}

/** The BCR engine of one PE (rnnfab_mv_bcr.v), timing only. */
class BcrEngine {
  private drState = DR_DONE;
  private drAddr = 0;
  private drSeg = 0;
  private drBase = 0;
  private drRows = 0;
  private drRow = 0;
  private drCols = 0;
  private drNext = 0;
  private drSlot = 0;
  private slotBusy: boolean[] = [false, false, false, false];
  private desc: Descriptor[] = [];
  private crValid = false;
  private crAddr = 0;
  private crCols = 0;
  private crCol = 0;
  private crDesc: Descriptor | null = null;
  private colq: ColumnEntry[] = [];
  private isRow = 0;
  private c1 = false;
  private c2 = false;
  // next-state scratch
  private n: {
    drState: number;
    drAddr: number;
    drSeg: number;
    drBase: number;
    drRows: number;
    drRow: number;
    drCols: number;
    drNext: number;
    drSlot: number;
    slotBusy: boolean[];
    descPush: Descriptor | null;
    descPop: boolean;
    crValid: boolean;
    crAddr: number;
    crCols: number;
    crCol: number;
    crDesc: Descriptor | null;
    colqPush: ColumnEntry | null;
    colqPop: boolean;
    isRow: number;
    issue: boolean;
  } | null = null;

  constructor(
    private readonly index: number[],
    private readonly headerColBits: number,
    private readonly blockCols: number,
  ) {}

  idle(): boolean {
    return this.drState === DR_DONE && this.desc.length === 0 && !this.crValid &&
      this.colq.length === 0 && !this.c1 && !this.c2;
  }

  private word(address: number): number {
    return this.index[address] ?? 0;
  }

  next(phase: PhaseInfo, bcCount: number): void {
    const colScale = 2 ** this.headerColBits;
    const drWord = this.word(this.drAddr);
    const headerRows = Math.floor(drWord / colScale);
    const headerCols = drWord % colScale;
    const endMarker = headerRows === 0 && headerCols === 0;
    const drAddrPlus = this.drAddr + 1;
    const n = {
      drState: this.drState,
      drAddr: this.drAddr,
      drSeg: this.drSeg,
      drBase: this.drBase,
      drRows: this.drRows,
      drRow: this.drRow,
      drCols: this.drCols,
      drNext: this.drNext,
      drSlot: this.drSlot,
      slotBusy: [...this.slotBusy],
      descPush: null as Descriptor | null,
      descPop: false,
      crValid: this.crValid,
      crAddr: this.crAddr,
      crCols: this.crCols,
      crCol: this.crCol,
      crDesc: this.crDesc,
      colqPush: null as ColumnEntry | null,
      colqPop: false,
      isRow: this.isRow,
      issue: false,
    };
    let setSlot = false;
    if (phase.start) {
      n.drState = DR_HEADER;
      n.drSeg = 0;
      n.drBase = 0;
    } else if (this.drState === DR_HEADER) {
      if (endMarker) {
        n.drAddr = drAddrPlus === this.index.length ? 0 : drAddrPlus;
        if (this.drSeg + 1 === phase.nseg) {
          n.drState = DR_DONE;
        } else {
          n.drSeg = this.drSeg + 1;
          n.drBase = this.drSeg + 1 === phase.nseg0 ? phase.cbase1 : this.drBase + this.blockCols;
        }
      } else if (!this.slotBusy[this.drSlot]) {
        n.drState = DR_ROWS;
        n.drRows = headerRows;
        n.drCols = headerCols;
        n.drRow = 0;
        n.drNext = drAddrPlus + headerRows + headerCols;
        n.drAddr = drAddrPlus;
        setSlot = true;
      }
    } else if (this.drState === DR_ROWS) {
      if (this.drRow + 1 === this.drRows) {
        n.descPush = {
          colAddr: drAddrPlus,
          cols: this.drCols,
          rows: this.drRows,
          slot: this.drSlot,
          base: this.drBase,
        };
        n.drState = DR_HEADER;
        n.drAddr = this.drNext;
        n.drSlot = (this.drSlot + 1) % SLOTS;
      } else {
        n.drRow = this.drRow + 1;
        n.drAddr = drAddrPlus;
      }
    }
    // column reader
    const colqFull = this.colq.length === COLQ_DEPTH;
    const crLast = this.crCol + 1 === this.crCols;
    if (this.crValid && !colqFull && this.crDesc) {
      n.colqPush = {
        vaddr: this.crDesc.base + this.word(this.crAddr),
        rows: this.crDesc.rows,
        slot: this.crDesc.slot,
        last: crLast,
      };
      if (crLast) {
        n.crValid = false;
      } else {
        n.crCol = this.crCol + 1;
        n.crAddr = this.crAddr + 1;
      }
    }
    if (!n.crValid && this.desc.length > 0) {
      const head = this.desc[0];
      n.descPop = true;
      n.crValid = true;
      n.crAddr = head.colAddr;
      n.crCols = head.cols;
      n.crCol = 0;
      n.crDesc = head;
    }
    // issue unit
    const head = this.colq[0];
    n.issue = head !== undefined && head.vaddr < bcCount;
    if (n.issue) {
      n.colqPop = this.isRow + 1 === head.rows;
      n.isRow = n.colqPop ? 0 : this.isRow + 1;
      if (n.colqPop && head.last) n.slotBusy[head.slot] = false;
    }
    if (setSlot) n.slotBusy[this.drSlot] = true;
    this.n = n;
  }

  commit(): void {
    const n = this.n!;
    this.drState = n.drState;
    this.drAddr = n.drAddr;
    this.drSeg = n.drSeg;
    this.drBase = n.drBase;
    this.drRows = n.drRows;
    this.drRow = n.drRow;
    this.drCols = n.drCols;
    this.drNext = n.drNext;
    this.drSlot = n.drSlot;
    this.slotBusy = n.slotBusy;
    if (n.descPop) this.desc.shift();
    if (n.descPush) this.desc.push(n.descPush);
    this.crValid = n.crValid;
    this.crAddr = n.crAddr;
    this.crCols = n.crCols;
    this.crCol = n.crCol;
    this.crDesc = n.crDesc;
    if (n.colqPop) this.colq.shift();
    if (n.colqPush) this.colq.push(n.colqPush);
    this.isRow = n.isRow;
    this.c2 = this.c1;
    this.c1 = n.issue;
  }
}

/**
 * Run the cycle-level model for `steps` time steps with inputs always offered and the output
 * always ready; returns the cycle of each step's last output beat.
 */
export function simulateTiming(options: TimingOptions, steps: number): TimingRun {
  const { rtl, image } = options;
  const N = rtl.N;
  const L = rtl.LAYERS;
  const proj = rtl.PROJ !== 0;
  const bcr = rtl.FORMAT !== 0;
  const K = rtl.K;
  const KP = rtl.KP;
  const O = rtl.O;
  const IN0 = rtl.IN0;
  const BC = rtl.BLOCK_COLS;
  const segs = (cols: number) => Math.ceil(cols / BC);
  const valueScale = 2 ** rtl.VAL_BITS;
  const ese = image.peMemories.map((memory) =>
    new EseEngine(
      memory.pointers,
      Uint8Array.from(memory.weights, (word) => word % valueScale === 0 ? 1 : 0),
      rtl.QUEUE_DEPTH,
    )
  );
  const bcrEngines = image.peMemories.map((memory) =>
    new BcrEngine(memory.index, rtl.HDR_COL_BITS, BC)
  );

  // controller registers
  const inFull = [false, false];
  let inWslot: number = 0, inRslot: number = 0, inWidx: number = 0;
  let inputsSent: number = 0;
  const totalInputs = steps * IN0;
  let wsActive: boolean = false, wsRq: boolean = false, wsCount: number = 0, wsTotal: number = 0;
  let wsPipe: number = 0; // bit i = issued round landing after i+1 cycles
  let trkOn: boolean = false, trkM: boolean = false, trkLayer: number = 0, trkRounds: number = 0;
  let jobActive: boolean = false,
    jobPart: number = 0,
    jobSrc0: number = SRC_INPUT,
    jobLayer0: number = 0,
    jobLayer1: number = 0;
  let jobLen0: number = 0,
    jobLen1: number = 0,
    jobE: number = 0,
    jobPe: number = 0,
    jobK: number = 0;
  let b1Valid: boolean = false, b1SegLast: boolean = false;
  let bcCount: number = 0;
  let osActive: boolean = false, osE: number = 0, osPe: number = 0, osK: number = 0;
  let outValid: boolean = false, outLast: boolean = false;
  let state: number = ST_A, layer: number = 0;
  let phaseStart: boolean = false;
  const phase: PhaseInfo = { start: false, nseg: 0, nseg0: 0, cbase1: 0 };
  let phaseNseg: number = 0, phaseNseg0: number = 0, phaseCbase1: number = 0;

  const stepEndCycles: number[] = [];
  const stateCycles = [0, 0, 0, 0, 0, 0];
  let lastStepStateCycles = [0, 0, 0, 0, 0, 0];
  let stepStateCycles = [0, 0, 0, 0, 0, 0];
  let outputsDone = 0;
  const limit = 1e9;
  const pipeTop = 1 << (rtl.EW_LAT - 1);

  for (let cycle: number = 1; cycle < limit; cycle++) {
    stateCycles[state]++;
    stepStateCycles[state]++;
    // ---- PE combinational outputs
    let bcStall: boolean = false;
    let allIdle: boolean = true;
    for (let p: number = 0; p < N; p++) {
      if (bcr) {
        if (!bcrEngines[p].idle()) allIdle = false;
      } else {
        if (ese[p].stallRequest(b1Valid)) bcStall = true;
        if (!ese[p].idle()) allIdle = false;
      }
    }
    // ---- controller combinational
    const inValid = inputsSent < totalInputs;
    const inReady = !inFull[inWslot];
    const inFire = inValid && inReady;
    const wsIdle = !wsActive && wsPipe === 0;
    const roundReady = (isM: boolean, lay: number, round: number) =>
      trkOn && isM === trkM && (isM || lay === trkLayer) ? round < trkRounds : true;
    const curSrc = jobPart ? SRC_H : jobSrc0;
    const curLayer = jobPart ? jobLayer1 : jobLayer0;
    const curLen = jobPart ? jobLen1 : jobLen0;
    const curLast = jobE + 1 === curLen;
    const inputReady = inFull[inRslot] || (inWslot === inRslot && inWidx > jobE);
    const sourceReady = curSrc === SRC_INPUT
      ? inputReady
      : roundReady(curSrc === SRC_M, curLayer, jobK);
    const b1Advance: boolean = b1Valid && !bcStall;
    const b0Issue = jobActive && sourceReady && (!b1Valid || b1Advance);
    const jobDone = !jobActive && !b1Valid;
    const osReady = roundReady(false, L - 1, osK);
    const outReady = true;
    const osLoad = osActive && osReady && (!outValid || outReady);
    const osLast = osE + 1 === O;
    const lastLayer = layer === L - 1;
    const nextLayer = lastLayer ? 0 : layer + 1;
    if (outValid && outReady && outLast) {
      stepEndCycles.push(cycle);
      outputsDone++;
      lastStepStateCycles = stepStateCycles;
      stepStateCycles = [0, 0, 0, 0, 0, 0];
      if (outputsDone === steps) break;
    }

    // ---- main FSM
    let nState: number = state, nLayer: number = layer;
    let nPhaseStart: boolean = false;
    let jobStart: boolean = false, jobStartProj = false;
    const jobStartLayer = layer;
    let wsStart: boolean = false, wsStartRq = false;
    const wsStartLayer = layer;
    let osStart: boolean = false;
    let nPhaseNseg: number = phaseNseg,
      nPhaseNseg0: number = phaseNseg0,
      nPhaseCbase1: number = phaseCbase1;
    switch (state) {
      case ST_A: {
        jobStart = true;
        nPhaseStart = true;
        const inSegs = layer === 0 ? segs(IN0) : segs(O);
        nPhaseNseg0 = inSegs;
        nPhaseNseg = inSegs + segs(O);
        nPhaseCbase1 = layer === 0 ? IN0 : O;
        nState = ST_A_WAIT;
        break;
      }
      case ST_A_WAIT:
        if (jobDone && allIdle) nState = ST_EW;
        break;
      case ST_EW:
        if (wsIdle && (proj || !lastLayer || !osActive)) {
          wsStart = true;
          if (proj) {
            jobStart = true;
            jobStartProj = true;
            nPhaseStart = true;
            nPhaseNseg0 = segs(rtl.H);
            nPhaseNseg = segs(rtl.H);
            nPhaseCbase1 = 0;
            nState = ST_C_WAIT;
          } else {
            osStart = lastLayer;
            nState = ST_EW_WAIT;
          }
        }
        break;
      case ST_EW_WAIT:
        if (!wsActive) {
          nLayer = nextLayer;
          nState = ST_A;
        }
        break;
      case ST_C_WAIT:
        if (jobDone && allIdle && wsIdle) nState = ST_D;
        break;
      default:
        if (!lastLayer || !osActive) {
          wsStart = true;
          wsStartRq = true;
          osStart = lastLayer;
          nLayer = nextLayer;
          nState = ST_A;
        }
    }

    // ---- PE next states (they see the controller registers of this cycle)
    phase.start = phaseStart;
    phase.nseg = phaseNseg;
    phase.nseg0 = phaseNseg0;
    phase.cbase1 = phaseCbase1;
    for (let p: number = 0; p < N; p++) {
      if (bcr) bcrEngines[p].next(phase, bcCount);
      else ese[p].next(b1Valid, b1SegLast, bcStall);
    }

    // ---- controller next state
    // input buffer
    let inRelease: boolean = false;
    // broadcaster
    let nJobActive: boolean = jobActive, nJobPart: number = jobPart, nJobSrc0: number = jobSrc0;
    let nJobLayer0: number = jobLayer0,
      nJobLayer1: number = jobLayer1,
      nJobLen0: number = jobLen0,
      nJobLen1: number = jobLen1;
    let nJobE: number = jobE, nJobPe: number = jobPe, nJobK: number = jobK;
    let nB1Valid: boolean = b1Advance ? false : b1Valid;
    let nB1SegLast: boolean = b1SegLast;
    let nBcCount: number = bcCount + (b1Advance ? 1 : 0);
    if (b0Issue) {
      nB1Valid = true;
      nB1SegLast = curLast;
      if (curLast) {
        if (curSrc === SRC_INPUT) inRelease = true;
        nJobE = 0;
        nJobPe = 0;
        nJobK = 0;
        if (!jobPart && jobLen1 !== 0) nJobPart = 1;
        else nJobActive = false;
      } else {
        nJobE = jobE + 1;
        if (jobPe === N - 1) {
          nJobPe = 0;
          nJobK = jobK + 1;
        } else {
          nJobPe = jobPe + 1;
        }
      }
    }
    if (jobStart) {
      nJobActive = true;
      nJobPart = 0;
      nJobE = 0;
      nJobPe = 0;
      nJobK = 0;
      nBcCount = 0;
      if (jobStartProj) {
        nJobSrc0 = SRC_M;
        nJobLen0 = rtl.H;
        nJobLen1 = 0;
      } else {
        nJobSrc0 = jobStartLayer === 0 ? SRC_INPUT : SRC_H;
        nJobLayer0 = jobStartLayer - 1;
        nJobLayer1 = jobStartLayer;
        nJobLen0 = jobStartLayer === 0 ? IN0 : O;
        nJobLen1 = O;
      }
    }
    // input buffer next
    if (inFire) {
      inputsSent++;
      if (inWidx === IN0 - 1) {
        inFull[inWslot] = true;
        inWslot = 1 - inWslot;
        inWidx = 0;
      } else {
        inWidx++;
      }
    }
    if (inRelease) {
      inFull[inRslot] = false;
      inRslot = 1 - inRslot;
    }
    // write sequencer and tracker
    let nWsActive: boolean = wsActive,
      nWsRq: boolean = wsRq,
      nWsCount: number = wsCount,
      nWsTotal: number = wsTotal;
    let nWsPipe: number = wsPipe >> 1;
    let nTrkOn: boolean = trkOn, nTrkM: boolean = trkM, nTrkLayer: number = trkLayer;
    let nTrkRounds: number = trkRounds + (wsPipe & 1);
    if (wsActive) {
      nWsPipe |= wsRq ? 1 : pipeTop;
      nWsCount = wsCount + 1;
      if (wsCount + 1 === wsTotal) nWsActive = false;
    }
    if (wsStart) {
      nWsActive = true;
      nWsRq = wsStartRq;
      nWsCount = 0;
      nWsTotal = wsStartRq ? KP : K;
      nTrkOn = true;
      nTrkM = proj && !wsStartRq;
      nTrkLayer = wsStartLayer;
      nTrkRounds = 0;
    }
    // output streamer
    let nOsActive: boolean = osActive, nOsE: number = osE, nOsPe: number = osPe, nOsK: number = osK;
    let nOutValid: boolean = outValid && outReady ? false : outValid;
    let nOutLast: boolean = outLast;
    if (osLoad) {
      nOutValid = true;
      nOutLast = osLast;
      if (osLast) {
        nOsActive = false;
      } else {
        nOsE = osE + 1;
        if (osPe === N - 1) {
          nOsPe = 0;
          nOsK = osK + 1;
        } else {
          nOsPe = osPe + 1;
        }
      }
    }
    if (osStart) {
      nOsActive = true;
      nOsE = 0;
      nOsPe = 0;
      nOsK = 0;
    }

    // ---- clock edge
    for (let p: number = 0; p < N; p++) {
      if (bcr) bcrEngines[p].commit();
      else ese[p].commit();
    }
    jobActive = nJobActive;
    jobPart = nJobPart;
    jobSrc0 = nJobSrc0;
    jobLayer0 = nJobLayer0;
    jobLayer1 = nJobLayer1;
    jobLen0 = nJobLen0;
    jobLen1 = nJobLen1;
    jobE = nJobE;
    jobPe = nJobPe;
    jobK = nJobK;
    b1Valid = nB1Valid;
    b1SegLast = nB1SegLast;
    bcCount = nBcCount;
    wsActive = nWsActive;
    wsRq = nWsRq;
    wsCount = nWsCount;
    wsTotal = nWsTotal;
    wsPipe = nWsPipe;
    trkOn = nTrkOn;
    trkM = nTrkM;
    trkLayer = nTrkLayer;
    trkRounds = nTrkRounds;
    osActive = nOsActive;
    osE = nOsE;
    osPe = nOsPe;
    osK = nOsK;
    outValid = nOutValid;
    outLast = nOutLast;
    state = nState;
    layer = nLayer;
    phaseStart = nPhaseStart;
    phaseNseg = nPhaseNseg;
    phaseNseg0 = nPhaseNseg0;
    phaseCbase1 = nPhaseCbase1;
  }
  return { stepEndCycles, stateCycles, lastStepStateCycles };
}

/**
 * The cycle estimate of a design: run the cycle-level model until the step time settles (at
 * least 3 steps, at most 8) and report the first step and the steady-state period.
 */
export function estimateCycles(
  options: TimingOptions & { clockMhz?: number },
): CycleEstimate {
  let run = simulateTiming(options, 3);
  let periods = periodsOf(run.stepEndCycles);
  if (periods[periods.length - 1] !== periods[periods.length - 2]) {
    run = simulateTiming(options, 8);
    periods = periodsOf(run.stepEndCycles);
  }
  const last = periods.length - 1;
  const periodic = periods[last] === periods[last - 1];
  const cyclesPerStep = periodic
    ? periods[last]
    : (run.stepEndCycles[run.stepEndCycles.length - 1] - run.stepEndCycles[0]) /
      (run.stepEndCycles.length - 1);
  const s = run.lastStepStateCycles;
  const breakdown: StepBreakdown = {
    matvec: s[ST_A_WAIT],
    elementwise: s[ST_EW] + s[ST_EW_WAIT],
    projection: s[ST_C_WAIT],
    other: s[ST_A] + s[ST_D],
  };
  const clockMhz = options.clockMhz ?? 200;
  return {
    cyclesPerStep,
    firstStepCycles: run.stepEndCycles[0],
    totalCyclesFormula: "firstStepCycles + (T-1) * cyclesPerStep",
    method: "cycle-level model of the controller and PE engines (rtl/timing.ts), " +
      "inputs always offered, output always ready",
    stepEndCycles: run.stepEndCycles,
    periodic,
    breakdown,
    microsecondsPerStep: cyclesPerStep / clockMhz,
    clockMhz,
  };
}

function periodsOf(ends: number[]): number[] {
  return ends.slice(1).map((end, i) => end - ends[i]);
}
