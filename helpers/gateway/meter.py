"""Price what the API answered: JSON messages, streams (usage in message_start and the cumulative
message_delta), and batch result lines at the batch rate. Used by the gateway's live meter and by the
course bill computed from recordings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..models import canonical_model_id
from ..pricing import UnknownPriceError, cost

__all__ = ["Charge", "Tally", "charges_from_message", "charges_from_lines", "StreamMeter", "charges_from_exchange"]


@dataclass(frozen=True)
class Charge:
    """One priced response: `usd` is None when the model has no known price (reported, never zero)."""

    model: str
    input_tokens: int
    output_tokens: int
    usd: float | None
    batch: bool = False


def _charge(model: str, usage: dict[str, Any], batch: bool | None = None) -> Charge:
    parts = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    tokens_in = sum(int(usage.get(k) or 0) for k in parts)
    try:
        c = cost(usage, model, batch=batch)
        usd, is_batch = c.total, c.batch
    except UnknownPriceError:
        usd, is_batch = None, bool(batch)
    return Charge(canonical_model_id(model), tokens_in, int(usage.get("output_tokens") or 0), usd, is_batch)


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
        if result.get("type") == "succeeded":
            msg = result.get("message", {})
            out += [_charge(str(msg.get("model", "")), msg.get("usage", {}), batch=True)]
    return out


class StreamMeter:
    """Fed SSE events one by one; knows the usage so far (message_start, then cumulative message_delta)."""

    def __init__(self) -> None:
        self.model = ""
        self.message_id = ""
        self.usage: dict[str, Any] = {}
        self.complete = False

    def feed(self, event: str, data: Any) -> None:
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
        return [_charge(self.model, self.usage)] if self.model else []


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
