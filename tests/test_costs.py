"""helpers.costs (price table card, monthly costs, calculator widget, bill figure), its self-checks, and
09_costs's recording replayed through the SDK."""

from __future__ import annotations

import base64
import math

import anthropic
import matplotlib
import pytest

from helpers import costs, pricing
from helpers.checks import costs as check
from helpers.config import RECORDINGS_DIR
from helpers.gateway import Gateway
from helpers.gateway.meter import Charge, Tally
from helpers.gateway.recordings import load_recording
from helpers.models import HAIKU, KNOWN, LINEUP, OPUS, SONNET, canonical_model_id, model_info
from helpers.pricing import PRICES, Price, UnknownPriceError, price_of

matplotlib.use("Agg")

RECORDING = load_recording(RECORDINGS_DIR / "09_costs.json")


@pytest.fixture
def fake_prices(monkeypatch: pytest.MonkeyPatch) -> dict[str, Price]:
    """A price table with different numbers, to prove nothing in costs holds a price of its own."""
    table = {OPUS: Price(10.0, 50.0), SONNET: Price(4.0, 20.0), HAIKU: Price(2.0, 8.0)}
    monkeypatch.setattr(pricing, "PRICES", table)
    monkeypatch.setattr(costs, "PRICES", table)
    monkeypatch.setattr(check, "PRICES", table)
    return table


# --- price table ------------------------------------------------------------------------------------------


def test_price_table_shows_every_model_and_every_derived_rate() -> None:
    card = costs.price_table()
    text = repr(card)
    assert pricing.SOURCE in text and pricing.SOURCE in card._repr_html_()
    for model, price in PRICES.items():
        row = next(line for line in text.splitlines() if line.startswith(model))
        numbers = [float(x) for x in row.split()[1:]]
        assert numbers == pytest.approx(
            [
                price.input,
                price.cache_write_5m,
                price.cache_write_1h,
                price.cache_read,
                price.output,
                price.input * pricing.BATCH_DISCOUNT,
                price.output * pricing.BATCH_DISCOUNT,
            ],
            abs=0.005,
        )  # shown with two places
        assert f"<code>{model}</code>" in card._repr_html_()


def test_price_table_follows_the_price_table(fake_prices: dict[str, Price]) -> None:
    row = next(line for line in repr(costs.price_table()).splitlines() if line.startswith(HAIKU))
    assert [float(x) for x in row.split()[1:]] == [2.0, 2.5, 4.0, 0.2, 8.0, 1.0, 4.0]


def test_usd_shows_cents_from_a_dollar_and_places_below() -> None:
    assert costs.usd(1234.5) == "$1,234.50"
    assert costs.usd(1.0) == "$1.00"
    assert costs.usd(0.0155) == "$0.0155"
    assert costs.usd(0.00031) == "$0.000310"


def test_model_name_falls_back_to_the_id() -> None:
    assert costs.model_name("claude-haiku-4-5-20251001") == "Claude Haiku 4.5"
    assert costs.model_name("claude-unknown-1") == "claude-unknown-1"


# --- monthly costs ----------------------------------------------------------------------------------------


def test_monthly_cost_is_tokens_times_rates_times_requests() -> None:
    p = price_of(SONNET).for_prompt(2_000)
    month = costs.monthly_cost(SONNET, 1_000, 2_000, 400)
    assert month.requests == 30_000
    assert month.input == pytest.approx(30_000 * 2_000 * p.input / 1e6)
    assert month.output == pytest.approx(30_000 * 400 * p.output / 1e6)
    assert month.cache_read == 0
    # By hand on Sonnet 4.6: 30,000 requests x (2,000 x $3 + 400 x $15) per million.
    sonnet = costs.monthly_cost("claude-sonnet-4-6", 1_000, 2_000, 400)
    assert sonnet.total == pytest.approx(360.0)
    assert sonnet.per_request == pytest.approx(0.012)


def test_cached_share_moves_input_to_the_cache_read_rate() -> None:
    p = price_of(OPUS)
    month = costs.monthly_cost(OPUS, 100, 1_000, 0, share_cached=0.75, days=10)
    assert month.input == pytest.approx(1_000 * 250 * p.input / 1e6)
    assert month.cache_read == pytest.approx(1_000 * 750 * p.cache_read / 1e6)
    assert month.output == 0


def test_batched_share_pays_the_batch_discount_on_every_part() -> None:
    plain = costs.monthly_cost(HAIKU, 500, 1_000, 300, share_cached=0.5)
    batched = costs.monthly_cost(HAIKU, 500, 1_000, 300, share_cached=0.5, share_batched=1.0)
    half = costs.monthly_cost(HAIKU, 500, 1_000, 300, share_cached=0.5, share_batched=0.5)
    for part in ("input", "cache_read", "output"):
        assert getattr(batched, part) == pytest.approx(getattr(plain, part) * pricing.BATCH_DISCOUNT)
    assert half.total == pytest.approx((plain.total + batched.total) / 2)


def test_monthly_cost_accepts_a_dated_id_and_reports_its_alias() -> None:
    assert costs.monthly_cost("claude-haiku-4-5-20251001", 1, 1, 1).model == "claude-haiku-4-5"
    assert costs.monthly_cost(f"{HAIKU}-20991231", 1, 1, 1).model == HAIKU


def test_monthly_cost_follows_the_price_table(fake_prices: dict[str, Price]) -> None:
    assert costs.monthly_cost(HAIKU, 1_000, 1_000, 1_000, days=1).total == pytest.approx(2.0 + 8.0)


def test_zero_requests_cost_nothing_per_request() -> None:
    month = costs.monthly_cost(OPUS, 0, 1_000, 100)
    assert month.total == 0 and month.per_request == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requests_per_day": -1}, "requests_per_day must be a number >= 0"),
        ({"requests_per_day": True}, "requests_per_day must be a number >= 0"),
        ({"input_tokens": "2000"}, "input_tokens must be a number >= 0"),
        ({"output_tokens": math.nan}, "output_tokens must be a number >= 0"),
        ({"output_tokens": math.inf}, "output_tokens must be a number >= 0"),
        ({"share_cached": 1.5}, "share_cached must be a share from 0 to 1"),
        ({"share_batched": -0.1}, "share_batched must be a share from 0 to 1"),
        ({"share_batched": None}, "share_batched must be a share from 0 to 1"),
        ({"days": 0}, "days must be more than 0"),
    ],
)
def test_monthly_cost_rejects_bad_inputs(kwargs: dict, message: str) -> None:
    args = {"requests_per_day": 100, "input_tokens": 1_000, "output_tokens": 100, **kwargs}
    positional = [args.pop(k) for k in ("requests_per_day", "input_tokens", "output_tokens")]
    with pytest.raises(ValueError, match=message):
        costs.monthly_cost(SONNET, *positional, **args)


def test_monthly_cost_picks_the_prompt_length_tier() -> None:
    small = costs.monthly_cost("claude-haiku-5-5", 1, 100_000, 0, days=1)
    large = costs.monthly_cost("claude-haiku-5-5", 1, 100_001, 0, days=1)
    assert small.input == pytest.approx(100_000 * 0.10 / 1e6) and large.input == pytest.approx(100_001 * 0.50 / 1e6)


def test_lineup_table_comes_from_the_model_and_price_tables() -> None:
    text = repr(costs.lineup_table())
    # Today's lineup, then the course's models not in it and the primer's legacy models, each once.
    legacy = [m for m, info in KNOWN.items() if info.status == "legacy"]
    shown = list(LINEUP) + [m for m in dict.fromkeys([OPUS, SONNET, HAIKU, *legacy]) if m not in LINEUP]
    assert {"claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"} <= set(shown)
    rows = [line for line in text.splitlines() if line.startswith("claude-")]
    assert [row.split()[0] for row in rows] == shown
    for model, row in zip(shown, rows, strict=True):
        info = KNOWN[model]
        assert info.name in row and info.status in row and info.thinking in row
    assert "n/a" in next(line for line in text.splitlines() if line.startswith("claude-mythos-5-2"))
    assert "$0.10" in next(line for line in text.splitlines() if line.startswith("claude-haiku-5-5"))  # lowest tier


def test_monthly_cost_of_an_unpriced_model_is_an_error_not_zero() -> None:
    with pytest.raises(UnknownPriceError, match="claude-nonexistent"):
        costs.monthly_cost("claude-nonexistent", 1, 1, 1)


def test_monthly_costs_covers_every_priced_model_cheapest_first() -> None:
    result = costs.monthly_costs(1_000, 2_000, 400, share_cached=0.5)
    assert set(result) == set(PRICES)
    totals = [c.total for c in result.values()]
    assert totals == sorted(totals)
    assert list(result)[0] == "claude-haiku-5-5"  # today's cheapest; of the worked examples', Haiku 4.5
    assert [m for m in result if m in (HAIKU, SONNET, OPUS)] == [HAIKU, SONNET, OPUS]


def _month(model: str, *, batched: float = 0.0) -> str:
    """1,000 requests a day for 30 days of 1,000 uncached + 1,000 cached input tokens and 400 output, by hand."""
    p = price_of(model).for_prompt(2_000)
    per_request = (1_000 * p.input + 1_000 * p.cache_read + 400 * p.output) / 1e6
    return f"${30_000 * per_request * (1 - batched * (1 - pricing.BATCH_DISCOUNT)):,.2f} a month"


def test_month_oracle_by_hand() -> None:
    # The helper above against numbers worked out by hand (Sonnet 4.6: $3 in, $0.30 read, $15 out).
    assert _month("claude-sonnet-4-6") == "$279.00 a month"
    assert _month("claude-haiku-4-5", batched=1.0) == "$46.50 a month"


def test_calculator_text_marks_the_chosen_model() -> None:
    text = costs.calculator_text(costs.monthly_costs(1_000, 2_000, 400, share_cached=0.5), SONNET)
    chosen = [line for line in text.splitlines() if line.startswith("->")]
    assert chosen == [line for line in text.splitlines() if costs.model_name(SONNET) + " " in line]
    assert _month(SONNET) in chosen[0]
    sonnet_4_6 = costs.calculator_text(costs.monthly_costs(1_000, 2_000, 400, share_cached=0.5), "claude-sonnet-4-6")
    assert "-> Claude Sonnet 4.6       $279.00 a month" in sonnet_4_6
    with pytest.raises(ValueError, match="no costs"):
        costs.calculator_text({}, SONNET)


# --- figures and the widget -------------------------------------------------------------------------------


def test_calculator_figure_stacks_parts_and_outlines_the_choice() -> None:
    import matplotlib.pyplot as plt

    data = costs.monthly_costs(1_000, 2_000, 400, share_cached=0.5)
    fig, ax = costs.calculator_figure(data, OPUS)
    try:
        assert ax.get_title() == "Monthly cost per model"
        assert "US dollars" in ax.get_ylabel()
        assert [t.get_text() for t in ax.get_xticklabels()] == [costs.model_name(m) for m in data]
        outlined = [p for p in ax.patches if not p.get_fill()]
        assert len(outlined) == 1 and outlined[0].get_height() == pytest.approx(data[OPUS].total)
        assert {t.get_text() for t in ax.texts} >= {"$93.00", "$279.00", "$465.00"}
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="no costs"):
        costs.calculator_figure({})


def test_calculator_shows_the_costs_and_redraws_on_change() -> None:
    calc = costs.cost_calculator(
        requests_per_day=1_000, input_tokens=2_000, output_tokens=400, share_cached=0.5, model=SONNET
    )
    assert calc.costs() == costs.monthly_costs(1_000, 2_000, 400, share_cached=0.5)
    first_png = bytes(calc.chart.value)
    assert first_png.startswith(b"\x89PNG")
    cheapest = next(iter(calc.costs()))
    ratio = calc.costs()[SONNET].total / calc.costs()[cheapest].total
    assert _month(SONNET) in calc.summary.value
    assert f"{ratio:.1f}x the cost of {costs.model_name(cheapest)}" in calc.summary.value

    calc.set(share_batched=1.0, model=HAIKU)
    assert bytes(calc.chart.value) != first_png
    assert _month(HAIKU, batched=1.0) in calc.summary.value
    assert "100% batched" in calc.text() and f"-> {costs.model_name(HAIKU)}" in calc.text()
    calc.set(model=cheapest)
    assert "x the cost" not in calc.summary.value


def test_calculator_says_when_a_number_is_out_of_range_and_follows_each_keystroke() -> None:
    calc = costs.cost_calculator(output_tokens=400)
    assert all(getattr(calc, n).continuous_update for n in ("requests_per_day", "input_tokens", "output_tokens"))
    assert calc.out_of_range() == [] and "⚠" not in calc.summary.value
    calc.set(output_tokens=200_000)
    said = "output tokens / request 200,000 is outside 0-128,000: computed with 128,000."
    assert calc.out_of_range() == [said] and "⚠ " + said in calc.summary.value and "! " + said in calc.text()
    assert calc.costs() == costs.monthly_costs(1_000, 2_000, 128_000)
    calc.set(requests_per_day=-5)
    assert calc.costs()[OPUS].total == 0 and len(calc.out_of_range()) == 2


def test_calculator_axis_is_in_dollars() -> None:
    import matplotlib.pyplot as plt

    fig, ax = costs.calculator_figure(costs.monthly_costs(1_000_000, 100_000, 4_000), OPUS)
    try:
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels and all(x.startswith("$") for x in labels) and ax.yaxis.get_offset_text().get_text() == ""
    finally:
        plt.close(fig)


def test_calculator_mimebundle_has_the_widget_a_chart_and_a_text_table() -> None:
    calc = costs.cost_calculator(model="claude-haiku-4-5-20251001")
    bundle = calc._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"].startswith("Cost calculator: 1,000 requests a day x 30 days")


def test_calculator_rejects_unknown_inputs_and_models() -> None:
    calc = costs.cost_calculator()
    with pytest.raises(AttributeError, match="no input 'text'"):
        calc.set(text="x")
    with pytest.raises(AttributeError, match="no input 'colour'"):
        calc.set(colour="red")
    with pytest.raises(UnknownPriceError):
        costs.cost_calculator(model="claude-nonexistent")


def _tally(*charges: Charge) -> Tally:
    t = Tally()
    t.add(charges)
    return t


def test_bill_figure_stacks_models_per_notebook_with_totals() -> None:
    import matplotlib.pyplot as plt

    opus = "claude-opus-4-6"  # named models, for the legend's names and the price table's order
    bill = {
        "01_one": _tally(Charge(opus, 10, 10, 0.01)),
        "02_two": _tally(
            Charge("claude-haiku-4-5-20251001", 10, 10, 0.002),
            Charge(opus, 10, 10, 0.03),
            Charge("claude-mystery", 1, 1, None),
        ),
    }
    fig, ax = costs.bill_figure(bill)
    try:
        assert [t.get_text() for t in ax.get_yticklabels()] == ["01_one", "02_two"]
        labels = [t.get_text() for t in ax.texts]
        assert labels == [" $0.0100 (1 call)", " $0.0320 (2 calls, 1 unpriced)"]
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["Claude Opus 4.6", "Claude Haiku 4.5"]  # dated id merged into its alias
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        costs.bill_figure({})


def test_bill_figure_draws_the_real_course_bill() -> None:
    import matplotlib.pyplot as plt

    from helpers.bill import course_bill

    bill = course_bill()
    fig, ax = costs.bill_figure(bill)
    try:
        assert "09_costs" in [t.get_text() for t in ax.get_yticklabels()]
        assert len(ax.texts) == len(bill)
    finally:
        plt.close(fig)


# --- self-checks ------------------------------------------------------------------------------------------


# Exercise 1 on the app's model, whichever it is: its rates for the 2,500-token prompt.
_P = price_of(check.APP["model"]).for_prompt(2_500)
_REQUESTS = 3_000 * 30
MONTH = _REQUESTS * (500 * _P.input + 2_000 * _P.cache_read + 350 * _P.output) / 1e6


def test_check_monthly_on_sonnet_4_6_by_hand() -> None:
    # 90,000 requests x (500 x $3 + 2,000 x $0.30 + 350 x $15) per million
    assert check.monthly_bill("claude-sonnet-4-6") == pytest.approx(661.5)


def test_check_monthly_accepts_the_right_answer_from_the_price_table() -> None:
    res = check.check_monthly(MONTH)
    assert res.ok and f"{costs.usd(MONTH)} a month" in repr(res)


def test_check_monthly_prices_a_short_prompt_at_the_short_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    # Haiku 5.5 bills a 2,500-token prompt at $0.10 / $0.01 / $0.50, not its long-prompt rates.
    monkeypatch.setitem(check.APP, "model", "claude-haiku-5-5")
    assert check.check_monthly(_REQUESTS * (500 * 0.10 + 2_000 * 0.01 + 350 * 0.50) / 1e6).ok


def test_check_monthly_follows_the_price_table(fake_prices: dict[str, Price]) -> None:
    assert not check.check_monthly(661.5).ok
    assert check.check_monthly(3_000 * 30 * (500 * 4 + 2_000 * 0.4 + 350 * 20) / 1e6).ok


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (MONTH * 1e6, "Divide by 1,000,000"),
        (MONTH / 30, "That is one day"),
        (MONTH / _REQUESTS, "That is one request"),
        (_REQUESTS * (2_500 * _P.input + 350 * _P.output) / 1e6, f"cache reads at {_P.cache_read / _P.input:g}x"),
        (
            _REQUESTS * (500 * _P.input + 2_000 * _P.cache_write_5m + 350 * _P.output) / 1e6,
            f"priced as cache writes ({_P.cache_write_5m / _P.input:g}x)",
        ),
        (MONTH + _REQUESTS * 2_000 * _P.input / 1e6, "part of the 2,500 input tokens"),
        (MONTH * 31 / 30, "Use the 30 days"),
        (check.monthly_bill(OPUS), f"Those are {costs.model_name(OPUS)}'s prices"),
        (check.monthly_bill(HAIKU), f"Those are {costs.model_name(HAIKU)}'s prices"),
        (3.0, "Per request: uncached input"),
    ],
)
def test_check_monthly_names_the_slip(answer: float, hint: str) -> None:
    res = check.check_monthly(answer)
    assert not res.ok and hint in repr(res)


def test_check_monthly_swapped_prices() -> None:
    p = _P
    swapped = 3_000 * 30 * (500 * p.output + 2_000 * p.output * (p.cache_read / p.input) + 350 * p.input) / 1e6
    assert "swapped" in repr(check.check_monthly(swapped))


@pytest.mark.parametrize(
    ("answer", "hint"), [(..., "Replace ..."), ("661.5", "Give a number"), (True, "Give a number")]
)
def test_check_monthly_placeholder_and_wrong_types(answer: object, hint: str) -> None:
    res = check.check_monthly(answer)
    assert not res.ok and hint in repr(res)


def test_check_choices_accepts_the_guide_and_explains_it() -> None:
    res = check.check_choices({"triage": HAIKU, "assistant": SONNET, "analysis": str(OPUS)})
    assert res.ok
    for model in (HAIKU, SONNET, OPUS):
        assert costs.model_name(model) in res.note


def test_check_choices_accepts_a_dated_id() -> None:
    assert check.check_choices({**check.CHOICES, "triage": f"{HAIKU}-20991231"}).ok


def _x(a: str, b: str) -> str:
    """What a costs per token relative to b, at a short prompt's rates, as the check words it."""
    pa, pb = price_of(a).for_prompt(0), price_of(b).for_prompt(0)
    rin, rout = (f"{r:.2f}".rstrip("0").rstrip(".") + "x" for r in (pa.input / pb.input, pa.output / pb.output))
    return rin if rin == rout else f"{rin} (input) and {rout} (output)"


def test_check_choices_explains_each_wrong_choice_with_the_price_ratio() -> None:
    res = check.check_choices({"triage": OPUS, "assistant": HAIKU, "analysis": SONNET})
    text = repr(res)
    opus, sonnet, haiku = (costs.model_name(m) for m in (OPUS, SONNET, HAIKU))
    assert not res.ok and len(res.problems) == 3
    assert f"triage: the guide picks {haiku}" in text and f"at {_x(OPUS, HAIKU)} the price per token" in text
    assert f"assistant: the guide picks {sonnet}" in text and f"{sonnet} costs {_x(SONNET, HAIKU)}" in text
    assert f"analysis: the guide picks {opus}" in text and f"{opus} costs {_x(OPUS, SONNET)} as much" in text


def test_check_choices_ratios_by_hand() -> None:
    # Opus 4.6 $5/$25, Sonnet 4.6 $3/$15, Haiku 4.5 $1/$5; Opus 5.5 $4/$20 against Haiku 5.5's short-prompt
    # $0.10/$0.50 (its long-prompt $0.50/$2.50 would say 8x).
    assert check._ratio("claude-opus-4-6", "claude-haiku-4-5") == "5x"
    assert check._ratio("claude-sonnet-4-6", "claude-haiku-4-5") == "3x"
    assert check._ratio("claude-opus-4-6", "claude-sonnet-4-6") == "1.67x"
    assert check._ratio("claude-opus-5-5", "claude-haiku-5-5") == "40x"
    assert check._ratio("claude-sonnet-4-6", "claude-opus-5-5") == "0.75x"


def test_check_choices_ratio_follows_the_price_table(fake_prices: dict[str, Price]) -> None:
    res = check.check_choices({**check.CHOICES, "triage": OPUS})
    assert "at 5x (input) and 6.25x (output) the price per token" in repr(res)


@pytest.mark.parametrize(
    ("choices", "hint"),
    [
        ({"triage": ..., "assistant": ..., "analysis": ...}, "Replace each ... with HAIKU, SONNET or OPUS"),
        ({**check.CHOICES, "analysis": ...}, "analysis: replace ..."),
        ([HAIKU, SONNET, OPUS], "Build a dict"),
        ({"triage": HAIKU}, "Choose a model for 'assistant', 'analysis' too"),
        ({**check.CHOICES, "summary": HAIKU}, "Unexpected keys ['summary']"),
        ({**check.CHOICES, "triage": "haiku"}, "use the constants HAIKU, SONNET or OPUS from helpers, got 'haiku'"),
        ({**check.CHOICES, "triage": 3}, "got 3"),
        ({**check.CHOICES, "triage": [HAIKU]}, f"got [{HAIKU!r}]"),
        ({}, "Choose a model for 'triage', 'assistant', 'analysis' too"),
    ],
)
def test_check_choices_bad_inputs(choices: object, hint: str) -> None:
    res = check.check_choices(choices)
    assert not res.ok and hint in repr(res)


# --- the recording through the SDK ------------------------------------------------------------------------


def test_recording_holds_what_the_issue_asks_for() -> None:
    labels = [e.label for e in RECORDING.exchanges]
    count = RECORDING.exchanges[labels.index("primer count_tokens")]
    assert count.request.body == {
        "model": OPUS,
        "messages": [{"role": "user", "content": "How many tokens does this request use?"}],
    }
    tasks = [e for e in RECORDING.exchanges if e.label.startswith("review summary on")]
    assert {e.request.body["model"] for e in tasks} == {HAIKU, SONNET, OPUS}
    assert len({str(e.request.body["messages"]) for e in tasks}) == 1
    assert any(e.request.method == "GET" and e.request.path == "/v1/models" for e in RECORDING.exchanges)
    assert any(
        e.response.status == 404 and e.response.body["error"]["type"] == "not_found_error" for e in RECORDING.exchanges
    )


def test_count_matches_the_usage_of_the_same_request() -> None:
    by_label = {e.label: e for e in RECORDING.exchanges}
    counted = by_label["count the support request (system prompt and a tool)"]
    sent = by_label["send the support request"]
    assert {k: v for k, v in sent.request.body.items() if k != "max_tokens"} == counted.request.body
    assert counted.response.body["input_tokens"] == sent.response.body["usage"]["input_tokens"]


def test_sdk_calls_replay_from_the_recording() -> None:
    with Gateway([RECORDING], speed=0) as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0)
        assert (
            client.messages.count_tokens(
                model=OPUS, messages=[{"role": "user", "content": "How many tokens does this request use?"}]
            ).input_tokens
            == 21
        )
        models = list(client.models.list())
        assert [m.lifecycle for m in models].count("deprecated") == 1
        # What the Models API says about a model the course knows agrees with helpers.models, for the
        # course's own models whichever they are (a switch must rewrite these answers too).
        known = [m for m in models if canonical_model_id(m.id) in KNOWN]
        assert {canonical_model_id(m.id) for m in known} >= {OPUS, SONNET, HAIKU}
        for m in [*known, *(client.models.retrieve(x) for x in (OPUS, SONNET, HAIKU))]:
            info = model_info(m.id)
            assert (m.display_name, m.max_input_tokens, m.max_tokens) == (
                info.name,
                info.context_window,
                info.max_output,
            ), m.id
        assert canonical_model_id(client.models.retrieve(HAIKU).id) == HAIKU
        with pytest.raises(anthropic.NotFoundError) as err:
            client.models.retrieve("claude-opus-4.6")
        assert err.value.status_code == 404 and "model: claude-opus-4.6" in str(err.value)
