"""Self-checks for 07_batches: build a batch request list from inputs, and price a batch's saving."""

from __future__ import annotations

import numbers
from typing import Any

from ..batching import MAX_BYTES, BatchRequestError, body_bytes, validate_requests
from ..models import HAIKU, SONNET, canonical_model_id
from ..pricing import BATCH_DISCOUNT, cost, format_usd, price_of
from . import Result, close_to, result, rounded_ok, unfilled

__all__ = ["REVIEWS", "PROMPT", "MAX_TOKENS", "check_requests", "WORKLOAD", "check_saving"]

REVIEWS = [
    "Arrived a day early and works perfectly. Would buy again.",
    "The lid cracked the first time I used it.",
    "It does what it says. Nothing more, nothing less.",
    "Customer service replaced it within a week, very helpful!",
]
PROMPT = "Classify the sentiment of this review as positive, negative or neutral. Answer with one word.\n\n{review}"
# Room for a one-word answer AND the thinking before it: Haiku 5.5 thinks adaptively and "thinking tokens count
# toward" max_tokens (https://platform.claude.com/docs/en/models/haiku-5-5/whats-new-haiku-5-5), so 5 could
# end in max_tokens with no label. 256 is the floor 06's check (helpers/checks/thinking.py) uses for the same reason.
MAX_TOKENS = 256


def _usd(dollars: float) -> str:
    """Dollars as people write them: cents from $1 up ($210.00), the price table's precision below."""
    return f"${dollars:,.2f}" if abs(dollars) >= 1 else format_usd(dollars)


def _params_problems(where: str, p: dict[str, Any], review: str) -> list[str]:
    problems: list[str] = []
    model = p.get("model")
    if not isinstance(model, str) or canonical_model_id(model) != HAIKU:  # a dated id names the same model
        problems.append(f"{where}: model should be HAIKU ({HAIKU!r}), got {p.get('model')!r}.")
    if p.get("max_tokens") != MAX_TOKENS:
        problems.append(
            f"{where}: max_tokens should be {MAX_TOKENS} (room for thinking and a one-word answer), "
            f"got {p.get('max_tokens')!r}."
        )
    msgs = p.get("messages")
    first = msgs[0] if isinstance(msgs, list) and msgs and isinstance(msgs[0], dict) else {}
    want = PROMPT.format(review=review)
    if not isinstance(msgs, list) or len(msgs) != 1 or first.get("role") != "user":
        problems.append(f"{where}: messages should be one user message.")
    elif _text(first.get("content")) != want:
        hint = "PROMPT.format(review=...) with this custom_id's review"
        if isinstance(_text(first.get("content")), str) and review not in _text(first["content"]):
            hint += " (it does not contain that review)"
        problems.append(f"{where}: content should be {hint}.")
    extra = sorted(set(p) - {"model", "max_tokens", "messages"})
    if extra:
        problems.append(f"{where}: unexpected params {extra}; this task needs only model, max_tokens and messages.")
    return problems


def _text(content: Any) -> Any:
    """A list of text blocks is the same request as the string they join to (review 2026-12-08, W4)."""
    if isinstance(content, list) and content and all(isinstance(b, dict) and b.get("type") == "text" for b in content):
        return "".join(str(b.get("text", "")) for b in content)
    return content


def _requests_problems(requests: list[Any]) -> list[str]:
    """Compare by custom_id, as results are joined: the list's order does not matter."""
    problems: list[str] = []
    want_ids = [f"review-{i}" for i in range(len(REVIEWS))]
    by_id = {req["custom_id"]: req for req in requests}
    missing = [cid for cid in want_ids if cid not in by_id]
    unexpected = [cid for cid in by_id if cid not in want_ids]
    if unexpected:
        problems.append(
            f"custom_id {unexpected[0]!r} is not one of {want_ids[0]!r} .. {want_ids[-1]!r}: "
            "use review-<position of the review in check.REVIEWS>."
        )
    if missing:
        problems.append(f"No request for {', '.join(repr(m) for m in missing)}: one request per review.")
    for i, cid in enumerate(want_ids):
        if cid in by_id:
            problems += _params_problems(f"custom_id {cid!r}", by_id[cid]["params"], REVIEWS[i])
    return problems


def check_requests(requests: Any) -> Result:
    """Exercise 1: one batch request per review, custom_id review-<i>, HAIKU, MAX_TOKENS, PROMPT; any order."""
    title = "Your batch requests"
    if unfilled(requests):
        return result(title, ["Replace ... with a list of {'custom_id': ..., 'params': {...}} dicts, one per review."])
    if isinstance(requests, list) and any(unfilled(r) for r in requests):
        return result(title, ["Replace each ... in the list with a request dict."])
    try:
        validate_requests(requests)  # what the API would reject: shape, custom_id pattern, duplicates, params
    except BatchRequestError as e:
        return result(title, [f"The API would reject this: {e}."])
    problems = _requests_problems(list(requests))
    size = body_bytes(requests)
    if size > MAX_BYTES:
        problems.append(f"The create body is {size:,} bytes, over the {MAX_BYTES:,}-byte limit.")
    return result(
        title,
        problems,
        f"{len(requests)} requests, {size:,} bytes: ready for client.messages.batches.create(requests=requests).",
    )


# A nightly job: the same requests sent one by one or as a batch.
WORKLOAD = {"model": SONNET, "requests": 40_000, "input_tokens": 1_500, "output_tokens": 400}


def _workload_cost(batch: bool) -> float:
    # One request priced, then times n: a model priced by prompt length picks its tier per request, not
    # from the whole workload's tokens.
    one = {"input_tokens": WORKLOAD["input_tokens"], "output_tokens": WORKLOAD["output_tokens"]}
    return WORKLOAD["requests"] * cost(one, WORKLOAD["model"], batch=batch).total


def check_saving(dollars: Any) -> Result:
    """Exercise 2: dollars saved by sending WORKLOAD as a batch instead of one request at a time."""
    title = "Your saving"
    if unfilled(dollars):
        return result(title, ["Replace ... with the saving in dollars, e.g. 12.5."])
    if isinstance(dollars, bool) or not isinstance(dollars, numbers.Real):
        return result(
            title, [f"Give the saving as a number of dollars, e.g. 12.5; got {type(dollars).__name__} {dollars!r}."]
        )
    standard, batched = _workload_cost(False), _workload_cost(True)
    want = standard - batched
    if rounded_ok(dollars, want):  # ROUNDING
        return result(title, [], f"{_usd(want)}: {_usd(standard)} standard, {_usd(batched)} as a batch.")
    n, model = WORKLOAD["requests"], WORKLOAD["model"]
    hint = "Price the workload at the standard rate, then at half of it; the saving is the difference."
    rate = price_of(model).for_prompt(WORKLOAD["input_tokens"]).input
    input_only = n * WORKLOAD["input_tokens"] * rate / 1e6 * (1 - BATCH_DISCOUNT)  # the discount on input alone
    if close_to(dollars, standard):
        hint = f"{_usd(standard)} is what it costs without a batch; the saving is what the batch takes off."
    elif close_to(dollars, want * 1_000_000) or close_to(dollars, standard * 1_000_000):
        hint = "Divide by 1,000,000: prices are per million tokens."
    elif close_to(dollars, want / n) or close_to(dollars, standard / n):
        hint = f"That is per request; the workload has {n:,} requests."
    elif close_to(dollars, input_only):
        hint = "The batch discount applies to output tokens too, not only input."
    elif dollars < 0:
        hint = "A saving is positive: the batch costs less."
    return result(title, [f"{dollars!r} is not it ({model}, {n:,} requests). {hint}"])
