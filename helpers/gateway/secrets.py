"""Find API keys and auth tokens in text, also encoded or split over lines, without ever keeping them.

`find_secrets(text)` looks for Anthropic keys (`sk-ant-api03-...`, `sk-ant-admin01-...`), `Bearer <token>` and
`x-api-key: <value>` header dumps in the text as it is, then in the text decoded (JSON `\\u` escapes, HTML
entities, percent-encoding, lines joined, repeated so that layers combine) and in every base64 run that decodes
to text. A `Finding` says what was found, how it was encoded and where it starts; its preview is masked so that
a finding can itself be printed, logged or committed. `find_in_json`, `exchange_secrets` and
`recording_secrets` walk parsed JSON (a request body, a recording) and name each place as a path.
"""

from __future__ import annotations

import binascii
import html
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

__all__ = [
    "KEY_PATTERN",
    "PLAIN",
    "Finding",
    "mask_key",
    "find_secrets",
    "find_in_json",
    "exchange_secrets",
    "recording_secrets",
]

# sk-ant-api03-..., sk-ant-admin01-..., sk-ant-oat01-...: a prefix naming the kind, then a long random tail.
KEY_PATTERN = re.compile(r"sk-ant-(?P<kind>[a-z]+\d\d)-[A-Za-z0-9_\-]{16,}")
# Both start with a literal that `re` can skip to (a case-blind pattern cannot, and is five times slower);
# the letter before it ("B", "x") is checked afterwards.
_TOKEN = r"[A-Za-z0-9_\-.~+/]{20,}"
_BEARER = re.compile(r"earer\s+" + _TOKEN + "=*")
_BEARER_UP = re.compile(r"EARER\s+" + _TOKEN + "=*")
_HEADER = re.compile(r"-(?:api|Api|API)-(?:key|Key|KEY)[\"']?\s*[:=,]\s*[\"']?" + _TOKEN)
_SHORTEST = 27  # "sk-ant-" + "a00" + "-" + 16: nothing shorter can hold a secret (Bearer and header are longer)
PLAIN = "plain"
_TOKENS = (
    ("bearer", _BEARER, "Bb", "Bearer …"),
    ("bearer", _BEARER_UP, "B", "Bearer …"),
    ("header", _HEADER, "xX", "x-api-key: …"),
)
_KINDS = {"key": "an API-key-shaped string", "bearer": "a Bearer token", "header": "an x-api-key header value"}


@dataclass(frozen=True)
class Finding:
    """A secret-shaped string: its kind, how it was encoded, where it starts; never the secret itself.

    `start` is the offset in the scanned text where the string (or its encoded form) begins and `line` its line
    (from 1); `preview` is masked (`sk-ant-api03-…`, `Bearer …`) and `length` counts the decoded characters.
    """

    kind: str
    encoding: str
    start: int
    line: int
    preview: str
    length: int

    def describe(self) -> str:
        """What was found, in words: `an API-key-shaped string (percent-encoded)`."""
        what = _KINDS.get(self.kind, "a secret")
        return what if self.encoding == PLAIN else f"{what} ({self.encoding})"


def mask_key(key: str) -> str:
    """The key's kind and an ellipsis (e.g. `sk-ant-api03-…`): enough to recognise, nothing to use."""
    m = KEY_PATTERN.match(key)
    if not m:
        raise ValueError("not a key-shaped string")
    kind = m.group("kind")
    return f"sk-ant-{kind}-…" if len(kind) <= 12 else "sk-ant-…"


# --- decoders: each a pattern and its replacement, with a map from the decoded text back to the original ------


@dataclass(frozen=True)
class _Decoder:
    label: str
    pattern: re.Pattern[str]
    repl: Callable[[re.Match[str]], str] | str


def _unescape(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2) or m.group(3), 16)
    return chr(code) if code <= 0x10FFFF else m.group(0)


# Each pattern starts with a literal character, which lets `re` skip to it: a pattern that starts with a
# repeat or a group is tried at every position, ten times slower over the whole repository.
_UNESCAPERS = (
    # any run of backslashes: a key in a JSON string inside JSON (a notebook's raw text) is escaped twice
    _Decoder(
        "JSON-escaped",
        re.compile(r"\\\\*(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|U([0-9a-fA-F]{8}))"),
        _unescape,
    ),
    _Decoder(
        "HTML-entity encoded",
        re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,7};?|[A-Za-z][A-Za-z0-9]{1,31};?)"),
        lambda m: html.unescape(m.group(0)),
    ),
    _Decoder(
        "percent-encoded",
        re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*"),
        lambda m: unquote(m.group(0)),
    ),
)
# Line breaks with what wraps them: a continuation backslash and indentation, an escaped \n (and a notebook
# source list's `\n",` + newline + `"`), adjacent string literals on two lines. Never `"a" + "b"` or
# `"a",` + newline + `"b"`: fake keys are built that way on purpose, and lists of strings are everywhere.
_JOIN = _Decoder(
    "split over lines",
    re.compile(
        r"\\*\r?\n[ \t]*"
        r"|(?:\\+r)?\\+n(?:\"[ \t]*,?[ \t]*\r?\n[ \t]*\")?"
        r"|[\"'][ \t]*\\?\r?\n[ \t]*[\"']"
    ),
    "",
)
_ROUNDS = 3  # decode again while anything changes, so layers combine (percent-encoded HTML entities, ...)
# "sk-ant-" with anything a line break leaves between its characters: where joining lines may reveal a key
# (a character class, not `\\n|...`: twice as fast, and a looser hint only costs the exact test below)
_SPLIT_HINT = re.compile(r"[\s\"',\\nr]*".join("sk-ant-"))


class _Map:
    """Segments of one decoding: where each starts in the output and spans in the input, literal or decoded."""

    def __init__(self) -> None:
        self.outs: list[int] = []
        self.ins: list[int] = []
        self.in_ends: list[int] = []
        self.literal: list[bool] = []
        self.size = 0

    def add(self, out: int, start: int, end: int, literal: bool) -> None:
        self.outs.append(out)
        self.ins.append(start)
        self.in_ends.append(end)
        self.literal.append(literal)

    def _segment(self, pos: int) -> int:
        return max(bisect_right(self.outs, pos) - 1, 0)

    def back(self, start: int, end: int) -> tuple[int, int]:
        """The input span that an output span [start, end) came from."""
        k = self._segment(start)
        s = self.ins[k] + (start - self.outs[k] if self.literal[k] else 0)
        k = self._segment(max(end - 1, start))
        e = self.ins[k] + (end - self.outs[k]) if self.literal[k] else self.in_ends[k]
        return s, e

    def touched(self, start: int, end: int) -> bool:
        """Whether decoding changed anything inside the output span [start, end)."""
        k = self._segment(start)
        while k < len(self.outs) and self.outs[k] < end:
            stop = self.outs[k + 1] if k + 1 < len(self.outs) else self.size
            if not self.literal[k] and (stop > self.outs[k] or start < self.outs[k]):
                return True
            k += 1
        return False


def _apply(decoder: _Decoder, text: str) -> tuple[str, _Map]:
    """Decode with a map back to the input (the slow path, run only when a text may hold a finding)."""
    parts: list[str] = []
    mapping, out, pos = _Map(), 0, 0
    for m in decoder.pattern.finditer(text):
        if m.start() > pos:
            mapping.add(out, pos, m.start(), True)
            parts.append(text[pos : m.start()])
            out += m.start() - pos
        rep = decoder.repl if isinstance(decoder.repl, str) else decoder.repl(m)
        mapping.add(out, m.start(), m.end(), False)
        parts.append(rep)
        out, pos = out + len(rep), m.end()
    if pos < len(text) or not mapping.outs:
        mapping.add(out, pos, len(text), True)
        parts.append(text[pos:])
        out += len(text) - pos
    mapping.size = out
    return "".join(parts), mapping


def _decode(text: str, decoders: tuple[_Decoder, ...], mapped: bool) -> tuple[str, list[tuple[str, _Map]]]:
    """Each decoder in turn, repeated while the text changes; with `mapped`, the map of each step too."""
    stages: list[tuple[str, _Map]] = []
    for _ in range(_ROUNDS):
        before = text
        for dec in decoders:
            if mapped:
                new, mapping = _apply(dec, text)
                if new != text:
                    stages.append((dec.label, mapping))
                text = new
            else:
                text = dec.pattern.sub(dec.repl, text)
        if text == before:
            break
    return text, stages


# --- matching ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    kind: str
    start: int
    end: int
    preview: str


def _spans(text: str) -> list[_Span]:
    """Secret-shaped strings in `text` as it is; a token or header that holds a key reports the key only."""
    keys = [_Span("key", m.start(), m.end(), mask_key(m.group(0))) for m in KEY_PATTERN.finditer(text)]
    others = [
        _Span(kind, m.start() - 1, m.end(), preview)
        for kind, pattern, letters, preview in _TOKENS
        for m in pattern.finditer(text)
        if m.start() > 0 and text[m.start() - 1] in letters
    ]
    kept = list(keys)
    for span in others:
        if not any(_overlap(span.start, span.end, k.start, k.end) for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _overlap(a: int, b: int, c: int, d: int) -> bool:
    return a < d and c < b


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _trace(stages: list[tuple[str, _Map]], start: int, end: int) -> tuple[int, int, str]:
    """Map a span of the decoded text back to the original, naming the decodings that changed it."""
    labels: list[str] = []
    for label, mapping in reversed(stages):
        if mapping.touched(start, end):
            labels.append(label)
        start, end = mapping.back(start, end)
    names = list(dict.fromkeys(reversed(labels)))
    return start, end, ", ".join(names) if names else PLAIN


_WINDOW = 400  # characters after an `sk-ant-` that joining lines may turn into a key (wrapping included)


def _needs_join(decoded: str) -> bool:
    """Whether joining the lines after some `sk-ant-` (itself perhaps broken by line breaks) makes a key that
    was not there whole: a cheap local test before the full decoding with maps."""
    for m in _SPLIT_HINT.finditer(decoded):
        window = decoded[m.start() : m.start() + _WINDOW]
        if KEY_PATTERN.match(window):
            continue  # a key as it is: found without joining (a longer tail joined on is the same finding)
        if KEY_PATTERN.match(_JOIN.pattern.sub("", window)):
            return True
    return False


# Base64 runs (standard or URL-safe, wrapped over lines or not) long enough to hold the shortest key, and the
# printable stretches of what they decode to, are found with bytes.translate and find: C speed, where a
# regular expression over the whole repository costs tens of milliseconds.
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
_B64_MARKS = bytes(ord("a") if c in _B64 or c in b"\r\n" else ord(" ") for c in range(256))
_TEXT_MARKS = bytes(ord("a") if 0x20 <= c < 0x7F or c in b"\t\r\n" else ord(" ") for c in range(256))
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_B64_SHORTEST = 36  # base64 of the shortest key
# base64 of any text that holds "sk-ant-" or "Bearer " has a capital or a digit; kebab-case header names,
# snake_case test names and rules of dashes (most long runs in this repository) have neither
_B64_LIKELY = re.compile(rb"[A-Z0-9]")
_DEPTH = 2  # base64 inside base64 once; deeper nesting is not a leak a person makes by accident


def _runs(data: bytes, marks: bytes, shortest: int) -> Iterable[tuple[int, int]]:
    """(start, end) of each run of at least `shortest` bytes that `marks` maps to "a"."""
    flags = data.translate(marks)
    needle = b"a" * shortest
    pos = flags.find(needle)
    while pos != -1:
        end = flags.find(b" ", pos)
        end = len(flags) if end == -1 else end
        yield pos, end
        pos = flags.find(needle, end)


def _base64_findings(run: bytes, depth: int) -> list[Finding]:
    """Findings in the text a base64 run decodes to, trying the four alignments its start may have."""
    if not _B64_LIKELY.search(run):
        return []
    run = run.replace(b"\r", b"").replace(b"\n", b"").translate(_URLSAFE)
    for offset in range(4):
        chunk = run[offset:]
        chunk = chunk[: len(chunk) // 4 * 4]
        if len(chunk) < _B64_SHORTEST:
            break
        try:
            raw = binascii.a2b_base64(chunk)
        except binascii.Error:
            continue
        found = [f for s, e in _runs(raw, _TEXT_MARKS, _SHORTEST) for f in _scan(raw[s:e].decode("ascii"), depth)]
        if found:
            return found
    return []


def _scan(text: str, depth: int) -> list[Finding]:
    if len(text) < _SHORTEST:
        return []
    plain = _spans(text)
    found = [Finding(s.kind, PLAIN, s.start, _line(text, s.start), s.preview, s.end - s.start) for s in plain]
    decoded, _ = _decode(text, _UNESCAPERS, mapped=False)
    if (decoded != text and _spans(decoded)) or _needs_join(decoded):  # rare: only then pay for the maps
        full, stages = _decode(text, (*_UNESCAPERS, _JOIN), mapped=True)
        for s in _spans(full):
            start, end, how = _trace(stages, s.start, s.end)
            if not any(_overlap(start, end, p.start, p.end) for p in plain):
                found.append(Finding(s.kind, how, start, _line(text, start), s.preview, s.end - s.start))
    if depth > 0:
        data = decoded.encode("utf-8", errors="replace")
        for s, e in _runs(data, _B64_MARKS, _B64_SHORTEST):
            s += len(data[s:e]) - len(data[s:e].lstrip(b"\r\n"))  # a run may begin at a line break
            inner = _base64_findings(data[s:e], depth - 1)
            if not inner:
                continue
            pos = len(data[:s].decode("utf-8", errors="replace"))  # rare: a byte offset back to a character one
            stages = _decode(text, _UNESCAPERS, mapped=True)[1] if decoded != text else []
            start, _, how = _trace(stages, pos, pos + 1)
            for f in inner:
                layers = ", ".join(x for x in (how, "base64-encoded", f.encoding) if x != PLAIN)
                found.append(Finding(f.kind, layers, start, _line(text, start), f.preview, f.length))
    return sorted(found, key=lambda f: f.start)


def find_secrets(text: str) -> list[Finding]:
    """Every key, Bearer token or x-api-key header value in `text`, plain, encoded or split over lines.

    Plain findings come with their exact position; an encoded one with the position where its encoding begins
    (for base64, where the run begins). Nothing returned holds the secret. A text shorter than the shortest
    key is not looked at.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_secrets() takes a str, got {type(text).__name__}")
    return _scan(text, _DEPTH)


# --- JSON values, exchanges and recordings -----------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9_.\-/]{1,40}")
_HIDDEN = object()  # stands for an object key that holds a secret, in a path


def _render(parts: tuple[Any, ...]) -> str:
    """A path from its parts: names joined by dots, list positions in brackets; any name on one line."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = "…" if part is _HIDDEN else part if _NAME.fullmatch(part) else json.dumps(part[:40])
        out += f".{shown}" if out else shown
    return out


def find_in_json(value: Any, path: str = "") -> list[tuple[str, Finding]]:
    """(path, finding) for every secret in a parsed JSON value: each string, object key included, on its own.

    Paths read `metadata.user_id` or `messages[0].content` (after `path`, if given); an object key that holds a
    secret is reported at its parent's path and shown as `…` below it, so a path never repeats what it names.
    """
    found: list[tuple[tuple[Any, ...], Finding]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:  # iterative: a body may nest deeply; paths are rendered only for findings
        parts, node = stack.pop()
        if isinstance(node, str):
            if len(node) >= _SHORTEST:
                found += [(parts, f) for f in find_secrets(node)]
        elif isinstance(node, Mapping):
            children = []
            for k, v in node.items():
                name = str(k)
                hits = find_secrets(name) if len(name) >= _SHORTEST else []
                found += [(parts, f) for f in hits]
                children.append(((*parts, _HIDDEN if hits else name), v))
            stack.extend(reversed(children))
        elif isinstance(node, (list, tuple)):
            stack.extend(reversed([((*parts, i), v) for i, v in enumerate(node)]))
    out = []
    for parts, f in found:
        rest = _render(parts)
        out.append((f"{path}.{rest}" if path and rest and not rest.startswith("[") else path + rest, f))
    return out


def _reasons(value: Any, place: str) -> list[str]:
    return [f"{(place + ' ' + where).strip()} holds {f.describe()}" for where, f in find_in_json(value)]


def _path_reasons(path: str) -> list[str]:
    route, _, query = path.partition("?")
    out = [f"request path holds {f.describe()}" for f in find_secrets(route)]
    for piece in query.split("&") if query else []:
        name = unquote(piece.partition("=")[0])
        shown = name if _NAME.fullmatch(name) and not find_secrets(name) else ""
        out += [f"request query {shown}".strip() + f" holds {f.describe()}" for f in find_secrets(piece)]
    if not out:  # a key cut across two query pieces
        out = [f"request path holds {f.describe()}" for f in find_secrets(path)]
    return out


def exchange_secrets(exchange: Mapping[str, Any]) -> list[str]:
    """One line per place in a recording exchange that holds a secret, e.g. `request body metadata.user_id holds
    an API-key-shaped string`: path and query, request body, response headers, body, events and lines."""
    request = exchange.get("request")
    response = exchange.get("response")
    request = request if isinstance(request, Mapping) else {}
    response = response if isinstance(response, Mapping) else {}
    out = _path_reasons(str(request.get("path", "")))
    out += _reasons(request.get("body"), "request body")
    out += _reasons({k: v for k, v in request.items() if k not in ("path", "body")}, "request")
    headers = response.get("headers")
    for name, value in headers.items() if isinstance(headers, Mapping) else []:
        out += _reasons({name: value}, "response header")
    out += _reasons(response.get("body"), "response body")
    for i, event in enumerate(_items(response.get("events"))):
        out += _reasons(event, f"response event {i}")
    for i, line in enumerate(_items(response.get("lines"))):
        out += _reasons(line, f"response line {i}")
    rest = {k: v for k, v in response.items() if k not in ("headers", "body", "events", "lines")}
    out += _reasons(rest, "response")
    out += _reasons({k: v for k, v in exchange.items() if k not in ("request", "response")}, "exchange")
    return list(dict.fromkeys(out))


def _items(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else ([] if value is None else [value])


def recording_secrets(recording: Mapping[str, Any]) -> list[str]:
    """One line per place in a whole recording (parsed JSON) that holds a secret: `exchange 2: request ...`."""
    exchanges = recording.get("exchanges")
    out = []
    for i, ex in enumerate(exchanges if isinstance(exchanges, list) else []):
        if isinstance(ex, Mapping):
            out += [f"exchange {i}: {r}" for r in exchange_secrets(ex)]
        else:
            out += [f"exchange {i}: {r}" for r in _reasons(ex, "")]
    out += _reasons({k: v for k, v in recording.items() if k != "exchanges"}, "")
    return out
