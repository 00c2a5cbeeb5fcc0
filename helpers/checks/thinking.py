"""Self-checks for 06_extended_thinking: choose a thinking configuration, bound a request's cost."""

from __future__ import annotations

import numbers
from typing import Any

from ..models import OPUS, PRIMER_HAIKU, canonical_model_id, model_info
from ..pricing import cost, format_usd, price_of
from ..thinking import EFFORTS, MIN_BUDGET, review
from . import Result, close_to, result, rounded_ok, unfilled

__all__ = [
    "TASK_A",
    "TASK_B",
    "check_choices",
    "WORST_CASE",
    "check_worst_case",
]

TASK_A = {"model": OPUS, "cap": 2000}  # label bug reports: speed and cost over depth; <= 2,000 tokens out
TASK_B = {"model": PRIMER_HAIKU, "thinking": 6000, "answer": 2000}  # legacy on purpose: manual thinking
_KEYS = {"model", "max_tokens", "thinking", "output_config"}
# "Most Claude models default to high effort; Claude Opus 5.5 and Claude Haiku 5.5 default to medium"
# (https://platform.claude.com/docs/en/build-with-claude/effort; notebook 06, section 2).
_DEFAULT_EFFORT = {"claude-opus-5-5": "medium", "claude-haiku-5-5": "medium"}
_LABEL_ROOM = 256  # the least Task A's max_tokens may be: room for some thinking and a one-line label


def _all_unfilled(request: Any) -> bool:
    return isinstance(request, dict) and bool(request) and all(unfilled(v) for v in request.values())


def _common(name: str, request: dict[str, Any], model: str) -> list[str]:
    problems = []
    got = request.get("model")
    if not isinstance(got, str) or canonical_model_id(got) != model:  # a dated id names the same model
        problems.append(f"{name}: model should be {model!r}, got {request.get('model')!r}.")
    extra = set(request) - _KEYS
    if extra:
        problems.append(f"{name}: only {sorted(_KEYS)} are needed here, not {sorted(extra)}.")
    return problems


def _task_a(request: dict[str, Any]) -> list[str]:
    """Adaptive thinking at low effort, or thinking off (disabled or left out) at low effort; max_tokens <= 2000."""
    name = "Task A"
    model = TASK_A["model"]
    problems = _common(name, request, model)
    # The rules follow the model's thinking form in helpers.models, so a switch of OPUS keeps them true.
    always_on = model_info(model).thinking == "adaptive (always on)"
    thinking = request.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind == "enabled":
        status = f"a 400 on {model}, whose thinking is always adaptive" if always_on else f"deprecated on {model}"
        problems.append(
            f"{name}: manual thinking ('enabled' + budget_tokens) is {status}; "
            "use {'type': 'adaptive'} (or no thinking) and let effort set the depth."
        )
    elif kind == "disabled" and always_on:
        problems.append(
            f"{name}: thinking cannot be turned off on {model} (a 400); use {{'type': 'adaptive'}} or leave "
            "thinking out, and let effort 'low' keep it short."
        )
    elif thinking is not None and kind not in ("adaptive", "disabled"):
        problems.append(
            f"{name}: thinking should be {{'type': 'adaptive'}} or {{'type': 'disabled'}}, got {thinking!r}."
        )
    elif kind == "adaptive" and "budget_tokens" in thinking:
        problems.append(f"{name}: adaptive thinking takes no budget_tokens; remove it.")
    output_config = request.get("output_config")
    effort = output_config.get("effort") if isinstance(output_config, dict) else None
    if effort is None:
        default = _DEFAULT_EFFORT.get(canonical_model_id(model), "high")
        problems.append(
            f"{name}: set output_config={{'effort': ...}}; without it {model} runs at its default effort, "
            f"{default!r}, more depth than this task needs."
        )
    elif effort in EFFORTS and effort != "low":  # xhigh included: a valid level (SDK 2.17), just not the cheapest
        problems.append(
            f"{name}: effort {effort!r} buys depth this task does not need; 'low' lets Claude answer easy "
            "reports with little or no thinking, which is what speed and cost ask for."
        )
    elif effort != "low":
        problems.append(f"{name}: effort must be one of {', '.join(map(repr, EFFORTS))}, got {effort!r}.")
    cap = request.get("max_tokens")
    if isinstance(cap, bool) or not isinstance(cap, int):
        problems.append(f"{name}: max_tokens must be an int, got {cap!r}.")
    elif cap > TASK_A["cap"]:
        problems.append(
            f"{name}: max_tokens {cap} lets a response run past the 2,000-token limit; thinking counts "
            "against max_tokens, so max_tokens itself is the cap."
        )
    elif cap < _LABEL_ROOM:
        # max_tokens caps thinking and answer together: a tiny cap can end inside the thinking, with no label.
        problems.append(
            f"{name}: max_tokens {cap} leaves no room: thinking counts against it, so the label may never come; "
            f"allow a few hundred tokens (at least {_LABEL_ROOM}) up to the 2,000 limit."
        )
    return problems


def _task_b(request: dict[str, Any]) -> list[str]:
    name = "Task B"
    model = TASK_B["model"]
    problems = _common(name, request, model)
    thinking = request.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if kind == "adaptive":
        problems.append(
            f"{name}: {model} has no adaptive thinking (the API answers 400); "
            "use {'type': 'enabled', 'budget_tokens': ...}."
        )
    elif kind != "enabled":
        problems.append(f"{name}: thinking should be {{'type': 'enabled', 'budget_tokens': ...}}, got {thinking!r}.")
    elif isinstance(budget, bool) or not isinstance(budget, int):
        problems.append(f"{name}: budget_tokens must be an int, got {budget!r}.")
    elif budget < MIN_BUDGET:
        problems.append(f"{name}: budget_tokens {budget} is below the API's minimum of {MIN_BUDGET}.")
    elif budget != TASK_B["thinking"]:
        problems.append(f"{name}: the task allows 6,000 tokens of thinking, so budget_tokens is 6000, not {budget}.")
    if isinstance(request.get("output_config"), dict) and "effort" in request["output_config"]:
        problems.append(f"{name}: {model} does not take output_config.effort (a 400); budget_tokens sets the depth.")
    cap = request.get("max_tokens")
    want = TASK_B["thinking"] + TASK_B["answer"]
    if isinstance(cap, bool) or not isinstance(cap, int):
        problems.append(f"{name}: max_tokens must be an int, got {cap!r}.")
    elif isinstance(budget, int) and cap <= budget:
        problems.append(
            f"{name}: max_tokens {cap} is not above budget_tokens {budget}: the budget must be below max_tokens, "
            "which caps thinking and answer together."
        )
    elif cap < want:
        problems.append(
            f"{name}: max_tokens {cap} leaves too little room for the 2,000-token answer after 6,000 tokens "
            f"of thinking; it should be {want}."
        )
    elif cap > want:
        problems.append(
            f"{name}: max_tokens {cap} is more than the task needs ({want}); a larger cap only raises the worst case."
        )
    return problems


def check_choices(task_a: Any, task_b: Any) -> Result:
    """Exercise 1: OPUS at low effort, adaptive or no thinking, max_tokens <= 2000; PRIMER_HAIKU manual 6000 of 8000."""
    title = "Your thinking choices"
    if _all_unfilled(task_a) and _all_unfilled(task_b):
        return result(title, ["Replace each ... with a value: model, max_tokens, thinking (and output_config for A)."])
    problems = []
    for name, request, check in (("Task A", task_a, _task_a), ("Task B", task_b, _task_b)):
        if not isinstance(request, dict):
            kind = type(request).__name__
            problems.append(f"{name}: build a dict of messages.create() keyword arguments, got {kind}.")
            continue
        if any(unfilled(v) for v in request.values()):
            problems.append(f"{name}: some values are still `...`.")
            continue
        found = check(request)
        if not found:  # the task's own checks pass: nothing else may break a rule
            found = [f"{name}: {e}." for e in review(request).errors]
        problems += found
    return result(
        title,
        problems,
        "Adaptive effort where the model has it, a budget where it does not, and max_tokens as the hard cap.",
    )


WORST_CASE = {"model": PRIMER_HAIKU, "input_tokens": 1500, "max_tokens": 8000, "budget_tokens": 6000}


def check_worst_case(dollars: Any) -> Result:
    """Exercise 2: the most WORST_CASE's request can cost, in dollars, from the price table."""
    title = "Your worst case"
    w = WORST_CASE
    want = cost({"input_tokens": w["input_tokens"], "output_tokens": w["max_tokens"]}, w["model"]).total
    if unfilled(dollars):
        return result(title, ["Replace ... with your answer in dollars, e.g. 0.05."])
    if isinstance(dollars, bool) or not isinstance(dollars, numbers.Real):
        return result(title, [f"Give a number of dollars, got {type(dollars).__name__} {dollars!r}."])
    if rounded_ok(dollars, want):  # ROUNDING
        note = "thinking counts against max_tokens, so max_tokens bounds it all."
        return result(title, [], f"{format_usd(want)}: {note}")

    def usd(inp: int, out: int, model: str = w["model"]) -> float:
        return cost({"input_tokens": inp, "output_tokens": out}, model).total

    # Every token at the input rate (of this prompt's tier), and the same request priced on another model.
    all_input = (w["input_tokens"] + w["max_tokens"]) * price_of(w["model"]).for_prompt(w["input_tokens"]).input / 1e6
    other = OPUS if w["model"] != OPUS else PRIMER_HAIKU

    hints = [
        (
            usd(w["input_tokens"], w["budget_tokens"]),
            "budget_tokens bounds only the thinking; max_tokens bounds "
            "thinking and answer together, so price max_tokens of output.",
        ),
        (usd(0, w["max_tokens"]), "Add the input: the prompt's 1,500 tokens are billed too."),
        (
            usd(w["input_tokens"], w["max_tokens"] + w["budget_tokens"]),
            "Thinking is part of max_tokens, not on top of it: price 8,000 output tokens, not 14,000.",
        ),
        (all_input, "Output tokens have their own, higher price (thinking is billed as output)."),
        (usd(w["input_tokens"], w["max_tokens"], other), f"This request is on {w['model']}: use its prices."),
        (want * 1_000_000, "Divide by 1,000,000: prices are per million tokens."),
    ]
    hint = next(
        (h for value, h in hints if close_to(dollars, value)),
        "input_tokens x input price + max_tokens x output price, prices per million tokens.",
    )
    return result(title, [f"{dollars!r} is not it. {hint}"])
