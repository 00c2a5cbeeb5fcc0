"""The authored recordings have the shape of the real API's answers (tests/fixtures/real/, see its README).

Shapes, not values: every key path an authored answer uses must exist in a real capture of the same kind with the
same JSON type, every key the 2026 captures always carry must be there too, SSE events must come in the real
order, and headers must be the set the API sends. Kinds: message JSON (also the message inside a batch result
line), stream events, error answers; batch objects and batch result envelopes, for which no public capture with a
nameable source was found, are compared with the SDK's types instead; so are citations on text blocks and an error's
`details` (SDK 2.17), which no capture in tests/fixtures/real/ holds.
"""

from __future__ import annotations

import copy
import http.client
import json
import re
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import TextCitation
from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse
from anthropic.types.shared import ErrorDetails
from pydantic import TypeAdapter, ValidationError

from helpers.config import RECORDINGS_DIR
from helpers.gateway import Gateway
from helpers.gateway.recordings import load_recordings

REAL = Path(__file__).parent / "fixtures" / "real"
FREE_FORM = {"input"}  # tool input: the tool's own keys
TYPED = {"content_block", "delta"}
# Types the SDK allows that the captures happen not to show: a stop_sequence that matched is its string.
ALSO = {"stop_sequence": {"string"}}
Shape = dict[str, set[str]]


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(v)]


def shape(value: Any, path: str = "$", out: Shape | None = None, typed: bool = False) -> Shape:
    """path -> JSON types. List items are `[]`; a content block or delta (a list item or a `content_block` or
    `delta` value with a string `type`) adds `<type>` to its path, since each block type has its own keys."""
    out = {} if out is None else out
    out.setdefault(path, set()).add(_kind(value))
    if isinstance(value, dict):
        if typed and isinstance(value.get("type"), str):
            path = f"{path}<{value['type']}>"
            out.setdefault(path, set()).add("object")
        for k, v in value.items():
            if k not in FREE_FORM:
                shape(v, f"{path}.{k}", out, typed=k in TYPED)
    elif isinstance(value, list):
        for v in value:
            shape(v, f"{path}[]", out, typed=True)
    return out


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0]


def _load(prefix: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(REAL.glob(f"{prefix}*.json"))]


def _event_shape(ev: dict[str, Any]) -> Shape:
    return shape(ev["data"], ev["event"])


class Reference:
    """What real captures of one kind allow (union of all) and require (present in every 2026 capture)."""

    def __init__(self, shapes: list[Shape], required_from: list[Shape]) -> None:
        self.allowed: Shape = {}
        for s in shapes:
            for p, t in s.items():
                self.allowed.setdefault(p, set()).update(t)
        for p in self.allowed:
            self.allowed[p] |= ALSO.get(p.rsplit(".", 1)[-1], set())
        self.required = set()
        for s in required_from:
            for p in s:
                if p.endswith(">"):
                    continue  # one block or delta type among others, not a key
                if all(p in o for o in required_from if _parent(p) in o):
                    self.required.add(p)

    def problems(self, authored: Shape, where: str) -> list[str]:
        out = []
        for p, types in authored.items():
            if _parent(p) in self.allowed and p not in self.allowed and p != "$":
                out.append(f"{where}: {p} is not in any real capture")
            elif p in self.allowed and not types <= self.allowed[p]:
                out.append(f"{where}: {p} is {sorted(types)}, real captures have {sorted(self.allowed[p])}")
        for p in self.required:
            if _parent(p) in authored and p not in authored:
                out.append(f"{where}: {p} is missing (every 2026 capture has it)")
        return out


MESSAGES = _load("message_")
STREAMS = _load("stream_")
ERRORS = _load("error_")
MESSAGE_REF = Reference([shape(f["body"]) for f in MESSAGES], [shape(f["body"]) for f in MESSAGES])


def _stream_shapes(fixtures: list[dict[str, Any]]) -> list[Shape]:
    out = []
    for f in fixtures:
        s: Shape = {}
        for ev in f["events"]:
            for p, t in _event_shape(ev).items():
                s.setdefault(p, set()).update(t)
        out.append(s)
    return out


STREAM_REF = Reference(_stream_shapes(STREAMS), _stream_shapes([f for f in STREAMS if f.get("generation") == 2026]))
ERROR_REF = Reference(
    [shape(f["body"]) for f in ERRORS], [shape(f["body"]) for f in ERRORS if "request_id" in f["body"]]
)

# message_start, then blocks (start, deltas with pings among them, stop), then message_delta and message_stop.
_CODES = {
    "message_start": "S",
    "content_block_start": "B",
    "content_block_delta": "D",
    "content_block_stop": "E",
    "message_delta": "M",
    "message_stop": "Z",
    "ping": "P",
    "error": "X",
}
STREAM_ORDER = re.compile(r"SP?(BP?[DP]*E)*MZ")
CUT_ORDER = re.compile(r"SP?(BP?[DP]*E)*(BP?[DP]*)?X")  # an `error` event ends a stream early


def order(events: list[dict[str, Any]]) -> str:
    return "".join(_CODES[e["event"]] for e in events)


def stream_problems(events: list[dict[str, Any]], where: str) -> list[str]:
    out = []
    seq = order(events)
    if not (STREAM_ORDER.fullmatch(seq) or CUT_ORDER.fullmatch(seq)):
        out.append(f"{where}: event order {seq} is not the API's")
    for ev in events:
        if ev["event"] != "error":
            out += STREAM_REF.problems(_event_shape(ev), where)
    start = events[0]["data"]["message"]
    for ev in events:
        if ev["event"] == "message_delta" and ("stop_details" in start) != ("stop_details" in ev["data"]["delta"]):
            out.append(f"{where}: message_delta.delta.stop_details must appear exactly when message_start has it")
        if ev["event"] == "content_block_start" and ev["data"]["content_block"]["type"] == "thinking":
            deltas = [
                e["data"]["delta"]["type"]
                for e in events
                if e["event"] == "content_block_delta" and e["data"]["index"] == ev["data"]["index"]
            ]
            if not deltas or deltas[-1] != "signature_delta" or "signature_delta" in deltas[:-1]:
                out.append(f"{where}: a thinking block's deltas must end with one signature_delta")
    return out


def header_problems(resp: dict[str, Any], where: str) -> list[str]:
    names = set(resp.get("headers", {}))
    out = []
    if "request-id" not in names:
        out.append(f"{where}: no request-id header")
    status = resp["status"]
    if status >= 400:
        want = "true" if status in (408, 409, 429) or status >= 500 else "false"
        if resp["headers"].get("x-should-retry") != want:
            out.append(f"{where}: x-should-retry should be {want} on a {status}")
    elif "x-should-retry" in names:
        out.append(f"{where}: x-should-retry on a {status} (the API sends it on errors)")
    real = REAL_HEADERS.get(401 if status == 401 else 200)
    limits = {n for n in names if n.startswith("anthropic-ratelimit-")}
    if real is not None and limits != {n for n in real if n.startswith("anthropic-ratelimit-")}:
        out.append(f"{where}: rate-limit headers {sorted(limits)} differ from the real set")
    return out


REAL_HEADERS = {
    200: set(next(f["headers"] for f in MESSAGES if "request-id" in f["headers"])),
    401: set(next(f["headers"] for f in ERRORS if f["status"] == 401)),
}


def exchanges() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(RECORDINGS_DIR.glob("*.json")):
        for ex in json.loads(path.read_text(encoding="utf-8"))["exchanges"]:
            out.append((f"{path.stem} / {ex.get('label', '?')}", ex))
    return out


def _sdk_checked(body: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    """The body without its citations and error details, and what the SDK's types say is wrong with those."""
    body, out = copy.deepcopy(body), []
    checks = [(c, TextCitation) for b in body.get("content") or [] for c in (b.pop("citations", None) or [])]
    if isinstance(body.get("error"), dict) and "details" in body["error"]:
        checks.append((body["error"].pop("details"), ErrorDetails))
    for value, kind in checks:
        try:
            model = TypeAdapter(kind).validate_python(value)
        except ValidationError as e:
            out.append(f"{where}: {str(value)[:60]} is not an SDK {kind}: {e.errors()[0]['msg']}")
            continue
        extra = set(value) - set(type(model).model_fields)
        if extra:
            out.append(f"{where}: {sorted(extra)} are not fields of the SDK's {type(model).__name__}")
    return body, out


def exchange_problems(where: str, ex: dict[str, Any]) -> list[str]:
    resp = ex["response"]
    out = header_problems(resp, where)
    body = resp.get("body")
    if isinstance(body, dict):
        body, sdk_problems = _sdk_checked(body, where)
        out += sdk_problems
    if resp.get("events") is not None:
        out += stream_problems(resp["events"], where)
    elif isinstance(body, dict) and body.get("type") == "message":
        out += MESSAGE_REF.problems(shape(body), where)
    elif isinstance(body, dict) and body.get("type") == "error":
        out += ERROR_REF.problems(shape(body), where)
    elif isinstance(body, dict) and body.get("type") == "message_batch":
        if set(body) != set(MessageBatch.model_fields):
            out.append(f"{where}: batch keys {sorted(body)} differ from the SDK's MessageBatch")
    for line in resp.get("lines") or []:
        if set(line) != set(MessageBatchIndividualResponse.model_fields):
            out.append(f"{where}: result line keys {sorted(line)} differ from the SDK's")
        if line["result"]["type"] == "succeeded":
            out += MESSAGE_REF.problems(shape(line["result"]["message"]), where + " (result line)")
    return out


def test_the_real_fixtures_follow_the_rules_the_test_applies() -> None:
    assert MESSAGES and STREAMS and ERRORS
    for f in STREAMS:
        assert STREAM_ORDER.fullmatch(order(f["events"])), order(f["events"])
        if f.get("generation") == 2026:  # the older capture lacks keys 2026 streams carry
            assert stream_problems(f["events"], "real") == []
    for f in MESSAGES:
        assert MESSAGE_REF.problems(shape(f["body"]), "real") == []
    assert REAL_HEADERS[401] == {"content-type", "request-id", "x-should-retry"}


def test_authored_recordings_have_the_real_shape() -> None:
    problems = [p for where, ex in exchanges() for p in exchange_problems(where, ex)]
    assert problems == [], "\n".join(problems[:30])


def _first(pred: Any) -> tuple[str, dict[str, Any]]:
    return next((w, copy.deepcopy(ex)) for w, ex in exchanges() if pred(ex))


def _is_message(ex: dict[str, Any]) -> bool:
    return isinstance(ex["response"].get("body"), dict) and ex["response"]["body"].get("type") == "message"


def _is_stream(ex: dict[str, Any]) -> bool:
    return bool(ex["response"].get("events")) and ex["response"]["events"][-1]["event"] == "message_stop"


def _cited(ex: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in ex["response"]["body"]["content"] if b.get("citations"))


def _cites(ex: dict[str, Any]) -> bool:
    return _is_message(ex) and any(b.get("citations") for b in ex["response"]["body"]["content"])


def _is_401(ex: dict[str, Any]) -> bool:
    return ex["response"]["status"] == 401


@pytest.mark.parametrize(
    "pick, mutate",
    [
        (_is_message, lambda ex: ex["response"]["body"].pop("stop_details")),
        (_is_message, lambda ex: ex["response"]["body"]["usage"].update(invented_tokens=1)),
        (_is_message, lambda ex: ex["response"]["body"]["usage"].update(output_tokens="12")),
        (_is_message, lambda ex: ex["response"]["headers"].pop("anthropic-ratelimit-tokens-limit")),
        (_is_stream, lambda ex: ex["response"]["events"].pop()),
        (_is_stream, lambda ex: ex["response"]["events"][-2]["data"]["delta"].pop("stop_details")),
        (_is_stream, lambda ex: ex["response"]["events"][0]["data"]["message"]["usage"].pop("service_tier")),
        (_is_401, lambda ex: ex["response"]["headers"].update({"anthropic-ratelimit-requests-limit": "50"})),
        (_is_401, lambda ex: ex["response"]["headers"].pop("x-should-retry")),
        (lambda ex: ex["response"]["status"] == 429, lambda ex: ex["response"]["body"].pop("request_id")),
        (lambda ex: bool(ex["response"].get("lines")), lambda ex: ex["response"]["lines"][0].pop("custom_id")),
        (_cites, lambda ex: _cited(ex)["citations"][0].update(invented_index=1)),
        (_cites, lambda ex: _cited(ex)["citations"][0].pop("cited_text")),
    ],
)
def test_a_drift_from_the_real_shape_fails(pick: Any, mutate: Any) -> None:
    where, ex = _first(pick)
    assert exchange_problems(where, ex) == []
    mutate(ex)
    assert exchange_problems(where, ex), f"mutating {where} went unnoticed"


def test_ping_is_framed_on_the_wire_as_the_api_frames_it() -> None:
    real = {f["ping_data"] for f in STREAMS}
    assert real == {'{"type": "ping"}'}
    rec = next(r for r in load_recordings(RECORDINGS_DIR) if any(x.response.events for x in r.exchanges))
    ex = next(x for x in rec.exchanges if x.response.events and any(e["event"] == "ping" for e in x.response.events))
    with Gateway([rec], speed=0) as gw:
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
        conn.request(ex.request.method, ex.request.path, body=json.dumps(ex.request.body))
        wire = conn.getresponse().read().decode()
        conn.close()
    assert 'event: ping\ndata: {"type": "ping"}\n\n' in wire
    assert 'data: {"type":"message_start"' in wire, "every other event stays compact, as the API sends it"
