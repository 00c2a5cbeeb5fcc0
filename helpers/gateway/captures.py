"""Reading what other tools recorded, bounded: vcrpy and pytest-recording cassettes (version 1), Ruby VCR
cassettes (`http_interactions`, `!binary` bodies), pydantic-ai's `parsed_body`, and HAR 1.2 files, each read into
a list of raw interactions for `interop` to convert. Every limit here is one a hostile file would test: the file's
size, YAML aliases expanded, a body's inflated size, and the waits a HAR's timings ask replay to take.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from pathlib import Path
from typing import Any

__all__ = ["InteropError", "MAX_FILE", "MAX_BODY", "MAX_YAML_NODES", "MAX_WAIT", "read_vcr", "read_har"]


MAX_FILE = 64 * 2**20  # the largest cassette or HAR file read (the largest public one known is under 1 MB)
MAX_BODY = 32 * 2**20  # the most a compressed body may inflate to
MAX_YAML_NODES = 2_000_000  # YAML nodes a cassette may expand to, aliases counted each time they are used
MAX_WAIT = 60.0  # seconds: the longest first-byte wait or stream a HAR's timings may ask replay to take
_PRIMER = "primer"  # our own key in a cassette interaction / "_primer" in a HAR entry: what the formats lack


class InteropError(ValueError):
    """An input that cannot be imported or exported; the message is one line."""


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise InteropError("vcrpy cassettes are YAML: pip install pyyaml") from None
    return yaml


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and "string" in value:
        return _as_bytes(value["string"])
    return json.dumps(value).encode("utf-8")


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Headers as (name, value) pairs, from vcrpy's {name: [values]} or HAR's [{name, value}]."""
    if isinstance(headers, dict):
        out = []
        for k, v in headers.items():
            for one in v if isinstance(v, list) else [v]:
                out.append((str(k), str(one)))
        return out
    if isinstance(headers, list):
        return [(str(h.get("name", "")), str(h.get("value", ""))) for h in headers if isinstance(h, dict)]
    return []


def _read(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE:
        raise InteropError(f"{path.name}: {size // 2**20} MB is more than the {MAX_FILE // 2**20} MB an import reads")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InteropError(f"{path.name}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def _yaml_loader(yaml: Any, name: str) -> Any:
    """PyYAML's safe loader, plus the benign tags cassettes hold, and a bound on what aliases expand to."""

    class _Loader(yaml.SafeLoader):
        def get_single_node(self) -> Any:
            node = super().get_single_node()
            sizes: dict[int, int] = {}

            def size(n: Any) -> int:  # nodes once composed, counting a shared (aliased) node at every use
                if id(n) in sizes:
                    return sizes[id(n)]
                sizes[id(n)] = 0  # a recursive alias counts once
                total = 1
                if isinstance(n, yaml.SequenceNode):
                    total += sum(size(c) for c in n.value)
                elif isinstance(n, yaml.MappingNode):
                    total += sum(size(k) + size(v) for k, v in n.value)
                sizes[id(n)] = min(total, MAX_YAML_NODES + 1)
                return sizes[id(n)]

            if node is not None and size(node) > MAX_YAML_NODES:
                raise InteropError(
                    f"{name}: its YAML aliases expand past {MAX_YAML_NODES:,} nodes; not imported (an alias bomb?)"
                )
            return node

    def text(loader: Any, node: Any) -> str:
        return loader.construct_scalar(node)

    def binary(loader: Any, node: Any) -> bytes:  # Ruby VCR's `!binary`: base64 of the bytes
        try:
            return base64.b64decode("".join(loader.construct_scalar(node).split()), validate=True)
        except ValueError:
            raise InteropError(f"{name}: line {node.start_mark.line + 1}: a !binary value is not base64") from None

    _Loader.add_constructor("tag:yaml.org,2002:python/unicode", text)  # vcrpy's own safe loader takes these two
    _Loader.add_constructor("tag:yaml.org,2002:python/str", text)
    _Loader.add_constructor("!binary", binary)
    return _Loader


def _body(part: dict[str, Any], where: str) -> bytes:
    """A cassette body in any of the published forms: vcrpy's text or {string: ...}, Ruby VCR's
    {encoding, string} (string may be !binary bytes), pydantic-ai's `parsed_body` (the JSON already parsed)."""
    if "parsed_body" in part and part.get("body") in (None, "", {}):
        value = part["parsed_body"]
        if value is None:
            return b""
        if isinstance(value, list):
            raise InteropError(
                f"{where}: a `parsed_body` list (a stream parsed into parts?) cannot be turned back into the"
                " bytes the API sent; record that test again with the raw body kept"
            )
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False).encode("utf-8")
        return _as_bytes(value)
    body = part.get("body", part.get("content"))
    if isinstance(body, dict) and "string" not in body and body:
        keys = sorted(map(str, body))[:4]
        raise InteropError(f"{where}: a body with keys {keys} and no `string` is not a form this reads")
    return _as_bytes(body)


def _date_of(value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return value if isinstance(value, str) else None


def read_vcr(path: Path) -> list[dict[str, Any]]:
    """vcrpy / pytest-recording (version 1, `interactions`) and Ruby VCR (`http_interactions`) cassettes."""
    yaml = _yaml()
    text = _read(path)
    try:
        data = yaml.load(text, Loader=_yaml_loader(yaml, path.name))
    except yaml.YAMLError as e:
        raise InteropError(f"{path.name}: not a YAML cassette ({str(e).splitlines()[0]})") from None
    except RecursionError:
        raise InteropError(f"{path.name}: its YAML nests too deeply to read") from None
    key = next((k for k in ("interactions", "http_interactions") if isinstance(data, dict) and k in data), None)
    if key is None or not isinstance(data[key], list):
        raise InteropError(
            f"{path.name}: not a cassette (a mapping with `interactions`, as vcrpy writes, or `http_interactions`,"
            " as Ruby VCR writes)"
        )
    if key == "interactions" and data.get("version", 1) != 1:
        raise InteropError(f"{path.name}: cassette version {data.get('version')!r}; only version 1 is read")
    raws = []
    for i, it in enumerate(data[key]):
        where = f"{path.name}: {key}[{i}]"
        req, resp = (it.get("request"), it.get("response")) if isinstance(it, dict) else (None, None)
        if not isinstance(req, dict) or not isinstance(resp, dict):
            raise InteropError(f"{where} needs a request and a response")
        status = resp.get("status", {})
        code = status.get("code") if isinstance(status, dict) else resp.get("status_code", status)
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise InteropError(f"{where}: the response has no HTTP status code (got {code!r})") from None
        raws.append(
            {
                "where": f"{key}[{i}]",
                "method": req.get("method", ""),
                "url": str(req.get("uri", req.get("url", ""))),
                "request_headers": _pairs(req.get("headers")),
                "request_body": _body(req, f"{where}.request"),
                "status": code,
                "response_headers": _pairs(resp.get("headers")),
                "response_body": _body(resp, f"{where}.response"),
                "recorded_at": _date_of(it.get("recorded_at")),
                "primer": it.get(_PRIMER) if isinstance(it.get(_PRIMER), dict) else None,
            }
        )
    return raws


def read_har(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(_read(path))
        entries = data["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InteropError(f"{path.name}: not a HAR file ({e})") from None
    except (KeyError, TypeError):
        raise InteropError(f"{path.name}: not a HAR file (needs log.entries)") from None
    raws = []
    for i, e in enumerate(entries):
        where = f"log.entries[{i}]"
        req, resp = e.get("request", {}), e.get("response", {})
        post = req.get("postData") or {}
        content = resp.get("content") or {}
        timings = e.get("timings") or {}

        def body(part: dict[str, Any], where: str = where) -> bytes:
            text = part.get("text")
            if text is None:
                return b""
            if part.get("encoding") == "base64":
                try:
                    return base64.b64decode(text, validate=False)
                except ValueError:
                    raise InteropError(f"{path.name}: {where}: a base64 body does not decode") from None
            return str(text).encode("utf-8")

        wait, receive = timings.get("wait"), timings.get("receive")
        raws.append(
            {
                "where": where,
                "method": req.get("method", ""),
                "url": str(req.get("url", "")),
                "request_headers": _pairs(req.get("headers")),
                "request_body": body(post),
                "status": resp.get("status", 0),
                "response_headers": _pairs(resp.get("headers"))
                or ([("content-type", content["mimeType"])] if content.get("mimeType") else []),
                "response_body": body(content),
                "wait": _seconds(wait),
                "receive": _seconds(receive),
                "started": e.get("startedDateTime"),
                "primer": e.get("_primer") if isinstance(e.get("_primer"), dict) else None,
            }
        )
    return raws


def _seconds(ms: Any) -> float | None:
    """A HAR timing (milliseconds; -1 when unknown) in seconds, at most MAX_WAIT: replay waits what it says."""
    if not isinstance(ms, (int, float)) or isinstance(ms, bool) or not ms >= 0:
        return None
    return min(ms / 1000, MAX_WAIT)


