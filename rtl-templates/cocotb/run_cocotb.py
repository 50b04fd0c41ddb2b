"""Build the design with a simulator and run the cocotb tests of test_rnnfab.py on it.

    python DIR/tb/run_cocotb.py [--simulator icarus|verilator] [--testcase NAME[,NAME]]

Use the Python of the rnnfab virtual environment (.venv/bin/python), which has the pinned cocotb
and websockets. The tests need the rnnfab bridge: `deno task sim --design DIR --cocotb` starts it
and runs this script; run the script yourself only with RNNFAB_BRIDGE_URL pointing at a bridge.
Exit status: 0 when every test passed, 1 when one failed, 2 on bad usage.
"""

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="Python runners and associated APIs are an experimental")
from cocotb.runner import get_results, get_runner  # noqa: E402 - after the warning filter

import rnnfab_design as design  # noqa: E402

TB_DIR = Path(__file__).resolve().parent
#: Verilator: warnings do not stop the build; x bits start random (seeded), as the C++ harness.
VERILATOR_BUILD_ARGS = ["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique"]


def verilog_sources(design_dir):
    """The design's Verilog files: design.json rtlFiles (DIR/name or DIR/rtl/name), else rtl/*.v."""
    description = json.loads((design_dir / "design.json").read_text())
    names = description.get("rtlFiles") or []
    sources = []
    for name in names:
        for candidate in (design_dir / name, design_dir / "rtl" / name):
            if candidate.is_file():
                sources.append(candidate)
                break
        else:
            raise SystemExit(f"{design_dir / 'design.json'}: rtlFiles: {name} does not exist")
    if not sources:
        sources = sorted((design_dir / "rtl").glob("*.v"))
    if not sources:
        raise SystemExit(f"{design_dir}: no Verilog files (rtlFiles empty and no rtl/*.v)")
    return sources, description.get("top", design.TOPLEVEL)


def parse_arguments():
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulator", choices=["icarus", "verilator"], default="icarus")
    parser.add_argument("--design", type=Path, default=TB_DIR.parent, help="design directory")
    parser.add_argument("--build-dir", type=Path, help="default: DIR/sim/cocotb-SIMULATOR")
    parser.add_argument("--build-only", action="store_true", help="build, run no test")
    parser.add_argument("--test-only", action="store_true", help="run on an existing build")
    parser.add_argument("--testcase", help="comma-separated test names (default: all)")
    parser.add_argument("--results", type=Path, help="JUnit XML (default: BUILD_DIR/results.xml)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of cocotb and Verilator")
    parser.add_argument(
        "--init",
        choices=["random", "zero"],
        default="random",
        help="Verilator: initial value of registers without reset (random: seeded by --seed)",
    )
    parser.add_argument("--waves", action="store_true", help="record a waveform in BUILD_DIR")
    return parser.parse_args()


def main():
    """Build and/or test; exit 1 when a test failed."""
    arguments = parse_arguments()
    design_dir = arguments.design.resolve()
    build_dir = (arguments.build_dir or design_dir / "sim" / f"cocotb-{arguments.simulator}").resolve()
    sources, toplevel = verilog_sources(design_dir)
    runner = get_runner(arguments.simulator)
    verilator = arguments.simulator == "verilator"
    if not arguments.test_only:
        os.environ.setdefault("MAKEFLAGS", f"-j{os.cpu_count() or 2}")
        runner.build(
            verilog_sources=sources,
            includes=sorted({source.parent for source in sources}),  # rnnfab_pkg.vh
            hdl_toplevel=toplevel,
            build_dir=build_dir,
            build_args=VERILATOR_BUILD_ARGS if verilator else [],
            timescale=("1ns", "1ps"),
            waves=arguments.waves,
        )
    if arguments.build_only:
        return 0
    plusargs = []
    if verilator and arguments.init == "random":
        plusargs = ["+verilator+rand+reset+2", f"+verilator+seed+{arguments.seed % 2147483646 + 1}"]
    elif verilator:
        plusargs = ["+verilator+rand+reset+0"]
    results = (arguments.results or build_dir / "results.xml").resolve()
    runner.test(
        test_module="test_rnnfab",
        hdl_toplevel=toplevel,
        hdl_toplevel_lang="verilog",
        build_dir=build_dir,
        test_dir=design_dir,  # the working directory, so that the design's "mem/" files resolve
        testcase=arguments.testcase,
        seed=arguments.seed,
        plusargs=plusargs,
        waves=arguments.waves,
        results_xml=str(results),
        timescale=("1ns", "1ps"),
    )
    tests, failed = get_results(results)
    print(f"rnnfab cocotb: {tests - failed} of {tests} tests passed ({results})")
    return 1 if failed or tests == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
