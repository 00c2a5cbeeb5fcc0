"""The HTTP server that stands in for the Claude API: the `Gateway` facade.

In replay mode it answers from recordings: JSON bodies, SSE streams paced by their recorded offsets,
and JSONL batch results. In live and record modes it forwards to the real API, meters every answer,
and refuses calls whose worst case would cross the budget; record mode also captures the exchanges.
Both work without a socket (`Gateway.answer`, `Gateway.forward`); `handler` and `pool` put them on one.
The SDK reaches it through ANTHROPIC_BASE_URL, so notebook code stays plain SDK code. Run standalone
to serve every notebook's recordings at once (`helpers.gateway.cli`):

    python -m helpers.gateway --recordings notebooks/recordings --port 8765
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from .answers import (
    MAX_BODY_BYTES,
    MAX_NODES,
    Answer,
    LogEntry,
    error_answer,
    error_body,
    parse_body,
    seen_headers,
    short_error,
)
from .budget import Ledger
from .guard import redact, redact_json
from .handler import Handler
from .live import Sink, forward
from .meter import Tally, charges_from_exchange
from .multipart import request_body as multipart_body
from .pool import Server
from .recordings import MATCH_HEADERS, Cursor, Exchange, Recording, ReplayIndex, rewrite_urls
from .routes import route_problem
from .upstream import Recorder, Upstream

__all__ = [
    "Answer",
    "Gateway",
    "LogEntry",
    "MAX_BODY_BYTES",
    "MAX_NODES",
    "MIN_BODY_RATE",
    "error_answer",
    "error_body",
    "parse_body",
    "seen_headers",
]

MIN_BODY_RATE = 50_000  # bytes per second a body must arrive at, after BODY_GRACE_S, or the request ends (408)
BODY_GRACE_S = 5.0
CRASHES_KEPT = 50

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
        room_hosts: Iterable[str] = (),
        min_body_rate: float = MIN_BODY_RATE,
        body_grace: float = BODY_GRACE_S,
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
        self.room_hosts = tuple(h.lower() for h in room_hosts)  # names a room's clients may use in Host
        self.log: deque[LogEntry] = deque(maxlen=log_size)
        self.header_timeout = float(header_timeout)
        self.min_body_rate, self.body_grace = float(min_body_rate), float(body_grace)
        self.crashes: deque[str] = deque(maxlen=CRASHES_KEPT)  # short lines only: a traceback would keep bodies
        self._cursors: _Clients[Cursor] = _Clients(lambda: Cursor(self.index))
        self._held: OrderedDict[str, int] = OrderedDict()  # message id -> tokens, for continued threads
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # serve=False: no socket, answers only through answer() (the browser edition, helpers.inbrowser)
        self._server: Server | None = None
        if serve:
            self._server = Server((host, port), Handler)  # binds now: a busy port fails here
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
        logged = redact(path.split("?", 1)[0])  # the log never echoes a query string or a key in a path
        sent = {h: v for h in MATCH_HEADERS if (v := headers.get(h)) is not None}
        ex = self._next(client, method, path, body, sent)
        if ex is None:
            problem_route = route_problem(method, path)
            if problem_route and problem_route[0] == 404:
                self._log_for(LogEntry(method, logged, 404, "error", **seen), client)
                return error_answer(method, path, 404, "not_found_error", problem_route[1])
            self._log_for(LogEntry(method, logged, 400, "miss", **seen), client)
            return error_answer(
                method,
                path,
                400,
                "invalid_request_error",
                redact(self.index.miss_message(method, redact(path), redact_json(body), sent), runs=True),
            )
        self._log_for(LogEntry(method, logged, ex.response.status, ex.response.kind, ex.describe(), **seen), client)
        self._tally_for(client).add(self.charges(ex))  # what the same call would cost live
        return self._recorded(ex, base_url or self.url)

    def forward(
        self, client: str, method: str, path: str, headers: Any, raw: bytes, sink: Sink, base_url: str | None = None
    ) -> None:
        """Live and record modes without a socket: bound the request's cost, forward it, and write the
        metered answer to `sink` (`helpers.gateway.live.Collect` keeps it in memory). `headers` is any mapping
        with a case-insensitive get; `base_url` is the address the client used, for a batch's results_url."""
        if self.mode == "replay":
            raise RuntimeError("a replay gateway answers through answer(); forward() is for live and record")
        body, problem = multipart_body(raw, headers) or parse_body(raw)
        if problem is not None:
            sink.send(error_answer(method, path, 400, "invalid_request_error", problem))
            return
        forward(self, client, method, path, headers, raw, body, sink, base_url or self.url)

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

    def _tally_for(self, client: str) -> Tally:
        with self._lock:
            return self.tallies.get_or_add(client)

    def status(self, client: str) -> dict[str, Any]:
        """What a client of this gateway may know: mode, recordings, budget, and its own spend."""
        tally = self.tallies.get(client, Tally())
        return {
            "mode": self.mode,
            "recordings": {r.name: r.provenance for r in self.index.recordings},
            "upstream": self.upstream.shown if self.upstream else None,
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
        self.crashes.append(short_error(exc))
