"""Live and record modes against a fake upstream on loopback: forwarding, relay, meter, budget, capture."""

from __future__ import annotations

import http.client
import json
import threading
import time

import anthropic
import pytest
from fake_upstream import FakeUpstream, Reply, message, message_batch, stream_events

from helpers.gateway import Gateway
from helpers.gateway.budget import BudgetExceeded, Estimate, Ledger, worst_case
from helpers.gateway.meter import Charge
from helpers.gateway.recordings import load_recording, save_recording
from helpers.gateway.upstream import Upstream
from helpers.models import model_info
from helpers.pricing import UnknownPriceError, cost, price_of

FAKE_KEY = "sk-ant-api03-" + "Zx9" * 30 + "-AbCdEfAA"  # shaped like a real key, never valid
ASK = {"model": "claude-opus-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.stop()


@pytest.fixture
def live(upstream, tmp_path):
    started = []

    def _live(cap: float = 2.0, mode: str = "live", url: str | None = None) -> Gateway:
        ledger = Ledger(tmp_path / "ledger.json", cap)
        gw = Gateway([], mode=mode, upstream=Upstream(url or upstream.url), ledger=ledger, speed=0).start()
        started.append(gw)
        return gw

    yield _live
    for gw in started:
        gw.stop()


def sdk(gw: Gateway, key: str = FAKE_KEY, **kw) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=key, **kw)


def post(gw: Gateway, path: str, body: dict, headers: dict) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    conn.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json", **headers})
    return conn.getresponse()


def test_forwards_with_the_clients_own_auth_style(live, upstream):
    gw = live()
    upstream.replies += [Reply(body=message("first")), Reply(body=message("second"))]
    assert sdk(gw).messages.create(**ASK).content[0].text == "first"
    resp = post(gw, "/v1/messages", ASK, {"x-api-key": FAKE_KEY, "anthropic-version": "2023-06-01"})
    assert resp.status == 200 and json.loads(resp.read())["content"][0]["text"] == "second"
    bearer, xkey = upstream.received
    assert bearer["headers"]["authorization"] == f"Bearer {FAKE_KEY}" and "x-api-key" not in bearer["headers"]
    assert xkey["headers"]["x-api-key"] == FAKE_KEY and xkey["headers"]["anthropic-version"] == "2023-06-01"
    assert bearer["body"] == ASK and bearer["path"] == "/v1/messages"


def test_upstream_errors_come_back_unchanged(live, upstream):
    gw = live()
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}, "request_id": "req_9"}
    headers = {"retry-after": "17", "request-id": "req_9", "anthropic-ratelimit-requests-remaining": "0"}
    upstream.replies.append(Reply(429, error, headers))
    resp = post(gw, "/v1/messages", ASK, {"x-api-key": FAKE_KEY})
    assert resp.status == 429 and json.loads(resp.read()) == error
    for k, v in headers.items():
        assert resp.getheader(k) == v
    upstream.replies.append(
        Reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
    )
    with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
        sdk(gw, max_retries=0).messages.create(**ASK)
    assert gw.ledger.snapshot()["spent"] == 0, "errors are not charged"


def test_sse_is_relayed_event_by_event_and_metered(live, upstream):
    gw = live()
    upstream.replies.append(Reply(events=stream_events(["Hel", "lo"], tokens_in=50, tokens_out=30), gate_after=3))
    resp = post(gw, "/v1/messages", dict(ASK, stream=True), {"x-api-key": FAKE_KEY})
    seen = b""
    while b"text_delta" not in seen:  # arrives while the upstream is still holding the rest back
        seen += resp.read1(65536)
    assert b"message_stop" not in seen
    upstream.release.set()
    rest = resp.read()
    assert b"message_stop" in seen + rest
    assert gw.ledger.snapshot()["spent"] == pytest.approx(
        cost({"input_tokens": 50, "output_tokens": 30}, ASK["model"]).total
    )
    assert gw.tallies["127.0.0.1"].calls == {"claude-opus-4-6": 1}


def test_sdk_stream_through_live_gateway(live, upstream):
    gw = live()
    upstream.replies.append(Reply(events=stream_events(["a", "b", "c"])))
    with sdk(gw).messages.stream(**ASK) as stream:
        assert "".join(stream.text_stream) == "abc"
        assert stream.get_final_message().usage.output_tokens == 30


def test_unreachable_upstream_is_a_clear_error_not_a_hang(live):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    gw = live(url=closed)
    with pytest.raises(anthropic.APIStatusError) as err:
        sdk(gw).messages.create(**ASK)
    assert err.value.status_code == 502 and "cannot reach" in str(err.value) and "PRIMER_MODE=replay" in str(err.value)
    assert len(gw.log) == 1, "not retried"
    assert gw.ledger.snapshot()["reserved"] == 0


def test_budget_refuses_before_forwarding(live, upstream):
    gw = live(cap=0.001)
    with pytest.raises(anthropic.APIStatusError) as err:
        sdk(gw).messages.create(**dict(ASK, max_tokens=1024))
    assert err.value.status_code == 402 and err.value.body["error"]["type"] == "billing_error"
    text = str(err.value)
    assert "could cost up to" in text and "of your $0.001000 budget is left" in text and "PRIMER_BUDGET_USD" in text
    assert upstream.received == [] and len(gw.log) == 1


def test_metered_cost_replaces_the_reservation(live, upstream):
    gw = live()
    upstream.replies.append(Reply(body=message(tokens_in=1000, tokens_out=200)))
    sdk(gw).messages.create(**ASK)
    snap = gw.ledger.snapshot()
    assert snap["spent"] == pytest.approx((1000 * 5 + 200 * 25) / 1e6) and snap["reserved"] == 0
    assert snap["by_model"] == {"claude-opus-4-6": pytest.approx(snap["spent"])}


def test_a_model_without_a_price_is_refused(live, upstream):
    gw = live()
    with pytest.raises(anthropic.BadRequestError, match="No price for model 'claude-future-9'"):
        sdk(gw).messages.create(**dict(ASK, model="claude-future-9"))
    assert upstream.received == []


def test_free_calls_are_not_reserved():
    assert worst_case("POST", "/v1/messages/count_tokens", {"model": "claude-opus-4-6", "messages": []}) is None
    assert worst_case("GET", "/v1/models", None) is None
    with pytest.raises(UnknownPriceError):
        worst_case("POST", "/v1/messages", {"model": "x", "max_tokens": 5, "messages": []})


def test_worst_case_bounds_input_output_cache_and_batch():
    est = worst_case("POST", "/v1/messages", dict(ASK, max_tokens=1000))
    assert est.usd >= 1000 * 25 / 1e6
    cached = dict(
        ASK, system=[{"type": "text", "text": "x" * 3000, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    )
    assert worst_case("POST", "/v1/messages", cached).usd >= 1000 * 5 * 2 / 1e6  # >= 1000 tokens at the 1h write rate
    batch = {"requests": [{"custom_id": str(i), "params": dict(ASK, max_tokens=1000)} for i in range(4)]}
    assert worst_case("POST", "/v1/messages/batches", batch).usd == pytest.approx(2 * est.usd, rel=0.05)


def test_concurrent_kernels_cannot_overrun_the_cap(tmp_path):
    path = tmp_path / "ledger.json"
    wins, errors = [], []

    def kernel() -> None:
        try:
            wins.append(Ledger(path, 1.0).reserve(Estimate(0.3, "test")))
        except BudgetExceeded as e:
            errors.append(e)

    threads = [threading.Thread(target=kernel) for _ in range(20)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(wins) == 3 and len(errors) == 17
    assert Ledger(path, 1.0).snapshot()["reserved"] == pytest.approx(0.9)


def test_ledger_survives_restarts_and_counts_a_dead_reservation_as_spent(tmp_path):
    path = tmp_path / "ledger.json"
    Ledger(path, 1.0).settle(None, [Charge("claude-opus-4-6", 1, 1, 0.25)])
    state = json.loads(path.read_text(encoding="utf-8"))
    state["reservations"]["old"] = {"usd": 0.5, "pid": 999999999, "at": time.time()}
    path.write_text(json.dumps(state), encoding="utf-8")
    snap = Ledger(path, 1.0).snapshot()
    # The process is gone but the API may have billed its call: the hold is never dropped.
    assert snap["spent"] == 0.25 and snap["reserved"] == 0 and snap["unsettled"] == 0.5
    assert snap["left"] == pytest.approx(0.25)
    Ledger(path, 1.0).reserve(Estimate(0.1, "next"))  # a write persists the move to "unsettled"
    assert "old" in json.loads(path.read_text(encoding="utf-8"))["unsettled"]


# A killed kernel and an unfetched batch: tests/hardening/test_budget.py tries both.


def test_batch_is_held_until_results_then_charged_once_at_batch_price(live, upstream):
    gw = live()
    batch = message_batch("msgbatch_01q", f"{upstream.url}/v1/messages/batches/msgbatch_01q/results")
    line = {"custom_id": "a", "result": {"type": "succeeded", "message": message(tokens_in=1000, tokens_out=1000)}}
    upstream.replies += [
        Reply(body=batch),
        Reply(body=batch),
        Reply(lines=[line]),
        Reply(body=batch),
        Reply(lines=[line]),
    ]
    client = sdk(gw)
    created = client.messages.batches.create(requests=[{"custom_id": "a", "params": ASK}])
    assert created.results_url.startswith(gw.url), "results_url must lead back through the gateway"
    assert gw.ledger.snapshot()["reserved"] > 0
    for _ in range(2):
        assert [r.custom_id for r in client.messages.batches.results("msgbatch_01q")] == ["a"]
    snap = gw.ledger.snapshot()
    assert snap["reserved"] == 0 and snap["spent"] == pytest.approx((1000 * 5 + 1000 * 25) / 2 / 1e6)


def test_record_mode_captures_in_order_without_any_secret(live, upstream, tmp_path):
    gw = live(mode="record")
    leaky = {
        "request-id": "req_kept",
        "anthropic-organization-id": "org-secret-123",
        "set-cookie": "session=abc",
        "anthropic-ratelimit-requests-remaining": "49",
    }
    upstream.replies += [
        Reply(body=message("one"), headers=leaky),
        Reply(events=stream_events(["x", "y"]), headers={"request-id": "req_s"}),
    ]
    client = sdk(gw)
    client.messages.create(**ASK)
    with client.messages.stream(**ASK) as stream:
        stream.get_final_message()
    rec = {"format": 1, "provenance": {"source": "recorded"}, "exchanges": gw.recorder.complete()}
    path = save_recording(rec, tmp_path / "99_test.json")
    text = path.read_text(encoding="utf-8")
    for secret in (FAKE_KEY, "Bearer", "authorization", "x-api-key", "org-secret-123", "session=abc", "x-stainless"):
        assert secret.lower() not in text.lower()
    loaded = load_recording(path)
    first, second = loaded.exchanges
    assert first.response.headers == {
        "content-type": "application/json",
        "request-id": "req_kept",
        "anthropic-ratelimit-requests-remaining": "49",
    }
    assert first.request.body == ASK and second.request.body == dict(ASK, stream=True)
    assert [e["event"] for e in second.response.events][0] == "message_start"
    assert all(isinstance(e["at"], float) for e in second.response.events)


def test_modes_need_an_upstream_and_a_ledger():
    with pytest.raises(ValueError, match="upstream"):
        Gateway([], mode="live")
    with pytest.raises(ValueError, match="mode"):
        Gateway([], mode="offline")


def test_worst_case_output_is_capped_at_what_a_model_can_write():
    huge = worst_case("POST", "/v1/messages", dict(ASK, max_tokens=200_000))
    capped = worst_case("POST", "/v1/messages", dict(ASK, max_tokens=128_000))
    assert huge.usd == capped.usd and capped.usd >= 128_000 * 25 / 1e6


def test_a_thread_continued_on_the_server_is_bounded_by_the_whole_context_window():
    # SDK 2.15's tool runner continues a message thread: the earlier turns are not in the body.
    body = dict(ASK, max_tokens=100, thread={"previous_message_id": "msg_011Cx"})
    est = worst_case("POST", "/v1/messages", body)
    window = model_info(ASK["model"]).context_window
    assert est.usd >= window * price_of(ASK["model"]).input / 1e6 and "thread" in est.detail
    assert worst_case("POST", "/v1/messages", dict(ASK, max_tokens=100)).usd < est.usd / 100


def test_a_thread_continued_from_a_metered_answer_is_bounded_by_that_answer(live, upstream):
    gw = live(cap=0.06)  # far below a whole context window on Opus, enough for a small conversation
    upstream.replies += [Reply(body=message("first", tokens_in=3000, tokens_out=500)), Reply(body=message("next"))]
    start = dict(ASK, max_tokens=100, thread={"type": "create"})
    assert post(gw, "/v1/messages", start, {"x-api-key": FAKE_KEY}).status == 200
    assert gw.held_tokens("msg_01fake") == 3500
    follow = dict(ASK, max_tokens=100, thread={"type": "continue", "previous_message_id": "msg_01fake"})
    est = worst_case("POST", "/v1/messages", follow, held_tokens=gw.held_tokens)
    assert 3500 * price_of(ASK["model"]).input / 1e6 <= est.usd < 0.03, "the held turns, not the whole window"
    assert post(gw, "/v1/messages", follow, {"x-api-key": FAKE_KEY}).status == 200
    unknown = dict(follow, thread={"type": "continue", "previous_message_id": "msg_never_seen"})
    assert post(gw, "/v1/messages", unknown, {"x-api-key": FAKE_KEY}).status == 402, "unknown: the whole window"
    assert len(upstream.received) == 2


def test_live_mode_answers_without_a_socket_through_forward(upstream, tmp_path):
    from helpers.gateway.live import Collect

    ledger = Ledger(tmp_path / "ledger.json", 2.0)
    gw = Gateway([], mode="live", upstream=Upstream(upstream.url), ledger=ledger, serve=False)
    upstream.replies += [Reply(body=message("plain")), Reply(events=stream_events(["a", "b"]))]
    headers = {"x-api-key": FAKE_KEY, "content-type": "application/json"}
    whole, streamed = Collect(), Collect()
    gw.forward("10.0.0.1", "POST", "/v1/messages", headers, json.dumps(ASK).encode(), whole)
    gw.forward("10.0.0.1", "POST", "/v1/messages", headers, json.dumps(dict(ASK, stream=True)).encode(), streamed)
    assert whole.status == 200 and json.loads(whole.body)["content"][0]["text"] == "plain"
    assert streamed.streamed and b"event: message_stop" in streamed.body
    assert [e.kind for e in gw.logs["10.0.0.1"]] == ["json", "sse"]
    billed = cost({"input_tokens": 100, "output_tokens": 20}, ASK["model"]).total
    billed += cost({"input_tokens": 50, "output_tokens": 30}, ASK["model"]).total
    assert ledger.snapshot()["spent"] == pytest.approx(billed)
    refused = Collect()
    gw.forward("10.0.0.1", "POST", "/v1/messages", headers, b"[" * 200, refused)
    assert refused.status == 400 and len(upstream.received) == 2
