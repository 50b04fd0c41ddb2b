/**
 * The cycle model of a delta design (docs/delta.md, "Hardware"): the controller model of
 * rtl/timing.ts with a PE side that mirrors `rnnfab_delta_bc.v` (an encoder per layer, its queue,
 * the output register, the registered stall requests) and the delta mode of `rnnfab_mv_ese.v`
 * (fired columns by pointer address, one weight entry per cycle), timing only. Which columns fire
 * is data: the model takes the fired columns of every step and layer (from the fixed-point delta
 * golden model, `firedColumnsOf`). With theta_m (design.json's `delta.thetaM`) the projection
 * beats go through a projection encoder per layer as the gate beats do; without, they pass. With inputs always offered and the output always ready it gives
 * the simulated cycle of every step's last output beat exactly (tests/e2e_delta_test.ts).
 *
 * @module
 */

import type { EncodedImage } from "../encode/mod.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import { layerInputSize, outputSize } from "../model/model.ts";
import { type FiredColumn, type FixedDeltaRun, runFixedDelta } from "../model/delta_run.ts";
import {
  type CycleEstimate,
  type DesignDelta,
  designThresholds,
  type RtlParameters,
} from "./design_schema.ts";
import {
  type Controller,
  estimateCycles,
  type PeSide,
  simulateTiming,
  type TimingRun,
} from "./timing.ts";
import { ESE_STALL_SLACK } from "./timing_engines.ts";

/**
 * Fired columns: `fired[t][l]` holds the positions in [x ; h ; m] (h at I_l + column, m, the
 * delta-coded projection input, at I_l + O + column) that fired.
 */
export type FiredColumns = Set<number>[][];

/** Queue entries of each encoder of `rnnfab_delta_bc.v` (its QUEUE_DEPTH). */
export const DELTA_QUEUE_DEPTH = 8;

/** The fired columns of an input sequence, from the fixed-point delta golden model. */
export function firedColumnsOf(
  model: QuantizedModel,
  inputs: Int32Array[],
  delta: Pick<DesignDelta, "thetaX" | "thetaH" | "thetaM">,
): FiredColumns {
  return deltaRunWithColumns(model, inputs, delta).fired;
}

/** The fixed-point delta golden model's run of an input sequence and its fired columns. */
export function deltaRunWithColumns(
  model: QuantizedModel,
  inputs: Int32Array[],
  delta: Pick<DesignDelta, "thetaX" | "thetaH" | "thetaM">,
): { run: FixedDeltaRun; fired: FiredColumns } {
  const fired: FiredColumns = inputs.map(() => model.layers.map(() => new Set<number>()));
  const offset = {
    x: () => 0,
    h: (l: number) => layerInputSize(model, l),
    m: (l: number) => layerInputSize(model, l) + outputSize(model),
  };
  const onFire = (f: FiredColumn) => fired[f.step][f.layer].add(offset[f.part](f.layer) + f.column);
  const run = runFixedDelta(model, inputs, designThresholds(delta), { onFire });
  return { run, fired };
}

/** A beat of an encoder's queue: its fired encoder indices, lowest lane first. */
interface EncoderBeat {
  fired: number[];
  hpart: boolean;
}

/**
 * One layer's rnnfab_delta_lanes: stage S1, the beat S1 pushed (S2, on its way into the queue),
 * the queue of beats.
 */
class EncoderModel {
  s1Valid = false;
  s1Pos = 0;
  s1Last = false;
  s2: EncoderBeat | null = null;
  queue: EncoderBeat[] = [];
  /** Lanes of the head beat already given (sent_q), counted. */
  sent = 0;
  step = 0;
}

/**
 * Queue entries of `rnnfab_mv_ese.v` in delta mode past its stall threshold (its STALL_SLACK): one
 * more than the dense mode's, for the pointer memory's output register (P2).
 */
export const DELTA_ESE_STALL_SLACK = ESE_STALL_SLACK + 1;

/** A queued column: its first weight entry and the entry after its last. */
interface QueuedColumn {
  start: number;
  end: number;
}

/**
 * The delta mode of one PE's rnnfab_mv_ese (timing only) with the PE's stages C2 and C3. With
 * PQUEUE the projection columns (the bus's part bit) have a queue of their own, taken first at a
 * column's start, and `projIdle` says that none is queued or in flight.
 */
class EseDeltaEngine {
  private p1Valid = false;
  private p1Proj = false;
  private start = 0;
  private end = 0;
  /** P2: the column, its start and end registered once more (pushed from here). */
  private p2Valid = false;
  private p2Proj = false;
  private start2 = 0;
  private end2 = 0;
  private queue: QueuedColumn[] = [];
  /** PQUEUE: the projection columns' queue. */
  private projQueue: QueuedColumn[] = [];
  private stallQ = false;
  private weightAddr = 0;
  private columnFirst = true;
  /** The column being taken (past its first entry) is the projection queue's. */
  private currentProj = false;
  /** C1 .. C3: a MAC in the stage, and whether it is a projection column's. */
  private c1 = false;
  private c2 = false;
  private c3 = false;
  private c1Proj = false;
  private c2Proj = false;
  private c3Proj = false;
  private readonly entries: number;
  // next state
  private nValid = false;
  private nProj = false;
  private nPtr = 0;
  private push = false;
  private fire = false;
  private fireProj = false;
  private pop = false;
  private nWeightAddr = 0;

  constructor(
    private readonly pointers: number[],
    queueDepth: number,
    private readonly projQueued: boolean,
  ) {
    this.entries = Math.max(queueDepth, DELTA_ESE_STALL_SLACK + 1);
  }

  stallRequest(): boolean {
    return this.stallQ;
  }

  idle(): boolean {
    return this.queue.length === 0 && this.projQueue.length === 0 && !this.p1Valid &&
      !this.p2Valid && !this.c1 && !this.c2 && !this.c3;
  }

  /** No projection column queued or in flight (PQUEUE; else `idle`). */
  projIdle(): boolean {
    if (!this.projQueued) return this.idle();
    return this.projQueue.length === 0 && !(this.p1Valid && this.p1Proj) &&
      !(this.p2Valid && this.p2Proj) && !(this.c1 && this.c1Proj) && !(this.c2 && this.c2Proj) &&
      !(this.c3 && this.c3Proj);
  }

  /**
   * `hold`: the controller's mac_hold (XEARLY): take no entry of the (gate) queue this cycle;
   * `proj`: the bus's column is a projection column (its part bit).
   */
  next(valid: boolean, ptr: number, hold: boolean, proj: boolean): void {
    this.nValid = valid;
    this.nProj = proj;
    this.nPtr = ptr;
    this.push = this.p2Valid && this.start2 !== this.end2;
    const takeProj = this.projQueued &&
      (this.columnFirst ? this.projQueue.length > 0 : this.currentProj);
    const queue = takeProj ? this.projQueue : this.queue;
    this.fire = queue.length > 0 && (takeProj || !hold);
    this.fireProj = takeProj;
    const address = this.columnFirst && this.fire ? queue[0].start : this.weightAddr;
    this.pop = this.fire && address + 1 === queue[0].end;
    this.nWeightAddr = this.fire ? address + 1 : this.weightAddr;
  }

  commit(): void {
    this.stallQ = Math.max(this.queue.length, this.projQueue.length) >=
      this.entries - DELTA_ESE_STALL_SLACK;
    if (this.pop) (this.fireProj ? this.projQueue : this.queue).shift();
    if (this.push) {
      const queue = this.projQueued && this.p2Proj ? this.projQueue : this.queue;
      queue.push({ start: this.start2, end: this.end2 });
    }
    if (Math.max(this.queue.length, this.projQueue.length) > this.entries) {
      throw new Error(`ese delta queue overflow: ${this.queue.length} entries`);
    }
    if (this.fire) {
      this.columnFirst = this.pop;
      this.currentProj = this.fireProj;
    }
    this.weightAddr = this.nWeightAddr;
    this.p2Valid = this.p1Valid;
    this.p2Proj = this.p1Proj;
    this.start2 = this.start;
    this.end2 = this.end;
    this.p1Valid = this.nValid;
    this.p1Proj = this.nProj;
    this.start = this.pointers[this.nPtr] ?? 0;
    this.end = this.pointers[this.nPtr + 1] ?? 0;
    this.c3 = this.c2;
    this.c2 = this.c1;
    this.c1 = this.fire;
    this.c3Proj = this.c2Proj;
    this.c2Proj = this.c1Proj;
    this.c1Proj = this.fire && this.fireProj;
  }
}

/** Cycles from an engine's take to its MAC's read of the memories M (C3; rnnfab_ctrl.v). */
const MAC_READ_LAG = 3;

/**
 * The element-wise issue's cells during which `mac_hold` keeps the engines from taking a column
 * (rnnfab_ctrl.v HOLD): the cycles the PEs read M (K / MREAD: MREAD cells a cycle) less
 * MAC_READ_LAG.
 */
function macHoldCells(rtl: RtlParameters): number {
  return Math.max(0, rtl.K / rtl.MREAD - MAC_READ_LAG);
}

/** An encoder's `level`: the beats in its queue and in S2. */
function encoderLevel(encoder: EncoderModel): number {
  return encoder.queue.length + (encoder.s2 ? 1 : 0);
}

/** The PE side of a delta design: rnnfab_delta_bc and every PE's delta engine. */
class DeltaSide implements PeSide {
  private readonly encoders: EncoderModel[];
  /** theta_m: the projection encoder of every layer (else none: projection beats pass). */
  private readonly projEncoders: EncoderModel[];
  private readonly engines: EseDeltaEngine[];
  private peStallQ = false;
  private outValid = false;
  private outPtr = 0;
  private outProj = false;
  private stallQ = false;
  // next state
  private n = {
    peStall: false,
    outValid: false,
    outPtr: 0,
    outProj: false,
    stall: false,
    give: -1,
    giveProj: false,
    pop: false,
  };
  private take: { layer: number; pos: number; last: boolean; proj: boolean } | null = null;

  constructor(
    private readonly rtl: RtlParameters,
    image: EncodedImage,
    private readonly delta: DesignDelta,
    private readonly fired: FiredColumns,
  ) {
    this.encoders = Array.from({ length: rtl.LAYERS }, () => new EncoderModel());
    this.projEncoders = delta.thetaM
      ? Array.from({ length: rtl.LAYERS }, () => new EncoderModel())
      : [];
    this.engines = image.peMemories.map((m) =>
      new EseDeltaEngine(m.pointers, rtl.QUEUE_DEPTH, rtl.PQUEUE === 1)
    );
  }

  private inputs(layer: number): number {
    return layer === 0 ? this.rtl.IN0 : this.rtl.O;
  }

  private peStall(): boolean {
    return this.engines.some((engine) => engine.stallRequest());
  }

  /** Projection beats pass straight to the PEs (m not delta-coded). */
  private passes(c: Controller): boolean {
    return c.main.phaseProj && this.projEncoders.length === 0;
  }

  outputs(c: Controller): { bcStall: boolean; allIdle: boolean; projIdle: boolean } {
    const encodersIdle = [...this.encoders, ...this.projEncoders]
      .every((e) => !e.s1Valid && e.s2 === null && e.queue.length === 0);
    return {
      bcStall: this.passes(c) ? this.peStall() : this.stallQ,
      allIdle: this.engines.every((engine) => engine.idle()) && encodersIdle && !this.outValid,
      projIdle: this.engines.every((engine) => engine.projIdle()) && encodersIdle && !this.outValid,
    };
  }

  next(c: Controller): void {
    const layer = c.main.layer;
    const coded = c.main.phaseProj && !this.passes(c);
    // the gate encoder gives while it holds a beat (XEARLY: the next step's input part may still
    // be there in the projection phase), else a projection phase's encoder; the stall request
    // follows the encoder the phase feeds
    const gate = this.encoders[layer];
    const fed = coded ? this.projEncoders[layer] : gate;
    const useProj = coded && gate.queue.length === 0;
    const head = useProj ? this.projEncoders[layer] : gate;
    const ready = !this.peStallQ;
    const beat = head.queue[0];
    const index = beat?.fired[head.sent];
    const hpart = !useProj && index !== undefined && index >= this.inputs(layer);
    const base = useProj
      ? this.delta.pointerBase.proj[layer]
      : hpart
      ? this.delta.pointerBase.h[layer]
      : this.delta.pointerBase.x[layer];
    const column = index === undefined ? 0 : hpart ? index - this.inputs(layer) : index;
    this.n = {
      peStall: this.peStall(),
      outValid: ready && index !== undefined,
      outPtr: base + column,
      outProj: useProj,
      stall: encoderLevel(fed) >= DELTA_QUEUE_DEPTH - ESE_STALL_SLACK,
      give: ready && beat !== undefined ? layer : -1,
      giveProj: useProj,
      pop: ready && beat !== undefined && head.sent + 1 >= beat.fired.length,
    };
    const bus = c.job.b1Valid;
    this.take = bus && !this.passes(c)
      ? {
        layer,
        pos: c.job.b1Col,
        last: c.main.phaseProj
          ? c.job.b1SegLast
          // (the step's last beat: the recurrent part's, a layer l > 0's input part's: RFIRST)
          : c.job.b1SegLast && c.job.b1Hpart !== layer > 0,
        proj: c.main.phaseProj,
      }
      : null;
    const pass = this.passes(c);
    const valid = pass ? bus : this.outValid;
    const ptr = pass ? this.delta.pointerBase.proj[layer] + c.job.b1Col : this.outPtr;
    // mac_hold: layer 0's element-wise issue of a step whose next input part went early, while
    // fewer than `holdCells` cells were issued: the reads of M (K / MREAD cycles:
    // MREAD cells a cycle) less the 3 cycles from a take to its MAC's read (rnnfab_ctrl.v)
    const holdCells = macHoldCells(this.rtl);
    const hold = this.rtl.XEARLY === 1 && c.ws.active && !c.ws.rq && c.main.xEarly &&
      c.main.layer === 0 && c.ws.count < holdCells;
    const proj = pass ? c.main.phaseProj : this.outProj;
    for (const engine of this.engines) engine.next(valid, ptr, hold, proj);
  }

  private s1Beat(layer: number, encoder: EncoderModel, proj: boolean) {
    const fired = this.fired[encoder.step]?.[layer];
    return proj
      ? projectionBeatOf(this.rtl, this.inputs(layer) + this.rtl.O, encoder.s1Pos, fired)
      : beatOf(this.rtl, layer, encoder.s1Pos, fired);
  }

  commit(): void {
    this.commitEncoders(this.encoders, false);
    this.commitEncoders(this.projEncoders, true);
    this.peStallQ = this.n.peStall;
    this.outValid = this.n.outValid;
    this.outPtr = this.n.outPtr;
    this.outProj = this.n.outProj;
    this.stallQ = this.n.stall;
    for (const engine of this.engines) engine.commit();
  }

  /** The encoders of one kind (gate or projection): give, S1 into the queue, take a beat. */
  private commitEncoders(encoders: EncoderModel[], proj: boolean): void {
    const taking = (l: number) => this.take?.layer === l && this.take.proj === proj;
    const giving = (l: number) => this.n.give === l && this.n.giveProj === proj;
    for (const [l, encoder] of encoders.entries()) {
      if (giving(l)) {
        if (this.n.pop) {
          encoder.queue.shift();
          encoder.sent = 0;
        } else {
          encoder.sent++;
        }
      }
      if (encoder.s2) encoder.queue.push(encoder.s2);
      encoder.s2 = null;
      if (encoder.s1Valid) {
        const beat = this.s1Beat(l, encoder, proj);
        if (beat.fired.length > 0 || encoder.s1Last) encoder.s2 = beat;
        if (encoder.s1Last) encoder.step++;
      }
      if (encoderLevel(encoder) > DELTA_QUEUE_DEPTH) {
        throw new Error(`delta encoder queue overflow: ${encoderLevel(encoder)} beats`);
      }
      encoder.s1Valid = taking(l);
      if (taking(l)) {
        encoder.s1Pos = this.take!.pos;
        encoder.s1Last = this.take!.last;
      }
    }
  }
}

/**
 * The beat in S1 of layer l's encoder: its columns (lanes past a part's end are none) that fired,
 * as encoder indices (x: the column, h: I_l + the column), lowest lane first.
 */
function beatOf(
  rtl: RtlParameters,
  layer: number,
  pos: number,
  fired: Set<number> | undefined,
): { fired: number[]; hpart: boolean } {
  const inputs = layer === 0 ? rtl.IN0 : rtl.O;
  const alignIn = Math.ceil(inputs / rtl.BCAST) * rtl.BCAST;
  const hpart = pos >= alignIn;
  const start = hpart ? pos - alignIn : pos;
  const length = hpart ? rtl.O : inputs;
  const indices: number[] = [];
  for (let i = 0; i < rtl.BCAST && start + i < length; i++) {
    const index = hpart ? inputs + start + i : start + i;
    if (fired?.has(index)) indices.push(index);
  }
  return { fired: indices, hpart };
}

/**
 * The beat in S1 of layer l's projection encoder (theta_m): its columns of m (lanes past H are
 * none) that fired (at `offset` + column in the fired set), as columns, lowest lane first.
 */
function projectionBeatOf(
  rtl: RtlParameters,
  offset: number,
  pos: number,
  fired: Set<number> | undefined,
): { fired: number[]; hpart: boolean } {
  const columns: number[] = [];
  for (let i = 0; i < rtl.BCAST && pos + i < rtl.H; i++) {
    if (fired?.has(offset + pos + i)) columns.push(pos + i);
  }
  return { fired: columns, hpart: false };
}

/**
 * Run the cycle model of a delta design on the fired columns of one input sequence (inputs always
 * offered, output always ready): the cycle of every step's last output beat.
 */
export function simulateDeltaTiming(
  options: { rtl: RtlParameters; image: EncodedImage; delta: DesignDelta },
  fired: FiredColumns,
): TimingRun {
  const side = new DeltaSide(options.rtl, options.image, options.delta, fired);
  return simulateTiming(options, fired.length, side);
}

/** Every column of every layer fired (x, h and, where it is delta-coded, m), for `steps` steps. */
function everyColumn(rtl: RtlParameters, steps: number): FiredColumns {
  const columns = (layer: number) => (layer === 0 ? rtl.IN0 : rtl.O) + rtl.O + rtl.H;
  return Array.from(
    { length: steps },
    () =>
      Array.from(
        { length: rtl.LAYERS },
        (_, layer) => new Set(Array.from({ length: columns(layer) }, (_, c) => c)),
      ),
  );
}

/** No column fired, for `steps` steps. */
function noColumn(rtl: RtlParameters, steps: number): FiredColumns {
  return Array.from({ length: steps }, () => Array.from({ length: rtl.LAYERS }, () => new Set()));
}

/**
 * The cycle estimate of a delta design: its cycle model (inputs always offered, output always
 * ready) with every column fired, the most a step can take, and `noneFiredCyclesPerStep`, the
 * same with no column fired, the least; the data decide where between (`simulateDeltaTiming` on
 * the fired columns of real inputs).
 */
export function estimateDeltaCycles(
  options: { rtl: RtlParameters; image: EncodedImage; delta: DesignDelta; clockMhz?: number },
): CycleEstimate {
  const { rtl, image, delta } = options;
  const sideOf = (fired: (rtl: RtlParameters, steps: number) => FiredColumns) => (steps: number) =>
    new DeltaSide(rtl, image, delta, fired(rtl, steps));
  const none = estimateCycles({ ...options, sideOf: sideOf(noColumn) });
  return {
    ...estimateCycles({
      ...options,
      sideOf: sideOf(everyColumn),
      method: "cycle-level model of the delta design (rtl/delta_timing.ts) with every column " +
        "fired (the most a step takes; noneFiredCyclesPerStep: with none), inputs always " +
        "offered, output always ready",
    }),
    noneFiredCyclesPerStep: none.cyclesPerStep,
  };
}
