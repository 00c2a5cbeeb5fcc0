"""Authored recording for 05_streaming: the primer's streaming request (six times: SDK helper, cURL, raw
events, timed, cancelled, async client), a streamed tool call, a stream that fails midway with an `error`
event (twice, then succeeds on retry) and the request a small web endpoint re-streams to a browser.

Streams are paced like a real one: the first text after a few hundred milliseconds, then a steady rate.
"""

import base64
import hashlib

from authoring import PRIMER_WEATHER_TOOLS, make_id, message, recording, stream_events, stream_exchange, tool_use

from helpers.bill import VERBATIM
from helpers.models import OPUS, PRIMER_OPUS

PRIMER = {
    "model": OPUS,
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Please explain quantum computing in detail."}],
    "stream": True,
}

QUANTUM = """Quantum computing is a way of processing information that uses the rules of quantum mechanics \
instead of the on/off logic of ordinary transistors. Here is a tour of the main ideas.

**1. Qubits instead of bits**

A classical bit is either 0 or 1. A quantum bit, or qubit, can be in a superposition: a weighted \
combination of 0 and 1 described by two numbers called amplitudes. When you measure a qubit you always get \
a plain 0 or 1, with probabilities set by the size of those amplitudes. Before the measurement, though, the \
amplitudes can be transformed in ways that have no classical counterpart.

**2. Entanglement**

Two or more qubits can be entangled, which means their joint state cannot be described one qubit at a \
time. A register of n qubits is described by 2^n amplitudes, so 50 qubits already involve more numbers \
than a laptop can store. That is not free storage: measuring the register still gives back only n bits.

**3. Interference: where the speed-up comes from**

A quantum algorithm is a sequence of gates that rotate amplitudes. The art is to arrange them so that the \
amplitudes leading to wrong answers cancel out and those leading to right answers add up, much like waves \
on water. When that works, a measurement at the end returns a useful answer with high probability.

**4. What it is good for**

- **Factoring:** Shor's algorithm would break RSA and elliptic-curve cryptography on a large enough \
machine, which is why post-quantum cryptography is being rolled out today.
- **Search:** Grover's algorithm finds a marked item among N in about the square root of N steps.
- **Simulating nature:** molecules and materials are quantum systems themselves, so chemistry and \
materials science are among the most promising uses.

For everyday work such as spreadsheets, web servers or video, a quantum computer offers no advantage.

**5. How qubits are built**

Leading approaches include superconducting circuits cooled to a few thousandths of a degree above absolute \
zero, trapped ions held in electromagnetic fields, neutral atoms arranged by laser tweezers, and photons \
travelling through optical chips. Each trades off speed, connectivity and error rates differently.

**6. The hard part: noise**

Qubits lose their quantum state through tiny interactions with their surroundings, a process called \
decoherence, and every gate adds a little error. Quantum error correction spreads one logical qubit across \
many physical ones so that errors can be detected and fixed, but it takes hundreds to thousands of physical \
qubits per reliable logical qubit. Reaching that scale is the central engineering challenge of the field.

**In short:** quantum computers are not faster versions of today's computers. They are a different kind of \
machine that excels at a narrow but important set of problems, and the race now is to make them large and \
reliable enough to solve those problems in practice."""

TOOLS = PRIMER_WEATHER_TOOLS

WEATHER = {
    "model": OPUS,
    "max_tokens": 1024,
    "tools": TOOLS,
    "messages": [{"role": "user", "content": "What is the weather like in Tokyo today?"}],
    "stream": True,
}

QUBIT = {
    "model": OPUS,
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Please explain how a qubit differs from a classical bit."}],
    "stream": True,
}

QUBIT_ANSWER = (
    "A classical bit is always in exactly one of two states, 0 or 1. A qubit can be in a superposition of "
    "both, described by two amplitudes that set the odds of reading 0 or 1 when you measure it. Measuring "
    "forces it to pick one, so you never read the amplitudes directly.\n\n"
    "Qubits can also be entangled: the state of several qubits then has to be described as a whole rather "
    "than one qubit at a time. Quantum algorithms use superposition and entanglement, together with "
    "interference between amplitudes, so that wrong answers cancel out and right ones reinforce each other.\n\n"
    "The price is fragility. A qubit's state is easily disturbed by its surroundings, so real quantum "
    "computers need careful shielding and error correction."
)

WEB = {
    "model": OPUS,
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "In two sentences, why do chat apps stream their answers?"}],
    "stream": True,
}

WEB_ANSWER = (
    "Streaming lets an app show the first words within a fraction of a second instead of leaving the user "
    "watching a spinner until the whole reply is ready. The total time is about the same, but the wait feels "
    "much shorter, and the user can start reading, or stop a reply that is going the wrong way, far sooner."
)

OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def failed_stream(label: str, request: dict, text: str, deltas: int) -> dict:
    """A stream that breaks after `deltas` text deltas with an `error` event (HTTP status stays 200)."""
    msg = message(request, text, seed=label)
    events, seen = [], 0
    for ev in stream_events(msg):
        if ev["event"] == "content_block_delta":
            if seen == deltas:
                # The overload arrives where the next piece of text would have.
                events.append({"at": ev["at"], "event": "error", "data": OVERLOADED})
                break
            seen += 1
        events.append(ev)
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": request},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream; charset=utf-8"}, "events": events},
    }


# Adaptive thinking on Opus 4.6, streamed: as in a real capture (simonw/llm-anthropic, February 2026), the
# answer starts with a text block of "\n\n" before its thinking block, so content[0] is neither the thinking
# nor the answer. final_text (exercise 1) meets this stream.
ADAPTIVE = {
    "model": OPUS,
    "max_tokens": 4096,
    "thinking": {"type": "adaptive"},
    "messages": [{"role": "user", "content": "In one sentence: why does a stream send a ping?"}],
    "stream": True,
}
ADAPTIVE_THINKING = "A ping keeps an idle connection from being closed by proxies; one sentence is enough."
ADAPTIVE_ANSWER = "A ping is a small keep-alive event that tells proxies and clients the connection is still open."


def adaptive_content() -> list[dict]:
    raw = b"".join(hashlib.sha256(f"primer-05:adaptive:{i}".encode()).digest() for i in range(8))
    return [
        {"type": "text", "text": "\n\n"},
        {"type": "thinking", "thinking": ADAPTIVE_THINKING, "signature": base64.b64encode(raw).decode()},
        {"type": "text", "text": ADAPTIVE_ANSWER},
    ]


def build():
    weather_call = [
        {"type": "text", "text": "I'll check the current weather in Tokyo for you."},
        tool_use(make_id("toolu_", "streamed weather call"), "get_weather", {"city": "Tokyo", "unit": "celsius"}),
    ]
    return recording(
        [
            # Identical requests are served in recorded order: the notebook sends this one six times.
            stream_exchange("primer stream (messages.stream)", PRIMER, QUANTUM),
            stream_exchange("primer stream on the wire (cURL)", PRIMER, QUANTUM, first_token=0.52),
            stream_exchange("primer stream as raw events (stream=True)", PRIMER, QUANTUM, first_token=0.41),
            stream_exchange("primer stream timed with perf_counter", PRIMER, QUANTUM, first_token=0.46),
            # The reader stops after a few pieces; the recording holds the whole answer the API would have sent.
            stream_exchange("primer stream cancelled by the reader", PRIMER, QUANTUM, first_token=0.44),
            stream_exchange("primer stream with the async client", PRIMER, QUANTUM, first_token=0.48),
            stream_exchange("streamed tool call", WEATHER, weather_call, stop_reason="tool_use", first_token=0.6),
            failed_stream("stream overloaded midway", QUBIT, QUBIT_ANSWER, 14),
            failed_stream("stream overloaded midway again", QUBIT, QUBIT_ANSWER, 6),
            stream_exchange("stream succeeds on retry", QUBIT, QUBIT_ANSWER, first_token=0.39),
            stream_exchange("web endpoint re-streams", WEB, WEB_ANSWER, first_token=0.42),
            stream_exchange("adaptive thinking stream, leading text block", ADAPTIVE, adaptive_content()),
            # The primer's own code, verbatim (claude-opus-4-6, legacy): only tests/test_primer_verbatim.py sends
            # it, no notebook cell, so the VERBATIM suffix keeps it out of the course's bill.
            stream_exchange(f"primer stream{VERBATIM}", {**PRIMER, "model": PRIMER_OPUS}, QUANTUM),
        ],
        models=[OPUS, PRIMER_OPUS],
        note="The overloaded streams are cut with an `error` event where the next text would have been.",
    )
