"""Self-checks for 09_costs: price an application per month; choose a model for three tasks.

The expected answers are computed from `helpers.pricing` (never typed in here), so a change of price in the
table changes what counts as correct, and the feedback quotes the table's own ratios.
"""

from __future__ import annotations

import numbers
from typing import Any

from ..costs import usd
from ..models import HAIKU, OPUS, SONNET, canonical_model_id, model_info
from ..pricing import PRICES, Price, price_of
from . import Result, close_to, result, rounded_ok, unfilled

__all__ = ["APP", "monthly_bill", "check_monthly", "TASKS", "CHOICES", "check_choices"]

# Exercise 1: a help-desk assistant whose system prompt and help articles are read from the cache.
APP: dict[str, Any] = {
    "model": SONNET,
    "requests_per_day": 3_000,
    "input_tokens": 2_500,  # per request, of which `cached_tokens` are read from the cache
    "cached_tokens": 2_000,
    "output_tokens": 350,
    "days": 30,
}


def _price(model: str) -> Price:
    """`model`'s rates for APP's prompt (a model priced by prompt length bills APP's 2,500 tokens at its short tier)."""
    return price_of(model).for_prompt(APP["input_tokens"])


def monthly_bill(model: str | None = None, *, cache_rate: str = "cache_read", days: int | None = None) -> float:
    """APP's monthly cost priced with helpers.pricing on `model`, by default APP's (the other arguments model
    common slips). The defaults are read from APP at each call, so a changed APP is priced as it is now."""
    model = APP["model"] if model is None else model
    days = APP["days"] if days is None else days
    p = _price(model)
    uncached = APP["input_tokens"] - APP["cached_tokens"]
    per_request = uncached * p.input + APP["cached_tokens"] * getattr(p, cache_rate) + APP["output_tokens"] * p.output
    return APP["requests_per_day"] * days * per_request / 1_000_000


def _slips() -> list[tuple[float, str]]:
    """Wrong answers a learner is likely to reach, each with what went wrong."""
    right = monthly_bill()
    p = _price(APP["model"])
    requests = APP["requests_per_day"] * APP["days"]
    name = model_info(APP["model"]).name
    no_cache = requests * (APP["input_tokens"] * p.input + APP["output_tokens"] * p.output) / 1e6
    on_top = right + requests * APP["cached_tokens"] * p.input / 1e6
    swapped = (
        requests
        * (
            (APP["input_tokens"] - APP["cached_tokens"]) * p.output
            + APP["cached_tokens"] * p.output * (p.cache_read / p.input)
            + APP["output_tokens"] * p.input
        )
        / 1e6
    )
    slips = [
        (right * 1_000_000, "Divide by 1,000,000: prices are per million tokens."),
        (right / APP["days"], f"That is one day; the month has {APP['days']} days."),
        (right / requests, f"That is one request; multiply by {APP['requests_per_day']:,} a day x {APP['days']} days."),
        (
            no_cache,
            f"All input is priced at the full rate: the {APP['cached_tokens']:,} cached tokens are cache "
            f"reads at {p.cache_read / p.input:g}x the input price.",
        ),
        (
            monthly_bill(cache_rate="cache_write_5m"),
            f"The cached tokens are priced as cache writes "
            f"({p.cache_write_5m / p.input:g}x); reading them back costs {p.cache_read / p.input:g}x.",
        ),
        (
            on_top,
            f"The {APP['cached_tokens']:,} cached tokens are part of the {APP['input_tokens']:,} input "
            "tokens, not extra: only the rest is priced at the full input rate.",
        ),
        (swapped, "Input and output prices are swapped: output tokens cost more."),
        (monthly_bill(days=31), f"Use the {APP['days']} days of the exercise."),
    ]
    for other in PRICES:
        if canonical_model_id(other) != canonical_model_id(APP["model"]):
            slips.append((monthly_bill(other), f"Those are {model_info(other).name}'s prices; the app runs on {name}."))
    return slips


def check_monthly(dollars: Any) -> Result:
    """Exercise 1: APP's cost per month in dollars, checked against helpers.pricing."""
    title = "Your monthly cost"
    if unfilled(dollars):
        return result(title, ["Replace ... with your answer in dollars a month, e.g. 1234.5."])
    if isinstance(dollars, bool) or not isinstance(dollars, numbers.Real):
        return result(title, [f"Give a number of dollars, got {type(dollars).__name__} {dollars!r}."])
    want = monthly_bill()
    if rounded_ok(dollars, want):  # ROUNDING
        p = _price(APP["model"])
        per = want / (APP["requests_per_day"] * APP["days"])
        return result(
            title,
            [],
            f"{usd(want)} a month ({usd(per)} a request). Output is "
            f"{APP['output_tokens'] * p.output / (per * 1e4):.0f}% of it: shorter answers save most here.",
        )
    for value, why in _slips():
        if close_to(dollars, value, rel=1e-4):
            return result(title, [f"{dollars:g} is not it. {why}"])
    return result(
        title,
        [
            f"{dollars:g} is not it. Per request: uncached input x input price + cached input x cache read price "
            "+ output x output price, per million tokens; then times requests a day times days."
        ],
    )


# Exercise 2: three tasks, each with the model the primer's selection guide recommends.
TASKS: dict[str, str] = {
    "triage": "Label each of 40,000 incoming support emails a day with one of six queues.",
    "assistant": "A chat assistant in a shop's app that answers customers and drafts polite replies.",
    "analysis": "Once a week, read a 150-page market report and reason step by step about which findings "
    "should change the company's prices; accuracy matters more than cost.",
}
CHOICES: dict[str, str] = {"triage": HAIKU, "assistant": SONNET, "analysis": OPUS}
_WHY = {
    "triage": "classification and routing of a large volume: speed and cost come first",
    "assistant": "a chatbot that generates text: the best overall balance of quality, speed and cost",
    "analysis": "complex reasoning and analysis where accuracy is the top priority; once a week, the price "
    "hardly adds up",
}


def _x(ratio: float) -> str:
    return f"{ratio:.2f}".rstrip("0").rstrip(".") + "x"


def _ratio(a: str, b: str) -> str:
    """'5x' or '1.67x (input) and 2x (output)': what model a costs per token relative to model b.

    At the rates of a short prompt, as notebook 09's lineup table shows them: a model priced by prompt length
    (Haiku 5.5) would otherwise be compared at its long-prompt rates, five times what these tasks pay.
    """
    pa, pb = price_of(a).for_prompt(0), price_of(b).for_prompt(0)
    rin, rout = pa.input / pb.input, pa.output / pb.output
    return _x(rin) if _x(rin) == _x(rout) else f"{_x(rin)} (input) and {_x(rout)} (output)"


def _compare(got: str, want: str) -> str:
    g, w = model_info(got).name, model_info(want).name
    if price_of(got).for_prompt(0).input > price_of(want).for_prompt(0).input:
        return f"{g} would also do it, at {_ratio(got, want)} the price per token of {w}."
    return f"{g} costs less ({w} costs {_ratio(want, got)} as much per token), but the task needs more than it saves."


def check_choices(choices: Any) -> Result:
    """Exercise 2: a dict task -> HAIKU, SONNET or OPUS for each task in TASKS, with the guide's reasons."""
    title = "Your model choices"
    if not isinstance(choices, dict):
        return result(title, [f"Build a dict with the keys {', '.join(repr(k) for k in TASKS)}."])
    if choices and all(unfilled(v) for v in choices.values()):
        return result(title, ["Replace each ... with HAIKU, SONNET or OPUS."])
    problems = []
    missing = [k for k in TASKS if k not in choices]
    extra = sorted(set(choices) - set(TASKS), key=str)
    if missing:
        problems.append(f"Choose a model for {', '.join(repr(k) for k in missing)} too.")
    if extra:
        problems.append(f"Unexpected keys {extra}: use only {', '.join(repr(k) for k in TASKS)}.")
    known = {OPUS, SONNET, HAIKU}
    for task, want in CHOICES.items():
        if task not in choices:
            continue
        got = choices[task]
        if unfilled(got):
            problems.append(f"{task}: replace ... with HAIKU, SONNET or OPUS.")
            continue
        got_id = canonical_model_id(got) if isinstance(got, str) else None
        if got_id not in known:
            problems.append(f"{task}: use the constants HAIKU, SONNET or OPUS from helpers, got {got!r}.")
        elif got_id != want:
            guide = f"{task}: the guide picks {model_info(want).name} for {_WHY[task]}."
            problems.append(f"{guide} {_compare(got_id, want)}")
    reasons = "; ".join(f"{task}: {model_info(m).name} ({_WHY[task]})" for task, m in CHOICES.items())
    note = (
        reasons + ". These follow the primer's guide; for your own application, try the cheaper model on your "
        "own examples first."
    )
    return result(title, problems, note)
