"""helpers.thinking (review, worst case, figure) and the 06_extended_thinking self-checks."""

from __future__ import annotations

import matplotlib
import pytest

from helpers import HAIKU, OPUS, SONNET
from helpers.checks import thinking as check
from helpers.models import KNOWN, model_info
from helpers.pricing import cost, format_usd, price_of
from helpers.thinking import EFFORTS, MIN_BUDGET, Review, effort_figure, review, thinking_chars, worst_case_cost

matplotlib.use("Agg")


# The review's rules are about thinking forms, so each test picks a model by its form in helpers.models:
# the course's own model when it has that form, else one the course names (Haiku 4.5 is manual-only).
def _with_form(*forms: str) -> str:
    course = [m for m in (HAIKU, SONNET, OPUS) if KNOWN[m].thinking in forms]
    return (course or [m for m in KNOWN if KNOWN[m].thinking in forms])[0]


MANUAL = _with_form("manual")  # budget_tokens only: no adaptive thinking, no effort
ADAPTIVE = _with_form("adaptive", "adaptive (always on)")
HAIKU_OK = {"model": MANUAL, "max_tokens": 3000, "thinking": {"type": "enabled", "budget_tokens": 2000}}
OPUS_OK = {"model": ADAPTIVE, "max_tokens": 16000, "thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}
OPUS_4_6 = "claude-opus-4-6"  # on the SDK's list of models that warn on type "enabled"
# Exercise 1's rules are tested on the primer's models (Opus 4.6: adaptive, manual deprecated; Haiku 4.5:
# manual only), set in the check by the `primer_tasks` fixture; the course's own models are tested below.
PRIMER_A, PRIMER_B = "claude-opus-4-6", "claude-haiku-4-5"
TASK_A = {"model": PRIMER_A, "max_tokens": 2000, "thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}
TASK_B = {"model": PRIMER_B, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 6000}}


@pytest.fixture
def primer_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(check.TASK_A, "model", PRIMER_A)
    monkeypatch.setitem(check.TASK_B, "model", PRIMER_B)


def joined(r: Review) -> str:
    return " | ".join(r.errors + r.warnings)


# review -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_", [HAIKU_OK, OPUS_OK, {"model": OPUS, "max_tokens": 10, "messages": []}])
def test_review_accepts_valid_settings(request_):
    r = review(request_)
    assert r.ok and r.errors == [] and r.warnings == []
    assert str(r) == "ok: the thinking settings follow the rules"


@pytest.mark.parametrize(
    "budget, fragment",
    [
        (512, "minimum is 1024"),
        (MIN_BUDGET - 1, "minimum"),
        (3000, "below max_tokens"),
        (4000, "below max_tokens"),
        (None, "must be an int"),
        (True, "must be an int"),
        ("2000", "must be an int"),
    ],
)
def test_review_enforces_the_budget_rules(budget, fragment):
    r = review(dict(HAIKU_OK, thinking={"type": "enabled", "budget_tokens": budget}))
    assert not r.ok and fragment in joined(r)


def test_budget_of_exactly_the_minimum_is_fine():
    assert review(dict(HAIKU_OK, thinking={"type": "enabled", "budget_tokens": MIN_BUDGET})).ok


def test_manual_thinking_on_opus_4_6_works_with_a_deprecation_warning():
    r = review({"model": OPUS_4_6, "max_tokens": 16000, "thinking": {"type": "enabled", "budget_tokens": 10000}})
    assert r.ok and len(r.warnings) == 1 and "deprecated" in r.warnings[0]
    assert str(r).startswith("warning: ")


def test_the_dated_haiku_id_is_understood():
    assert model_info("claude-haiku-4-5").thinking == "manual"  # so the dated id must get the manual rules
    r = review(dict(HAIKU_OK, model="claude-haiku-4-5-20251001", thinking={"type": "adaptive"}))
    assert "no adaptive thinking" in joined(r)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"thinking": {"type": "adaptive"}}, "no adaptive thinking"),
        ({"output_config": {"effort": "low"}}, "does not take output_config.effort"),
        ({"extra_body": {"temperature": 0.5}, "extra_headers": {"anthropic-version": "2023-06-01"}}, "temperature 0.5"),
        ({"temperature": 0.0, "extra_headers": {"anthropic-version": "2023-06-01"}}, "temperature 0.0"),
        ({"extra_body": {"top_k": 5}, "extra_headers": {"anthropic-version": "2023-06-01"}}, "top_k"),
        ({"extra_body": {"temperature": 1}}, "has no temperature field"),  # the SDK's default API version
        ({"extra_body": {"top_p": 0.9}}, "has no top_p field"),
        ({"tool_choice": {"type": "any"}}, "forces a tool call"),
        ({"tool_choice": {"type": "tool", "name": "x"}}, "forces a tool call"),
        ({"max_tokens": 0}, "positive int"),
        ({"max_tokens": "3000"}, "positive int"),
        ({"model": "claude-unknown-1"}, "not one the course knows"),
        ({"model": None}, "not one the course knows"),
        ({"thinking": "on"}, "must be a dict"),
        ({"thinking": {"type": "enable"}}, "must be one of ('adaptive', 'enabled', 'disabled', 'between_tools')"),
        ({"thinking": {"type": "enabled", "budget_tokens": 2000, "display": "full"}}, "display"),
    ],
)
def test_review_names_each_broken_rule(change, fragment):
    r = review({**HAIKU_OK, **change})
    assert not r.ok and fragment in joined(r), joined(r)


def test_temperature_one_and_auto_tool_choice_are_allowed_with_thinking_on_the_pinned_version():
    pinned = {**HAIKU_OK, "extra_body": {"temperature": 1}, "tool_choice": {"type": "auto"}}
    assert review(pinned, api_version="2023-06-01").ok
    assert not review(pinned).ok  # the SDK's own version has no temperature field: any value is a 400


def test_temperature_without_thinking_depends_on_the_api_version_and_the_model():
    request = {"model": MANUAL, "max_tokens": 100, "extra_body": {"temperature": 0.2}}
    assert review(request, api_version="2023-06-01").ok
    assert "has no temperature field" in joined(review(request))
    today = {"model": "claude-opus-5-5", "max_tokens": 100, "extra_body": {"temperature": 0.2}}
    assert "refuses temperature" in joined(review(today, api_version="2023-06-01"))


def test_forced_tools_are_refused_on_opus_and_sonnet_5_5():
    for model in ("claude-opus-5-5", "claude-sonnet-5-5"):
        r = review({"model": model, "max_tokens": 100, "tool_choice": {"type": "any"}})
        assert not r.ok and "refuses a forced tool_choice" in joined(r)


def test_adaptive_rules():
    assert "no budget_tokens" in joined(review({**OPUS_OK, "thinking": {"type": "adaptive", "budget_tokens": 2000}}))
    assert "effort must be one of" in joined(review({**OPUS_OK, "output_config": {"effort": "extreme"}}))
    forced = review({**OPUS_OK, "tool_choice": {"type": "any"}})
    assert forced.ok and "docs disagree" in forced.warnings[0]
    assert review({**OPUS_OK, "thinking": {"type": "adaptive", "display": "omitted"}}).ok
    assert set(EFFORTS) == {"low", "medium", "high", "xhigh", "max"}  # SDK 2.17 types/output_config_param.py


@pytest.mark.parametrize("bad", [None, [], "request", 3])
def test_review_rejects_non_dicts(bad):
    with pytest.raises(TypeError, match="keyword arguments as a dict"):
        review(bad)


# worst case and thinking_chars -------------------------------------------------------------------------


def test_worst_case_is_input_plus_max_tokens_of_output():
    # By hand: Opus 4.6 $5/$25, Haiku 4.5 $1/$5 per million tokens.
    assert worst_case_cost(OPUS_4_6, 36, 16000).total == pytest.approx(36 * 5e-6 + 16000 * 25e-6)
    assert worst_case_cost("claude-haiku-4-5", 1500, 8000).total == pytest.approx(0.0415)
    assert str(worst_case_cost(HAIKU, 0, 0)) == "$0.000000"


@pytest.mark.parametrize("inp, out", [(-1, 10), (10, -1), (1.5, 10), (10, True), (None, 10)])
def test_worst_case_rejects_bad_counts(inp, out):
    with pytest.raises(ValueError, match="non-negative int"):
        worst_case_cost(OPUS, inp, out)


def test_worst_case_needs_a_priced_model():
    with pytest.raises(KeyError, match="No price"):
        worst_case_cost("claude-unknown-1", 1, 1)


def test_thinking_chars_counts_only_visible_thinking():
    msg = {
        "content": [
            {"type": "thinking", "thinking": "abc", "signature": "s"},
            {"type": "redacted_thinking", "data": "xxxxxxxx"},
            {"type": "thinking", "thinking": "", "signature": "s"},
            {"type": "text", "text": "answer"},
        ]
    }
    assert thinking_chars(msg) == 3
    assert thinking_chars({"content": []}) == 0 and thinking_chars({}) == 0


# figure ------------------------------------------------------------------------------------------------


def _msg(thinking: str, out: int) -> dict:
    return {
        "model": OPUS_4_6,  # for the hand-computed cents below
        "content": [{"type": "thinking", "thinking": thinking, "signature": "s"}, {"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 10, "output_tokens": out},
    }


def test_effort_figure_has_three_labelled_panels():
    import matplotlib.pyplot as plt

    fig = effort_figure({"low": _msg("ab", 10), "high": _msg("abcdef", 40)})
    try:
        axes = fig.get_axes()
        assert len(axes) == 3
        assert [ax.get_ylabel() for ax in axes] == ["characters", "tokens", "US cents"]
        assert all(ax.get_title() and ax.get_xlabel() == "effort" for ax in axes)
        heights = [[p.get_height() for p in ax.patches] for ax in axes]
        assert heights[0] == [2, 6] and heights[1] == [10, 40]
        assert heights[2] == pytest.approx([(10 * 5 + 10 * 25) / 1e4, (10 * 5 + 40 * 25) / 1e4])
        assert "claude-opus-4-6" in fig._suptitle.get_text()
    finally:
        plt.close(fig)


@pytest.mark.parametrize("bad", [{}, None, [("low", 1)]])
def test_effort_figure_rejects_empty_or_non_dict(bad):
    with pytest.raises(ValueError, match="non-empty dict"):
        effort_figure(bad)


# self-checks -------------------------------------------------------------------------------------------


def test_choices_correct(primer_tasks):
    r = check.check_choices(TASK_A, TASK_B)
    assert r.ok and "correct" in repr(r)


def test_choices_on_the_course_models():
    a, b = {**TASK_A, "model": check.TASK_A["model"]}, {**TASK_B, "model": check.TASK_B["model"]}
    assert model_info(a["model"]).thinking.startswith("adaptive")  # Task A is about effort
    r = check.check_choices(a, b)
    assert not [p for p in r.problems if p.startswith("Task A")], r.problems
    form = model_info(b["model"]).thinking
    if form != "manual":
        pytest.skip(
            f"Task B sets a thinking budget (manual thinking), which the course's {b['model']} lacks ({form}): "
            "notebook 06's Task B needs another exercise for it"
        )
    assert r.ok, r.problems


def test_choices_task_a_on_a_model_whose_thinking_is_always_on(monkeypatch):
    monkeypatch.setitem(check.TASK_A, "model", "claude-opus-5-5")
    assert model_info("claude-opus-5-5").thinking == "adaptive (always on)"
    a = {**TASK_A, "model": "claude-opus-5-5"}
    assert not [p for p in check.check_choices(a, TASK_B).problems if p.startswith("Task A")]
    off = check.check_choices({**a, "thinking": {"type": "disabled"}}, TASK_B).problems
    assert any("cannot be turned off on claude-opus-5-5" in p for p in off), off
    manual = check.check_choices({**a, "thinking": {"type": "enabled", "budget_tokens": 1024}}, TASK_B).problems
    assert any("a 400 on claude-opus-5-5" in p and "deprecated" not in p for p in manual), manual


def test_choices_placeholders(primer_tasks):
    a = {"model": ..., "max_tokens": ..., "thinking": ..., "output_config": ...}
    b = {"model": ..., "max_tokens": ..., "thinking": ...}
    r = check.check_choices(a, b)
    assert not r.ok and "Replace each ..." in r.problems[0]
    half = check.check_choices(TASK_A, {**TASK_B, "max_tokens": ...})
    assert half.problems == ["Task B: some values are still `...`."]


@pytest.mark.parametrize(
    "a_change, fragment",
    [
        ({"model": PRIMER_B}, f"model should be {PRIMER_A!r}"),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "deprecated"),
        ({"thinking": {"type": "adaptive", "budget_tokens": 1024}}, "takes no budget_tokens"),
        ({"thinking": {"type": "on"}}, "should be {'type': 'adaptive'} or {'type': 'disabled'}"),
        ({"thinking": {"type": "disabled"}, "output_config": None}, "its default effort, 'high'"),
        ({"output_config": {"effort": "high"}}, "buys depth"),
        ({"output_config": {"effort": "fast"}}, "effort must be"),
        ({"output_config": None}, "its default effort, 'high'"),
        ({"max_tokens": 4000}, "past the 2,000-token limit"),
        ({"max_tokens": 0}, "leaves no room"),
        ({"max_tokens": 2000.0}, "must be an int"),
        ({"temperature": 0}, "only ['max_tokens', 'model', 'output_config', 'thinking']"),
    ],
)
def test_choices_task_a_feedback(primer_tasks, a_change, fragment):
    r = check.check_choices({**TASK_A, **a_change}, TASK_B)
    assert not r.ok and any(fragment in p and p.startswith("Task A") for p in r.problems), r.problems


@pytest.mark.parametrize(
    "a_change",
    [
        {"max_tokens": 1000},  # below the cap is fine: the task sets a ceiling, not a size
        {"max_tokens": 300},
        {"thinking": {"type": "disabled"}},  # no thinking at low effort: valid for labelling
        {"thinking": None},
    ],
)
def test_choices_task_a_accepts_other_valid_answers(primer_tasks, a_change):
    a = {k: v for k, v in {**TASK_A, **a_change}.items() if v is not None}
    r = check.check_choices(a, TASK_B)
    assert r.ok, r.problems


@pytest.mark.parametrize(
    "b_change, fragment",
    [
        ({"thinking": {"type": "adaptive"}}, "has no adaptive thinking"),
        ({"thinking": {"type": "enabled", "budget_tokens": 512}}, "below the API's minimum"),
        ({"thinking": {"type": "enabled", "budget_tokens": 4000}}, "budget_tokens is 6000"),
        ({"thinking": {"type": "enabled"}}, "must be an int"),
        ({"thinking": "enabled"}, "should be {'type': 'enabled'"),
        ({"max_tokens": 6000}, "not above budget_tokens"),
        ({"max_tokens": 7000}, "too little room"),
        ({"max_tokens": 64000}, "only raises the worst case"),
        ({"max_tokens": None}, "must be an int"),
        ({"output_config": {"effort": "low"}}, "does not take output_config.effort"),
        ({"model": PRIMER_A}, f"model should be {PRIMER_B!r}"),
    ],
)
def test_choices_task_b_feedback(primer_tasks, b_change, fragment):
    r = check.check_choices(TASK_A, {**TASK_B, **b_change})
    assert not r.ok and any(fragment in p and p.startswith("Task B") for p in r.problems), r.problems


@pytest.mark.parametrize("bad", [None, "adaptive", 3, ["model", OPUS]])
def test_choices_non_dicts(primer_tasks, bad):
    r = check.check_choices(bad, TASK_B)
    assert not r.ok and "Task A: build a dict" in r.problems[0]


def test_worst_case_check_on_haiku_4_5_by_hand(monkeypatch):
    monkeypatch.setitem(check.WORST_CASE, "model", "claude-haiku-4-5")  # $1 in, $5 out per million
    assert check.check_worst_case(0.0415).ok  # 1,500 x $1 + 8,000 x $5
    for answer, fragment in [
        (0.0315, "budget_tokens bounds only the thinking"),  # 6,000 out
        (0.04, "Add the input"),
        (0.0715, "not on top"),  # 14,000 out
        (0.0095, "higher price"),  # 9,500 at $1
        (41500.0, "Divide by 1,000,000"),
    ]:
        assert fragment in check.check_worst_case(answer).problems[0], answer


# Exercise 2 on the course's model, whichever it is: its rates for the 1,500-token prompt.
_W = check.WORST_CASE
_P = price_of(_W["model"]).for_prompt(_W["input_tokens"])
WORST = (1500 * _P.input + 8000 * _P.output) / 1e6


def test_worst_case_check_correct_and_placeholder():
    assert check.check_worst_case(WORST).ok
    assert format_usd(WORST) in check.check_worst_case(WORST).note
    assert "Replace ..." in check.check_worst_case(...).problems[0]


_OTHER = OPUS if _W["model"] != OPUS else HAIKU  # the same request on another of the course's models


@pytest.mark.parametrize(
    "answer, fragment",
    [
        ((1500 * _P.input + 6000 * _P.output) / 1e6, "budget_tokens bounds only the thinking"),
        (8000 * _P.output / 1e6, "Add the input"),
        ((1500 * _P.input + 14_000 * _P.output) / 1e6, "not on top"),
        (9500 * _P.input / 1e6, "higher price"),
        (cost({"input_tokens": 1500, "output_tokens": 8000}, _OTHER).total, f"on {_W['model']}: use its prices"),
        (WORST * 1e6, "Divide by 1,000,000"),
        (WORST * 1.2, "input_tokens x input price"),
        (str(WORST), "Give a number"),
        (True, "Give a number"),
        (None, "Give a number"),
    ],
)
def test_worst_case_check_explains_mistakes(answer, fragment):
    r = check.check_worst_case(answer)
    assert not r.ok and fragment in r.problems[0], r.problems


# review with the Models API's capabilities -------------------------------------------------------------


def caps(adaptive: bool, enabled: bool = True, disabled: bool = True, efforts=("low", "medium", "high", "max")):
    return {
        "thinking": {
            "supported": True,
            "types": {
                "adaptive": {"supported": adaptive},
                "enabled": {"supported": enabled},
                "disabled": {"supported": disabled},
                "between_tools": {"supported": False},
            },
        },
        "effort": {"supported": bool(efforts), **{e: {"supported": e in efforts} for e in EFFORTS}},
    }


def test_review_follows_capabilities_over_the_model_table():
    # A model the table calls manual-only, reported by the API as adaptive: the capabilities win.
    r = review(dict(HAIKU_OK, thinking={"type": "adaptive"}), caps(adaptive=True))
    assert r.ok, r.errors
    # and the other way round: no adaptive thinking reported for Opus
    r = review(OPUS_OK, caps(adaptive=False, efforts=()))
    assert "no adaptive thinking" in joined(r) and "does not take output_config.effort" in joined(r)


def test_review_with_capabilities_rejects_unsupported_type_and_level():
    r = review(
        {"model": OPUS, "max_tokens": 16000, "thinking": {"type": "enabled", "budget_tokens": 2000}},
        caps(adaptive=True, enabled=False),
    )
    assert "does not accept thinking type 'enabled'" in joined(r)
    r = review(dict(OPUS_OK, output_config={"effort": "max"}), caps(adaptive=True, efforts=("low", "high")))
    assert "does not support effort 'max'" in joined(r)
    r = review({"model": OPUS, "max_tokens": 10, "thinking": {"type": "disabled"}}, caps(True, disabled=False))
    assert "does not accept thinking type 'disabled'" in joined(r)


def test_review_reads_sdk_capability_objects_and_the_sdk_warning_list():
    from anthropic.types.model_capabilities import ModelCapabilities

    full = {
        "batch": {"supported": True},
        "citations": {"supported": True},
        "code_execution": {"supported": True},
        "context_management": {"supported": True},
        "image_input": {"supported": True},
        "pdf_input": {"supported": True},
        "structured_outputs": {"supported": True},
        "server_tools": {"supported": True, "code_execution": {"supported": True}, "web_search": {"supported": True}},
        **caps(adaptive=True),
    }
    obj = ModelCapabilities.model_validate(full)
    r = review({"model": OPUS_4_6, "max_tokens": 16000, "thinking": {"type": "enabled", "budget_tokens": 2000}}, obj)
    assert r.ok and "deprecated" in r.warnings[0]  # claude-opus-4-6 is on the SDK's warning list


def test_review_knows_the_current_models_thinking_from_the_table():
    # Claude 4.7 and later refuse budget_tokens; "adaptive (always on)" cannot be disabled (models overview).
    ask = [{"role": "user", "content": "hi"}]
    manual = {"max_tokens": 4000, "thinking": {"type": "enabled", "budget_tokens": 2000}, "messages": ask}
    off = {"max_tokens": 4000, "thinking": {"type": "disabled"}, "messages": ask}
    assert "does not accept thinking type 'enabled'" in review({**manual, "model": "claude-haiku-5-5"}).errors[0]
    assert review({**manual, "model": "claude-opus-4-6"}).ok, "deprecated on 4.6, but served"
    assert "always on" in review({**off, "model": "claude-opus-5-5"}).errors[0]
    assert review({**off, "model": "claude-sonnet-5-5"}).ok
