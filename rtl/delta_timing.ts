/**
 * The cycle model of a delta design (docs/delta.md, "Hardware"): the controller model of
 * rtl/timing.ts with a PE side that mirrors `rnnfab_delta_bc.v` (an encoder per layer, its queue,
 * the output register, the registered stall requests) and the delta mode of `rnnfab_mv_ese.v`
 * (fired columns by pointer address, one weight entry per cycle), timing only. Which columns fire
 * is data: the model takes the fired columns of every step and layer (from the fixed-point delta
 * golden model, `firedColumnsOf`). With inputs always offered and the output always ready it gives
 * the simulated cycle of every step's last output beat exactly (tests/e2e_delta_test.ts).
 *
 * @module
 */

import type { EncodedImage } from "../encode/mod.ts";
import type { QuantizedModel } from "../model/fixed.ts";
import { layerInputSize } from "../model/model.ts";
import { type FiredColumn, runFixedDelta } from "../model/delta_run.ts";
import type { DesignDelta, RtlParameters } from "./design_schema.ts";
import { type Controller, type PeSide, simulateTiming, type TimingRun } from "./timing.ts";
import { ESE_STALL_SLACK, eseQueueEntries } from "./timing_engines.ts";

/** Fired columns: `fired[t][l]` holds the positions in [x ; h] (h at I_l + column) that fired. */
export type FiredColumns = Set<number>[][];

/** Queue entries of each encoder of `rnnfab_delta_bc.v` (its QUEUE_DEPTH). */
export const DELTA_QUEUE_DEPTH = 8;

/** The fired columns of an input sequence, from the fixed-point delta golden model. */
export function firedColumnsOf(
  model: QuantizedModel,
  inputs: Int32Array[],
  delta: Pick<DesignDelta, "thetaX" | "thetaH">,
): FiredColumns {
  const fired: FiredColumns = inputs.map(() => model.layers.map(() => new Set<number>()));
  const onFire = (f: FiredColumn) =>
    fired[f.step][f.layer].add(
      f.part === "x" ? f.column : layerInputSize(model, f.layer) + f.column,
    );
  runFixedDelta(model, inputs, { thetaX: delta.thetaX, thetaH: delta.thetaH }, { onFire });
  return fired;
}

/** One layer's rnnfab_delta_enc: stage S1 and the fired queue (entries: "none" markers or not). */
class EncoderModel {
  s1Valid = false;
  s1Index = 0;
  s1Last = false;
  queue: { none: boolean; index: number }[] = [];
  step = 0;
}

/** The delta mode of one PE's rnnfab_mv_ese (timing only) with the PE's stages C2 and C3. */
class EseDeltaEngine {
  private p1Valid = false;
  private start = 0;
  private end = 0;
  private queue: { start: number; end: number }[] = [];
  private stallQ = false;
  private weightAddr = 0;
  private columnFirst = true;
  private c1 = false;
  private c2 = false;
  private c3 = false;
  private readonly entries: number;
  // next state
  private nValid = false;
  private nPtr = 0;
  private push = false;
  private fire = false;
  private pop = false;
  private nWeightAddr = 0;

  constructor(private readonly pointers: number[], queueDepth: number) {
    this.entries = eseQueueEntries(queueDepth);
  }

  stallRequest(): boolean {
    return this.stallQ;
  }

  idle(): boolean {
    return this.queue.length === 0 && !this.p1Valid && !this.c1 && !this.c2 && !this.c3;
  }

  next(valid: boolean, ptr: number): void {
    this.nValid = valid;
    this.nPtr = ptr;
    this.push = this.p1Valid && this.start !== this.end;
    this.fire = this.queue.length > 0;
    const address = this.columnFirst && this.fire ? this.queue[0].start : this.weightAddr;
    this.pop = this.fire && address + 1 === this.queue[0].end;
    this.nWeightAddr = this.fire ? address + 1 : this.weightAddr;
  }

  commit(): void {
    this.stallQ = this.queue.length >= this.entries - ESE_STALL_SLACK;
    if (this.pop) this.queue.shift();
    if (this.push) this.queue.push({ start: this.start, end: this.end });
    if (this.queue.length > this.entries) {
      throw new Error(`ese delta queue overflow: ${this.queue.length} entries`);
    }
    if (this.fire) this.columnFirst = this.pop;
    this.weightAddr = this.nWeightAddr;
    this.p1Valid = this.nValid;
    this.start = this.pointers[this.nPtr] ?? 0;
    this.end = this.pointers[this.nPtr + 1] ?? 0;
    this.c3 = this.c2;
    this.c2 = this.c1;
    this.c1 = this.fire;
  }
}

/** The PE side of a delta design: rnnfab_delta_bc and every PE's delta engine. */
class DeltaSide implements PeSide {
  private readonly encoders: EncoderModel[];
  private readonly engines: EseDeltaEngine[];
  private peStallQ = false;
  private outValid = false;
  private outPtr = 0;
  private stallQ = false;
  // next state
  private n = { peStall: false, outValid: false, outPtr: 0, stall: false, pop: -1 };
  private take: { layer: number; index: number; last: boolean } | null = null;

  constructor(
    private readonly rtl: RtlParameters,
    image: EncodedImage,
    private readonly delta: DesignDelta,
    private readonly fired: FiredColumns,
  ) {
    this.encoders = Array.from({ length: rtl.LAYERS }, () => new EncoderModel());
    this.engines = image.peMemories.map((m) => new EseDeltaEngine(m.pointers, rtl.QUEUE_DEPTH));
  }

  private inputs(layer: number): number {
    return layer === 0 ? this.rtl.IN0 : this.rtl.O;
  }

  private peStall(): boolean {
    return this.engines.some((engine) => engine.stallRequest());
  }

  outputs(c: Controller): { bcStall: boolean; allIdle: boolean } {
    const encodersIdle = this.encoders.every((e) => !e.s1Valid && e.queue.length === 0);
    return {
      bcStall: c.main.phaseProj ? this.peStall() : this.stallQ,
      allIdle: this.engines.every((engine) => engine.idle()) && encodersIdle && !this.outValid,
    };
  }

  next(c: Controller): void {
    const layer = c.main.layer;
    const head = this.encoders[layer];
    const pop = !this.peStallQ;
    const entry = head.queue[0];
    const hpart = entry !== undefined && entry.index >= this.inputs(layer);
    const base = hpart ? this.delta.pointerBase.h[layer] : this.delta.pointerBase.x[layer];
    const column = entry === undefined ? 0 : hpart ? entry.index - this.inputs(layer) : entry.index;
    this.n = {
      peStall: this.peStall(),
      outValid: pop && entry !== undefined && !entry.none,
      outPtr: base + column,
      stall: head.queue.length >= DELTA_QUEUE_DEPTH - ESE_STALL_SLACK,
      pop: pop && entry !== undefined ? layer : -1,
    };
    const bus = c.job.b1Valid;
    this.take = bus && !c.main.phaseProj
      ? { layer, index: c.job.b1Col, last: c.job.b1Hpart && c.job.b1SegLast }
      : null;
    const projValid = bus && c.main.phaseProj;
    const valid = c.main.phaseProj ? projValid : this.outValid;
    const ptr = c.main.phaseProj ? this.delta.pointerBase.proj[layer] + c.job.b1Col : this.outPtr;
    for (const engine of this.engines) engine.next(valid, ptr);
  }

  commit(): void {
    for (const [l, encoder] of this.encoders.entries()) {
      if (this.n.pop === l) encoder.queue.shift();
      if (encoder.s1Valid) {
        const fire = this.fired[encoder.step]?.[l]?.has(encoder.s1Index) ?? false;
        if (fire || encoder.s1Last) encoder.queue.push({ none: !fire, index: encoder.s1Index });
        if (encoder.s1Last) encoder.step++;
        if (encoder.queue.length > DELTA_QUEUE_DEPTH) {
          throw new Error(`delta encoder queue overflow: ${encoder.queue.length} entries`);
        }
      }
      encoder.s1Valid = this.take?.layer === l;
      if (this.take?.layer === l) {
        encoder.s1Index = this.take.index;
        encoder.s1Last = this.take.last;
      }
    }
    this.peStallQ = this.n.peStall;
    this.outValid = this.n.outValid;
    this.outPtr = this.n.outPtr;
    this.stallQ = this.n.stall;
    for (const engine of this.engines) engine.commit();
  }
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
