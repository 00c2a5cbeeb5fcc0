"""Self-checks for 05_streaming: rebuild a stream's text and stop_reason, and its tool inputs, from raw events.

Each check runs the learner's function over the notebook's recorded streams (including the one that fails
midway) and a few made-up ones that hold the cases real streams throw at a parser: several blocks, `ping`,
an event type the parser has never seen, a tool called without arguments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..config import RECORDINGS_DIR
from ..gateway.recordings import load_recording
from ..models import OPUS
from . import Result, result, unfilled

__all__ = ["streams", "check_final_text", "check_tool_inputs", "reference_final_text", "reference_tool_inputs"]

RECORDING = "05_streaming"
# Recorded streams the checks replay, by the name feedback uses.
_RECORDED = {
    "the primer's stream": "primer stream (messages.stream)",
    "the tool-use stream": "streamed tool call",
    "the stream that failed midway": "stream overloaded midway",
    "the web endpoint's stream": "web endpoint re-streams",
    "the adaptive thinking stream": "adaptive thinking stream, leading text block",
}


def _delta(index: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}}


def _start() -> list[dict[str, Any]]:
    usage = {"input_tokens": 20, "output_tokens": 1}
    msg = {
        "id": "msg_made_up",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": OPUS,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return [{"type": "message_start", "message": msg}]


def _end(stop_reason: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": 40},
        },
        {"type": "message_stop"},
    ]


def _made_up() -> dict[str, list[dict[str, Any]]]:
    """Small streams with the awkward cases, written for the checks."""
    two_blocks = (
        _start()
        + [
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            {"type": "ping"},
            _delta(0, "text_delta", text="First block. "),
            {"type": "content_block_stop", "index": 0},
            {"type": "future_event", "detail": "clients must ignore event types they do not know"},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
            _delta(1, "text_delta", text="Second "),
            _delta(1, "text_delta", text="block."),
            {"type": "content_block_stop", "index": 1},
        ]
        + _end("max_tokens")
    )
    tool = {"type": "tool_use", "id": "toolu_made_up", "input": {}}
    two_tools = (
        _start()
        + [
            {"type": "content_block_start", "index": 0, "content_block": dict(tool, name="get_weather")},
            _delta(0, "input_json_delta", partial_json=""),
            _delta(0, "input_json_delta", partial_json='{"city": "Lon'),
            _delta(0, "input_json_delta", partial_json='don"}'),
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1, "content_block": dict(tool, name="get_time")},
            _delta(1, "input_json_delta", partial_json=""),
            {"type": "content_block_stop", "index": 1},
        ]
        + _end("tool_use")
    )
    # Thinking first, then the answer (the event shapes of a real capture,
    # tests/fixtures/real/stream_thinking_sonnet_4_6.json): thinking_delta text is not the answer.
    thinking = (
        _start()
        + [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
            _delta(0, "thinking_delta", thinking="The user wants a short greeting. "),
            _delta(0, "signature_delta", signature="c2lnbmF0dXJlIG9mIGEgbWFkZS11cCBzdHJlYW0="),
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
            _delta(1, "text_delta", text="Hello there."),
            {"type": "content_block_stop", "index": 1},
        ]
        + _end("end_turn")
    )
    return {
        "a made-up stream that thinks before it answers": thinking,
        "a made-up stream with two text blocks, a ping and an unknown event": two_blocks,
        "a made-up stream with two tool calls, the second without arguments": two_tools,
    }


def streams() -> dict[str, list[dict[str, Any]]]:
    """Name -> list of raw events (the JSON of each SSE `data:` line), recorded and made up."""
    rec = load_recording(RECORDINGS_DIR / f"{RECORDING}.json")
    by_label = {ex.label: ex for ex in rec.exchanges}
    out = {name: [ev["data"] for ev in by_label[label].response.events or []] for name, label in _RECORDED.items()}
    out.update(_made_up())
    return out


def reference_final_text(events: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The answer the check expects: every text_delta joined; stop_reason from message_delta, else None."""
    text, stop = "", None
    for ev in events:
        if ev.get("type") == "content_block_delta" and ev["delta"].get("type") == "text_delta":
            text += ev["delta"]["text"]
        elif ev.get("type") == "message_delta":
            stop = ev["delta"].get("stop_reason")
    return text, stop


def reference_tool_inputs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer the check expects: each tool_use block's input, parsed from its joined fragments."""
    parts: dict[int, str] = {}
    for ev in events:
        if ev.get("type") == "content_block_start" and ev["content_block"].get("type") == "tool_use":
            parts[ev["index"]] = ""
        # Only blocks registered above: a server_tool_use block (web search) streams input_json_delta too
        # (anthropic/lib/streaming/_messages.py, TRACKS_TOOL_INPUT), and is not a tool your code runs.
        elif (
            ev.get("type") == "content_block_delta"
            and ev["delta"].get("type") == "input_json_delta"
            and ev["index"] in parts
        ):
            parts[ev["index"]] += ev["delta"]["partial_json"]
    return [json.loads(raw) if raw else {} for _, raw in sorted(parts.items())]


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _call(fn: Callable[..., Any], events: list[dict[str, Any]], name: str) -> tuple[Any, str | None]:
    try:
        return fn([dict(ev) for ev in events]), None  # copies: a function that mutates cannot spoil the next case
    except Exception as e:  # the learner's code: report any failure as feedback, never a traceback
        return None, f"On {name} your function raised {type(e).__name__}: {e}"


def _not_a_function(fn: Any, what: str) -> list[str] | None:
    if unfilled(fn):
        return [f"Replace ... with your function ({what})."]
    if not callable(fn):
        return [f"Pass the function itself (its name, no parentheses), not {type(fn).__name__} {_short(fn)}."]
    return None


def check_final_text(fn: Any) -> Result:
    """Exercise 1: fn(events) -> (text, stop_reason), over recorded and made-up streams."""
    title = "Your final_text"
    early = _not_a_function(fn, "final_text(events) -> (text, stop_reason)")
    if early:
        return result(title, early)
    problems: list[str] = []
    for name, events in streams().items():
        got, error = _call(fn, events, name)
        if error:
            hint = ""
            if "KeyError" in error and "text" in error:
                hint = " Not every delta has text: check delta['type'] == 'text_delta' first."
            problems.append(error + "." + hint)
            continue
        want_text, want_stop = reference_final_text(events)
        if got is None:
            problems.append("Your function returned None: fill in its body and return (text, stop_reason).")
            break
        if not isinstance(got, tuple) or len(got) != 2:
            problems.append(f"Return a pair (text, stop_reason); on {name} you returned {_short(got)}.")
            break
        text, stop = got
        if text != want_text:
            if text == "":
                problems.append(
                    f"On {name} you returned no text: add delta['text'] of every content_block_delta "
                    "whose delta type is 'text_delta'."
                )
            elif isinstance(text, str) and want_text.startswith(text):
                problems.append(
                    f"On {name} the text stops early ({len(text)} of {len(want_text)} characters): "
                    "keep reading past content_block_stop, to the end of the stream."
                )
            elif isinstance(text, str) and "thinks" in name and "The user wants" in text:
                problems.append(
                    f"On {name} the text contains the thinking: thinking_delta is the model's reasoning, "
                    "not the answer; take only text_delta."
                )
            elif isinstance(text, str) and '"' in text and "{" in text and name.startswith("the tool-use"):
                problems.append(
                    f"On {name} the text contains JSON: input_json_delta fragments are tool input, "
                    "not text; take only text_delta."
                )
            else:
                problems.append(
                    f"On {name} the text should start {_short(want_text[:40])} "
                    f"({len(want_text)} characters); you returned {_short(text)}."
                )
        if stop != want_stop:
            if want_stop is None:
                problems.append(
                    f"On {name} stop_reason should be None: it broke with an error event before "
                    f"any message_delta, so there is no stop reason; you returned {stop!r}."
                )
            else:
                problems.append(
                    f"On {name} stop_reason should be {want_stop!r} (from the message_delta event's "
                    f"delta), you returned {stop!r}."
                )
    return result(title, problems, "It reads every recorded stream, including the one that failed midway.")


def check_tool_inputs(fn: Any) -> Result:
    """Exercise 2: fn(events) -> list of tool inputs (dicts) in block order, over recorded and made-up streams."""
    title = "Your tool_inputs"
    early = _not_a_function(fn, "tool_inputs(events) -> a list of dicts")
    if early:
        return result(title, early)
    problems: list[str] = []
    for name, events in streams().items():
        got, error = _call(fn, events, name)
        if error:
            hint = ""
            if "JSONDecodeError" in error or "Expecting value" in error:
                hint = (
                    " Parse only once a block's fragments are all joined; a tool called without arguments "
                    "sends just '' (read it as {})."
                )
            problems.append(error + "." + hint)
            continue
        want = reference_tool_inputs(events)
        if got is None:
            problems.append("Your function returned None: fill in its body and return a list of dicts.")
            break
        if not isinstance(got, list):
            problems.append(f"Return a list (one dict per tool call); on {name} you returned {_short(got)}.")
            break
        if got != want:
            if any(isinstance(x, str) for x in got):
                problems.append(f"On {name} you returned strings {_short(got)}: json.loads the joined fragments.")
            else:
                problems.append(f"On {name} expected {_short(want)}, you returned {_short(got)}.")
    return result(title, problems, "Each tool call's fragments are joined per block, then parsed once.")
