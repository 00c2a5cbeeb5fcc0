"""Raw HTTP over loopback sockets (the SDK and http.client would hide the wire), gateways to attack, and the
guards that keep an attack on this machine: no test here makes a connection beyond loopback."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_upstream import FakeUpstream, message

import helpers
from helpers.gateway import Gateway
from helpers.gateway.budget import Ledger
from helpers.gateway.recordings import Recording, parse_recording
from helpers.gateway.upstream import Upstream
from helpers.models import HAIKU, OPUS

HELLO = {"model": OPUS, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello, Claude!"}]}
SMALL = {"model": HAIKU, "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
CLIENT_KEY = "attack-client-key-not-real"  # what a client sends to a gateway under attack: not key-shaped
JSON = [("Content-Type", "application/json"), ("x-api-key", CLIENT_KEY), ("anthropic-version", "2023-06-01")]
TIMEOUT = 5.0  # every socket operation has a deadline: nothing here can hang


def fake_key() -> str:
    # Built by concatenation so the file holds nothing shaped like a key (secret scanners, test_no_secrets).
    return "sk-" + "ant-api03-" + "A" * 95


def clip(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- raw HTTP over loopback sockets (the SDK and http.client would hide the wire) ---------------------------


@dataclass
class Resp:
    status: int  # 0: no answer at all (empty reply or dropped connection)
    headers: dict[str, str]
    body: bytes
    head: str = ""  # the raw status line and header lines, as received
    closed: bool = False  # the server closed the connection after this answer
    note: str = ""

    def error(self) -> dict[str, Any] | None:
        """The API's error envelope's inner object, or None if the body is not that envelope."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        if not (isinstance(data, dict) and data.get("type") == "error" and isinstance(data.get("error"), dict)):
            return None
        inner = data["error"]
        return inner if isinstance(inner.get("type"), str) and isinstance(inner.get("message"), str) else None

    def describe(self) -> str:
        if self.status == 0:
            return f"no answer ({self.note or 'connection closed without a reply'})"
        err = self.error()
        what = f"{err['type']}: {clip(err['message'], 100)}" if err else repr(self.body[:80])
        return f"{self.status} {self.headers.get('content-type', '-')} {what}"


class Reader:
    """Buffered reads from a socket against one deadline; a reset counts as the end of the stream."""

    def __init__(self, sock: socket.socket | None, deadline: float, data: bytes = b""):
        self.sock, self.deadline, self.buf = sock, deadline, data
        self.eof = sock is None
        self.reset = False

    def more(self) -> bool:
        left = self.deadline - time.monotonic()
        if self.eof or left <= 0 or self.sock is None:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return False
        except OSError:
            self.eof = self.reset = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buf:
            if not self.more():
                return None
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n: int) -> bytes | None:
        while len(self.buf) < n:
            if not self.more():
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self) -> bytes:
        while self.more():
            pass
        out, self.buf = self.buf, b""
        return out

    def closed_soon(self, wait: float = 2.0) -> bool:
        """Whether the peer closes within `wait` seconds with nothing more to say."""
        if self.buf:
            return False
        self.deadline = min(self.deadline, time.monotonic() + wait)
        return not self.more() and self.eof


def read_response(r: Reader, head_only: bool = False) -> Resp:
    raw = r.until(b"\r\n\r\n")
    if raw is None:
        note = "connection reset" if r.reset else "closed" if r.eof else "no reply before the deadline"
        return Resp(0, {}, b"", closed=r.eof, note=f"{note}; got {r.buf[:60]!r}" if r.buf else note)
    head = raw.decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        return Resp(0, {}, r.buf, head, note=f"not an HTTP answer: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if head_only or status in (204, 304) or status < 200:
        pass
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = r.until(b"\r\n")
            if size_line is None:
                break
            try:
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                break
            if size == 0:
                r.until(b"\r\n")
                break
            chunk = r.exactly(size + 2)
            if chunk is None:
                break
            body += chunk[:-2]
    elif "content-length" in headers:
        try:
            body = r.exactly(int(headers["content-length"])) or b""
        except ValueError:
            body = r.rest()
    else:
        body = r.rest()
    return Resp(status, headers, body, head)


def _b(x: str | bytes) -> bytes:
    return x if isinstance(x, bytes) else x.encode("latin-1")


def request_bytes(
    method: str, path: str | bytes, port: int, body: bytes = b"", headers: list[tuple[Any, Any]] | None = None
) -> bytes:
    lines = [_b(method) + b" " + _b(path) + b" HTTP/1.1", b"Host: 127.0.0.1:%d" % port]
    lines += [_b(k) + b": " + _b(v) for k, v in headers or []]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")  # frees the gateway's worker at once
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def connect(port: int, source: str | None = None, timeout: float = TIMEOUT) -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", port), timeout=timeout, source_address=(source, 0) if source else None
    )


def send(
    port: int, data: bytes, *, head_only: bool = False, timeout: float = TIMEOUT, source: str | None = None
) -> Resp:
    """Send raw bytes on a new connection and read one answer (and whether the server then closes)."""
    with connect(port, source, timeout) as s:
        note = ""
        try:
            s.sendall(data)
        except OSError as e:  # the server may answer and close before reading a large body
            note = f"send failed ({type(e).__name__})"
        r = Reader(s, time.monotonic() + timeout)
        resp = read_response(r, head_only)
        if resp.status:
            resp.closed = r.closed_soon(1.0)
        if note:
            resp.note = f"{note}; {resp.note}" if resp.note else note
        return resp


def raw_call(
    port: int,
    method: str,
    path: str,
    body: bytes | dict[str, Any] = b"",
    headers: list[tuple[Any, Any]] | None = None,
    **kw: Any,
) -> Resp:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return send(port, request_bytes(method, path, port, raw, JSON if headers is None else headers), **kw)


# --- gateways, fakes and guards ----------------------------------------------------------------------------


def recording(exchanges: list[dict[str, Any]], name: str = "attack") -> Recording:
    data = {"format": 1, "provenance": {"source": "authored", "note": "tests/hardening"}, "exchanges": exchanges}
    return parse_recording(json.loads(json.dumps(data)), name, f"{name}.json")


def hello_exchange() -> dict[str, Any]:
    return {
        "request": {"method": "POST", "path": "/v1/messages", "body": HELLO},
        "response": {"status": 200, "headers": {}, "body": message("Hi", OPUS, 10, 5)},
    }


@contextlib.contextmanager
def replay_gateway(recordings: list[Recording] | None = None, **kw: Any) -> Iterator[Gateway]:
    gw = Gateway(recordings if recordings is not None else [recording([hello_exchange()])], speed=0, **kw)
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


@contextlib.contextmanager
def live_gateway(cap: float = 2.0, ledger: Path | None = None) -> Iterator[tuple[Gateway, FakeUpstream]]:
    with tempfile.TemporaryDirectory(prefix="primer-hardening-") as tmp:
        up = FakeUpstream()
        gw = None
        try:
            book = Ledger(ledger or Path(tmp) / "ledger.json", cap)
            gw = Gateway([], mode="live", upstream=Upstream(up.url), ledger=book, speed=0).start()
            yield gw, up
        finally:
            if gw is not None:
                gw.stop()
            up.stop()


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


@contextlib.contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Refuse (and list) every connection to a non-loopback address while the attack runs."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refused(self: socket.socket, address: Any) -> bool:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            attempts.append(f"{address[0]}:{address[1]}")
            return True
        return False

    def connect(self: socket.socket, address: Any) -> None:
        if refused(self, address):
            raise ConnectionRefusedError(f"attack guard: no connection to {address[0]} (loopback only)")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        return 111 if refused(self, address) else real_connect_ex(self, address)

    own = {name: name in socket.socket.__dict__ for name in ("connect", "connect_ex")}
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        for name, real in (("connect", real_connect), ("connect_ex", real_connect_ex)):
            if own[name]:
                setattr(socket.socket, name, real)
            else:
                delattr(socket.socket, name)  # inherited again from _socket.socket, as before


_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@contextlib.contextmanager
def course_env(**values: str) -> Iterator[None]:
    """A clean PRIMER_/ANTHROPIC_ environment for setup(), restored whole afterwards; no .env is read."""
    import helpers.config as config
    import helpers.session as session

    saved = dict(os.environ)
    for k in list(os.environ):
        if k.startswith(("PRIMER_", "ANTHROPIC_")) or k.lower() in _PROXY_VARS:
            del os.environ[k]
    os.environ.update(values)
    patched = [(m, m.load_env) for m in (session, config) if hasattr(m, "load_env")]
    for m, _ in patched:
        m.load_env = lambda *a, **k: False  # type: ignore[attr-defined]  # a developer's .env must not steer it
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # setup's banner is not the script's output
            yield
    finally:
        with contextlib.suppress(Exception):
            helpers.teardown()
        for m, real in patched:
            m.load_env = real  # type: ignore[attr-defined]
        os.environ.clear()
        os.environ.update(saved)


def run_setup(name: str = "01_first_request") -> BaseException | None:
    """Run helpers.setup; return what it raised (None if it succeeded)."""
    try:
        helpers.setup(name)
    except Exception as e:  # noqa: BLE001 - the caller judges which exception it was
        return e
    return None
