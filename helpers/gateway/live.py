"""Live and record modes without a socket: bound the cost, forward, relay as it arrives, meter, settle, capture.

`forward` is to live mode what `Gateway.answer` is to replay: it takes the request as values and writes the
answer to a `Sink`, so the HTTP handler and the tests drive the same code (`Collect` is a sink that keeps the
answer in memory). What the meter cannot price in full keeps the call's worst case as spent; only a 2xx with
result lines settles a batch; a redirect is never relayed.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..pricing import UnknownPriceError
from .answers import Answer, LogEntry, error_answer, seen_headers
from .budget import BadRequest, BudgetExceeded, LedgerError, count_request, worst_case
from .guard import redact
from .meter import StreamMeter, charges_from_lines, charges_from_message, unpriced
from .recordings import rewrite_urls
from .routes import find_route, route_problem
from .upstream import HOP_BY_HOP, SseSplitter, json_or_lines

if TYPE_CHECKING:
    from .server import Gateway

__all__ = ["Sink", "Collect", "forward"]


class Sink(Protocol):
    """Where an answer goes: whole (`send`), or as a stream of chunks."""

    def send(self, answer: Answer) -> None: ...

    def open_stream(self, status: int, headers: dict[str, str]) -> None: ...

    def write(self, chunk: bytes) -> bool:  # False once the client has gone
        ...

    def close_stream(self) -> None: ...


@dataclass
class Collect:
    """A sink that keeps the answer: its status, headers and bytes (a stream's chunks joined)."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    streamed: bool = False

    def send(self, answer: Answer) -> None:
        self.status, self.headers, self.body = answer.status, dict(answer.headers), answer.body

    def open_stream(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.headers, self.streamed = status, dict(headers), True

    def write(self, chunk: bytes) -> bool:
        self.body += chunk
        return True

    def close_stream(self) -> None:
        pass


@dataclass
class _Call:
    gw: Gateway
    client: str
    method: str
    path: str
    sink: Sink
    seen: dict[str, Any]
    base_url: str

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    def log(self, status: int, kind: str) -> None:
        self.gw._log_for(LogEntry(self.method, redact(self.route), status, kind, **self.seen), self.client)

    def refuse(self, status: int, kind: str, message: str, logged: str = "error") -> None:
        self.log(status, logged)
        self.sink.send(error_answer(self.method, self.path, status, kind, message))

    def settle(self, fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Settle in the ledger after the upstream answered: a ledger failure must not lose the answer, and
        the reservation then stays in the file, still counted against the cap."""
        try:
            fn(*args, **kwargs)
        except LedgerError as e:
            self.gw._note_crash(e)


def forward(
    gw: Gateway, client: str, method: str, path: str, headers: Any, raw: bytes, body: Any, sink: Sink, base_url: str
) -> None:
    """Bound the cost of one request, forward it, and relay the answer to `sink`, metered and settled."""
    assert gw.upstream is not None and gw.ledger is not None
    call = _Call(gw, client, method, path, sink, seen_headers(headers), base_url)
    problem = route_problem(method, path)
    if problem:
        kind = "not_found_error" if problem[0] == 404 else "invalid_request_error"
        call.refuse(problem[0], kind, problem[1])
        return
    try:
        betas = headers.get_all("anthropic-beta") if hasattr(headers, "get_all") else headers.get("anthropic-beta")
        betas = [betas] if isinstance(betas, str) else (betas or [])
        route = find_route(method, path)
        counted = _count(gw, body, headers) if route is not None and route.billable == "message" else None
        est = worst_case(method, path, body, held_tokens=gw.held_tokens, betas=betas, counted=counted)
    except UnknownPriceError as e:
        msg = f"Course budget: {e} Live mode refuses calls it cannot price."
        call.refuse(400, "invalid_request_error", msg, "budget")
        return
    except BadRequest as e:
        call.refuse(400, "invalid_request_error", str(e), "budget")
        return
    rid = None
    if est is not None and est.usd > 0:
        try:
            rid = gw.ledger.reserve(est)
        except BudgetExceeded as e:
            call.refuse(402, "billing_error", str(e), "budget")
            return
        except LedgerError as e:  # fail closed: nothing is forwarded that the ledger cannot hold
            call.refuse(500, "api_error", str(e), "budget")
            return
    slot = gw.recorder.start() if gw.recorder else None
    start = gw.clock()
    sent = headers.items() if hasattr(headers, "items") else headers
    try:
        conn, resp = gw.upstream.open(method, path, raw, dict(sent))
    except (OSError, http.client.HTTPException) as e:
        call.settle(gw.ledger.settle, rid, [])
        why = f"cannot reach {gw.upstream.shown} ({type(e).__name__}: {str(e)[:200]})"
        if gw.recorder and slot is not None:
            gw.recorder.fail(slot, why)
        advice = "Check your network, or set PRIMER_MODE=replay to work offline."
        call.refuse(502, "api_error", f"Course gateway ({gw.mode}): {why}. {advice}")
        return
    try:
        _relay(call, body, rid, resp, start, slot)
    finally:
        conn.close()


def _count(gw: Gateway, body: Any, headers: Any) -> int | None:
    """The API's count of a message's input when it holds a PDF, whose pages the bound cannot see in the body
    (POST /v1/messages/count_tokens bills nothing); None when not needed or not to be had (the bound then takes
    the model's whole context window)."""
    wanted = count_request(body)
    if wanted is None or gw.upstream is None:
        return None
    sent = dict(headers.items() if hasattr(headers, "items") else headers)
    sent = {k: v for k, v in sent.items() if k.lower() not in ("content-length", "content-type")}
    sent["Content-Type"] = "application/json"
    try:
        conn, resp = gw.upstream.open("POST", "/v1/messages/count_tokens", json.dumps(wanted).encode(), sent)
        try:
            data = resp.read(65536)
        finally:
            conn.close()
        tokens = json.loads(data).get("input_tokens") if resp.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        return None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0 else None


def _relay(call: _Call, body: Any, rid: str | None, resp: Any, start: float, slot: int | None) -> None:
    """Relay the upstream answer; the ledger and meter are settled before the client sees the end of it."""
    gw, method, route = call.gw, call.method, call.route
    assert gw.ledger is not None and gw.upstream is not None
    headers = {k.lower(): v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
    encoding = resp.getheader("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        headers["content-encoding"] = encoding  # relayed as sent, so the client can decode it; never metered
    ctype = headers.get("content-type", "").lower()
    route_info = find_route(method, route)
    billable = route_info.billable if route_info else ""
    if 300 <= resp.status < 400:
        # never relayed: a client following it would send its key to wherever it points
        call.settle(gw.ledger.settle, rid, [], keep_reserved=True)
        if gw.recorder and slot is not None:
            gw.recorder.fail(slot, f"the upstream answered {resp.status} (a redirect)")
        call.refuse(
            502,
            "api_error",
            f"Course gateway: the upstream answered with a redirect ({resp.status}), which is never followed "
            "or relayed; check PRIMER_UPSTREAM_URL. The call's worst case stays counted as spent.",
        )
        return
    metered = encoding in ("", "identity")
    finish: Callable[[], None] | None
    if resp.status < 300 and ctype.startswith("text/event-stream") and metered:
        meter, events, client_ok = _relay_sse(call, resp, headers, start, capture=slot is not None)
        charges = meter.charges()
        gw._remember(meter.message_id, charges)
        # a cut stream, or one whose usage the meter cannot price, keeps its worst case
        unsure = not meter.complete or not charges or bool(unpriced(charges))
        call.settle(gw.ledger.settle, rid, charges, keep_reserved=unsure)
        payload: dict[str, Any] = {"events": events}
        kind, finish = "sse", (call.sink.close_stream if client_ok else None)
    else:
        data = resp.read()
        payload = json_or_lines(call.path, data) if metered else {"body": None}
        ok = 200 <= resp.status < 300
        if billable == "results":
            lines = payload.get("lines") or []
            charges = charges_from_lines(lines) if ok and metered else []
            if ok and metered and lines and not unpriced(charges):
                # only a 2xx with result lines settles a batch; anything else leaves it reserved
                call.settle(gw.ledger.settle_batch, route.split("/")[-2], charges)
            kind = "jsonl"
        else:
            body_in = payload.get("body")
            charges = charges_from_message(body_in) if ok else []
            if isinstance(body_in, dict):
                gw._remember(str(body_in.get("id", "")), charges)
            if billable == "batch" and ok and rid and isinstance(body_in, dict) and body_in.get("id"):
                call.settle(gw.ledger.hold_for_batch, rid, str(body_in.get("id")))
            elif billable and ok:
                # a 2xx the meter cannot price in full (odd type or encoding, unknown usage, unpriced model,
                # no message at all) keeps its worst case as spent, never $0
                unsure = not metered or not ctype.startswith("application/json") or not charges
                unsure = unsure or bool(unpriced(charges)) or billable == "batch"
                call.settle(gw.ledger.settle, rid, charges, keep_reserved=unsure)
            else:
                call.settle(gw.ledger.settle, rid, charges)  # an error answer is not billed
            kind = "json"
            if metered and isinstance(body_in, (dict, list)):
                # results_url must lead back through this gateway, to be metered; nothing else changes
                relayed = rewrite_urls(body_in, call.base_url, gw.upstream.url)
                if relayed != body_in:
                    data = json.dumps(relayed, ensure_ascii=False).encode("utf-8")

        def finish() -> None:
            call.sink.send(Answer(resp.status, headers, data, kind))

    gw._tally_for(call.client).add(charges)
    if gw.recorder is not None and slot is not None:
        gw.recorder.finish(slot, method, call.path, body, resp.status, headers, payload)
    call.log(resp.status, kind)
    if finish is not None:
        finish()


def _relay_sse(
    call: _Call, resp: Any, headers: dict[str, str], start: float, capture: bool
) -> tuple[StreamMeter, list[dict[str, Any]], bool]:
    """Pass SSE bytes through as they arrive (no buffering), metering and capturing on the way."""
    call.sink.open_stream(resp.status, headers)
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
                events.append({"at": round(call.gw.clock() - start, 3), "event": name, "data": parsed})
        if not call.sink.write(chunk):
            return meter, events, False  # the client left: stop reading, so generation stops upstream too
