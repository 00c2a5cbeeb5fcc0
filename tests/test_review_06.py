"""Review 2026-12-08, notebook 06: effort xhigh, thinking type between_tools, Task A's default-effort hint."""

from __future__ import annotations

import typing

import pytest
from anthropic.types import OutputConfigParam

from helpers.checks import thinking as check
from helpers.models import OPUS, PRIMER_HAIKU
from helpers.thinking import EFFORTS, review

TASK_A = {"model": OPUS, "max_tokens": 2000, "thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}
TASK_B = {"model": PRIMER_HAIKU, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 6000}}


def caps(*, efforts=("low", "medium", "high", "max"), between_tools=False):
    """A capabilities dict shaped like the SDK's ModelCapabilities (types/thinking_types.py, effort_capability.py)."""
    types = {"adaptive": True, "enabled": False, "disabled": False, "between_tools": between_tools}
    return {
        "thinking": {"supported": True, "types": {k: {"supported": v} for k, v in types.items()}},
        "effort": {"supported": True, **{e: {"supported": e in efforts} for e in EFFORTS}},
    }


def test_efforts_are_the_sdks():
    # The SDK's own Literal, so a level it adds or drops shows up here.
    literal = typing.get_args(typing.get_type_hints(OutputConfigParam)["effort"])[0]  # Optional[Literal[...]]
    assert set(EFFORTS) == set(typing.get_args(literal))
    assert "xhigh" in EFFORTS


def test_xhigh_follows_the_capabilities():
    request = dict(TASK_A, output_config={"effort": "xhigh"})
    assert review(request, caps(efforts=("low", "medium", "high", "xhigh", "max"))).ok
    r = review(request, caps())
    assert not r.ok and "does not support effort 'xhigh'" in " ".join(r.errors)
    r = review(dict(TASK_A, output_config={"effort": "extreme"}))
    assert not r.ok and "must be one of" in " ".join(r.errors)


def test_between_tools_follows_the_capabilities():
    request = dict(TASK_A, thinking={"type": "between_tools"})
    assert review(request, caps(between_tools=True)).ok
    r = review(request, caps(between_tools=False))
    assert not r.ok and "between_tools" in " ".join(r.errors)
    r = review(request)  # no capabilities: the course's table cannot tell, so it warns rather than rejects
    assert r.ok and "capabilities" in " ".join(r.warnings)
    r = review(dict(TASK_A, thinking={"type": "sometimes"}))
    assert not r.ok and "between_tools" in " ".join(r.errors)  # the message lists the accepted types


def _task_a_says(**changes):
    res = check.check_choices({**TASK_A, **changes}, TASK_B)
    return res.ok, " ".join(res.problems)


def test_task_a_xhigh_is_valid_but_not_the_cheapest():
    ok, said = _task_a_says(output_config={"effort": "xhigh"})
    assert not ok and "depth this task does not need" in said and "must be" not in said
    ok, said = _task_a_says(output_config={"effort": "extreme"})
    assert not ok and "must be one of" in said and "'xhigh'" in said


def test_task_a_without_effort_names_the_models_default():
    ok, said = _task_a_says(output_config={})
    assert OPUS == "claude-opus-5-5"  # the docs' default below is Opus 5.5's
    assert not ok and "default effort, 'medium'" in said and "'high'" not in said
    assert check.check_choices(TASK_A, TASK_B).ok


@pytest.mark.parametrize("effort", ["medium", "high", "max"])
def test_task_a_other_levels_still_fail(effort):
    assert not _task_a_says(output_config={"effort": effort})[0]
