"""helpers.streaming (recorded offsets, the arrival figure, the loopback web server), the 05_streaming
recording and its self-checks."""

from __future__ import annotations

import json
import socket

import anthropic
import httpx
import matplotlib
import pytest
from conftest import make_recording
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from helpers import session, streaming
from helpers.bill import sent_by_notebooks
from helpers.checks import streaming as check
from helpers.config import RECORDINGS_DIR, ConfigError
from helpers.gateway.recordings import load_recording
from helpers.models import OPUS
from helpers.streaming import BackgroundServer

matplotlib.use("Agg")

REC = load_recording(RECORDINGS_DIR / "05_streaming.json")


def delta(text: str, index: int = 0) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}


TIMED = [
    {"at": 0.3, "event": "message_start", "data": {"type": "message_start"}},
    {"at": 0.3, "event": "ping", "data": {"type": "ping"}},
    {"at": 0.5, "event": "content_block_delta", "data": delta("Hello ")},
    {
        "at": 0.6,
        "event": "content_block_delta",
        "data": {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{"}},
    },
    {"at": 0.8, "event": "content_block_delta", "data": delta("world")},
    {"at": 1.0, "event": "message_stop", "data": {"type": "message_stop"}},
]


def stream_exchange(label: str, body: dict, events: list) -> dict:
    return {
        "label": label,
        "request": {"method": "POST", "path": "/v1/messages", "body": body},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream"}, "events": events},
    }


# offsets and the curve ------------------------------------------------------------------------------------


def test_first_text_and_total_come_from_the_offsets():
    assert streaming.first_text_at(TIMED) == 0.5  # the ping and the tool fragment are not text
    assert streaming.total_time(TIMED) == 1.0


def test_offsets_of_streams_without_text():
    assert streaming.first_text_at([]) is None
    assert streaming.total_time([]) == 0.0
    tool_only = [TIMED[0], TIMED[3], TIMED[5]]
    assert streaming.first_text_at(tool_only) is None
    assert streaming.arrival_curve(tool_only) == ([0.0], [0])


def test_arrival_curve_counts_characters_cumulatively():
    assert streaming.arrival_curve(TIMED) == ([0.0, 0.5, 0.8], [0, 6, 11])


def test_arrival_curve_ignores_malformed_events():
    odd = [
        {"at": 0.1, "event": "content_block_delta", "data": None},
        {"at": 0.2, "event": "content_block_delta", "data": {"type": "content_block_delta"}},
        {"at": 0.3, "event": "error", "data": {"type": "error", "error": {"type": "overloaded_error"}}},
    ]
    assert streaming.arrival_curve(odd) == ([0.0], [0])


def test_event_data_keeps_only_payloads():
    assert streaming.event_data(TIMED[:2]) == [{"type": "message_start"}, {"type": "ping"}]


def test_plot_arrival_labels_both_lines():
    fig = streaming.plot_arrival(TIMED, title="t")
    ax = fig.axes[0]
    assert ax.get_title() == "t"
    assert "(s)" in ax.get_xlabel() and "characters" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["streaming", "waiting for the whole message"]
    assert ax.get_xlim()[1] == pytest.approx(1.02)


def test_plot_arrival_copes_with_an_empty_stream():
    fig = streaming.plot_arrival([])
    assert fig.axes[0].get_xlim() == (0.0, 1.0)


# recorded_events ------------------------------------------------------------------------------------------


def test_recorded_events_reads_a_stream_by_label():
    rec = make_recording([stream_exchange("s", {"a": 1}, TIMED)])
    events = streaming.recorded_events("s", rec)
    assert events == TIMED and events[0] is not TIMED[0]  # copies: the recording cannot be changed through them


def test_recorded_events_names_the_streams_when_the_label_is_wrong():
    rec = make_recording(
        [
            stream_exchange("one", {"a": 1}, TIMED),
            {
                "label": "json",
                "request": {"method": "POST", "path": "/v1/messages", "body": {"b": 2}},
                "response": {
                    "status": 200,
                    "body": {"type": "message", "role": "assistant", "content": [], "usage": {}},
                },
            },
        ]
    )
    with pytest.raises(ValueError, match="No stream labelled 'two' in test_rec; there are: 'one'"):
        streaming.recorded_events("two", rec)
    with pytest.raises(ValueError, match="'json' of test_rec is not a stream"):
        streaming.recorded_events("json", rec)


def test_recorded_events_needs_a_session_without_a_recording(monkeypatch):
    monkeypatch.setattr(session, "_current", None)
    with pytest.raises(ConfigError, match="helpers.setup"):
        streaming.recorded_events("anything")


# the shipped recording ------------------------------------------------------------------------------------


def test_recording_holds_the_primers_exact_streaming_request():
    # The notebook's six (the primer's code verbatim, on claude-opus-4-6, is tests/test_primer_verbatim.py's).
    primer = [x for x in REC.exchanges if x.label.startswith("primer stream") and sent_by_notebooks(x)]
    assert len(primer) == 6 and any("async" in x.label for x in primer)
    assert any("cancelled" in x.label for x in primer) and any("perf_counter" in x.label for x in primer)
    for ex in primer:
        assert ex.request.body == {  # the primer's request, on the course's OPUS (the primer: claude-opus-4-6)
            "model": OPUS,
            "max_tokens": 1024,
            "stream": True,
            "messages": [{"role": "user", "content": "Please explain quantum computing in detail."}],
        }
        events = [dict(e) for e in ex.response.events or []]
        assert 0.3 <= streaming.first_text_at(events) <= 0.7  # a realistic first token
        assert streaming.total_time(events) > 5
        assert len(streaming.arrival_curve(events)[1]) > 100


def test_recording_streams_a_tool_call_and_breaks_two_streams_with_an_error_event():
    by_label = {x.label: x for x in REC.exchanges}
    tool = [e["data"] for e in by_label["streamed tool call"].response.events]
    assert check.reference_tool_inputs(tool) == [{"city": "Tokyo", "unit": "celsius"}]
    for label in ("stream overloaded midway", "stream overloaded midway again"):
        last = by_label[label].response.events[-1]
        assert last["event"] == "error"
        assert last["data"] == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        assert by_label[label].response.status == 200
    assert by_label["stream succeeds on retry"].request.body == by_label["stream overloaded midway"].request.body


# BackgroundServer ------------------------------------------------------------------------------------------


async def hello(request):
    async def chunks():
        for piece in ("one ", "two ", "three"):
            yield piece

    return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8")


async def ping(request):
    return PlainTextResponse("pong")


APP = Starlette(routes=[Route("/hello", hello), Route("/ping", ping)])


def test_background_server_streams_and_stops():
    server = BackgroundServer(APP).start()
    try:
        assert server.running and server.url.startswith("http://127.0.0.1:")
        assert server.start() is server  # a second start does nothing
        with httpx.stream("GET", f"{server.url}/hello", timeout=10) as response:
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            assert "".join(response.iter_text()) == "one two three"
        port = server.port
    finally:
        assert server.stop() is True
    assert not server.running
    assert server.stop() is True  # safe twice
    with pytest.raises(RuntimeError, match="start"):
        _ = server.url
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def test_background_server_as_a_context_manager():
    with BackgroundServer(APP, host="localhost") as server:
        assert httpx.get(f"{server.url}/ping", timeout=10).text == "pong"
    assert not server.running


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", ""])
def test_background_server_refuses_anything_but_loopback(host):
    with pytest.raises(ValueError, match="loopback only"):
        BackgroundServer(APP, host=host)


def test_the_notebooks_endpoint_re_streams_text_from_the_gateway(serve):
    # The notebook's endpoint: a token is required, and the server builds the request from one question.
    web = next(x for x in REC.exchanges if x.label == "web endpoint re-streams")
    gw = serve([stream_exchange(web.label, web.request.body, web.response.events)])
    upstream = anthropic.AsyncAnthropic(base_url=gw.url, api_key="test-key", max_retries=0)
    token = "t0ken"

    async def chat(request):
        if request.headers.get("authorization") != f"Bearer {token}":
            return PlainTextResponse("unauthorized", status_code=401)
        body = await request.json()
        question = body.get("question") if isinstance(body, dict) else None
        if not isinstance(question, str) or not 0 < len(question) <= 2000:
            return PlainTextResponse("bad request", status_code=400)

        async def text_chunks():
            async with upstream.messages.stream(
                model=OPUS, max_tokens=1024, messages=[{"role": "user", "content": question}]
            ) as stream:
                async for chunk in stream:
                    if chunk.type == "content_block_delta" and chunk.delta.type == "text_delta":
                        yield chunk.delta.text

        return StreamingResponse(text_chunks(), media_type="text/plain; charset=utf-8")

    app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])
    question = web.request.body["messages"][0]["content"]
    auth = {"authorization": f"Bearer {token}"}
    with BackgroundServer(app) as server:
        url = f"{server.url}/api/chat"
        assert httpx.post(url, json={"question": question}, timeout=10).status_code == 401
        relay = {"messages": [{"role": "user", "content": "anything at all"}]}
        assert httpx.post(url, json=relay, headers=auth, timeout=10).status_code == 400
        with httpx.stream("POST", url, json={"question": question}, headers=auth, timeout=10) as response:
            got = "".join(response.iter_text())
    want, stop = check.reference_final_text([e["data"] for e in web.response.events])
    assert got == want and stop == "end_turn"


def test_a_connection_dropped_mid_stream_is_an_api_connection_error_and_not_retried():
    # Notebooks 05 and 10 say so: the SDK (2.17, anthropic/_streaming.py iter_response_bytes) wraps the httpx2
    # error in anthropic.APIConnectionError, and does not retry once the stream has begun.
    import threading

    import httpx2

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(5)
    accepted = []
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-opus-4-6",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 1},
        },
    }

    def hang_up_mid_stream():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:  # closed or timed out: the test is over
                return
            accepted.append(conn)
            hang_up(conn)

    def hang_up(conn):
        conn.recv(65536)
        event = f"event: message_start\ndata: {json.dumps(start)}\n\n".encode()
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            + f"{len(event):x}\r\n".encode()
            + event
            + b"\r\n"
        )
        conn.close()

    thread = threading.Thread(target=hang_up_mid_stream, daemon=True)
    thread.start()
    client = anthropic.Anthropic(api_key="x", base_url=f"http://127.0.0.1:{srv.getsockname()[1]}", max_retries=2)
    try:
        with pytest.raises(anthropic.APIConnectionError) as info:
            with client.messages.stream(
                model="claude-opus-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            ) as stream:
                for _ in stream.text_stream:
                    pass
        assert type(info.value) is anthropic.APIConnectionError
        assert not isinstance(info.value, httpx2.TransportError)  # `except httpx2.TransportError` misses it
        assert isinstance(info.value.__cause__, httpx2.TransportError)
        assert len(accepted) == 1  # max_retries=2, yet one connection: no retry once the stream began
    finally:
        srv.close()
        thread.join(5)


def test_a_browser_that_disconnects_ends_the_endpoints_generator():
    # Notebook 05 says the server cancels the forwarding generator when the browser goes away (Starlette under
    # uvicorn listens for http.disconnect), so its `async with` closes the stream to Claude.
    import asyncio
    import threading
    import time

    ended = threading.Event()

    async def chat(request):
        async def chunks():
            try:
                for n in range(200):
                    yield f"piece {n} "
                    await asyncio.sleep(0.05)
            finally:
                ended.set()

        return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8")

    app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])
    with BackgroundServer(app) as server:
        with httpx.stream("POST", f"{server.url}/api/chat", json={}, timeout=10) as response:
            next(response.iter_text())
        started = time.monotonic()
        assert ended.wait(5), "the generator kept running after the client left"
        assert time.monotonic() - started < 5


# self-checks ----------------------------------------------------------------------------------------------


def test_streams_include_the_failed_one_and_the_made_up_cases():
    samples = check.streams()
    assert samples["the stream that failed midway"][-1]["type"] == "error"
    assert len(samples) == 8  # five recorded streams, three made up
    for events in samples.values():
        assert all(isinstance(e, dict) and "type" in e for e in events)


def test_reference_final_text_on_the_failed_stream():
    text, stop = check.reference_final_text(check.streams()["the stream that failed midway"])
    assert stop is None and text.startswith("A classical bit") and not text.endswith(".")


def test_check_final_text_accepts_the_reference():
    r = check.check_final_text(check.reference_final_text)
    assert r.ok and "correct" in repr(r)


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (..., "Replace ... with your function"),
        ("final_text", "Pass the function itself"),
        (lambda events: None, "returned None"),
        (lambda events: "text", "Return a pair"),
        (lambda events: ("", None), "you returned no text"),
    ],
)
def test_check_final_text_rejects_placeholders_and_wrong_shapes(fn, fragment):
    r = check.check_final_text(fn)
    assert not r.ok and fragment in repr(r)


def until_first_stop(events):
    text = ""
    for e in events:
        if e["type"] == "content_block_stop":
            break
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta":
            text += e["delta"]["text"]
    return text, check.reference_final_text(events)[1]


def every_delta(events):
    text = "".join(
        e["delta"].get("text", e["delta"].get("partial_json", "")) for e in events if e["type"] == "content_block_delta"
    )
    return text, check.reference_final_text(events)[1]


def error_as_stop_reason(events):
    text, stop = check.reference_final_text(events)
    return text, stop or "error"


def key_error(events):
    return "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta"), None


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (until_first_stop, "stops early"),
        (every_delta, "input_json_delta fragments are tool input"),
        (error_as_stop_reason, "stop_reason should be None"),
        (key_error, "check delta['type'] == 'text_delta' first"),
    ],
)
def test_check_final_text_explains_common_mistakes(fn, fragment):
    r = check.check_final_text(fn)
    assert not r.ok and fragment in repr(r)


def test_check_final_text_is_not_fooled_by_mutation():
    def destructive(events):
        text, stop = check.reference_final_text(events)
        events.clear()
        return text, stop

    assert check.check_final_text(destructive).ok


def test_check_tool_inputs_accepts_the_reference():
    assert check.check_tool_inputs(check.reference_tool_inputs).ok


def naive_parse(events):
    parts = {}
    for e in events:
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta":
            parts[e["index"]] = parts.get(e["index"], "") + e["delta"]["partial_json"]
    return [json.loads(raw) for _, raw in sorted(parts.items())]


def unparsed(events):
    return [json.dumps(x) for x in check.reference_tool_inputs(events)]


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (..., "Replace ... with your function"),
        (42, "Pass the function itself"),
        (lambda events: None, "returned None"),
        (lambda events: {}, "Return a list"),
        (naive_parse, "sends just '' (read it as {})"),
        (unparsed, "json.loads the joined fragments"),
        (lambda events: [{}], "expected"),
    ],
)
def test_check_tool_inputs_explains_mistakes(fn, fragment):
    r = check.check_tool_inputs(fn)
    assert not r.ok and fragment in repr(r)
