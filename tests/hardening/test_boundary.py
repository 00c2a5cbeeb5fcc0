"""The gateway talks only to whom it should: loopback Hosts (or the room's), no other site's pages, POST for
state changes, an allow-list of headers upstream, no redirect relayed, no plain-HTTP upstream beyond this
machine, and no key in any answer, log or miss message."""

from __future__ import annotations

import json

import pytest
from conftest import make_recording
from fake_upstream import Reply, message

from hardening.wire import ASK, FAKE_KEY, call, error_message
from helpers.config import ConfigError
from helpers.gateway import Gateway
from helpers.gateway.budget import worst_case
from helpers.gateway.guard import host_problem
from helpers.gateway.upstream import Upstream

RECORDED = {
    "request": {"method": "POST", "path": "/v1/messages", "body": ASK},
    "response": {"status": 200, "body": message("hi")},
}


@pytest.fixture
def replay():
    gw = Gateway([make_recording([RECORDED])], speed=0).start()
    yield gw
    gw.stop()


@pytest.mark.parametrize("path", ["/v1/messages", "/_primer/status", "/_primer/log"])
@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8765", "192.168.1.9", "[::2]"])
def test_a_host_that_is_not_this_gateway_gets_nothing(replay, path, host):
    # a DNS-rebound page sends its own name as Host
    method = "POST" if path == "/v1/messages" else "GET"
    status, _, data = call(replay, method, path, ASK if method == "POST" else None, {"Host": host})
    assert status == 403 and "Host" in error_message(data) and "sk-ant" not in data.decode()


@pytest.mark.parametrize("host", ["127.0.0.1:1234", "localhost", "[::1]:80", "127.5.6.7"])
def test_loopback_hosts_are_answered(replay, host):
    assert call(replay, "GET", "/_primer/status", None, {"Host": host})[0] == 200


def test_a_room_gateway_admits_its_addresses_and_its_configured_names_only():
    assert host_problem("192.168.1.20:8765", "0.0.0.0") is None
    assert host_problem("class.example:8765", "0.0.0.0") is not None
    assert host_problem("class.example:8765", "0.0.0.0", ["class.example"]) is None
    assert host_problem("192.168.1.20:8765", "127.0.0.1") is not None
    assert host_problem("10.0.0.5", "10.0.0.5") is None


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://attacker.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_a_page_from_another_site_gets_no_answer(replay, headers):
    status, _, data = call(replay, "POST", "/v1/messages", ASK, headers)
    assert status == 403 and "refused" in error_message(data)
    assert replay.log == type(replay.log)(maxlen=replay.log.maxlen), "nothing served, nothing logged"


def test_a_same_origin_request_is_answered(replay):
    origin = f"http://127.0.0.1:{replay.port}"
    assert call(replay, "POST", "/v1/messages", ASK, {"Origin": origin, "Host": f"127.0.0.1:{replay.port}"})[0] == 200


def test_reset_needs_post(replay):
    assert call(replay, "POST", "/v1/messages", ASK)[0] == 200
    assert call(replay, "GET", "/_primer/reset")[0] == 405
    assert call(replay, "POST", "/v1/messages", ASK)[0] == 200, "the GET reset nothing: the sequence repeats"
    assert call(replay, "POST", "/_primer/reset", b"")[0] == 200


def test_only_allow_listed_headers_go_upstream(live, upstream):
    gw = live()
    upstream.replies.append(Reply(body=message()))
    origin = f"http://127.0.0.1:{gw.port}"
    sent = {
        "Cookie": "session=1",
        "Referer": f"{origin}/x",
        "Origin": origin,
        "X-Forwarded-For": "1.2.3.4",
        "Host": f"127.0.0.1:{gw.port}",
        "anthropic-version": "2023-06-01",
        "x-stainless-retry-count": "0",
    }
    assert call(gw, "POST", "/v1/messages", ASK, sent)[0] == 200
    got = upstream.received[0]["headers"]
    assert not {"cookie", "referer", "origin", "x-forwarded-for"} & set(got)
    assert got["x-api-key"] == FAKE_KEY and got["anthropic-version"] == "2023-06-01"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_never_relayed_and_keeps_its_worst_case(live, upstream, status):
    gw = live()
    upstream.replies.append(Reply(status, {"moved": True}, {"Location": "https://collector.example/steal"}))
    code, headers, data = call(gw, "POST", "/v1/messages", ASK)
    assert code == 502 and "location" not in headers and "redirect" in error_message(data)
    assert gw.ledger.snapshot()["spent"] == pytest.approx(worst_case("POST", "/v1/messages", ASK).usd)


@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.2:8080/"])
def test_a_plain_http_upstream_beyond_this_machine_is_refused(url):
    with pytest.raises(ConfigError, match="plain HTTP"):
        Upstream(url)
    Upstream("http://127.0.0.1:9")  # loopback stays allowed (a local proxy, the tests' fake)


@pytest.mark.parametrize("url", ["https://user:hunter2secret@api.example.com", "https://hunter2secret@api.example.com"])
def test_user_and_password_in_the_upstream_url_are_refused_and_never_echoed(url):
    with pytest.raises(ConfigError) as e:
        Upstream(url)
    assert "hunter2secret" not in str(e.value) and "user name or password" in str(e.value)


def test_a_key_in_the_query_or_path_is_never_echoed(replay):
    status, _, data = call(replay, "POST", f"/v1/messages?key={FAKE_KEY}", ASK)
    assert status == 400 and "sk-ant-api03-Qw7" not in data.decode() and "Qw7Qw7" not in data.decode()
    status, _, data = call(replay, "GET", f"/v1/{FAKE_KEY}")
    assert status == 404 and "Qw7Qw7" not in data.decode()
    log = call(replay, "GET", "/_primer/log")[2].decode()
    assert "Qw7Qw7" not in log and "sk-ant-api03" not in log


@pytest.mark.parametrize("pasted", [FAKE_KEY, FAKE_KEY[len("sk-ant-api03-") :]], ids=["whole", "tail only"])
def test_a_key_pasted_into_a_message_is_not_echoed_even_in_part(replay, pasted):
    body = dict(ASK, messages=[{"role": "user", "content": f"my key is {pasted} please help"}])
    status, _, data = call(replay, "POST", "/v1/messages", body)
    text = error_message(data)
    assert status == 400 and "first difference" in text
    tail = FAKE_KEY[len("sk-ant-api03-") :]
    assert not any(tail[i : i + 12] in text for i in range(len(tail) - 12)), text


def test_the_status_never_shows_a_secret(live, upstream):
    gw = live()
    status = json.loads(call(gw, "GET", "/_primer/status")[2])
    assert status["upstream"] == upstream.url


def test_a_body_sent_to_a_primer_endpoint_is_never_taken_for_a_second_request(replay):
    import re
    import socket

    smuggled = b"GET /_primer/log HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    head = b"POST /_primer/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
    with socket.create_connection(("127.0.0.1", replay.port), timeout=5) as s:
        s.sendall(head + smuggled)
        s.settimeout(1.0)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
        except TimeoutError:
            pass
    assert len(re.findall(rb"HTTP/1\.1 \d{3} ", got)) == 1, got[:300]


def test_a_room_host_given_to_the_gateway_is_answered():
    gw = Gateway([make_recording([RECORDED])], speed=0, room_hosts=["Class.Example"]).start()
    try:
        assert call(gw, "GET", "/_primer/status", None, {"Host": "class.example:8765"})[0] == 200
        assert call(gw, "GET", "/_primer/status", None, {"Host": "other.example:8765"})[0] == 403
    finally:
        gw.stop()


def test_the_cli_passes_room_hosts_to_the_gateway(monkeypatch, tmp_path):
    from helpers.gateway import cli

    made = {}

    class Stub:
        port, url = 8765, "http://127.0.0.1:8765"

        def __init__(self, recordings, **kw):
            made.update(kw)

        def serve_forever(self):
            raise KeyboardInterrupt

        class _server:  # noqa: N801 - what main() closes
            @staticmethod
            def server_close():
                pass

    monkeypatch.setattr(cli, "Gateway", Stub)
    monkeypatch.setattr(cli, "load_recordings", lambda path: [])
    assert cli.main(["--room-host", "class.example", "--room-host", "lab.example", "--port", "0"]) == 0
    assert made["room_hosts"] == ["class.example", "lab.example"]
