"""Prices per million tokens and the cost of a response's usage.

The one price table of the course. To update it, edit PRICES and SOURCE from the pricing page;
every notebook, the cost meter and `make cost` read it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .models import canonical_model_id

__all__ = [
    "SOURCE",
    "Price",
    "PRICES",
    "CACHE_WRITE_5M",
    "CACHE_WRITE_1H",
    "CACHE_READ",
    "BATCH_DISCOUNT",
    "UnknownPriceError",
    "Cost",
    "price_of",
    "cost",
    "format_usd",
]

SOURCE = "Anthropic pricing page, checked 2026-11-24"

CACHE_WRITE_5M = 1.25  # x the input price
CACHE_WRITE_1H = 2.0
CACHE_READ = 0.1
BATCH_DISCOUNT = 0.5  # batches pay half of every rate


@dataclass(frozen=True)
class Price:
    """Base rates in dollars per million tokens; cache and batch rates derive from them."""

    input: float
    output: float

    @property
    def cache_write_5m(self) -> float:
        return self.input * CACHE_WRITE_5M

    @property
    def cache_write_1h(self) -> float:
        return self.input * CACHE_WRITE_1H

    @property
    def cache_read(self) -> float:
        return self.input * CACHE_READ


PRICES: dict[str, Price] = {
    "claude-opus-4-6": Price(input=5.0, output=25.0),
    "claude-sonnet-4-6": Price(input=3.0, output=15.0),
    "claude-haiku-4-5": Price(input=1.0, output=5.0),
}


class UnknownPriceError(KeyError):
    """The course has no price for a model: it is reported, never priced as zero."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Cost:
    """Dollars for one usage, by part."""

    model: str
    input: float
    cache_write: float
    cache_read: float
    output: float
    batch: bool

    @property
    def total(self) -> float:
        return self.input + self.cache_write + self.cache_read + self.output

    def __str__(self) -> str:
        return format_usd(self.total)


def price_of(model: str) -> Price:
    """The price of `model` (dated ids map to their alias); UnknownPriceError when there is none."""
    try:
        return PRICES[canonical_model_id(model)]
    except KeyError:
        raise UnknownPriceError(
            f"No price for model {model!r} in helpers/pricing.py (known: {', '.join(PRICES)}). "
            "Add it from the pricing page."
        ) from None


def _get(usage: Any, name: str) -> Any:
    if isinstance(usage, Mapping):
        return usage.get(name)
    return getattr(usage, name, None)


def _tokens(usage: Any, name: str) -> int:
    value = _get(usage, name) or 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"usage.{name} must be a non-negative integer, got {value!r}")
    return value


def cost(usage: Any, model: str, *, batch: bool | None = None) -> Cost:
    """Price a Usage (SDK object or dict) for `model`.

    Cache writes are split by TTL when `usage.cache_creation` says how (else all 5-minute);
    `batch` defaults to whether `usage.service_tier` is "batch".
    """
    if usage is None:
        raise ValueError("usage is None: pass a response's .usage")
    price = price_of(model)
    if batch is None:
        batch = _get(usage, "service_tier") == "batch"
    factor = BATCH_DISCOUNT if batch else 1.0
    written = _tokens(usage, "cache_creation_input_tokens")
    detail = _get(usage, "cache_creation")
    written_1h = _tokens(detail, "ephemeral_1h_input_tokens") if detail is not None else 0
    written_5m = written - written_1h if written >= written_1h else 0
    per = factor / 1_000_000
    return Cost(
        model=canonical_model_id(model),
        input=_tokens(usage, "input_tokens") * price.input * per,
        cache_write=(written_5m * price.cache_write_5m + written_1h * price.cache_write_1h) * per,
        cache_read=_tokens(usage, "cache_read_input_tokens") * price.cache_read * per,
        output=_tokens(usage, "output_tokens") * price.output * per,
        batch=batch,
    )


def format_usd(dollars: float) -> str:
    """Dollars with enough places to see a single call: $0.000350, $1.2345."""
    if abs(dollars) < 0.01:
        return f"${dollars:.6f}"
    return f"${dollars:,.4f}"
