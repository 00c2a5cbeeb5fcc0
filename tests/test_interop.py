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
from helpers.gateway import Gateway, captures, interop
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
        ("- just a list", "not a cassette (a mapping with `interactions`"),
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


# --- what other projects publish (issue 33): Ruby VCR, !binary, pydantic-ai's parsed_body --------------------

_MESSAGE = {
    "id": "msg_01abc",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "Hi!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 9, "output_tokens": 3},
}
_ASK = {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "Say hi."}]}


def _ruby(body_yaml: str, *, request_id: str = "<REQUEST_ID>", recorded_at: str = "Wed, 19 Aug 2026 14:44:51 GMT"):
    """A Ruby VCR cassette as ruby_llm publishes one: http_interactions, {encoding, string} bodies, recorded_at."""
    ask = json.dumps({**_ASK, "stream": False})
    return f"""---
http_interactions:
- request:
    method: post
    uri: https://api.anthropic.com/v1/messages
    body:
      encoding: UTF-8
      string: '{ask}'
    headers:
      X-Api-Key:
      - "<ANTHROPIC_API_KEY>"
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Type:
      - application/json
      Request-Id:
      - "{request_id}"
      Anthropic-Workspace-Id:
      - wrkspc_01example
    body:
      encoding: ASCII-8BIT
{body_yaml}
  recorded_at: {recorded_at}
recorded_with: VCR 6.4.0
"""


def _binary(data: bytes) -> str:
    return "      string: !binary |-\n        " + base64.b64encode(data).decode()


def test_a_ruby_vcr_cassette_imports_with_its_date_and_flagged_placeholder_and_replays(tmp_path):
    src = tmp_path / "ruby.yml"
    src.write_text(_ruby("      string: '" + json.dumps(_MESSAGE) + "'"), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert "kept 1 redacted placeholder(s) as recorded: request-id: <REQUEST_ID>" in done.stdout
    rec = load_recording(tmp_path / "r.json")
    assert rec.provenance["date"] == "2026-08-19" and rec.provenance["placeholders"] == ["request-id: <REQUEST_ID>"]
    ex = rec.exchanges[0]
    assert ex.response.headers["request-id"] == "<REQUEST_ID>", "kept as recorded"
    assert ex.response.headers["anthropic-workspace-id"] == "wrkspc_01example"
    assert ex.request.body["stream"] is False and ex.response.body == _MESSAGE
    with Gateway([rec], speed=0).start() as gw:  # the SDK sends no "stream": false; replay treats both as equal
        client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
        assert client.messages.create(**_ASK).content[0].text == "Hi!"


@pytest.mark.parametrize("packed", [lambda b: b, gzip.compress], ids=["plain", "gzip"])
def test_a_ruby_binary_body_is_decoded(tmp_path, packed):
    src = tmp_path / "bin.yml"
    src.write_text(_ruby(_binary(packed(json.dumps(_MESSAGE).encode()))), encoding="utf-8")
    interop.import_vcr(src, tmp_path / "b.json")
    assert load_recording(tmp_path / "b.json").exchanges[0].response.body == _MESSAGE


def test_a_binary_that_is_not_base64_is_one_line(tmp_path):
    src = tmp_path / "bad.yml"
    src.write_text(_ruby("      string: !binary |-\n        !!!not base64!!!"), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "o.json"))
    assert done.returncode == 2 and "!binary value is not base64" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_pydantic_ai_parsed_body_keeps_both_bodies_and_a_missing_date_is_unknown(tmp_path):
    data = {
        "interactions": [
            {
                "request": {
                    "headers": {"content-type": ["application/json"]},
                    "method": "POST",
                    "parsed_body": _ASK,
                    "uri": "https://api.anthropic.com/v1/messages?beta=true",
                },
                "response": {
                    "headers": {"content-type": ["application/json"], "request-id": ["REQUEST-ID-XXX"]},
                    "parsed_body": _MESSAGE,
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    src = tmp_path / "pa.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "pa.json"))
    assert done.returncode == 0, done.stderr
    assert 'provenance.date is "unknown"' in done.stdout and "request-id: REQUEST-ID-XXX" in done.stdout
    rec = load_recording(tmp_path / "pa.json")
    assert rec.provenance["date"] == "unknown", "never the day of the import"
    assert rec.exchanges[0].request.body == _ASK and rec.exchanges[0].response.body == _MESSAGE


def test_a_body_in_a_form_it_cannot_read_is_one_line_naming_it(tmp_path):
    data = {
        "interactions": [
            {
                "request": {"body": {"base64_string": "e30="}, "method": "POST", "uri": "https://x/v1/messages"},
                "response": {"body": {"string": "{}"}, "headers": {}, "status": {"code": 200}},
            }
        ]
    }
    src = tmp_path / "odd.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "o.json"))
    assert done.returncode == 2 and "interactions[0].request" in done.stderr and "base64_string" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# --- bombs (issue 30, finding 10) ----------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_one_line_and_exit_2(tmp_path):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{','.join([prev] * 9)}]")
    lines.append("interactions: [*a9]")
    src = tmp_path / "bomb.yaml"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert src.stat().st_size < 1000
    done = run("import-vcr", str(src), "--out", str(tmp_path / "o.json"))
    assert done.returncode == 2 and "alias bomb" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_aliases_a_cassette_really_uses_still_load(tmp_path):
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    shared = {"content-type": ["application/json"]}
    for it in data["interactions"]:
        it["request"]["headers"] = shared  # PyYAML writes one anchor and aliases for a shared object
    src = tmp_path / "aliased.yaml"
    src.write_text(yaml.dump(data), encoding="utf-8")
    assert "*id" in src.read_text(encoding="utf-8")
    interop.import_vcr(src, tmp_path / "a.json")


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compressed_body_that_inflates_past_the_cap_is_one_line_and_exit_2(tmp_path, coding):
    import zlib

    zeros = b"\0" * (interop.MAX_BODY + 1024 * 1024)
    packed = gzip.compress(zeros, compresslevel=1) if coding == "gzip" else zlib.compress(zeros, 1)
    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    data["interactions"][0]["response"]["body"]["string"] = packed
    data["interactions"][0]["response"]["headers"]["content-encoding"] = [coding]
    src = tmp_path / "zip.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "o.json"))
    assert done.returncode == 2 and "zip bomb" in done.stderr and "MemoryError" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_file_past_the_size_cap_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(captures, "MAX_FILE", 100)  # where the readers keep it
    with pytest.raises(interop.InteropError, match="more than the 0 MB an import reads"):
        interop.import_vcr(CASSETTE, tmp_path / "o.json")


def test_har_timings_are_capped_so_replay_never_waits_years(tmp_path):
    har = json.loads(HAR.read_text(encoding="utf-8"))
    for e in har["log"]["entries"]:
        e["timings"]["wait"] = 1e12
        e["timings"]["receive"] = 1e12
    src = tmp_path / "slow.har"
    src.write_text(json.dumps(har), encoding="utf-8")
    interop.import_har(src, tmp_path / "s.json")
    at = [e["at"] for x in load_recording(tmp_path / "s.json").exchanges for e in x.response.events or []]
    assert at and max(at) <= 2 * interop.MAX_WAIT


def test_a_recording_whose_events_would_wait_past_the_cap_is_refused():
    data = json.loads((RECORDINGS_DIR / "05_streaming.json").read_text(encoding="utf-8"))
    data["exchanges"][0]["response"]["events"][-1]["at"] = 1e9
    with pytest.raises(RecordingError, match="at most 300"):
        parse_recording(data, "x", "x.json")


# --- the check command ---------------------------------------------------------------------------------------


def test_check_replays_a_folder_through_the_sdk_and_reports_each_mismatch(tmp_path):
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "ruby.yml").write_text(_ruby("      string: '" + json.dumps(_MESSAGE) + "'"), encoding="utf-8")
    (folder / "course.json").write_text((RECORDINGS_DIR / "07_batches.json").read_text(encoding="utf-8"))
    done = run("check", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(": 0 mismatch(es)")
    assert f"with anthropic {anthropic.__version__}" in done.stdout
    # a recorded request the SDK does not send (a cancel with a body) is one line naming file and exchange
    broken = json.loads((folder / "course.json").read_text(encoding="utf-8"))
    cancel = next(x for x in broken["exchanges"] if x["request"]["path"].endswith("/cancel"))
    cancel["request"]["body"] = {"reason": "made up"}
    (folder / "course.json").write_text(json.dumps(broken), encoding="utf-8")
    (folder / "junk.yaml").write_text("- not a cassette", encoding="utf-8")
    done = run("check", str(folder))
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 1 and lines[-1].endswith(": 2 mismatch(es)"), done.stdout
    index = broken["exchanges"].index(cancel)
    assert any(
        line.startswith(f"course.json: exchange {index} (POST /v1/messages/batches/")
        and "status 400 (the SDK's request is not the recorded one" in line
        and "first difference at body" in line
        and "recorded 200" in line
        for line in lines
    ), lines
    assert any(line.startswith("junk.yaml: not imported: not a cassette") for line in lines), lines


def test_check_on_nothing_is_one_line_and_exit_2(tmp_path):
    done = run("check", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "nowhere" in done.stderr


# ../shared/real-captures beside the clone (a worktree may sit one folder deeper)
REAL_CAPTURES = next(
    (p / "shared" / "real-captures" for p in Path(__file__).resolve().parents[1:4]
     if (p / "shared" / "real-captures").is_dir()),
    Path("../shared/real-captures"),
)


@pytest.mark.skipif(not (REAL_CAPTURES / "cassettes-2").is_dir(), reason="needs ../shared/real-captures (CI has it)")
def test_every_published_cassette_imports_and_replays_with_its_recorded_status():
    done = run("check", str(REAL_CAPTURES / "cassettes-1"), str(REAL_CAPTURES / "cassettes-2"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines() == [
        f"checked 53 exchange(s) from 31 of 31 capture(s) with anthropic {anthropic.__version__}: 0 mismatch(es)"
    ]


def test_a_parsed_stream_is_one_line_saying_why_it_cannot_be_imported(tmp_path):
    data = {
        "interactions": [
            {
                "request": {"parsed_body": {**_ASK, "stream": True}, "method": "POST", "uri": "https://x/v1/messages"},
                "response": {
                    "parsed_body": [{"type": "message_start"}],
                    "headers": {"content-type": ["text/event-stream"]},
                    "status": {"code": 200},
                },
            }
        ]
    }
    src = tmp_path / "ps.yaml"
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run("import-vcr", str(src), "--out", str(tmp_path / "o.json"))
    assert done.returncode == 2 and "interactions[0].response" in done.stderr and "raw body" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
