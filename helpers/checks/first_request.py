"""Self-checks for 01_first_request: build a request, price a response."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models import OPUS, canonical_model_id
from ..pricing import cost, format_usd, price_of
from . import Result, close_to, result, rounded_ok, unfilled

__all__ = ["check_request", "EXERCISE_USAGE", "check_cost"]


def check_request(request: Any) -> Result:
    """Exercise 1: a Messages request for OPUS, at most 300 tokens out, asking 'What is an API?'."""
    title = "Your request"
    if isinstance(request, dict) and all(unfilled(v) for v in request.values()):
        return result(title, ["Replace each ... with a value: model, max_tokens and messages."])
    if not isinstance(request, dict):
        return result(title, ["Build a dict with the keyword arguments you would pass to messages.create()."])
    problems = []
    model = request.get("model")
    if not isinstance(model, str) or canonical_model_id(model) != OPUS:
        problems.append(f"model should be OPUS ({OPUS!r}), got {model!r}.")
    mt = request.get("max_tokens")
    if isinstance(mt, bool) or not isinstance(mt, int) or mt != 300:
        # max_tokens is the cap on the answer's length: "at most 300 output tokens" is max_tokens=300.
        problems.append(f"max_tokens is required and caps the answer: 300 here, got {mt!r}.")
    msgs = request.get("messages")
    # The SDK takes any iterable of messages (resources/messages/messages.py: messages: Iterable[MessageParam]),
    # so a tuple is as right as a list; a string is not a sequence of messages.
    if not isinstance(msgs, Sequence) or isinstance(msgs, (str, bytes)) or not msgs:
        problems.append("messages must be a non-empty list of {'role': ..., 'content': ...} dicts.")
    else:
        first = msgs[0] if isinstance(msgs[0], dict) else {}
        if first.get("role") != "user":
            problems.append("The first message must have role 'user'.")
        if _text(first.get("content")) != "What is an API?":
            problems.append(f"The user's content should be exactly 'What is an API?', got {first.get('content')!r}.")
        if len(msgs) != 1:
            problems.append("One message is enough for a single question.")
    extra = set(request) - {"model", "max_tokens", "messages", "system"}
    if extra:
        problems.append(f"Unexpected keys for this task: {sorted(extra)}.")
    return result(title, problems, "Pass it as client.messages.create(**request).")


def _text(content: Any) -> Any:
    """A string content as is; a list of text blocks (the same request on the wire) as their joined text."""
    if isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "text" for b in content):
        return "".join(str(b.get("text", "")) for b in content)
    return content


EXERCISE_USAGE = {"input_tokens": 2000, "output_tokens": 500}


def check_cost(dollars: Any) -> Result:
    """Exercise 2: the cost of EXERCISE_USAGE on OPUS, in dollars, worked out by hand."""
    want = cost(EXERCISE_USAGE, OPUS).total
    if unfilled(dollars):
        return result("Your cost", ["Replace ... with your answer in dollars, e.g. 0.05."])
    if rounded_ok(dollars, want):  # ROUNDING
        return result("Your cost", [], f"{format_usd(want)}: input and output are priced separately.")
    hint = "input_tokens x input price + output_tokens x output price, with prices per million tokens."
    p = price_of(OPUS).for_prompt(EXERCISE_USAGE["input_tokens"])
    if close_to(dollars, want * 1_000_000):
        hint = "Divide by 1,000,000: prices are per million tokens."
    elif close_to(dollars, (2000 + 500) * p.input / 1e6):
        hint = f"Output tokens cost more than input tokens ({p.output:g} vs {p.input:g} dollars per million here)."
    return result("Your cost", [f"{dollars!r} is not it. {hint}"])
