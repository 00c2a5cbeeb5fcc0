"""Rate limits, errors and retries (notebook 10): backoff, the SDK's retry rule, SDK errors built offline, and
an error table.

`backoff_delay` is the SDK's own backoff written out once so a learner can read it; randomness and sleeping are
parameters, so tests and self-checks never wait. Errors are built by the installed SDK itself (a client over a
transport that answers offline), so their text is whatever format that SDK version gives. The retry exercise's
harness is in `helpers.checks.errors`; the notebook key scanner is `helpers.keyscan`.
"""

from __future__ import annotations

import html
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2

__all__ = [
    "INITIAL_DELAY",
    "MAX_DELAY",
    "backoff_delay",
    "retry_after_seconds",
    "wait_before_retry",
    "sdk_retries",
    "exception_class",
    "make_status_error",
    "make_timeout_error",
    "make_connection_error",
    "ADVICE",
    "ERROR_CODE_ADVICE",
    "advice_for",
    "ErrorRow",
    "ErrorTable",
    "error_rows",
    "error_table",
]

# The SDK's defaults (anthropic/_constants.py): first retry after about 0.5 s, never more than 8 s.
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0


# --- backoff and the SDK's retry rule ------------------------------------------------------------


def backoff_delay(
    retry: int,
    *,
    initial: float = INITIAL_DELAY,
    maximum: float = MAX_DELAY,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `retry` (1 for the first): exponential backoff with jitter.

    The wait doubles with each retry (0.5, 1, 2, 4, 8 s, then stays at `maximum`) and is then cut by up to a
    quarter at random, so clients that failed at the same moment do not all come back at the same moment.
    `rand` returns a number in [0, 1); pass a seeded `random.Random(...).random` for repeatable waits.
    """
    if isinstance(retry, bool) or not isinstance(retry, int) or retry < 1:
        raise ValueError(f"retry is the retry number, 1 or more; got {retry!r}")
    exponent = min(retry - 1, 60)  # 2**60 * 0.5 s is far past any cap: stop growing before floats overflow
    base = min(initial * 2.0**exponent, maximum)
    jitter = 1 - 0.25 * rand()  # between 0.75 and 1
    return base * jitter


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """How long a response asks the client to wait, in seconds, or None if it does not say.

    Read in the SDK's order: `retry-after-ms` (milliseconds) first, then `retry-after` (seconds). Values that are
    not positive numbers are ignored (an HTTP date in `retry-after` is rare from this API and is ignored too).
    """
    low = _lower(headers)
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = low.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            return value
    return None


def wait_before_retry(
    error: BaseException,
    retry: int,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> float:
    """Sleep before retry number `retry` after `error`, and return how long.

    As long as the error's response asks (`retry-after`), else `backoff_delay(retry)`. Errors without a response
    (timeouts, dropped connections) always back off.
    """
    response = getattr(error, "response", None)
    delay = retry_after_seconds(getattr(response, "headers", None))
    if delay is None:
        delay = backoff_delay(retry, rand=rand)
    sleep(delay)
    return delay


def sdk_retries(status: int, headers: Mapping[str, str] | None = None) -> bool:
    """Whether SDK 2.x retries a response with this status: `x-should-retry` decides when present, otherwise
    408, 409, 429 and every 5xx are retried and everything else is not."""
    should = _lower(headers).get("x-should-retry")
    if should == "true":
        return True
    if should == "false":
        return False
    return status in (408, 409, 429) or status >= 500


_EXAMPLE_BASE = "https://api.anthropic.com"
_EXAMPLE_KEY = "placeholder, not a key"  # never sent anywhere: the transport answers in-process


def _raised_by_sdk(answer: Callable[[httpx2.Request], httpx2.Response]) -> anthropic.APIError:
    """What the installed SDK raises when a messages.create() call meets `answer` (a response, or an httpx2 error
    it raises). Only public API: a client over httpx2.MockTransport, with retries off."""
    transport = httpx2.MockTransport(answer)
    with httpx2.Client(transport=transport) as http:
        client = anthropic.Anthropic(api_key=_EXAMPLE_KEY, base_url=_EXAMPLE_BASE, max_retries=0, http_client=http)
        try:
            client.messages.create(model="claude-example", max_tokens=1, messages=[{"role": "user", "content": "."}])
        except anthropic.APIError as e:
            return e
    raise AssertionError("the scripted answer did not make the SDK raise")


def make_status_error(
    status: int,
    kind: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str = "req_011EXAMPLE",
    error_code: str | None = None,
) -> anthropic.APIStatusError:
    """The exception the installed SDK raises for this error response (class, message format, `error_code`).

    `error_code` goes in `error.details.error_code`, where the API names a cause more precisely than `error.type`
    (e.g. "enforced_spend_limit_reached" on a 429: SDK 2.17 `_exceptions.py`, `APIStatusError.error_code`)."""
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"an error status is an int from 400 to 599; got {status!r}")
    error: dict[str, Any] = {"type": kind, "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    body = {"type": "error", "error": error, "request_id": request_id}
    all_headers = {"request-id": request_id, **dict(headers or {})}
    found = _raised_by_sdk(lambda request: httpx2.Response(status, headers=all_headers, json=body))
    if not isinstance(found, anthropic.APIStatusError):
        raise AssertionError(f"the SDK raised {type(found).__name__} for status {status}")
    return found


def exception_class(status: int) -> type[anthropic.APIStatusError]:
    """The SDK exception raised for an error response with this HTTP status (and no more specific error_code)."""
    return type(make_status_error(status, "error", "example"))


def make_timeout_error() -> anthropic.APITimeoutError:
    """The exception the SDK raises when no answer came within the client's timeout (a read timeout)."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    found = _raised_by_sdk(answer)
    if not isinstance(found, anthropic.APITimeoutError):
        raise AssertionError(f"the SDK raised {type(found).__name__} for a read timeout")
    return found


def make_connection_error() -> anthropic.APIConnectionError:
    """The exception the SDK raises when the connection fails (here: the server hangs up mid-response)."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        reason = "peer closed connection without sending complete message body"
        raise httpx2.RemoteProtocolError(reason, request=request)

    return _raised_by_sdk(answer)  # type: ignore[return-value]


# --- the error table ------------------------------------------------------------------------------

# error.type -> (retry or fix, what to do). Our words; the types are the API's (docs, "Errors").
ADVICE: dict[str, tuple[str, str]] = {
    "invalid_request_error": ("fix", "read the message: it names the field; resending unchanged fails the same way"),
    "authentication_error": ("fix", "check ANTHROPIC_API_KEY: missing, mistyped, revoked or another organization's"),
    "billing_error": ("fix", "add credit or fix the payment details in the Console"),
    "permission_error": ("fix", "this key may not use this model, workspace or feature"),
    "not_found_error": ("fix", "check the model id (or batch/file id) and the path"),
    "request_too_large": ("fix", "send less: split the input into several requests"),
    "rate_limit_error": ("retry", "wait as long as retry-after says, then send fewer or smaller requests"),
    "api_error": ("retry", "back off and retry; quote the request_id if it keeps happening"),
    "timeout_error": ("retry", "back off and retry; stream long answers"),
    "overloaded_error": ("retry", "back off and retry, or fall back to another model"),
}
_MID_STREAM = ("retry", "the SDK cannot: the answer had begun; retry the whole request yourself")

# error.details.error_code -> advice, where the code says more than error.type. The codes and their meaning are
# SDK 2.17's (anthropic/types/shared/*_error.py docstrings; `APIStatusError.error_code` is "a stable code that
# names the cause ... branch on it rather than on message", anthropic/_exceptions.py). A spend-cap 429 has no
# retry-after and no retry cures it until 00:00 UTC on the 1st (https://platform.claude.com/docs/api/rate-limits).
ERROR_CODE_ADVICE: dict[str, tuple[str, str]] = {
    "enforced_spend_limit_reached": ("fix", "the monthly spend cap of your tier is reached: no retry cures it"),
    "contract_spend_limit_reached": ("fix", "your contract's spend limit is reached: no retry cures it"),
    "ramp_limit_exceeded": ("retry", "usage grew too fast: wait as long as retry-after says"),
}


@dataclass(frozen=True)
class ErrorRow:
    """One kind of error response, as the table shows it."""

    example: str
    status: str
    error_type: str
    exception: str
    sdk_retries: str
    you: str
    advice: str


def advice_for(error: anthropic.APIStatusError) -> tuple[str, str]:
    """("retry" or "fix", what to do) for an SDK error: by its error_code when it has a known one, else its type."""
    by_code = ERROR_CODE_ADVICE.get(error.error_code or "")
    if by_code:
        return by_code
    return ADVICE.get(error.type or "", ("fix" if error.status_code < 500 else "retry", "see the message"))


def _envelope_type(body: Any) -> str:
    err = body.get("error") if isinstance(body, dict) else None
    return str(err.get("type", "?")) if isinstance(err, dict) else "?"


def error_rows(exchanges: Any) -> list[ErrorRow]:
    """One row per kind of error in a recording (or a list of its exchanges), by status, mid-stream errors last.

    JSON error responses give their status and `error.type`; a stream that carries an `error` event gives a row
    for the mid-stream error (HTTP 200 had already been sent, so the SDK raises a plain APIStatusError).
    """
    items = getattr(exchanges, "exchanges", exchanges)
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
        raise TypeError("error_rows() takes a Recording or a list of its exchanges")
    rows: list[ErrorRow] = []
    seen: set[tuple[str, str]] = set()
    for ex in items:
        response = ex.response
        label = ex.label or f"exchange {ex.index}"
        if response.kind == "json" and response.status >= 400:
            kind = _envelope_type(response.body)
            status = str(response.status)
            body, code = response.body, response.status
            sdk_error = _raised_by_sdk(lambda request, body=body, code=code: httpx2.Response(code, json=body))
            exc = type(sdk_error).__name__
            retries = "yes" if sdk_retries(response.status, response.headers) else "no"
            assert isinstance(sdk_error, anthropic.APIStatusError)
            you, advice = advice_for(sdk_error)
        elif response.kind == "sse" and any(e.get("event") == "error" for e in response.events or []):
            event = next(e for e in response.events or [] if e.get("event") == "error")
            kind = _envelope_type(event.get("data"))
            status, exc, retries = "200, then an error event", "APIStatusError", "no"
            you, advice = _MID_STREAM
        else:
            continue
        if (status, kind) in seen:
            continue
        seen.add((status, kind))
        rows.append(ErrorRow(label, status, kind, exc, retries, you, advice))
    return sorted(rows, key=lambda r: (not r.status.isdigit(), r.status))


_COLUMNS = ("status", "error.type", "SDK raises", "SDK retries", "you", "what to do")


class ErrorTable:
    """A table of ErrorRows: HTML in a notebook, aligned text where HTML is not shown."""

    def __init__(self, rows: list[ErrorRow]):
        self.rows = list(rows)

    def _cells(self, row: ErrorRow) -> tuple[str, ...]:
        return (row.status, row.error_type, row.exception, row.sdk_retries, row.you, row.advice)

    def __repr__(self) -> str:
        table = [_COLUMNS] + [self._cells(r) for r in self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS) - 1)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in table]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        # JupyterLab right-aligns table cells by default; words read left to right, the status is a number.
        left, right = '<td style="text-align:left">', '<td style="text-align:right">'
        align = {"status": "right"}
        head = "".join(f'<th style="text-align:{align.get(c, "left")}">{esc(c)}</th>' for c in ("example",) + _COLUMNS)
        body = ""
        for r in self.rows:
            mark = "✅ " if r.you == "retry" else "⛔ "  # the word and a mark, not a colour that fades on dark
            cells = (
                f"{left}{esc(r.example)}</td>{right}{esc(r.status)}</td>{left}<code>{esc(r.error_type)}</code></td>"
                f"{left}<code>{esc(r.exception)}</code></td>{left}{esc(r.sdk_retries)}</td>"
                f"{left}<b>{mark}{esc(r.you)}</b></td>{left}{esc(r.advice)}</td>"
            )
            body += f"<tr>{cells}</tr>"
        return f'<table style="font-size:13px"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def error_table(exchanges: Any) -> ErrorTable:
    """The table of a recording's errors: status, error.type, SDK exception, whether the SDK retries, what to do."""
    return ErrorTable(error_rows(exchanges))
