"""helpers.models: the course's models are not deprecated in the installed SDK, and the lineup's facts hang
together. Also notebook 00's self-check (which mode?), which has no test module of its own."""

from __future__ import annotations

import anthropic
import pytest

from helpers.checks import start_here
from helpers.models import (
    HAIKU,
    KNOWN,
    LINEUP,
    MODELS,
    OPUS,
    PRIMER_OPUS,
    SONNET,
    current_lineup,
    model_info,
    sdk_deprecations,
    sdk_warnings,
)
from helpers.pricing import PRICES, UNPRICED

FIX = (
    "change the model in helpers/models.py (and its price in helpers/pricing.py), then rebuild the recordings "
    "and outputs with `make authored outputs` (authored) or `make record` (real responses)"
)


def _deprecation_problems(deprecated: dict[str, str] | None = None) -> list[str]:
    found = sdk_deprecations(deprecated=deprecated)
    return [
        f"{model} is deprecated in anthropic {anthropic.__version__} (end of life {eol}): {FIX}."
        for model, eol in found.items()
    ]


def test_no_course_model_is_deprecated_in_the_installed_sdk():
    problems = _deprecation_problems()
    assert not problems, "\n".join(problems)


def test_the_check_fails_for_a_deprecated_model_and_says_what_to_do():
    fake = {f"{SONNET}-20260217": "March 1st, 2027", "claude-nonexistent-1": "today"}  # a dated id counts
    problems = _deprecation_problems(fake)
    assert len(problems) == 1 and SONNET in problems[0] and "March 1st, 2027" in problems[0]
    assert "helpers/models.py" in problems[0] and "make record" in problems[0]
    assert sdk_deprecations([HAIKU], {HAIKU: "soon"}) == {HAIKU: "soon"}


def test_the_sdk_is_asked_through_its_public_warnings():
    # claude-opus-4-5 retires on 2027-01-22 (the course's table and the SDK agree); the SDK says so in a
    # DeprecationWarning, which is all the course reads. An SDK that drops it from its list fails here first.
    assert sdk_deprecations(["claude-opus-4-5", OPUS]) == {"claude-opus-4-5": "January 22nd, 2027"}
    said = sdk_warnings(PRIMER_OPUS, thinking={"type": "enabled", "budget_tokens": 1024})
    assert any(w.startswith("UserWarning") and "adaptive" in w for w in said)
    assert sdk_warnings(OPUS, thinking={"type": "adaptive"}) == []


def test_the_worked_examples_models_are_ones_the_course_can_teach():
    # What any choice of OPUS, SONNET, HAIKU must satisfy (tools/switch_models.py changes them): each is
    # a model the course has facts about, priced, served to everyone, not on the SDK's deprecation list,
    # of the family its name says, with the minimum cacheable prompt notebook 08 teaches.
    chosen = {"Opus": OPUS, "Sonnet": SONNET, "Haiku": HAIKU}
    assert list(MODELS) == list(chosen.values()) and len(set(MODELS)) == 3
    for family, model in chosen.items():
        info = KNOWN[model]
        assert MODELS[model] is info and family in info.name, model
        assert model in PRICES and info.access == "everyone" and info.status in {"current", "legacy"}, model
        assert info.min_cacheable_tokens is not None, f"{model}: notebook 08 needs its minimum cacheable prompt"
        assert info.max_output <= info.context_window, model
    assert sdk_deprecations(MODELS) == {}, "a worked example calls a model the SDK warns is being retired"


def test_the_primers_models_are_legacy_and_the_lineup_is_current():
    primer = ("claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5")
    assert {KNOWN[m].status for m in primer} == {"legacy"}
    assert {m.status for m in LINEUP.values()} == {"current"} and not set(primer) & set(LINEUP)
    assert model_info("claude-sonnet-4-6").max_output == 128_000  # the Sonnet 4.6 page now says 128K (it said 64K)
    assert [m.id for m in current_lineup(everyone=True)] == [m for m in LINEUP if LINEUP[m].access == "everyone"]
    assert model_info("claude-opus-5-5").thinking == "adaptive (always on)"
    assert model_info("claude-opus-4-6").page == "https://platform.claude.com/docs/en/models/opus-4-6/overview"


def test_every_named_model_has_a_price_or_a_reason():
    assert set(KNOWN) == set(PRICES) | set(UNPRICED) and not set(PRICES) & set(UNPRICED)


# --- notebook 00: which mode? ---------------------------------------------------------------------------


def test_modes_check_right_answer():
    assert start_here.check_modes({"a": "replay", "b": "Live", "c": "replay", "d": "Error", "e": "error"}).ok


def test_modes_check_left_with_dots_says_replace_each():
    r = start_here.check_modes({"a": ..., "b": ..., "c": ..., "d": ..., "e": ...})
    assert r.problems == ['Replace each ... with "replay", "live", "record" or "error".']
    assert "Ellipsis" not in repr(r)


@pytest.mark.parametrize(
    "wrong, fragment",
    [
        (
            {"d": "live"},
            "Scenario d: 'live' is not it; 'Live' asks for live mode (case does not matter), and live mode needs a key",
        ),
        ({"c": "live"}, "Scenario c: 'live' is not it; PRIMER_MODE wins when it is set"),
    ],
)
def test_modes_check_wrong_answers_name_the_rule_of_that_scenario(wrong, fragment):
    right = {"a": "replay", "b": "live", "c": "replay", "d": "error", "e": "error"}
    r = start_here.check_modes({**right, **wrong})
    assert not r.ok and len(r.problems) == 1 and r.problems[0].startswith(fragment), r.problems
    assert "a key with PRIMER_MODE unset" not in r.problems[0]  # the hint fits the scenario, not another


def test_modes_check_partly_filled_names_what_is_left():
    r = start_here.check_modes({"a": "replay", "b": ..., "c": "replay", "d": "error", "e": "error"})
    assert r.problems == ["Scenario b: replace ... with your prediction."]


def test_the_switch_tool_names_the_lessons_a_new_lineup_would_make_untrue():
    import importlib.util

    from helpers.config import REPO_ROOT

    spec = importlib.util.spec_from_file_location("switch_models", REPO_ROOT / "tools" / "switch_models.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    lineup = {"OPUS": "claude-opus-5-5", "SONNET": "claude-sonnet-5-5", "HAIKU": "claude-haiku-5-5"}
    assert tool.broken_premises(lineup) == []  # today's lineup: legacy lessons name PRIMER_* models
    primer = {"OPUS": "claude-opus-4-6", "SONNET": "claude-sonnet-4-6", "HAIKU": "claude-haiku-4-5"}
    assert tool.broken_premises(primer) == []  # Opus 4.6 has adaptive thinking too
    manual_only = dict(lineup, OPUS="claude-haiku-4-5")  # a model without adaptive thinking as OPUS
    assert [b.split()[0] for b in tool.broken_premises(manual_only)] == ["06_extended_thinking"]
    assert tool.missing_facts(lineup) == []  # the 5.5 models' unpublished minimum is assumed in helpers/models.py


def test_the_switch_tool_lists_prose_naming_a_dropped_model(tmp_path):
    import importlib.util
    import json

    from helpers.config import REPO_ROOT

    spec = importlib.util.spec_from_file_location("switch_models", REPO_ROOT / "tools" / "switch_models.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cells = [
        {"cell_type": "markdown", "source": ["On Claude Haiku 4.5 ..."]},
        {"cell_type": "markdown", "source": ["claude-opus-4-6 and Opus 4.6"]},
        {"cell_type": "code", "source": ["# Claude Haiku 4.5"]},
    ]
    (tmp_path / "01_x.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")
    old = {"OPUS": "claude-opus-4-6", "HAIKU": "claude-haiku-4-5"}
    assert tool.prose_to_review(tmp_path, old, {"OPUS": "claude-opus-4-6", "HAIKU": "claude-haiku-5-5"}) == {"01_x": 1}
    assert tool.prose_to_review(tmp_path, old, old) == {}
