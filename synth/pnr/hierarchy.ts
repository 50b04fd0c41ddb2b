/**
 * From nextpnr's names back to the generated RTL. Yosys flattens the design for place and route
 * and names every cell and net by its hierarchical path (`pe3.gen_gru.ew.act_z.product_...`); it
 * also leaves one `$scopeinfo` cell per flattened instance that records the instance's module.
 * `parseScopes` reads those (`dump t:$scopeinfo`), `locate` finds the innermost instance of a
 * name, its module, the chain of modules above it, the PE it belongs to and the RTL signal.
 *
 * @module
 */

/** One flattened instance of the RTL. */
export interface Scope {
  /** Hierarchical instance path, e.g. "pe0.gen_gru.ew.act_n" (generate blocks included). */
  path: string;
  /** Its module (without parameters), e.g. "rnnfab_act". */
  module: string;
}

/** Where a cell or net of the netlist sits in the RTL. */
export interface RtlLocation {
  /** Innermost instance path ("" for the top module). */
  instance: string;
  /** Module of that instance (the top module's name for ""). */
  module: string;
  /** Modules from the top's child down to `module` (empty for the top itself). */
  modules: string[];
  /** The PE (index of the instance of the PE module) it belongs to, or null (shared logic). */
  pe: number | null;
  /** RTL signal or memory name inside the instance, when the name shows one. */
  signal: string | null;
}

/** Instances by path, for `locate`. */
export interface ScopeIndex {
  /** Path -> module. */
  modules: Map<string, string>;
  /** Module -> paths of its instances. */
  instances: Map<string, string[]>;
  /** Top module name. */
  top: string;
  /** Module name of a PE (its instance names end in the PE index). */
  peModule: string;
}

function unescape(name: string): string {
  return name.startsWith("\\") ? name.slice(1) : name;
}

/** Parse the RTLIL text of `dump t:$scopeinfo` into the instances it lists. */
export function parseScopes(dump: string): Scope[] {
  const scopes: Scope[] = [];
  let module: string | null = null;
  for (const raw of dump.split("\n")) {
    const line = raw.trim();
    const attribute = /^attribute \\module_hdlname "(.*)"$/.exec(line);
    if (attribute) module = attribute[1];
    const cell = /^cell \$scopeinfo (\S+)$/.exec(line);
    if (cell) {
      if (module !== null) scopes.push({ path: unescape(cell[1]), module });
      module = null;
    }
  }
  return scopes;
}

/** Index the instances for `locate`. */
export function scopeIndex(scopes: readonly Scope[], top: string, peModule: string): ScopeIndex {
  const instances = new Map<string, string[]>();
  for (const scope of scopes) {
    instances.set(scope.module, [...(instances.get(scope.module) ?? []), scope.path]);
  }
  return {
    modules: new Map(scopes.map((scope) => [scope.path, scope.module])),
    instances,
    top,
    peModule,
  };
}

/** Technology-mapping suffixes Yosys appends to the RTL name of a cell or net. */
const TECH_SUFFIX =
  /(_(TRELLIS|SB|LUT4|CCU2C|MULT18X18D|ALU54B|DP16KD|PFUMX|L6MUX21|ICESTORM|DPR16X4)[A-Z0-9_]*|\$).*$/;

/** The RTL signal of what remains of a name after its instance path, or null. */
export function signalOf(rest: string): string | null {
  let name = unescape(rest).replace(TECH_SUFFIX, "");
  // Bit indices, and the ".0.2" of a memory split into blocks (with what follows).
  name = name.replace(/\[\d+\]$/, "").replace(/\.\d+([._].*)?$/, "");
  if (name === "" || name.startsWith("$")) return null;
  return name;
}

/** Innermost instance whose path is a prefix of `name` at a "." boundary, or "". */
function innermostInstance(name: string, index: ScopeIndex): string {
  for (let end = name.lastIndexOf("."); end > 0; end = name.lastIndexOf(".", end - 1)) {
    const prefix = name.slice(0, end);
    if (index.modules.has(prefix)) return prefix;
  }
  return "";
}

/** The instance paths from the outermost down to `instance`. */
function ancestors(instance: string, index: ScopeIndex): string[] {
  const chain: string[] = [];
  let current = instance;
  while (current !== "") {
    chain.unshift(current);
    current = innermostInstance(current, index);
  }
  return chain;
}

/** The location of an instance path (no signal). */
function instanceLocation(instance: string, index: ScopeIndex): RtlLocation {
  const chain = ancestors(instance, index);
  const modules = chain.map((path) => index.modules.get(path)!);
  const peAt = modules.indexOf(index.peModule);
  const peNumber = peAt >= 0 ? /(\d+)$/.exec(chain[peAt]) : null;
  return {
    instance,
    module: instance === "" ? index.top : index.modules.get(instance)!,
    modules,
    pe: peNumber ? Number(peNumber[1]) : null,
    signal: null,
  };
}

/** The module an RTL source location names ("rtl/rnnfab_ew_gru.v:168.25" -> rnnfab_ew_gru). */
export function sourceModule(source: string): string | null {
  const match = /([A-Za-z_][A-Za-z0-9_$]*)\.s?v:\d+/.exec(source);
  return match ? match[1] : null;
}

/**
 * Correct a location found by name with the RTL source of the net. Yosys names the cells and nets
 * it creates after the signal they drive, which may sit in another instance (logic of the GRU
 * unit that feeds the PE's h bank is named "pe0.gen_h_lut.h_mem..."); the net's `src` attribute
 * names the Verilog file, hence the module, the logic came from. The instance of that module
 * inside (or above) the named one is taken; when several fit, the one `previous` names, else the
 * name's location stays.
 */
export function refineLocation(
  byName: RtlLocation,
  module: string | null,
  index: ScopeIndex,
  previous?: string,
): RtlLocation {
  if (module === null || module === byName.module) return byName;
  const paths = index.instances.get(module) ?? (module === index.top ? [""] : []);
  const within = paths.filter((path) =>
    byName.instance === "" || path.startsWith(`${byName.instance}.`)
  );
  const above = paths.filter((path) => path === "" || byName.instance.startsWith(`${path}.`));
  const candidates = within.length > 0 ? within : above.sort((a, b) => b.length - a.length);
  if (candidates.length === 0) return byName;
  const choice = within.length > 1 ? candidates.find((path) => path === previous) : candidates[0];
  return choice === undefined ? byName : instanceLocation(choice, index);
}

/** Where the netlist name `raw` (a cell or net of nextpnr's report) sits in the RTL. */
export function locate(raw: string, index: ScopeIndex): RtlLocation {
  const name = unescape(raw);
  const instance = name.startsWith("$") ? "" : innermostInstance(name, index);
  const rest = instance === "" ? name : name.slice(instance.length + 1);
  return { ...instanceLocation(instance, index), signal: signalOf(rest) };
}
