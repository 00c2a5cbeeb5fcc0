"""Trade recordings with the ecosystem: import vcrpy cassettes and HAR files, export both.

`python -m helpers.gateway import-vcr CASSETTE.yaml --out FILE.json` and `import-har FILE.har --out FILE.json`
turn real traffic (pytest-recording / vcrpy cassettes, version 1; HAR 1.2 from browser devtools or mitmproxy)
into the course's recording format; `export FILE.json --vcr OUT.yaml --har OUT.har` goes the other way, so a
learner can test their own app offline with vcrpy using the course's recordings.

The importer keeps requests to /v1/... (any host), drops every request header, keeps only allow-listed
response headers (and says which it dropped, by name), decodes gzip/deflate (br with the brotli package)
bodies, turns SSE into `events` and batch results into `lines`, and refuses to write a file that would hold
an API key or token (`helpers.gateway.secrets` scans it first). Standard library only; cassettes are YAML,
so the vcr commands import PyYAML when they run (vcrpy needs it too, so whoever has a cassette has it) and
say `pip install pyyaml` when it is missing.
"""

from __future__ import annotations

import datetime as _dt
import http
import json
import re
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .captures import (  # the limits are re-exported: they are part of what the importer promises
    _PRIMER,
    MAX_BODY,
    MAX_FILE,
    MAX_WAIT,
    MAX_YAML_NODES,
    InteropError,
    _yaml,
    read_har,
    read_vcr,
)
from .recordings import (
    RecordingError,
    dumps_recording,
    is_allowed_header,
    load_recording,
    parse_recording,
    save_recording,
)
from .secrets import find_secrets, recording_secrets
from .upstream import SseSplitter

__all__ = [
    "InteropError",
    "MAX_BODY",
    "MAX_FILE",
    "MAX_WAIT",
    "MAX_YAML_NODES",
    "import_vcr",
    "import_har",
    "export_vcr",
    "export_har",
    "find_api_key",
]

_API = "https://api.anthropic.com"
_METHODS = ("GET", "POST", "DELETE")
_JSONL_TYPES = ("application/x-jsonl", "application/jsonl", "application/x-ndjson", "application/binary")
_SDK = re.compile(r"Anthropic/Python\s+([0-9][0-9A-Za-z.+-]*)")
# Values projects put where they redacted a header before publishing; kept as recorded, and named.
_PLACEHOLDER = re.compile(r"^<[A-Z0-9_-]+>$|X{3,}")
def find_api_key(text: str) -> str | None:
    """What secret-shaped string the text holds, in words (helpers.gateway.secrets), or None."""
    found = find_secrets(text)
    return found[0].describe() if found else None


# --- bodies -------------------------------------------------------------------------------------


def _looks_decoded(data: bytes) -> bool:
    head = data.lstrip()[:6]
    return not data or head[:1] in (b"{", b"[", b'"') or head.startswith((b"event:", b"data:", b":"))


def _too_big(where: str) -> InteropError:
    return InteropError(f"{where}: a compressed body inflates past {MAX_BODY // 2**20} MB; not imported (a zip bomb?)")


def _inflate(data: bytes, wbits: int, where: str) -> bytes:
    """gzip/zlib/raw deflate, stopped at MAX_BODY bytes of output (a 2 MB body can hold 2 GB of zeros)."""
    out = bytearray()
    while data:
        d = zlib.decompressobj(wbits)
        out += d.decompress(data, MAX_BODY + 1 - len(out))
        if len(out) > MAX_BODY:
            raise _too_big(where)
        if not d.eof:
            if d.unconsumed_tail:
                raise _too_big(where)
            raise zlib.error("the compressed body is cut short")
        data = d.unused_data.lstrip(b"\0") if wbits > 16 else b""  # gzip: members back to back, NUL padding
    return bytes(out)


def _unbrotli(brotli: Any, data: bytes, where: str) -> bytes:
    step = getattr(brotli, "Decompressor", None)
    if step is None:
        out = brotli.decompress(data)
    else:
        d, out = step(), b""
        for i in range(0, len(data), 4096):  # a small input chunk at a time, so the output grows by steps
            out += d.process(data[i : i + 4096])
            if len(out) > MAX_BODY:
                break
    if len(out) > MAX_BODY:
        raise _too_big(where)
    return bytes(out)


def _decode(data: bytes, encoding: str, where: str) -> bytes:
    """Undo a Content-Encoding (applied left to right, so undone right to left). A body a tool already
    decoded (HAR usually stores decoded text but keeps the header) is kept as it is."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
    if not codings and data[:2] == b"\x1f\x8b":
        codings = ["gzip"]  # a gzip body whose header was lost
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                data = _inflate(data, 16 + zlib.MAX_WBITS, where)
            elif coding == "deflate":
                try:
                    data = _inflate(data, zlib.MAX_WBITS, where)
                except zlib.error:
                    data = _inflate(data, -zlib.MAX_WBITS, where)  # raw deflate, as some servers send
            elif coding == "br":
                try:
                    import brotli  # type: ignore[import-not-found]
                except ImportError:
                    if _looks_decoded(data):
                        continue
                    raise InteropError(f"{where}: a brotli-encoded body needs: pip install brotli") from None
                data = _unbrotli(brotli, data, where)
            elif not _looks_decoded(data):
                raise InteropError(f"{where}: cannot decode a body with Content-Encoding {coding!r}")
        except (OSError, EOFError, zlib.error) as e:
            if _looks_decoded(data):
                continue
            raise InteropError(f"{where}: the {coding} body does not decode ({e})") from None
    return data


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InteropError(f"{where}: the body is not UTF-8 text (is it still compressed?)") from None


def _events(text: str, wait: float | None, receive: float | None, offsets: list[float] | None) -> list[dict]:
    pairs = SseSplitter().feed(text.rstrip("\r\n").encode("utf-8") + b"\n\n")
    out = []
    n = len(pairs)
    for i, (name, data) in enumerate(pairs):
        if offsets is not None and len(offsets) == n:
            at = offsets[i]
        elif wait is not None:  # spread evenly from the first byte to the end of the answer
            at = wait + ((receive or 0.0) * i / (n - 1) if n > 1 else 0.0)
        else:
            at = 0.0
        try:
            value: Any = json.loads(data)
        except json.JSONDecodeError:
            value = data
        out.append({"at": round(at, 3), "event": name, "data": value})
    return out


def _sdk(user_agent: str) -> str:
    m = _SDK.search(user_agent)
    if m:
        return f"anthropic {m.group(1)}"
    return user_agent.split(" ")[0][:60] if user_agent else ""


# --- import -------------------------------------------------------------------------------------


def _convert(raws: list[dict[str, Any]], source: Path) -> tuple[dict[str, Any], str]:
    """Raw exchanges (as read from a cassette or HAR) to a recording dict, and the one-line summary."""
    exchanges: list[dict[str, Any]] = []
    skipped = 0
    request_headers = 0
    dropped: dict[str, int] = {}
    sdk = ""
    dates: list[str] = []
    models: set[str] = set()
    placeholders: dict[str, int] = {}
    for raw in raws:
        where = f"{source.name}: {raw['where']}"
        url = urlsplit(raw["url"])
        method = str(raw["method"]).upper()
        if not url.path.startswith("/v1/") or method not in _METHODS:
            skipped += 1
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        dates.extend(when for when in (raw.get("started"), raw.get("recorded_at")) if when)
        req_headers = {k.lower(): v for k, v in raw["request_headers"]}
        request_headers += len(raw["request_headers"])
        sdk = sdk or _sdk(req_headers.get("user-agent", ""))
        body_bytes = _decode(raw["request_body"] or b"", req_headers.get("content-encoding", ""), where)
        req: dict[str, Any] = {"method": method, "path": path}
        if body_bytes.strip():
            try:
                req["body"] = json.loads(_text(body_bytes, where))
            except json.JSONDecodeError:
                raise InteropError(f"{where}: the request body is not JSON") from None
            if isinstance(req["body"], dict) and isinstance(req["body"].get("model"), str):
                models.add(req["body"]["model"])
        extra = raw.get("primer") or {}
        added = set(extra.get("added_headers", []))
        headers: dict[str, str] = {}
        encoding = ""
        for name, value in raw["response_headers"]:
            low = name.lower()
            if low == "content-encoding":
                encoding = value
            if low == "date":
                dates.append(value)
            if low in added:
                continue
            if is_allowed_header(low):
                headers[low] = f"{headers[low]}, {value}" if low in headers else value
                if _PLACEHOLDER.search(value):
                    placeholders.setdefault(f"{low}: {value}", 0)
                    placeholders[f"{low}: {value}"] += 1
            else:
                dropped[low] = dropped.get(low, 0) + 1
        ctype = next((v for k, v in raw["response_headers"] if k.lower() == "content-type"), "").lower()
        text = _text(_decode(raw["response_body"] or b"", encoding, where), where)
        resp: dict[str, Any] = {"status": int(raw["status"]), "headers": headers}
        if "hold" in extra:
            resp["hold"] = extra["hold"]
        if ctype.startswith("text/event-stream"):
            resp["events"] = _events(text, raw.get("wait"), raw.get("receive"), extra.get("at"))
        elif ctype.split(";")[0].strip() in _JSONL_TYPES or (
            url.path.endswith("/results") and 200 <= int(raw["status"]) < 300
        ):
            try:
                resp["lines"] = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError:
                raise InteropError(f"{where}: a batch results line is not JSON") from None
        else:
            try:
                resp["body"] = json.loads(text) if text.strip() else None
            except json.JSONDecodeError:
                resp["body"] = text  # as record mode keeps a non-JSON answer
        if isinstance(extra.get("match_headers"), dict):
            req["match_headers"] = extra["match_headers"]
        unknown = extra.get("unknown") if isinstance(extra.get("unknown"), dict) else {}
        req.update((k, v) for k, v in (unknown.get("request") or {}).items() if k not in req)
        resp.update((k, v) for k, v in (unknown.get("response") or {}).items() if k not in resp)
        ex: dict[str, Any] = {"label": extra["label"]} if extra.get("label") else {}
        ex.update(request=req, response=resp)
        ex.update((k, v) for k, v in (unknown.get("exchange") or {}).items() if k not in ex)
        exchanges.append(ex)
    if not exchanges:
        raise InteropError(f"{source.name}: no requests to /v1/... to import")
    provenance: dict[str, Any] = {
        "source": "recorded",
        "imported_from": source.name,
        "date": _date(dates),
        "sdk": sdk or "unknown",
    }
    if models:
        provenance["models"] = sorted(models)
    if _PLACEHOLDER.search(sdk):
        placeholders[f"user-agent: {sdk}"] = 1
    if placeholders:  # what the publisher redacted: kept as recorded, and said
        provenance["placeholders"] = sorted(placeholders)
    data = {"format": 1, "provenance": provenance, "exchanges": exchanges}
    names = ", ".join(sorted(dropped))
    summary = (
        f"{len(exchanges)} exchange(s) from {source.name}"
        + (f", {skipped} request(s) not to the API skipped" if skipped else "")
        + (f"; dropped all {request_headers} request header(s)" if request_headers else "; no request headers")
        + f"; dropped {sum(dropped.values())} response header(s) not on the allow-list"
        + (f": {names}" if names else "")
        + (
            f"; kept {sum(placeholders.values())} redacted placeholder(s) as recorded: "
            f"{', '.join(sorted(placeholders)[:3])}"
            + (f" and {len(placeholders) - 3} more (in provenance.placeholders)" if len(placeholders) > 3 else "")
            if placeholders
            else ""
        )
        + ("; no date in the file: provenance.date is \"unknown\"" if provenance["date"] == "unknown" else "")
    )
    return data, summary


def _date(candidates: list[str]) -> str:
    for value in candidates:
        try:
            return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass
        try:
            from email.utils import parsedate_to_datetime

            return parsedate_to_datetime(value).date().isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    return "unknown"  # never the day of the import: that would date old traffic as new


def _write(text: str, out: Path) -> None:
    found = find_api_key(text)
    if found:
        raise InteropError(f"refusing to write {out.name}: it would hold {found}")
    out.write_text(text, encoding="utf-8")


def _import(raws: list[dict[str, Any]], source: Path, out: Path) -> str:
    data, summary = _convert(raws, source)
    text = dumps_recording(data)
    found = recording_secrets(data) or [f"the file holds {w}" for w in [find_api_key(text)] if w]
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InteropError(
            f"refusing to write {out.name}: {found[0]}{more}; remove it from {source.name} and import again"
        )
    try:
        parse_recording(json.loads(text), out.stem, source.name)
        save_recording(data, out)
    except RecordingError as e:
        raise InteropError(str(e)) from None
    return f"{out}: imported {summary}"


def import_vcr(cassette: str | Path, out: str | Path) -> str:
    """Import a vcrpy cassette; returns the one-line summary."""
    return _import(read_vcr(Path(cassette)), Path(cassette), Path(out))


def import_har(har: str | Path, out: str | Path) -> str:
    """Import a HAR 1.2 file; returns the one-line summary."""
    return _import(read_har(Path(har)), Path(har), Path(out))


# --- export -------------------------------------------------------------------------------------


def _wire(ex: Any) -> tuple[str, str, list[str]]:
    """A recorded response as the API sent it: (content type, body text, headers the export added)."""
    r = ex.response
    ctype = next((v for k, v in r.headers.items() if k.lower() == "content-type"), None)
    if r.events is not None:
        text = "".join(
            f"event: {ev['event']}\ndata: "
            + (ev["data"] if isinstance(ev["data"], str) else json.dumps(ev["data"], ensure_ascii=False))
            + "\n\n"
            for ev in r.events
        )
        default = "text/event-stream; charset=utf-8"
    elif r.lines is not None:
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in r.lines)
        default = "application/x-jsonl"  # what the API sends (2026 captures)
    else:
        text = "" if r.body is None else r.body if isinstance(r.body, str) else json.dumps(r.body, ensure_ascii=False)
        default = "application/json"
    return (ctype or default), text, ([] if ctype else ["content-type"])


def _primer_extra(ex: Any, added: list[str]) -> dict[str, Any]:
    """What neither format has a field for, so a round trip keeps the exchange whole."""
    extra: dict[str, Any] = {}
    if ex.label:
        extra["label"] = ex.label
    if ex.response.events is not None:
        extra["at"] = [ev["at"] for ev in ex.response.events]
    if ex.response.hold:
        extra["hold"] = ex.response.hold
    if added:
        extra["added_headers"] = added
    if ex.request.match_headers:
        extra["match_headers"] = ex.request.match_headers
    unknown = {"exchange": ex.extra, "request": ex.request.extra, "response": ex.response.extra}
    if any(unknown.values()):
        extra["unknown"] = {k: v for k, v in unknown.items() if v}
    return extra


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def export_vcr(recording: str | Path, out: str | Path) -> str:
    """Write a course recording as a vcrpy cassette (version 1) that vcrpy replays; returns a summary line."""
    yaml = _yaml()
    rec = _load(recording)
    interactions = []
    for ex in rec.exchanges:
        ctype, text, added = _wire(ex)
        body = None if ex.request.body is None else json.dumps(ex.request.body, ensure_ascii=False)
        headers = {k: [v] for k, v in ex.response.headers.items()}
        if added:
            headers["content-type"] = [ctype]
        sent = {k: [v] for k, v in ex.request.match_headers.items()}
        if body is not None:
            sent["content-type"] = ["application/json"]
        it: dict[str, Any] = {
            "request": {
                "body": body,
                "headers": sent,
                "method": ex.request.method,
                "uri": _API + ex.request.path,
            },
            "response": {
                "body": {"string": text},
                "headers": headers,
                "status": {"code": ex.response.status, "message": _reason(ex.response.status)},
            },
        }
        extra = _primer_extra(ex, added)
        if extra:
            it[_PRIMER] = extra
        interactions.append(it)
    text = yaml.safe_dump({"interactions": interactions, "version": 1}, allow_unicode=True, sort_keys=False)
    _write(text, Path(out))
    return f"{out}: exported {len(interactions)} exchange(s) of {Path(recording).name} as a vcrpy cassette"


def export_har(recording: str | Path, out: str | Path) -> str:
    """Write a course recording as a HAR 1.2 file; returns a summary line."""
    rec = _load(recording)
    date = str(rec.provenance.get("date") or "1970-01-01")
    started = f"{date}T00:00:00.000Z" if re.match(r"^\d{4}-\d{2}-\d{2}$", date) else "1970-01-01T00:00:00.000Z"
    entries = []
    for ex in rec.exchanges:
        ctype, text, added = _wire(ex)
        url = _API + ex.request.path
        request: dict[str, Any] = {
            "method": ex.request.method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in ex.request.match_headers.items()],
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query)],
            "headersSize": -1,
            "bodySize": 0,
        }
        if ex.request.body is not None:
            post = json.dumps(ex.request.body, ensure_ascii=False)
            request["postData"] = {"mimeType": "application/json", "text": post}
            request["bodySize"] = len(post.encode("utf-8"))
        headers = [{"name": k, "value": v} for k, v in ex.response.headers.items()]
        if added:
            headers.append({"name": "content-type", "value": ctype})
        events = ex.response.events or []
        wait = events[0]["at"] * 1000 if events else 0
        receive = (events[-1]["at"] - events[0]["at"]) * 1000 if events else 0
        entry: dict[str, Any] = {
            "startedDateTime": started,
            "time": wait + receive,
            "request": request,
            "response": {
                "status": ex.response.status,
                "statusText": _reason(ex.response.status),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": headers,
                "content": {"size": len(text.encode("utf-8")), "mimeType": ctype, "text": text},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(text.encode("utf-8")),
            },
            "cache": {},
            "timings": {"send": 0, "wait": wait, "receive": receive},
        }
        extra = _primer_extra(ex, added)
        if extra:
            entry["_primer"] = extra  # HAR 1.2 allows custom fields whose names start with "_"
        entries.append(entry)
    har = {"log": {"version": "1.2", "creator": {"name": "claude-api-primer", "version": "1"}, "entries": entries}}
    _write(json.dumps(har, ensure_ascii=False, indent=1) + "\n", Path(out))
    return f"{out}: exported {len(entries)} exchange(s) of {Path(recording).name} as HAR 1.2"


def _load(recording: str | Path) -> Any:
    try:
        return load_recording(recording)
    except RecordingError as e:
        raise InteropError(str(e)) from None
