"""Prompt-caching arithmetic for notebook 08: where the breakpoints are, and what a cached prefix costs.

Every price comes from `helpers.pricing` (input price and the cache multipliers); this module only counts
which requests write the cache, which read it and which pay in full, and adds the results up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

from .config import NOTEBOOKS_DIR
from .pricing import cost, price_of

__all__ = [
    "DOCUMENT",
    "TTL_MINUTES",
    "load_document",
    "estimate_tokens",
    "breakpoints",
    "cache_events",
    "prefix_cost",
    "uncached_usage",
    "cumulative_costs",
    "break_even",
]

DOCUMENT: Path = NOTEBOOKS_DIR / "data" / "common_orchards_act.txt"
TTL_MINUTES: dict[str, float] = {"5m": 5.0, "1h": 60.0}


def load_document(path: Path = DOCUMENT) -> str:
    """The course's fictional statute (the long document that notebook 08 caches), as text."""
    return path.read_text(encoding="utf-8")


def estimate_tokens(text: str) -> int:
    """The course's size estimate: ceil(characters / 4), about right for English prose."""
    if not isinstance(text, str):
        raise TypeError(f"estimate_tokens needs a str, got {type(text).__name__}")
    return math.ceil(len(text) / 4)


def _blocks(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def breakpoints(request: Mapping[str, Any]) -> list[str]:
    """Where `request` carries cache_control, in prefix order (tools, then system, then messages).

    Paths read like Python subscripts: "tools[1]", "system[0]", "messages[2].content[0]". A system or
    message given as a plain string has no blocks, so it cannot carry a breakpoint.
    """
    if not isinstance(request, Mapping):
        raise TypeError(f"breakpoints needs a request dict, got {type(request).__name__}")
    found = []
    for i, tool in enumerate(_blocks(request.get("tools"))):
        if isinstance(tool, Mapping) and "cache_control" in tool:
            found.append(f"tools[{i}]")
    for i, block in enumerate(_blocks(request.get("system"))):
        if isinstance(block, Mapping) and "cache_control" in block:
            found.append(f"system[{i}]")
    for i, msg in enumerate(_blocks(request.get("messages"))):
        content = msg.get("content") if isinstance(msg, Mapping) else None
        for j, block in enumerate(_blocks(content)):
            if isinstance(block, Mapping) and "cache_control" in block:
                found.append(f"messages[{i}].content[{j}]")
    return found


def cache_events(times: Sequence[float], ttl: str | None) -> list[str]:
    """For requests at `times` (minutes, ascending) sharing one prefix: "write", "read" or "full" each.

    With `ttl` None nothing is cached ("full" every time). Otherwise the first request writes; a request
    within the TTL of the last write or read reads (and so keeps the entry alive, as the API does); a
    request at or after the expiry writes again.
    """
    if ttl is not None and ttl not in TTL_MINUTES:
        raise ValueError(f"ttl must be None, '5m' or '1h', got {ttl!r}")
    events: list[str] = []
    last: float | None = None
    for t in times:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t >= 0 or math.isinf(t):
            raise ValueError(f"times must be finite minutes >= 0, got {t!r}")
        if last is not None and t < last:
            raise ValueError("times must be in ascending order")
        if ttl is None:
            events.append("full")
        elif events and t - last < TTL_MINUTES[ttl]:  # type: ignore[operator]
            events.append("read")
        else:
            events.append("write")
        last = t
    return events


def prefix_cost(prefix_tokens: int, times: Sequence[float], model: str, ttl: str | None) -> float:
    """Dollars for the shared prefix over all requests at `times`, with no cache (ttl None), "5m" or "1h"."""
    if isinstance(prefix_tokens, bool) or not isinstance(prefix_tokens, int) or prefix_tokens < 0:
        raise ValueError(f"prefix_tokens must be a non-negative int, got {prefix_tokens!r}")
    price = price_of(model).for_prompt(prefix_tokens)  # a model priced by prompt length: the prefix's tier
    rate = {
        "full": price.input,
        "read": price.cache_read,
        "write": price.cache_write_1h if ttl == "1h" else price.cache_write_5m,
    }
    return sum(prefix_tokens * rate[e] for e in cache_events(times, ttl)) / 1_000_000


def _get(usage: Any, name: str) -> Any:
    return usage.get(name) if isinstance(usage, Mapping) else getattr(usage, name, None)


def uncached_usage(usage: Any) -> dict[str, int]:
    """The usage the same call would have had without cache_control: every prompt token at the input rate."""
    if usage is None:
        raise ValueError("usage is None: pass a response's .usage")
    parts = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return {
        "input_tokens": sum(_get(usage, p) or 0 for p in parts),
        "output_tokens": _get(usage, "output_tokens") or 0,
    }


def cumulative_costs(usages: Sequence[Any], model: str) -> tuple[list[float], list[float]]:
    """Running totals in dollars: the calls as recorded (cached), and the same calls priced uncached."""
    cached = [cost(u, model).total for u in usages]
    uncached = [cost(uncached_usage(u), model).total for u in usages]
    return list(accumulate(cached)), list(accumulate(uncached))


def break_even(cached: Sequence[float], uncached: Sequence[float]) -> int | None:
    """The first call (1-based) after which the cached running total is below the uncached one, or None."""
    if len(cached) != len(uncached):
        raise ValueError(f"the two series differ in length: {len(cached)} and {len(uncached)}")
    for n, (c, u) in enumerate(zip(cached, uncached, strict=True), start=1):
        if c < u:
            return n
    return None
