"""The live meter fails closed: an answer it cannot price in full keeps the call's worst case as spent, never
$0, and only a 2xx with result lines settles a batch."""

from __future__ import annotations

import gzip
import json
import typing

import anthropic.types as sdk_types
import anthropic.types.beta as sdk_beta
import pytest
from fake_upstream import Reply, message, message_batch, stream_events

from hardening.wire import ASK, call
from helpers.gateway.budget import worst_case
from helpers.gateway.meter import STREAM_EVENTS, USAGE_FIELDS
from helpers.pricing import cost

WORST = worst_case("POST", "/v1/messages", ASK).usd


def _sse(events) -> bytes:
    return b"".join(f"event: {n}\ndata: {json.dumps(d)}\n\n".encode() for n, d in events)


def test_every_usage_field_the_sdk_knows_is_one_the_meter_prices_or_refuses_to():
    sdk = set()
    for cls in (sdk_types.Usage, sdk_beta.BetaUsage, sdk_types.MessageDeltaUsage, sdk_beta.BetaMessageDeltaUsage):
        sdk |= set(cls.model_fields)
    assert sdk - set(USAGE_FIELDS) == set(), "teach helpers/gateway/meter.py these usage fields"


def _event_types(union) -> set[str]:
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    return {x for cls in typing.get_args(union) for x in typing.get_args(cls.model_fields["type"].annotation)}


def test_every_stream_event_the_sdk_knows_is_one_the_meter_knows():
    sdk = _event_types(sdk_types.RawMessageStreamEvent) | _event_types(sdk_beta.BetaRawMessageStreamEvent)
    assert sdk - STREAM_EVENTS == set(), "teach helpers/gateway/meter.py these stream events"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(raw=_sse(stream_events(["hi"])), headers={"Content-Type": "application/octet-stream"}),
        Reply(
            raw=gzip.compress(json.dumps(message()).encode()),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
        Reply(
            raw=gzip.compress(_sse(stream_events(["hi"]))),
            headers={"Content-Type": "text/event-stream", "Content-Encoding": "gzip"},
        ),
        Reply(raw=b"<html>maintenance</html>", headers={"Content-Type": "text/html"}),
        Reply(raw=json.dumps(message()).encode(), headers={"Content-Type": "text/plain"}),
    ],
    ids=["octet-stream", "gzip-json", "gzip-sse", "html", "json-as-text"],
)
def test_an_answer_of_unknown_type_or_encoding_keeps_its_worst_case(live, upstream, reply):
    gw = live()
    upstream.replies.append(reply)
    status, headers, data = call(gw, "POST", "/v1/messages", ASK)
    assert status == 200
    if "Content-Encoding" in reply.headers:
        assert headers.get("content-encoding") == "gzip" and data == reply.raw, "relayed as sent, decodable"
    budget = gw.ledger.snapshot()
    assert budget["spent"] == pytest.approx(WORST) and budget["reserved"] == 0


def test_a_stream_with_a_content_type_in_other_case_is_metered(live, upstream):
    gw = live()
    events = stream_events(["hi"], tokens_in=50, tokens_out=30)
    upstream.replies.append(Reply(raw=_sse(events), headers={"Content-Type": "Text/Event-Stream; charset=utf-8"}))
    status, _, _ = call(gw, "POST", "/v1/messages", dict(ASK, stream=True))
    assert status == 200
    billed = cost({"input_tokens": 50, "output_tokens": 30}, ASK["model"]).total
    assert gw.ledger.snapshot()["spent"] == pytest.approx(billed) and billed > 0


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": 100, "output_tokens": 20, "iterations": [{"type": "compaction", "input_tokens": 90000}]},
        {"input_tokens": 100, "output_tokens": 20, "server_tool_use": {"web_search_requests": 3}},
        {"input_tokens": 100, "output_tokens": 20, "brand_new_cost": 7},
        {"input_tokens": 100},
    ],
    ids=["compaction-iterations", "server-tool-use", "unknown-field", "no-output-count"],
)
def test_usage_the_meter_does_not_know_keeps_the_worst_case(live, upstream, usage):
    gw = live()
    upstream.replies.append(Reply(body=dict(message(), usage=usage)))
    assert call(gw, "POST", "/v1/messages", ASK)[0] == 200
    assert gw.ledger.snapshot()["spent"] == pytest.approx(WORST)


def test_a_fallback_to_an_unpriced_model_keeps_the_worst_case(live, upstream):
    gw = live()
    upstream.replies.append(Reply(body=message(model="claude-fallback-unpriced-1")))
    assert call(gw, "POST", "/v1/messages", ASK)[0] == 200
    assert gw.ledger.snapshot()["spent"] == pytest.approx(WORST)


def test_zero_usage_known_fields_are_still_metered_exactly(live, upstream):
    gw = live()
    usage = {
        "input_tokens": 100,
        "output_tokens": 20,
        "server_tool_use": {"web_search_requests": 0},
        "iterations": None,
    }
    upstream.replies.append(Reply(body=dict(message(), usage=usage)))
    assert call(gw, "POST", "/v1/messages", ASK)[0] == 200
    assert gw.ledger.snapshot()["spent"] == pytest.approx(cost(usage, ASK["model"]).total)


@pytest.mark.parametrize(
    "failure",
    [
        Reply(
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            {"x-should-retry": "false"},
        ),
        Reply(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "batch has not ended"}}),
        Reply(200, lines=[]),
    ],
    ids=["529", "400-not-ended", "no-lines"],
)
def test_only_a_2xx_with_result_lines_settles_a_batch(live, upstream, failure):
    gw = live()
    bid = "msgbatch_01fc"
    batch = {"requests": [{"custom_id": "a", "params": ASK}]}
    upstream.replies.append(Reply(body=message_batch(bid, f"{upstream.url}/v1/messages/batches/{bid}/results")))
    assert call(gw, "POST", "/v1/messages/batches", batch)[0] == 200
    held = gw.ledger.snapshot()["reserved"]
    assert held > 0
    upstream.replies.append(failure)
    call(gw, "GET", f"/v1/messages/batches/{bid}/results")
    assert gw.ledger.snapshot()["reserved"] == pytest.approx(held), "a failed fetch must not settle the batch"
    line = {"custom_id": "a", "result": {"type": "succeeded", "message": message(tokens_in=1000, tokens_out=500)}}
    upstream.replies.append(Reply(lines=[line]))
    assert call(gw, "GET", f"/v1/messages/batches/{bid}/results")[0] == 200
    after = gw.ledger.snapshot()
    billed = cost({"input_tokens": 1000, "output_tokens": 500}, ASK["model"], batch=True).total
    assert after["reserved"] == 0 and after["spent"] == pytest.approx(billed)


def test_a_stream_event_the_meter_does_not_know_keeps_the_worst_case(live, upstream):
    gw = live()
    events = stream_events(["hi"])
    events.insert(2, ("compaction_delta", {"type": "compaction_delta", "usage": {"input_tokens": 90_000}}))
    upstream.replies.append(Reply(events=events))
    streamed = dict(ASK, stream=True)
    assert call(gw, "POST", "/v1/messages", streamed)[0] == 200
    assert gw.ledger.snapshot()["spent"] == pytest.approx(worst_case("POST", "/v1/messages", streamed).usd)
