"""Bounded attacks on the course gateway's two promises: the live budget cannot be overrun, and a
learner's key never leaks.

    python tools/attack.py [NAME ...]      (names: crashes, remote_key, budget_killed, ...; default all)

Each `attack_<name>()` starts its own gateway on loopback (with tests/fake_upstream.FakeUpstream where
live mode is needed, and a ledger in a temporary folder), stops it, and returns
Result(name, held, detail, figures). Nothing leaves the machine: attacks that make `setup` resolve an
address run under a socket guard that refuses every non-loopback connection. Each attack takes a few
seconds at most, and bodies are scaled down (a few 5 MB bodies, not 50 MB ones).
Prints one line per attack (HELD or BROKEN, what was seen, figures such as RSS growth and timings) and
exits 1 if any broke. tests/test_attacks.py asserts the same outcomes, without the timings.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import ipaddress
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import anthropic  # noqa: E402
from fake_upstream import FakeUpstream, LoopbackServer, Reply, message  # noqa: E402

import helpers  # noqa: E402
from helpers.config import ConfigError  # noqa: E402
from helpers.gateway import Gateway  # noqa: E402
from helpers.gateway.budget import BudgetExceeded, Estimate, Ledger, worst_case  # noqa: E402
from helpers.gateway.meter import Charge  # noqa: E402
from helpers.gateway.recordings import Recording, RecordingError, load_recordings, parse_recording  # noqa: E402
from helpers.gateway.upstream import Upstream  # noqa: E402
from helpers.models import HAIKU, OPUS, SONNET, model_info  # noqa: E402
from helpers.pricing import price_of  # noqa: E402

__all__ = ["Result", "ATTACKS", "main"] + [
    "attack_crashes",
    "attack_remote_key",
    "attack_budget_killed",
    "attack_budget_unbounded",
    "attack_budget_paths",
    "attack_budget_batch_window",
    "attack_slowloris",
    "attack_misses",
    "attack_ledger_failures",
    "attack_rewriting",
    "attack_injection",
    "attack_methods",
]

HELLO = {"model": OPUS, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello, Claude!"}]}
SMALL = {"model": HAIKU, "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
CLIENT_KEY = "attack-client-key-not-real"  # what a client sends to a gateway under attack: not key-shaped
JSON = [("Content-Type", "application/json"), ("x-api-key", CLIENT_KEY), ("anthropic-version", "2023-06-01")]
TIMEOUT = 5.0  # every socket operation has a deadline: nothing here can hang


def _fake_key() -> str:
    # Built by concatenation so the file holds nothing shaped like a key (secret scanners, test_no_secrets).
    return "sk-" + "ant-api03-" + "A" * 95


@dataclass(frozen=True)
class Result:
    name: str
    held: bool
    detail: str
    figures: str = ""


@dataclass
class _Check:
    problems: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    def expect(self, ok: Any, problem: str) -> bool:
        if not ok:
            self.problems.append(problem)
        return bool(ok)


def _clip(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _attack(fn: Callable[[_Check], str]) -> Callable[[], Result]:
    """An attack reports; it never raises: an exception out of the gateway's code is a broken promise too."""
    name = fn.__name__.removeprefix("attack_")

    @functools.wraps(fn)
    def run() -> Result:
        check = _Check()
        try:
            summary = fn(check)
        except Exception as e:  # noqa: BLE001 - reported as the finding
            check.problems.append(f"the attack raised {type(e).__name__}: {_clip(str(e))}")
            summary = ""
        held = not check.problems
        return Result(name, held, summary if held else "; ".join(check.problems), "; ".join(check.figures))

    return run


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
        what = f"{err['type']}: {_clip(err['message'], 100)}" if err else repr(self.body[:80])
        return f"{self.status} {self.headers.get('content-type', '-')} {what}"


class _Reader:
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


def _read_response(r: _Reader, head_only: bool = False) -> Resp:
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


def _request_bytes(
    method: str, path: str | bytes, port: int, body: bytes = b"", headers: list[tuple[Any, Any]] | None = None
) -> bytes:
    lines = [_b(method) + b" " + _b(path) + b" HTTP/1.1", b"Host: 127.0.0.1:%d" % port]
    lines += [_b(k) + b": " + _b(v) for k, v in headers or []]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")  # frees the gateway's worker at once
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _connect(port: int, source: str | None = None, timeout: float = TIMEOUT) -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", port), timeout=timeout, source_address=(source, 0) if source else None
    )


def _send(
    port: int, data: bytes, *, head_only: bool = False, timeout: float = TIMEOUT, source: str | None = None
) -> Resp:
    """Send raw bytes on a new connection and read one answer (and whether the server then closes)."""
    with _connect(port, source, timeout) as s:
        note = ""
        try:
            s.sendall(data)
        except OSError as e:  # the server may answer and close before reading a large body
            note = f"send failed ({type(e).__name__})"
        r = _Reader(s, time.monotonic() + timeout)
        resp = _read_response(r, head_only)
        if resp.status:
            resp.closed = r.closed_soon(1.0)
        if note:
            resp.note = f"{note}; {resp.note}" if resp.note else note
        return resp


def _http(
    port: int,
    method: str,
    path: str,
    body: bytes | dict[str, Any] = b"",
    headers: list[tuple[Any, Any]] | None = None,
    **kw: Any,
) -> Resp:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return _send(port, _request_bytes(method, path, port, raw, JSON if headers is None else headers), **kw)


# --- gateways, fakes and guards ----------------------------------------------------------------------------


def _recording(exchanges: list[dict[str, Any]], name: str = "attack") -> Recording:
    data = {"format": 1, "provenance": {"source": "authored", "note": "tools/attack.py"}, "exchanges": exchanges}
    return parse_recording(json.loads(json.dumps(data)), name, f"{name}.json")


def _hello_exchange() -> dict[str, Any]:
    return {
        "request": {"method": "POST", "path": "/v1/messages", "body": HELLO},
        "response": {"status": 200, "headers": {}, "body": message("Hi", OPUS, 10, 5)},
    }


@contextlib.contextmanager
def _replay(recordings: list[Recording] | None = None, **kw: Any) -> Iterator[Gateway]:
    gw = Gateway(recordings if recordings is not None else [_recording([_hello_exchange()])], speed=0, **kw)
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


@contextlib.contextmanager
def _live(cap: float = 2.0, ledger: Path | None = None) -> Iterator[tuple[Gateway, FakeUpstream]]:
    with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
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
def _loopback_only() -> Iterator[list[str]]:
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
def _course_env(**values: str) -> Iterator[None]:
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


def _setup(name: str = "01_first_request") -> BaseException | None:
    """Run helpers.setup; return what it raised (None if it succeeded)."""
    try:
        helpers.setup(name)
    except Exception as e:  # noqa: BLE001 - the caller judges which exception it was
        return e
    return None


class _FakeRemote:
    """A 'remote gateway' on loopback that claims a mode and records every request's headers."""

    def __init__(self, mode: str):
        self.received: list[dict[str, Any]] = []
        remote = self
        status = {
            "mode": mode,
            "recordings": {},
            "upstream": "https://api.anthropic.com",
            "budget": {"cap": 2.0, "spent": 0.0, "unsettled": 0.0, "reserved": 0.0, "left": 2.0, "by_model": {}},
            "spend": {"by_model": {}, "calls": {}, "unpriced": 0},
        }

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = TIMEOUT

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                remote.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                if self.path.startswith("/_primer/status"):
                    payload: Any = status
                elif self.path.startswith("/_primer/"):
                    payload = {"reset": True}
                else:
                    payload = message("from the remote gateway", HAIKU)
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any

        self._loop = LoopbackServer(Handler)
        self.url = self._loop.url

    def stop(self) -> None:
        self._loop.stop()


def _rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def _mb(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0f} MB"


# --- 1. crashes ----------------------------------------------------------------------------------------------


class _Fault:
    """Stands in for the replay index: any use is an internal error, as a bug in matching would be."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"attack: injected fault in the replay index ({name})")


def _inject_fault(gw: Gateway) -> None:
    gw.index = _Fault()  # type: ignore[assignment]

    def boom(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("attack: injected fault while matching the request")

    if hasattr(gw, "_next"):  # today's matching hook; the index alone covers a refactored one
        gw._next = boom  # type: ignore[method-assign]


def _short_strings(crashes: Any) -> list[str]:
    """What in gw.crashes is not a short str (an exception keeps its traceback, and that the request body)."""
    return [type(x).__name__ for x in list(crashes) if not (isinstance(x, str) and len(x) <= 300)]


@_attack
def attack_crashes(c: _Check) -> str:
    with _replay() as gw:
        bodies = {
            "a 5,000-digit integer": b'{"model": "claude-opus-4-6", "max_tokens": ' + b"9" * 5000 + b"}",
            "5,000-deep nesting": b"[" * 5000 + b"]" * 5000,
        }
        for what, body in bodies.items():
            r = _http(gw.port, "POST", "/v1/messages", body)
            c.expect(
                r.status == 400 and r.error(), f"a body with {what}: {r.describe()} (expected a 400 error envelope)"
            )
        hello = json.dumps(HELLO).encode()
        headers = {
            "x-stainless-retry-count: \\xb2 (superscript two)": b"\xb2",
            "x-stainless-retry-count: \\xc2\\xb2 (UTF-8 superscript two)": "\u00b2".encode(),
            "a 5,000-digit x-stainless-retry-count": b"1" * 5000,
        }
        for what, value in headers.items():
            r = _http(gw.port, "POST", "/v1/messages", hello, [*JSON, ("x-stainless-retry-count", value)])
            c.expect(r.status == 200, f"{what}: {r.describe()} (expected the header ignored and a 200)")
        bad = _short_strings(gw.crashes)
        c.expect(not bad, f"gw.crashes holds {len(bad)} non-string entries ({', '.join(sorted(set(bad)))})")

    with _replay() as gw:  # internal errors with large bodies must not keep the bodies
        _inject_fault(gw)
        big = json.dumps(dict(HELLO, messages=[{"role": "user", "content": "x" * 5_000_000}])).encode()
        gc.collect()
        before = _rss_mb()
        answers = [_http(gw.port, "POST", "/v1/messages", big, timeout=15).status for _ in range(4)]
        del big
        gc.collect()
        after = _rss_mb()
        bad = _short_strings(gw.crashes)
        c.expect(not bad, f"after 4 internal errors on 5 MB bodies gw.crashes keeps {len(bad)} {'/'.join(set(bad))}")
        for _ in range(60):
            _http(gw.port, "POST", "/v1/messages", b'{"q": 1}')
        n = len(gw.crashes)
        c.expect(n <= 50, f"gw.crashes grew to {n} entries after 64 internal errors (bound: 50)")
        grew = f"{after - before:+.0f} MB" if before is not None and after is not None else "n/a"
        c.figures.append(f"RSS {_mb(before)} -> {_mb(after)} ({grew}) over 4 x 5 MB bodies hitting an internal error")
        c.figures.append(f"their answers: {answers}")
    return "huge integers, deep nesting and odd retry counts get JSON answers; gw.crashes stays small strings"


# --- 2. a key sent to a remote gateway ------------------------------------------------------------------------


@_attack
def attack_remote_key(c: _Check) -> str:
    key = _fake_key()
    remote = _FakeRemote("live")
    try:
        env = {"PRIMER_MODE": "replay", "ANTHROPIC_API_KEY": key, "PRIMER_GATEWAY_URL": remote.url}
        with _course_env(**env, PRIMER_REPLAY_SPEED="0"), _loopback_only() as attempts:
            err = _setup()
            c.expect(
                isinstance(err, ConfigError),
                "PRIMER_MODE=replay joined a gateway that says it is live"
                + (f" (setup raised {type(err).__name__})" if err else " (no ConfigError)"),
            )
            if os.environ.get("ANTHROPIC_BASE_URL", "").startswith(remote.url):  # the notebook's next cell
                with contextlib.suppress(anthropic.APIError):
                    anthropic.Anthropic(max_retries=0, timeout=3).messages.create(**SMALL)
            c.expect(not attempts, f"tried to connect beyond loopback: {attempts}")
        leaked = [r for r in remote.received if any(key in v for v in r["headers"].values())]
        where = ", ".join(f"{r['method']} {r['path']}" for r in leaked)
        c.expect(not leaked, f"the process's ANTHROPIC_API_KEY reached the remote gateway ({where})")
    finally:
        remote.stop()

    env = {"PRIMER_MODE": "live", "ANTHROPIC_API_KEY": key, "PRIMER_GATEWAY_URL": "http://10.255.255.1:9"}
    with _course_env(**env), _loopback_only() as attempts:
        start = time.monotonic()
        err = _setup()
        took = time.monotonic() - start
        text = str(err or "")
        c.expect(isinstance(err, ConfigError), f"live with a plain-HTTP remote gateway: setup raised {err!r}")
        c.expect(not attempts, f"live setup connected to {attempts[0] if attempts else ''} before refusing")
        c.expect(took < 2, f"live setup took {took:.1f} s to refuse a plain-HTTP remote gateway")
        c.expect(
            "https" in text.lower() or "loopback" in text.lower(),
            f"the refusal does not say https or loopback: {_clip(text, 120)!r}",
        )
        c.figures.append(f"refused http://10.255.255.1:9 in {took * 1000:.0f} ms")
    return "a replay kernel refuses a live remote gateway; live refuses plain HTTP off loopback before connecting"


# --- 3. budget -------------------------------------------------------------------------------------------------


_KILLED_KERNEL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from helpers.gateway.budget import Estimate, Ledger
    Ledger(Path(sys.argv[1]), 1.0).reserve(Estimate(0.3, "attack: a kernel killed mid-call"))
    print("reserved", flush=True)
    time.sleep(60)
    """
)


@_attack
def attack_budget_killed(c: _Check) -> str:
    with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
        path = Path(tmp) / "ledger.json"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED_KERNEL, str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        watchdog = threading.Timer(30, proc.kill)  # bounded even if the child never prints
        watchdog.start()
        try:
            line = proc.stdout.readline() if proc.stdout else ""
        finally:
            watchdog.cancel()
        proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no chance to settle
        _, err = proc.communicate(timeout=10)
        if not c.expect(line.strip() == "reserved", f"the child did not reserve: {_clip(err, 160)}"):
            return ""
        snap = Ledger(path, 1.0).snapshot()
        c.expect(
            snap["left"] <= 0.7 + 1e-9,
            f"left is ${snap['left']:.2f} of $1.00 after a killed kernel's $0.30 reservation: it was dropped",
        )
        c.expect(
            snap.get("unsettled", 0) >= 0.3 - 1e-9,
            f"the killed kernel's $0.30 is not under 'unsettled' (snapshot {snap})",
        )
    return "a killed kernel's reservation stays counted, under 'unsettled'"


def _estimate(body: dict[str, Any]) -> Estimate | None:
    return worst_case("POST", "/v1/messages", body)


def _floor(model: str, tokens_in: int, tokens_out: int = 1) -> float:
    p = price_of(model)
    return (tokens_in * p.input + tokens_out * p.output) / 1e6


def _window(model: str) -> int | None:
    try:
        return int(model_info(model).context_window)
    except (KeyError, AttributeError):
        return None


@_attack
def attack_budget_unbounded(c: _Check) -> str:
    with _live() as (gw, up):
        body = dict(SMALL, tools=[{"type": "web_search_20250305", "name": "web_search"}])
        r = _http(gw.port, "POST", "/v1/messages", body)
        err = r.error() or {}
        c.expect(
            r.status == 400 and err.get("type") == "invalid_request_error",
            f"a server tool (web_search): {r.describe()} (expected a local 400 invalid_request_error)",
        )
        c.expect(not up.received, f"a server tool request was forwarded upstream ({len(up.received)} received)")

    sources = {
        "base64": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        "url": {"type": "url", "url": "https://example.com/a.png"},
        "file": {"type": "file", "file_id": "file_01attack"},
    }
    docs = {
        "base64": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
        "url": {"type": "url", "url": "https://example.com/a.pdf"},
        "file": {"type": "file", "file_id": "file_01attack"},
    }
    cjk = "".join(chr(0x4E00 + (i * 7) % 20000) for i in range(30_000))
    for model in (OPUS, SONNET, HAIKU):
        for kind, blocks, tokens in (
            ("image", sources, 1_600),
            ("document", docs, _window(model)),
        ):
            if tokens is None:
                continue
            for name, src in blocks.items():
                content = [{"type": kind, "source": src}, {"type": "text", "text": "?"}]
                est = _estimate({"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": content}]})
                need = _floor(model, tokens)
                got = est.usd if est else 0.0
                c.expect(
                    got >= need,
                    f"{model}: worst case of one {kind} ({name} source) is ${got:.6f} < ${need:.6f} "
                    f"({tokens:,} input tokens)",
                )
        est = _estimate({"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": cjk}]})
        need, got = _floor(model, 30_000), est.usd if est else 0.0
        c.expect(got >= need, f"{model}: worst case of 30,000 Chinese characters is ${got:.6f} < ${need:.6f}")

    cap = _floor(OPUS, 1_000)  # less than one standard image costs: an image call cannot fit
    with _live(cap=cap) as (gw, up):
        up.replies.append(Reply(body=message("a picture", OPUS, 1_600, 1)))
        content = [{"type": "image", "source": sources["url"]}, {"type": "text", "text": "?"}]
        r = _http(
            gw.port,
            "POST",
            "/v1/messages",
            {"model": OPUS, "max_tokens": 1, "messages": [{"role": "user", "content": content}]},
        )
        c.expect(
            r.status in (400, 402) and not up.received,
            f"an image call with ${cap:.6f} left: {r.describe()}, forwarded {len(up.received)} time(s)",
        )
    return "server tools refused locally; images, documents and CJK text bounded from above"


_PATHS = (
    "/v1/messages/",
    "/v1//messages",
    "/v1/./messages",
    "/V1/MESSAGES",
    "/v1/messages%2f",
    "/v1/messages/batches/",
)
_MAX_TOKENS = ("1e5", "100000.0", '"100000"', "true", "-1", "0")


@_attack
def attack_budget_paths(c: _Check) -> str:
    cap = 0.001
    expensive = {"model": OPUS, "max_tokens": 64_000, "messages": [{"role": "user", "content": "hi"}]}
    with _live(cap=cap) as (gw, up):
        up.replies.append(Reply(body=message("ok", HAIKU, 100, 50)))
        r = _http(gw.port, "POST", "/v1/messages?beta=true", SMALL)
        c.expect(r.status == 200 and len(up.received) == 1, f"/v1/messages?beta=true: {r.describe()}")
        for path in _PATHS:
            n = len(up.received)
            up.replies[:] = [Reply(body=message("ok", OPUS, 100, 60_000))]  # what a bypass would be billed
            r = _http(gw.port, "POST", path, expensive)
            err = r.error() or {}
            c.expect(
                r.status == 404 and err.get("type") == "not_found_error" and len(up.received) == n,
                f"POST {path}: {r.describe()}" + (", forwarded" if len(up.received) > n else ""),
            )
        for literal in _MAX_TOKENS:
            n = len(up.received)
            up.replies[:] = [Reply(body=message("ok", OPUS, 100, 60_000))]
            body = f'{{"model": "{OPUS}", "max_tokens": {literal}, "messages": [{{"role": "user", "content": "hi"}}]}}'
            r = _http(gw.port, "POST", "/v1/messages", body.encode())
            c.expect(
                r.status == 400 and r.error() and len(up.received) == n,
                f"max_tokens {literal}: {r.describe()}" + (", forwarded" if len(up.received) > n else ""),
            )
        up.replies.clear()
        snap = gw.ledger.snapshot()
        held = snap["spent"] + snap["reserved"] + snap.get("unsettled", 0.0)
        c.expect(held <= cap + 1e-12, f"the ledger holds ${held:.4f} against the ${cap} cap")
    return f"{len(_PATHS)} path variants 404 and {len(_MAX_TOKENS)} max_tokens forms 400 locally; ?beta=true served"


@_attack
def attack_budget_batch_window(c: _Check) -> str:
    now = [1_800_000_000.0]
    with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
        path = Path(tmp) / "ledger.json"
        try:
            ledger = Ledger(path, 1.0, clock=lambda: now[0])
        except TypeError as e:
            c.expect(False, f"Ledger(path, cap, clock=...) is not accepted ({e})")
            return ""
        ledger.hold_for_batch(ledger.reserve(Estimate(0.4, "attack batch")), "msgbatch_attack")
        snap = ledger.snapshot()
        c.expect(abs(snap["left"] - 0.6) < 1e-9, f"a fresh batch hold of $0.40 leaves ${snap['left']:.2f}, not $0.60")
        now[0] += 24 * 3600 + 60  # past the API's processing limit, never fetched
        snap = ledger.snapshot()
        c.expect(
            snap.get("unsettled", 0) >= 0.4 - 1e-9 and snap["left"] <= 0.6 + 1e-9,
            f"a batch hold older than 24 h: unsettled ${snap.get('unsettled', 0):.2f}, left ${snap['left']:.2f}",
        )
        try:
            ledger.reserve(Estimate(0.7, "attack: more than is left"))
            c.expect(False, "a $0.70 call was reserved although the expired batch's $0.40 still counts")
        except BudgetExceeded:
            pass
        ledger.settle_batch("msgbatch_attack", [Charge(HAIKU, 1000, 1000, 0.05, batch=True)])
        snap = ledger.snapshot()
        c.expect(
            abs(snap["spent"] - 0.05) < 1e-9 and snap.get("unsettled", 0) < 1e-9 and abs(snap["left"] - 0.95) < 1e-9,
            f"after metering the late results ($0.05): spent ${snap['spent']:.2f}, "
            f"unsettled ${snap.get('unsettled', 0):.2f}, left ${snap['left']:.2f}",
        )
    return "an unfetched batch counts as spent after 24 h; late results replace it with the real charge"


# --- 4. slowloris ----------------------------------------------------------------------------------------------


def _second_loopback() -> str | None:
    """127.0.0.2 when this OS routes all of 127/8 to loopback (Linux): another client address."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return None


@_attack
def attack_slowloris(c: _Check) -> str:
    rec = [_recording([_hello_exchange()])]
    try:
        gw = Gateway(rec, speed=0, header_timeout=1, max_per_client=8)  # type: ignore[call-arg]
    except TypeError as e:
        c.expect(False, f"Gateway(header_timeout=1, max_per_client=8) is not accepted ({_clip(str(e), 80)})")
        gw = Gateway(rec, speed=0)
    gw.start()
    hello = json.dumps(HELLO).encode()
    other = _second_loopback()
    socks: list[socket.socket] = []
    try:
        socks = [_connect(gw.port) for _ in range(20)]
        got = [b""] * 20
        closed: list[float | None] = [None] * 20
        start = time.monotonic()
        deadline = start + 5.0  # a deadline, not a speed threshold: the contract says about 1 s
        next_line, sent = start + 0.3, 0  # read first: a refused connection then gets its answer cleanly
        during: Resp | None = None
        during_ms = 0.0
        while time.monotonic() < deadline and None in closed:
            live = [s for i, s in enumerate(socks) if closed[i] is None]
            readable, _, _ = select.select(live, [], [], 0.05)
            for s in readable:
                i = socks.index(s)
                try:
                    chunk = s.recv(65536)
                except OSError:
                    chunk = b""
                if chunk:
                    got[i] += chunk
                else:
                    closed[i] = time.monotonic() - start
            if time.monotonic() >= next_line:
                line = b"POST /v1/messages HTTP/1.1\r\n" if sent == 0 else b"X-Slow-%d: 1\r\n" % sent
                for i, s in enumerate(socks):
                    if closed[i] is None:
                        try:
                            s.send(line)
                        except OSError:
                            closed[i] = time.monotonic() - start
                sent += 1
                next_line += 0.3
            if during is None and other and time.monotonic() - start > 0.5:
                t = time.perf_counter()
                during = _http(gw.port, "POST", "/v1/messages", hello, source=other)
                during_ms = (time.perf_counter() - t) * 1000
        still = closed.count(None)
        c.expect(not still, f"{still} of 20 slow connections still open after 5 s (one header line every 0.3 s)")
        answers = [_read_response(_Reader(None, 0, g)) for g in got if g]
        refused = [a for a in answers if a.status in (429, 503) and a.error()]
        c.expect(len(refused) >= 12, f"{len(refused)} of the 12 connections beyond 8 were answered 429/503 JSON")
        odd = [a.describe() for a in answers if a.status and not a.error()]
        c.expect(not odd, f"slow connections got answers outside the JSON envelope: {odd[:2]}")
        if other:
            c.expect(
                during and during.status == 200,
                f"a request from {other} during the attack: " + (during.describe() if during else "not sent"),
            )
        for s in socks:
            s.close()
        after = None
        for _ in range(5):  # the gateway may count a closed connection a moment after closing it
            after = _http(gw.port, "POST", "/v1/messages", hello)
            if after.status not in (429, 503):
                break
            time.sleep(0.2)
        c.expect(
            after and after.status == 200, f"a normal request after the attack: {after.describe() if after else ''}"
        )
        shut = [t for t in closed if t is not None]
        c.figures.append(f"slow connections closed by {max(shut):.1f} s" if shut else "none closed")
        if during is not None:
            c.figures.append(f"a request from {other} answered in {during_ms:.0f} ms during the attack")
    finally:
        for s in socks:
            s.close()
        gw.stop()
    return "20 slow connections: the ones beyond 8 refused, the rest closed at the header deadline"


# --- 5. misses -------------------------------------------------------------------------------------------------


@_attack
def attack_misses(c: _Check, n: int = 200, size: int = 100_000, budget_s: float = 15.0) -> str:
    recs = load_recordings(ROOT / "notebooks" / "recordings")
    with _replay(recs) as gw:
        bad: list[str] = []
        done = 0
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            if time.perf_counter() - wall > budget_s:
                break  # keeps the script bounded on a slow matcher; the figure below shows why
            filler = f"attack miss {i}: " + "".join(chr(97 + (i * 7 + j) % 26) for j in range(64)) * (size // 64)
            body = dict(HELLO, messages=[{"role": "user", "content": filler}])
            r = _http(gw.port, "POST", "/v1/messages", body, timeout=30)
            msg = (r.error() or {}).get("message", "")
            if not (r.status == 400 and "closest" in msg.lower() and re.search(r"exchange \d+", msg)):
                bad.append(r.describe())
            done += 1
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        c.expect(not bad, f"{len(bad)} of {done} misses lacked a 400 naming the closest exchange, e.g. {bad[:1]}")
        exchanges = sum(len(r.exchanges) for r in recs)
        cut = f" (stopped at the {budget_s:.0f} s budget)" if done < n else ""
        c.figures.append(
            f"{done} misses of {size // 1000} KB over {exchanges} exchanges{cut}: {cpu / max(done, 1) * 1000:.1f} ms "
            f"CPU and {wall / max(done, 1) * 1000:.1f} ms wall per miss (client and gateway in one process)"
        )
    return f"{done} large unmatched requests each got a 400 naming the closest exchange"


# --- 7. ledger failures ----------------------------------------------------------------------------------------

_LEDGERS = {
    "a corrupt ledger": b"{not json",
    "a ledger holding []": b"[]",
    'a ledger with "spent_usd": "lots"': b'{"spent_usd": "lots"}',
    'a ledger with "reservations": []': b'{"reservations": []}',
    "a read-only ledger": b'{"by_model": {}, "reservations": {}, "spent_usd": 0.0}',
}


@_attack
def attack_ledger_failures(c: _Check) -> str:
    for what, content in _LEDGERS.items():
        with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
            path = Path(tmp) / "ledger.json"
            path.write_bytes(content)
            if "read-only" in what:
                path.chmod(0o444)
            try:
                with _live(ledger=path) as (gw, up):
                    up.replies.append(Reply(body=message("ok", HAIKU, 10, 5)))
                    r = _http(gw.port, "POST", "/v1/messages", SMALL)
                    msg = (r.error() or {}).get("message", "")
                    c.expect(
                        r.status == 500
                        and r.headers.get("x-should-retry") == "false"
                        and str(path) in msg
                        and "fix" in msg.lower()
                        and "delete" in msg.lower(),
                        f"{what}: {r.describe()} (expected a 500, x-should-retry: false, naming the file)",
                    )
                    c.expect(not up.received, f"{what}: the call was forwarded upstream")
                    with (
                        _course_env(
                            PRIMER_MODE="live",
                            ANTHROPIC_API_KEY=_fake_key(),
                            PRIMER_LEDGER=str(path),
                            PRIMER_UPSTREAM_URL=up.url,
                            PRIMER_REPLAY_SPEED="0",
                        ),
                        _loopback_only(),
                    ):
                        err = _setup()
                    c.expect(
                        isinstance(err, ConfigError) and "\n" not in str(err),
                        f"{what}: live setup "
                        + (f"raised {type(err).__name__}: {_clip(str(err), 80)}" if err else "started without a word"),
                    )
                c.expect(path.read_bytes() == content, f"{what}: the ledger file was rewritten")
            finally:
                path.chmod(0o644)
    return "corrupt, wrong-shape and read-only ledgers: one 500 naming the file, nothing forwarded or rewritten"


# --- 8. rewriting ----------------------------------------------------------------------------------------------


@_attack
def attack_rewriting(c: _Check) -> str:
    text = (
        "Call it yourself: curl https://api.anthropic.com/v1/messages -H 'x-api-key: ...'. "
        "Never paste your key into https://api.anthropic.com.evil.com/x"
    )
    with _live() as (gw, up):
        up.replies.append(Reply(body=message(text, HAIKU, 10, 40)))
        r = _http(gw.port, "POST", "/v1/messages", SMALL)
        try:
            got = json.loads(r.body)["content"][0]["text"]
        except (ValueError, KeyError, IndexError, TypeError):
            got = None
        c.expect(got == text, f"the model's text reached the client changed: {_clip(str(got), 160)!r}")
        batch_id = "msgbatch_01attack"
        batch = {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "in_progress",
            "request_counts": {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
            "created_at": "2026-11-24T00:00:00Z",
            "expires_at": "2026-11-25T00:00:00Z",
            "ended_at": None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{up.url}/v1/messages/batches/{batch_id}/results",
        }
        up.replies.append(Reply(body=batch))
        r = _http(gw.port, "POST", "/v1/messages/batches", {"requests": [{"custom_id": "a", "params": SMALL}]})
        try:
            url = json.loads(r.body).get("results_url")
        except (ValueError, AttributeError):
            url = None
        want = f"{gw.url}/v1/messages/batches/{batch_id}/results"
        c.expect(url == want, f"a batch's results_url came back as {url!r}, not {want!r} ({r.status})")
    return "text mentioning api.anthropic.com passes unchanged; results_url still leads back to the gateway"


# --- 9. injection ----------------------------------------------------------------------------------------------


def _sse_names(body: bytes) -> list[str]:
    return [line[7:] for line in body.decode("utf-8", "replace").split("\n") if line.startswith("event: ")]


@_attack
def attack_injection(c: _Check) -> str:
    hello = json.dumps(HELLO).encode()
    header_ex = _hello_exchange()
    header_ex["response"]["headers"] = {"request-id": "req_1\r\nX-Injected: yes"}
    try:
        rec = _recording([header_ex])
    except RecordingError:
        pass  # refused at load: the best outcome
    else:
        with _replay([rec]) as gw:
            r = _send(gw.port, _request_bytes("POST", "/v1/messages", gw.port, hello, JSON))
            lines = [x.lower() for x in r.head.split("\r\n")]
            c.expect(
                not any(x.startswith("x-injected") for x in lines),
                "a recorded header value with CRLF produced an extra header line on the wire",
            )

    start = dict(message("", OPUS, 10, 1), content=[], stop_reason=None)
    events = [
        {"at": 0, "event": "message_start", "data": {"type": "message_start", "message": start}},
        {"at": 0, "event": "ping\ndata: {}\n\nevent: injected", "data": {"type": "ping"}},
        {"at": 0, "event": "message_stop", "data": {"type": "message_stop"}},
    ]
    sse_ex = {
        "request": {"method": "POST", "path": "/v1/messages", "body": dict(HELLO, stream=True)},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream; charset=utf-8"}, "events": events},
    }
    try:
        rec = _recording([sse_ex])
    except RecordingError:
        pass
    else:
        with _replay([rec]) as gw:
            body = json.dumps(dict(HELLO, stream=True)).encode()
            r = _send(gw.port, _request_bytes("POST", "/v1/messages", gw.port, body, JSON))
            c.expect("injected" not in _sse_names(r.body), "an SSE event name with newlines produced an extra event")

    with _replay() as gw:
        smuggled = b"GET /_primer/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        head = b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        for what, tail in (
            ("right after the headers", smuggled),
            ("after an empty chunked body", b"0\r\n\r\n" + smuggled),
        ):
            with _connect(gw.port) as s:
                s.sendall(head + tail)
                r = _Reader(s, time.monotonic() + 3)
                first = _read_response(r)
                rest = r.rest()
            more = len(re.findall(rb"HTTP/1\.[01] \d{3} ", rest))
            c.expect(
                first.status == 411 and first.error(),
                f"Transfer-Encoding: chunked ({what}): {first.describe()} (expected a 411 error envelope)",
            )
            c.expect(not more, f"bytes {what} a chunked request were answered as {more} more request(s)")
            c.expect(r.eof, f"the connection stayed open after the 411 ({what})")

    env = {k: v for k, v in os.environ.items() if k != "PRIMER_REPLAY_SPEED"}
    env["PYTHONPATH"] = str(ROOT)
    for what, args, extra in (
        ("--speed inf", ["--speed", "inf"], {}),
        ("PRIMER_REPLAY_SPEED=inf", [], {"PRIMER_REPLAY_SPEED": "inf"}),
    ):
        code, err, served = _run_cli(args, {**env, **extra})
        lines = err.strip().splitlines()
        c.expect(
            code == 2 and len(lines) == 1 and not served,
            f"python -m helpers.gateway with {what}: "
            + ("it started serving" if served else f"exit {code}, {len(lines)} line(s) on stderr"),
        )
    return "CRLF and newline injection refused or inert; chunked requests answered once and closed; --speed inf exits 2"


def _run_cli(args: list[str], env: dict[str, str]) -> tuple[int | None, str, bool]:
    """Run the standalone gateway on a free loopback port; stop it if it starts serving."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpers.gateway", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(20)
    served = False
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        served = True  # still running: it accepted the speed and serves
        proc.kill()
    _, err = proc.communicate(timeout=10)
    return proc.returncode, err, served


# --- 10. methods -----------------------------------------------------------------------------------------------


@_attack
def attack_methods(c: _Check) -> str:
    allowed = {400, 404, 405, 414}
    with _replay() as gw:
        for method in ("PUT", "PATCH", "OPTIONS"):
            r = _http(gw.port, method, "/v1/messages", b"{}")
            c.expect(r.status in allowed and r.error(), f"{method} /v1/messages: {r.describe()}")
        r = _send(gw.port, _request_bytes("HEAD", "/v1/messages", gw.port), head_only=True)
        c.expect(
            r.status in allowed and r.headers.get("content-type", "").startswith("application/json"),
            f"HEAD /v1/messages: {r.status} {r.headers.get('content-type', '-')}",
        )
        for what, data in (
            ("HELLO", b"HELLO\r\n\r\n"),
            ("a 10,000-character path", b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        ):
            r = _send(gw.port, data)
            c.expect(r.status in allowed and r.error(), f"request line {what}: {r.describe()}")
    return "PUT, PATCH, HEAD, OPTIONS and garbage request lines get the API's JSON error shape"


# --- the script ------------------------------------------------------------------------------------------------

ATTACKS: list[Callable[[], Result]] = [
    attack_crashes,
    attack_remote_key,
    attack_budget_killed,
    attack_budget_unbounded,
    attack_budget_paths,
    attack_budget_batch_window,
    attack_slowloris,
    attack_misses,
    attack_ledger_failures,
    attack_rewriting,
    attack_injection,
    attack_methods,
]


def main(argv: list[str] | None = None) -> int:
    names = {a.__name__.removeprefix("attack_"): a for a in ATTACKS}
    p = argparse.ArgumentParser(description="Bounded attacks on the course gateway (loopback only).")
    p.add_argument("names", nargs="*", metavar="NAME", help="attacks to run (default all): " + ", ".join(names))
    chosen = p.parse_args(argv).names or list(names)
    unknown = [n for n in chosen if n not in names]
    if unknown:
        p.error(f"unknown attack {', '.join(unknown)}")
    broken, start = 0, time.perf_counter()
    for name in chosen:
        t = time.perf_counter()
        r = names[name]()
        broken += not r.held
        extra = f" [{r.figures}]" if r.figures else ""
        print(
            f"{'HELD' if r.held else 'BROKEN':6} {r.name}: {r.detail}{extra} ({time.perf_counter() - t:.1f} s)",
            flush=True,
        )
    print(f"{len(chosen) - broken} held, {broken} broken, in {time.perf_counter() - start:.1f} s")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
