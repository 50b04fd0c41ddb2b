/**
 * Block RAM output registers on the ECP5: a netlist pass between Yosys and nextpnr.
 *
 * Yosys maps a synchronous read into a DP16KD without its output register (REGMODE "NOREG"), so
 * the read data leaves the block RAM 4.26 ns after the clock (nextpnr's ECP5 -8 timing) and the
 * register the RTL puts after every block RAM read (docs/timing.md, "The pipelined datapath") is
 * a fabric flip-flop that this slow output has to reach. Vendor tools move such a register into
 * the block RAM; Yosys does not. This pass does, on the JSON netlist: a read port whose every
 * used data bit drives exactly one flip-flop and nothing else, on the port's clock (neither
 * inverted), without a reset (the global one off on both), starting at 0 and with one clock
 * enable for all of them, takes the flip-flops as its output register (REGMODE "OUTREG", the
 * enable on OCE): the flip-flops go, their outputs come from the block RAM. Each cycle's values
 * are unchanged (the output register loads the read latch under the same enable, and starts at 0
 * as those flip-flops do).
 *
 * Moving every such register made nothing faster (docs/timing.md, session 26): where logic reads
 * the register, that logic's paths then start at the block RAM's site. So by default the pass
 * moves only pipeline registers, flip-flops whose outputs only other flip-flops' data inputs read
 * (the weight prefetch's F1B stage in rnnfab_mv_ese.v), and every register on request (`all`).
 *
 * @module
 */

/** A cell of a Yosys JSON netlist (`write_json`): the fields this pass reads and changes. */
export interface NetlistCell {
  type: string;
  parameters: Record<string, string>;
  port_directions: Record<string, string>;
  /** Port -> bits: net numbers, or constants "0", "1", "x", "z". */
  connections: Record<string, (number | string)[]>;
  [field: string]: unknown;
}

/** A module of a Yosys JSON netlist. */
export interface NetlistModule {
  cells: Record<string, NetlistCell>;
  ports?: Record<string, { direction: string; bits: (number | string)[] }>;
  [field: string]: unknown;
}

/** A Yosys JSON netlist. */
export interface Netlist {
  modules: Record<string, NetlistModule>;
  [field: string]: unknown;
}

/** What `packBlockRamOutputRegisters` did. */
export interface OutputRegisterPacking {
  /** Which flip-flops were candidates: pipeline registers only, or all. */
  scope: OutputRegisterScope;
  /** Block RAM read ports that took their flip-flops as output register. */
  ports: number;
  /** Flip-flops removed (moved into the block RAMs). */
  flipFlops: number;
  /** Read ports with used data left as they were (their data does not meet the rules). */
  portsLeft: number;
}

const BLOCK_RAM = "DP16KD";
const FLIP_FLOP = "TRELLIS_FF";
const DATA_BITS = 18;

/** A parameter's value as Yosys writes it: strings may carry a trailing space. */
function parameter(cell: NetlistCell, name: string): string | undefined {
  return cell.parameters[name]?.trim();
}

/** A net bit as a map key (net numbers and constants alike). */
const bitKey = (bit: number | string) => String(bit);

/** Which flip-flops `packBlockRamOutputRegisters` moves: pipeline registers only, or all. */
export type OutputRegisterScope = "pipeline" | "all";

/** The readers of a net bit: how many, the last one, and whether all are flip-flop data inputs. */
interface BitReaders {
  count: number;
  cell?: string;
  port?: string;
  onlyRegisters: boolean;
}

/** For every net bit: how many cell inputs and module output ports read it, and the last one. */
function readersOf(module: NetlistModule): Map<string, BitReaders> {
  const readers = new Map<string, BitReaders>();
  const add = (bit: number | string, cell?: string, port?: string) => {
    const key = bitKey(bit);
    const entry = readers.get(key) ?? { count: 0, onlyRegisters: true };
    const register = cell !== undefined && port === "DI" &&
      module.cells[cell].type === FLIP_FLOP;
    readers.set(key, {
      count: entry.count + 1,
      cell,
      port,
      onlyRegisters: entry.onlyRegisters && register,
    });
  };
  for (const [name, cell] of Object.entries(module.cells)) {
    for (const [port, bits] of Object.entries(cell.connections)) {
      if (cell.port_directions[port] !== "output") bits.forEach((bit) => add(bit, name, port));
    }
  }
  for (const port of Object.values(module.ports ?? {})) {
    if (port.direction !== "input") port.bits.forEach((bit) => add(bit));
  }
  return readers;
}

/**
 * A flip-flop's clock enable as a bit ("1": always), or null when the flip-flop cannot be a
 * block RAM's output register.
 */
function registerEnable(flipFlop: NetlistCell, clock: (number | string)[]): string | null {
  const clockBits = flipFlop.connections.CLK ?? [];
  if (clockBits.length !== 1 || clock.length !== 1 || bitKey(clockBits[0]) !== bitKey(clock[0])) {
    return null;
  }
  if ((parameter(flipFlop, "CLKMUX") ?? "CLK") !== "CLK") return null; // an inverted clock
  const reset = flipFlop.connections.LSR;
  if (reset !== undefined && !(reset.length === 1 && bitKey(reset[0]) === "0")) return null;
  if ((parameter(flipFlop, "LSRMUX") ?? "LSR") !== "LSR") return null;
  if ((parameter(flipFlop, "REGSET") ?? "RESET") !== "RESET") return null; // starts at 1
  if (parameter(flipFlop, "GSR") !== "DISABLED") return null; // (the block RAM's is too)
  const enableMux = parameter(flipFlop, "CEMUX") ?? "1";
  if (enableMux === "1") return "1";
  if (enableMux !== "CE") return null; // "0" or an inverted enable
  const enable = flipFlop.connections.CE ?? [];
  return enable.length === 1 ? bitKey(enable[0]) : null;
}

/** Whether a flip-flop's output is read, and only by flip-flops' data inputs. */
function pipelineRegister(flipFlop: NetlistCell, readers: Map<string, BitReaders>): boolean {
  const output = flipFlop.connections.Q ?? [];
  const reader = output.length === 1 ? readers.get(bitKey(output[0])) : undefined;
  return reader !== undefined && reader.count > 0 && reader.onlyRegisters;
}

/**
 * The packing of one read port (side "A" or "B") of a block RAM: the data bits to reconnect and
 * the flip-flops to remove with the enable they share; "skip" for a port with no data read or
 * an output register already, "left" for one whose data does not meet the rules.
 */
function portPacking(
  module: NetlistModule,
  ram: NetlistCell,
  side: "A" | "B",
  readers: ReturnType<typeof readersOf>,
  scope: OutputRegisterScope,
): { moves: { port: string; flipFlop: string }[]; enable: (number | string)[] } | "skip" | "left" {
  const used: { port: string; reader: BitReaders }[] = [];
  for (let bit = 0; bit < DATA_BITS; bit++) {
    const port = `DO${side}${bit}`;
    const bits = ram.connections[port];
    const reader = bits?.length === 1 ? readers.get(bitKey(bits[0])) : undefined;
    if (reader !== undefined && reader.count > 0) used.push({ port, reader });
  }
  if (used.length === 0 || parameter(ram, `REGMODE_${side}`) !== "NOREG") return "skip";
  if ((parameter(ram, `CLK${side}MUX`) ?? `CLK${side}`) !== `CLK${side}`) return "left"; // inverted
  if (parameter(ram, "GSR") !== "DISABLED") return "left"; // the global reset would clear it
  const reset = ram.connections[`RST${side}`];
  if (reset !== undefined && !(reset.length === 1 && bitKey(reset[0]) === "0")) return "left";
  const clock = ram.connections[`CLK${side}`] ?? [];
  const moves: { port: string; flipFlop: string }[] = [];
  let enable: string | null = null;
  let enableBit: number | string = "1";
  for (const { port, reader } of used) {
    if (reader.count !== 1 || reader.cell === undefined || reader.port !== "DI") return "left";
    const flipFlop = module.cells[reader.cell];
    if (flipFlop.type !== FLIP_FLOP) return "left";
    if (scope === "pipeline" && !pipelineRegister(flipFlop, readers)) return "left";
    const bitEnable = registerEnable(flipFlop, clock);
    if (bitEnable === null || (enable !== null && bitEnable !== enable)) return "left";
    if (enable === null) {
      enable = bitEnable;
      enableBit = bitEnable === "1" ? "1" : (flipFlop.connections.CE ?? ["1"])[0];
    }
    moves.push({ port, flipFlop: reader.cell });
  }
  return { moves, enable: [enableBit] };
}

/**
 * Move the flip-flops after ECP5 block RAM reads into the block RAMs' output registers (the
 * module doc says when): pipeline registers only (the default) or every one (`all`). Returns a
 * new netlist (the given one is not changed) and the counts.
 */
export function packBlockRamOutputRegisters(
  netlist: Netlist,
  scope: OutputRegisterScope = "pipeline",
): { netlist: Netlist; packing: OutputRegisterPacking } {
  const packing: OutputRegisterPacking = { scope, ports: 0, flipFlops: 0, portsLeft: 0 };
  const modules: Record<string, NetlistModule> = {};
  for (const [moduleName, module] of Object.entries(netlist.modules)) {
    const rams = Object.entries(module.cells).filter(([, cell]) => cell.type === BLOCK_RAM);
    if (rams.length === 0) {
      modules[moduleName] = module;
      continue;
    }
    const readers = readersOf(module);
    const cells: Record<string, NetlistCell> = { ...module.cells };
    for (const [ramName, original] of rams) {
      let ram = original;
      for (const side of ["A", "B"] as const) {
        const plan = portPacking(module, ram, side, readers, scope);
        if (plan === "skip") continue;
        if (plan === "left") {
          packing.portsLeft++;
          continue;
        }
        const connections = { ...ram.connections, [`OCE${side}`]: plan.enable };
        for (const move of plan.moves) {
          connections[move.port] = cells[move.flipFlop].connections.Q;
          delete cells[move.flipFlop];
        }
        ram = {
          ...ram,
          parameters: { ...ram.parameters, [`REGMODE_${side}`]: "OUTREG" },
          connections,
        };
        packing.ports++;
        packing.flipFlops += plan.moves.length;
      }
      cells[ramName] = ram;
    }
    modules[moduleName] = { ...module, cells };
  }
  return { netlist: { ...netlist, modules }, packing };
}
