"""Build authored recordings: API-shaped responses written for the course, with estimated usage.

Authored recordings stand in until `make record` replaces them with real ones. Their text is the
course's own. Token counts are estimates (see `estimate_tokens`), stated in each provenance.
Ids are derived from a hash of their seed, so re-running a script rewrites the same file.
"""

from __future__ import annotations

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

from helpers.gateway.recordings import FORMAT, save_recording  # noqa: E402

DATE = "2026-11-24"
SDK = "anthropic 2.12.0"
ESTIMATE_NOTE = (
    "Token counts are estimates, not measured: text tokens = ceil(characters / 4) (English prose); "
    "input adds 8 tokens per request and 3 per message for the prompt's framing, "
    "and tool definitions count as their JSON text plus 300 tokens of tool-use instructions."
)
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

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def make_id(prefix: str, seed: str, length: int = 24) -> str:
    """A stable id in the API's style (e.g. msg_01...), from a hash of `seed`."""
    n = int.from_bytes(hashlib.sha256(f"{prefix}{seed}".encode()).digest(), "big")
    chars = []
    for _ in range(length - 2):
        n, r = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return prefix + "01" + "".join(chars)


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


def estimate_input_tokens(body: dict[str, Any]) -> int:
    """Estimate a request's input tokens by the rule in ESTIMATE_NOTE."""
    total = 8
    system = body.get("system")
    if system:
        total += estimate_tokens(_content_text(system))
    for msg in body.get("messages", []):
        total += 3 + estimate_tokens(_content_text(msg["content"]))
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
) -> dict[str, Any]:
    """A Usage object in the order the API sends it."""
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write + cache_write_1h,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": cache_write_1h},
        "output_tokens": output_tokens,
        "service_tier": service_tier,
        "inference_geo": "global",
    }


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
) -> dict[str, Any]:
    """A Message body answering `request`, with estimated usage unless `use` is given."""
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    if use is None:
        use = usage(estimate_input_tokens(request), max(1, estimate_tokens(_content_text(blocks))))
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


def json_exchange(
    label: str,
    path: str,
    body: Any,
    status: int,
    response: Any,
    *,
    method: str = "POST",
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    req: dict[str, Any] = {"method": method, "path": path}
    if body is not None:
        req["body"] = body
    return {
        "label": label,
        "request": req,
        "response": {"status": status, "headers": headers(label, **(extra_headers or {})), "body": response},
    }


def message_exchange(
    label: str, request: dict[str, Any], content: list[dict[str, Any]] | str, **kw: Any
) -> dict[str, Any]:
    """A POST /v1/messages exchange answered by `message(...)`."""
    return json_exchange(label, "/v1/messages", request, 200, message(request, content, seed=label, **kw))


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
) -> dict[str, Any]:
    envelope = {"type": "error", "error": {"type": kind, "message": text}, "request_id": make_id("req_", label)}
    return json_exchange(label, path, body, status, envelope, method=method, extra_headers=extra_headers)


_WORD = re.compile(r"\S+\s*|\s+")


def chunk_text(text: str, words_per_chunk: int = 3) -> list[str]:
    """Split text into stream-sized pieces of a few words, keeping every character."""
    words = _WORD.findall(text)
    return ["".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)]


def stream_events(
    msg: dict[str, Any],
    *,
    first_token: float = 0.45,
    tokens_per_second: float = 70.0,
    ping: bool = True,
) -> list[dict[str, Any]]:
    """The SSE events that stream `msg`, with offsets: first text after `first_token` s, then a steady rate."""
    t = round(first_token * 0.8, 3)
    start_usage = dict(msg["usage"], output_tokens=1)
    head = dict(msg, content=[], stop_reason=None, stop_sequence=None, usage=start_usage)
    events = [{"at": t, "event": "message_start", "data": {"type": "message_start", "message": head}}]
    clock = first_token

    def add(at: float, name: str, data: dict[str, Any]) -> None:
        events.append({"at": round(at, 3), "event": name, "data": {"type": name, **data}})

    for i, block in enumerate(msg["content"]):
        kind = block["type"]
        if kind == "text":
            add(t, "content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}})
            if ping and i == 0:
                add(t, "ping", {})
            for piece in chunk_text(block["text"]):
                add(clock, "content_block_delta", {"index": i, "delta": {"type": "text_delta", "text": piece}})
                clock += max(1, estimate_tokens(piece)) / tokens_per_second
        elif kind == "tool_use":
            add(clock, "content_block_start", {"index": i, "content_block": dict(block, input={})})
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
    out_usage = {
        k: msg["usage"][k]
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
    }
    add(
        clock,
        "message_delta",
        {"delta": {"stop_reason": msg["stop_reason"], "stop_sequence": msg["stop_sequence"]}, "usage": out_usage},
    )
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
    """A streamed POST /v1/messages exchange (the request must carry "stream": true)."""
    msg = message(request, content, seed=label, **kw)
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": request},
        "response": {
            "status": 200,
            "headers": {"content-type": "text/event-stream; charset=utf-8", "request-id": make_id("req_", label)},
            "events": stream_events(msg, first_token=first_token, tokens_per_second=tokens_per_second),
        },
    }


def recording(exchanges: list[dict[str, Any]], *, models: list[str], note: str = "") -> dict[str, Any]:
    """A whole authored recording with its provenance."""
    return {
        "format": FORMAT,
        "provenance": {
            "source": "authored",
            "date": DATE,
            "sdk": SDK,
            "models": models,
            "note": (note + " " if note else "")
            + "Written for the course in the API's wire format; not output of Claude. "
            + ESTIMATE_NOTE,
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
