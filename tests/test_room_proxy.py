"""A live room done by the book (WORKSHOP.md, "Live in the room"), on loopback with a fake API.

    participant's SDK --http--> course gateway, live (meters, local budget) --https--> LiteLLM proxy
    (checks the participant's key, puts in its own) --http--> tests/fake_upstream.py (for api.anthropic.com)

LiteLLM runs as a subprocess from its own environment, .venv/room (`make room-install`, requirements/room.txt),
over HTTPS with a certificate made here, on LiteLLM's Anthropic pass-through route (`/anthropic`). Without a
database the proxy accepts its master key only, so that key plays the participant's virtual key; per-key budgets
(`/key/generate` with `max_budget`) need PostgreSQL and Prisma and are not tested here (see WORKSHOP.md).
Skipped, with the reason, only when LiteLLM is not installed (CI's .ci/run installs it before `make test`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest
from fake_upstream import FakeUpstream, Reply, message, message_batch, stream_events

import helpers
from helpers.pricing import cost
from helpers.session import current_session, gateway_log, gateway_status

ROOT = Path(__file__).resolve().parent.parent
ROOM = ROOT / ".venv" / "room"  # the Makefile's $(ROOM)
LITELLM = ROOM / "bin" / "litellm"
ROOM_KEY = "sk-room-participant-" + secrets.token_hex(8)  # the proxy's master key: the participant's key here
UPSTREAM_KEY = "sk-ant-instructor-" + secrets.token_hex(8)  # the key only the proxy holds
START_LIMIT = 120.0  # seconds; the first start after `make room-install` also compiles what LiteLLM imports

CERTS = r"""
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

now = datetime.datetime.now(datetime.timezone.utc)
def cert(subject, key, issuer, issuer_key, ca):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = (b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                             critical=False)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return b.sign(issuer_key, hashes.SHA256())
def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)
ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "room test CA")])
ca = cert(ca_name, ca_key, ca_name, ca_key, True)
leaf = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), key, ca_name, ca_key, False)
folder = sys.argv[1]
open(folder + "/ca.pem", "wb").write(pem(ca))
open(folder + "/cert.pem", "wb").write(pem(leaf))
open(folder + "/key.pem", "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
"""


def _skip_reason() -> str:
    return (f"ROOM PROXY TEST SKIPPED: LiteLLM is not installed at {LITELLM.relative_to(ROOT)} "
            "(`make room-install` installs it from requirements/room.txt)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    upstream = FakeUpstream()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="module")
def room(fake: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The room's LiteLLM proxy on a free loopback port, over HTTPS; always stopped."""
    if not LITELLM.exists():
        pytest.skip(_skip_reason())
    folder = tmp_path_factory.mktemp("room")
    subprocess.run([str(ROOM / "bin" / "python"), "-c", CERTS, str(folder)], check=True, timeout=60)
    config = folder / "config.yaml"
    config.write_text("general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n")
    (folder / "home").mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder / "home"),
        "LANG": "C.UTF-8",
        "LITELLM_MASTER_KEY": ROOM_KEY,
        "ANTHROPIC_API_KEY": UPSTREAM_KEY,  # the instructor's key: on the proxy machine only
        "ANTHROPIC_API_BASE": fake.url,  # where the pass-through sends calls: the fake API instead of the real one
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # else it fetches a price list from GitHub at start
        "LITELLM_MODE": "PRODUCTION",  # else it loads the nearest .env above its install: this repository's
    }  # nothing else inherited: no proxy settings, no PYTHONDONTWRITEBYTECODE (its bytecode is kept for next time)
    port = _free_port()
    url = f"https://127.0.0.1:{port}"
    command = [
        str(LITELLM),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
        "--ssl_certfile_path",
        str(folder / "cert.pem"),
        "--ssl_keyfile_path",
        str(folder / "key.pem"),
    ]
    log_path = folder / "litellm.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
        started, deadline = time.monotonic(), time.monotonic() + START_LIMIT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"LiteLLM exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health/liveliness", timeout=2, context=context) as resp:
                    if resp.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"LiteLLM did not answer in {START_LIMIT:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield {"url": url, "ca": folder / "ca.pem", "log": log_path, "start_s": time.monotonic() - started}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: only what this fixture started
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture
def live(room: dict[str, Any], fake: FakeUpstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A participant's kernel: live mode, PRIMER_UPSTREAM_URL at the room's proxy, the room key as their key."""
    for name in ("ANTHROPIC_BASE_URL", "PRIMER_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("helpers.session.load_env", lambda: False)  # never read a developer's .env here
    monkeypatch.setenv("PRIMER_MODE", "live")
    monkeypatch.setenv("ANTHROPIC_API_KEY", ROOM_KEY)
    monkeypatch.setenv("PRIMER_UPSTREAM_URL", f"{room['url']}/anthropic")
    monkeypatch.setenv("PRIMER_LEDGER", str(tmp_path / "ledger.json"))
    monkeypatch.setenv("PRIMER_BUDGET_USD", "1")
    monkeypatch.setenv("SSL_CERT_FILE", str(room["ca"]))  # the test CA, as a real certificate is trusted
    fake.received.clear()
    fake.replies.clear()
    yield
    helpers.teardown()


def _only_request(fake: FakeUpstream) -> dict[str, Any]:
    assert len(fake.received) == 1, [r["path"] for r in fake.received]
    got = fake.received[0]
    assert got["headers"].get("x-api-key") == UPSTREAM_KEY, "the proxy puts in its own key"
    assert "authorization" not in got["headers"], "the participant's Authorization header stops at the proxy"
    assert not any(ROOM_KEY in v for v in got["headers"].values()), "the participant's key never reaches the API"
    return got


def test_a_participant_goes_live_through_the_room_proxy(live, fake, room, capsys):
    fake.replies.append(Reply(body=message("hello from the room", model=helpers.OPUS, tokens_in=120, tokens_out=30)))
    helpers.setup("01_first_request")
    banner = capsys.readouterr().out
    assert banner.startswith(f"live mode: calls go to {room['url']}/anthropic with your key") and ROOM_KEY not in banner
    ask = {"model": helpers.OPUS, "max_tokens": 200, "messages": [{"role": "user", "content": "Hello, room!"}]}
    msg = anthropic.Anthropic().messages.create(**ask)
    assert msg.content[0].text == "hello from the room"
    got = _only_request(fake)
    assert got["method"] == "POST" and got["path"] == "/v1/messages" and got["body"] == ask
    status = gateway_status()
    assert status["spend"]["calls"] == {helpers.OPUS: 1}
    expected = cost({"input_tokens": 120, "output_tokens": 30}, helpers.OPUS).total
    assert status["budget"]["spent"] == pytest.approx(expected) and status["budget"]["reserved"] == 0
    assert gateway_log()[-1]["auth"] == "bearer", "SDK 2.x sends its key as Authorization: Bearer"
    print(f"LiteLLM {room['url']} answered its first health check {room['start_s']:.1f} s after it was started")


def test_a_stream_is_relayed_and_metered_through_the_proxy(live, fake):
    pieces = stream_events(["Hel", "lo", " room"], tokens_in=40, tokens_out=12, model=helpers.OPUS)
    fake.replies.append(Reply(events=pieces))
    helpers.setup("05_streaming")
    with anthropic.Anthropic().messages.stream(
        model=helpers.OPUS, max_tokens=100, messages=[{"role": "user", "content": "stream"}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == "Hello room"
    assert _only_request(fake)["body"]["stream"] is True
    status = gateway_status()
    expected = cost({"input_tokens": 40, "output_tokens": 12}, helpers.OPUS).total
    assert status["budget"]["spent"] == pytest.approx(expected) and status["budget"]["reserved"] == 0


def test_a_compressed_answer_from_the_api_still_meters(live, fake):
    # The proxy asks the API for gzip; whatever it does with the encoding, the course gateway must read usage.
    fake.replies.append(Reply(body=message("zipped", model=helpers.OPUS, tokens_in=10, tokens_out=5), gzip=True))
    helpers.setup("01_first_request")
    msg = anthropic.Anthropic().messages.create(
        model=helpers.OPUS, max_tokens=50, messages=[{"role": "user", "content": "gzip"}]
    )
    assert msg.content[0].text == "zipped" and "gzip" in _only_request(fake)["headers"].get("accept-encoding", "")
    assert gateway_status()["spend"]["calls"] == {helpers.OPUS: 1}


def test_the_local_budget_and_the_proxys_key_check_both_hold(live, fake, monkeypatch):
    monkeypatch.setenv("PRIMER_BUDGET_USD", "0.1")
    helpers.setup("01_first_request")
    client = anthropic.Anthropic(max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as refused:  # worst case over $0.50 against the local cap of $0.10
        client.messages.create(model=helpers.OPUS, max_tokens=20_000, messages=[{"role": "user", "content": "x"}])
    assert refused.value.status_code == 402 and "budget" in str(refused.value).lower()
    assert fake.received == [], "refused by the course gateway: nothing reached the proxy or the API"

    stranger = anthropic.Anthropic(api_key="sk-not-a-room-key", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as denied:
        stranger.messages.create(model=helpers.OPUS, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert 400 <= denied.value.status_code < 500
    assert fake.received == [], "a key the proxy does not know never reaches the API"

    fake.replies.append(Reply(body=message("x-api-key works too")))
    req = urllib.request.Request(
        f"{current_session().base_url}/v1/messages",
        data=json.dumps(
            {"model": helpers.OPUS, "max_tokens": 10, "messages": [{"role": "user", "content": "y"}]}
        ).encode(),
        headers={"x-api-key": ROOM_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert json.loads(resp.read())["content"][0]["text"] == "x-api-key works too"
    _only_request(fake)


def test_a_batch_and_its_results_come_back_through_the_proxy(live, fake):
    # results_url as the API gives it
    batch = message_batch("msgbatch_01room", "https://api.anthropic.com/v1/messages/batches/msgbatch_01room/results")
    line = {"custom_id": "a", "result": {"type": "succeeded", "message": message(tokens_in=1000, tokens_out=1000)}}
    fake.replies += [Reply(body=batch), Reply(body=batch), Reply(lines=[line])]
    helpers.setup("07_batches")
    client = anthropic.Anthropic()
    ask = {"model": helpers.OPUS, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
    created = client.messages.batches.create(requests=[{"custom_id": "a", "params": ask}])
    assert created.results_url.startswith(current_session().base_url), "results_url leads back through the gateway"
    assert [r.custom_id for r in client.messages.batches.results("msgbatch_01room")] == ["a"]
    assert [r["path"] for r in fake.received] == [
        "/v1/messages/batches",
        "/v1/messages/batches/msgbatch_01room",
        "/v1/messages/batches/msgbatch_01room/results",
    ]
    for got in fake.received:
        assert got["headers"].get("x-api-key") == UPSTREAM_KEY and ROOM_KEY not in json.dumps(got["headers"])
    budget = gateway_status()["budget"]
    assert budget["reserved"] == 0 and budget["spent"] == pytest.approx((1000 * 5 + 1000 * 25) / 2 / 1e6)


def test_the_course_gateway_refuses_a_proxy_certificate_it_cannot_verify(live, fake, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's certificates only: the room's test CA is not among them
    helpers.setup("01_first_request")
    with pytest.raises(anthropic.APIStatusError) as failed:
        anthropic.Anthropic(max_retries=0).messages.create(
            model=helpers.OPUS, max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert failed.value.status_code == 502 and "CERTIFICATE_VERIFY_FAILED" in str(failed.value)
    assert fake.received == [], "no key is sent to a server whose certificate does not check out"
