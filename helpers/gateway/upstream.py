"""Live and record modes: forward a request to the real API and capture what came back.

`live.forward` opens the request here: only an allow-list of headers goes upstream (`guard.upstream_headers`),
the client's own auth header among them, unchanged (Bearer or x-api-key); request headers are never logged
or stored. An upstream URL must be https beyond loopback and hold no user name or password.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..config import ConfigError
from .guard import is_loopback, upstream_headers
from .recordings import is_allowed_header
from .routes import find_route
from .secrets import exchange_secrets

__all__ = ["Upstream", "SseSplitter", "Recorder", "HOP_BY_HOP", "json_or_lines"]

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
    "content-encoding",
}


@dataclass
class Upstream:
    """Where live calls go (PRIMER_UPSTREAM_URL), with a short connect timeout and a long read timeout."""

    url: str
    connect_timeout: float = 10.0
    read_timeout: float = 600.0  # the SDK's own default: long thinking answers take minutes

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.url)
            port = parts.port
        except ValueError:
            parts, port = None, None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("PRIMER_UPSTREAM_URL must be an http(s) URL like https://api.anthropic.com.")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            # never echoed: the message names the problem, not the URL that holds the secret
            raise ConfigError(
                "PRIMER_UPSTREAM_URL holds a user name or password; take it out (the key goes in .env as "
                "ANTHROPIC_API_KEY)."
            )
        if parts.query or parts.fragment:
            raise ConfigError("PRIMER_UPSTREAM_URL must have no query string or fragment; use the base URL only.")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ConfigError(
                f"PRIMER_UPSTREAM_URL=http://{parts.hostname} is plain HTTP to another machine: your key would "
                "cross the network unencrypted. Use https://, or an upstream on this machine."
            )
        self.scheme, self.hostname = parts.scheme, parts.hostname
        self.port = port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path.rstrip("/")

    @property
    def shown(self) -> str:
        """The upstream's address as it may be shown (banner, status, errors)."""
        return self.url

    def open(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[Any, Any]:
        """Send the request; return (connection, response). OSError/HTTPException on failure."""
        if self.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.hostname, self.port, timeout=self.connect_timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(self.hostname, self.port, timeout=self.connect_timeout)
        conn.connect()
        conn.sock.settimeout(self.read_timeout)
        sent = upstream_headers(headers)  # an allow-list: Cookie, Origin, Referer and the rest stay here
        sent["Accept-Encoding"] = "identity"  # the meter reads usage from the bytes it relays
        conn.request(method, self.base_path + path, body=body or None, headers=sent)
        return conn, conn.getresponse()


class SseSplitter:
    """Cuts a byte stream into (event, data) pairs as complete events arrive."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self._buf += chunk.replace(b"\r\n", b"\n")
        out = []
        while b"\n\n" in self._buf:
            raw, self._buf = self._buf.split(b"\n\n", 1)
            name, data = "message", []
            for line in raw.decode("utf-8", errors="replace").split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
            if data:
                out.append((name, "\n".join(data)))
        return out


_SEND_FIX = "send a key only in the x-api-key or Authorization header, which are never recorded"
_ANSWER_FIX = "the answer repeats it: take the key out of what the notebook sends, then record again"


@dataclass
class Recorder:
    """Exchanges in the order their requests arrived, in the recording format (allow-listed headers only).

    Every exchange is scanned before it is kept: one that holds a key, a Bearer token or an x-api-key value
    anywhere (path and query, request body, response headers, body, events or lines) is not kept and becomes a
    failure naming the place, never the key, so `complete()` refuses and nothing of it can be saved.
    """

    exchanges: list[dict[str, Any] | None] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> int:
        with self._lock:
            self.exchanges.append(None)
            return len(self.exchanges) - 1

    def finish(
        self,
        slot: int,
        method: str,
        path: str,
        body: Any,
        status: int,
        headers: dict[str, str],
        payload: dict[str, Any],
    ) -> None:
        req: dict[str, Any] = {"method": method, "path": path}
        if body is not None:
            req["body"] = body
        kept = {k.lower(): v for k, v in headers.items() if is_allowed_header(k)}
        exchange = {"request": req, "response": {"status": status, "headers": kept, **payload}}
        found = exchange_secrets(exchange)
        if found:  # the slot stays empty: the secret is not held a moment longer than the scan
            more = f" (and {len(found) - 1} more places)" if len(found) > 1 else ""
            fix = _SEND_FIX if found[0].startswith("request") else _ANSWER_FIX
            self.fail(slot, f"{found[0]}{more}; {fix}")
            return
        with self._lock:
            self.exchanges[slot] = exchange

    def fail(self, slot: int, why: str) -> None:
        """Mark exchange `slot` as failed, for a one-line reason."""
        with self._lock:
            self.failures.append(f"exchange {slot}: {why}")

    def complete(self) -> list[dict[str, Any]]:
        """The captured exchanges; raises if any failed or a request never got a response."""
        with self._lock:
            if self.failures:
                raise RuntimeError(f"recording failed: {self.failures[0]}")
            if any(x is None for x in self.exchanges):
                raise RuntimeError("a request was still running when recording ended")
            return list(self.exchanges)  # type: ignore[arg-type]


def json_or_lines(path: str, data: bytes) -> dict[str, Any]:
    """A non-streamed upstream body as a recording payload: JSONL for batch results, else JSON."""
    text = data.decode("utf-8", errors="replace")
    try:
        route = find_route("GET", path)
        if route is not None and route.answer == "jsonl":
            return {"lines": [json.loads(line) for line in text.splitlines() if line.strip()]}
        return {"body": json.loads(text) if text.strip() else None}
    except (ValueError, RecursionError):
        return {"body": text}  # not JSON (or not JSONL): kept as text, and never settles anything
