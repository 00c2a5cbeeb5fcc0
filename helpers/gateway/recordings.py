"""The recording format: load and validate, match requests, explain misses, save.

A recording is one JSON file per notebook (format documented in notebooks/recordings/README.md):
provenance plus an ordered list of exchanges, each a request (method, path, JSON body) and a response
(status, allow-listed headers, and one of a JSON body, SSE events with time offsets, or JSONL lines).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .matching import (
    EQUIVALENCES,
    _equivalence_note,
    _short,
    canonical_body,
    canonical_path,
    first_difference,
    match_body,
    match_path,
)
from .secrets import recording_secrets

__all__ = [
    "FORMAT",
    "ALLOWED_RESPONSE_HEADERS",
    "RecordingError",
    "Request",
    "Response",
    "Exchange",
    "Recording",
    "load_recording",
    "load_recordings",
    "canonical_body",
    "canonical_path",
    "match_path",
    "match_body",
    "EQUIVALENCES",
    "MATCH_HEADERS",
    "first_difference",
    "ReplayIndex",
    "Cursor",
    "dumps_recording",
    "save_recording",
    "is_allowed_header",
    "parse_recording",
    "rewrite_urls",
    "stable_id",
]

FORMAT = 1
# Response headers a recording may keep. Request headers are never stored.
# anthropic-workspace-id is on every 2026 response (SDK 2.17 reads it into APIStatusError.workspace_id);
# content-disposition names a batch's results file.
ALLOWED_RESPONSE_HEADERS = (
    "content-type",
    "request-id",
    "retry-after",
    "x-should-retry",
    "anthropic-workspace-id",
    "content-disposition",
)
_ALLOWED_PREFIXES = ("anthropic-ratelimit-",)
_METHODS = ("GET", "POST", "DELETE")
MATCH_HEADERS = ("anthropic-version", "anthropic-beta")
_SOURCES = ("authored", "recorded")
_UNSAFE = re.compile(r"[\r\n\x00]")
_EVENT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_EVENT_AT = 300.0  # seconds: the latest offset a stream's event may have (replay waits what it says)
_SIMILAR_CHARS = 4000  # how much of each body the closest-exchange search compares
# Keys a loaded recording understands; any other key is kept as it is and written back on save.
_TOP_KEYS = ("format", "provenance", "exchanges")
_EXCHANGE_KEYS = ("label", "request", "response")
_REQUEST_KEYS = ("method", "path", "body", "match_headers")
_RESPONSE_KEYS = ("status", "headers", "body", "events", "lines", "hold")


class RecordingError(ValueError):
    """A recording file is missing or malformed; the message names the file and the position."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def is_allowed_header(name: str) -> bool:
    """Whether a response header may be stored in a recording (an allow-list: no cookies, no ids)."""
    low = name.lower()
    return low in ALLOWED_RESPONSE_HEADERS or low.startswith(_ALLOWED_PREFIXES)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    # Request headers this exchange answers only when they match (e.g. a pinned anthropic-version);
    # names from MATCH_HEADERS only, so a recording never holds a credential.
    match_headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # unknown keys, kept on save

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.method, match_path(self.path), canonical_body(match_body(self.body)))


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    events: list[dict[str, Any]] | None = None
    lines: list[Any] | None = None
    hold: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # unknown keys, kept on save

    @property
    def kind(self) -> str:
        return "sse" if self.events is not None else "jsonl" if self.lines is not None else "json"


@dataclass(frozen=True)
class Exchange:
    request: Request
    response: Response
    index: int
    label: str = ""
    recording: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # unknown keys, kept on save

    def describe(self) -> str:
        label = f" ({self.label!r})" if self.label else ""
        return f"exchange {self.index}{label} of {self.recording}"


@dataclass
class Recording:
    name: str
    provenance: dict[str, Any]
    exchanges: list[Exchange]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown top-level keys, kept on save

    @property
    def authored(self) -> bool:
        return self.provenance.get("source") == "authored"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "provenance": self.provenance,
            "exchanges": [_exchange_json(x) for x in self.exchanges],
            **{k: v for k, v in self.extra.items() if k not in _TOP_KEYS},
        }


_ID_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # base58, as the API's ids
# Message and request ids of 2026 start "011C" (msg_011Cd..., req_011CZo...); batch, workspace and tool_use
# ids still start "01" (msgbatch_01GUq..., wrkspc_01MZW..., toolu_01Ntv...), as in public captures of August 2026.
_ID_LEAD = {"msg_": "011C", "req_": "011C"}


def stable_id(prefix: str, seed: str, length: int = 24) -> str:
    """An id in the API's style (msg_011C..., toolu_01...) from a hash of `seed`: the same seed, the same id,
    so authored recordings and gateway-made errors are reproducible."""
    lead = _ID_LEAD.get(prefix, "01")
    n = int.from_bytes(hashlib.sha256(f"{prefix}{seed}".encode("utf-8", "replace")).digest(), "big")
    chars = []
    for _ in range(length - len(lead)):
        n, r = divmod(n, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[r])
    return prefix + lead + "".join(chars)


# --- loading and validation -------------------------------------------------------------------


def _fail(source: str, where: str, problem: str) -> RecordingError:
    return RecordingError(f"{source}: {where}: {problem}")


def _gzip_base64(value: Any) -> bool:
    """Whether a body is a gzip stream kept as base64 text (what a cassette's !!binary body becomes)."""
    if not isinstance(value, str) or not value.startswith("H4sI"):
        return False
    try:
        return base64.b64decode(value[:8]).startswith(b"\x1f\x8b")
    except ValueError:
        return False


def _is_message(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and body.get("type") == "message"
        and isinstance(body.get("role"), str)
        and isinstance(body.get("content"), list)
        and isinstance(body.get("usage"), dict)
    )


def _parse_exchange(raw: Any, i: int, source: str, name: str) -> Exchange:
    where = f"exchanges[{i}]"
    if not isinstance(raw, dict):
        raise _fail(source, where, "must be an object with request and response")
    req, resp = raw.get("request"), raw.get("response")
    if not isinstance(req, dict) or not isinstance(resp, dict):
        raise _fail(source, where, "needs a request object and a response object")
    method = req.get("method")
    if method not in _METHODS:
        raise _fail(source, f"{where}.request.method", f"must be one of {', '.join(_METHODS)}, got {method!r}")
    path = req.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise _fail(source, f"{where}.request.path", f"must be a path starting with '/', got {path!r}")
    wanted = req.get("match_headers", {})
    if not isinstance(wanted, dict) or not all(
        isinstance(k, str) and k.lower() in MATCH_HEADERS and isinstance(v, str) for k, v in wanted.items()
    ):
        raise _fail(source, f"{where}.request.match_headers", f"may only map {', '.join(MATCH_HEADERS)} to strings")
    status = resp.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _fail(source, f"{where}.response.status", f"must be an HTTP status code, got {status!r}")
    headers = resp.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise _fail(source, f"{where}.response.headers", "must map header names to strings")
    for h, v in headers.items():
        if not is_allowed_header(h):
            raise _fail(source, f"{where}.response.headers.{h}", "is not on the allow-list of response headers")
        if _UNSAFE.search(v):  # a CR or LF would end the header and inject others
            raise _fail(source, f"{where}.response.headers.{h}", "holds a control character (CR, LF or NUL)")
    kinds = [k for k in ("body", "events", "lines") if k in resp]
    if len(kinds) != 1:
        raise _fail(source, f"{where}.response", "needs exactly one of body, events, lines")
    events = resp.get("events")
    if events is not None:
        if not isinstance(events, list):
            raise _fail(source, f"{where}.response.events", "must be a list")
        last = 0.0
        for j, ev in enumerate(events):
            at = ev.get("at") if isinstance(ev, dict) else None
            if not isinstance(ev, dict) or not isinstance(ev.get("event"), str) or "data" not in ev:
                raise _fail(source, f"{where}.response.events[{j}]", "needs event (a name) and data")
            if not _EVENT_NAME.match(ev["event"]):  # a newline in the name would inject SSE lines
                raise _fail(source, f"{where}.response.events[{j}].event", "must be a name of letters, digits, _ or -")
            if isinstance(ev["data"], str) and _UNSAFE.search(ev["data"]):
                raise _fail(source, f"{where}.response.events[{j}].data", "as a string must be one line")
            if not isinstance(at, (int, float)) or isinstance(at, bool) or not last <= at <= MAX_EVENT_AT:
                raise _fail(
                    source,
                    f"{where}.response.events[{j}].at",
                    f"must be seconds, not decreasing, at most {MAX_EVENT_AT:g}",
                )
            last = float(at)
    lines = resp.get("lines")
    if lines is not None and not isinstance(lines, list):
        raise _fail(source, f"{where}.response.lines", "must be a list")
    hold = resp.get("hold", 0.0)
    if not isinstance(hold, (int, float)) or isinstance(hold, bool) or not 0 <= hold <= 30:
        raise _fail(source, f"{where}.response.hold", "must be seconds between 0 and 30")
    for part, value in (("request", req.get("body")), ("response", resp.get("body"))):
        if _gzip_base64(value):
            raise _fail(
                source,
                f"{where}.{part}.body",
                "is a gzip-compressed body kept as base64; re-import the cassette or HAR with"
                " `python -m helpers.gateway import-vcr` or `import-har`, which decode it",
            )
    if (
        method == "POST"
        and urlsplit(path).path == "/v1/messages"
        and 200 <= status < 300
        and "body" in resp
        and not _is_message(resp["body"])
    ):
        label = f" ({raw['label']!r})" if raw.get("label") else ""
        got = resp["body"].get("type") if isinstance(resp["body"], dict) else type(resp["body"]).__name__
        raise _fail(
            source,
            f"{where}{label}.response.body",
            f"a 2xx answer to POST /v1/messages must be a Message (type 'message', role, content list,"
            f" usage), got {_short(got)}",
        )
    return Exchange(
        request=Request(
            method=method,
            path=path,
            body=req.get("body"),
            match_headers={k.lower(): v for k, v in wanted.items()},
            extra={k: v for k, v in req.items() if k not in _REQUEST_KEYS},
        ),
        response=Response(
            status=status,
            headers=dict(headers),
            body=resp.get("body"),
            events=events,
            lines=lines,
            hold=hold,
            extra={k: v for k, v in resp.items() if k not in _RESPONSE_KEYS},
        ),
        index=i,
        label=str(raw.get("label", "")),
        recording=name,
        extra={k: v for k, v in raw.items() if k not in _EXCHANGE_KEYS},
    )


def parse_recording(data: Any, name: str, source: str) -> Recording:
    """Validate parsed JSON as a recording; RecordingError names `source` and the position."""
    if not isinstance(data, dict):
        raise _fail(source, "top level", "must be an object with format, provenance and exchanges")
    if data.get("format") != FORMAT:
        raise _fail(source, "format", f"must be {FORMAT}, got {data.get('format')!r}")
    prov = data.get("provenance")
    if not isinstance(prov, dict) or prov.get("source") not in _SOURCES:
        raise _fail(source, "provenance.source", f"must be one of {', '.join(_SOURCES)}")
    raw = data.get("exchanges")
    if not isinstance(raw, list):
        raise _fail(source, "exchanges", "must be a list")
    exchanges = [_parse_exchange(x, i, source, name) for i, x in enumerate(raw)]
    extra = {k: v for k, v in data.items() if k not in _TOP_KEYS}
    return Recording(name=name, provenance=prov, exchanges=exchanges, extra=extra)


def load_recording(path: str | os.PathLike[str]) -> Recording:
    """Load and validate one recording file."""
    p = Path(path)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordingError(f"{source}: no such recording file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RecordingError(f"{source}: cannot be read ({e})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RecordingError(f"{source}: line {e.lineno} column {e.colno}: not valid JSON ({e.msg})") from None
    rec = parse_recording(data, p.stem, source)
    rec.path = p
    return rec


def load_recordings(path: str | os.PathLike[str]) -> list[Recording]:
    """Load one file, or every *.json in a directory (sorted)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.json"))
        if not files:
            raise RecordingError(f"{p}: no recordings (*.json) in this directory")
        return [load_recording(f) for f in files]
    return [load_recording(p)]


# --- matching -----------------------------------------------------------------------------------


class ReplayIndex:
    """All exchanges of some recordings, grouped by their match key in recorded order."""

    def __init__(self, recordings: Iterable[Recording]):
        self.recordings = list(recordings)
        self.by_key: dict[tuple[str, str, str], list[Exchange]] = {}
        # Per exchange, computed once: its route and a character profile of its body, so that a miss
        # costs a few dictionary intersections per exchange rather than a diff of every body.
        self._profiles: list[tuple[Exchange, str, str, Counter[str], int]] = []
        for rec in self.recordings:
            for ex in rec.exchanges:
                self.by_key.setdefault(ex.request.key, []).append(ex)
                text = canonical_body(ex.request.body)[:_SIMILAR_CHARS]
                route = urlsplit(ex.request.path).path
                self._profiles.append((ex, route, canonical_path(ex.request.path), Counter(text), len(text)))

    def closest(self, method: str, path: str, body: Any) -> Exchange | None:
        """The recorded request most like this one: same method and path first, then most similar body."""
        wanted_path = canonical_path(path)
        route = urlsplit(path).path
        text = canonical_body(body)[:_SIMILAR_CHARS]
        counts, size = Counter(text), len(text)
        best: tuple[tuple[int, int, float], Exchange] | None = None
        for ex, ex_route, ex_path, ex_counts, ex_size in self._profiles:
            same = sum((counts & ex_counts).values())  # difflib's quick_ratio, from the profiles
            score = (
                int(ex_route == route and ex.request.method == method),
                int(ex_path == wanted_path),
                2.0 * same / (size + ex_size) if size + ex_size else 1.0,
            )
            if best is None or score > best[0]:
                best = (score, ex)
        return best[1] if best else None

    def miss_message(self, method: str, path: str, body: Any, headers: Mapping[str, str] | None = None) -> str:
        names = ", ".join(f"{r.name}.json" for r in self.recordings) or "no recordings"
        text = f"Course gateway (replay): {method} {path} is not in the recording ({names})."
        near = self.closest(method, path, body)
        if near is not None:
            diff = None
            sent = {k.lower(): v for k, v in (headers or {}).items()}
            same_route = urlsplit(near.request.path).path == urlsplit(path).path
            if near.request.method != method or not same_route:
                diff = f"recorded {near.request.method} {near.request.path}"
            elif match_path(near.request.path) != match_path(path):
                recorded_q, sent_q = urlsplit(near.request.path).query, urlsplit(path).query
                diff = f"the query string: recorded {'?' + recorded_q!r}, the request sends {'?' + sent_q!r}"
            elif near.request.key[2] == canonical_body(match_body(body)) and near.request.match_headers:
                h, v = next((h, v) for h, v in near.request.match_headers.items() if sent.get(h) != v)
                diff = f"header {h}: recorded {v!r}, the request sends {sent.get(h, 'none')!r}"
            else:
                try:
                    diff = first_difference(match_body(near.request.body), match_body(body))
                except RecursionError:
                    diff = "a part nested too deeply to compare"
                note = _equivalence_note(near.request.body, body)
                if note and diff:
                    diff += f" (replay already treats as equal: {note})"
            text += f" Closest: {near.describe()}; first difference at {diff}."
        text += (
            " Replay answers only recorded requests: to send this one to the real API, put your key in .env"
            " and set PRIMER_MODE=live (see 00_start_here.ipynb)."
        )
        return text


class Cursor:
    """One client's position in a ReplayIndex. Identical requests are served in recorded order. Once a
    sequence is used up, a POST starts it over (re-running a cell that samples, retries or fails shows
    what it showed the first time) and a GET repeats the last answer (polling once more stays "ended")."""

    def __init__(self, index: ReplayIndex):
        self.index = index
        self.used: dict[tuple[Any, ...], int] = {}

    def next(self, method: str, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Exchange | None:
        key = (method, match_path(path), canonical_body(match_body(body)))
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        found = [
            ex
            for ex in self.index.by_key.get(key, [])
            if all(sent.get(h) == v for h, v in ex.request.match_headers.items())
        ]
        if not found:
            return None
        seq = (key, tuple(ex.index for ex in found))
        n = self.used.get(seq, 0)
        self.used[seq] = n + 1
        return found[n % len(found)] if method == "POST" else found[min(n, len(found) - 1)]


# --- saving -------------------------------------------------------------------------------------


def _exchange_json(ex: Exchange) -> dict[str, Any]:
    req: dict[str, Any] = {"method": ex.request.method, "path": ex.request.path}
    if ex.request.body is not None:
        req["body"] = ex.request.body
    if ex.request.match_headers:
        req["match_headers"] = ex.request.match_headers
    req.update((k, v) for k, v in ex.request.extra.items() if k not in _REQUEST_KEYS)
    r = ex.response
    resp: dict[str, Any] = {"status": r.status, "headers": r.headers}
    if r.hold:
        resp["hold"] = r.hold
    if r.events is not None:
        resp["events"] = r.events
    elif r.lines is not None:
        resp["lines"] = r.lines
    else:
        resp["body"] = r.body
    resp.update((k, v) for k, v in r.extra.items() if k not in _RESPONSE_KEYS)
    out: dict[str, Any] = {"label": ex.label} if ex.label else {}
    out.update(request=req, response=resp)
    out.update((k, v) for k, v in ex.extra.items() if k not in _EXCHANGE_KEYS)
    return out


_COMPACT = ("events", "lines")


def _pretty(value: Any, indent: int, key: str | None = None) -> str:
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_pretty(v, indent + 2, k)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        if key in _COMPACT:  # one event or line per text line keeps diffs readable
            items = [inner + json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in value]
        else:
            items = [inner + _pretty(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def dumps_recording(rec: Recording | dict[str, Any]) -> str:
    """Serialize a recording: indented, one SSE event or JSONL line per text line."""
    data = rec.to_json() if isinstance(rec, Recording) else rec
    return _pretty(data, 0) + "\n"


def save_recording(rec: Recording | dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file in the same folder, renamed over the target when complete.

    Refused (RecordingError, nothing written) when the recording would hold a key, a Bearer token or an
    x-api-key value anywhere, plain or encoded: a recording is committed and shared.
    """
    target = Path(path)
    text = dumps_recording(rec)
    data = json.loads(text)
    parse_recording(data, target.stem, str(target))  # never write what we could not load back
    found = recording_secrets(data)
    if found:
        more = f" (and {len(found) - 1} more places)" if len(found) > 1 else ""
        raise RecordingError(
            f"{target.name}: not saved: {found[0]}{more}; remove it and record again "
            "(a key belongs only in the x-api-key or Authorization header, which are never recorded)"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


_API_ORIGIN = "https://api.anthropic.com"
_URL_FIELDS = ("results_url",)  # the API's only absolute URLs that a client follows


def rewrite_urls(value: Any, base_url: str, origin: str | None = None) -> Any:
    """Point a batch's results_url (and any other URL field a client follows) at `base_url`.

    Only those fields change, and only when they start with the API's origin (`origin` for a test
    upstream): Claude's text that mentions an API URL is content and is never rewritten."""
    origins = [o.rstrip("/") + "/" for o in ([origin] if origin else []) + [_API_ORIGIN]]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _URL_FIELDS and isinstance(v, str):
                hit = next((o for o in origins if v.startswith(o)), None)
                out[k] = base_url.rstrip("/") + "/" + v[len(hit) :] if hit else v
            else:
                out[k] = rewrite_urls(v, base_url, origin)
        return out
    if isinstance(value, list):
        return [rewrite_urls(v, base_url, origin) for v in value]
    return value
