"""Client side of the rnnfab cocotb bridge (protocol version 2, see docs/cocotb.md).

`deno task sim --design DIR --cocotb` starts a WebSocket server in Deno that holds the input
sequences and the golden outputs of the fixed-point model, and runs this test bench with the URL in
the environment variable RNNFAB_BRIDGE_URL. Each cocotb test opens one session:

    session = BridgeSession.open("test_name")      # hello -> welcome
    plan = session.request([MAIN])                  # request -> plan (inputs and expected words)
    for stream in plan.streams: ...                 # the B sequences of a batch design's beats
    session.send_word(sequence_id, index, value, last, cycle)   # every DUT output word
    session.end_sequence(sequence_id, aborted, stats)
    verdict = session.end()                         # end -> verdict (Deno's bit-for-bit check)

Every wait for the server is bounded (RNNFAB_BRIDGE_TIMEOUT seconds, default 30), and a closed
connection raises BridgeError at once, so a lost bridge ends the test with a clear message instead
of a hang.
"""

import json
import os
import time

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

#: Version of the message protocol this client speaks; the server refuses any other.
PROTOCOL_VERSION = 2

#: Sequence request: the run's own input sequence (`--input FILE` or `--steps/--seed`).
MAIN = {"source": "main"}


def random_sequence(steps):
    """Sequence request: `steps` random input steps chosen (deterministically) by the bridge."""
    return {"source": "random", "steps": int(steps)}


def given_sequence(inputs):
    """Sequence request: real-valued inputs given here (T lists of inputSize numbers)."""
    return {"source": "inputs", "inputs": [[float(x) for x in step] for step in inputs]}


class BridgeError(Exception):
    """The bridge refused a request, did not answer in time, or the connection was lost."""


class Sequence:
    """One input sequence of a plan, with the golden output words the DUT must produce."""

    def __init__(self, message):
        #: Id of the sequence within the session (used in `send_word`).
        self.id = message["id"]
        #: Its slot in the stream beats, its sequence tag: in_data/out_data bits
        #: [slot * ACTIVATION_BITS, (slot + 1) * ACTIVATION_BITS) (0 without batch).
        self.slot = message["slot"]
        #: Id of the slot-0 sequence of the stream it shares with the other slots.
        self.stream = message["stream"]
        #: Where the inputs came from ("main", "random" or "inputs").
        self.source = message["source"]
        #: Quantized inputs, T lists of inputSize integers (activation format).
        self.inputs = message["inputs"]
        #: Golden outputs, T lists of outputSize integers (activation format).
        self.expected = message["expected"]
        #: Simulated cycles after which streaming this sequence gives up (a hung DUT).
        self.max_cycles = message["maxCycles"]

    @property
    def steps(self):
        """Number of time steps."""
        return len(self.inputs)

    def input_words(self):
        """The input words in streaming order (step by step, element by element)."""
        return [word for step in self.inputs for word in step]

    def expected_words(self):
        """The golden output words in streaming order."""
        return [word for step in self.expected for word in step]


class Stream:
    """The sequences that share one stream: one per slot of the beats of a batch design
    (`gen --batch B`: beat word s is sequence s's), a single sequence without batch."""

    def __init__(self, sequences):
        #: The sequences in slot order.
        self.sequences = sorted(sequences, key=lambda sequence: sequence.slot)
        #: Id of the slot-0 sequence.
        self.id = self.sequences[0].id
        #: Where the inputs came from.
        self.source = self.sequences[0].source
        #: Simulated cycles after which streaming gives up (a hung DUT).
        self.max_cycles = self.sequences[0].max_cycles

    @property
    def batch(self):
        """Sequences per beat."""
        return len(self.sequences)

    @property
    def steps(self):
        """Number of time steps (the same for every slot)."""
        return self.sequences[0].steps

    def input_beats(self, words=1):
        """The input beats in streaming order: per beat, one word per slot (slot order); with
        `words` > 1 (a wide input stream, batch 1) the next `words` elements of the step, its
        last beat only the elements left."""
        if words > 1:
            return _step_beats(self.sequences[0].inputs, words)
        return list(zip(*(sequence.input_words() for sequence in self.sequences)))

    def expected_beats(self, words=1):
        """The golden output beats in streaming order: per beat, one word per slot; with `words`
        > 1 (a wide output stream, batch 1) the next `words` elements of the step, its last beat
        only the elements left."""
        if words > 1:
            return _step_beats(self.sequences[0].expected, words)
        return list(zip(*(sequence.expected_words() for sequence in self.sequences)))


def _step_beats(steps, words):
    """Every step's elements in beats of `words` (a step's last beat holds the rest)."""
    return [
        tuple(step[first : first + words]) for step in steps for first in range(0, len(step), words)
    ]


class Plan:
    """The server's answer to `request`: sequences and the stimulus the run asked for."""

    def __init__(self, message):
        #: The requested sequences, in request order (B per request on a batch design).
        self.sequences = [Sequence(s) for s in message["sequences"]]
        #: The streams, one per requested sequence spec, in request order.
        self.streams = [
            Stream([s for s in self.sequences if s.stream == stream])
            for stream in dict.fromkeys(s.stream for s in self.sequences)
        ]
        #: The run's stimulus settings: backpressure, inputGaps, seed.
        self.stimulus = message["stimulus"]


class BridgeSession:
    """One test's connection to the bridge. Use `BridgeSession.open(test_name)`."""

    def __init__(self, connection, test, welcome, reply_timeout):
        self._connection = connection
        self._reply_timeout = reply_timeout
        self._last_progress = time.monotonic()
        #: Name of the test this session belongs to.
        self.test = test
        #: The server's welcome: design, stimulus, seed, fault injection.
        self.welcome = welcome

    @classmethod
    def open(cls, test, client_info=None, url=None, reply_timeout=None):
        """Connect to the bridge and introduce this test; returns the session."""
        url = url or os.environ.get("RNNFAB_BRIDGE_URL")
        if not url:
            raise BridgeError(
                "RNNFAB_BRIDGE_URL is not set: run this test bench with "
                "`deno task sim --design DIR --cocotb`, which starts the bridge"
            )
        if reply_timeout is None:
            reply_timeout = float(os.environ.get("RNNFAB_BRIDGE_TIMEOUT", "30"))
        try:
            connection = connect(
                url,
                open_timeout=reply_timeout,
                close_timeout=2,
                ping_interval=None,
                compression=None,
                proxy=None,
                max_size=64 * 1024 * 1024,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise BridgeError(f"cannot connect to the rnnfab bridge at {url}: {error}") from None
        session = cls(connection, test, None, reply_timeout)
        session._send(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "test": test,
                "client": client_info or {},
            }
        )
        session.welcome = session._receive("welcome")
        return session

    def request(self, specs):
        """Ask for input sequences (MAIN, random_sequence(n), given_sequence(x)); returns a Plan."""
        self._send({"type": "request", "sequences": list(specs)})
        return Plan(self._receive("plan"))

    def send_word(self, sequence, index, value, last, cycle):
        """Report one output word of the DUT (value None when it had x/z bits)."""
        self._send(
            {
                "type": "word",
                "sequence": sequence,
                "index": index,
                "value": value,
                "last": bool(last),
                "cycle": cycle,
            }
        )
        self._last_progress = time.monotonic()

    def progress(self, cycle, every_seconds=2.0):
        """Tell the bridge the simulation is alive (at most every `every_seconds` of wall time)."""
        now = time.monotonic()
        if now - self._last_progress >= every_seconds:
            self._send({"type": "progress", "cycle": cycle})
            self._last_progress = now

    def end_sequence(self, sequence, aborted, stats):
        """Close a sequence: `aborted` when a reset cut it short on purpose; `stats` counters."""
        self._send({"type": "sequence_end", "sequence": sequence, "aborted": aborted, "stats": stats})

    def end(self):
        """Finish the test; returns the server's verdict {passed, failures, mismatches, ...}."""
        self._send({"type": "end"})
        return self._receive("verdict")

    def close(self):
        """Close the connection (safe to call twice)."""
        try:
            self._connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the error
            pass

    def _send(self, message):
        try:
            self._connection.send(json.dumps(message))
        except ConnectionClosed as closed:
            raise BridgeError(f"lost connection to the rnnfab bridge ({_why(closed)})") from None

    def _receive(self, expected_type):
        try:
            text = self._connection.recv(timeout=self._reply_timeout)
        except TimeoutError:
            raise BridgeError(
                f"the rnnfab bridge sent no '{expected_type}' within {self._reply_timeout:g} s"
            ) from None
        except ConnectionClosed as closed:
            raise BridgeError(f"lost connection to the rnnfab bridge ({_why(closed)})") from None
        message = json.loads(text)
        if message.get("type") == "error":
            raise BridgeError(f"the rnnfab bridge refused: {message.get('message')}")
        if message.get("type") != expected_type:
            raise BridgeError(
                f"the rnnfab bridge sent '{message.get('type')}' where '{expected_type}' was due"
            )
        return message


def _why(closed):
    """A short description of a closed connection."""
    frame = closed.rcvd or closed.sent
    if frame is None:
        return "the connection closed without a close frame"
    return f"closed with code {frame.code}" + (f": {frame.reason}" if frame.reason else "")
