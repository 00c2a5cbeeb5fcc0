"""multipart/form-data request bodies (the Files API's upload) as a JSON value that replay can match.

A multipart body holds a boundary the client draws at random, so its bytes differ on every upload of the same
file. `form_body` reads it into a canonical JSON object that does not depend on the boundary or on the order
of the parts, and that a recording can hold:

    {"multipart": {"file": {"filename": "invoice.pdf", "content_type": "application/pdf",
                            "size": 3009, "sha256": "..."}, "expires_in_seconds": "3600"}}

A part with a filename becomes its name, type, size and SHA-256 (never its bytes: a recording stays small and
the file's content is pinned exactly); any other part becomes its text. Malformed bodies are refused with one
line, as `parse_body` refuses bad JSON. Stdlib only: the gateway core and the browser edition use it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_PARTS", "is_multipart", "form_body", "request_body"]

MAX_PARTS = 16  # the SDK sends one or two; more is refused rather than parsed
_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,200})"|([^\s;,"]{1,200}))', re.I)
_PARAM = re.compile(r';\s*([A-Za-z*]+)="((?:\\.|[^"\\])*)"|;\s*([A-Za-z*]+)=([^;\s]+)')


def is_multipart(content_type: str | None) -> bool:
    """Whether a Content-Type header value names multipart/form-data."""
    return bool(content_type) and content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def _disposition(value: str) -> dict[str, str]:
    if value.split(";", 1)[0].strip().lower() != "form-data":
        return {}
    params = {}
    for m in _PARAM.finditer(value):
        key = (m.group(1) or m.group(3)).lower()
        raw = m.group(2) if m.group(1) else m.group(4)
        params[key] = re.sub(r"\\(.)", r"\1", raw) if m.group(1) else raw
    return params


def form_body(raw: bytes, content_type: str) -> tuple[Any, str | None]:
    """The canonical JSON form of a multipart/form-data body, or None and why it is refused."""
    m = _BOUNDARY.search(content_type or "")
    if not m:
        return None, "The multipart/form-data body has no boundary in its Content-Type."
    delimiter = b"--" + (m.group(1) or m.group(2)).encode("latin-1")
    pieces = raw.split(b"\r\n" + delimiter)
    if not pieces[0].startswith(delimiter):
        return None, "The multipart/form-data body does not start with its boundary."
    pieces[0] = pieces[0][len(delimiter) :]
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        return None, "The multipart/form-data body does not end with its closing boundary."
    parts = pieces[:-1]
    if len(parts) > MAX_PARTS:
        return None, f"The multipart/form-data body has more than {MAX_PARTS} parts."
    fields: dict[str, Any] = {}
    for i, part in enumerate(parts):
        if not part.startswith(b"\r\n") or b"\r\n\r\n" not in part:
            return None, f"Part {i + 1} of the multipart/form-data body has no header block."
        head, _, data = part[2:].partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, sep, value = line.partition(":")
            if not sep:
                return None, f"Part {i + 1} of the multipart/form-data body has a malformed header line."
            headers[name.strip().lower()] = value.strip()
        disp = _disposition(headers.get("content-disposition", ""))
        name = disp.get("name")
        if not name:
            return None, f"Part {i + 1} of the multipart/form-data body has no form-data name."
        if name in fields:
            return None, f"The multipart/form-data body names the field {name[:40]!r} twice."
        if "filename" in disp:
            fields[name] = {
                "filename": disp["filename"],
                "content_type": headers.get("content-type", "application/octet-stream"),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        else:
            try:
                fields[name] = data.decode("utf-8")
            except UnicodeDecodeError:
                return None, f"Field {name[:40]!r} of the multipart/form-data body is not UTF-8 text."
    return {"multipart": fields}, None


def request_body(raw: bytes, headers: Mapping[str, str] | Any) -> tuple[Any, str | None] | None:
    """`form_body` for a request whose Content-Type is multipart/form-data; None for any other request.

    `headers` is any mapping with a case-insensitive get (the handler's headers, the browser transport's)."""
    content_type = headers.get("content-type") or headers.get("Content-Type") or ""
    return form_body(raw, content_type) if is_multipart(content_type) else None
