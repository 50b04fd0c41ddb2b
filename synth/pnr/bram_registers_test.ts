import assert from "node:assert/strict";
import { type Netlist, type NetlistCell, packBlockRamOutputRegisters } from "./bram_registers.ts";

/** The pass moving every register after a block RAM read (`all`). */
const packAll = (netlist: Netlist) => packBlockRamOutputRegisters(netlist, "all");

const CLOCK = 2;

/** A DP16KD reading on port A (clock 2), its data bits 0..bits-1 on nets 100, 101, ... */
function blockRam(bits: number, extra: Partial<Record<string, (number | string)[]>> = {}) {
  const connections: Record<string, (number | string)[]> = {
    CLKA: [CLOCK],
    CLKB: ["0"],
    OCEA: ["1"],
    OCEB: ["1"],
    RSTA: ["0"],
    RSTB: ["0"],
  };
  const port_directions: Record<string, string> = {
    CLKA: "input",
    CLKB: "input",
    OCEA: "input",
    OCEB: "input",
    RSTA: "input",
    RSTB: "input",
  };
  for (let bit = 0; bit < 18; bit++) {
    connections[`DOA${bit}`] = [bit < bits ? 100 + bit : 300 + bit];
    connections[`DOB${bit}`] = [400 + bit];
    port_directions[`DOA${bit}`] = "output";
    port_directions[`DOB${bit}`] = "output";
  }
  for (const [port, value] of Object.entries(extra)) connections[port] = value!;
  return {
    type: "DP16KD",
    parameters: {
      REGMODE_A: "NOREG",
      REGMODE_B: "NOREG",
      DATA_WIDTH_A: "18",
      CLKAMUX: "CLKA",
      GSR: "DISABLED",
    },
    port_directions,
    connections,
  } satisfies NetlistCell;
}

/** A TRELLIS_FF reading net `d` into net `q`; options change its clock, enable, reset. */
function flipFlop(
  d: number,
  q: number,
  options: { clock?: number; enable?: number; reset?: number; regset?: string } = {},
): NetlistCell {
  return {
    type: "TRELLIS_FF",
    parameters: {
      CEMUX: options.enable === undefined ? "1 " : "CE ",
      CLKMUX: "CLK ",
      GSR: "DISABLED ",
      LSRMUX: "LSR ",
      REGSET: `${options.regset ?? "RESET"} `,
    },
    port_directions: { CLK: "input", DI: "input", CE: "input", LSR: "input", Q: "output" },
    connections: {
      CLK: [options.clock ?? CLOCK],
      DI: [d],
      CE: [options.enable ?? "1"],
      LSR: [options.reset ?? "0"],
      Q: [q],
    },
  };
}

function netlistOf(cells: Record<string, NetlistCell>, ports = {}): Netlist {
  return { creator: "test", modules: { top: { ports, cells } } };
}

Deno.test("block RAM output registers: a read port's flip-flops move into the DP16KD", () => {
  const netlist = netlistOf({
    ram: blockRam(3),
    ff0: flipFlop(100, 200),
    ff1: flipFlop(101, 201),
    ff2: flipFlop(102, 202),
    other: flipFlop(500, 501),
  });
  const before = JSON.stringify(netlist);
  const { netlist: packed, packing } = packAll(netlist);
  assert.deepEqual(packing, { scope: "all", ports: 1, flipFlops: 3, portsLeft: 0 });
  const cells = packed.modules.top.cells;
  assert.deepEqual(Object.keys(cells).sort(), ["other", "ram"]);
  assert.equal(cells.ram.parameters.REGMODE_A, "OUTREG");
  assert.equal(cells.ram.parameters.REGMODE_B, "NOREG");
  assert.deepEqual(cells.ram.connections.DOA0, [200]);
  assert.deepEqual(cells.ram.connections.DOA2, [202]);
  assert.deepEqual(cells.ram.connections.DOA3, [303]); // unused bits stay
  assert.deepEqual(cells.ram.connections.OCEA, ["1"]);
  assert.equal(JSON.stringify(netlist), before, "the given netlist is not changed");
});

Deno.test("block RAM output registers: a shared clock enable becomes the output enable", () => {
  const { netlist: packed, packing } = packAll(netlistOf({
    ram: blockRam(2),
    ff0: flipFlop(100, 200, { enable: 7 }),
    ff1: flipFlop(101, 201, { enable: 7 }),
  }));
  assert.equal(packing.ports, 1);
  assert.deepEqual(packed.modules.top.cells.ram.connections.OCEA, [7]);
});

Deno.test("block RAM output registers: a port is left when a data bit is not a plain register's", () => {
  const cases: [string, Record<string, NetlistCell>, Record<string, unknown>?][] = [
    ["two readers", { ff0: flipFlop(100, 200), ff1: flipFlop(101, 201), ff2: flipFlop(101, 202) }],
    ["another clock", { ff0: flipFlop(100, 200), ff1: flipFlop(101, 201, { clock: 3 }) }],
    ["two enables", { ff0: flipFlop(100, 200, { enable: 7 }), ff1: flipFlop(101, 201) }],
    ["a reset", { ff0: flipFlop(100, 200), ff1: flipFlop(101, 201, { reset: 9 }) }],
    ["starts at 1", { ff0: flipFlop(100, 200), ff1: flipFlop(101, 201, { regset: "SET" }) }],
    ["a module output", { ff0: flipFlop(100, 200), ff1: flipFlop(101, 201) }, {
      y: { direction: "output", bits: [101] },
    }],
    ["a logic reader", {
      ff0: flipFlop(100, 200),
      lut: {
        type: "LUT4",
        parameters: {},
        port_directions: { A: "input", Z: "output" },
        connections: { A: [101], Z: [600] },
      },
    }],
  ];
  for (const [name, readers, ports] of cases) {
    const netlist = netlistOf({ ram: blockRam(2), ...readers }, ports ?? {});
    const { netlist: packed, packing } = packAll(netlist);
    assert.deepEqual(packing, { scope: "all", ports: 0, flipFlops: 0, portsLeft: 1 }, name);
    assert.equal(packed.modules.top.cells.ram.parameters.REGMODE_A, "NOREG", name);
    assert.equal(Object.keys(packed.modules.top.cells).length, Object.keys(readers).length + 1);
  }
});

Deno.test("block RAM output registers: a port with a reset or a register already is left", () => {
  const inverted = blockRam(1);
  inverted.parameters.CLKAMUX = "INV";
  const globalReset = blockRam(1);
  globalReset.parameters.GSR = "ENABLED";
  for (const ram of [inverted, globalReset]) {
    const { packing } = packAll(netlistOf({ ram, ff0: flipFlop(100, 200) }));
    assert.deepEqual(packing, { scope: "all", ports: 0, flipFlops: 0, portsLeft: 1 });
  }
  const withReset = packAll(netlistOf({
    ram: blockRam(1, { RSTA: [9] }),
    ff0: flipFlop(100, 200),
  }));
  assert.equal(withReset.packing.ports, 0);
  const registered = blockRam(1);
  registered.parameters.REGMODE_A = "OUTREG";
  const already = packAll(
    netlistOf({ ram: registered, ff0: flipFlop(100, 200) }),
  );
  assert.deepEqual(already.packing, { scope: "all", ports: 0, flipFlops: 0, portsLeft: 0 });
});

Deno.test("block RAM output registers: by default only pipeline registers move (read by flip-flops alone)", () => {
  const lut: NetlistCell = {
    type: "LUT4",
    parameters: {},
    port_directions: { A: "input", Z: "output" },
    connections: { A: [201], Z: [600] },
  };
  // ff0, ff1 feed only flip-flops (ff2, ff3): they move
  const pipeline = netlistOf({
    ram: blockRam(2),
    ff0: flipFlop(100, 200),
    ff1: flipFlop(101, 201),
    ff2: flipFlop(200, 210),
    ff3: flipFlop(201, 211),
  });
  const moved = packBlockRamOutputRegisters(pipeline);
  assert.deepEqual(moved.packing, { scope: "pipeline", ports: 1, flipFlops: 2, portsLeft: 0 });
  assert.deepEqual(moved.netlist.modules.top.cells.ram.connections.DOA1, [201]);
  assert.equal(moved.netlist.modules.top.cells.ram.parameters.REGMODE_A, "OUTREG");
  // a logic reader of ff1's output, or an output nothing reads: the port stays as it was
  const logic = netlistOf({ ...pipeline.modules.top.cells, lut });
  const unread = netlistOf({ ram: blockRam(2), ff0: flipFlop(100, 200), ff1: flipFlop(101, 201) });
  for (const [name, netlist] of [["logic", logic], ["unread", unread]] as const) {
    const { packing } = packBlockRamOutputRegisters(netlist);
    assert.deepEqual(packing, { scope: "pipeline", ports: 0, flipFlops: 0, portsLeft: 1 }, name);
    assert.deepEqual(
      packAll(netlist).packing,
      { scope: "all", ports: 1, flipFlops: 2, portsLeft: 0 },
      name,
    );
  }
});
