"""How replay compares a request with a recorded one, as small named functions: canonical JSON and paths, the
equivalences the API treats as equal, and the first place where two bodies differ (for a miss message).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["EQUIVALENCES", "canonical_body", "canonical_path", "match_body", "match_path", "first_difference"]


def canonical_body(body: Any) -> str:
    """The body as canonical JSON: key order and whitespace do not matter."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_path(path: str, *, drop: tuple[tuple[str, str], ...] = ()) -> str:
    """The path with its query parameters sorted, so `?b=1&a=2` matches `?a=2&b=1` (and `drop` left out)."""
    parts = urlsplit(path)
    pairs = [p for p in parse_qsl(parts.query, keep_blank_values=True) if p not in drop]
    query = urlencode(sorted(pairs))
    return parts.path + (f"?{query}" if query else "")


# Requests the API answers the same, so replay matches them as equal: (name, what it means). The only ones.
EQUIVALENCES = (
    ("stream-false", '"stream": false is the same as no "stream" field (ruby_llm, crewAI and pydantic-ai send it)'),
    ("empty-body", "an empty JSON object {} is the same as no body (Ruby VCR records {} for batches.cancel())"),
)


def match_body(body: Any) -> Any:
    """The body as matching sees it, with EQUIVALENCES applied: {} is no body, "stream": false is no stream."""
    if isinstance(body, dict):
        if body.get("stream") is False:
            body = {k: v for k, v in body.items() if k != "stream"}
        if not body:
            return None
    return body


def _equivalence_note(recorded: Any, sent: Any) -> str:
    """Which equivalences relate two bodies (named), for a miss message; "" when none does."""
    names = []
    for side in (recorded, sent):
        if isinstance(side, dict) and side.get("stream") is False and "stream-false" not in names:
            names.append("stream-false")
    if (recorded == {} and sent is None) or (recorded is None and sent == {}):
        names.append("empty-body")
    return "; ".join(text for name, text in EQUIVALENCES if name in names)


def match_path(path: str) -> str:
    """The path as matching sees it: canonical, without `beta=true` (older SDKs sent beta calls with it,
    SDK 2.x posts the same call to the plain path)."""
    return canonical_path(path, drop=(("beta", "true"),))


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_difference(recorded: Any, sent: Any, where: str = "body") -> str | None:
    """The first JSON path where two values differ, described in one phrase; None when equal."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent)):
            here = f"{where}.{key}"
            if key not in sent:
                return f"{here}: recorded {_short(recorded[key])}, the request has no such field"
            if key not in recorded:
                return f"{here}: the request sends {_short(sent[key])}, the recording has no such field"
            found = first_difference(recorded[key], sent[key], here)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(sent, list):
        for i, (a, b) in enumerate(zip(recorded, sent, strict=False)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        if len(recorded) != len(sent):
            return f"{where}: recorded {len(recorded)} items, the request sends {len(sent)}"
        return None
    if recorded == sent and type(recorded) is type(sent):
        return None
    return f"{where}: recorded {_short(recorded)}, the request sends {_short(sent)}"
