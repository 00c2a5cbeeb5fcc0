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


REAL_HEADERS = {
    200: set(next(f["headers"] for f in MESSAGES if "request-id" in f["headers"])),
    401: set(next(f["headers"] for f in ERRORS if f["status"] == 401)),
}
RATE_LIMITS = {n for n in REAL_HEADERS[200] if n.startswith("anthropic-ratelimit-")}


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
    limits = {n for n in names if n.startswith("anthropic-ratelimit-")}
    if limits and limits != RATE_LIMITS:
        out.append(f"{where}: rate-limit headers {sorted(limits)} differ from the real set")
    return out


# --- facts learned from the 2026 captures (headers_2026.json, batch_2026.json, facts_streams.json) ------------

HEADERS_2026 = json.loads((REAL / "headers_2026.json").read_text(encoding="utf-8"))["answers"]
BATCHES_2026 = json.loads((REAL / "batch_2026.json").read_text(encoding="utf-8"))["batches"]
STREAM_FACTS = json.loads((REAL / "facts_streams.json").read_text(encoding="utf-8"))["streams"]


def answer_kind(method: str, path: str, resp: dict[str, Any]) -> str:
    """What an answer is, as headers_2026.json names it: messages, messages stream, count_tokens, batch create,
    batch list, batch cancel, batch results, batch poll <status>, or the route."""
    route = path.split("?")[0]
    parts = route.split("/")
    if route == "/v1/messages":
        return "messages stream" if resp.get("events") else "messages"
    if route == "/v1/messages/count_tokens":
        return "count_tokens"
    if route == "/v1/messages/batches":
        return "batch create" if method == "POST" else "batch list"
    if route.startswith("/v1/messages/batches/") and parts[-1] == "cancel":
        return "batch cancel"
    if route.startswith("/v1/messages/batches/") and parts[-1] == "results":
        return "batch results"
    if route.startswith("/v1/messages/batches/") and len(parts) == 5:
        return "batch poll " + str((resp.get("body") or {}).get("processing_status", "?"))
    return route


def _real_sets() -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = {}
    for row in HEADERS_2026:
        if row["source"].startswith("rl_"):  # one project, one day (2026-08-19), headers as the API sent them
            out.setdefault((row["kind"], row["status"]), set(row["headers"]))
    return out


REAL_SETS = _real_sets()
# Kinds whose 2xx answers carry the rate-limit headers in 2026 (learned; 429 and 5xx are not in the captures).
LIMITED_KINDS = {k for (k, status), names in REAL_SETS.items()
                 if any(n.startswith("anthropic-ratelimit-") for n in names)}
WORKSPACE = "anthropic-workspace-id"
RETRY_AFTER = {row["values"]["retry-after"] for row in HEADERS_2026 if "retry-after" in row["values"]}
RESULTS = next(row["values"] for row in HEADERS_2026
               if row["kind"] == "batch results" and row["source"].startswith("rl_"))
BATCH_KEYS = [list(b) for b in BATCHES_2026]
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


def _thinks(body: Any) -> bool:
    thinking = body.get("thinking") if isinstance(body, dict) else None
    return isinstance(thinking, dict) and thinking.get("type") != "disabled"


def fact_problems(where: str, ex: dict[str, Any]) -> list[str]:
    """Items 1-7 of issue 33, each learned from a 2026 capture."""
    req, resp = ex["request"], ex["response"]
    status, headers = resp["status"], resp.get("headers", {})
    kind = answer_kind(req["method"], req["path"], resp)
    names = set(headers)
    out = []
    limits = {n for n in names if n.startswith("anthropic-ratelimit-")}
    if 400 <= status < 500 and status != 429 or 200 <= status < 300:  # no 5xx capture: those stay as they are
        if limits and not (200 <= status < 300 and kind in LIMITED_KINDS):
            out.append(f"{where}: rate-limit headers on a {status} {kind} answer (real ones carry none)")
        if not limits and 200 <= status < 300 and kind in LIMITED_KINDS:
            out.append(f"{where}: no rate-limit headers on a {kind} answer")
    if (WORKSPACE in names) != (status != 401):
        out.append(f"{where}: {WORKSPACE} must be on every answer but a 401's")
    want = REAL_SETS.get((kind, status))
    if want is None and status >= 400 and status not in (401, 429) and status < 500:
        want = REAL_SETS.get(("messages", 400))  # an error has the same headers on every route
    if want is not None and names != want:
        out.append(f"{where}: headers {sorted(names)}, a real {status} {kind} answer has {sorted(want)}")
    if kind.startswith("batch poll"):
        if kind == "batch poll in_progress" and headers.get("retry-after") not in RETRY_AFTER:
            out.append(f"{where}: an in-progress poll carries retry-after {sorted(RETRY_AFTER)}")
        if kind != "batch poll in_progress" and "retry-after" in names:
            out.append(f"{where}: retry-after on a poll of a batch not in progress")
    if kind == "batch results" and status == 200:
        if headers.get("content-type") != RESULTS["content-type"]:
            got = headers.get("content-type")
            out.append(f"{where}: results content-type {got!r}, real {RESULTS['content-type']!r}")
        batch_id = req["path"].split("/")[4]
        if headers.get("content-disposition") != RESULTS["content-disposition"].replace("<batch id>", batch_id):
            out.append(f"{where}: results content-disposition differs from {RESULTS['content-disposition']!r}")
    for b in _batches(resp):
        if list(b) not in BATCH_KEYS:
            out.append(f"{where}: batch keys in the order {list(b)}, real 2026 batches have {BATCH_KEYS[0]}")
        if not b["id"].startswith("msgbatch_01") or b["id"].startswith("msgbatch_011C"):
            out.append(f"{where}: batch id {b['id']!r}: real 2026 ones start msgbatch_01, never msgbatch_011C")
        for k, v in b.items():
            if k.endswith("_at") and v is not None and not _STAMP.match(v):
                out.append(f"{where}: {k} {v!r} is not a real 2026 timestamp (microseconds, +00:00)")
    events = resp.get("events") or []
    blocks = [i for i, e in enumerate(events) if e["event"] == "content_block_start"]
    pings = [i for i, e in enumerate(events) if e["event"] == "ping"]
    if events and blocks and pings != [blocks[0] + 1]:
        out.append(f"{where}: the ping must come right after the first content_block_start (as in every real stream)")
    if events and _thinks(req.get("body")):
        delta = next((e["data"] for e in events if e["event"] == "message_delta"), None)
        details = delta["usage"].get("output_tokens_details", {}) if delta is not None else {}
        if delta is not None and not isinstance(details.get("thinking_tokens"), int):
            out.append(f"{where}: a thinking stream's message_delta.usage lacks output_tokens_details.thinking_tokens")
    return out


def _batches(resp: dict[str, Any]) -> list[dict[str, Any]]:
    body = resp.get("body")
    if isinstance(body, dict) and body.get("type") == "message_batch":
        return [body]
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return [b for b in body["data"] if isinstance(b, dict) and b.get("type") == "message_batch"]
    return []




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
    out = header_problems(resp, where) + fact_problems(where, ex)
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


# --- issue 33's facts: true of the captures, true of the recordings, and a drift from each fails ---------------


def test_the_2026_captures_teach_the_facts_the_recordings_follow() -> None:
    rl = [r for r in HEADERS_2026 if r["source"].startswith("rl_")]
    # 1. rate-limit headers only on 2xx answers to POST /v1/messages (JSON or stream)
    assert LIMITED_KINDS == {"messages", "messages stream"}
    assert {r["kind"] for r in rl if r["status"] >= 400} == {"messages"} and REAL_SETS[("messages", 400)] == {
        WORKSPACE,
        "content-type",
        "request-id",
        "x-should-retry",
    }
    plain = {WORKSPACE, "content-type", "request-id"}
    assert REAL_SETS[("count_tokens", 200)] == REAL_SETS[("batch create", 200)] == plain
    # 2. retry-after: 10 on an in-progress poll, none on the ended one
    assert RETRY_AFTER == {"10"} and "retry-after" not in REAL_SETS[("batch poll ended", 200)]
    # 3. results as application/x-jsonl, with the file's name
    assert RESULTS == {
        "content-type": "application/x-jsonl",
        "content-disposition": "attachment; filename*=utf-8''<batch id>_results.jsonl",
    }
    # 4. batch ids, timestamps and key order
    assert BATCH_KEYS[0][4:9] == ["ended_at", "created_at", "expires_at", "archived_at", "cancel_initiated_at"]
    assert all(keys == BATCH_KEYS[0] for keys in BATCH_KEYS)
    assert all(b["id"].startswith("msgbatch_01") and not b["id"].startswith("msgbatch_011C") for b in BATCHES_2026)
    assert all(_STAMP.match(v) for b in BATCHES_2026 for k, v in b.items() if k.endswith("_at") and v)
    # 5. the newest thinking stream reports thinking tokens in message_delta, 0 included
    thinking = [f for f in STREAM_FACTS if _thinks({"thinking": f["thinking"]})]
    newest = max(f["date"] for f in thinking)
    tokens = [
        e["data"]["usage"]["output_tokens_details"]["thinking_tokens"]
        for f in thinking
        if f["date"] == newest
        for e in f["events"]
        if e["event"] == "message_delta"
    ]
    assert 0 in tokens and all(isinstance(t, int) for t in tokens)
    # 6. the ping right after the first content_block_start, in every real stream
    for f in STREAM_FACTS:
        names = [e["event"] for e in f["events"]]
        assert names.index("ping") == names.index("content_block_start") + 1 and names.count("ping") == 1, f["source"]
    # 7. the workspace header on every answer of the day but the 401
    assert all((WORKSPACE in r["headers"]) == (r["status"] != 401) for r in rl)
    # 8. Opus 4.6 adaptive: a "\n\n" text block before the thinking block
    opus = next(f for f in STREAM_FACTS if f["thinking"] == {"type": "adaptive"})
    assert _leading_blocks(opus["events"]) == [("text", "\n\n"), ("thinking", None)]


def _leading_blocks(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The first two blocks: (type, the text of a text block's first delta)."""
    out: list[tuple[str, str | None]] = []
    for e in events:
        d = e["data"]
        if e["event"] == "content_block_start":
            out.append((d["content_block"]["type"], None))
        elif e["event"] == "content_block_delta" and d["delta"]["type"] == "text_delta" and out[-1][1] is None:
            out[-1] = (out[-1][0], d["delta"].get("text", "<trimmed>"))
    return out[:2]


def test_an_authored_adaptive_stream_starts_with_the_leading_text_block_and_the_exercise_meets_it() -> None:
    from helpers.checks.streaming import reference_final_text, streams

    adaptive = [
        ex
        for _, ex in exchanges()
        if ex["response"].get("events")
        and (ex["request"].get("body") or {}).get("thinking", {}).get("type") == "adaptive"
    ]
    assert adaptive and all(
        _leading_blocks([{"event": e["event"], "data": e["data"]} for e in ex["response"]["events"]])
        == [("text", "\n\n"), ("thinking", None)]
        for ex in adaptive
    )
    met = [ev for ev in streams().values()
           if ev and _leading_blocks([{"event": e["type"], "data": e} for e in ev])[:1] == [("text", "\n\n")]]
    assert met, "05's final_text check must include a stream that starts with the leading text block"
    assert reference_final_text(met[0])[0].startswith("\n\n")


def _poll(status: str) -> Any:
    def poll(ex: dict) -> bool:
        return answer_kind(ex["request"]["method"], ex["request"]["path"], ex["response"]) == f"batch poll {status}"

    return poll


def _route(route: str) -> Any:
    return lambda ex: ex["request"]["path"].split("?")[0] == route


def _thinking_stream(ex: dict[str, Any]) -> bool:
    return _is_stream(ex) and _thinks(ex["request"].get("body"))


def _move_ping_after_first_delta(ex: dict[str, Any]) -> None:
    events = ex["response"]["events"]
    ping = next(i for i, e in enumerate(events) if e["event"] == "ping")
    moved = events.pop(ping)
    first_delta = next(i for i, e in enumerate(events) if e["event"] == "content_block_delta")
    events.insert(first_delta + 1, moved)


def _reorder_batch(ex: dict[str, Any]) -> None:
    body = ex["response"]["body"]
    created = body.pop("created_at")
    body["created_at"] = created


@pytest.mark.parametrize(
    "pick, mutate",
    [
        # 1. rate limits
        (_route("/v1/messages/count_tokens"), lambda ex: ex["response"]["headers"].update(REAL_HEADERS_LIMITS)),
        (_poll("ended"), lambda ex: ex["response"]["headers"].update(REAL_HEADERS_LIMITS)),
        (lambda ex: ex["response"]["status"] == 400, lambda ex: ex["response"]["headers"].update(REAL_HEADERS_LIMITS)),
        # 2. retry-after on polls
        (_poll("in_progress"), lambda ex: ex["response"]["headers"].pop("retry-after")),
        (_poll("ended"), lambda ex: ex["response"]["headers"].update({"retry-after": "10"})),
        # 3. results headers
        (lambda ex: bool(ex["response"].get("lines")), lambda ex: ex["response"]["headers"].pop("content-type")),
        (lambda ex: bool(ex["response"].get("lines")), lambda ex: ex["response"]["headers"].pop("content-disposition")),
        # 4. batch fields
        (_poll("ended"), lambda ex: ex["response"]["body"].update(created_at="2026-11-24T09:00:00.000000Z")),
        (_poll("ended"), _reorder_batch),
        (_poll("ended"), lambda ex: ex["response"]["body"].update(id="msgbatch_011CabcdefghijkmnopqrstuV")),
        # 5. thinking tokens in a thinking stream's delta
        (
            _thinking_stream,
            lambda ex: next(e for e in ex["response"]["events"] if e["event"] == "message_delta")["data"]["usage"].pop(
                "output_tokens_details"
            ),
        ),
        # 6. pings
        (_is_stream, _move_ping_after_first_delta),
        # 7. workspace header
        (_is_message, lambda ex: ex["response"]["headers"].pop(WORKSPACE)),
        (_is_401, lambda ex: ex["response"]["headers"].update({WORKSPACE: "wrkspc_01x"})),
    ],
)
def test_a_drift_from_a_2026_fact_fails(pick: Any, mutate: Any) -> None:
    where, ex = _first(pick)
    assert fact_problems(where, ex) == []
    mutate(ex)
    assert fact_problems(where, ex), f"mutating {where} went unnoticed"


REAL_HEADERS_LIMITS = {n: "1" for n in RATE_LIMITS}


def test_the_gateway_serves_the_recorded_batch_headers_and_the_sdk_reads_the_workspace() -> None:
    import anthropic

    recs = {r.name: r for r in load_recordings(RECORDINGS_DIR)}
    batches = recs["07_batches"]
    results = next(x for x in batches.exchanges if x.response.lines)
    poll = next(x for x in batches.exchanges if x.response.headers.get("retry-after"))
    with Gateway([batches], speed=1) as gw:
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
        conn.request("GET", results.request.path)
        got = conn.getresponse()
        got.read()
        assert got.getheader("content-type") == "application/x-jsonl", "served as recorded, not application/binary"
        assert got.getheader("content-disposition") == results.response.headers["content-disposition"]
        conn.request("GET", poll.request.path)
        got = conn.getresponse()
        got.read()
        assert got.getheader("retry-after") == "10"
        conn.close()
    errors = recs["10_errors"]
    with Gateway([errors], speed=0) as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
        bad = next(x for x in errors.exchanges if x.response.status == 404 and x.request.method == "POST")
        try:
            client.messages.create(**bad.request.body)
        except anthropic.NotFoundError as e:
            assert e.workspace_id == bad.response.headers[WORKSPACE] and e.workspace_id.startswith("wrkspc_01")
        else:
            raise AssertionError("the recorded 404 was not raised")
