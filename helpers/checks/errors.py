"""Self-checks for 10_errors: classify errors as retry or fix; a retry wrapper run against scripted responses."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import SCENARIOS, run_scenario
from . import Result, result, unfilled

__all__ = ["CASES", "check_classification", "check_retry_wrapper"]

# letter -> what the application saw. The answers and the reasons the check gives are in _EXPECTED.
CASES: dict[str, str] = {
    "a": "429 rate_limit_error, with retry-after: 20",
    "b": '400 invalid_request_error: \'messages: roles must alternate between "user" and "assistant"\'',
    "c": "529 overloaded_error: 'Overloaded'",
    "d": "401 authentication_error: 'invalid x-api-key'",
    "e": "413 request_too_large: the request body is over the endpoint's size limit",
    "f": "a stream answered 200, sent some text, then an error event of type overloaded_error",
    "g": "404 not_found_error: 'model: claude-opus-4-6-preview'",
    "h": "APIConnectionError: 'Connection error.' (the Wi-Fi dropped for a moment)",
}

_EXPECTED: dict[str, tuple[str, str]] = {
    "a": ("retry", "a rate limit clears with time: wait the 20 s retry-after asks, then retry"),
    "b": ("fix", "the request itself is malformed; it fails the same way every time until you fix the messages"),
    "c": ("retry", "overloaded is temporary and not your fault: back off and retry (the SDK does)"),
    "d": ("fix", "a wrong key stays wrong: fix ANTHROPIC_API_KEY"),
    "e": ("fix", "the same body is too large every time: send less, split it up"),
    "f": ("retry", "overloaded is temporary; the SDK cannot retry a stream that already began, so retry it yourself"),
    "g": ("fix", "that model id does not exist: fix the typo (use OPUS, SONNET or HAIKU)"),
    "h": ("retry", "a dropped connection is transient: retry (the SDK retries connection errors)"),
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
    return result(title, problems, "Retry what time can cure (429, 5xx, 529, dropped connections); fix the rest.")


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
        f"All {len(SCENARIOS)} scripted scenarios pass: it retries 429, 5xx and timeouts, honours retry-after, "
        "gives up after max_retries and re-raises 400 and 401 at once.",
    )
