"""The price table and the cost of a usage."""

from __future__ import annotations

import pytest
from anthropic.types import Usage

from helpers.models import HAIKU, MODELS, OPUS, SONNET, canonical_model_id, model_info
from helpers.pricing import PRICES, SOURCE, UnknownPriceError, cost, format_usd, price_of

# Facts of named models are pinned to their ids, so they hold whatever OPUS, SONNET and HAIKU are set to.
OPUS_4_6, SONNET_4_6, HAIKU_4_5 = "claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"


def test_table_matches_the_pricing_page():
    assert (PRICES[OPUS_4_6].input, PRICES[OPUS_4_6].output) == (5, 25)
    assert (PRICES[SONNET_4_6].input, PRICES[SONNET_4_6].output) == (3, 15)
    assert (PRICES[HAIKU_4_5].input, PRICES[HAIKU_4_5].output) == (1, 5)
    opus = PRICES[OPUS_4_6]
    assert (opus.cache_write_5m, opus.cache_write_1h, opus.cache_read) == (6.25, 10, 0.5)
    assert "2026" in SOURCE
    assert (PRICES[SONNET_4_6].cache_read, PRICES[HAIKU_4_5].cache_read) == pytest.approx((0.3, 0.1))


def test_every_course_model_has_a_price():
    assert set(MODELS) <= set(PRICES)  # the worked examples' models; the lineup's are in test_models.py


def test_plain_usage():
    c = cost({"input_tokens": 1_000_000, "output_tokens": 1_000_000}, OPUS_4_6)
    assert (c.input, c.output, c.total) == (5, 25, 30)
    assert str(cost({"input_tokens": 15, "output_tokens": 40}, OPUS_4_6)) == "$0.001075"
    # The course's Opus, whichever it is, is priced from its own row.
    c = cost({"input_tokens": 1_000_000, "output_tokens": 1_000_000}, OPUS)
    assert (c.input, c.output) == (PRICES[OPUS].input, PRICES[OPUS].output)


def test_sdk_usage_object_and_dated_model_id():
    usage = Usage(input_tokens=1000, output_tokens=100)
    assert cost(usage, "claude-haiku-4-5-20251001").total == pytest.approx(0.0015)
    assert canonical_model_id("claude-haiku-4-5-20251001") == HAIKU_4_5
    assert canonical_model_id(f"{HAIKU}-20991231") == HAIKU  # whatever the course's Haiku is
    assert model_info("claude-haiku-4-5-20251001").context_window == 200_000


def test_cache_writes_split_by_ttl_and_reads():
    usage = {
        "input_tokens": 10,
        "output_tokens": 0,
        "cache_creation_input_tokens": 3000,
        "cache_read_input_tokens": 5000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
    }
    c = cost(usage, OPUS_4_6)
    assert c.cache_write == pytest.approx((1000 * 6.25 + 2000 * 10) / 1e6)
    assert c.cache_read == pytest.approx(5000 * 0.5 / 1e6)
    no_detail = dict(usage, cache_creation=None)
    assert cost(no_detail, OPUS_4_6).cache_write == pytest.approx(3000 * 6.25 / 1e6)


def test_batch_is_half_price_and_read_from_service_tier():
    usage = {"input_tokens": 1000, "output_tokens": 1000}
    assert cost(dict(usage, service_tier="batch"), SONNET).total == pytest.approx(cost(usage, SONNET).total / 2)
    assert cost(usage, SONNET, batch=True).batch is True


def test_unknown_model_is_reported_not_priced_as_zero():
    with pytest.raises(UnknownPriceError, match="claude-nonexistent-9"):
        cost({"input_tokens": 1, "output_tokens": 1}, "claude-nonexistent-9")
    with pytest.raises(UnknownPriceError):
        price_of("gpt-whatever")
    with pytest.raises(KeyError, match="knows"):
        model_info("claude-nonexistent-9")


@pytest.mark.parametrize(
    "bad", [{"input_tokens": -1}, {"input_tokens": "10"}, {"input_tokens": 1.5}, {"output_tokens": True}]
)
def test_bad_usage_is_refused(bad):
    with pytest.raises(ValueError, match="usage"):
        cost(bad, OPUS)
    with pytest.raises(ValueError, match="usage is None"):
        cost(None, OPUS)


def test_format_usd():
    assert format_usd(0.000350) == "$0.000350"
    assert format_usd(1.23456) == "$1.2346"
    assert format_usd(1234.5) == "$1,234.5000"


def test_lineup_prices_from_the_model_pages():
    assert (PRICES["claude-opus-5-5"].input, PRICES["claude-opus-5-5"].output) == (4, 20)
    assert PRICES["claude-opus-5-5"].cache_read == 0.20  # 0.05x, not the standard 0.1x
    assert PRICES["claude-opus-5-5"].cache_write_5m == 5 and PRICES["claude-opus-5-5"].cache_write_1h == 8
    assert (PRICES["claude-sonnet-5-5"].input, PRICES["claude-sonnet-5-5"].output) == (2, 10)
    assert (PRICES["claude-fable-5-2"].input, PRICES["claude-fable-5-2"].output) == (8, 40)
    with pytest.raises(UnknownPriceError, match="invitation only"):
        price_of("claude-mythos-5-2")


def test_haiku_5_5_is_priced_by_prompt_length():
    short = cost({"input_tokens": 90_000, "cache_read_input_tokens": 10_000, "output_tokens": 1000}, "claude-haiku-5-5")
    assert short.input == pytest.approx(90_000 * 0.10 / 1e6) and short.cache_read == pytest.approx(10_000 * 0.01 / 1e6)
    long = cost({"input_tokens": 90_000, "cache_read_input_tokens": 10_001, "output_tokens": 1000}, "claude-haiku-5-5")
    assert long.output == pytest.approx(1000 * 2.50 / 1e6)  # every rate of the request, output included
    # The headline rates are the higher tier, so a worst case read from .input/.output never falls short.
    assert PRICES["claude-haiku-5-5"].input == 0.50


def test_regional_inference_costs_a_tenth_more():
    usage = {"input_tokens": 1000, "output_tokens": 1000}
    base = cost(dict(usage, inference_geo="global"), OPUS_4_6)  # "Opus 4.6 and newer models"
    us = cost(dict(usage, inference_geo="us"), OPUS_4_6)
    assert us.total == pytest.approx(base.total * 1.1) and us.premium == 1.1 and base.premium == 1.0
    batch_us = cost(dict(usage, inference_geo="us", service_tier="batch"), OPUS_4_6)
    assert batch_us.total == pytest.approx(base.total * 1.1 / 2)


def test_fast_mode_is_refused_and_priority_is_noted():
    with pytest.raises(UnknownPriceError, match="fast mode"):
        cost({"input_tokens": 1, "output_tokens": 1, "speed": "fast"}, "claude-opus-5-5")
    assert cost({"input_tokens": 1, "output_tokens": 1, "speed": "standard"}, OPUS).total > 0
    priority = cost({"input_tokens": 1000, "output_tokens": 0, "service_tier": "priority"}, OPUS_4_6)
    assert priority.total == pytest.approx(0.005) and "commitment" in priority.note
    sdk = Usage(input_tokens=10, output_tokens=10, inference_geo="us", speed="standard", service_tier="standard")
    assert cost(sdk, SONNET_4_6).premium == 1.1
