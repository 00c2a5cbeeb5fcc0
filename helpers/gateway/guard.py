"""Whom the gateway talks to: the Host and Origin it answers, the headers it forwards, and what it never echoes.

- Host must be a loopback name (localhost, 127.0.0.0/8, ::1), the address the gateway listens on, an IP
  address when it listens on every interface (a room), or a name given with `room_hosts`: a DNS-rebound
  page (its Host is the attacker's name) gets nothing.
- A request whose Origin (or Sec-Fetch-Site) says it comes from another site is refused: a page in the
  learner's browser cannot use the gateway. The SDK and the notebooks send no Origin.
- Only an allow-list of headers goes upstream: the browser's Cookie, Origin and Referer never do.
- `redact` hides key-shaped strings (whole or in part) in anything the gateway says back.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "is_loopback",
    "host_problem",
    "origin_problem",
    "upstream_headers",
    "redact",
    "redact_json",
    "UPSTREAM_HEADERS",
]

# What the SDK sends that the API reads; everything else (Cookie, Origin, Referer, proxies' headers) stays here.
UPSTREAM_HEADERS = frozenset(
    {"x-api-key", "authorization", "anthropic-version", "anthropic-beta", "content-type", "accept", "user-agent"}
)
_UPSTREAM_PREFIXES = ("x-stainless-",)  # the SDK's retry count, timeout and platform


def is_loopback(host: str | None) -> bool:
    """Whether `host` (a name or an address, brackets allowed) is this machine."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    return (urlsplit(f"//{host_header}").hostname or "") if host_header else ""


def host_problem(host_header: str | None, bind_host: str, room_hosts: Iterable[str] = ()) -> str | None:
    """Why a request with this Host header is refused, or None. A request without one (HTTP/1.0) passes."""
    if host_header is None:
        return None
    try:
        name = _hostname(host_header.strip())
    except ValueError:
        name = ""
    if name and (is_loopback(name) or name == bind_host.strip("[]").lower()):
        return None
    if name and name in {h.lower() for h in room_hosts}:
        return None
    if name and bind_host in ("0.0.0.0", "", "::") and _is_ip(name):
        return None  # a room gateway on every interface: any of this machine's addresses (never a name)
    return (
        f"Course gateway: Host {host_header[:80]!r} is not this gateway's address; use http://127.0.0.1 and its "
        "port, or start the room gateway with --room-host NAME to allow a name."
    )


def origin_problem(origin: str | None, host_header: str | None, fetch_site: str | None) -> str | None:
    """Why a request a web page made is refused (another site's Origin), or None."""
    if fetch_site and fetch_site.lower() not in ("same-origin", "none"):
        return f"Course gateway: a request from another site ({fetch_site[:20]}) is refused."
    if origin is None:
        return None
    parts = urlsplit(origin.strip()) if origin.strip() != "null" else None
    if parts is not None and parts.scheme in ("http", "https") and host_header and parts.netloc == host_header:
        return None
    return f"Course gateway: a request from the web page {origin[:80]!r} is refused; call the gateway from Python."


def upstream_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """The request headers the upstream may see: the allow-list, nothing else."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: v for k, v in items if k.lower() in UPSTREAM_HEADERS or k.lower().startswith(_UPSTREAM_PREFIXES)}


# A key's start, however short the rest ("sk-ant-" and a few characters are enough to hide), a Bearer token,
# and the middle of a key cut out of its context (a long run of the key alphabet with its "-" and "_" mix).
_KEYISH = re.compile(r"sk-ant-[A-Za-z0-9_\-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-.~+/=]{8,}")
_RUN = re.compile(r"[A-Za-z0-9_\-]{40,}")


def redact(text: str, *, runs: bool = False) -> str:
    """`text` with every key-shaped string and Bearer token replaced by a marker; with `runs`, every run of 40
    or more key characters too (what a miss message quotes may be a key cut out of its context)."""
    text = _KEYISH.sub("sk-ant-…(hidden)", text)
    text = _BEARER.sub(r"\1…(hidden)", text)
    return _RUN.sub("…(hidden)", text) if runs else text


def redact_json(value: Any) -> Any:
    """A copy of parsed JSON with keys and Bearer tokens hidden in every string (for a miss message's diff)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v) for k, v in value.items()}
    return value
