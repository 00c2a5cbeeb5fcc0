"""The HTTP server that stands in for the Claude API.

In replay mode it answers from recordings: JSON bodies, SSE streams paced by their recorded offsets,
and JSONL batch results. In live and record modes it forwards to the real API, meters every answer,
and refuses calls whose worst case would cross the budget; record mode also captures the exchanges.
The SDK reaches it through ANTHROPIC_BASE_URL, so notebook code stays plain SDK code. Run standalone
to serve every notebook's recordings at once (`helpers.gateway.cli`):

    python -m helpers.gateway --recordings notebooks/recordings --port 8765
"""

from __future__ import annotations

import http.client
import io
import json
import math
import queue
import re
import socket
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from ..pricing import UnknownPriceError
from .budget import BadRequest, BudgetExceeded, Ledger, LedgerError, worst_case
from .meter import StreamMeter, Tally, charges_from_exchange, charges_from_lines, charges_from_message
from .multipart import request_body as multipart_body
from .recordings import MATCH_HEADERS, Cursor, Exchange, Recording, ReplayIndex, rewrite_urls, stable_id
from .upstream import HOP_BY_HOP, Recorder, SseSplitter, Upstream, json_or_lines

__all__ = [
    "Answer",
    "Gateway",
    "LogEntry",
    "MAX_BODY_BYTES",
    "error_answer",
    "error_body",
    "parse_body",
    "seen_headers",
]

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 100  # JSON nesting a request may have; deeper bodies would exhaust the recursion limit
_ID = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
# The API routes the course uses, exactly as the SDK writes them. Live mode forwards nothing else, so no
# spelling of a billable route (a trailing slash, "//", "./", %2f, upper case) can skip the budget.
_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (m, re.compile(f"^{r}$"))
    for m, r in (
        ("POST", "/v1/messages"),
        ("POST", "/v1/messages/count_tokens"),
        ("POST", "/v1/messages/batches"),
        ("GET", "/v1/messages/batches"),
        ("GET", f"/v1/messages/batches/{_ID}"),
        ("GET", f"/v1/messages/batches/{_ID}/results"),
        ("POST", f"/v1/messages/batches/{_ID}/cancel"),
        ("DELETE", f"/v1/messages/batches/{_ID}"),
        ("GET", "/v1/models"),
        ("GET", f"/v1/models/{_ID}"),
    )
)
_QUERY_KEYS = ("beta", "limit", "before_id", "after_id")
_QUERY_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_LENGTH = re.compile(r"^[0-9]{1,18}$")
_RETRIES = re.compile(r"^[0-9]{1,4}$")
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
_CRASHES_KEPT = 50


def route_problem(method: str, path: str) -> tuple[int, str] | None:
    """Why the gateway will not forward `method path` (status, message), or None for a known API route."""
    route, _, query = path.partition("?")
    if not any(m == method and rx.match(route) for m, rx in _ROUTES):
        return 404, f"Course gateway: no API route {method} {route[:200]}."
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=8)
    except ValueError:
        return 400, "Course gateway: the query string is malformed."
    for k, v in pairs:
        if k not in _QUERY_KEYS or not _QUERY_VALUE.match(v):
            return 400, f"Course gateway: query parameter {k[:40]!r} is not one the API takes here; leave it out."
    return None


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests (iterative: never recurses)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, d)
            stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _short_error(exc: BaseException) -> str:
    """One short line about an exception: its type and the start of its message, never a traceback."""
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def request_id(seed: str) -> str:
    """A request id in the API's form (req_011C...), the same for the same seed."""
    return stable_id("req_", seed)


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The API's error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def parse_body(raw: bytes) -> tuple[Any, str | None]:
    """A request body parsed as JSON (None when empty), or the reason it is refused with a 400."""
    if not raw.strip():
        return None, None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as e:  # bad JSON, bad UTF-8, a 5,000-digit number, deep nesting
        where = f" (line {e.lineno} column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        return None, f"Request body is not valid JSON{where}."
    if _depth(body) > MAX_DEPTH:
        return None, f"Request body nests deeper than {MAX_DEPTH} levels."
    return body, None


def seen_headers(headers: Any) -> dict[str, Any]:
    """What the log may keep about a request's headers (any mapping with a case-insensitive get): never a key."""
    retries = headers.get("x-stainless-retry-count", "0")
    auth = "none"
    if headers.get("Authorization", "").lower().startswith("bearer "):
        auth = "bearer"
    elif headers.get("x-api-key"):
        auth = "x-api-key"
    return {
        "retry_count": int(retries) if _RETRIES.match(retries) else 0,  # ASCII digits only: "²" is a digit too
        "auth": auth,
        "version": headers.get("anthropic-version", "")[:40],
    }


@dataclass(frozen=True)
class Answer:
    """A replayed answer without a socket: status, headers to send, and the body bytes; for an SSE answer
    (`kind` "sse") the exchange whose events to send instead, at their recorded offsets. `hold` is the
    recorded fixed delay before answering."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    kind: str = "json"  # json, jsonl, sse
    hold: float = 0.0
    exchange: Exchange | None = None


def error_answer(method: str, path: str, status: int, kind: str, message: str) -> Answer:
    """The API's error envelope as an answer; x-should-retry: false, so the SDK raises at once instead of
    retrying a request that cannot succeed. Its request id is derived from the error, so stored outputs stay
    the same."""
    route = path.split("?", 1)[0][:200]
    rid = request_id(f"{method} {route} {status} {message}")
    data = json.dumps(dict(error_body(kind, message), request_id=rid), ensure_ascii=False, separators=(",", ":"))
    headers = {"x-should-retry": "false", "request-id": rid, "Content-Type": "application/json"}
    return Answer(status, headers, data.encode("utf-8"))


@dataclass(frozen=True)
class LogEntry:
    """One request the gateway answered (what a notebook can show about retries and misses)."""

    method: str
    path: str  # the route only, at most 200 characters: never a query string
    status: int
    kind: str  # json, sse, jsonl, miss, error, budget
    exchange: str = ""
    retry_count: int = 0
    auth: str = "none"  # which header carried the key: "bearer", "x-api-key" or "none" (never the key itself)
    version: str = ""  # the anthropic-version header the client sent


class _Server(ThreadingHTTPServer):
    """Connections are served by a bounded pool of reused daemon threads: no thread is created per request
    once the pool is warm, a room's burst waits in a deep backlog rather than spawning without limit, and a
    slow or vanished client holds one worker (for at most the socket timeout), never the others."""

    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows it would let two gateways share a port
    request_queue_size = 512  # a room of clients connecting at once must not be dropped by a short backlog
    max_threads = 256
    max_per_client = 64  # connections one address may hold at once (0: no cap), so no client starves the rest
    gateway: Gateway

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before binding: a failed bind calls server_close(), which needs the pool.
        self._slots = threading.BoundedSemaphore(self.max_threads)
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._workers = self._idle = self._pending = 0
        self._per_client: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        addr = client_address[0]
        with self._pool_lock:
            held = self._per_client.get(addr, 0)
            if self.max_per_client and held >= self.max_per_client:
                full = True
            else:
                full = False
                self._per_client[addr] = held + 1
        if full:
            self._refuse(request)
            return
        self._slots.acquire()  # at most max_threads connections in service; the rest wait in the backlog
        with self._pool_lock:
            self._pending += 1
            grow = self._pending > self._idle and self._workers < self.max_threads
            if grow:
                self._workers += 1
        if grow:
            threading.Thread(target=self._work, name="primer-gateway", daemon=True).start()
        self._jobs.put((request, client_address))

    def _work(self) -> None:
        while True:
            with self._pool_lock:
                self._idle += 1
            job = self._jobs.get()
            with self._pool_lock:
                self._idle -= 1
                if job is None:
                    self._workers -= 1
                    return
                self._pending -= 1
            try:
                self.process_request_thread(*job)
            finally:
                self._slots.release()
                with self._pool_lock:
                    addr = job[1][0]
                    left = self._per_client.get(addr, 1) - 1
                    if left > 0:
                        self._per_client[addr] = left
                    else:
                        self._per_client.pop(addr, None)

    def _refuse(self, request: socket.socket) -> None:
        """Answer a connection over its address's cap at once, from the accept loop, and close it."""
        body = json.dumps(
            error_body(
                "rate_limit_error",
                f"Course gateway: more than {self.max_per_client} connections from your address at once; "
                "close some and retry.",
            )
        ).encode()
        head = (
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nretry-after: 1\r\n"
            f"x-should-retry: true\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            request.settimeout(0.2)  # never let a client that does not read hold the accept loop
            request.sendall(head.encode() + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._pool_lock:
            workers = self._workers
        for _ in range(workers):
            self._jobs.put(None)  # idle workers exit; busy ones exit after their connection

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away is normal (a notebook cell interrupted); never print into a notebook.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, _GONE):
            self.gateway._note_crash(exc)


class _DeadlineReader(io.RawIOBase):
    """Socket reads that share one deadline: a client sending a byte now and then cannot stretch the
    request line and headers (or the body) beyond it, as a per-read timeout would let it."""

    def __init__(self, sock: socket.socket, handler: _Handler):
        self._sock, self._handler = sock, handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._sock.settimeout(min(self._handler.timeout, left))
        return self._sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: without this each waits ~40 ms
    server: _Server
    timeout = 30  # a client that stops reading (or an idle keep-alive) cannot hold a thread forever
    header_timeout = 10.0  # the whole request line and headers, however slowly they trickle in
    server_version = "primer-gateway"
    sys_version = ""
    deadline = math.inf
    _answered = False

    def setup(self) -> None:
        super().setup()
        self.header_timeout = self.server.gateway.header_timeout
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self), 65536)

    def handle_one_request(self) -> None:
        self.deadline = time.monotonic() + self.header_timeout
        self._answered = False
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: stderr would land in notebook output
        pass

    def send_response_only(self, code: int, message: str | None = None) -> None:
        self._answered = True
        super().send_response_only(code, message)

    def send_header(self, keyword: str, value: str) -> None:
        if any(c in f"{keyword}{value}" for c in "\r\n\x00"):
            raise ValueError(f"header {keyword!r} holds a line break")  # never inject a header
        super().send_header(keyword, value)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's errors (a garbage request line, a huge header) in the API's JSON shape, not HTML."""
        self.close_connection = True
        kind = "not_found_error" if code == 404 else "invalid_request_error"
        text = f"Course gateway: {(message or self.responses.get(code, ('error',))[0])[:200]}."
        if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.1"  # a garbage request line still gets a status line and headers
        self._send_error(code, kind, text)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._send_json(
            405,
            {"x-should-retry": "false", "allow": "GET, POST, DELETE"},
            error_body("invalid_request_error", f"Course gateway: method {self.command} is not part of the API."),
        )

    do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    # --- request ---------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The raw body, or None after answering with an error (and closing: its bytes are never parsed)."""
        lengths = self.headers.get_all("Content-Length") or []
        raw_len = lengths[0].strip() if lengths else ""
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True  # the unread chunked body must not be taken for a next request
            self._send_error(411, "invalid_request_error", "Send the request body with a Content-Length.")
            return None
        if len(set(lengths)) > 1 or (raw_len and not _LENGTH.match(raw_len)):
            self.close_connection = True
            self._send_error(400, "invalid_request_error", f"Content-Length {raw_len[:20]!r} is not a valid length.")
            return None
        length = int(raw_len) if raw_len else 0
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_error(
                413, "request_too_large", f"Request body of {length} bytes exceeds the gateway's {MAX_BODY_BYTES}."
            )
            return None
        self.deadline = time.monotonic() + self.timeout + length / 256_000  # ~2 Mbit/s, plus the usual timeout
        try:
            return self.rfile.read(length) if length else b""
        finally:
            self.deadline = math.inf
            self.connection.settimeout(self.timeout)

    def _handle(self, method: str) -> None:
        """Answer one request; whatever goes wrong becomes an answer in the API's error shape, never silence."""
        self.deadline = math.inf
        self.connection.settimeout(self.timeout)
        try:
            self._answer(method)
        except _GONE:
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - the last line of defence: a JSON answer, a short note
            self.close_connection = True
            self.server.gateway._note_crash(e)
            if not self._answered:
                self._send_error(
                    500, "api_error", f"Course gateway: internal error ({type(e).__name__}); the request was not sent."
                )

    def _answer(self, method: str) -> None:
        gw = self.server.gateway
        if self.path.startswith("/_primer/"):
            self._primer()
            return
        raw = self._read_body()
        if raw is None:
            return
        if gw.mode == "replay":
            self._write(gw.answer(self.client_address[0], method, self.path, self.headers, raw, self._base_url()))
            return
        body, problem = parse_body(raw)
        if problem is not None:
            self._send_error(400, "invalid_request_error", problem)
            return
        self._forward(method, raw, body, self._seen())

    def _primer(self) -> None:
        """The gateway's own endpoints: what a notebook's setup and spend display ask a shared gateway."""
        gw = self.server.gateway
        route = self.path.split("?", 1)[0]
        if route == "/_primer/status":
            try:
                self._send_json(200, {}, gw.status(self.client_address[0]))
            except LedgerError as e:
                self._send_error(500, "api_error", str(e))
        elif route == "/_primer/reset":  # a kernel joining a shared gateway starts its sequences afresh
            gw.reset(self.client_address[0])
            self._send_json(200, {}, {"reset": True})
        elif route == "/_primer/log":
            self._send_json(200, {}, [asdict(e) for e in gw.logs.get(self.client_address[0], [])])
        else:
            self._send_error(404, "not_found_error", f"Course gateway: no route {route}.")

    def _forward(self, method: str, raw: bytes, body: Any, seen: dict[str, Any]) -> None:
        """Live and record: bound the cost, forward, relay as it arrives, meter, settle, capture."""
        gw = self.server.gateway
        assert gw.upstream is not None and gw.ledger is not None
        logged = self.path.split("?", 1)[0]
        problem = route_problem(method, self.path)
        if problem:
            gw._log(LogEntry(method, logged, problem[0], "error", **seen), self)
            self._send_error(
                problem[0], "not_found_error" if problem[0] == 404 else "invalid_request_error", problem[1]
            )
            return
        try:
            est = worst_case(method, self.path, body, held_tokens=gw.held_tokens)
        except UnknownPriceError as e:
            gw._log(LogEntry(method, logged, 400, "budget", **seen), self)
            self._send_error(
                400, "invalid_request_error", f"Course budget: {e} Live mode refuses calls it cannot price."
            )
            return
        except BadRequest as e:
            gw._log(LogEntry(method, logged, 400, "budget", **seen), self)
            self._send_error(400, "invalid_request_error", str(e))
            return
        rid = None
        if est is not None and est.usd > 0:
            try:
                rid = gw.ledger.reserve(est)
            except BudgetExceeded as e:
                gw._log(LogEntry(method, logged, 402, "budget", **seen), self)
                self._send_error(402, "billing_error", str(e))
                return
            except LedgerError as e:  # fail closed: nothing is forwarded that the ledger cannot hold
                gw._log(LogEntry(method, logged, 500, "budget", **seen), self)
                self._send_error(500, "api_error", str(e))
                return
        slot = gw.recorder.start() if gw.recorder else None
        start = gw.clock()
        try:
            conn, resp = gw.upstream.open(method, self.path, raw, dict(self.headers.items()))
        except (OSError, http.client.HTTPException) as e:
            self._settle(gw.ledger.settle, rid, [])
            why = f"cannot reach {gw.upstream.url} ({type(e).__name__}: {e})"
            if gw.recorder and slot is not None:
                gw.recorder.fail(slot, why)
            gw._log(LogEntry(method, logged, 502, "error", **seen), self)
            self._send_error(
                502,
                "api_error",
                f"Course gateway ({gw.mode}): {why}. Check your network, or set PRIMER_MODE=replay to work offline.",
            )
            return
        try:
            self._relay(method, body, rid, conn, resp, start, slot, seen)
        finally:
            conn.close()

    def _relay(
        self,
        method: str,
        body: Any,
        rid: str | None,
        conn: Any,
        resp: Any,
        start: float,
        slot: int | None,
        seen: dict[str, Any],
    ) -> None:
        """Relay the upstream answer; the ledger and meter are settled before the client sees the end of it."""
        gw = self.server.gateway
        assert gw.ledger is not None and gw.upstream is not None
        headers = {k.lower(): v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
        route = self.path.split("?", 1)[0]
        finish: Callable[[], None] | None
        if resp.status < 300 and "text/event-stream" in headers.get("content-type", ""):
            meter, events, client_ok = self._relay_sse(resp, headers, start, capture=slot is not None)
            charges = meter.charges()
            gw._remember(meter.message_id, charges)
            # a cut stream keeps its worst case
            self._settle(gw.ledger.settle, rid, charges, keep_reserved=not meter.complete)
            payload: dict[str, Any] = {"events": events}
            kind, finish = "sse", (self._end_chunks if client_ok else None)
        else:
            data = resp.read()
            payload = json_or_lines(self.path, data)
            if "lines" in payload:
                charges = charges_from_lines(payload["lines"])
                self._settle(gw.ledger.settle_batch, route.split("/")[-2], charges)
                kind = "jsonl"
            else:
                charges = charges_from_message(payload["body"]) if resp.status < 400 else []
                if isinstance(payload["body"], dict):
                    gw._remember(str(payload["body"].get("id", "")), charges)
                if route == "/v1/messages/batches" and method == "POST" and resp.status < 400 and rid:
                    self._settle(gw.ledger.hold_for_batch, rid, str(payload["body"].get("id")))
                else:
                    self._settle(gw.ledger.settle, rid, charges)
                kind = "json"
                if isinstance(payload["body"], (dict, list)):
                    # results_url must lead back through this gateway, to be metered; nothing else changes
                    relayed = rewrite_urls(payload["body"], self._base_url(), gw.upstream.url)
                    if relayed != payload["body"]:
                        data = json.dumps(relayed, ensure_ascii=False).encode("utf-8")

            def finish() -> None:
                self._send_raw(resp.status, headers, data)

        gw._tally(self).add(charges)
        if gw.recorder is not None and slot is not None:
            gw.recorder.finish(slot, method, self.path, body, resp.status, headers, payload)
        gw._log(LogEntry(method, route, resp.status, kind, **seen), self)
        if finish is not None:
            finish()

    def _settle(self, fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Settle in the ledger after the upstream answered: a ledger failure must not lose the answer, and
        the reservation then stays in the file, still counted against the cap."""
        try:
            fn(*args, **kwargs)
        except LedgerError as e:
            self.server.gateway._note_crash(e)

    def _base_url(self) -> str:
        """The address this client used to reach the gateway, for URLs it will follow (a room's LAN address)."""
        host = self.headers.get("Host", "")
        if re.fullmatch(r"[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?|\[[0-9a-fA-F:]{2,45}\](:[0-9]{1,5})?", host):
            return f"http://{host}"
        return self.server.gateway.url

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _relay_sse(
        self, resp: Any, headers: dict[str, str], start: float, capture: bool
    ) -> tuple[StreamMeter, list[dict[str, Any]], bool]:
        """Pass SSE bytes through as they arrive (no buffering), metering and capturing on the way."""
        gw = self.server.gateway
        self.send_response(resp.status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        splitter, meter, events = SseSplitter(), StreamMeter(), []
        while True:
            chunk = resp.read1(65536)
            if not chunk:
                return meter, events, True
            for name, data in splitter.feed(chunk):
                meter.feed(name, data)
                if capture:
                    try:
                        parsed: Any = json.loads(data)
                    except json.JSONDecodeError:
                        parsed = data
                    events.append({"at": round(gw.clock() - start, 3), "event": name, "data": parsed})
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            except _GONE:
                self.close_connection = True
                return meter, events, False  # the client left: stop reading, so generation stops upstream too

    def _seen(self) -> dict[str, Any]:
        """What the log may keep about the request's headers: never a key."""
        return seen_headers(self.headers)

    # --- responses -------------------------------------------------------------------------

    def _send_json(self, status: int, headers: dict[str, str], payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() != "content-type":
                self.send_header(k, v)
        self.send_header("Content-Type", headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self._end_headers_with(b"" if getattr(self, "command", "") == "HEAD" else data)

    def _end_headers_with(self, body: bytes) -> None:
        """End the headers and send `body` in the same write: one packet, not two, for a small answer."""
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def _send_error(self, status: int, kind: str, message: str) -> None:
        # a garbage request line sets no command or path
        ans = error_answer(getattr(self, "command", "") or "", getattr(self, "path", "") or "", status, kind, message)
        self._send_raw(ans.status, ans.headers, ans.body)

    def _write(self, ans: Answer) -> None:
        """Send a replayed answer: after its recorded hold, JSON or JSONL in one write, SSE paced."""
        gw = self.server.gateway
        if ans.hold:
            gw.sleep(ans.hold)  # a deliberate delay (timeout demos): not scaled by speed
        if ans.kind == "sse" and ans.exchange is not None:
            self._send_sse(ans.status, ans.headers, ans.exchange)
        else:
            self._send_raw(ans.status, ans.headers, ans.body)

    def _send_raw(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self._end_headers_with(data)

    def _send_sse(self, status: int, headers: dict[str, str], ex: Exchange) -> None:
        gw = self.server.gateway
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        frames = gw.sse_frames(ex)
        if gw.speed == 0:  # nothing to pace: one write, so a busy gateway answers many clients quickly
            self._end_headers_with(b"".join(f for _, f in frames) + b"0\r\n\r\n")
            return
        self.end_headers()
        start = gw.clock()
        i = 0
        while i < len(frames):
            due = frames[i][0]
            wait = start + due / gw.speed - gw.clock()
            if wait > 0:
                gw.sleep(wait)
            j = i
            while j < len(frames) and frames[j][0] == due:  # events recorded together leave together
                j += 1
            self.wfile.write(b"".join(f for _, f in frames[i:j]))
            self.wfile.flush()
            i = j
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


_T = TypeVar("_T")


class _Clients(OrderedDict[str, _T]):
    """Per-client state for at most MAX_CLIENTS addresses; the longest unseen is forgotten first."""

    MAX_CLIENTS = 4096

    def __init__(self, make: Callable[[], _T]):
        super().__init__()
        self._make = make

    def get_or_add(self, client: str) -> _T:
        if client in self:
            self.move_to_end(client)
            return self[client]
        while len(self) >= self.MAX_CLIENTS:
            self.popitem(last=False)
        made = self[client] = self._make()
        return made


class Gateway:
    """A course gateway on a real socket. `speed` scales recorded stream offsets (0: no waiting);
    `sleep` and `clock` are injectable so tests never wait."""

    def __init__(
        self,
        recordings: Iterable[Recording],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log_size: int = 1000,
        mode: str = "replay",
        upstream: Upstream | None = None,
        ledger: Ledger | None = None,
        header_timeout: float = 10.0,
        max_per_client: int = 64,
        serve: bool = True,
    ):
        if not 0 <= speed < math.inf:
            raise ValueError(f"speed must be a number >= 0 (1 = recorded pace, 0 = instant), got {speed!r}")
        if not 0 < header_timeout < math.inf or max_per_client < 0:
            raise ValueError("header_timeout must be > 0 seconds and max_per_client >= 0 (0: no cap)")
        if mode not in ("replay", "live", "record"):
            raise ValueError(f"mode must be replay, live or record, got {mode!r}")
        if mode != "replay" and (upstream is None or ledger is None):
            raise ValueError(f"{mode} mode needs an upstream and a ledger")
        self.mode = mode
        self.upstream = upstream
        self.ledger = ledger
        self.recorder = Recorder() if mode == "record" else None
        # Per client address; bounded, so many addresses (127.0.0.0/8 has 16 million) cannot grow memory.
        self.tallies: _Clients[Tally] = _Clients(Tally)
        self.logs: _Clients[deque[LogEntry]] = _Clients(lambda: deque(maxlen=log_size))
        self._log_size = log_size
        self.index = ReplayIndex(recordings)
        self._frames: dict[tuple[str, int], list[tuple[float, bytes]]] = {}
        self._events: dict[tuple[str, int], list[tuple[float, bytes]]] = {}
        self._charges: dict[tuple[str, int], list[Any]] = {}
        self.speed = float(speed)
        self.sleep = sleep
        self.clock = clock
        self.host = host
        self.log: deque[LogEntry] = deque(maxlen=log_size)
        self.header_timeout = float(header_timeout)
        self.crashes: deque[str] = deque(maxlen=_CRASHES_KEPT)  # short lines only: a traceback would keep bodies
        self._cursors: _Clients[Cursor] = _Clients(lambda: Cursor(self.index))
        self._held: OrderedDict[str, int] = OrderedDict()  # message id -> tokens, for continued threads
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # serve=False: no socket, answers only through answer() (the browser edition, helpers.inbrowser)
        self._server: _Server | None = None
        if serve:
            self._server = _Server((host, port), _Handler)  # binds now: a busy port fails here
            self._server.gateway = self
            self._server.max_per_client = max_per_client

    @property
    def port(self) -> int:
        return int(self._server.server_address[1]) if self._server is not None else 0

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Gateway:
        """Serve in a daemon thread (in a notebook kernel) and return self."""
        if self._server is None:
            raise RuntimeError("this gateway was made with serve=False: it answers through answer() only")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="primer-gateway", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._server is None:
            raise RuntimeError("this gateway was made with serve=False: it answers through answer() only")
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        if self._server is None:
            return
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def reset(self, client: str | None = None) -> None:
        """Forget what one client (or every client) was served, so its recorded sequences start again."""
        with self._lock:
            if client is None:
                self._cursors.clear()
            else:
                self._cursors.pop(client, None)

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(
        self, client: str, method: str, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> Exchange | None:
        # Positions are kept per client address, so a room sharing one gateway do not consume each other's sequences.
        with self._lock:
            return self._cursors.get_or_add(client).next(method, path, body, headers)

    def _log(self, entry: LogEntry, handler: Any = None) -> None:
        self._log_for(entry, handler.client_address[0] if handler is not None else None)

    def _log_for(self, entry: LogEntry, client: str | None) -> None:
        if len(entry.path) > 200:
            entry = replace(entry, path=entry.path[:197] + "...")
        self.log.append(entry)
        if client is not None:
            with self._lock:
                own = self.logs.get_or_add(client)
            own.append(entry)

    def charges(self, ex: Exchange) -> list[Any]:
        """What a recorded answer would cost live, computed once per exchange."""
        key = (ex.recording, ex.index)
        found = self._charges.get(key)
        if found is None:
            found = self._charges[key] = charges_from_exchange(ex.response)
        return found

    def sse_events(self, ex: Exchange) -> list[tuple[float, bytes]]:
        """An exchange's events as (offset, the event's bytes: event and data lines), encoded once and cached."""
        key = (ex.recording, ex.index)
        events = self._events.get(key)
        if events is None:
            events = []
            for ev in ex.response.events or []:
                data = ev["data"]
                if isinstance(data, str):
                    text = data
                elif ev["event"] == "ping":  # the API frames only its ping with a space: data: {"type": "ping"}
                    text = json.dumps(data, ensure_ascii=False)
                else:
                    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                events.append((float(ev["at"]), f"event: {ev['event']}\ndata: {text}\n\n".encode()))
            self._events[key] = events
        return events

    def sse_frames(self, ex: Exchange) -> list[tuple[float, bytes]]:
        """An exchange's events as (offset, chunk-framed bytes), encoded once and cached."""
        key = (ex.recording, ex.index)
        frames = self._frames.get(key)
        if frames is None:
            frames = [(at, b"%x\r\n%s\r\n" % (len(chunk), chunk)) for at, chunk in self.sse_events(ex)]
            self._frames[key] = frames
        return frames

    def answer(
        self, client: str, method: str, path: str, headers: Any, raw: bytes, base_url: str | None = None
    ) -> Answer:
        """Replay one request without a socket: what the HTTP handler sends, and what the browser edition's
        in-process transport returns. `headers` is any mapping with a case-insensitive get; `base_url` is the
        address the client used, for a batch's results_url. Logs the request and tallies its live cost."""
        body, problem = multipart_body(raw, headers) or parse_body(raw)
        if problem is not None:
            return error_answer(method, path, 400, "invalid_request_error", problem)
        seen = seen_headers(headers)
        logged = path.split("?", 1)[0]  # the log never echoes a query string (it could carry a key)
        sent = {h: v for h in MATCH_HEADERS if (v := headers.get(h)) is not None}
        ex = self._next(client, method, path, body, sent)
        if ex is None:
            problem_route = route_problem(method, path)
            if problem_route and problem_route[0] == 404:
                self._log_for(LogEntry(method, logged, 404, "error", **seen), client)
                return error_answer(method, path, 404, "not_found_error", problem_route[1])
            self._log_for(LogEntry(method, logged, 400, "miss", **seen), client)
            return error_answer(
                method, path, 400, "invalid_request_error", self.index.miss_message(method, path, body, sent)
            )
        self._log_for(LogEntry(method, logged, ex.response.status, ex.response.kind, ex.describe(), **seen), client)
        self._tally_for(client).add(self.charges(ex))  # what the same call would cost live
        return self._recorded(ex, base_url or self.url)

    def _recorded(self, ex: Exchange, base_url: str) -> Answer:
        resp = ex.response
        headers = {k.lower(): v for k, v in resp.headers.items()}
        retry_after = headers.get("retry-after")
        if retry_after and self.speed != 1:
            # Keep the recorded retry-after visible; tell the SDK to wait in proportion to the replay speed.
            try:
                ms = float(retry_after) * 1000 / self.speed if self.speed > 0 else 1
                headers["retry-after-ms"] = str(max(1, round(ms)))
            except ValueError:
                pass
        if resp.kind == "json":
            # The Host the client used, so a room's clients get URLs that reach this machine.
            payload = rewrite_urls(resp.body, base_url)
            data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            out = {k: v for k, v in headers.items() if k != "content-type"}
            out["Content-Type"] = headers.get("content-type", "application/json")
            return Answer(resp.status, out, data, "json", resp.hold)
        if resp.kind == "jsonl":
            text = "".join(
                json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in resp.lines or []
            )
            headers.setdefault("content-type", "application/binary")
            return Answer(resp.status, headers, text.encode("utf-8"), "jsonl", resp.hold)
        headers.setdefault("content-type", "text/event-stream; charset=utf-8")
        headers["Cache-Control"] = "no-cache"
        return Answer(resp.status, headers, b"", "sse", resp.hold, ex)

    def _tally(self, handler: Any) -> Tally:
        return self._tally_for(handler.client_address[0])

    def _tally_for(self, client: str) -> Tally:
        with self._lock:
            return self.tallies.get_or_add(client)

    def status(self, client: str) -> dict[str, Any]:
        """What a client of this gateway may know: mode, recordings, budget, and its own spend."""
        tally = self.tallies.get(client, Tally())
        return {
            "mode": self.mode,
            "recordings": {r.name: r.provenance for r in self.index.recordings},
            "upstream": self.upstream.url if self.upstream else None,
            "budget": self.ledger.snapshot() if self.ledger else None,
            "spend": {"by_model": tally.by_model, "calls": tally.calls, "unpriced": tally.unpriced},
        }

    def _remember(self, message_id: str, charges: list[Any]) -> None:
        """What a metered answer's conversation holds, for a message thread continued from it."""
        if not message_id or not charges:
            return
        with self._lock:
            self._held[message_id] = sum(c.input_tokens + c.output_tokens for c in charges)
            while len(self._held) > _Clients.MAX_CLIENTS:
                self._held.popitem(last=False)

    def held_tokens(self, message_id: str) -> int | None:
        """The input plus output tokens of a call this gateway metered, or None if it never saw it."""
        with self._lock:
            return self._held.get(message_id)

    def _note_crash(self, exc: BaseException) -> None:
        self.crashes.append(_short_error(exc))
