"""A scripted stand-in for api.anthropic.com on loopback: records what it received, answers what it is told."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] | None = None
    gate_after: int | None = None  # hold the stream after this many events until `release` is set
    lines: list[Any] | None = None
    gzip: bool = False  # compress a JSON or JSONL body when the request accepts gzip, as the real API may
    raw: bytes | None = None  # sent as it is, with `headers` only (no Content-Type of its own): odd answers


class FakeUpstream:
    """The one fake upstream of every test. `gateway_mode` makes it play a remote course gateway too: it then
    answers /_primer/status (claiming that mode) and /_primer/reset itself."""

    def __init__(self, gateway_mode: str | None = None) -> None:
        self.replies: list[Reply] = []
        self.received: list[dict[str, Any]] = []
        self.release = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = raw
                upstream.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": parsed,
                    }
                )
                if gateway_mode is not None and self.path.startswith("/_primer/"):
                    self._send_json(_gateway_status(gateway_mode) if "status" in self.path else {"reset": True})
                    return
                reply = upstream.replies.pop(0) if upstream.replies else Reply(500, {"type": "error"})
                if reply.raw is not None:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.raw)))
                    self.end_headers()
                    self.wfile.write(reply.raw)
                    return
                if reply.events is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i, (name, data) in enumerate(reply.events):
                        if reply.gate_after is not None and i == reply.gate_after:
                            upstream.release.wait(10)
                        chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if reply.lines is not None:
                    data = "".join(json.dumps(x) + "\n" for x in reply.lines).encode()
                    ctype = "application/binary"
                else:
                    data = json.dumps(reply.body).encode()
                    ctype = "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", ctype)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                    data = gzip.compress(data)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_json(self, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _any

        self._loop = LoopbackServer(Handler)
        self.url = self._loop.url

    def stop(self) -> None:
        self.release.set()
        self._loop.stop()


def _gateway_status(mode: str) -> dict[str, Any]:
    """What a course gateway's /_primer/status says, with nothing spent."""
    return {
        "mode": mode,
        "recordings": {},
        "upstream": "https://api.anthropic.com",
        "budget": {"cap": 2.0, "spent": 0.0, "unsettled": 0.0, "reserved": 0.0, "left": 2.0, "by_model": {}},
        "spend": {"by_model": {}, "calls": {}, "unpriced": 0},
    }


class LoopbackServer:
    """A ThreadingHTTPServer for `handler` on a free loopback port, served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def message(
    text: str = "ok", model: str = "claude-opus-4-6", tokens_in: int = 100, tokens_out: int = 20
) -> dict[str, Any]:
    return {
        "model": model,
        "id": "msg_01fake",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def message_batch(
    batch_id: str, results_url: str, *, succeeded: int = 1, errored: int = 0, ended_at: str | None = None
) -> dict[str, Any]:
    """An ended MessageBatch object as the API returns it."""
    counts = {"processing": 0, "succeeded": succeeded, "errored": errored, "canceled": 0, "expired": 0}
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": "ended",
        "request_counts": counts,
        "created_at": "2026-11-24T00:00:00Z",
        "expires_at": "2026-11-25T00:00:00Z",
        "ended_at": ended_at,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": results_url,
    }


def stream_events(
    text_pieces: list[str], tokens_in: int = 50, tokens_out: int = 30, model: str = "claude-opus-4-6"
) -> list[tuple[str, dict[str, Any]]]:
    start = dict(message("", model=model), content=[], stop_reason=None,
                 usage={"input_tokens": tokens_in, "output_tokens": 1})
    events = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})
        for p in text_pieces
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events
