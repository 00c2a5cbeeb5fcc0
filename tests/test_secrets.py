"""helpers.gateway.secrets and its users: a key is found however it is encoded or wherever a notebook stores it,
a finding never holds the key, and record mode refuses to keep or save an exchange that holds one."""

from __future__ import annotations

import base64
import http.client
import json
import random
import textwrap
from pathlib import Path

import pytest
from fake_upstream import FakeUpstream, Reply, message

from helpers.gateway import Gateway
from helpers.gateway.budget import Ledger
from helpers.gateway.recordings import RecordingError, save_recording
from helpers.gateway.secrets import find_in_json, find_secrets, recording_secrets
from helpers.gateway.upstream import Recorder, Upstream
from helpers.keyscan import scan_notebook, scan_text

# Fake keys, built at run time so no key-shaped literal sits in this file.
KEY = "sk-" + "ant-api03-" + "Fake7Key" * 11 + "-NotReal0"
ADMIN = "sk-" + "ant-admin01-" + "Q9w" * 20
UNDERSCORED = "sk-" + "ant-api03-" + "Ab_" * 20  # for the named entity &lowbar;
ASK = {"model": "claude-opus-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def assert_holds_no_key(*values: object) -> None:
    """Neither the key nor any 12 characters of its random part, in any repr, str or message."""
    text = " ".join(f"{v!r} {v}" for v in values)
    for key in (KEY, ADMIN, UNDERSCORED):
        tail = key.split("-", 3)[3]
        assert key not in text
        assert not any(tail[i : i + 12] in text for i in range(len(tail) - 11)), "part of the key leaked"
    assert find_secrets(text) == [], "a report must itself be safe to print and commit"


# --- encodings: each fails on the scanner before this module (plain KEY_PATTERN over the text) -------------------

ENCODED = {
    "JSON escapes": ("x = '" + KEY.replace("-", "\\u002d") + "'", "JSON-escaped"),
    "JSON escapes twice (a notebook's raw JSON)": ("x = " + KEY.replace("-", "\\\\u002d"), "JSON-escaped"),
    "HTML decimal entities": (KEY.replace("-", "&#45;"), "HTML-entity encoded"),
    "HTML hex entities": (KEY.replace("-", "&#x2d;"), "HTML-entity encoded"),
    "HTML named entities": (UNDERSCORED.replace("_", "&lowbar;"), "HTML-entity encoded"),
    "percent-encoding": ("https://example.invalid/?k=" + KEY.replace("-", "%2D"), "percent-encoded"),
    "percent-encoding, lower case": (KEY.replace("-", "%2d"), "percent-encoded"),
    "percent-encoded HTML entities": (KEY.replace("-", "%26%2345%3B"), "percent-encoded, HTML-entity encoded"),
    "base64": ("Authorization: Basic " + b64(f"ANTHROPIC_API_KEY={KEY}\n"), "base64-encoded"),
    "base64, URL-safe": (base64.urlsafe_b64encode(f"<<{KEY}>>??".encode()).decode(), "base64-encoded"),
    "base64 wrapped at 76 columns": ("\n".join(textwrap.wrap(b64(f"key: {KEY}"), 76)), "base64-encoded"),
    "base64 of JSON escapes": (b64(KEY.replace("-", "\\u002d")), "base64-encoded, JSON-escaped"),
    "split after sk-": (f"key = {KEY[:3]}\n{KEY[3:]}", "split over lines"),
    "split after sk-ant-": (f"{KEY[:7]}\n{KEY[7:]}", "split over lines"),
    "split with a backslash-newline": (f"export K={KEY[:10]}\\\n    {KEY[10:]}", "split over lines"),
    "split across string literals": (f'key = ("{KEY[:9]}"\n       "{KEY[9:]}")', "split over lines"),
    "split across a notebook's raw source list": (
        json.dumps({"source": [f"k = '{KEY[:5]}\n", f"{KEY[5:]}'"]}, indent=1),
        "split over lines",
    ),
}


@pytest.mark.parametrize("name", list(ENCODED))
def test_scan_text_finds_an_encoded_or_split_key(name):
    text, encoding = ENCODED[name]
    assert KEY not in text and UNDERSCORED not in text
    found = scan_text(text, cell=0, where="source")
    assert [f.encoding for f in found] == [encoding], name
    assert found[0].preview == "sk-ant-api03-…"
    assert encoding in str(found[0])
    assert_holds_no_key(found, [str(f) for f in found], find_secrets(text))


def test_the_line_of_a_split_key_is_where_it_begins():
    found = find_secrets(f"first\nsecond: {KEY[:8]}\n{KEY[8:]}\n# last")
    assert [(f.line, f.start, f.length) for f in found] == [(2, len("first\nsecond: "), len(KEY))]


def test_a_plain_key_is_reported_once_with_its_position():
    text = f"a\nb = {KEY} and {ADMIN}"
    found = find_secrets(text)
    assert [(f.kind, f.encoding, f.line, f.start, f.preview) for f in found] == [
        ("key", "plain", 2, 6, "sk-ant-api03-…"),
        ("key", "plain", 2, 6 + len(KEY) + 5, "sk-ant-admin01-…"),
    ]
    assert_holds_no_key(found)


def test_bearer_tokens_and_api_key_header_dumps():
    token = "tok" + "Xy7" * 10
    found = find_secrets(f"> Authorization: Bearer {token}\n> X-Api-Key: {token}\n{{'x-api-key': '{token}'}}")
    assert [(f.kind, f.line) for f in found] == [("bearer", 1), ("header", 2), ("header", 3)]
    assert [f.describe() for f in found][:2] == ["a Bearer token", "an x-api-key header value"]
    assert token not in repr(found)
    # a Bearer header that carries a key reports the key, not a second finding
    assert [f.kind for f in find_secrets(f"Authorization: Bearer {KEY}")] == ["key"]


@pytest.mark.parametrize(
    "harmless",
    [
        'KEY = "sk-" + "ant-api03-" + "A" * 95',  # how tests build fake keys: never joined
        '["sk-ant-api03-short",\n "ANTHROPIC_API_KEY_IS_NOT_HERE"]',  # a list of strings over lines
        "sk-ant-...\nANTHROPIC_API_KEY=",
        "-H 'x-api-key: $ANTHROPIC_API_KEY' -H 'Authorization: Bearer $TOKEN'",
        "anthropic-ratelimit-requests-remaining anthropic-ratelimit-input-tokens-remaining",
        "100%2D%2D&#45;&amp;\\u002d " * 20,
    ],
)
def test_no_finding_in_harmless_text(harmless):
    assert find_secrets(harmless) == []


def test_random_base64_like_an_image_holds_nothing():
    blob = base64.b64encode(random.Random(7).randbytes(30_000)).decode()
    assert find_secrets(blob) == [] and find_secrets("\n".join(textwrap.wrap(blob, 76))) == []


def test_find_secrets_takes_a_str():
    with pytest.raises(TypeError):
        find_secrets(b"bytes")  # type: ignore[arg-type]


# --- notebook locations: each was not looked at before -----------------------------------------------------------


def write(tmp_path: Path, nb: dict) -> Path:
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    return p


def notebook(cell: dict | None = None, **top) -> dict:
    base = {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}
    return {"cells": [dict(base, **(cell or {}))], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **top}


def output(**fields) -> dict:
    return {"output_type": "execute_result", "data": {"text/plain": "1"}, "metadata": {}, **fields}


LOCATIONS = {
    "output metadata": (notebook({"outputs": [output(metadata={"saved_with": KEY})]}), (0, "output 0 metadata")),
    "a markdown attachment, plain": (
        notebook(
            {"cell_type": "markdown", "source": "![](attachment:k.txt)", "attachments": {"k.txt": {"text/plain": KEY}}}
        ),
        (0, "attachment k.txt"),
    ),
    "a markdown attachment, base64 as nbformat stores it": (
        notebook({"cell_type": "markdown", "source": "", "attachments": {"env.txt": {"text/plain": b64(f"K={KEY}")}}}),
        (0, "attachment env.txt"),
    ),
    "an image output that is base64 text": (
        notebook({"outputs": [output(data={"image/png": b64(f"not a png: {KEY}")})]}),
        (0, "output 0"),
    ),
    "a source split over its list of lines": (
        notebook({"source": [f"key = '{KEY[:4]}\n", f"{KEY[4:]}'\n"]}),
        (0, "source"),
    ),
    "an output field nbformat does not define": (
        notebook({"outputs": [output(transient={"k": KEY})]}),
        (0, "output 0"),
    ),
    "a cell field nbformat does not define": (notebook({"extra": [KEY]}), (0, "cell")),
    "a top-level field": (notebook(widgets={"state": KEY}), (None, "top level")),
}


@pytest.mark.parametrize("name", list(LOCATIONS))
def test_scan_notebook_looks_everywhere(tmp_path, name):
    nb, place = LOCATIONS[name]
    found = scan_notebook(write(tmp_path, nb))
    assert [(f.cell, f.where) for f in found] == [place], name
    assert_holds_no_key(found, [str(f) for f in found])


def test_an_attachment_named_with_a_key_is_not_named(tmp_path):
    nb = notebook({"cell_type": "markdown", "source": "", "attachments": {KEY: {"text/plain": "x"}}})
    found = scan_notebook(write(tmp_path, nb))
    assert [f.where for f in found] == ["attachment 0"]
    assert_holds_no_key(found, [str(f) for f in found])


def test_json_paths_never_show_a_key_used_as_a_name():
    found = find_in_json({"metadata": {KEY: "v", "user_id": KEY}, "list": [{"a": b64(KEY)}]})
    assert [(path, f.encoding) for path, f in found] == [
        ("metadata", "plain"),
        ("metadata.user_id", "plain"),
        ("list[0].a", "base64-encoded"),
    ]
    assert_holds_no_key(found)


# --- record mode: the Recorder and save_recording refuse ---------------------------------------------------------


def finish(rec: Recorder, path: str = "/v1/messages", body=ASK, headers=None, payload=None) -> int:
    slot = rec.start()
    rec.finish(slot, "POST", path, body, 200, headers or {}, payload or {"body": message("ok")})
    return slot


@pytest.mark.parametrize(
    "kwargs, place",
    [
        ({"path": "/v1/messages?api_key=" + KEY}, "request query api_key holds an API-key-shaped string"),
        ({"path": "/v1/messages?api_key=" + KEY.replace("-", "%2D")}, "request query api_key holds an API-key"),
        ({"path": "/v1/messages/batches/" + KEY}, "request path holds an API-key-shaped string"),
        ({"body": dict(ASK, metadata={"user_id": KEY})}, "request body metadata.user_id holds an API-key-shaped"),
        ({"body": dict(ASK, system=b64(KEY))}, "request body system holds an API-key-shaped string (base64-encoded)"),
        ({"payload": {"body": message(f"your key is {KEY}")}}, "response body content[0].text holds an API-key"),
        (
            {"payload": {"events": [{"event": "x", "data": {"delta": {"text": KEY}}, "at": 0.1}]}},
            "response event 0 data.delta.text holds an API-key-shaped string",
        ),
        ({"payload": {"lines": [{"custom_id": "a", "result": KEY}]}}, "response line 0 result holds an API-key"),
        ({"headers": {"request-id": "Bearer " + "t0k" * 10}}, "response header request-id holds a Bearer token"),
    ],
)
def test_recorder_refuses_an_exchange_that_holds_a_secret(kwargs, place):
    rec = Recorder()
    finish(rec)  # a clean exchange is kept
    slot = finish(rec, **kwargs)
    assert rec.exchanges[slot] is None, "the exchange must not be kept"
    assert len(rec.failures) == 1 and rec.failures[0].startswith(f"exchange {slot}: {place}")
    assert "\n" not in rec.failures[0]
    with pytest.raises(RuntimeError, match="recording failed: exchange 1: "):
        rec.complete()
    assert_holds_no_key(rec.failures)


def test_recorder_keeps_clean_exchanges():
    rec = Recorder()
    finish(rec, headers={"request-id": "req_1", "set-cookie": "s=1"})
    assert rec.failures == [] and rec.complete()[0]["response"]["headers"] == {"request-id": "req_1"}


def recording(request: dict, response: dict | None = None, **provenance) -> dict:
    response = response or {"status": 200, "headers": {}, "body": message("ok")}
    return {
        "format": 1,
        "provenance": {"source": "recorded", **provenance},
        "exchanges": [{"request": request, "response": response}],
    }


@pytest.mark.parametrize(
    "rec, place",
    [
        (recording({"method": "POST", "path": "/v1/messages?api_key=" + KEY, "body": ASK}), "request query api_key"),
        (
            recording({"method": "POST", "path": "/v1/messages", "body": dict(ASK, metadata={"user_id": KEY})}),
            "request body metadata.user_id",
        ),
        (
            recording(
                {"method": "POST", "path": "/v1/messages", "body": ASK},
                {"status": 200, "headers": {}, "body": message(KEY.replace("-", "&#45;"))},
            ),
            "response body content[0].text",
        ),
    ],
)
def test_save_recording_refuses_a_secret_and_writes_nothing(tmp_path, rec, place):
    target = tmp_path / "99_test.json"
    with pytest.raises(RecordingError) as info:
        save_recording(rec, target)
    text = str(info.value)
    assert text.startswith(f"99_test.json: not saved: exchange 0: {place} holds an API-key-shaped string")
    assert "\n" not in text and "record again" in text
    assert list(tmp_path.iterdir()) == [], "no file, not even a temporary one"
    assert_holds_no_key(text)


def test_save_recording_refuses_a_secret_outside_the_exchanges(tmp_path):
    rec = recording({"method": "POST", "path": "/v1/messages", "body": ASK}, note=b64(f"recorded with {KEY}"))
    assert recording_secrets(rec) == ["provenance.note holds an API-key-shaped string (base64-encoded)"]
    with pytest.raises(RecordingError, match="not saved: provenance.note holds"):
        save_recording(rec, tmp_path / "99_test.json")


def test_save_recording_still_saves_a_clean_recording(tmp_path):
    path = save_recording(recording({"method": "POST", "path": "/v1/messages", "body": ASK}), tmp_path / "ok.json")
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == ["ok.json"]


# --- record mode end to end: a gateway in record mode, and tools/record.py --------------------------------------


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.stop()


def send(url: str, method: str, path: str, body: dict | None = None) -> int:
    port = int(url.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"content-type": "application/json", "x-api-key": "test-client-key", "anthropic-version": "2023-06-01"}
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_record_gateway_marks_a_key_in_a_query_as_a_failure(upstream, tmp_path):
    upstream.replies.append(Reply(body={"data": [], "has_more": False, "first_id": None, "last_id": None}))
    ledger = Ledger(tmp_path / "ledger.json", 1.0)
    gw = Gateway([], mode="record", upstream=Upstream(upstream.url), ledger=ledger, speed=0).start()
    try:
        assert send(gw.url, "GET", "/v1/messages/batches?limit=1&after_id=" + KEY) == 200
    finally:
        gw.stop()
    assert gw.recorder is not None
    assert gw.recorder.failures[0].startswith("exchange 0: request query after_id holds an API-key-shaped string")
    assert_holds_no_key(gw.recorder.failures)


def test_record_tool_reports_one_line_exits_non_zero_and_writes_nothing(upstream, tmp_path, monkeypatch, capsys):
    import record as record_tool

    upstream.replies.append(Reply(body=message("ok")))

    def run_notebook(path: Path, gateway_url: str) -> None:  # stands in for the kernel: one leaky request
        assert send(gateway_url, "POST", "/v1/messages", dict(ASK, metadata={"user_id": KEY})) == 200

    monkeypatch.setattr(record_tool, "run_notebook", run_notebook)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-for-the-fake-upstream")
    monkeypatch.setenv("PRIMER_LEDGER", str(tmp_path / "ledger.json"))
    out = tmp_path / "out"
    out.mkdir()
    status = record_tool.main(["01_first_request", "--upstream", upstream.url, "--out", str(out), "--no-outputs"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "request body metadata.user_id holds an API-key-shaped string" in err
    assert err.startswith("record: 01_first_request not recorded, old recording kept: exchange 0: ")
    assert list(out.iterdir()) == []
    assert_holds_no_key(err)


def test_record_tool_reports_a_refused_save_in_one_line(tmp_path, monkeypatch, capsys):
    import record as record_tool

    def refused(name: str, **kw) -> Path:
        return save_recording(
            recording({"method": "POST", "path": "/v1/messages?api_key=" + KEY}), kw["out"] / "x.json"
        )

    monkeypatch.setattr(record_tool, "record", refused)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-for-the-fake-upstream")
    assert record_tool.main(["01_first_request", "--out", str(tmp_path), "--no-outputs"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x.json: not saved: exchange 0: request query api_key holds" in err
    assert list(tmp_path.iterdir()) == []
    assert_holds_no_key(err)
