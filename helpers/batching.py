"""Message Batches helpers: check and split a large request list, and wait between polls.

`split_requests` validates every request (custom_id pattern and uniqueness, params, no streaming)
and cuts the list into batches within the API's limits (100,000 requests or 256 MB of request body),
so a mistake fails here, with its position named, before anything is sent. `poll_wait` is the
primer's `time.sleep(60)` between status checks: it waits for real in live and record mode and
returns at once in replay, where the recorded batch has already ended.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .config import ConfigError
from .session import current_session

__all__ = [
    "MAX_REQUESTS",
    "MAX_BYTES",
    "POLL_SECONDS",
    "CUSTOM_ID_PATTERN",
    "BatchRequestError",
    "request_bytes",
    "body_bytes",
    "validate_requests",
    "split_requests",
    "poll_wait",
    "ProgressBar",
]

MAX_REQUESTS = 100_000
# "256 MB" read as decimal megabytes: the smaller of the two readings, so a split batch is never too big.
MAX_BYTES = 256_000_000
POLL_SECONDS = 60.0
CUSTOM_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ALLOWED_CHARS = re.compile(r"[a-zA-Z0-9_-]")
# The create body is {"requests":[r1,r2,...]}: these bytes frame the requests, plus one comma between each two.
_FRAME = len(b'{"requests":[]}')


class BatchRequestError(ValueError):
    """A batch request list that the API would reject; the message names the request and the fix."""

    def _render_traceback_(self) -> list[str]:  # IPython: one line instead of a traceback wall
        return [f"{type(self).__name__}: {self}"]


def request_bytes(request: Mapping[str, Any]) -> int:
    """Bytes of one request as the SDK puts it on the wire: compact JSON, UTF-8."""
    try:
        text = json.dumps(request, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise BatchRequestError(f"request is not JSON-serializable ({e})") from None
    return len(text.encode("utf-8"))


def body_bytes(requests: Sequence[Mapping[str, Any]]) -> int:
    """Bytes of the whole create body, {"requests": [...]}, for these requests."""
    sizes = [request_bytes(r) for r in requests]
    return _FRAME + sum(sizes) + max(len(sizes) - 1, 0)


def _where(i: int, request: Any) -> str:
    cid = request.get("custom_id") if isinstance(request, Mapping) else None
    return f"requests[{i}]" + (f" (custom_id {cid!r})" if isinstance(cid, str) else "")


def _custom_id_problem(cid: Any) -> str | None:
    if not isinstance(cid, str):
        return f"custom_id must be a string, got {type(cid).__name__}"
    if CUSTOM_ID_PATTERN.match(cid):
        return None
    if not cid:
        return "custom_id is empty"
    if len(cid) > 64:
        return f"custom_id is {len(cid)} characters; at most 64 are allowed"
    bad = sorted({c for c in cid if not _ALLOWED_CHARS.match(c)})
    shown = ", ".join(repr(c) for c in bad)
    return f"custom_id may hold only letters, digits, '_' and '-' (^[a-zA-Z0-9_-]{{1,64}}$); it has {shown}"


def _params_problem(params: Any) -> str | None:
    if not isinstance(params, Mapping):
        return "params must be a dict of Messages API arguments (model, max_tokens, messages, ...)"
    missing = [k for k in ("model", "max_tokens", "messages") if k not in params]
    if missing:
        return f"params is missing {', '.join(missing)}"
    if not isinstance(params["model"], str) or not params["model"]:
        return f"params.model must be a model id string, got {params['model']!r}"
    mt = params["max_tokens"]
    if isinstance(mt, bool) or not isinstance(mt, int) or mt < 1:
        return f"params.max_tokens must be a positive integer, got {mt!r}"
    msgs = params["messages"]
    if not isinstance(msgs, list) or not msgs:
        return "params.messages must be a non-empty list of messages"
    if params.get("stream"):
        return "params.stream must not be true: batch results are never streamed"
    return None


def validate_requests(requests: Any) -> None:
    """Raise BatchRequestError for the first request the API would reject; return None when all are fine.

    Checks the shape ({"custom_id", "params"}), the custom_id pattern, that every custom_id is unique
    (results come back in any order and are joined by it), and the params a Messages call needs.
    """
    if isinstance(requests, (str, bytes, Mapping)) or not isinstance(requests, Sequence):
        raise BatchRequestError(
            f"requests must be a list of {{'custom_id': ..., 'params': ...}} dicts, got {type(requests).__name__}"
        )
    if not requests:
        raise BatchRequestError("requests is empty: a batch needs at least one request")
    seen: dict[str, int] = {}
    for i, req in enumerate(requests):
        if not isinstance(req, Mapping):
            raise BatchRequestError(f"requests[{i}] must be a dict with custom_id and params, got {type(req).__name__}")
        extra = sorted(set(req) - {"custom_id", "params"})
        if extra or "custom_id" not in req or "params" not in req:
            what = f"unexpected key(s) {extra}" if extra else "it needs both custom_id and params"
            raise BatchRequestError(f"{_where(i, req)}: {what}")
        problem = _custom_id_problem(req["custom_id"])
        if problem:
            raise BatchRequestError(f"requests[{i}]: {problem}")
        cid = req["custom_id"]
        if cid in seen:
            raise BatchRequestError(
                f"requests[{i}]: custom_id {cid!r} is already used by requests[{seen[cid]}]; "
                "each custom_id must be unique, since results are matched to requests by it"
            )
        seen[cid] = i
        problem = _params_problem(req["params"])
        if problem:
            raise BatchRequestError(f"{_where(i, req)}: {problem}")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def split_requests(
    requests: Sequence[Mapping[str, Any]],
    *,
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
) -> list[list[Mapping[str, Any]]]:
    """Validate `requests`, then cut them, in order, into batches of at most `max_requests` requests
    and `max_bytes` bytes of create body each. custom_ids must be unique across the whole list, so
    every result can be joined back whichever batch it came from. BatchRequestError on a bad request
    or one too big to fit any batch."""
    _positive_int(max_requests, "max_requests")
    _positive_int(max_bytes, "max_bytes")
    validate_requests(requests)
    batches: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    size = _FRAME
    for i, req in enumerate(requests):
        n = request_bytes(req)
        if _FRAME + n > max_bytes:
            raise BatchRequestError(
                f"{_where(i, req)}: {n:,} bytes alone exceed the {max_bytes:,}-byte batch limit; shorten it"
            )
        extra = n + (1 if current else 0)  # the comma before it
        if current and (len(current) >= max_requests or size + extra > max_bytes):
            batches.append(current)
            current, size, extra = [], _FRAME, n
        current.append(req)
        size += extra
    batches.append(current)
    return batches


def _mode() -> str:
    try:
        return current_session().mode
    except ConfigError:
        return "live"  # outside the course (an application) there is no replay: really wait


def poll_wait(
    seconds: float = POLL_SECONDS,
    *,
    sleep: Callable[[float], None] | None = None,
    mode: str | None = None,
) -> float:
    """Wait `seconds` between two status checks of a batch: for real in live and record mode, not at
    all in replay (the recording already holds the next status). `mode` defaults to the session's;
    `sleep` defaults to time.sleep. Returns the seconds actually slept."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
        raise ValueError(f"seconds must be a number >= 0, got {seconds!r}")
    if (mode or _mode()) == "replay":
        return 0.0
    (sleep or time.sleep)(float(seconds))
    return float(seconds)


class ProgressBar:
    """Requests done out of the total: a bar that moves while a batch runs, its latest status beside it,
    and one printed line when it is closed.

    The bar is a widget, so views without widgets (GitHub, nbconvert HTML, a notebook before its kernel
    runs) show its static form instead: one stable line saying the result is printed below, and that line.
    Nothing is printed per poll, so a finished bar never sits above stale "Processing..." lines.
    """

    def __init__(self, total: int, desc: str = "requests done"):
        import html

        import ipywidgets as w
        from IPython.display import display

        from .display import MUTED

        self.total, self.desc, self.done, self.polls = int(total), desc, 0, 0
        self.bar = w.IntProgress(value=0, min=0, max=max(self.total, 1), description=desc,
                                 style={"description_width": "initial"})
        self.label = w.Label(f"0/{self.total}")
        self.box = w.HBox([self.bar, self.label])
        note = f"{desc}: a progress bar while the batch runs; the line below says how it ended"
        data = dict(self.box._repr_mimebundle_() or {})
        data["text/plain"] = note
        data["text/html"] = f'<div style="color:{MUTED};font-size:12px">{html.escape(note)}</div>'
        display(data, raw=True)

    def update_to(self, done: int, status: str = "") -> None:
        """One poll: `done` requests of the total have finished; `status` shows beside the bar."""
        self.polls += 1
        self.done = int(done)
        self.bar.value = min(self.done, self.bar.max)
        self.label.value = f"{self.done}/{self.total}" + (f" · poll {self.polls}: {status}" if status else "")

    def close(self, status: str) -> str:
        """Print and return the final line, e.g. 'requests done: 2/2 · ended after 4 polls'."""
        line = f"{self.desc}: {self.done}/{self.total} · {status} after {self.polls} poll{'s' * (self.polls != 1)}"
        self.label.value = f"{self.done}/{self.total} · {status}"
        print(line)
        return line
