"""What the gateway answers, as values: the API's error envelope, request ids, body parsing within limits,
the log entry, and what it may keep about headers. Shared by replay (`server`), live (`live`) and the
HTTP handler (`handler`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .guard import redact
from .recordings import Exchange, stable_id

__all__ = [
    "Answer",
    "LogEntry",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "error_answer",
    "error_body",
    "parse_body",
    "request_id",
    "seen_headers",
    "short_error",
]

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 100  # JSON nesting a request may have; deeper bodies would exhaust the recursion limit
# JSON values a body may hold, counted (from above) before parsing: a parsed value costs ~40x its bytes, so a
# wide body ("[0,0,...]") would cost gigabytes. A million is ~50 MB of prose with a comma every 50 characters.
MAX_NODES = 1_000_000
_LENGTH = re.compile(r"^[0-9]{1,18}$")
_RETRIES = re.compile(r"^[0-9]{1,4}$")
GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests (iterative: never recurses)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, d)
            stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def short_error(exc: BaseException) -> str:
    """One short line about an exception: its type and the start of its message, never a traceback."""
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def request_id(seed: str) -> str:
    """A request id in the API's form (req_011C...), the same for the same seed."""
    return stable_id("req_", seed)


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The API's error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def parse_body(raw: bytes) -> tuple[Any, str | None]:
    """A request body parsed as JSON (None when empty), or the reason it is refused with a 400."""
    if not raw.strip():
        return None, None
    nodes = raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1  # at least as many as the values inside
    if nodes > MAX_NODES:
        return None, f"Request body holds more than {MAX_NODES:,} JSON values; send a smaller request."
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as e:  # bad JSON, bad UTF-8, a 5,000-digit number, deep nesting
        where = f" (line {e.lineno} column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        return None, f"Request body is not valid JSON{where}."
    if _depth(body) > MAX_DEPTH:
        return None, f"Request body nests deeper than {MAX_DEPTH} levels."
    return body, None


def seen_headers(headers: Any) -> dict[str, Any]:
    """What the log may keep about a request's headers (any mapping with a case-insensitive get): never a key."""
    retries = headers.get("x-stainless-retry-count", "0")
    auth = "none"
    if headers.get("Authorization", "").lower().startswith("bearer "):
        auth = "bearer"
    elif headers.get("x-api-key"):
        auth = "x-api-key"
    return {
        "retry_count": int(retries) if _RETRIES.match(retries) else 0,  # ASCII digits only: "²" is a digit too
        "auth": auth,
        "version": headers.get("anthropic-version", "")[:40],
    }


@dataclass(frozen=True)
class Answer:
    """A replayed answer without a socket: status, headers to send, and the body bytes; for an SSE answer
    (`kind` "sse") the exchange whose events to send instead, at their recorded offsets. `hold` is the
    recorded fixed delay before answering."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    kind: str = "json"  # json, jsonl, sse
    hold: float = 0.0
    exchange: Exchange | None = None


def error_answer(method: str, path: str, status: int, kind: str, message: str) -> Answer:
    """The API's error envelope as an answer; x-should-retry: false, so the SDK raises at once instead of
    retrying a request that cannot succeed. Its request id is derived from the error, so stored outputs stay
    the same."""
    route = path.split("?", 1)[0][:200]
    rid = request_id(f"{method} {route} {status} {message}")
    message = redact(message)  # no key, whole or in part, ever comes back in an error
    data = json.dumps(dict(error_body(kind, message), request_id=rid), ensure_ascii=False, separators=(",", ":"))
    headers = {"x-should-retry": "false", "request-id": rid, "Content-Type": "application/json"}
    return Answer(status, headers, data.encode("utf-8"))


@dataclass(frozen=True)
class LogEntry:
    """One request the gateway answered (what a notebook can show about retries and misses)."""

    method: str
    path: str  # the route only, at most 200 characters: never a query string
    status: int
    kind: str  # json, sse, jsonl, miss, error, budget
    exchange: str = ""
    retry_count: int = 0
    auth: str = "none"  # which header carried the key: "bearer", "x-api-key" or "none" (never the key itself)
    version: str = ""  # the anthropic-version header the client sent
