"""The gateway on a real loopback socket, driven by the SDK and by raw HTTP (as cURL does)."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time

import anthropic
import pytest
from fake_upstream import message as api_message
from fake_upstream import message_batch

from helpers.gateway import Gateway

HELLO = {"model": "claude-opus-4-6", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello, Claude!"}]}


def message(text: str, model: str = "claude-opus-4-6") -> dict:
    return api_message(text, model, tokens_in=10, tokens_out=5)


def json_ex(body, reply, status=200, headers=None, path="/v1/messages", method="POST", **resp):
    if (method, path.split("?")[0]) == ("POST", "/v1/messages") and status < 300 and isinstance(reply, dict):
        reply = {**message("stub"), **reply}  # a 2xx answer there must be a Message; the test's keys stay on top
    return {
        "request": {"method": method, "path": path, "body": body},
        "response": {"status": status, "headers": headers or {}, "body": reply, **resp},
    }


def stream_ex(body, offsets):
    msg = dict(message(""), content=[], stop_reason=None)
    events = [
        {"at": offsets[0], "event": "message_start", "data": {"type": "message_start", "message": msg}},
        {
            "at": offsets[0],
            "event": "content_block_start",
            "data": {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        },
    ]
    for i, at in enumerate(offsets[1:]):
        events.append(
            {
                "at": at,
                "event": "content_block_delta",
                "data": {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f"w{i} "}},
            }
        )
    last = offsets[-1]
    events += [
        {"at": last, "event": "content_block_stop", "data": {"type": "content_block_stop", "index": 0}},
        {
            "at": last,
            "event": "message_delta",
            "data": {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 7},
            },
        },
        {"at": last, "event": "message_stop", "data": {"type": "message_stop"}},
    ]
    return {
        "request": {"method": "POST", "path": "/v1/messages", "body": body},
        "response": {"status": 200, "headers": {"content-type": "text/event-stream; charset=utf-8"}, "events": events},
    }


def client(gw: Gateway, **kw) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="test-key-not-real", **kw)


def raw(
    gw: Gateway,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
    source: str | None = None,
):
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5, source_address=(source, 0) if source else None)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def test_sdk_gets_the_recorded_message_with_bearer_auth(serve):
    gw = serve([json_ex(HELLO, message("Hi there"))])
    msg = client(gw).messages.create(**HELLO)
    assert msg.content[0].text == "Hi there" and msg.usage.output_tokens == 5
    assert gw.log[-1].auth == "bearer" and gw.log[-1].status == 200


def test_curl_style_request_with_x_api_key_and_old_version(serve):
    gw = serve([json_ex(HELLO, message("Hi there"))])
    body = json.dumps(HELLO, indent=2).encode()  # other whitespace and key order than the recording
    status, headers, data = raw(
        gw,
        "POST",
        "/v1/messages",
        body,
        {"x-api-key": "sk-test", "anthropic-version": "2023-06-01", "content-type": "application/json"},
    )
    assert status == 200 and json.loads(data)["content"][0]["text"] == "Hi there"
    assert (gw.log[-1].auth, gw.log[-1].version) == ("x-api-key", "2023-06-01")


def test_a_miss_is_an_immediate_non_retried_400_that_explains_itself(serve):
    gw = serve([json_ex(HELLO, message("Hi"))])
    other = dict(HELLO, messages=[{"role": "user", "content": "Hello!"}])
    with pytest.raises(anthropic.BadRequestError) as err:
        client(gw).messages.create(**other)
    text = str(err.value)
    assert "not in the recording (test_rec.json)" in text
    assert "body.messages[0].content: recorded 'Hello, Claude!', the request sends 'Hello!'" in text
    assert "PRIMER_MODE=live" in text
    assert len(gw.log) == 1, "the SDK must not retry a miss"
    assert gw.log[0].kind == "miss"


def test_recorded_429_is_retried_by_the_sdk_without_waiting(serve, fake_clock):
    ok = {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    limited = {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}, "request_id": "req_1"}
    gw = serve(
        [json_ex(ok, limited, status=429, headers={"retry-after": "30"}), json_ex(ok, message("done"))],
        sleep=fake_clock.sleep,
        clock=fake_clock.clock,
    )
    assert client(gw).messages.create(**ok).content[0].text == "done"
    assert [(e.status, e.retry_count) for e in gw.log] == [(429, 0), (200, 1)]
    # Used up, a POST sequence starts over: a re-run cell sees the 429 and the retry again.
    assert raw(gw, "POST", "/v1/messages", json.dumps(ok).encode())[0] == 429
    assert raw(gw, "POST", "/v1/messages", json.dumps(ok).encode())[0] == 200


def test_a_get_sequence_repeats_its_last_answer_so_polling_stays_ended(serve):
    gw = serve(
        [
            json_ex(None, {"s": "in_progress"}, path="/v1/messages/batches/b", method="GET"),
            json_ex(None, {"s": "ended"}, path="/v1/messages/batches/b", method="GET"),
        ]
    )
    got = [json.loads(raw(gw, "GET", "/v1/messages/batches/b", b"")[2])["s"] for _ in range(4)]
    assert got == ["in_progress", "ended", "ended", "ended"]


def test_beta_true_is_ignored_and_a_query_difference_is_named(serve):
    ok = {"q": 1}
    gw = serve([json_ex(ok, {"ok": 1}, path="/v1/messages?beta=true")])
    assert raw(gw, "POST", "/v1/messages", b'{"q":1}')[0] == 200, "SDK 2.x posts beta calls to the plain path"
    status, _, data = raw(gw, "POST", "/v1/messages?limit=3", b'{"q":1}')
    assert status == 400 and "the query string: recorded '?beta=true', the request sends '?limit=3'" in data.decode()


def test_an_exchange_can_require_a_pinned_api_version(serve):
    pinned = json_ex({"t": 0.2}, {"ok": 1})
    pinned["request"]["match_headers"] = {"anthropic-version": "2023-06-01"}
    gw = serve([pinned])
    status, _, data = raw(gw, "POST", "/v1/messages", b'{"t":0.2}', {"anthropic-version": "2026-10-21"})
    assert status == 400 and "header anthropic-version: recorded '2023-06-01'" in data.decode()
    assert raw(gw, "POST", "/v1/messages", b'{"t":0.2}', {"anthropic-version": "2023-06-01"})[0] == 200


def test_retry_after_ms_scales_with_speed(serve):
    ok = {"q": 1}
    limited = {"type": "error", "error": {"type": "rate_limit_error", "message": "x"}}
    for speed, expected in ((0, "1"), (2, "1500"), (1, None)):
        gw = serve([json_ex(ok, limited, status=429, headers={"retry-after": "3"})], speed=speed)
        status, headers, _ = raw(gw, "POST", "/v1/messages", json.dumps(ok).encode())
        assert status == 429 and headers.get("retry-after") == "3"
        assert headers.get("retry-after-ms") == expected


def test_sse_is_served_in_order_and_accumulates_in_the_sdk(serve):
    body = dict(HELLO, stream=True)
    gw = serve([stream_ex(body, [0.3, 0.5, 0.6, 0.9])])
    with client(gw).messages.stream(**HELLO) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ["w0 ", "w1 ", "w2 "]
    assert final.usage.output_tokens == 7 and final.stop_reason == "end_turn"


@pytest.mark.parametrize(("speed", "expected"), [(1, [0.3, 0.2, 0.1, 0.3]), (2, [0.15, 0.1, 0.05, 0.15]), (0, [])])
def test_sse_pacing_follows_offsets_times_speed(serve, fake_clock, speed, expected):
    gw = serve(
        [stream_ex({"stream": True}, [0.3, 0.5, 0.6, 0.9])], speed=speed, sleep=fake_clock.sleep, clock=fake_clock.clock
    )
    status, headers, data = raw(gw, "POST", "/v1/messages", b'{"stream": true}')
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    names = [line[7:] for line in data.decode().splitlines() if line.startswith("event: ")]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    assert fake_clock.sleeps == pytest.approx(expected)


def test_batch_results_as_jsonl_through_the_sdk_with_rewritten_url(serve):
    batch = message_batch(
        "msgbatch_01x",
        "https://api.anthropic.com/v1/messages/batches/msgbatch_01x/results",
        errored=1,
        ended_at="2026-11-24T00:05:00Z",
    )
    lines = [
        {
            "custom_id": "b",
            "result": {
                "type": "errored",
                "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
            },
        },
        {"custom_id": "a", "result": {"type": "succeeded", "message": message("ok")}},
    ]
    gw = serve(
        [
            json_ex(None, batch, path="/v1/messages/batches/msgbatch_01x", method="GET"),
            {
                "request": {"method": "GET", "path": "/v1/messages/batches/msgbatch_01x/results"},
                "response": {"status": 200, "headers": {}, "lines": lines},
            },
        ]
    )
    c = client(gw)
    assert (
        c.messages.batches.retrieve("msgbatch_01x").results_url == f"{gw.url}/v1/messages/batches/msgbatch_01x/results"
    )
    results = {r.custom_id: r.result for r in c.messages.batches.results("msgbatch_01x")}
    assert results["a"].type == "succeeded" and results["a"].message.content[0].text == "ok"
    assert results["b"].type == "errored"


def test_malformed_input_gets_the_api_error_envelope(serve):
    gw = serve([json_ex(HELLO, message("x"))])
    status, headers, data = raw(gw, "POST", "/v1/messages", b"{not json")
    assert status == 400 and headers["x-should-retry"] == "false"
    assert json.loads(data)["error"] == {
        "type": "invalid_request_error",
        "message": "Request body is not valid JSON (line 1 column 2).",
    }
    status, _, data = raw(gw, "POST", "/v2/everything", b"{}")
    assert status == 404 and json.loads(data)["error"]["type"] == "not_found_error"
    status, _, data = raw(gw, "POST", "/v1/messages", b"\xff\xfe")
    assert status == 400 and "not valid JSON" in json.loads(data)["error"]["message"]


def test_bad_lengths_are_refused_without_reading_forever(serve):
    gw = serve([json_ex(HELLO, message("x"))])
    for headers, status in (
        ({"Content-Length": "abc"}, 400),
        ({"Content-Length": "-1"}, 400),
        ({"Content-Length": str(10**12)}, 413),
        ({"Transfer-Encoding": "chunked"}, 411),
    ):
        with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            s.sendall(f"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
            reply = s.recv(4096).decode()
        assert reply.startswith(f"HTTP/1.1 {status}"), reply[:80]


def test_hold_delays_regardless_of_speed(serve, fake_clock):
    gw = serve([json_ex({"q": 1}, {"ok": 1}, hold=1.5)], speed=0, sleep=fake_clock.sleep, clock=fake_clock.clock)
    assert raw(gw, "POST", "/v1/messages", b'{"q": 1}')[0] == 200
    assert fake_clock.sleeps == [1.5]


def test_each_client_address_has_its_own_position(serve):
    gw = serve([json_ex({"q": 1}, {"n": 1}), json_ex({"q": 1}, {"n": 2})])
    first = [
        json.loads(raw(gw, "POST", "/v1/messages", b'{"q":1}', source=src)[2])["n"]
        for src in ("127.0.0.1", "127.0.0.2")
    ]
    assert first == [1, 1]
    gw.reset()
    assert json.loads(raw(gw, "POST", "/v1/messages", b'{"q":1}')[2])["n"] == 1


def test_a_client_that_vanishes_mid_stream_does_not_stop_the_gateway(serve, fake_clock):
    gw = serve([stream_ex({"stream": True}, [0.1] + [0.2] * 50), json_ex({"q": 1}, {"ok": 1})])
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 16\r\n\r\n{"stream": true}')
        s.recv(100)
    assert raw(gw, "POST", "/v1/messages", b'{"q": 1}')[0] == 200
    assert not gw.crashes, list(gw.crashes)


def test_stop_frees_the_port_and_is_idempotent():
    gw = Gateway([], speed=0).start()
    port = gw.port
    gw.stop()
    gw.stop()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_negative_speed_is_refused():
    with pytest.raises(ValueError, match="speed"):
        Gateway([], speed=-1)


def test_workers_are_reused_and_a_slow_client_holds_only_one(serve):
    gw = serve([json_ex({"q": 1}, {"ok": 1})])

    def settled() -> None:  # the last connection's worker is back in the pool (a deadline, not a timing)
        deadline = time.monotonic() + 10
        while gw._server._idle < gw._server._workers and time.monotonic() < deadline:
            time.sleep(0.005)

    for _ in range(20):  # one connection each, one after another
        settled()
        assert raw(gw, "POST", "/v1/messages", b'{"q": 1}')[0] == 200
    assert gw._server._workers == 1, "a warm pool serves sequential connections without new threads"
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5):  # connects, never sends
        assert raw(gw, "POST", "/v1/messages", b'{"q": 1}')[0] == 200


def test_gateway_made_errors_carry_a_stable_request_id_as_the_api_does(serve):
    gw = serve([json_ex({"q": 1}, {"ok": 1})])
    answers = [raw(gw, "POST", "/v1/messages", b'{"q": 2}') for _ in range(2)]
    ids = {json.loads(body)["request_id"] for _, _, body in answers}
    assert len(ids) == 1, "the same miss gets the same id, so stored outputs stay the same"
    rid = ids.pop()
    assert re.fullmatch(r"req_011C[1-9A-HJ-NP-Za-km-z]{20}", rid)
    assert all(headers.get("request-id") == rid for _, headers, _ in answers)
