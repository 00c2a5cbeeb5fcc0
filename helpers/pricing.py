"""Prices per million tokens and the cost of a response's usage.

The one price table of the course. To update it, edit PRICES and SOURCE from the pricing page;
every notebook, the cost meter and `make cost` read it from here.

Where each price comes from (docs corpus, read 2026-12-02; pages carry no edit date):

- Opus 4.6 $5/$25, Sonnet 4.6 $3/$15, Haiku 4.5 $1/$5, with cache writes 1.25x / 2x and reads 0.1x:
  https://platform.claude.com/docs/en/about-claude/pricing (model pricing table) and each model's page.
- Opus 5.5 $4/$20, writes $5 / $8, reads $0.20 (0.05x):
  https://platform.claude.com/docs/zh-CN/models/opus-5-5/overview (Specifications, Pricing).
- Sonnet 5.5 $2/$10, writes $2.50 / $4, reads $0.20: https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview.
  Uncertain: third-party changelogs (PromptFuel v1.0.23, claudit v1.9.2, Oct 2026) report a cut of the read
  price to $0.10 from 2026-10-07; no Anthropic page in the corpus shows it, so the table keeps $0.20.
- Haiku 5.5, by prompt length (input + cache reads + cache writes): up to 100,000 tokens $0.10/$0.50,
  writes $0.125 / $0.20, reads $0.01; above, every rate x5 ($0.50/$2.50):
  https://platform.claude.com/docs/en/models/haiku-5-5/overview (released 2026-10-07).
- Fable 5.2 $8/$40: models overview, the version listing Fable 5.2,
  https://platform.claude.com/docs/en/models/overview?model=claude-opus-5-5. Its cache rates are on no
  page in the corpus: uncertain; the table uses the standard 1.25x / 2x / 0.1x, which errs high for reads
  (Fable 5.1's read was $0.25, 0.025x, on the pricing page).
- Mythos 5.2 (invitation only): no published price in the corpus, so it has none here (never guessed).
- Batch: half of every rate (pricing page; "Batch API: 50% discount" on every model page).
- Regional inference: `inference_geo: "us"` costs 1.1x on every token category on Opus 4.6 and newer
  models (https://platform.claude.com/docs/en/api/service-tiers, Priority Tier burndown: "US-only inference
  is priced at 1.1x on Opus 4.6 and newer models"; https://platform.claude.com/docs/en/manage-claude/data-residency).
- Fast mode (`speed: "fast"`, Fable 5.2, Mythos 5.2, Opus 5.5; https://platform.claude.com/docs/en/build-with-claude/fast-mode)
  bills "a multiplier on standard rates"; the page's table is not in the corpus (third parties say about 2x
  on Opus 5.5, $8/$40): uncertain, so `cost` refuses a fast usage instead of pricing it.
- Priority Tier (`usage.service_tier == "priority"`) is billed under a capacity commitment, not per token
  (https://platform.claude.com/docs/ja/api/service-tiers.md: a legacy feature, no new commitments); `cost`
  prices it at the standard rates and says so in `Cost.note`.
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
    "REGIONAL_PREMIUM",
    "UNPRICED",
    "UnknownPriceError",
    "Cost",
    "price_of",
    "cost",
    "format_usd",
]

SOURCE = "Anthropic pricing and model pages, checked 2026-12-02"

CACHE_WRITE_5M = 1.25  # x the input price
CACHE_WRITE_1H = 2.0
CACHE_READ = 0.1
BATCH_DISCOUNT = 0.5  # batches pay half of every rate
REGIONAL_PREMIUM = 1.1  # inference_geo other than "global": every rate, Opus 4.6 and newer


@dataclass(frozen=True)
class Price:
    """Base rates in dollars per million tokens; cache and batch rates derive from them.

    `read` is the cache-read price where a page gives one other than CACHE_READ x input. For a model
    priced by prompt length (Haiku 5.5) the base rates are the *highest* tier, so anything that reads
    `input` and `output` directly (the live budget's worst case) can only overestimate; `short` holds the
    rates for a prompt of at most `short_up_to` tokens (input + cache reads + cache writes), which
    `for_prompt` (and so `cost`) picks when they apply.
    """

    input: float
    output: float
    read: float | None = None
    short_up_to: int | None = None
    short: Price | None = None

    @property
    def cache_write_5m(self) -> float:
        return self.input * CACHE_WRITE_5M

    @property
    def cache_write_1h(self) -> float:
        return self.input * CACHE_WRITE_1H

    @property
    def cache_read(self) -> float:
        return self.input * CACHE_READ if self.read is None else self.read

    def for_prompt(self, prompt_tokens: float) -> Price:
        """The rates that apply to a request whose prompt has this many tokens."""
        if self.short is not None and self.short_up_to is not None and prompt_tokens <= self.short_up_to:
            return self.short
        return self


# The worked examples' models first (the recordings call them), then today's lineup.
PRICES: dict[str, Price] = {
    "claude-opus-4-6": Price(input=5.0, output=25.0),
    "claude-sonnet-4-6": Price(input=3.0, output=15.0),
    "claude-haiku-4-5": Price(input=1.0, output=5.0),
    "claude-fable-5-2": Price(input=8.0, output=40.0),  # cache rates uncertain (see above)
    "claude-opus-5-5": Price(input=4.0, output=20.0, read=0.20),
    "claude-sonnet-5-5": Price(input=2.0, output=10.0, read=0.20),  # read price uncertain (see above)
    "claude-haiku-5-5": Price(  # prompts over 100,000 tokens; up to 100,000 every rate is a fifth
        input=0.50, output=2.50, read=0.05, short_up_to=100_000, short=Price(input=0.10, output=0.50, read=0.01)
    ),
}

# Models the course names but cannot price: the reason, quoted by UnknownPriceError.
UNPRICED: dict[str, str] = {
    "claude-mythos-5-2": "Claude Mythos 5.2 is offered by invitation only and its price is not published",
}

# Models on which inference_geo is a 400 (older than Opus 4.6), so no regional premium can apply.
_NO_REGIONAL = {"claude-haiku-4-5"}


class UnknownPriceError(KeyError):
    """The course has no price for a model: it is reported, never priced as zero."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Cost:
    """Dollars for one usage, by part. `premium` is the regional multiplier already in every part."""

    model: str
    input: float
    cache_write: float
    cache_read: float
    output: float
    batch: bool
    premium: float = 1.0
    note: str = ""

    @property
    def total(self) -> float:
        return self.input + self.cache_write + self.cache_read + self.output

    def __str__(self) -> str:
        return format_usd(self.total)


def price_of(model: str) -> Price:
    """The price of `model` (dated ids map to their alias); UnknownPriceError when there is none."""
    name = canonical_model_id(model)
    try:
        return PRICES[name]
    except KeyError:
        why = f"{UNPRICED[name]}. " if name in UNPRICED else "Add it from the pricing page. "
        raise UnknownPriceError(
            f"No price for model {model!r} in helpers/pricing.py (known: {', '.join(PRICES)}). {why.strip()}"
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
    `batch` defaults to whether `usage.service_tier` is "batch". `usage.inference_geo` other than
    "global" adds REGIONAL_PREMIUM; a prompt-length tier (Haiku 5.5) is chosen from the usage.
    `usage.speed == "fast"` raises UnknownPriceError: the course has no fast-mode rates.
    `service_tier == "priority"` is priced at standard rates, with a note (billed by commitment).
    """
    if usage is None:
        raise ValueError("usage is None: pass a response's .usage")
    price = price_of(model)
    name = canonical_model_id(model)
    if _get(usage, "speed") == "fast":
        raise UnknownPriceError(
            f"usage.speed is 'fast' on {model!r}: fast mode bills a premium that helpers/pricing.py does not "
            "carry; see https://platform.claude.com/docs/en/build-with-claude/fast-mode"
        )
    tier = _get(usage, "service_tier")
    if batch is None:
        batch = tier == "batch"
    geo = _get(usage, "inference_geo")
    premium = REGIONAL_PREMIUM if geo not in (None, "global") and name not in _NO_REGIONAL else 1.0
    factor = (BATCH_DISCOUNT if batch else 1.0) * premium
    written = _tokens(usage, "cache_creation_input_tokens")
    read = _tokens(usage, "cache_read_input_tokens")
    price = price.for_prompt(_tokens(usage, "input_tokens") + written + read)
    detail = _get(usage, "cache_creation")
    written_1h = _tokens(detail, "ephemeral_1h_input_tokens") if detail is not None else 0
    written_5m = written - written_1h if written >= written_1h else 0
    per = factor / 1_000_000
    note = "priority tier: billed under your commitment; priced here at standard rates" if tier == "priority" else ""
    return Cost(
        model=name,
        input=_tokens(usage, "input_tokens") * price.input * per,
        cache_write=(written_5m * price.cache_write_5m + written_1h * price.cache_write_1h) * per,
        cache_read=read * price.cache_read * per,
        output=_tokens(usage, "output_tokens") * price.output * per,
        batch=batch,
        premium=premium,
        note=note,
    )


def format_usd(dollars: float) -> str:
    """Dollars with enough places to see a single call: $0.000350, $1.2345."""
    if abs(dollars) < 0.01:
        return f"${dollars:.6f}"
    return f"${dollars:,.4f}"
