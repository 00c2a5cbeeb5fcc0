"""The recording format: validation, matching, order, repeats, misses and saving."""

from __future__ import annotations

import json

import pytest
from conftest import make_recording

from helpers.gateway.recordings import (
    Cursor,
    RecordingError,
    ReplayIndex,
    canonical_body,
    canonical_path,
    dumps_recording,
    first_difference,
    load_recording,
    load_recordings,
    parse_recording,
    rewrite_urls,
    save_recording,
)


def ex(body, reply, path="/v1/messages", method="POST", label=""):
    if (method, path) == ("POST", "/v1/messages"):  # a 2xx answer there must be a Message: `reply` is its text
        reply = {"type": "message", "role": "assistant", "content": [{"type": "text", "text": reply}], "usage": {}}
    out = {
        "request": {"method": method, "path": path, "body": body},
        "response": {"status": 200, "headers": {}, "body": reply},
    }
    if label:
        out["label"] = label
    return out


def text(found):
    """What ex() was given as the reply: a Message's text, or the body itself."""
    body = found.response.body
    return body["content"][0]["text"] if isinstance(body, dict) and body.get("type") == "message" else body


def test_canonical_body_ignores_key_order_and_whitespace():
    assert canonical_body({"b": 1, "a": [1, {"y": 2, "x": 3}]}) == canonical_body(
        json.loads('{ "a":[1,{"x":3,"y":2}], "b":1 }')
    )
    assert canonical_body({"a": 1}) != canonical_body({"a": 1.5})


def test_canonical_path_sorts_query():
    assert canonical_path("/v1/models?limit=20&after_id=x") == canonical_path("/v1/models?after_id=x&limit=20")
    assert canonical_path("/v1/models") == "/v1/models"


def test_identical_posts_are_served_in_order_then_start_over_and_gets_repeat_the_last():
    rec = make_recording(
        [ex({"q": 1}, "first"), ex({"q": 2}, "other"), ex({"q": 1}, "second")]
        + [ex(None, s, path="/v1/messages/batches/b", method="GET") for s in ("running", "ended")]
    )
    cursor = Cursor(ReplayIndex([rec]))
    got = [text(cursor.next("POST", "/v1/messages", {"q": 1})) for _ in range(5)]
    assert got == ["first", "second", "first", "second", "first"], "a re-run cell sees what it saw first"
    assert text(cursor.next("POST", "/v1/messages", {"q": 2})) == "other"
    polled = [cursor.next("GET", "/v1/messages/batches/b", None).response.body for _ in range(4)]
    assert polled == ["running", "ended", "ended", "ended"], "polling once more stays ended"


def test_each_cursor_keeps_its_own_position():
    index = ReplayIndex([make_recording([ex({"q": 1}, "a"), ex({"q": 1}, "b")])])
    one, two = Cursor(index), Cursor(index)
    assert text(one.next("POST", "/v1/messages", {"q": 1})) == "a"
    assert text(two.next("POST", "/v1/messages", {"q": 1})) == "a"


def test_method_and_path_are_part_of_the_match():
    cursor = Cursor(ReplayIndex([make_recording([ex(None, "got", path="/v1/models", method="GET")])]))
    assert cursor.next("POST", "/v1/models", None) is None
    assert cursor.next("GET", "/v1/models/x", None) is None
    assert cursor.next("GET", "/v1/models", None).response.body == "got"


def test_first_difference_names_the_json_path():
    a = {"model": "m", "messages": [{"role": "user", "content": "Hello"}]}
    b = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    assert first_difference(a, b) == "body.messages[0].content: recorded 'Hello', the request sends 'Hi'"
    assert "no such field" in first_difference({"a": 1}, {"a": 1, "b": 2})
    assert "recorded 1 items, the request sends 2" in first_difference([1], [1, 2])
    assert first_difference(a, json.loads(json.dumps(a))) is None
    assert first_difference(1, True) is not None  # JSON true is not 1


def test_miss_message_names_recording_closest_difference_and_how_to_go_live():
    rec = make_recording([ex({"model": "m", "max_tokens": 5}, "x", label="greeting")], name="01_demo")
    msg = ReplayIndex([rec]).miss_message("POST", "/v1/messages", {"model": "m", "max_tokens": 6})
    assert "01_demo.json" in msg
    assert "exchange 0 ('greeting')" in msg
    assert "body.max_tokens: recorded 5, the request sends 6" in msg
    assert "PRIMER_MODE=live" in msg


def test_miss_message_prefers_the_same_route():
    rec = make_recording([ex(None, "list", path="/v1/models", method="GET"), ex({"a": 1}, "msg")])
    msg = ReplayIndex([rec]).miss_message("POST", "/v1/messages", {"a": 2})
    assert "exchange 1" in msg and "body.a" in msg


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"format": 2, "provenance": {"source": "authored"}, "exchanges": []}, "format"),
        ({"format": 1, "provenance": {"source": "guessed"}, "exchanges": []}, "provenance.source"),
        ({"format": 1, "provenance": {"source": "authored"}, "exchanges": {}}, "exchanges: must be a list"),
        ({"format": 1, "provenance": {"source": "authored"}, "exchanges": [{"request": {}}]}, "exchanges[0]"),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [{"request": {"method": "PUT", "path": "/v1/x"}, "response": {"status": 200, "body": 1}}],
            },
            "request.method",
        ),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [{"request": {"method": "GET", "path": "v1"}, "response": {"status": 200, "body": 1}}],
            },
            "request.path",
        ),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [{"request": {"method": "GET", "path": "/v1"}, "response": {"status": 999, "body": 1}}],
            },
            "response.status",
        ),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [{"request": {"method": "GET", "path": "/v1"}, "response": {"status": 200}}],
            },
            "exactly one of body, events, lines",
        ),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [
                    {
                        "request": {"method": "GET", "path": "/v1"},
                        "response": {"status": 200, "body": 1, "headers": {"set-cookie": "x"}},
                    }
                ],
            },
            "allow-list",
        ),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [
                    {
                        "request": {"method": "GET", "path": "/v1"},
                        "response": {
                            "status": 200,
                            "events": [{"at": 1, "event": "a", "data": {}}, {"at": 0.5, "event": "b", "data": {}}],
                        },
                    }
                ],
            },
            "events[1].at",
        ),
        (
            {
                "format": 1,
                "provenance": {"source": "authored"},
                "exchanges": [
                    {"request": {"method": "GET", "path": "/v1"}, "response": {"status": 200, "body": 1, "hold": 99}}
                ],
            },
            "hold",
        ),
    ],
)
def test_bad_recordings_name_file_and_position(tmp_path, broken, expected):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(RecordingError) as err:
        load_recording(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_corrupt_json_and_missing_files_are_clear(tmp_path):
    path = tmp_path / "corrupt.json"
    path.write_text('{"format": 1,\n "provenance": }', encoding="utf-8")
    with pytest.raises(RecordingError, match=r"corrupt.json: line 2 column \d+: not valid JSON"):
        load_recording(path)
    with pytest.raises(RecordingError, match="no such recording file"):
        load_recording(tmp_path / "absent.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordingError, match="no recordings"):
        load_recordings(tmp_path / "empty")


def test_save_round_trips_and_keeps_events_one_per_line(tmp_path):
    exchanges = [
        ex({"q": 1}, {"ok": True}, label="one"),
        {
            "request": {"method": "POST", "path": "/v1/messages", "body": {"stream": True}},
            "response": {
                "status": 200,
                "headers": {"request-id": "req_1"},
                "events": [
                    {"at": 0.1, "event": "ping", "data": {"type": "ping"}},
                    {"at": 0.2, "event": "message_stop", "data": {"type": "message_stop"}},
                ],
            },
        },
    ]
    rec = make_recording(exchanges, name="rt")
    target = save_recording(rec, tmp_path / "rt.json")
    again = load_recording(target)
    assert again.to_json() == rec.to_json()
    text = target.read_text(encoding="utf-8")
    assert '{"at":0.1,"event":"ping","data":{"type":"ping"}}' in text
    assert dumps_recording(again) == text
    assert not list(tmp_path.glob(".*.tmp"))


def test_save_refuses_an_invalid_recording_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RecordingError):
        save_recording({"format": 1, "provenance": {"source": "x"}, "exchanges": []}, target)
    assert target.read_text(encoding="utf-8") == "old"


def test_rewrite_urls_changes_only_url_fields_never_content():
    body = {
        "data": [{"results_url": "https://api.anthropic.com/v1/messages/batches/b/results"}],
        "results_url": "https://api.anthropic.com.evil.com/v1/x",
        "content": [{"type": "text", "text": "curl https://api.anthropic.com/v1/messages"}],
        "k": 1,
    }
    out = rewrite_urls(body, "http://127.0.0.1:9/")
    assert out["data"][0]["results_url"] == "http://127.0.0.1:9/v1/messages/batches/b/results"
    assert out["results_url"] == body["results_url"], "a look-alike host is not the API"
    assert out["content"] == body["content"], "Claude's text is never rewritten"
    assert rewrite_urls(body, "http://gw:1", "http://up:2")["k"] == 1


@pytest.mark.parametrize(
    "where, value",
    [
        ("headers", {"request-id": "req_1\r\nset-cookie: x=1"}),
        ("event", "message_stop\nevent: injected"),
        ("data", "{}\n\nevent: injected"),
    ],
)
def test_a_recording_that_would_inject_headers_or_events_is_refused(where, value):
    resp = {"status": 200, "headers": {}, "events": [{"at": 0, "event": "ping", "data": {}}]}
    if where == "headers":
        resp["headers"] = value
    else:
        resp["events"][0][where] = value
    data = {
        "format": 1,
        "provenance": {"source": "authored"},
        "exchanges": [{"request": {"method": "POST", "path": "/v1/messages", "body": {}}, "response": resp}],
    }
    with pytest.raises(RecordingError, match="control character|letters, digits|one line"):
        parse_recording(data, "x", "x.json")


# --- requests the API treats as equal (issue 33) -------------------------------------------------------------


def test_the_equivalences_are_a_short_named_list_that_says_what_each_means():
    from helpers.gateway.recordings import EQUIVALENCES

    assert [name for name, _ in EQUIVALENCES] == ["stream-false", "empty-body"]
    assert all(len(text) < 120 and "\n" not in text for _, text in EQUIVALENCES)


@pytest.mark.parametrize(
    ("recorded", "sent"),
    [
        ({"model": "m", "stream": False}, {"model": "m"}),
        ({"model": "m"}, {"model": "m", "stream": False}),
    ],
    ids=["recorded-false", "sent-false"],
)
def test_stream_false_and_no_stream_field_match(recorded, sent):
    cursor = Cursor(ReplayIndex([make_recording([ex(recorded, "answer")])]))
    assert text(cursor.next("POST", "/v1/messages", sent)) == "answer"


@pytest.mark.parametrize(("recorded", "sent"), [({}, None), (None, {})], ids=["recorded-{}", "sent-{}"])
def test_an_empty_json_body_and_no_body_match_on_a_parameterless_post(recorded, sent):
    path = "/v1/messages/batches/msgbatch_01x/cancel"
    cursor = Cursor(ReplayIndex([make_recording([ex(recorded, "canceling", path=path)])]))
    assert cursor.next("POST", path, sent).response.body == "canceling"


@pytest.mark.parametrize(
    ("recorded", "sent"),
    [
        ({"model": "m", "stream": True}, {"model": "m"}),
        ({"model": "m", "stream": True}, {"model": "m", "stream": False}),
        ({"model": "m", "stream": None}, {"model": "m"}),
        ({"reason": "x"}, None),
        ({"messages": []}, {"messages": {}}),
    ],
)
def test_nothing_else_is_made_equal(recorded, sent):
    cursor = Cursor(ReplayIndex([make_recording([ex(recorded, "answer")])]))
    assert cursor.next("POST", "/v1/messages", sent) is None


def test_a_miss_that_falls_on_an_equivalence_says_so_and_names_the_real_difference():
    rec = make_recording([ex({"model": "m", "max_tokens": 5, "stream": False}, "x", label="plain")], name="rl")
    msg = ReplayIndex([rec]).miss_message("POST", "/v1/messages", {"model": "m", "max_tokens": 6})
    assert "body.max_tokens: recorded 5, the request sends 6" in msg, "not body.stream, which matching ignores"
    assert 'replay already treats as equal: "stream": false is the same as no "stream" field' in msg
    plain = make_recording([ex({"model": "m", "max_tokens": 5}, "x")])
    miss = ReplayIndex([plain]).miss_message("POST", "/v1/messages", {"model": "m", "max_tokens": 6})
    assert "treats as equal" not in miss
