"""Build authored recordings: API-shaped responses written for the course, with estimated usage.

Authored recordings stand in until `make record` replaces them with real ones. Their text is the
course's own. Token counts are estimates (see `estimate_tokens`), stated in each provenance.
Ids are derived from a hash of their seed, so re-running a script rewrites the same file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from helpers.documents import pdf_pages  # noqa: E402
from helpers.gateway.recordings import FORMAT, save_recording, stable_id  # noqa: E402

DATE = "2026-11-24"
ESTIMATE_NOTE = (
    "Token counts are estimates, not measured: text tokens = ceil(characters / 4) (English prose); "
    "input adds 8 tokens per request and 3 per message for the prompt's framing, "
    "and tool definitions count as their JSON text plus 300 tokens of tool-use instructions. "
    "Thinking is billed at THINKING_FACTOR (3) times the estimate of the visible thinking text, since "
    "Claude 4 models return a summary of a longer reasoning (usage.output_tokens_details.thinking_tokens "
    "on Opus 4.6 requests that set thinking); output_tokens counts the other blocks plus that."
)
THINKING_FACTOR = 3
# Rate limits of the course's example organization (a tier 4 one), applied to every response that lacks them.
DEFAULT_LIMITS = {"requests": 4_000, "input-tokens": 2_000_000, "output-tokens": 400_000}
# The primer's get_weather tool, byte for byte (notebooks 04 and 05 send it).
PRIMER_WEATHER_TOOLS = [
    {
        "name": "get_weather",
        "description": "Retrieves the current weather information for a specified city.",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string",
                    "description": "The name of the city to check the weather for (e.g., Tokyo, London)",
                },
                "unit": {
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"],
                    "description": "The unit for temperature",
                },
            },
            "required": ["city"],
        },
    }
]


def _hash(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")


make_id = stable_id  # the ids' format lives with the recordings; the gateway makes its request ids the same way


def estimate_tokens(text: str) -> int:
    """About four characters per token for English prose; at least 1 for non-empty text."""
    return math.ceil(len(text) / 4) if text else 0


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    out = []
    for block in content or []:
        kind = block.get("type")
        if kind == "text":
            out.append(block["text"])
        elif kind == "tool_use":
            out.append(block["name"] + json.dumps(block.get("input", {})))
        elif kind == "tool_result":
            out.append(_content_text(block.get("content", "")))
        elif kind == "thinking":
            out.append(block.get("thinking", ""))
        else:
            out.append(json.dumps(block))
    return "".join(out)


# Images and PDF pages are not text: counting their base64 as characters / 4 would make a 100 KB image about
# 33K tokens where the API counts about 1.6K. They follow MEDIA_NOTE instead (media_tokens).
MEDIA_NOTE = (
    "Images count ceil(width x height / 750) tokens, the vision docs' formula, after scaling to at most 1568 px on "
    "the long edge and 1,200,000 pixels (about 1,600 tokens). A PDF page counts its text by the characters rule "
    "plus its page as an image at that largest size (US Letter: 963 x 1246 px, 1,600 tokens); the resolution at "
    "which the API renders pages is not published. A text document, a search result, a document's title and "
    "context count as text."
)
MAX_LONG_EDGE, MAX_PIXELS = 1568, 1_200_000


def image_tokens(width: int, height: int) -> int:
    """The vision docs' estimate for an image of width x height px, after the API's downscaling (MEDIA_NOTE)."""
    scale = min(1.0, MAX_LONG_EDGE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    return math.ceil(w * h / 750)


def _image_size(data: bytes) -> tuple[int, int]:
    from io import BytesIO

    from PIL import Image  # in the dev lock (matplotlib depends on it); authoring runs there

    with Image.open(BytesIO(data)) as im:
        return im.size


def _source_bytes(source: dict[str, Any], media: dict[str, bytes] | None) -> bytes:
    kind = source.get("type")
    if kind == "base64":
        return base64.b64decode(source["data"])
    key = source.get("url") if kind == "url" else source.get("file_id")
    if media and key in media:
        return media[key]
    raise ValueError(f"authoring: no bytes for the {kind} source {key!r}: pass media={{{key!r}: data}}")


def media_tokens(block: dict[str, Any], media: dict[str, bytes] | None = None) -> int | None:
    """Estimated input tokens of an image, document or search_result block by MEDIA_NOTE; None for other
    blocks. `media` maps a URL or file_id source to the bytes it stands for."""
    kind = block.get("type")
    if kind == "image":
        return image_tokens(*_image_size(_source_bytes(block["source"], media)))
    if kind == "search_result":
        text = block.get("title", "") + block.get("source", "") + _content_text(block.get("content", []))
        return estimate_tokens(text)
    if kind != "document":
        return None
    source = block["source"]
    extra = estimate_tokens(block.get("title") or "") + estimate_tokens(block.get("context") or "")
    if source.get("type") == "text":
        return extra + estimate_tokens(source["data"])
    if source.get("type") == "content":
        return extra + estimate_tokens(_content_text(source["content"]))
    pages = pdf_pages(_source_bytes(source, media))
    return extra + sum(estimate_tokens(text) + image_tokens(963, 1246) for text in pages)


def _content_tokens(content: Any, media: dict[str, bytes] | None) -> int:
    """Text by the characters rule, media blocks by MEDIA_NOTE."""
    if isinstance(content, str):
        return estimate_tokens(content)
    rest, total = [], 0
    for block in content or []:
        tokens = media_tokens(block, media)
        if tokens is None:
            rest.append(block)
        else:
            total += tokens
    return total + estimate_tokens(_content_text(rest))


def estimate_input_tokens(body: dict[str, Any], media: dict[str, bytes] | None = None) -> int:
    """Estimate a request's input tokens by the rules in ESTIMATE_NOTE and MEDIA_NOTE."""
    total = 8
    system = body.get("system")
    if system:
        total += estimate_tokens(_content_text(system))
    for msg in body.get("messages", []):
        total += 3 + _content_tokens(msg["content"], media)
    if body.get("tools"):
        total += 300 + estimate_tokens(json.dumps(body["tools"]))
    return total


def usage(
    input_tokens: int,
    output_tokens: int,
    *,
    cache_write: int = 0,
    cache_write_1h: int = 0,
    cache_read: int = 0,
    service_tier: str = "standard",
    model: str = "",
    thinking_tokens: int | None = None,
) -> dict[str, Any]:
    """A Usage object in the order the API sends it.

    `inference_geo` is "not_available" on Haiku 4.5 (and other pre-4.6 models), "global" otherwise, as in
    2026 captures; `output_tokens_details` appears only when `thinking_tokens` is given.
    """
    out: dict[str, Any] = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write + cache_write_1h,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": cache_write_1h},
        "output_tokens": output_tokens,
    }
    if thinking_tokens is not None:
        out["output_tokens_details"] = {"thinking_tokens": thinking_tokens}
    out["service_tier"] = service_tier
    out["inference_geo"] = "not_available" if model.startswith("claude-haiku-4-5") else "global"
    return out


def tool_use(tool_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    """A tool_use block as 2026 responses send it (with `caller`), in their key order."""
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input, "caller": {"type": "direct"}}


def thinking_billed(request: dict[str, Any], blocks: list[dict[str, Any]]) -> int | None:
    """Billed thinking tokens by the THINKING_FACTOR rule, or None when the request does not think."""
    if not request.get("thinking") or request["thinking"].get("type") == "disabled":
        return None
    visible = sum(estimate_tokens(b.get("thinking", "")) for b in blocks if b.get("type") == "thinking")
    billed = THINKING_FACTOR * visible
    budget = request["thinking"].get("budget_tokens")
    return min(billed, budget) if isinstance(budget, int) else billed


def reports_thinking_tokens(model: str) -> bool:
    """Whether usage carries output_tokens_details (seen on Opus 4.6 with thinking; not on Haiku 4.5)."""
    return not model.startswith("claude-haiku-4-5")


def echo_model(model: str) -> str:
    """What the API echoes: the 4.5 Haiku alias comes back dated."""
    return {"claude-haiku-4-5": "claude-haiku-4-5-20251001"}.get(model, model)


def message(
    request: dict[str, Any],
    content: list[dict[str, Any]] | str,
    *,
    seed: str,
    stop_reason: str = "end_turn",
    stop_sequence: str | None = None,
    use: dict[str, Any] | None = None,
    thinking_tokens: int | None = None,
    service_tier: str = "standard",
    media: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    """A Message body answering `request`, with estimated usage unless `use` is given (`media`: see
    `media_tokens`).

    Thinking is billed by `thinking_billed` unless `thinking_tokens` is given (display "omitted" sends no
    text but bills the reasoning).
    """
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    for b in blocks:
        if b.get("type") == "tool_use" and "caller" not in b:
            raise ValueError(f"tool_use {b.get('id')} lacks caller: build it with authoring.tool_use()")
    if use is None:
        billed = thinking_billed(request, blocks) if thinking_tokens is None else thinking_tokens
        rest = max(1, estimate_tokens(_content_text([b for b in blocks if b.get("type") != "thinking"])))
        details = billed if billed is not None and reports_thinking_tokens(request["model"]) else None
        use = usage(
            estimate_input_tokens(request, media),
            rest + (billed or 0),
            model=request["model"],
            thinking_tokens=details,
            service_tier=service_tier,
        )
    return {
        "model": echo_model(request["model"]),
        "id": make_id("msg_", seed),
        "type": "message",
        "role": "assistant",
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "stop_details": None,
        "usage": use,
    }


def headers(seed: str, **extra: str) -> dict[str, str]:
    return {"content-type": "application/json", "request-id": make_id("req_", seed), **extra}


def should_retry(status: int) -> str:
    """`x-should-retry` as the API sends it on errors: true on 408/409/429 and 5xx (529 too), else false."""
    return "true" if status in (408, 409, 429) or status >= 500 else "false"


def _round_thousand(n: int) -> int:
    return int(round(n / 1000.0)) * 1000


def ratelimit_headers(
    limits: dict[str, int], *, used_requests: int, used_in: int, used_out: int, at: str, refill: int = 1
) -> dict[str, str]:
    """anthropic-ratelimit-* for requests, input, output and all tokens (limit, remaining, reset).

    Token `remaining` values are rounded to the thousand, as in public captures. The `tokens-*` row is the
    most restrictive token limit in effect, as the rate-limits page defines it (one April 2026 capture shows
    the input and output limits added instead: sources disagree, notebook 10 says so). Resets are RFC 3339
    seconds; `at` is the response's time (HH:MM:SS on the recording's date) and the request bucket refills
    `refill` seconds later.
    """
    h, m, sec = (int(x) for x in at.split(":"))

    def stamp(extra: int) -> str:
        t = h * 3600 + m * 60 + sec + extra
        return f"{DATE}T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z"

    left_in = _round_thousand(limits["input-tokens"] - used_in)
    left_out = _round_thousand(limits["output-tokens"] - used_out)
    tightest = min((limits["input-tokens"], left_in), (limits["output-tokens"], left_out), key=lambda p: p[1])
    return {
        "anthropic-ratelimit-requests-limit": str(limits["requests"]),
        "anthropic-ratelimit-requests-remaining": str(limits["requests"] - used_requests),
        "anthropic-ratelimit-requests-reset": stamp(refill),
        "anthropic-ratelimit-input-tokens-limit": str(limits["input-tokens"]),
        "anthropic-ratelimit-input-tokens-remaining": str(left_in),
        "anthropic-ratelimit-input-tokens-reset": stamp(0),
        "anthropic-ratelimit-output-tokens-limit": str(limits["output-tokens"]),
        "anthropic-ratelimit-output-tokens-remaining": str(left_out),
        "anthropic-ratelimit-output-tokens-reset": stamp(0),
        "anthropic-ratelimit-tokens-limit": str(tightest[0]),
        "anthropic-ratelimit-tokens-remaining": str(tightest[1]),
        "anthropic-ratelimit-tokens-reset": stamp(0),
    }


def _response_tokens(ex: dict[str, Any]) -> tuple[int, int]:
    """The input and output tokens an exchange's response reports (0, 0 when it has no usage)."""
    resp = ex["response"]
    use: dict[str, Any] = {}
    if isinstance(resp.get("body"), dict) and isinstance(resp["body"].get("usage"), dict):
        use = resp["body"]["usage"]
    for ev in resp.get("events") or []:
        data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
        if data.get("type") == "message_delta":
            use = data.get("usage", use)
    return int(use.get("input_tokens", 0)), int(use.get("output_tokens", 0))


# The example organization's workspace: every 2026 response names it, except a 401 (the key is unknown).
WORKSPACE_ID = make_id("wrkspc_", "course example workspace")
# A batch poll that finds the batch still in progress says when to ask again (9 of 9 real 2026 polls).
BATCH_POLL_RETRY_AFTER = "10"


def carries_rate_limits(ex: dict[str, Any]) -> bool:
    """Whether the API sends anthropic-ratelimit-* with this answer: a 2xx to POST /v1/messages, or a 429
    (real 2026 captures: count_tokens, the batch endpoints and 400/401/404 errors carry none). A 5xx keeps
    them, as no real capture of one is known."""
    status, req = ex["response"]["status"], ex["request"]
    if status == 429 or status >= 500:
        return True
    return 200 <= status < 300 and req["method"] == "POST" and req["path"].split("?")[0] == "/v1/messages"


def _batch_headers(ex: dict[str, Any], hdrs: dict[str, str]) -> None:
    """What the batch endpoints add: retry-after on an in-progress poll; a results file's type and name."""
    req, resp = ex["request"], ex["response"]
    route = req["path"].split("?")[0]
    parts = route.split("/")
    if not route.startswith("/v1/messages/batches/") or resp["status"] != 200:
        return
    body = resp.get("body")
    if req["method"] == "GET" and len(parts) == 5 and isinstance(body, dict):
        if body.get("processing_status") == "in_progress":
            hdrs.setdefault("retry-after", BATCH_POLL_RETRY_AFTER)
    elif req["method"] == "GET" and parts[-1] == "results" and resp.get("lines") is not None:
        hdrs.setdefault("content-type", "application/x-jsonl")
        hdrs.setdefault("content-disposition", f"attachment; filename*=utf-8''{parts[4]}_results.jsonl")


def complete_headers(exchanges: list[dict[str, Any]], limits: dict[str, int], *, start: str = "09:00:00") -> None:
    """Give every response what the API sends with it: a `request-id`, `anthropic-workspace-id` (not on a
    401), `anthropic-ratelimit-*` where `carries_rate_limits` says so, `x-should-retry` on errors, and the
    batch endpoints' headers (`_batch_headers`). Headers an exchange already sets are kept. Exchanges are
    taken as a minute's traffic starting at `start`, 7 s apart."""
    h, m, sec = (int(x) for x in start.split(":"))
    used_in = used_out = 0
    for n, ex in enumerate(exchanges):
        resp = ex["response"]
        hdrs = resp.setdefault("headers", {})
        hdrs.setdefault("request-id", make_id("req_", ex.get("label", str(n))))
        status = resp["status"]
        if status != 401:
            hdrs.setdefault("anthropic-workspace-id", WORKSPACE_ID)
        _batch_headers(ex, hdrs)
        t = h * 3600 + m * 60 + sec + 7 * n
        tin, tout = _response_tokens(ex)
        used_in, used_out = used_in + tin, used_out + tout
        if carries_rate_limits(ex) and not any(k.startswith("anthropic-ratelimit-") for k in hdrs):
            at = f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
            hdrs.update(
                ratelimit_headers(limits, used_requests=min(n + 1, 9), used_in=used_in, used_out=used_out, at=at)
            )
        if status >= 400:
            hdrs.setdefault("x-should-retry", should_retry(status))


def json_exchange(
    label: str,
    path: str,
    body: Any,
    status: int,
    response: Any,
    *,
    method: str = "POST",
    extra_headers: dict[str, str] | None = None,
    match_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One exchange; `match_headers` (e.g. {"anthropic-version": "2023-06-01"}) makes replay answer it only to
    requests that carry those header values."""
    req: dict[str, Any] = {"method": method, "path": path}
    if body is not None:
        req["body"] = body
    if match_headers:
        req["match_headers"] = dict(match_headers)
    return {
        "label": label,
        "request": req,
        "response": {"status": status, "headers": headers(label, **(extra_headers or {})), "body": response},
    }


def message_exchange(
    label: str, request: dict[str, Any], content: list[dict[str, Any]] | str, **kw: Any
) -> dict[str, Any]:
    """A POST /v1/messages exchange answered by `message(...)`; `match_headers=` as in `json_exchange`."""
    match_headers = kw.pop("match_headers", None)
    body = message(request, content, seed=label, **kw)
    return json_exchange(label, "/v1/messages", request, 200, body, match_headers=match_headers)


def error_exchange(
    label: str,
    path: str,
    body: Any,
    status: int,
    kind: str,
    text: str,
    *,
    method: str = "POST",
    extra_headers: dict[str, str] | None = None,
    match_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    envelope = {"type": "error", "error": {"type": kind, "message": text}, "request_id": make_id("req_", label)}
    return json_exchange(
        label, path, body, status, envelope, method=method, extra_headers=extra_headers, match_headers=match_headers
    )


_WORD = re.compile(r"\S+\s*|\s+")


def chunk_text(text: str, words_per_chunk: int = 3) -> list[str]:
    """Split text into stream-sized pieces of a few words, keeping every character."""
    words = _WORD.findall(text)
    return ["".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)]


def start_output_tokens(seed: str) -> int:
    """message_start's output_tokens: 1 in 14 of 25 public captures, a few more (2 to 8) in the others."""
    n = _hash(f"start:{seed}")
    return 1 if n % 25 < 14 else 2 + (n // 25) % 7


def stream_events(
    msg: dict[str, Any],
    *,
    first_token: float = 0.45,
    tokens_per_second: float = 70.0,
    ping: bool = True,
    thinking: bool = False,
) -> list[dict[str, Any]]:
    """The SSE events that stream `msg`, with offsets: first text after `first_token` s, then a steady rate.

    As in all 13 public 2026 captures: one `ping`, right after the first content_block_start; message_start's
    usage has no output_tokens_details and an early output count (`start_output_tokens`); message_delta
    repeats stop_details and carries the cumulative usage, with output_tokens_details.thinking_tokens (0 when
    nothing was thought) when the request set `thinking` (`thinking=True`).
    """
    t = round(first_token * 0.8, 3)
    start_usage = {k: v for k, v in msg["usage"].items() if k != "output_tokens_details"}
    start_usage["output_tokens"] = start_output_tokens(msg["id"])
    head = dict(msg, content=[], stop_reason=None, stop_sequence=None, stop_details=None, usage=start_usage)
    events = [{"at": t, "event": "message_start", "data": {"type": "message_start", "message": head}}]
    clock = first_token

    def add(at: float, name: str, data: dict[str, Any]) -> None:
        events.append({"at": round(at, 3), "event": name, "data": {"type": name, **data}})
        if name == "content_block_start" and ping and data["index"] == 0:
            events.append({"at": round(at, 3), "event": "ping", "data": {"type": "ping"}})

    for i, block in enumerate(msg["content"]):
        kind = block["type"]
        if kind == "text":
            add(t, "content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}})
            for piece in chunk_text(block["text"]):
                add(clock, "content_block_delta", {"index": i, "delta": {"type": "text_delta", "text": piece}})
                clock += max(1, estimate_tokens(piece)) / tokens_per_second
        elif kind == "tool_use":
            start = {k: block[k] for k in ("type", "id", "name", "caller")}  # streamed order: input last
            add(clock, "content_block_start", {"index": i, "content_block": {**start, "input": {}}})
            raw = json.dumps(block["input"], ensure_ascii=False)
            pieces = [""] + [raw[j : j + 12] for j in range(0, len(raw), 12)]
            for piece in pieces:
                add(
                    clock,
                    "content_block_delta",
                    {"index": i, "delta": {"type": "input_json_delta", "partial_json": piece}},
                )
                clock += 3 / tokens_per_second
        elif kind == "thinking":
            add(
                t,
                "content_block_start",
                {"index": i, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
            )
            for piece in chunk_text(block["thinking"], 4):
                add(clock, "content_block_delta", {"index": i, "delta": {"type": "thinking_delta", "thinking": piece}})
                clock += max(1, estimate_tokens(piece)) / tokens_per_second
            add(
                clock,
                "content_block_delta",
                {"index": i, "delta": {"type": "signature_delta", "signature": block["signature"]}},
            )
        else:
            add(clock, "content_block_start", {"index": i, "content_block": block})
        add(clock, "content_block_stop", {"index": i})
        t = clock
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
    out_usage = {k: msg["usage"][k] for k in keys}
    if "output_tokens_details" in msg["usage"]:
        out_usage["output_tokens_details"] = msg["usage"]["output_tokens_details"]
    elif thinking:
        out_usage["output_tokens_details"] = {"thinking_tokens": 0}
    delta = {"stop_reason": msg["stop_reason"], "stop_sequence": msg["stop_sequence"]}
    if "stop_details" in msg:
        delta["stop_details"] = msg["stop_details"]
    add(clock, "message_delta", {"delta": delta, "usage": out_usage})
    add(clock, "message_stop", {})
    return events


def stream_exchange(
    label: str,
    request: dict[str, Any],
    content: list[dict[str, Any]] | str,
    *,
    first_token: float = 0.45,
    tokens_per_second: float = 70.0,
    **kw: Any,
) -> dict[str, Any]:
    """A streamed POST /v1/messages exchange (the request must carry "stream": true).

    A streamed thinking answer reports its thinking tokens in message_delta (a Haiku 4.5 capture of May 2026
    does, where its non-streamed answers do not), so they are estimated here for every model."""
    msg = message(request, content, seed=label, **kw)
    thinks = bool(request.get("thinking")) and request["thinking"].get("type") != "disabled"
    if thinks and "output_tokens_details" not in msg["usage"]:
        billed = kw.get("thinking_tokens")
        billed = thinking_billed(request, msg["content"]) if billed is None else billed
        msg["usage"] = dict(msg["usage"], output_tokens_details={"thinking_tokens": billed or 0})
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": request},
        "response": {
            "status": 200,
            "headers": {"content-type": "text/event-stream; charset=utf-8", "request-id": make_id("req_", label)},
            "events": stream_events(
                msg, first_token=first_token, tokens_per_second=tokens_per_second, thinking=thinks
            ),
        },
    }


def recording(
    exchanges: list[dict[str, Any]],
    *,
    models: list[str],
    note: str = "",
    limits: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A whole authored recording with its provenance; `complete_headers` fills in the API's headers."""
    complete_headers(exchanges, limits or DEFAULT_LIMITS)
    return {
        "format": FORMAT,
        "provenance": {
            "source": "authored",
            "date": DATE,
            "models": models,
            "note": (note + " " if note else "")
            + "Written for the course in the API's wire format; not output of Claude. "
            + ESTIMATE_NOTE
            + " Rate-limit headers are those of an example organization, with token counts summed over the "
            + "recording's exchanges.",
        },
        "exchanges": exchanges,
    }


def scripts() -> dict[str, Path]:
    """name -> authoring script (tools/authored/NN_slug.py)."""
    return {p.stem: p for p in sorted((ROOT / "tools" / "authored").glob("[0-9][0-9]_*.py"))}


def build(name: str) -> dict[str, Any]:
    """Run tools/authored/<name>.py's build() and return the recording it describes."""
    path = scripts()[name]
    if str(path.parent.parent) not in sys.path:
        sys.path.insert(0, str(path.parent.parent))
    spec = importlib.util.spec_from_file_location(f"authored_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


def main(argv: list[str]) -> int:
    names = argv or list(scripts())
    unknown = [n for n in names if n not in scripts()]
    if unknown:
        print(f"author: no script tools/authored/{unknown[0]}.py", file=sys.stderr)
        return 2
    for name in names:
        target = ROOT / "notebooks" / "recordings" / f"{name}.json"
        save_recording(build(name), target)
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
