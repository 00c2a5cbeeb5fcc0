"""helpers.sampling (counting, tables, the explorer widget), its self-checks, and 03_temperature's recording."""

from __future__ import annotations

from collections import Counter

import anthropic
import pytest

from helpers.checks import sampling as check
from helpers.config import RECORDINGS_DIR
from helpers.gateway import Gateway
from helpers.gateway.recordings import load_recording
from helpers.models import PRIMER_HAIKU as HAIKU  # the lesson's legacy model: it still samples
from helpers.sampling import (
    distinct_count,
    explorer,
    explorer_html,
    length_spread,
    normalize_answer,
    prompts_of,
    side_by_side,
    temperatures_of,
)

SAMPLES = {
    ("fruit", 0.0): ["Apple", "Apple", "apple."],
    ("fruit", 1.0): ["Mango", "Kiwi", "Apple"],
    ("slogan", 0.0): ["Fresh bread <daily>", "Fresh bread <daily>"],
}


# --- counting ---------------------------------------------------------------------------------------------


def test_normalize_answer_ignores_case_edges_and_inner_spacing() -> None:
    assert normalize_answer("  Apple. ") == "apple"
    assert normalize_answer('"Mango!"') == "mango"
    assert normalize_answer("Fresh   bread,\nevery day.") == "fresh bread, every day"


def test_normalize_answer_keeps_inner_punctuation() -> None:
    assert normalize_answer("Rise and shine: bread!") == "rise and shine: bread"


def test_normalize_answer_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="must be a str, got int"):
        normalize_answer(3)  # type: ignore[arg-type]


def test_distinct_count_counts_equivalent_answers_once() -> None:
    assert distinct_count(["Apple", "apple.", " APPLE! "]) == 1
    assert distinct_count(["Apple", "Mango", "Kiwi", "mango"]) == 3
    assert distinct_count([]) == 0


def test_length_spread() -> None:
    spread = length_spread(["ab", "abcd", "abcdef"])
    assert (spread.shortest, spread.longest, spread.mean, spread.range) == (2, 6, 4.0, 4)


def test_length_spread_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no answers"):
        length_spread([])


def test_temperatures_and_prompts_of() -> None:
    assert temperatures_of(SAMPLES) == [0.0, 1.0]
    assert prompts_of(SAMPLES) == ["fruit", "slogan"]


@pytest.mark.parametrize("bad", [{}, [], None, {"fruit": ["Apple"]}, {(1.0, "fruit"): ["Apple"]}])
def test_bad_samples_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="samples|keys"):
        temperatures_of(bad)  # type: ignore[arg-type]


# --- tables and the explorer ------------------------------------------------------------------------------


def test_side_by_side_lays_out_columns_and_counts() -> None:
    card = side_by_side(SAMPLES, "fruit")
    lines = repr(card).splitlines()
    assert lines[0].split() == ["#", "t", "=", "0.0", "|", "t", "=", "1.0"]
    assert lines[1].split() == ["1", "Apple", "|", "Mango"]
    assert lines[-1].split() == ["1", "distinct", "|", "3", "distinct"]
    assert "<b>1</b> distinct of 3" in card._repr_html_() and "<b>3</b> distinct of 3" in card._repr_html_()


def test_side_by_side_escapes_html_and_skips_missing_temperatures() -> None:
    card = side_by_side(SAMPLES, "slogan")
    assert "&lt;daily&gt;" in card._repr_html_() and "<daily>" not in card._repr_html_()
    assert "1.0" not in repr(card).splitlines()[0]


def test_side_by_side_clips_long_answers_in_text_only() -> None:
    long = "x" * 80
    card = side_by_side({("p", 0.5): [long]}, "p")
    assert "…" in repr(card) and len(repr(card).splitlines()[1]) < 60
    assert long in card._repr_html_()


def test_side_by_side_names_the_known_prompts() -> None:
    with pytest.raises(KeyError, match="no samples for prompt 'pets'; there are: fruit, slogan"):
        side_by_side(SAMPLES, "pets")


def test_explorer_html_shows_samples_and_their_distinct_count() -> None:
    out = explorer_html(SAMPLES, "fruit", 1.0)
    assert "<b>3</b> distinct of 3 samples" in out
    assert out.count("<li>") == 3 and "<li>Kiwi</li>" in out
    assert "lengths 4-5 characters" in out


def test_explorer_html_for_a_setting_never_recorded() -> None:
    assert "No samples recorded for slogan at temperature 1.0" in explorer_html(SAMPLES, "slogan", 1.0)


def test_explorer_has_a_readable_static_view_beside_the_widget() -> None:
    box = explorer(SAMPLES, labels={"fruit": "Name a fruit."})
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "VBox(" not in bundle["text/plain"] and "VBox(" not in bundle["text/html"]
    assert bundle["text/plain"].startswith("Temperature explorer (a snapshot")
    assert explorer_html(SAMPLES, "fruit", box.children[1].value) in bundle["text/html"]


def test_explorer_updates_its_view_when_the_slider_or_picker_moves() -> None:
    box = explorer(SAMPLES, labels={"fruit": "Name a fruit."})
    picker, slider, view = box.children
    assert [label for label, _ in picker.options] == ["Name a fruit.", "slogan"]
    assert [value for _, value in slider.options] == [0.0, 1.0]
    assert "<b>1</b> distinct" in view.value

    slider.value = 1.0
    assert "<b>3</b> distinct" in view.value and "Kiwi" in view.value

    picker.value = "slogan"
    assert "No samples recorded for slogan at temperature 1.0" in view.value

    slider.value = 0.0
    assert "&lt;daily&gt;" in view.value


# --- self-checks ------------------------------------------------------------------------------------------

GOOD = {"ticket_router": {"temperature": 0.0}, "help_chat": {"temperature": 0.5}, "launch_taglines": {"temperature": 1}}


def test_settings_correct() -> None:
    res = check.check_settings(GOOD)
    assert res.ok and "classification" in res.note and "brainstorming" in res.note


def test_settings_placeholders() -> None:
    res = check.check_settings({"ticket_router": ..., "help_chat": ..., "launch_taglines": ...})
    assert not res.ok and len(res.problems) == 3 and all("replace ..." in p for p in res.problems)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"temperature": 0.9}, "does not suit it; classification"),
        ({"temperature": 1.5}, "outside the API's range"),
        ({"temperature": True}, "must be a number"),
        ({"temperature": 0.0, "top_p": 0.9}, "not both"),
        ({"top_p": 0.1}, "top_p is a sampling setting too"),
        ({"temperature": 0.0, "max_tokens": 5}, "unexpected ['max_tokens']"),
        (0.0, "send it as a dict"),
        ("0.0", "expected a dict"),
    ],
)
def test_settings_explain_what_is_wrong(value: object, expected: str) -> None:
    res = check.check_settings(dict(GOOD, ticket_router=value))
    assert not res.ok and len(res.problems) == 1
    assert res.problems[0].startswith("ticket_router") and expected in res.problems[0]


def test_settings_bad_container_and_extra_tasks() -> None:
    assert "Give a dict" in check.check_settings([0.0, 0.5, 1.0]).problems[0]
    res = check.check_settings(dict(GOOD, poems={"temperature": 1.0}))
    assert res.problems == ["Unexpected task names ['poems']; use ['help_chat', 'launch_taglines', 'ticket_router']."]


def test_stop_cases_are_consistent() -> None:
    for letter, case in check.STOP_CASES.items():
        appears = any(s in case.would_write for s in case.stop_sequences)
        if case.answer == "stop_sequence":
            assert appears, letter
        elif case.answer == "end_turn":
            assert not appears and case.tokens <= case.max_tokens, letter
        else:
            assert case.answer == "max_tokens" and case.tokens > case.max_tokens, letter


def test_stop_reasons_correct_and_case_insensitive() -> None:
    answers = {k: c.answer for k, c in check.STOP_CASES.items()}
    assert check.check_stop_reasons(answers).ok
    assert check.check_stop_reasons({k: v.upper() + " " for k, v in answers.items()}).ok


def test_stop_reasons_explain_each_mistake() -> None:
    res = check.check_stop_reasons({"a": "end_turn", "b": "max_tokens", "c": "stop", "d": ...})
    assert not res.ok
    assert res.problems[0].startswith("Case a: not 'end_turn'; the newline")
    assert res.problems[1].startswith("Case c: 'stop' is not a stop_reason")
    assert res.problems[2].startswith("Case d: replace ...")


def test_stop_reasons_bad_input() -> None:
    assert "Give a dict" in check.check_stop_reasons("stop_sequence").problems[0]
    answers = {k: c.answer for k, c in check.STOP_CASES.items()}
    assert "Unexpected case letters ['z']" in check.check_stop_reasons(dict(answers, z="end_turn")).problems[0]


# --- the notebook's recording -----------------------------------------------------------------------------

RECORDING = load_recording(RECORDINGS_DIR / "03_temperature.json")


def test_recording_holds_the_experiment() -> None:
    sampled = [e for e in RECORDING.exchanges if e.response.status == 200 and "temperature" in e.request.body]
    by_setting = Counter((e.request.body["messages"][0]["content"], e.request.body["temperature"]) for e in sampled)
    experiment = {k: n for k, n in by_setting.items() if n == 8}
    assert len(experiment) >= 3 and sum(experiment.values()) >= 24
    assert len({t for _, t in experiment}) >= 3
    assert any(
        "stop_sequences" in e.request.body and e.response.body["stop_reason"] == "stop_sequence"
        for e in RECORDING.exchanges
    )


def test_recorded_samples_grow_more_varied_with_temperature() -> None:
    samples: dict[tuple[str, float], list[str]] = {}
    for e in RECORDING.exchanges:
        body = e.request.body
        if e.response.status == 200 and "temperature" in body and body["max_tokens"] == 50:
            key = (body["messages"][0]["content"], body["temperature"])
            samples.setdefault(key, []).append(e.response.body["content"][0]["text"])
    samples = {k: v for k, v in samples.items() if len(v) == 8}  # the experiment, not one-off requests
    for prompt in prompts_of(samples):
        counts = [distinct_count(samples[prompt, t]) for t in temperatures_of(samples)]
        assert counts == sorted(counts) and counts[0] < counts[-1], prompt


def test_identical_requests_get_the_recorded_samples_in_order() -> None:
    with Gateway([RECORDING], speed=0) as gw:
        pinned = anthropic.Anthropic(
            base_url=gw.url, api_key="test-key", max_retries=0, default_headers={"anthropic-version": "2023-06-01"}
        )
        kwargs = {
            "model": HAIKU,
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "Name a fruit. Reply with one word."}],
            "extra_body": {"temperature": 1.0},
        }
        got = [pinned.messages.create(**kwargs).content[0].text for _ in range(9)]
        assert got[:8] == ["Mango", "Kiwi", "Apple", "Pomegranate", "Blueberry", "Mango", "Lychee", "Banana"]
        assert got[8] == "Mango"  # used up: a POST sequence starts over, so a re-run cell shows the same samples
        assert {e.version for e in gw.log} == {"2023-06-01"}
        with pytest.raises(TypeError, match="unexpected keyword argument 'temperature'"):
            pinned.messages.create(temperature=0.2, **{k: v for k, v in kwargs.items() if k != "extra_body"})
        assert len(gw.log) == 9


# --- leaving temperature out (Exercise 1) and the version-conditioned recording --------------------------


def test_settings_left_out_is_the_default_temperature() -> None:
    # {} sends no temperature: the default 1.0 suits brainstorming and is never blamed on top_p
    res = check.check_settings(dict(GOOD, launch_taglines={}))
    assert res.ok and "default 1.0" in res.note


@pytest.mark.parametrize("task", ["help_chat", "ticket_router"])
def test_settings_left_out_where_the_default_does_not_suit(task: str) -> None:
    res = check.check_settings(dict(GOOD, **{task: {}}))
    assert not res.ok and len(res.problems) == 1
    problem = res.problems[0]
    assert problem.startswith(task) and "default 1.0" in problem and "top_p" not in problem


def test_unpinned_sampling_request_gets_the_400_live_gives() -> None:
    ANTHROPIC_API_VERSION = anthropic.Anthropic(api_key="x").default_headers["anthropic-version"]  # the SDK's own

    kwargs = {
        "model": HAIKU,
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "Name a fruit. Reply with one word."}],
        "extra_body": {"temperature": 1.0},
    }
    with Gateway([RECORDING], speed=0) as gw:
        plain = anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0)
        for _ in range(2):  # every time, not only the first
            with pytest.raises(anthropic.BadRequestError, match="temperature: Extra inputs are not permitted"):
                plain.messages.create(**kwargs)
        assert {e.version for e in gw.log} == {ANTHROPIC_API_VERSION}


def test_every_sampling_exchange_is_pinned_or_refused() -> None:
    ANTHROPIC_API_VERSION = anthropic.Anthropic(api_key="x").default_headers["anthropic-version"]  # the SDK's own

    for e in RECORDING.exchanges:
        body = e.request.body
        if not any(k in body for k in ("temperature", "top_p", "top_k")):
            continue
        version = e.request.match_headers.get("anthropic-version")
        assert version in ("2023-06-01", ANTHROPIC_API_VERSION), e.label
        if version == ANTHROPIC_API_VERSION:
            assert e.response.status == 400 and "Extra inputs are not permitted" in e.response.body["error"]["message"]
