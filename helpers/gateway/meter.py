"""Price what the API answered: JSON messages, streams (usage in message_start and the cumulative
message_delta), and batch result lines at the batch rate. Used by the gateway's live meter and by the
course bill computed from recordings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..models import canonical_model_id
from ..pricing import UnknownPriceError, cost

__all__ = [
    "Charge",
    "Tally",
    "USAGE_FIELDS",
    "STREAM_EVENTS",
    "charges_from_message",
    "charges_from_lines",
    "StreamMeter",
    "charges_from_exchange",
    "unpriced",
]


@dataclass(frozen=True)
class Charge:
    """One priced response: `usd` is None when the model has no known price (reported, never zero).
    `unknown` names what the meter could not price (an unpriced model, a usage field it does not know):
    live mode then keeps the call's worst case as spent."""

    model: str
    input_tokens: int
    output_tokens: int
    usd: float | None
    batch: bool = False
    unknown: str = ""


# Usage fields the meter prices (helpers.pricing.cost reads them); tests/hardening checks this against the
# SDK's usage types. "counted": priced; "none": must be absent, null, zero or empty to be priced.
USAGE_FIELDS: dict[str, str] = {
    "input_tokens": "counted",
    "output_tokens": "counted",  # thinking tokens included (output_tokens_details only breaks them down)
    "cache_creation_input_tokens": "counted",
    "cache_read_input_tokens": "counted",
    "cache_creation": "counted",  # the 5m / 1h split of the cache writes
    "output_tokens_details": "counted",
    "service_tier": "counted",  # standard or batch
    "inference_geo": "counted",  # the regional premium
    "speed": "counted",  # fast raises UnknownPriceError: unpriced
    "server_tool_use": "none",  # searches and fetches bill per use: not priced here
    "iterations": "none",  # compaction and other server-side iterations: not in the top-level counts
    "fallback_credit": "none",
}


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value in (None, 0, "", [], {}) and not isinstance(value, bool)


def _unknown_usage(usage: dict[str, Any]) -> str:
    """The first usage field the meter cannot price, or ""."""
    for key, value in usage.items():
        kind = USAGE_FIELDS.get(key)
        if kind is None or (kind == "none" and not _empty(value)):
            return f"usage.{str(key)[:40]}"
    return ""


def _charge(model: str, usage: Any, batch: bool | None = None) -> Charge:
    if not isinstance(usage, dict):
        usage = {}
    parts = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    try:
        tokens_in = sum(int(usage.get(k) or 0) for k in parts)
        tokens_out = int(usage.get("output_tokens") or 0)
    except (TypeError, ValueError):
        return Charge(canonical_model_id(model), 0, 0, None, bool(batch), "usage counts that are not numbers")
    unknown = _unknown_usage(usage) or ("" if "output_tokens" in usage else "no usage.output_tokens")
    try:
        c = cost(usage, model, batch=batch)
        usd, is_batch = c.total, c.batch
    except (UnknownPriceError, TypeError, ValueError):
        usd, is_batch = None, bool(batch)
        unknown = unknown or f"no price for {model[:60]!r}"
    return Charge(canonical_model_id(model), tokens_in, tokens_out, usd, is_batch, unknown)


def unpriced(charges: Iterable[Charge]) -> str:
    """What makes these charges less than the whole bill ("" when they are all priced)."""
    return next((c.unknown for c in charges if c.unknown or c.usd is None), "")


def charges_from_message(body: Any) -> list[Charge]:
    """The charge of a Message body (none for anything else, e.g. an error)."""
    if isinstance(body, dict) and body.get("type") == "message" and isinstance(body.get("usage"), dict):
        return [_charge(str(body.get("model", "")), body["usage"])]
    return []


def charges_from_lines(lines: Iterable[Any]) -> list[Charge]:
    """Charges of batch result lines: succeeded messages at the batch rate."""
    out = []
    for line in lines:
        result = line.get("result", {}) if isinstance(line, dict) else {}
        if isinstance(result, dict) and result.get("type") == "succeeded":
            msg = result.get("message") if isinstance(result.get("message"), dict) else {}
            out += [_charge(str(msg.get("model", "")), msg.get("usage", {}), batch=True)]
    return out


# The stream events the meter knows; any other (a feature it has not met) leaves the call unpriced.
STREAM_EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)


class StreamMeter:
    """Fed SSE events one by one; knows the usage so far (message_start, then cumulative message_delta)."""

    def __init__(self) -> None:
        self.model = ""
        self.message_id = ""
        self.usage: dict[str, Any] = {}
        self.complete = False
        self.unknown = ""  # the first event the meter does not know, if any

    def feed(self, event: str, data: Any) -> None:
        if event not in STREAM_EVENTS and not self.unknown:
            self.unknown = f"the stream event {event[:40]!r}"
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError:
                return
        if not isinstance(data, dict):
            return
        if event == "message_start":
            msg = data.get("message", {})
            self.model = str(msg.get("model", ""))
            self.message_id = str(msg.get("id", ""))
            self.usage = dict(msg.get("usage") or {})
        elif event == "message_delta":
            # message_delta usage is cumulative: it replaces, never adds
            self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
        elif event == "message_stop":
            self.complete = True

    def charges(self) -> list[Charge]:
        if not self.model:
            return []
        charge = _charge(self.model, self.usage)
        return [replace(charge, unknown=charge.unknown or self.unknown)]


def charges_from_exchange(response: Any) -> list[Charge]:
    """Charges of a recorded response (helpers.gateway.recordings.Response)."""
    if response.status >= 400:
        return []
    if response.events is not None:
        meter = StreamMeter()
        for ev in response.events:
            meter.feed(ev["event"], ev["data"])
        return meter.charges()
    if response.lines is not None:
        return charges_from_lines(response.lines)
    return charges_from_message(response.body)


@dataclass
class Tally:
    """Running totals per model; unpriced models are kept apart, by name."""

    by_model: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    unpriced: dict[str, int] = field(default_factory=dict)

    def add(self, charges: Iterable[Charge]) -> None:
        for c in charges:
            if c.usd is None:
                self.unpriced[c.model] = self.unpriced.get(c.model, 0) + 1
            else:
                self.by_model[c.model] = self.by_model.get(c.model, 0.0) + c.usd
                self.calls[c.model] = self.calls.get(c.model, 0) + 1

    @property
    def total(self) -> float:
        return sum(self.by_model.values())
