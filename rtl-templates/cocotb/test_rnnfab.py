"""cocotb test bench of an rnnfab accelerator (top module `rnnfab_top`).

Written by `deno task gen` into DIR/tb/ and meant to be read and edited. Run it with

    deno task sim --design DIR --cocotb [--simulator icarus|verilator]

which starts the bridge (a WebSocket server in Deno that holds the input sequences and the golden
outputs of the fixed-point model) and then `python DIR/tb/run_cocotb.py`. Every output word the DUT
produces is compared here and sent back to Deno, which checks it bit for bit and writes
DIR/sim/result.json. See docs/cocotb.md in the rnnfab repository.

The tests, each with its own bridge session:

- test_sequence: the run's input sequence (--input or --steps/--seed) with the run's back-pressure
  settings (--backpressure, --input-gaps); its cycle counts go into result.json.
- test_random_backpressure: random valid/ready on both streams, then a congested output.
- test_reset_mid_sequence: reset while outputs are in flight and while inputs are half taken; the
  next sequence must start from a clean state.
- test_back_to_back: several sequences, each followed at once by a minimal (2-cycle) reset.

Batch designs (`gen --batch B`): every beat of in_data/out_data carries one word of each of B
sequences, sequence s (its slot, the sequence tag) in bits [s * ACTIVATION_BITS, (s + 1) *
ACTIVATION_BITS). Every request then yields one stream of B sequences (`plan.streams`), each slot
with its own inputs and golden outputs, and every output word is checked against its own
sequence's. Counts of words below (steps, cuts) are counted in beats, one word per slot.

Wide streams (`gen --in-words W`, `gen --out-words W`; batch 1): an input beat carries the next W
elements of a step, element e + j in bits [j * ACTIVATION_BITS, (j + 1) * ACTIVATION_BITS), and
an output beat likewise; a step's last beat holds only the elements left (its other lanes are zero
on input and not outputs on output), and every element of an output beat is checked and reported
on its own. The cuts below count beats.

Timing of one cycle (clock period 10 ns, rising edge at t):
  t + 1 ns  drive in_valid/in_data, out_ready low   (the "drive point")
  t + 2 ns  sample out_valid with out_ready low, then raise out_ready if the beat is accepted
  t + 4 ns  sample everything: a beat transfers at the next rising edge when valid && ready
Cycle 1 is the first rising edge after reset release, as in the Verilator and Icarus harnesses.

Fault injection (to prove the bench catches a single wrong bit): RNNFAB_FLIP_OUTPUT_BIT=TEST:N:B
flips bit B of the N-th output word (0-based, counted over the whole test) that TEST reads from the
DUT, before anything looks at it; several entries are separated by commas. On a batch design word N
is slot N % B of output beat N // B; on a wide output stream word N is output element N.
"""

import os
import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, Timer

import rnnfab_design as design
from rnnfab_bridge import MAIN, BridgeSession, random_sequence

CLOCK_PERIOD_NS = 10
#: Reset at the start of each test (cycles).
INITIAL_RESET_CYCLES = 4
#: Reset between sequences: the minimum of the interface contract.
RESET_CYCLES = 2
#: Cycles watched after the last expected word for extra output beats.
DRAIN_CYCLES = 64
#: Words of the activation format.
WORD_MASK = (1 << design.ACTIVATION_BITS) - 1
#: Sequences per stream beat (gen --batch), each in its slot of ACTIVATION_BITS bits.
BATCH = design.BATCH
#: Elements of a step per input / output beat (gen --in-words / --out-words; batch 1).
IN_WORDS = design.IN_WORDS
OUT_WORDS = design.OUT_WORDS
#: Beats of one step's inputs and outputs.
IN_BEATS_PER_STEP = -(-design.INPUT_SIZE // IN_WORDS)
OUT_BEATS_PER_STEP = -(-design.OUTPUT_SIZE // OUT_WORDS)
#: Words of an output beat (its slots, or its lanes on a wide output stream).
OUT_BEAT_WORDS = BATCH * OUT_WORDS


class Stimulus:
    """Random stream timing: out_ready is low with probability `output_stall` in a cycle, and a
    pending input word is withheld with probability `input_gap` in a cycle."""

    def __init__(self, output_stall=0.0, input_gap=0.0, seed="1"):
        self.output_stall = output_stall
        self.input_gap = input_gap
        self._ready_random = random.Random(f"{seed}:ready")
        self._gap_random = random.Random(f"{seed}:gap")

    def accept_output(self):
        """Whether out_ready is high in this cycle."""
        return self.output_stall == 0 or self._ready_random.random() >= self.output_stall

    def offer_input(self):
        """Whether the next input word is offered (in_valid high) from this cycle on."""
        return self.input_gap == 0 or self._gap_random.random() >= self.input_gap

    def as_message(self):
        """The form the bridge expects in a request (it scales the cycle limit with it)."""
        return {"backpressure": self.output_stall, "inputGaps": self.input_gap}


class StreamStats:
    """What streaming one sequence measured; sent to the bridge with `sequence_end`."""

    def __init__(self, expected_outputs):
        self.beats = 0  # output beats transferred
        self.cycles = 0  # cycle of the last expected output beat
        self.simulated_cycles = 0
        self.first_output_cycle = 0
        self.last_input_cycle = 0
        self.inputs_accepted = 0  # input words of each sequence (elements on a wide stream)
        self.outputs = 0  # output words of each sequence (elements on a wide stream)
        self.expected_outputs = expected_outputs
        self.output_stall_cycles = 0  # out_valid && !out_ready
        self.input_starved_cycles = 0  # in_ready && !in_valid while inputs remain
        self.input_wait_cycles = 0  # in_valid && !in_ready
        self.protocol_violations = 0  # a held output beat changed before it transferred
        self.valid_depends_on_ready = 0  # out_valid changed when out_ready rose
        self.unknown_control = 0  # x/z on in_ready or out_valid
        self.last_flag_errors = 0
        self.extra_beats = 0
        self.timed_out = False
        self.wall_seconds = 0.0

    def as_message(self):
        """The counters under the names of the harness result (docs/cocotb.md)."""
        return {
            "cycles": self.cycles,
            "simulatedCycles": self.simulated_cycles,
            "firstOutputCycle": self.first_output_cycle,
            "lastInputCycle": self.last_input_cycle,
            "inputsAccepted": self.inputs_accepted,
            "outputs": self.outputs,
            "expectedOutputs": self.expected_outputs,
            "outputStallCycles": self.output_stall_cycles,
            "inputStarvedCycles": self.input_starved_cycles,
            "inputWaitCycles": self.input_wait_cycles,
            "protocolViolations": self.protocol_violations,
            "validDependsOnReady": self.valid_depends_on_ready,
            "unknownControl": self.unknown_control,
            "lastFlagErrors": self.last_flag_errors,
            "extraBeats": self.extra_beats,
            "timedOut": self.timed_out,
            "wallSeconds": self.wall_seconds,
        }


def read_bit(signal):
    """A one-bit signal as 0/1, or None when it is x or z."""
    value = signal.value
    return int(value) if value.is_resolvable else None


def signed_word(raw):
    """An activation word's bits (unsigned) as a signed integer."""
    return raw - (1 << design.ACTIVATION_BITS) if raw >> (design.ACTIVATION_BITS - 1) else raw


def read_words(signal):
    """The OUT_BEAT_WORDS words of an output beat (slot or lane order) as signed integers, None
    for a word with x or z bits."""
    value = signal.value
    if value.is_resolvable:
        raw = value.to_unsigned()
        return tuple(
            signed_word((raw >> (slot * design.ACTIVATION_BITS)) & WORD_MASK)
            for slot in range(OUT_BEAT_WORDS)
        )
    bits = str(value)  # most significant bit first
    words = []
    for slot in range(OUT_BEAT_WORDS):
        end = len(bits) - slot * design.ACTIVATION_BITS
        word = bits[end - design.ACTIVATION_BITS : end]
        words.append(signed_word(int(word, 2)) if set(word) <= {"0", "1"} else None)
    return tuple(words)


def pack_beat(words):
    """The in_data value of one input beat: word s (signed) in slot (or lane) s."""
    packed = 0
    for slot, word in enumerate(words):
        packed |= (word & WORD_MASK) << (slot * design.ACTIVATION_BITS)
    return packed


def flip_requests(test):
    """{word: bit} from RNNFAB_FLIP_OUTPUT_BIT=TEST:N:B[,TEST:N:B...] for the entries of `test`."""
    flips = {}
    for entry in os.environ.get("RNNFAB_FLIP_OUTPUT_BIT", "").split(","):
        parts = entry.strip().split(":")
        if len(parts) == 3 and parts[0] == test:
            flips[int(parts[1])] = int(parts[2])
    return flips


def flip_bit(value, bit):
    """Flip one bit of a signed activation word, keeping it a signed activation word."""
    return signed_word((value & WORD_MASK) ^ (1 << bit))


def stream_label(stream):
    """How messages name a stream: its sequence, or its B sequences."""
    if stream.batch == 1:
        return f"sequence {stream.id}"
    return "sequences " + ", ".join(str(sequence.id) for sequence in stream.sequences)


class TestBench:
    """Clock, reset, stream driver and monitor of one test, with its bridge session."""

    def __init__(self, dut, test, session):
        self.dut = dut
        self.test = test
        self.session = session
        self.failures = []
        self.words_read = 0
        self._flips = flip_requests(test)

    @classmethod
    async def start(cls, dut, test):
        """Open the bridge session, check the design, start the clock, hold the DUT idle."""
        session = BridgeSession.open(
            test,
            client_info={
                "cocotb": cocotb.__version__,
                "simulator": cocotb.SIM_NAME,
                "simulatorVersion": cocotb.SIM_VERSION,
            },
        )
        served = session.welcome["design"]
        mine = {
            "inputSize": design.INPUT_SIZE,
            "outputSize": design.OUTPUT_SIZE,
            "activationBits": design.ACTIVATION_BITS,
            "batch": BATCH,
        }
        for key, value in mine.items():
            if served[key] != value:
                session.close()
                raise AssertionError(
                    f"this test bench was generated for {key} {value}, but the bridge serves a "
                    f"design with {key} {served[key]}: regenerate DIR/tb with `deno task gen`"
                )
        bench = cls(dut, test, session)
        Clock(dut.clk, CLOCK_PERIOD_NS, unit="ns").start()
        dut.rst.value = 1
        dut.in_valid.value = 0
        dut.in_data.value = 0
        dut.out_ready.value = 0
        await RisingEdge(dut.clk)
        await Timer(1, unit="ns")
        return bench

    def request(self, *specs, stimulus=None):
        """Ask the bridge for input sequences and their golden outputs."""
        message_specs = []
        for spec in specs:
            spec = dict(spec)
            if stimulus is not None:
                spec["stimulus"] = stimulus.as_message()
            message_specs.append(spec)
        return self.session.request(message_specs)

    def stimulus(self, output_stall, input_gap, name):
        """A Stimulus seeded from the run's seed, this test and `name`."""
        seed = self.session.welcome["stimulus"]["seed"]
        return Stimulus(output_stall, input_gap, seed=f"{seed}:{self.test}:{name}")

    async def reset(self, cycles):
        """Hold rst for `cycles` rising edges (streams idle); returns at the drive point."""
        dut = self.dut
        dut.rst.value = 1
        dut.in_valid.value = 0
        dut.out_ready.value = 0
        for _ in range(cycles):
            await RisingEdge(dut.clk)
        await Timer(1, unit="ns")
        dut.rst.value = 0

    async def stream(
        self, stream, stimulus, abort_after_beats=None, abort_after_inputs=None, drain_cycles=0
    ):
        """Stream one stream of a plan (one sequence, or B on a batch design) through the DUT,
        starting at a drive point right after a reset.

        Every output word goes to the bridge as it transfers. `abort_after_beats` (output beats)
        / `abort_after_inputs` (input beats) stop early on purpose (the caller then resets the
        DUT); the bridge then only checks the words that came. Returns the StreamStats.
        """
        dut = self.dut
        input_beats = stream.input_beats(IN_WORDS)
        inputs = [pack_beat(beat) for beat in input_beats]
        # words of each sequence a beat carries: one per slot, or the beat's elements (wide)
        input_words = [len(beat) if IN_WORDS > 1 else 1 for beat in input_beats]
        expected = stream.expected_beats(OUT_WORDS)
        expected_words = sum(len(beat) for beat in expected) if OUT_WORDS > 1 else len(expected)
        stats = StreamStats(expected_words)
        started = time.monotonic()
        next_input = 0
        pending = False
        held = None  # (data, last) of the beat back-pressure held in the previous cycle
        aborted = False
        cycle = 0
        while stats.beats < len(expected):
            if abort_after_beats is not None and stats.beats >= abort_after_beats:
                aborted = True
                break
            if abort_after_inputs is not None and next_input >= abort_after_inputs:
                aborted = True
                break
            if cycle >= stream.max_cycles:
                stats.timed_out = True
                break
            # Drive point (1 ns after a rising edge).
            if not pending and next_input < len(inputs):
                pending = stimulus.offer_input()
            dut.in_valid.value = int(pending)
            dut.in_data.value = inputs[next_input] if next_input < len(inputs) else 0
            ready = stimulus.accept_output()
            dut.out_ready.value = 0
            await Timer(1, unit="ns")
            valid_without_ready = read_bit(dut.out_valid)
            if ready:
                dut.out_ready.value = 1
            await Timer(2, unit="ns")
            # Sample point: what transfers at the next rising edge is decided now.
            cycle += 1
            in_ready = read_bit(dut.in_ready)
            out_valid = read_bit(dut.out_valid)
            if in_ready is None or out_valid is None:
                stats.unknown_control += 1
            if ready and out_valid != valid_without_ready:
                stats.valid_depends_on_ready += 1
            out_valid = out_valid == 1
            in_ready = in_ready == 1
            data = read_words(dut.out_data)
            last = read_bit(dut.out_last)
            if held is not None and (not out_valid or (data, last) != held):
                stats.protocol_violations += 1
            held = (data, last) if out_valid and not ready else None
            if out_valid and not ready:
                stats.output_stall_cycles += 1
            if in_ready and not pending and next_input < len(inputs):
                stats.input_starved_cycles += 1
            if pending and not in_ready:
                stats.input_wait_cycles += 1
            if out_valid and ready:
                self._receive(stream, expected, stats, data, last, cycle)
            if pending and in_ready:
                pending = False
                stats.inputs_accepted += input_words[next_input]
                next_input += 1
                stats.last_input_cycle = cycle
            if cycle % 256 == 0:
                self.session.progress(cycle)
            await RisingEdge(dut.clk)
            await Timer(1, unit="ns")
        if not aborted and not stats.timed_out and drain_cycles > 0:
            dut.in_valid.value = 0
            dut.out_ready.value = 1
            for _ in range(drain_cycles):
                await Timer(3, unit="ns")
                if read_bit(dut.out_valid) == 1:
                    stats.extra_beats += 1
                await RisingEdge(dut.clk)
                await Timer(1, unit="ns")
        dut.in_valid.value = 0
        dut.out_ready.value = 0
        stats.simulated_cycles = cycle
        stats.wall_seconds = time.monotonic() - started
        for sequence in stream.sequences:
            self.session.end_sequence(sequence.id, aborted, stats.as_message())
        self._check_locally(stream, stats, aborted)
        return stats

    def _receive(self, stream, expected_beats, stats, data, last, cycle):
        """One transferred output beat: fault injection, out_last check, its words (one per
        slot, or its elements on a wide stream) checked against their own sequences and reported
        to the bridge."""
        index = stats.beats
        step, step_beat = divmod(index, OUT_BEATS_PER_STEP)
        if bool(last) != (step_beat == OUT_BEATS_PER_STEP - 1):
            stats.last_flag_errors += 1
        if OUT_WORDS > 1:
            # (sequence, lane of the beat, word index in the sequence) of the beat's elements
            first = step_beat * OUT_WORDS
            count = min(OUT_WORDS, design.OUTPUT_SIZE - first)
            first += step * design.OUTPUT_SIZE
            words = [(stream.sequences[0], lane, first + lane) for lane in range(count)]
        else:
            words = [(sequence, sequence.slot, index) for sequence in stream.sequences]
        for sequence, lane, word_index in words:
            word = data[lane]
            bit = self._flips.get(self.words_read)
            if bit is not None and word is not None:
                word = flip_bit(word, bit)
                self.dut._log.warning(
                    "fault injection: flipped bit %d of word %d", bit, self.words_read
                )
            self.words_read += 1
            if index < len(expected_beats):
                expected = expected_beats[index][lane]
                if word != expected:
                    step, element = divmod(word_index, design.OUTPUT_SIZE)
                    slot = f" (slot {sequence.slot})" if BATCH > 1 else ""
                    self.failures.append(
                        f"sequence {sequence.id}{slot} step {step} element {element}: expected "
                        f"{expected}, got {'x' if word is None else word} (cycle {cycle})"
                    )
            self.session.send_word(sequence.id, word_index, word, last, cycle)
        if stats.beats == 0:
            stats.first_output_cycle = cycle
        stats.beats += 1
        stats.outputs += len(words) if OUT_WORDS > 1 else 1
        stats.cycles = cycle

    def _check_locally(self, stream, stats, aborted):
        """The test's own view of a stream (Deno's verdict is the authoritative one)."""
        label = stream_label(stream)
        if stats.timed_out:
            self.failures.append(
                f"{label}: timeout, {stats.outputs} of {stats.expected_outputs} "
                f"words in {stats.simulated_cycles} cycles"
            )
        for name, count in [
            ("held output beats changed before transfer", stats.protocol_violations),
            ("cycles where out_valid depended on out_ready", stats.valid_depends_on_ready),
            ("cycles with x/z on in_ready or out_valid", stats.unknown_control),
            ("beats with a wrong out_last", stats.last_flag_errors),
            ("extra output beats after the last", stats.extra_beats),
        ]:
            if count:
                self.failures.append(f"{label}: {count} {name}")
        self.dut._log.info(
            "%s (%s, %d steps): %d beats%s in %d cycles, %d output-stall cycles",
            label,
            stream.source,
            stream.steps,
            stats.beats,
            " (aborted on purpose)" if aborted else "",
            stats.simulated_cycles,
            stats.output_stall_cycles,
        )

    def finish(self):
        """Get Deno's verdict; fail the test when it or the local checks found a problem."""
        verdict = self.session.end()
        problems = list(verdict["failures"]) or self.failures
        if not verdict["passed"] or self.failures:
            shown = "\n  ".join(problems[:10])
            raise AssertionError(f"{self.test} failed ({len(problems)} problems):\n  {shown}")

    def close(self):
        """Close the bridge session."""
        self.session.close()


def bench_test(body):
    """A cocotb test named after ``body``: start the test bench, run ``await body(bench)``, get
    Deno's verdict (``finish``) and always close the bridge session. Every test here is one."""

    async def run(dut):
        bench = await TestBench.start(dut, body.__name__)
        try:
            await body(bench)
            bench.finish()
        finally:
            bench.close()

    run.__name__ = body.__name__
    run.__qualname__ = body.__qualname__
    run.__doc__ = body.__doc__
    return cocotb.test()(run)


@bench_test
async def test_sequence(bench):
    """The run's input sequence with the run's back-pressure; cycles go to result.json."""
    plan = bench.request(MAIN)
    run = plan.stimulus
    stimulus = bench.stimulus(run["backpressure"], run["inputGaps"], "main")
    await bench.reset(INITIAL_RESET_CYCLES)
    await bench.stream(plan.streams[0], stimulus, drain_cycles=DRAIN_CYCLES)


@bench_test
async def test_random_backpressure(bench):
    """Random valid/ready on both streams, then a congested output (out_ready mostly low)."""
    both = bench.stimulus(output_stall=0.5, input_gap=0.5, name="both")
    congested = bench.stimulus(output_stall=0.85, input_gap=0.0, name="congested")
    (first,) = bench.request(random_sequence(3), stimulus=both).streams
    (second,) = bench.request(random_sequence(2), stimulus=congested).streams
    await bench.reset(INITIAL_RESET_CYCLES)
    await bench.stream(first, both, drain_cycles=DRAIN_CYCLES)
    await bench.reset(RESET_CYCLES)
    await bench.stream(second, congested, drain_cycles=DRAIN_CYCLES)


@bench_test
async def test_reset_mid_sequence(bench):
    """Reset while output words are in flight, and while a step's inputs are half taken; each
    following sequence must come out exactly as from a fresh accelerator."""
    stimulus = bench.stimulus(output_stall=0.3, input_gap=0.2, name="reset")
    cut_outputs, cut_inputs, clean = bench.request(
        random_sequence(3), random_sequence(3), random_sequence(2), stimulus=stimulus
    ).streams
    await bench.reset(INITIAL_RESET_CYCLES)
    # In the middle of the second step's output beats (the third step is being computed).
    middle_of_step = OUT_BEATS_PER_STEP + max(1, OUT_BEATS_PER_STEP // 2)
    await bench.stream(cut_outputs, stimulus, abort_after_beats=middle_of_step)
    await bench.reset(RESET_CYCLES)
    # Half-way through the second step's input beats (the first step is being computed).
    await bench.stream(
        cut_inputs, stimulus, abort_after_inputs=IN_BEATS_PER_STEP + IN_BEATS_PER_STEP // 2
    )
    await bench.reset(RESET_CYCLES)
    await bench.stream(clean, stimulus, drain_cycles=DRAIN_CYCLES)


@bench_test
async def test_back_to_back(bench):
    """Sequences of 1, 2 and 3 steps, each followed at once by a minimal reset and the next."""
    stimulus = bench.stimulus(output_stall=0.2, input_gap=0.0, name="back-to-back")
    streams = bench.request(
        random_sequence(1), random_sequence(2), random_sequence(3), stimulus=stimulus
    ).streams
    await bench.reset(INITIAL_RESET_CYCLES)
    for number, stream in enumerate(streams):
        if number > 0:
            await bench.reset(RESET_CYCLES)
        await bench.stream(stream, stimulus)
