"""Self-checks for 10_errors: classify errors as retry or fix; a retry wrapper run against scripted responses.

The harness below plays scripted outcomes (responses and the SDK's own errors, built by `helpers.errors`) to a
learner's wrapper, with a fake sleep, so a check never waits and never calls the API.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic

from ..errors import MAX_DELAY, make_connection_error, make_status_error, make_timeout_error
from . import Result, result, unfilled

__all__ = [
    "CASES",
    "check_classification",
    "check_retry_wrapper",
    "TooManyCalls",
    "ScriptedSend",
    "FakeSleep",
    "Scenario",
    "SCENARIOS",
    "run_scenario",
]

FIRST_BACKOFF_MAX = 2.0  # seconds: the SDK's first backoff is 0.5 s (anthropic/_constants.py INITIAL_RETRY_DELAY)

# letter -> what the application saw. The answers and the reasons the check gives are in _EXPECTED.
CASES: dict[str, str] = {
    "a": "429 rate_limit_error, with retry-after: 20",
    "b": '400 invalid_request_error: \'messages: roles must alternate between "user" and "assistant"\'',
    "c": "529 overloaded_error: 'Overloaded'",
    "d": "401 authentication_error: 'invalid x-api-key'",
    "e": "413 request_too_large: the request body is over the endpoint's size limit",
    "f": "a stream answered 200, sent some text, then an error event of type overloaded_error",
    "g": "404 not_found_error: 'model: claude-opus-4-6-preview'",
    "h": "APIConnectionError: 'Connection to api.anthropic.com failed: ...' (the Wi-Fi dropped for a moment)",
    "i": "429 rate_limit_error with err.error_code 'enforced_spend_limit_reached', and no retry-after",
}

_EXPECTED: dict[str, tuple[str, str]] = {
    "a": ("retry", "a rate limit clears with time: wait the 20 s retry-after asks, then retry"),
    "b": ("fix", "the request itself is malformed; it fails the same way every time until you fix the messages"),
    "c": ("retry", "overloaded is temporary and not your fault: back off and retry (the SDK does)"),
    "d": ("fix", "a wrong key stays wrong: fix ANTHROPIC_API_KEY"),
    "e": ("fix", "the same body is too large every time: send less, split it up"),
    "f": ("retry", "overloaded is temporary; the SDK cannot retry a stream that already began, so retry it yourself"),
    "g": ("fix", "that model id does not exist: fix the typo (use OPUS, SONNET or HAIKU)"),
    "h": ("retry", "a dropped connection is transient: retry (the SDK retries it before a response begins)"),
    "i": (
        "fix",
        "that 429 is the monthly spend cap of your tier: no wait cures it until the month turns; raise the limit "
        "in the Console (branch on err.error_code, not the message)",
    ),
}

_ANSWERS = ("retry", "fix")


def check_classification(answers: Any) -> Result:
    """Exercise 1: "retry" or "fix" for each case in CASES, with the reason for each wrong one."""
    title = "Retry or fix?"
    if not isinstance(answers, dict):
        return result(title, ['Build a dict from each letter to "retry" or "fix", e.g. {"a": "retry", ...}.'])
    if all(unfilled(answers.get(k, ...)) for k in CASES):
        return result(title, ['Replace each ... with "retry" or "fix".'])
    problems = []
    for key, (want, why) in _EXPECTED.items():
        got = answers.get(key, ...)
        if unfilled(got):
            problems.append(f'{key}: still ... ; answer "retry" or "fix".')
            continue
        said = got.strip().lower() if isinstance(got, str) else got
        if said not in _ANSWERS:
            problems.append(f'{key}: {got!r} is neither "retry" nor "fix".')
        elif said != want:
            problems.append(f"{key}: {want}, not {said}: {why}.")
    extra = sorted(set(answers) - set(CASES), key=str)
    if extra:
        problems.append(f"Unknown cases {extra}: the cases are {', '.join(CASES)}.")
    return result(
        title,
        problems,
        "Retry what time can cure (429, 5xx, 529, dropped connections); fix the rest, including a 429 whose "
        "error_code says a spend cap was reached.",
    )


def _never_calls_send(wrapper: Callable[..., Any]) -> bool:
    """Whether the wrapper's body is still the placeholder: it returns without calling send()."""
    calls = []

    def send() -> str:
        calls.append(1)
        return "the response"

    try:
        wrapper(send, max_retries=3, sleep=lambda seconds: None)
    except Exception:
        return False
    return not calls


def check_retry_wrapper(wrapper: Any) -> Result:
    """Exercise 2: run `wrapper(send, max_retries=..., sleep=...)` against every scripted scenario."""
    title = "Your retry wrapper"
    if unfilled(wrapper) or not callable(wrapper):
        return result(title, ["Pass your function: check_retry_wrapper(call_with_retries)."])
    try:
        params = inspect.signature(wrapper).parameters
    except (TypeError, ValueError):
        params = {}
    missing = [p for p in ("max_retries", "sleep") if params and p not in params]
    if missing:
        return result(title, [f"It needs the parameters send, max_retries and sleep; missing: {', '.join(missing)}."])
    if _never_calls_send(wrapper):
        return result(title, ["It never calls send(): write the function's body (replace the ...)."])
    problems: list[str] = []
    for scenario in SCENARIOS:
        problems += run_scenario(wrapper, scenario)
    return result(
        title,
        problems,
        f"All {len(SCENARIOS)} scripted scenarios pass: it retries 429, 5xx, timeouts and dropped connections, "
        "honours retry-after, backs off, gives up after max_retries, and re-raises other 4xx and a spend-cap 429 "
        "at once.",
    )


# --- the retry-wrapper harness (exercise 2) ----------------------------------------------------------


class TooManyCalls(BaseException):
    """Raised by the harness when a wrapper loops on: a BaseException, so `except Exception` cannot swallow it."""


class ScriptedSend:
    """A stand-in for one API call: each call plays the next outcome of a script (a response or an error)."""

    def __init__(self, outcomes: list[Any], *, limit: int = 25):
        self.outcomes = list(outcomes)
        self.calls = 0
        self.limit = limit
        self.last_error: BaseException | None = None

    def __call__(self) -> Any:
        self.calls += 1
        if self.calls > self.limit:
            raise TooManyCalls(f"send() was called more than {self.limit} times")
        outcome = self.outcomes[min(self.calls, len(self.outcomes)) - 1]  # the last outcome repeats
        if isinstance(outcome, BaseException):
            self.last_error = outcome
            raise outcome
        return outcome


class FakeSleep:
    """Records each requested wait instead of waiting."""

    def __init__(self, *, limit: int = 25):
        self.waits: list[float] = []
        self.limit = limit

    def __call__(self, seconds: float) -> None:
        if len(self.waits) >= self.limit:
            raise TooManyCalls(f"sleep() was called more than {self.limit} times")
        self.waits.append(seconds)


RESPONSE = "the response"  # what the scripted send() returns on success


def _e429(retry_after: str) -> anthropic.APIStatusError:
    return make_status_error(
        429, "rate_limit_error", "Rate limit exceeded: 50 requests per minute.", headers={"retry-after": retry_after}
    )


@dataclass(frozen=True)
class Scenario:
    """A scripted sequence of outcomes and what a correct wrapper does with it."""

    name: str
    script: Callable[[], list[Any]]  # builds fresh outcomes for each run
    max_retries: int
    returns: bool  # True: return the response; False: re-raise the last error
    calls: int
    waits: tuple[float | None, ...]  # per retry: the retry-after it must honour, or None for a backoff


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("success at the first try", lambda: [RESPONSE], 3, True, 1, ()),
    Scenario("429 (retry-after: 3), then success", lambda: [_e429("3"), RESPONSE], 3, True, 2, (3.0,)),
    Scenario(
        "500, then 529, then success",
        lambda: [
            make_status_error(500, "api_error", "Internal server error"),
            make_status_error(529, "overloaded_error", "Overloaded"),
            RESPONSE,
        ],
        3,
        True,
        3,
        (None, None),
    ),
    Scenario("a timeout, then success", lambda: [make_timeout_error(), RESPONSE], 3, True, 2, (None,)),
    Scenario(
        "400 invalid_request_error",
        lambda: [make_status_error(400, "invalid_request_error", "max_tokens: Field required")],
        3,
        False,
        1,
        (),
    ),
    Scenario(
        "401 authentication_error",
        lambda: [make_status_error(401, "authentication_error", "invalid x-api-key")],
        3,
        False,
        1,
        (),
    ),
    Scenario("429 every time, max_retries=3", lambda: [_e429("1")], 3, False, 4, (1.0, 1.0, 1.0)),
    Scenario(
        "529 with max_retries=0",
        lambda: [make_status_error(529, "overloaded_error", "Overloaded")],
        0,
        False,
        1,
        (),
    ),
    # Review 2026-12-08 (W1-W3): a wrapper had to retry a dropped connection, re-raise every other 4xx at once,
    # back off (not wait a fixed time), and stop on a spend-cap 429, which no wait cures.
    Scenario("a dropped connection, then success", lambda: [make_connection_error(), RESPONSE], 3, True, 2, (None,)),
    Scenario(
        "404 not_found_error",
        lambda: [make_status_error(404, "not_found_error", "model: claude-opus-5-5-preview")],
        3,
        False,
        1,
        (),
    ),
    Scenario(
        "413 request_too_large",
        lambda: [make_status_error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")],
        3,
        False,
        1,
        (),
    ),
    Scenario(
        "529 every time, max_retries=3",
        lambda: [make_status_error(529, "overloaded_error", "Overloaded")],
        3,
        False,
        4,
        (None, None, None),
    ),
    Scenario(
        "429 with error_code enforced_spend_limit_reached (a monthly spend cap, no retry-after)",
        lambda: [
            make_status_error(
                429,
                "rate_limit_error",
                "Your organization has reached its monthly spend limit.",
                error_code="enforced_spend_limit_reached",
            )
        ],
        3,
        False,
        1,
        (),
    ),
)


def _what(error: BaseException | None) -> str:
    if error is None:
        return "nothing"
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}" + (f" ({status})" if status else "")


def run_scenario(wrapper: Callable[..., Any], scenario: Scenario) -> list[str]:
    """Run `wrapper(send, max_retries=..., sleep=...)` on one scenario; the problems found (empty when right)."""
    send = ScriptedSend(scenario.script())
    sleep = FakeSleep()
    raised: BaseException | None = None
    got: Any = None
    name = scenario.name
    try:
        got = wrapper(send, max_retries=scenario.max_retries, sleep=sleep)
    except TooManyCalls:
        waits = len(sleep.waits)
        return [f"{name}: it kept going ({send.calls} calls, {waits} waits); stop after max_retries retries."]
    except TypeError as e:
        if send.calls == 0:
            return [f"{name}: calling it as wrapper(send, max_retries=..., sleep=...) failed: {e}"]
        raised = e
    except Exception as e:  # the learner's wrapper may raise anything; report it, never crash the check
        raised = e
    problems: list[str] = []
    if scenario.returns:
        if raised is not None:
            problems.append(f"{name}: it raised {_what(raised)} instead of returning the response.")
        elif got is not RESPONSE:
            problems.append(f"{name}: it returned {got!r}; return what send() returned.")
    else:
        expected = send.last_error
        if raised is None:
            problems.append(f"{name}: it returned {got!r}; after giving up, re-raise the error ({_what(expected)}).")
        elif raised is not expected:
            problems.append(f"{name}: it raised {_what(raised)}; re-raise the SDK's own error ({_what(expected)}).")
    if send.calls != scenario.calls:
        why = "retry 429, 5xx, timeouts and dropped connections"
        if not scenario.returns:
            why = "do not retry what will fail again"
        if not scenario.returns and scenario.calls > 1:
            why = f"{scenario.max_retries} retries after the first try, then give up"
        elif scenario.max_retries == 0:
            why = "max_retries=0 means no retries"
        problems.append(f"{name}: it called send() {send.calls} times; expected {scenario.calls} ({why}).")
    elif len(sleep.waits) != len(scenario.waits):
        problems.append(
            f"{name}: it waited {len(sleep.waits)} times; expected {len(scenario.waits)} "
            "(once before each retry, through the sleep it was given; none before giving up)."
        )
    else:
        for i, (waited, asked) in enumerate(zip(sleep.waits, scenario.waits, strict=True), start=1):
            ok_number = isinstance(waited, numbers.Real) and not isinstance(waited, bool) and math.isfinite(waited)
            if not ok_number or waited <= 0:
                problems.append(f"{name}: wait {i} was {waited!r}; wait a positive number of seconds.")
            elif asked is not None and not asked <= waited <= asked + MAX_DELAY:
                problems.append(
                    f"{name}: wait {i} was {waited:g} s but the 429 said retry-after: {asked:g}; "
                    "wait what retry-after says (wait_before_retry does)."
                )
            elif asked is None and waited > 60:
                problems.append(f"{name}: wait {i} was {waited:g} s; back off from about 0.5 s, doubling, capped.")
        if not problems:
            problems += _backoff_problems(name, sleep.waits, scenario.waits)
    return problems


GROWTH = 1.4


def _backoff_problems(name: str, waits: list[float], asked: tuple[float | None, ...]) -> list[str]:
    """Backoff starts small and grows until the cap: the first backoff wait at most FIRST_BACKOFF_MAX s, and each
    later one at least GROWTH times the one before unless that one had reached the cap. Doubling with jitter (which
    cuts up to a quarter) grows at least 1.5x; the same wait drawn again grows at most 1.33x, so a wrapper that
    never doubles cannot pass by the luck of its jitter."""
    backoffs = [w for w, a in zip(waits, asked, strict=True) if a is None]
    if backoffs and backoffs[0] > FIRST_BACKOFF_MAX:
        return [
            f"{name}: the first backoff waited {backoffs[0]:g} s; start small (about 0.5 s) and double "
            "(wait_before_retry does)."
        ]
    for i, (before, after) in enumerate(zip(backoffs, backoffs[1:], strict=False), start=2):
        if after < GROWTH * before and before < MAX_DELAY * 0.75:
            return [
                f"{name}: backoff wait {i} ({after:g} s) is not about twice the one before ({before:g} s); "
                "double the wait after each failure, up to a cap (wait_before_retry does, given the retry number)."
            ]
    return []
