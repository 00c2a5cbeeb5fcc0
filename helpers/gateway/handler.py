"""The HTTP handler: reads a request within its deadlines, checks whom it comes from, and writes the answer
that replay (`Gateway.answer`) or live mode (`Gateway.forward`) gives, through the same socket-free seam."""

from __future__ import annotations

import io
import json
import math
import re
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler
from typing import Any

from .answers import GONE, MAX_BODY_BYTES, Answer, error_answer, error_body
from .budget import LedgerError
from .guard import host_problem, origin_problem
from .pool import DeadlineReader, Server
from .recordings import Exchange

__all__ = ["Handler"]

_LENGTH = re.compile(r"^[0-9]{1,18}$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: without this each waits ~40 ms
    server: Server
    timeout = 30  # a client that stops reading (or an idle keep-alive) cannot hold a thread forever
    header_timeout = 10.0  # the whole request line and headers, however slowly they trickle in
    server_version = "primer-gateway"
    sys_version = ""
    deadline = math.inf
    body_rate = 0.0  # while a body is read: the minimum bytes per second, from body_start after body_grace
    body_start = body_grace = 0.0
    body_got = 0
    _answered = False

    def setup(self) -> None:
        super().setup()
        self.header_timeout = self.server.gateway.header_timeout
        self.rfile = io.BufferedReader(DeadlineReader(self.connection, self), 65536)

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
        gw = self.server.gateway
        # a slow sender must keep up the minimum rate (after a grace), so it cannot hold a worker for long
        self.body_start, self.body_got, self.body_grace = time.monotonic(), 0, gw.body_grace
        self.body_rate = gw.min_body_rate
        try:
            data = self.rfile.read(length) if length else b""
            if len(data) < length:
                raise TimeoutError("the client closed before sending its body")
        except TimeoutError:
            self.close_connection = True
            self._send_error(
                408,
                "request_timeout",
                f"Course gateway: the request body arrived slower than {gw.min_body_rate:,} bytes per second; "
                "send it again on a faster connection.",
            )
            return None
        finally:
            self.deadline = math.inf
            self.body_rate = 0.0
            self.connection.settimeout(self.timeout)
        return data

    def _handle(self, method: str) -> None:
        """Answer one request; whatever goes wrong becomes an answer in the API's error shape, never silence."""
        self.deadline = math.inf
        self.connection.settimeout(self.timeout)
        try:
            self._answer(method)
        except GONE:
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
        h = self.headers
        problem = host_problem(h.get("Host"), gw.host, gw.room_hosts) or origin_problem(
            h.get("Origin"), h.get("Host"), h.get("Sec-Fetch-Site")
        )
        if problem is not None:
            self.close_connection = True
            self._send_error(403, "permission_error", problem)
            return
        raw = self._read_body()  # read before any answer, so no body bytes are taken for a next request
        if raw is None:
            return
        if self.path.startswith("/_primer/"):
            self._primer()
            return
        if gw.mode == "replay":
            self._write(gw.answer(self.client_address[0], method, self.path, self.headers, raw, self._base_url()))
            return
        gw.forward(self.client_address[0], method, self.path, self.headers, raw, _Sink(self), self._base_url())

    def _primer(self) -> None:
        """The gateway's own endpoints: what a notebook's setup and spend display ask a shared gateway."""
        gw = self.server.gateway
        route = self.path.split("?", 1)[0]
        if route == "/_primer/status":
            try:
                self._send_json(200, {}, gw.status(self.client_address[0]))
            except LedgerError as e:
                self._send_error(500, "api_error", str(e))
        elif route == "/_primer/reset" and self.command != "POST":  # a state change: never a GET a page can make
            self._send_error(405, "invalid_request_error", "Course gateway: /_primer/reset takes POST.")
        elif route == "/_primer/reset":  # a kernel joining a shared gateway starts its sequences afresh
            gw.reset(self.client_address[0])
            self._send_json(200, {}, {"reset": True})
        elif route == "/_primer/log":
            self._send_json(200, {}, [asdict(e) for e in gw.logs.get(self.client_address[0], [])])
        else:
            self._send_error(404, "not_found_error", f"Course gateway: no route {route}.")

    def _base_url(self) -> str:
        """The address this client used to reach the gateway, for URLs it will follow (a room's LAN address)."""
        host = self.headers.get("Host", "")
        if re.fullmatch(r"[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?|\[[0-9a-fA-F:]{2,45}\](:[0-9]{1,5})?", host):
            return f"http://{host}"
        return self.server.gateway.url

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


class _Sink:
    """Live mode's answer onto this handler's socket: whole, or chunk by chunk as it arrives."""

    def __init__(self, handler: Handler):
        self.h = handler

    def send(self, answer: Answer) -> None:
        self.h._send_raw(answer.status, answer.headers, answer.body)

    def open_stream(self, status: int, headers: dict[str, str]) -> None:
        h = self.h
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()

    def write(self, chunk: bytes) -> bool:
        try:
            self.h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.h.wfile.flush()
            return True
        except GONE:
            self.h.close_connection = True
            return False

    def close_stream(self) -> None:
        self.h.wfile.write(b"0\r\n\r\n")
        self.h.wfile.flush()
