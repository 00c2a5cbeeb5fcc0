"""Bounded resources (findings 7 and 8): a slow body cannot hold a worker, a wide JSON body is refused before
it is parsed."""

from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import make_recording

from hardening.wire import ASK, call, error_message
from helpers.gateway import Gateway
from helpers.gateway.server import MAX_NODES, parse_body


@pytest.fixture
def gw():
    g = Gateway([make_recording([])], speed=0, min_body_rate=1000, body_grace=1.0).start()
    yield g
    g.stop()


def test_a_body_trickled_below_the_minimum_rate_gets_a_408_and_frees_its_worker(gw):
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        head = "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        s.sendall(f"{head}Content-Length: 1000000\r\n\r\n".encode() + b'{"a":')
        answer = b""
        for _ in range(60):  # one byte every 0.1 s: 10 bytes a second against a minimum of 1,000
            try:
                s.sendall(b" ")
            except OSError:
                break
            time.sleep(0.1)
            s.setblocking(False)
            try:
                answer += s.recv(65536)
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
            if answer:
                break
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert b"bytes per second" in answer


def test_a_body_at_a_normal_pace_is_read_whole(gw):
    status, _, data = call(gw, "POST", "/v1/messages", dict(ASK, system="x" * 2_000_000))
    assert status == 400 and "not in the recording" in error_message(data), "read and matched, not cut off"


def test_a_wide_json_body_is_refused_before_parsing(gw):
    wide = b"[" + b"0," * (MAX_NODES + 1) + b"0]"
    status, _, data = call(gw, "POST", "/v1/messages", wide)
    assert status == 400 and "JSON values" in error_message(data)
    body, problem = parse_body(json.dumps({"messages": [{"content": "a, b, c"}] * 1000}).encode())
    assert problem is None and len(body["messages"]) == 1000, "an ordinary body is parsed"
