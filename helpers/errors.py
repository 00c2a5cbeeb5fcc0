"""Rate limits, errors and retries (notebook 10): backoff, the SDK's retry rule, an error table, a retry-wrapper
harness for the exercise, and a scanner for key-shaped strings in notebook files.

`backoff_delay` is the SDK's own backoff (anthropic 2.x) written out once so a learner can read it; randomness and
sleeping are parameters, so tests and self-checks never wait. The scanner reports where a key-shaped string sits
(cell, source or output, line) and shows only its first characters, never the key.
"""

from __future__ import annotations

import html
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx2

from .gateway import secrets

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
    "ADVICE",
    "ErrorRow",
    "ErrorTable",
    "error_rows",
    "error_table",
    "TooManyCalls",
    "ScriptedSend",
    "FakeSleep",
    "Scenario",
    "SCENARIOS",
    "run_scenario",
    "KEY_PATTERN",
    "KeyFinding",
    "NotebookScanError",
    "mask_key",
    "scan_text",
    "scan_notebook",
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


# The SDK's exception for each status (anthropic/_error_classes.py); tests check this table against the SDK.
_STATUS_EXCEPTIONS: dict[int, type[anthropic.APIStatusError]] = {
    400: anthropic.BadRequestError,
    401: anthropic.AuthenticationError,
    402: anthropic.PaymentRequiredError,
    403: anthropic.PermissionDeniedError,
    404: anthropic.NotFoundError,
    408: anthropic.RequestTimeoutError,
    409: anthropic.ConflictError,
    413: anthropic.ContentTooLargeError,
    422: anthropic.UnprocessableEntityError,
    429: anthropic.RateLimitError,
    503: anthropic.ServiceUnavailableError,
    504: anthropic.GatewayTimeoutError,
    529: anthropic.OverloadedError,
}


def exception_class(status: int) -> type[anthropic.APIStatusError]:
    """The SDK exception raised for an error response with this HTTP status."""
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"an error status is an int from 400 to 599; got {status!r}")
    found = _STATUS_EXCEPTIONS.get(status)
    if found is not None:
        return found
    return anthropic.InternalServerError if status >= 500 else anthropic.APIStatusError


_EXAMPLE_URL = "https://api.anthropic.com/v1/messages"


def make_status_error(
    status: int,
    kind: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str = "req_011EXAMPLE",
) -> anthropic.APIStatusError:
    """The exception the SDK would raise for this error response (built offline, for exercises and tests)."""
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id}
    response = httpx2.Response(
        status,
        headers={"content-type": "application/json", "request-id": request_id, **dict(headers or {})},
        json=body,
        request=httpx2.Request("POST", _EXAMPLE_URL),
    )
    return exception_class(status)(f"Error code: {status} - {body}", response=response, body=body)


def make_timeout_error() -> anthropic.APITimeoutError:
    """The exception the SDK raises when no answer came within the client's timeout."""
    return anthropic.APITimeoutError(request=httpx2.Request("POST", _EXAMPLE_URL))


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
            exc = exception_class(response.status).__name__
            retries = "yes" if sdk_retries(response.status, response.headers) else "no"
            you, advice = ADVICE.get(kind, ("fix" if response.status < 500 else "retry", "see the message"))
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
        why = "retry 429, 5xx and timeouts" if scenario.returns else "do not retry what will fail again"
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
            ok_number = isinstance(waited, (int, float)) and not isinstance(waited, bool) and math.isfinite(waited)
            if not ok_number or waited <= 0:
                problems.append(f"{name}: wait {i} was {waited!r}; wait a positive number of seconds.")
            elif asked is not None and not asked <= waited <= asked + MAX_DELAY:
                problems.append(
                    f"{name}: wait {i} was {waited:g} s but the 429 said retry-after: {asked:g}; "
                    "wait what retry-after says (wait_before_retry does)."
                )
            elif asked is None and waited > 60:
                problems.append(f"{name}: wait {i} was {waited:g} s; back off from about 0.5 s, doubling, capped.")
    return problems


# --- key-shaped strings in notebooks -----------------------------------------------------------------

# sk-ant-api03-..., sk-ant-admin01-..., sk-ant-oat01-...: a prefix naming the kind, then a long random tail.
# The scanning itself (encodings, lines joined, base64) is the gateway's: record mode refuses the same strings.
KEY_PATTERN = secrets.KEY_PATTERN
mask_key = secrets.mask_key


class NotebookScanError(ValueError):
    """The file is not a notebook the scanner can read; the message names the file (not its full path)."""


@dataclass(frozen=True)
class KeyFinding:
    """Where a key-shaped string is: cell (from 0; None for the notebook itself), part, line (from 1).

    `encoding` says how it was hidden when it was not plain (`percent-encoded`, `base64-encoded`, ...).
    """

    cell: int | None
    where: str
    line: int
    preview: str
    length: int
    encoding: str = secrets.PLAIN

    def __str__(self) -> str:
        if self.cell is not None:
            place = f"cell {self.cell}, {self.where}"
        else:
            place = "notebook metadata" if self.where == "metadata" else f"notebook, {self.where}"
        how = "" if self.encoding == secrets.PLAIN else f", {self.encoding}"
        return f"{place}, line {self.line}: {self.preview} ({self.length} characters{how})"


def scan_text(text: str, *, cell: int | None = None, where: str = "text") -> list[KeyFinding]:
    """Every key-shaped string in `text` (and Bearer token or x-api-key header value), with its line number,
    also when JSON-escaped, HTML- or percent-encoded, base64-encoded or split over lines; never the key itself."""
    if not isinstance(text, str):
        raise TypeError(f"scan_text() takes a str, got {type(text).__name__}")
    return [KeyFinding(cell, where, f.line, f.preview, f.length, f.encoding) for f in secrets.find_secrets(text)]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)  # nbformat's multi-line strings
    return json.dumps(value, ensure_ascii=False)


def _scan_value(value: Any, cell: int | None, where: str) -> list[KeyFinding]:
    """A notebook part: text (or nbformat's list of lines) as one text, anything else string by string."""
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return scan_text(_as_text(value), cell=cell, where=where)
    return [KeyFinding(cell, where, f.line, f.preview, f.length, f.encoding) for _, f in secrets.find_in_json(value)]


def _mime_bundle(bundle: Any, cell: int | None, where: str) -> list[KeyFinding]:
    """Every representation (text/plain, text/html, image/png as base64, application/json, ...) and its name."""
    if not isinstance(bundle, Mapping):
        return _scan_value(bundle, cell, where)
    found: list[KeyFinding] = []
    for mime, value in bundle.items():
        found += _scan_value(str(mime), cell, where) + _scan_value(value, cell, where)
    return found


_OUTPUT_DONE = ("text", "evalue", "traceback", "data", "metadata")


def _scan_output(output: Any, cell: int, j: int) -> list[KeyFinding]:
    where = f"output {j}"
    if not isinstance(output, Mapping):
        return _scan_value(output, cell, where)
    found: list[KeyFinding] = []
    for key in ("text", "evalue"):
        if key in output:
            found += _scan_value(output[key], cell, where)
    if "traceback" in output:
        lines = output["traceback"] or []
        found += scan_text("\n".join(_as_text(t) for t in lines), cell=cell, where=where)
    found += _mime_bundle(output.get("data", {}), cell, where)
    found += _scan_value(output.get("metadata", {}), cell, f"{where} metadata")
    return found + _scan_value({k: v for k, v in output.items() if k not in _OUTPUT_DONE}, cell, where)


_CELL_DONE = ("source", "metadata", "outputs", "attachments")


def _scan_cell(cell: dict[str, Any], i: int) -> list[KeyFinding]:
    found = _scan_value(cell.get("source", ""), i, "source")
    found += _scan_value(cell.get("metadata", {}), i, "cell metadata")
    attachments = cell.get("attachments") or {}
    if isinstance(attachments, Mapping):
        for n, (name, bundle) in enumerate(attachments.items()):
            in_name = scan_text(str(name), cell=i, where=f"attachment {n}")
            named = len(str(name)) <= 60 and str(name).isprintable() and not in_name
            where = f"attachment {name}" if named else f"attachment {n}"
            found += in_name + _mime_bundle(bundle, i, where)
    else:
        found += _scan_value(attachments, i, "attachments")
    outputs = cell.get("outputs") or []
    for j, output in enumerate(outputs if isinstance(outputs, list) else [outputs]):
        found += _scan_output(output, i, j)
    return found + _scan_value({k: v for k, v in cell.items() if k not in _CELL_DONE}, i, "cell")


def scan_notebook(path: str | Path) -> list[KeyFinding]:
    """Scan a notebook file (.ipynb JSON): every part of it. Each cell's source, metadata, attachments and
    outputs (text, every mime type's data, errors, output metadata), the notebook's metadata, and any other
    field, so that nothing a notebook stores is left unscanned."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotebookScanError(f"{p.name}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise NotebookScanError(f"{p.name}: cannot be read ({type(e).__name__})") from None
    except json.JSONDecodeError as e:
        raise NotebookScanError(f"{p.name}: not a notebook (not JSON: line {e.lineno} column {e.colno})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise NotebookScanError(f"{p.name}: not a notebook (no list of cells)")
    found = _scan_value(data.get("metadata", {}), None, "metadata")
    found += _scan_value({k: v for k, v in data.items() if k not in ("cells", "metadata")}, None, "top level")
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotebookScanError(f"{p.name}: cell {i} is not an object")
        found += _scan_cell(cell, i)
    return found
