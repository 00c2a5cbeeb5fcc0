"""Self-checks for 08_prompt_caching: choose a cache for a workload and price it; place a breakpoint."""

from __future__ import annotations

import copy
import json
import numbers
from typing import Any

from ..caching import breakpoints, estimate_tokens, load_document, prefix_cost
from ..models import OPUS, SONNET, model_info
from ..pricing import format_usd, price_of
from . import Result, close_to, result, rounded_ok, unfilled

__all__ = ["WORKLOAD", "check_workload", "exercise_request", "check_breakpoint"]

# Exercise 1: a handbook sent with every question, on a steady working day.
WORKLOAD: dict[str, Any] = {
    "model": SONNET,
    "document_tokens": 20_000,
    "questions": 48,
    "minutes_between": 10,
}
_CHOICES = ("none", "5m", "1h")


def _workload_costs() -> dict[str, float]:
    times = [i * WORKLOAD["minutes_between"] for i in range(WORKLOAD["questions"])]
    tokens, model = WORKLOAD["document_tokens"], WORKLOAD["model"]
    return {c: prefix_cost(tokens, times, model, None if c == "none" else c) for c in _CHOICES}


def _reads_off_by_one(dollars: Any) -> int | None:
    """The number of reads `dollars` counts when it is one write plus one read too many or too few, else None.

    Those answers sit within the two-significant-figure tolerance of the right one (0.272 or 0.264 for 0.268
    on Sonnet 5.5), so they are recognised first, at three significant figures (review 2026-12-08, 08-10).
    """
    n, tokens = WORKLOAD["questions"], WORKLOAD["document_tokens"]
    p = price_of(WORKLOAD["model"]).for_prompt(tokens)
    for reads in (n, n - 2):
        if close_to(dollars, tokens * (p.cache_write_1h + reads * p.cache_read) / 1e6, rel=1e-3):
            return reads
    return None


def check_workload(choice: Any, dollars: Any) -> Result:
    """Exercise 1: the cheapest option for WORKLOAD ("none", "5m" or "1h") and the day's document cost."""
    title = "Your caching plan"
    problems: list[str] = []
    costs = _workload_costs()
    best = min(costs, key=costs.__getitem__)
    if unfilled(choice):
        problems.append('Replace the ... in choice with "none", "5m" or "1h".')
    elif choice not in _CHOICES:
        problems.append(f'choice must be one of "none", "5m", "1h", got {choice!r}.')
    elif choice != best:
        why = {
            "none": "Without a cache every question pays the full input price for the whole handbook.",
            "5m": "A question every 10 minutes arrives after a 5-minute cache has expired, so every question "
            "writes it again at 1.25x: dearer than no cache at all.",
        }.get(choice, "")
        problems.append(f"{choice!r} is not the cheapest here. {why}".rstrip())
    if unfilled(dollars):
        problems.append("Replace the ... in dollars with the day's cost of the handbook, e.g. 1.25.")
    elif isinstance(dollars, bool) or not isinstance(dollars, numbers.Real):
        problems.append(f"dollars must be a number, got {type(dollars).__name__}.")
    elif (off_by_one := _reads_off_by_one(dollars)) is not None:  # before ROUNDING: 48 reads passes at 2 s.f.
        n = WORKLOAD["questions"]
        problems.append(
            f"{dollars!r} counts {off_by_one} reads. The first of the {n} questions writes the 1-hour cache and "
            f"each later one reads it: one write, then {n - 1} reads."
        )
    elif not rounded_ok(dollars, costs[best]):  # ROUNDING
        hint = "Count the writes and the reads: each is tokens x its rate, with rates per million tokens."
        for name, value in costs.items():
            if close_to(dollars, value, rel=1e-3):
                hint = f"That is the cost with {'no cache' if name == 'none' else 'the ' + name + ' cache'}."
        n, tokens = WORKLOAD["questions"], WORKLOAD["document_tokens"]
        rate = price_of(WORKLOAD["model"]).for_prompt(tokens).cache_write_1h  # the workload model's, not a typed-in one
        if close_to(dollars, n * tokens * rate / 1e6, rel=1e-3):
            hint = "Only the first question writes the 1-hour cache; each later one reads it (and keeps it alive)."
        elif close_to(dollars, costs[best] * 1e6, rel=1e-3):
            hint = "Divide by 1,000,000: prices are per million tokens."
        problems.append(f"{dollars!r} is not the day's cost of the handbook. {hint}")
    note = (
        f"{format_usd(costs[best])} a day, against {format_usd(costs['none'])} uncached and "
        f"{format_usd(costs['5m'])} with the 5-minute cache."
    )
    return result(title, problems, note)


_TOOL = {
    "name": "lookup_parcel",
    "description": "Look up a parcel of a common orchard in the Registry: its steward, its declared harvest "
    "season and any closure notice in force.",
    "input_schema": {
        "type": "object",
        "properties": {"parcel": {"type": "string", "description": "The parcel number, e.g. CO-04"}},
        "required": ["parcel"],
    },
}
_ASKER = "The resident asking is Ada Moss of Mill Lane. Today is 14 September 2031."
_QUESTION = "May I glean pears for my neighbour, who has a broken arm?"


def exercise_request() -> dict[str, Any]:
    """Exercise 2: a request with the Act in system[0] and per-request details after it (a fresh copy)."""
    return {
        "model": OPUS,
        "max_tokens": 1024,
        "tools": [copy.deepcopy(_TOOL)],
        "system": [
            {"type": "text", "text": "You are an AI assistant with deep expertise in law.\n\n" + load_document()},
            {"type": "text", "text": _ASKER},
        ],
        "messages": [{"role": "user", "content": _QUESTION}],
    }


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _same_request(request: dict[str, Any]) -> bool:
    """Whether `request` is the exercise's once markers are removed (a question in block form counts as the same)."""
    mine, given = _strip(request), exercise_request()
    for msg in mine.get("messages") or []:
        if isinstance(msg, dict) and isinstance(msg.get("content"), str):
            msg["content"] = [{"type": "text", "text": msg["content"]}]
    for msg in given["messages"]:
        msg["content"] = [{"type": "text", "text": msg["content"]}]
    return mine == given


def _marker_values(request: dict[str, Any]) -> list[Any]:
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "cache_control" in value:
                found.append(value["cache_control"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(request)
    return found


def _marker_problem(value: Any) -> str | None:
    if unfilled(value):
        return 'Replace the ... with the cache_control value, {"type": "ephemeral"}.'
    if not isinstance(value, dict) or value.get("type") != "ephemeral":
        return f'cache_control must be a dict {{"type": "ephemeral"}} (optionally with "ttl"), got {value!r}.'
    extra = set(value) - {"type", "ttl"}
    if extra:
        return f"cache_control takes only type and ttl; remove {sorted(extra)}."
    if "ttl" in value and value["ttl"] not in ("5m", "1h"):
        return f'ttl must be "5m" or "1h", got {value["ttl"]!r}.'
    return None


def _check_automatic(request: dict[str, Any], places: list[str]) -> Result:
    """Exercise 2 with a top-level cache_control: valid API, but here its breakpoint lands on the question."""
    title = "Your breakpoint"
    problem = _marker_problem(request["cache_control"])
    if problem:
        return result(title, [problem])
    landing = f"messages[{len(request['messages']) - 1}]"
    why = (
        "A top-level cache_control is automatic caching, which the API accepts: it puts the breakpoint on the "
        f"last cacheable block, here the question in {landing}. The question (and system[1] before it) changes "
        "with every request, so each one would write a new entry at 1.25x and none would be read back. "
        "Automatic caching pays off when a conversation grows by adding turns; here, mark the block where the "
        "shared part ends instead."
    )
    problems = [why]
    if places:
        problems.append(f"That also makes {1 + len(places)} breakpoints; the exercise asks for one.")
    return result(title, problems)


def check_breakpoint(request: Any) -> Result:
    """Exercise 2: one cache_control, on the last block that every request shares (system[0])."""
    title = "Your breakpoint"
    if not isinstance(request, dict):
        return result(title, ["Start from request = check.exercise_request() and add cache_control to it."])
    if not _same_request(request):
        return result(
            title,
            [
                "Only add cache_control: the rest of the request must stay as given "
                "(start again from check.exercise_request())."
            ],
        )
    values = _marker_values(request)
    places = breakpoints(request)
    automatic = "cache_control" in request  # a top-level cache_control: automatic caching
    if automatic:
        return _check_automatic(request, places)
    if not values:
        return result(
            title,
            [
                'No cache_control yet: set request[...][...]["cache_control"] = {"type": "ephemeral"} '
                "on the one block where the shared part of the request ends."
            ],
        )
    problems = [p for p in map(_marker_problem, values) if p]
    if len(values) != len(places):
        problems.append("cache_control belongs on a tool, a system block or a content block, not elsewhere.")
    tools_tokens = estimate_tokens(json.dumps(request["tools"])) + 300
    reasons = {
        "tools[0]": f"tools[0] ends a prefix of only about {tools_tokens} tokens, under the "
        f"{model_info(OPUS).min_cacheable_tokens}-token minimum: nothing would be cached.",
        "system[1]": "system[1] names the resident and today's date, so a prefix ending there changes with every "
        "request and is never read back.",
        "messages[0].content[0]": "The question changes with every request, so a prefix ending there is "
        "never read back.",
    }
    for place in places:
        if place in reasons:
            problems.append(reasons[place])
    if "system[0]" not in places:
        problems.append("The Act is the part every request shares: the breakpoint belongs on the block that holds it.")
    elif len(places) > 1:
        problems.append("One breakpoint is enough: system[0] already covers the tools, which come first in the prefix.")
    prefix = tools_tokens + estimate_tokens(request["system"][0]["text"])
    note = (
        f"The prefix is the tools plus the Act, about {prefix:,} tokens by the course's estimate; the "
        "resident, the date and the question follow it and are billed as plain input."
    )
    return result(title, problems, note)
