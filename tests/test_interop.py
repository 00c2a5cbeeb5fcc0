"""Import vcrpy cassettes and HAR files into the course format, export recordings back, and replay both ways."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest

from helpers.config import RECORDINGS_DIR
from helpers.gateway import Gateway, interop
from helpers.gateway.recordings import (
    ALLOWED_RESPONSE_HEADERS,
    RecordingError,
    _exchange_json,
    is_allowed_header,
    load_recording,
    parse_recording,
    save_recording,
)

yaml = pytest.importorskip("yaml")  # not a core dependency: the vcr commands import it when they run

FIXTURES = Path(__file__).parent / "fixtures" / "interop"
CASSETTE = FIXTURES / "messages.yaml"
HAR = FIXTURES / "devtools.har"
CMD = [sys.executable, "-m", "helpers.gateway"]
FAKE_KEY = "sk-" + "ant-api03-" + "A" * 95  # built here, so no file of the repo holds a key-shaped string
SHIPPED = sorted(RECORDINGS_DIR.glob("*.json"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=60)


def exchanges(path: Path) -> list[dict]:
    return [_exchange_json(x) for x in load_recording(path).exchanges]


def test_fixtures_are_what_make_fixtures_writes():
    sys.path.insert(0, str(FIXTURES))
    try:
        import make_fixtures
    finally:
        sys.path.remove(str(FIXTURES))
    assert _gunzipped(yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))) == _gunzipped(make_fixtures.cassette())
    assert _gunzipped(json.loads(HAR.read_text(encoding="utf-8"))) == _gunzipped(make_fixtures.har())


def _gunzipped(value):
    """gzip bytes compared by content: the header's OS byte differs between Python versions (3 or 255)."""
    if isinstance(value, bytes) and value[:2] == b"\x1f\x8b":
        return gzip.decompress(value)
    if isinstance(value, str) and value.startswith("H4sI"):  # base64 of gzip bytes, as a HAR keeps them
        return gzip.decompress(base64.b64decode(value))
    if isinstance(value, dict):
        return {k: _gunzipped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_gunzipped(v) for v in value]
    return value


# --- import ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "source"), [("import-vcr", CASSETTE), ("import-har", HAR)])
def test_import_keeps_the_api_calls_and_drops_headers_naming_them_only(tmp_path, command, source):
    out = tmp_path / "imported.json"
    done = run(command, str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip()
    assert len(summary.splitlines()) == 1
    assert "4 exchange(s)" in summary and "1 request(s) not to the API skipped" in summary
    assert "dropped 4 response header(s) not on the allow-list: cf-ray, content-encoding, server, set-cookie" in summary
    assert "placeholder" not in summary and "cloudflare" not in summary, "names only, never values"
    text = out.read_text(encoding="utf-8")
    for gone in ("placeholder", "authorization", "x-api-key", "user-agent", "Bearer", "cf-ray", "cloudflare"):
        assert gone not in text, gone
    rec = load_recording(out)
    assert rec.provenance == {
        "source": "recorded",
        "imported_from": source.name,
        "date": rec.provenance["date"],
        "sdk": "anthropic 2.15.0",
        "models": ["claude-haiku-4-5"],
    }
    first, stream, batch, results = rec.exchanges
    assert batch.response.body["results_url"].endswith("/v1/messages/batches/msgbatch_01/results")
    assert first.response.body["type"] == "message", "the gzip body was decoded"
    assert first.response.headers == {
        "content-type": "application/json",
        "request-id": "req_01",
        "anthropic-ratelimit-requests-limit": "50",
    }
    assert all(is_allowed_header(h) for x in rec.exchanges for h in x.response.headers)
    assert stream.request.body["stream"] is True, "the gzip request body was decoded"
    assert [e["event"] for e in stream.response.events][0::7] == ["message_start", "message_stop"]
    assert results.request.path == "/v1/messages/batches/msgbatch_01/results"
    assert [line["custom_id"] for line in results.response.lines] == ["q1", "q2"]


def test_har_timings_spread_the_events_and_vcr_events_start_at_zero(tmp_path):
    interop.import_har(HAR, tmp_path / "h.json")
    interop.import_vcr(CASSETTE, tmp_path / "v.json")
    har_at = [e["at"] for e in load_recording(tmp_path / "h.json").exchanges[1].response.events]
    assert har_at[0] == 0.3 and har_at[-1] == 1.0 and har_at == sorted(har_at), "from first byte to the end"
    assert {e["at"] for e in load_recording(tmp_path / "v.json").exchanges[1].response.events} == {0.0}
    assert load_recording(tmp_path / "h.json").provenance["date"] == "2026-11-30"


@pytest.mark.parametrize(("command", "source"), [("import-vcr", CASSETTE), ("import-har", HAR)])
def test_every_import_replays_through_the_gateway_into_the_sdk(tmp_path, command, source):
    out = tmp_path / "imported.json"
    assert run(command, str(source), "--out", str(out)).returncode == 0
    rec = load_recording(out)
    with Gateway([rec], speed=0).start() as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
        msg = client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": "Say hi."}]
        )
        assert isinstance(msg, anthropic.types.Message) and msg.content[0].text == "Hi!"
        with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": "Say hi."}]
        ) as stream:
            assert stream.get_final_text() == "Hi!"
        got = list(client.messages.batches.results("msgbatch_01"))
        assert [r.custom_id for r in got] == ["q1", "q2"] and got[0].result.message.content[0].text == "a1"
        assert not gw.crashes


def _cassette_with(body: dict, tmp_path: Path) -> Path:
    data = {
        "interactions": [
            {
                "request": {"body": json.dumps(body), "headers": {}, "method": "POST", "uri": "https://x/v1/messages"},
                "response": {
                    "body": {"string": json.dumps({"type": "error", "error": {"type": "x", "message": "m"}})},
                    "headers": {"content-type": ["application/json"]},
                    "status": {"code": 400, "message": "Bad Request"},
                },
            }
        ],
        "version": 1,
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_key_that_would_survive_the_import_is_refused_and_nothing_is_written(tmp_path):
    body = {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": f"my key is {FAKE_KEY}"}]}
    out = tmp_path / "out.json"
    done = run("import-vcr", str(_cassette_with(body, tmp_path)), "--out", str(out))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "refusing to write out.json" in done.stderr and FAKE_KEY not in done.stderr and "AAAA" not in done.stderr
    assert not out.exists()


def test_a_key_in_an_auth_header_is_dropped_not_refused(tmp_path):
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    data["interactions"][0]["request"]["headers"]["x-api-key"] = [FAKE_KEY]
    src = tmp_path / "k.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    interop.import_vcr(src, tmp_path / "k.json")
    assert FAKE_KEY not in (tmp_path / "k.json").read_text(encoding="utf-8")


def test_export_refuses_to_write_a_key(tmp_path):
    rec = json.loads((RECORDINGS_DIR / "01_first_request.json").read_text(encoding="utf-8"))
    rec["exchanges"][0]["request"]["body"]["metadata"] = {"user_id": FAKE_KEY}
    src = tmp_path / "leaky.json"
    src.write_text(json.dumps(rec), encoding="utf-8")
    done = run("export", str(src), "--har", str(tmp_path / "o.har"))
    assert done.returncode == 2 and "refusing to write o.har" in done.stderr and FAKE_KEY not in done.stderr
    assert not (tmp_path / "o.har").exists()


def test_a_non_message_answer_to_messages_is_refused_naming_the_interaction(tmp_path):
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    data["interactions"][0]["response"]["body"]["string"] = gzip.compress(b'{"ok": 1}')
    src = tmp_path / "bad.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "bad.json"))
    assert done.returncode == 2 and "exchanges[0]" in done.stderr and "must be a Message" in done.stderr


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("interactions: [oops", "not a YAML cassette"),
        ("- just a list", "not a vcrpy cassette"),
        ("version: 2\ninteractions: []", "only version 1"),
        ("version: 1\ninteractions: []", "no requests to /v1/"),
    ],
)
def test_bad_cassettes_are_one_line_and_exit_2(tmp_path, content, fragment):
    src = tmp_path / "c.yaml"
    src.write_text(content, encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "o.json"))
    assert done.returncode == 2 and fragment in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_without_pyyaml_the_vcr_commands_say_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(interop.InteropError, match="pip install pyyaml"):
        interop.import_vcr(CASSETTE, tmp_path / "o.json")
    interop.import_har(HAR, tmp_path / "o.json")  # HAR is JSON: no YAML needed


def test_a_base64_har_body_and_deflate_are_decoded(tmp_path):
    har = json.loads(HAR.read_text(encoding="utf-8"))
    entry = har["log"]["entries"][1]
    raw = json.dumps({"type": "message", "role": "assistant", "content": [], "usage": {}}).encode()
    entry["response"]["content"] = {
        "mimeType": "application/json",
        "text": base64.b64encode(__import__("zlib").compress(raw)).decode(),
        "encoding": "base64",
    }
    entry["response"]["headers"] = [
        {"name": "Content-Type", "value": "application/json"},
        {"name": "Content-Encoding", "value": "deflate"},
    ]
    src = tmp_path / "d.har"
    src.write_text(json.dumps(har), encoding="utf-8")
    interop.import_har(src, tmp_path / "d.json")
    assert load_recording(tmp_path / "d.json").exchanges[0].response.body == json.loads(raw)


# --- export and round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("recording", SHIPPED, ids=lambda p: p.stem)
def test_course_to_vcr_and_har_and_back_keeps_every_exchange(tmp_path, recording):
    interop.export_vcr(recording, tmp_path / "r.yaml")
    interop.export_har(recording, tmp_path / "r.har")
    interop.import_vcr(tmp_path / "r.yaml", tmp_path / "v.json")
    interop.import_har(tmp_path / "r.har", tmp_path / "h.json")
    want = exchanges(recording)
    assert exchanges(tmp_path / "v.json") == want
    assert exchanges(tmp_path / "h.json") == want


def test_exports_carry_no_request_headers_but_the_matched_ones(tmp_path):
    interop.export_vcr(RECORDINGS_DIR / "01_first_request.json", tmp_path / "r.yaml")
    data = yaml.safe_load((tmp_path / "r.yaml").read_text(encoding="utf-8"))
    for it in data["interactions"]:
        assert set(it["request"]["headers"]) <= {"content-type", "anthropic-version", "anthropic-beta"}
        assert set(it["response"]["headers"]) <= set(ALLOWED_RESPONSE_HEADERS) | {
            h for h in it["response"]["headers"] if h.startswith("anthropic-ratelimit-")
        }


def test_the_export_command_writes_both(tmp_path):
    done = run(
        "export",
        str(RECORDINGS_DIR / "05_streaming.json"),
        "--vcr",
        str(tmp_path / "s.yaml"),
        "--har",
        str(tmp_path / "s.har"),
    )
    assert done.returncode == 0, done.stderr
    assert (
        len(done.stdout.strip().splitlines()) == 2 and (tmp_path / "s.yaml").exists() and (tmp_path / "s.har").exists()
    )
    har = json.loads((tmp_path / "s.har").read_text(encoding="utf-8"))
    assert har["log"]["version"] == "1.2" and har["log"]["entries"][0]["request"]["url"].startswith(
        "https://api.anthropic.com/v1/"
    )


def _first(recording: Path, stream: bool) -> dict:
    for x in load_recording(recording).exchanges:
        if (
            x.request.path == "/v1/messages"
            and x.response.status == 200
            and bool(x.request.body.get("stream")) == stream
        ):
            return x.request.body
    raise AssertionError(f"{recording.name} has no such exchange")


def test_vcrpy_loads_an_exported_cassette_with_its_own_loader(tmp_path):
    vcr_serialize = pytest.importorskip("vcr.serialize")
    from vcr.serializers import yamlserializer

    interop.export_vcr(RECORDINGS_DIR / "05_streaming.json", tmp_path / "s.yaml")
    requests, responses = vcr_serialize.deserialize((tmp_path / "s.yaml").read_text(encoding="utf-8"), yamlserializer)
    assert len(requests) == len(load_recording(RECORDINGS_DIR / "05_streaming.json").exchanges)
    assert requests[0].uri.startswith("https://api.anthropic.com/v1/") and isinstance(
        responses[0]["body"]["string"], bytes
    )


def test_vcrpy_replays_an_exported_cassette_into_the_sdk_streams_included(tmp_path, monkeypatch):
    vcr = pytest.importorskip("vcr")  # vcrpy >= 9 patches httpx2, which SDK 2.x uses
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    client = anthropic.Anthropic(api_key="x", max_retries=0)  # the real API's address: vcrpy answers
    for name, stream in (("01_first_request", False), ("05_streaming", True)):
        source = RECORDINGS_DIR / f"{name}.json"
        interop.export_vcr(source, tmp_path / f"{name}.yaml")
        body = {k: v for k, v in _first(source, stream).items() if k != "stream"}
        with vcr.use_cassette(str(tmp_path / f"{name}.yaml"), record_mode="none", match_on=["method", "uri", "body"]):
            if stream:
                with client.messages.stream(**body) as s:
                    assert s.get_final_text() and s.get_final_message().stop_reason
            else:
                msg = client.messages.create(**body)
                assert isinstance(msg, anthropic.types.Message) and msg.content


# --- the recording format keeps what it does not know, and refuses what it cannot serve -----------------------------


def test_unknown_keys_survive_load_and_save(tmp_path):
    data = json.loads((RECORDINGS_DIR / "01_first_request.json").read_text(encoding="utf-8"))
    data["x_top"] = {"kept": True}
    ex = data["exchanges"][0]
    ex["x_note"] = "exchange"
    ex["request"]["x_req"] = [1, 2]
    ex["response"]["x_resp"] = {"a": None}
    rec = parse_recording(json.loads(json.dumps(data)), "u", "u.json")
    again = load_recording(save_recording(rec, tmp_path / "u.json"))
    assert again.to_json() == data
    assert again.extra == {"x_top": {"kept": True}} and again.exchanges[0].request.extra == {"x_req": [1, 2]}


def test_a_gzip_body_kept_as_base64_is_refused_at_load():
    blob = base64.b64encode(gzip.compress(b'{"type": "message"}')).decode()
    data = {
        "format": 1,
        "provenance": {"source": "recorded"},
        "exchanges": [{"request": {"method": "GET", "path": "/v1/models"}, "response": {"status": 200, "body": blob}}],
    }
    with pytest.raises(
        RecordingError, match=r"exchanges\[0\].response.body: is a gzip-compressed body kept as base64; re-import"
    ):
        parse_recording(data, "g", "g.json")


@pytest.mark.parametrize("body", [{"ok": 1}, None, "text", {"type": "message", "role": "assistant", "content": []}])
def test_a_2xx_answer_to_post_messages_must_be_a_message(body):
    data = {
        "format": 1,
        "provenance": {"source": "recorded"},
        "exchanges": [
            {
                "label": "hi",
                "request": {"method": "POST", "path": "/v1/messages"},
                "response": {"status": 200, "body": body},
            }
        ],
    }
    with pytest.raises(RecordingError) as e:
        parse_recording(data, "m", "m.json")
    assert "exchanges[0] ('hi')" in str(e.value) and "must be a Message" in str(e.value) and "\n" not in str(e.value)
    data["exchanges"][0]["response"]["status"] = 400  # an error answer is not a Message, and need not be
    parse_recording(data, "m", "m.json")


def test_a_cassette_vcrpy_itself_records_imports_to_the_same_exchanges(tmp_path):
    vcr = pytest.importorskip("vcr")
    source = RECORDINGS_DIR / "05_streaming.json"
    rec = load_recording(source)
    wanted = [x for x in rec.exchanges if x.request.method == "POST" and x.request.path == "/v1/messages"][:3]
    with Gateway([rec], speed=0).start() as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
        with vcr.use_cassette(str(tmp_path / "real.yaml"), record_mode="all"):
            for x in wanted:
                client.messages.with_raw_response.create(**x.request.body).read()
    done = run("import-vcr", str(tmp_path / "real.yaml"), "--out", str(tmp_path / "real.json"))
    assert done.returncode == 0 and "request header(s)" in done.stdout, done.stderr
    got = load_recording(tmp_path / "real.json")
    assert got.provenance["sdk"] == f"anthropic {anthropic.__version__}"
    for a, b in zip(wanted, got.exchanges, strict=True):
        assert b.request.body == a.request.body
        assert (b.response.body, b.response.lines) == (a.response.body, a.response.lines)
        assert [(e["event"], e["data"]) for e in b.response.events or []] == [
            (e["event"], e["data"]) for e in a.response.events or []
        ]
