/**
 * The matrix-vector engines of the cycle model (rtl/timing.ts): each PE's `rnnfab_mv_ese.v` or
 * `rnnfab_mv_bcr.v`, timing only, driven by the PE's real pointer or index memory words, with
 * the PE's multiplier stages C2 (registered inputs) and C3 (registered product). Each
 * register mirrors the register of the same name in rtl-templates/; `next` computes the next
 * state from the registers and the controller's signals of this cycle, `commit` is the edge.
 *
 * @module
 */

/** Queue entries of `rnnfab_mv_ese.v` past its stall threshold (its STALL_SLACK, no bus stage). */
export const ESE_STALL_SLACK = 4;

/**
 * The entries `rnnfab_mv_ese.v` builds for a queue depth (its QUEUE_ALLOC): with the PE's bus
 * stage (`busStage`, rtl BUS_STAGE) one more, and the stall slack one more.
 */
export function eseQueueEntries(queueDepth: number, busStage = false): number {
  const stage = busStage ? 1 : 0;
  return Math.max(queueDepth + stage, ESE_STALL_SLACK + stage + 1);
}

/**
 * The ESE engine of one PE (rnnfab_mv_ese.v), timing only: P0 (the column on the bus, its end
 * read from the pointer memory), P1 (registered; a non-empty column is pushed), the queue, C0
 * and C1, the registered stall request (the queue within ESE_STALL_SLACK of full, tested a cycle
 * ahead: on the count after the edge), and the weight prefetch (F1 out of the block RAM, F1B, a
 * register the place-and-route flow moves into the block RAM, F2 in the fabric, then the 8-entry
 * buffer). With the PE's bus stage (rnnfab_pe BUS_STAGE) the bus reaches P0 a cycle later, through
 * registers of the PE (bs_valid_q, bs_seg_last_q), which count as a column in flight for idle.
 */
export class EseEngine {
  private pointerAddr = 1;
  private pointerQ: number;
  private p1Valid = false;
  private p1End = 0;
  private p1Wrap = false;
  private lastEnd = 0;
  private queue: number[] = []; // end addresses
  private stallQ = false;
  private weightAddr = 0;
  private pfCount = 0;
  private pfInflight = false;
  private pfMid = false;
  private pfReady = false;
  private c1 = false;
  private c2 = false;
  private c3 = false;
  private busValid = false;
  private busSegLast = false;
  // next state
  private nPointerAddr = 1;
  private nP1Valid = false;
  private nP1Wrap = false;
  private push = false;
  private pop = false;
  private nWeightAddr = 0;
  private fire = false;
  private taken = 0;
  private pfIssue = false;

  private nBusValid = false;
  private nBusSegLast = false;

  private readonly entries: number;
  private readonly stallSlack: number;

  constructor(
    private readonly pointers: number[],
    private readonly padding: Uint8Array,
    queueDepth: number,
    private readonly busStage = false,
  ) {
    this.pointerQ = pointers[1] ?? 0;
    this.entries = eseQueueEntries(queueDepth, busStage);
    this.stallSlack = ESE_STALL_SLACK + (busStage ? 1 : 0);
  }

  /** The registered stall request. */
  stallRequest(): boolean {
    return this.stallQ;
  }

  /** Combinational: drained. */
  idle(): boolean {
    return this.queue.length === 0 && !this.busValid && !this.p1Valid && !this.c1 && !this.c2 &&
      !this.c3;
  }

  private next1(address: number): number {
    return address + 1 === this.padding.length ? 0 : address + 1;
  }

  /** Compute the next state; every column on the bus is taken. */
  next(busValid: boolean, busSegLast: boolean): void {
    this.nBusValid = busValid;
    this.nBusSegLast = busSegLast;
    const bcValid = this.busStage ? this.busValid : busValid;
    const bcSegLast = this.busStage ? this.busSegLast : busSegLast;
    this.push = this.p1Valid && this.p1End !== this.lastEnd;
    this.nPointerAddr = this.pointerAddr;
    this.nP1Valid = bcValid;
    if (bcValid) {
      const step = this.pointerAddr + 1 + (bcSegLast ? 1 : 0);
      this.nP1Wrap = step >= this.pointers.length;
      this.nPointerAddr = this.nP1Wrap ? 1 : step;
    }
    this.pfIssue = this.padding.length > 0 &&
      this.pfCount + (this.pfReady ? 2 : 0) + (this.pfInflight ? 2 : 0) +
            (this.pfMid ? 2 : 0) + 2 <= 8;
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
    if (this.push) this.queue.push(this.p1End);
    // raised a cycle ahead: the test of the count the queue holds after this edge (the
    // controller registers the requests twice, rnnfab_ctrl STALL_LATE)
    this.stallQ = this.queue.length >= this.entries - this.stallSlack;
    if (this.queue.length > this.entries) {
      throw new Error(`ese queue overflow: ${this.queue.length} entries`);
    }
    if (this.p1Valid) this.lastEnd = this.p1Wrap ? 0 : this.p1End;
    this.p1Valid = this.nP1Valid;
    this.p1End = this.pointerQ;
    this.p1Wrap = this.nP1Wrap;
    this.pointerAddr = this.nPointerAddr;
    this.pointerQ = this.pointers[this.pointerAddr] ?? 0;
    this.weightAddr = this.nWeightAddr;
    this.pfCount = this.pfCount + (this.pfReady ? 2 : 0) - this.taken;
    this.pfReady = this.pfMid;
    this.pfMid = this.pfInflight;
    this.pfInflight = this.pfIssue;
    this.c3 = this.c2;
    this.c2 = this.c1;
    this.c1 = this.fire;
    this.busValid = this.nBusValid;
    this.busSegLast = this.nBusSegLast;
  }
}

/** Phase information the controller gives the PEs (registers of rnnfab_ctrl). */
export interface PhaseInfo {
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
export class BcrEngine {
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
  private c3 = false;
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
      this.colq.length === 0 && !this.c1 && !this.c2 && !this.c3;
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
    this.c3 = this.c2;
    this.c2 = this.c1;
    this.c1 = n.issue;
  }
}
