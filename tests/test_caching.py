"""helpers.caching (breakpoints, cache events, prefix cost, cumulative cost), its self-checks, and the
08_prompt_caching document and recording."""

from __future__ import annotations

import copy
import json
import math

import pytest
from anthropic.types import Usage

from helpers import HAIKU, OPUS, SONNET, model_info
from helpers.caching import (
    DOCUMENT,
    TTL_MINUTES,
    break_even,
    breakpoints,
    cache_events,
    cumulative_costs,
    estimate_tokens,
    load_document,
    prefix_cost,
    uncached_usage,
)
from helpers.checks import caching as check
from helpers.config import RECORDINGS_DIR
from helpers.gateway.recordings import load_recording
from helpers.pricing import UnknownPriceError, cost, format_usd, price_of

EPHEMERAL = {"type": "ephemeral"}


# the document -------------------------------------------------------------------------------------------


def test_document_is_well_above_the_minimum_by_the_notebooks_estimate():
    text = load_document()
    assert DOCUMENT.name == "common_orchards_act.txt"
    assert estimate_tokens(text) == math.ceil(len(text) / 4)
    assert estimate_tokens(text) >= 1.3 * model_info(OPUS).min_cacheable_tokens
    assert 20_000 <= len(text.encode("utf-8")) <= 40_000  # every cached request in the recording carries it


def test_document_has_the_anchors_the_notebook_cuts_and_edits():
    text = load_document()
    assert text.count("ARTICLE 3.") == 1 and text.count("ARTICLE 4.") == 1
    assert text.index("ARTICLE 3.") < text.index("ARTICLE 4.")
    assert text.count("as at 1 March 2031") == 1
    assert "fictional" in text[:400]


# estimate_tokens ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)])
def test_estimate_tokens_rounds_up_a_quarter_of_the_characters(text, tokens):
    assert estimate_tokens(text) == tokens


@pytest.mark.parametrize("bad", [None, 12, b"bytes", ["a"]])
def test_estimate_tokens_rejects_non_text(bad):
    with pytest.raises(TypeError, match="needs a str"):
        estimate_tokens(bad)


# breakpoints --------------------------------------------------------------------------------------------


def test_breakpoints_are_listed_in_prefix_order():
    request = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "q", "cache_control": EPHEMERAL}]},
            {"role": "assistant", "content": "a"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "x"}, {"type": "text", "text": "y", "cache_control": EPHEMERAL}],
            },
        ],
        "system": [{"type": "text", "text": "s"}, {"type": "text", "text": "doc", "cache_control": EPHEMERAL}],
        "tools": [{"name": "t", "cache_control": EPHEMERAL}],
    }
    assert breakpoints(request) == ["tools[0]", "system[1]", "messages[0].content[0]", "messages[2].content[1]"]


def test_breakpoints_of_plain_strings_and_empty_requests():
    assert breakpoints({"system": "text", "messages": [{"role": "user", "content": "hi"}]}) == []
    assert breakpoints({}) == []
    assert breakpoints({"system": None, "messages": ["not a message"], "tools": "nonsense"}) == []


@pytest.mark.parametrize("bad", [None, [], "request"])
def test_breakpoints_needs_a_dict(bad):
    with pytest.raises(TypeError, match="request dict"):
        breakpoints(bad)


# cache_events -------------------------------------------------------------------------------------------


def test_no_cache_pays_in_full_every_time():
    assert cache_events([0, 1, 2], None) == ["full", "full", "full"]


def test_five_minute_cache_is_renewed_by_each_read():
    assert cache_events([0, 3, 6, 9, 12], "5m") == ["write", "read", "read", "read", "read"]


def test_five_minute_cache_expires_at_five_minutes():
    assert cache_events([0, 4.5, 9, 13.5], "5m") == ["write", "read", "read", "read"]
    assert cache_events([0, 5, 10], "5m") == ["write", "write", "write"]
    assert cache_events([0, 10, 20], "5m") == ["write", "write", "write"]


def test_one_hour_cache_outlives_gaps_under_an_hour():
    assert cache_events([0, 20, 40, 100], "1h") == ["write", "read", "read", "write"]
    assert TTL_MINUTES == {"5m": 5.0, "1h": 60.0}


def test_cache_events_of_no_requests_is_empty():
    assert cache_events([], "5m") == []
    assert cache_events(range(0), None) == []


@pytest.mark.parametrize("ttl", ["5min", "60m", "", 5, "1H"])
def test_cache_events_rejects_unknown_ttl(ttl):
    with pytest.raises(ValueError, match="ttl must be"):
        cache_events([0], ttl)


@pytest.mark.parametrize("times", [[-1], [0, float("nan")], [0, float("inf")], ["0"], [True], [None]])
def test_cache_events_rejects_bad_times(times):
    with pytest.raises(ValueError, match="finite minutes"):
        cache_events(times, "5m")


def test_cache_events_rejects_unsorted_times():
    with pytest.raises(ValueError, match="ascending"):
        cache_events([10, 5], "1h")


# prefix_cost --------------------------------------------------------------------------------------------


def test_prefix_cost_uses_the_price_table():
    p = price_of(SONNET)
    assert prefix_cost(1_000_000, [0, 1], SONNET, None) == pytest.approx(2 * p.input)
    assert prefix_cost(1_000_000, [0, 1], SONNET, "5m") == pytest.approx(p.cache_write_5m + p.cache_read)
    assert prefix_cost(1_000_000, [0, 30], SONNET, "5m") == pytest.approx(2 * p.cache_write_5m)
    assert prefix_cost(1_000_000, [0, 30], SONNET, "1h") == pytest.approx(p.cache_write_1h + p.cache_read)


def test_prefix_cost_of_the_multipliers_on_opus_4_6():
    # 1.25x write, 0.1x read, 2x one-hour write of Opus 4.6's $5 input price (by hand, not from the table)
    opus = "claude-opus-4-6"
    assert prefix_cost(1_000_000, [0], opus, "5m") == pytest.approx(6.25)
    assert prefix_cost(1_000_000, [0, 1], opus, "5m") - prefix_cost(1_000_000, [0], opus, "5m") == pytest.approx(0.5)
    assert prefix_cost(1_000_000, [0], opus, "1h") == pytest.approx(10.0)


def test_prefix_cost_accepts_dated_model_ids_and_zero_tokens():
    assert prefix_cost(1000, [0], "claude-haiku-4-5-20251001", None) == prefix_cost(1000, [0], "claude-haiku-4-5", None)
    assert prefix_cost(1000, [0], f"{HAIKU}-20991231", None) == prefix_cost(1000, [0], HAIKU, None)
    assert prefix_cost(0, [0, 1, 2], OPUS, "5m") == 0


@pytest.mark.parametrize("tokens", [-1, 1.5, "100", None, True])
def test_prefix_cost_rejects_bad_token_counts(tokens):
    with pytest.raises(ValueError, match="prefix_tokens"):
        prefix_cost(tokens, [0], OPUS, None)


def test_prefix_cost_reports_unknown_models():
    with pytest.raises(UnknownPriceError, match="No price"):
        prefix_cost(100, [0], "claude-unknown-1", "5m")


# uncached_usage, cumulative_costs, break_even -----------------------------------------------------------

WRITE = {"input_tokens": 20, "cache_creation_input_tokens": 5000, "cache_read_input_tokens": 0, "output_tokens": 100}
READ = {"input_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 5000, "output_tokens": 100}


def test_uncached_usage_folds_the_cache_fields_into_input():
    assert uncached_usage(WRITE) == {"input_tokens": 5020, "output_tokens": 100}
    assert uncached_usage(READ) == {"input_tokens": 5020, "output_tokens": 100}
    assert uncached_usage({"input_tokens": 7, "output_tokens": 1}) == {"input_tokens": 7, "output_tokens": 1}


def test_uncached_usage_reads_sdk_usage_objects_with_missing_cache_fields():
    u = Usage(input_tokens=10, output_tokens=3, cache_read_input_tokens=90, cache_creation_input_tokens=None)
    assert uncached_usage(u) == {"input_tokens": 100, "output_tokens": 3}


def test_uncached_usage_rejects_none():
    with pytest.raises(ValueError, match="usage is None"):
        uncached_usage(None)


def test_cumulative_costs_and_break_even_after_the_first_read():
    opus = "claude-opus-4-6"  # for the hand-computed uncached totals
    cached, uncached = cumulative_costs([WRITE, READ, READ], opus)
    assert cached[0] == pytest.approx(cost(WRITE, opus).total)
    assert cached[-1] == pytest.approx(cost(WRITE, opus).total + 2 * cost(READ, opus).total)
    assert uncached == pytest.approx([0.0276 * k for k in (1, 2, 3)])  # 5020 x $5 + 100 x $25 per million
    assert cached[0] > uncached[0]  # the write's extra 25%
    assert break_even(cached, uncached) == 2


def test_break_even_is_none_when_caching_never_pays():
    assert break_even([2.0, 4.0], [1.0, 2.0]) is None
    assert break_even([], []) is None


def test_break_even_rejects_series_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        break_even([1.0, 2.0], [1.0])


# exercise 1: check_workload -----------------------------------------------------------------------------

# The exercise's model, whichever it is: its rates for the 20,000-token handbook.
_P = price_of(check.WORKLOAD["model"]).for_prompt(check.WORKLOAD["document_tokens"])
_DAY = 48 * 20_000 / 1e6  # the handbook's tokens over the day's 48 questions, in millions
BEST = 20_000 * (_P.cache_write_1h + 47 * _P.cache_read) / 1e6  # one 1-hour write, then 47 reads


def test_workload_solution_is_correct():
    r = check.check_workload("1h", BEST)
    assert r.ok, r
    assert format_usd(BEST) in r.note and format_usd(_DAY * _P.input) in r.note


def test_workload_answer_on_sonnet_4_6_by_hand(monkeypatch):
    monkeypatch.setitem(check.WORKLOAD, "model", "claude-sonnet-4-6")
    r = check.check_workload("1h", 20_000 * (6.0 + 47 * 0.3) / 1e6)  # a $6 one-hour write, then 47 reads at $0.30
    assert r.ok and "$0.4020 a day, against $2.8800 uncached and $3.6000 with the 5-minute cache" in r.note, r


def test_workload_placeholders_are_reported():
    r = check.check_workload(..., ...)
    assert not r.ok and len(r.problems) == 2
    assert "choice" in r.problems[0] and "dollars" in r.problems[1]


def test_workload_five_minute_cache_is_explained():
    r = check.check_workload("5m", BEST)
    assert not r.ok and "5-minute cache has expired" in r.problems[0]


def test_workload_no_cache_is_not_cheapest():
    r = check.check_workload("none", BEST)
    assert not r.ok and "full input price" in r.problems[0]


@pytest.mark.parametrize("choice", ["1H", "hour", None, 60])
def test_workload_rejects_unknown_choices(choice):
    r = check.check_workload(choice, BEST)
    assert not r.ok and "must be one of" in r.problems[0]


@pytest.mark.parametrize(
    ("dollars", "hint"),
    [
        (_DAY * _P.input, "with no cache"),
        (_DAY * _P.cache_write_5m, "the 5m cache"),  # every question comes after the 5 minutes and writes
        (_DAY * _P.cache_write_1h, "Only the first question writes"),
        (BEST * 1e6, "Divide by 1,000,000"),
        (1.0, "Count the writes and the reads"),
    ],
)
def test_workload_wrong_costs_get_specific_hints(dollars, hint):
    r = check.check_workload("1h", dollars)
    assert not r.ok and hint in r.problems[0]


@pytest.mark.parametrize("dollars", ["0.402", None, True, [0.402]])
def test_workload_cost_must_be_a_number(dollars):
    r = check.check_workload("1h", dollars)
    assert not r.ok and "must be a number" in r.problems[0]


# exercise 2: check_breakpoint ---------------------------------------------------------------------------


def marked(*places: str, value: object = EPHEMERAL) -> dict:
    request = check.exercise_request()
    for place in places:
        if place == "tools[0]":
            request["tools"][0]["cache_control"] = copy.deepcopy(value)
        elif place.startswith("system"):
            request["system"][int(place[7])]["cache_control"] = copy.deepcopy(value)
        else:
            question = request["messages"][0]["content"]
            request["messages"][0]["content"] = [{"type": "text", "text": question, "cache_control": value}]
    return request


def test_exercise_request_is_a_fresh_copy_with_the_act():
    a, b = check.exercise_request(), check.exercise_request()
    a["tools"][0]["name"] = "changed"
    assert b["tools"][0]["name"] == "lookup_parcel"
    assert load_document() in b["system"][0]["text"]
    assert breakpoints(b) == []


@pytest.mark.parametrize("value", [EPHEMERAL, {"type": "ephemeral", "ttl": "5m"}, {"type": "ephemeral", "ttl": "1h"}])
def test_breakpoint_on_the_act_is_correct(value):
    r = check.check_breakpoint(marked("system[0]", value=value))
    assert r.ok, r
    assert "tokens" in r.note


def test_breakpoint_missing():
    r = check.check_breakpoint(check.exercise_request())
    assert not r.ok and "No cache_control yet" in r.problems[0]


def test_breakpoint_placeholder_value():
    r = check.check_breakpoint(marked("system[0]", value=...))
    assert not r.ok and "Replace the ..." in r.problems[0]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("ephemeral", "must be a dict"),
        ({"type": "persistent"}, "must be a dict"),
        ({"type": "ephemeral", "ttl": "2h"}, 'ttl must be "5m" or "1h"'),
        ({"type": "ephemeral", "scope": "global"}, "only type and ttl"),
    ],
)
def test_breakpoint_bad_values(value, text):
    r = check.check_breakpoint(marked("system[0]", value=value))
    assert not r.ok and any(text in p for p in r.problems)


@pytest.mark.parametrize(
    ("place", "text"),
    [
        ("system[1]", "today's date"),
        ("messages", "question changes"),
        ("tools[0]", f"under the {model_info(check.exercise_request()['model']).min_cacheable_tokens}-token minimum"),
    ],
)
def test_breakpoint_in_the_wrong_place_says_why(place, text):
    r = check.check_breakpoint(marked(place))
    assert not r.ok
    assert any(text in p for p in r.problems)
    assert any("belongs on the block that holds it" in p for p in r.problems)


def test_breakpoint_one_is_enough():
    r = check.check_breakpoint(marked("tools[0]", "system[0]"))
    assert not r.ok and any("One breakpoint is enough" in p for p in r.problems)


def test_breakpoint_on_every_block_lists_each_wrong_one():
    r = check.check_breakpoint(marked("tools[0]", "system[0]", "system[1]", "messages"))
    assert not r.ok
    assert len(r.problems) == 4  # tools too short, date, question, and "one is enough"


def test_breakpoint_elsewhere_than_a_block():
    request = marked("system[0]")
    request["tools"][0]["input_schema"]["properties"]["parcel"]["cache_control"] = EPHEMERAL
    r = check.check_breakpoint(request)
    assert not r.ok and any("not elsewhere" in p for p in r.problems)


def test_top_level_cache_control_is_automatic_caching_not_an_error():
    """A top-level cache_control is valid API (automatic caching); here it lands on the changing question."""
    request = check.exercise_request()
    request["cache_control"] = EPHEMERAL
    r = check.check_breakpoint(request)
    assert not r.ok and len(r.problems) == 1
    said = r.problems[0]
    assert "automatic caching, which the API accepts" in said and "messages[0]" in said
    assert "none would be read back" in said
    assert not any("not elsewhere" in p for p in r.problems)


def test_top_level_cache_control_with_an_explicit_one_and_with_a_bad_value():
    request = marked("system[0]")
    request["cache_control"] = EPHEMERAL
    r = check.check_breakpoint(request)
    assert not r.ok and "automatic caching" in r.problems[0]
    assert r.problems[1] == "That also makes 2 breakpoints; the exercise asks for one."
    bad = check.exercise_request()
    bad["cache_control"] = {"type": "ephemeral", "ttl": "2h"}
    assert check.check_breakpoint(bad).problems == ['ttl must be "5m" or "1h", got \'2h\'.']


def test_breakpoint_changed_request_or_not_a_dict():
    request = marked("system[0]")
    request["max_tokens"] = 10
    assert "Only add cache_control" in check.check_breakpoint(request).problems[0]
    assert "exercise_request" in check.check_breakpoint(None).problems[0]
    assert "exercise_request" in check.check_breakpoint([request]).problems[0]


# the recording ------------------------------------------------------------------------------------------


def recorded() -> dict[str, tuple[dict, dict]]:
    rec = load_recording(RECORDINGS_DIR / "08_prompt_caching.json")
    return {ex.label: (ex.request.body, ex.response.body) for ex in rec.exchanges}


def test_recording_writes_then_reads_the_same_prefix():
    ex = recorded()
    (w_req, w_res), (r_req, r_res) = ex["primer request: cache write"], ex["second question: cache read"]
    assert w_req["system"] == r_req["system"]
    assert w_res["usage"]["cache_creation_input_tokens"] > model_info(OPUS).min_cacheable_tokens
    assert w_res["usage"]["cache_read_input_tokens"] == 0
    assert r_res["usage"]["cache_read_input_tokens"] == w_res["usage"]["cache_creation_input_tokens"]
    assert r_res["usage"]["cache_creation_input_tokens"] == 0
    assert w_req["messages"][0]["content"] == "Please explain the interpretation of Article 3."


def test_recording_below_minimum_changed_prefix_and_one_hour():
    ex = recorded()
    short_req, short_res = ex["below the minimum: not cached"]
    assert estimate_tokens(short_req["system"][0]["text"]) < model_info(OPUS).min_cacheable_tokens
    assert short_res["usage"]["cache_creation_input_tokens"] == short_res["usage"]["cache_read_input_tokens"] == 0
    changed_req, changed_res = ex["one character changed: cache miss"]
    original = ex["primer request: cache write"][0]["system"][0]["text"]
    edited = changed_req["system"][0]["text"]
    assert len(edited) == len(original) and sum(a != b for a, b in zip(edited, original, strict=True)) == 1
    assert changed_res["usage"]["cache_read_input_tokens"] == 0
    hour_req, hour_res = ex["1-hour TTL on Haiku: cache write"]
    assert hour_req["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert hour_res["usage"]["cache_creation"]["ephemeral_1h_input_tokens"] > 0
    assert hour_res["usage"]["cache_creation"]["ephemeral_5m_input_tokens"] == 0


def test_recording_conversation_and_breakpoint_limit():
    ex = recorded()
    t1_req, t1 = ex["conversation turn 1: tools, system and turn cached"]
    t2_req, t2 = ex["conversation turn 2: earlier turns read"]
    assert t2["usage"]["cache_read_input_tokens"] == t1["usage"]["cache_creation_input_tokens"]
    assert len(breakpoints(t2_req)) <= 4
    five_req, five = ex["five breakpoints"]
    assert len(breakpoints(five_req)) == 5
    assert five["error"]["message"] == "A maximum of 4 blocks with cache_control may be provided. Found 5."


def test_recording_automatic_caching_moves_the_breakpoint_forward():
    ex = recorded()
    (a_req, a_res), (b_req, b_res) = (
        ex["automatic caching, turn 1: cache write"],
        ex["automatic caching, turn 2: turn 1 read"],
    )
    for req in (a_req, b_req):
        assert req["cache_control"] == {"type": "ephemeral"} and breakpoints(req) == []
        assert isinstance(req["system"], str)
    assert b_req["messages"][0] == a_req["messages"][0] and len(b_req["messages"]) == 3
    assert a_res["usage"]["cache_read_input_tokens"] == 0
    assert b_res["usage"]["cache_read_input_tokens"] == a_res["usage"]["cache_creation_input_tokens"]
    assert 0 < b_res["usage"]["cache_creation_input_tokens"] < a_res["usage"]["cache_creation_input_tokens"]


def test_recording_a_burst_sent_at_once_writes_every_time_and_later_calls_read():
    ex = recorded()
    burst = [v for k, v in ex.items() if k.startswith("burst ")]
    after = [v for k, v in ex.items() if k.startswith("after the burst ")]
    assert len(burst) == 3 and len(after) == 2
    systems = {json.dumps(req["system"]) for req, _ in burst + after}
    assert len(systems) == 1  # one shared prefix
    written = {res["usage"]["cache_creation_input_tokens"] for _, res in burst}
    assert len(written) == 1 and written.pop() > model_info(HAIKU).min_cacheable_tokens
    assert all(res["usage"]["cache_read_input_tokens"] == 0 for _, res in burst)
    assert all(
        res["usage"]["cache_read_input_tokens"] == burst[0][1]["usage"]["cache_creation_input_tokens"]
        and res["usage"]["cache_creation_input_tokens"] == 0
        for _, res in after
    )


def test_prefix_cost_prices_a_tiered_model_at_the_prefix_tier():
    # Haiku 5.5 is priced by prompt length: up to 100,000 tokens every rate is a fifth of the long-prompt rate.
    short, long_ = price_of("claude-haiku-5-5").for_prompt(5_000), price_of("claude-haiku-5-5").for_prompt(200_000)
    assert prefix_cost(5_000, [0], "claude-haiku-5-5", None) == pytest.approx(5_000 * short.input / 1e6)
    assert prefix_cost(200_000, [0], "claude-haiku-5-5", None) == pytest.approx(200_000 * long_.input / 1e6)
    assert short.input * 5 == pytest.approx(long_.input)
