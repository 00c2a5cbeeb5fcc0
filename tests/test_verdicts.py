"""How a self-check's verdict looks (helpers.checks.Result): an exercise not yet attempted is a neutral task
("your turn", a grey bar), not a red ❌ "not yet" as if the learner had failed (issue 32); a wrong answer is
"not yet" with what to fix; a right one a ✅. Checked through every topic's own check on its placeholder."""

from __future__ import annotations

from helpers.checks import Result, batching, costs, errors, first_request, start_here, thinking, tool_use


def test_a_placeholder_left_in_place_is_a_neutral_task_in_every_topic() -> None:
    shown = [
        first_request.check_request({"model": ..., "max_tokens": ..., "messages": ...}),
        start_here.check_modes({k: ... for k in start_here.SCENARIOS}),
        costs.check_monthly(...),
        batching.check_saving(...),
        thinking.check_worst_case(...),
        tool_use.check_tool_definition({"name": ..., "description": ..., "input_schema": ...}),
        errors.check_classification({k: ... for k in errors.CASES}),
    ]
    for r in shown:
        assert not r.ok and not r.attempted, r.problems
        assert "❌" not in repr(r) and "not yet" not in repr(r) and repr(r).startswith("✏️ "), repr(r)
        page = r._repr_html_()
        assert "❌" not in page and "error-color" not in page and "your turn" in page and "Replace" in page, page


def test_a_wrong_answer_is_not_yet_with_what_to_fix_and_a_right_one_a_tick() -> None:
    wrong = costs.check_monthly(1.0)
    assert wrong.attempted and repr(wrong).startswith("❌ ") and "not yet" in repr(wrong)
    assert "error-color" in wrong._repr_html_()
    half = Result("Your request", ["Replace ... with a number.", "model should be OPUS."])
    assert half.attempted, "a placeholder hint beside another problem is an attempt"
    right = Result("Your request", [])
    assert right.attempted and repr(right).startswith("✅ ") and "success-color" in right._repr_html_()
