"""The live budget cannot be overrun: a killed kernel's reservation, images, documents and CJK text, path and
max_tokens spellings, an unfetched batch and a broken ledger all keep the cap."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from fake_upstream import Reply, message

from hardening.rawhttp import SMALL, clip, course_env, fake_key, live_gateway, loopback_only, raw_call, run_setup
from helpers.config import ConfigError
from helpers.gateway.budget import BudgetExceeded, Estimate, Ledger, worst_case
from helpers.gateway.meter import Charge
from helpers.models import HAIKU, OPUS, SONNET, model_info
from helpers.pricing import price_of

ROOT = Path(__file__).resolve().parents[2]

_KILLED_KERNEL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from helpers.gateway.budget import Estimate, Ledger
    Ledger(Path(sys.argv[1]), 1.0).reserve(Estimate(0.3, "attack: a kernel killed mid-call"))
    print("reserved", flush=True)
    time.sleep(60)
    """
)


def test_a_killed_kernels_reservation_still_counts() -> None:
    """A killed kernel's reservation stays counted, under 'unsettled'."""
    with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
        path = Path(tmp) / "ledger.json"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED_KERNEL, str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        watchdog = threading.Timer(30, proc.kill)  # bounded even if the child never prints
        watchdog.start()
        try:
            line = proc.stdout.readline() if proc.stdout else ""
        finally:
            watchdog.cancel()
        proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no chance to settle
        _, err = proc.communicate(timeout=10)
        assert line.strip() == "reserved", f"the child did not reserve: {clip(err, 160)}"
        snap = Ledger(path, 1.0).snapshot()
        assert snap["left"] <= 0.7 + 1e-9, (
            f"left is ${snap['left']:.2f} of $1.00 after a killed kernel's $0.30 reservation: it was dropped"
        )
        assert snap.get("unsettled", 0) >= 0.3 - 1e-9, (
            f"the killed kernel's $0.30 is not under 'unsettled' (snapshot {snap})"
        )


def _estimate(body: dict[str, Any]) -> Estimate | None:
    return worst_case("POST", "/v1/messages", body)


def _floor(model: str, tokens_in: int, tokens_out: int = 1) -> float:
    p = price_of(model)
    return (tokens_in * p.input + tokens_out * p.output) / 1e6


def _window(model: str) -> int | None:
    try:
        return int(model_info(model).context_window)
    except (KeyError, AttributeError):
        return None


def test_server_tools_are_refused_and_images_documents_cjk_are_bounded() -> None:
    """Server tools refused locally; images, documents and CJK text bounded from above."""
    with live_gateway() as (gw, up):
        body = dict(SMALL, tools=[{"type": "web_search_20250305", "name": "web_search"}])
        r = raw_call(gw.port, "POST", "/v1/messages", body)
        err = r.error() or {}
        assert r.status == 400 and err.get("type") == "invalid_request_error", (
            f"a server tool (web_search): {r.describe()} (expected a local 400 invalid_request_error)"
        )
        assert not up.received, f"a server tool request was forwarded upstream ({len(up.received)} received)"

    sources = {
        "base64": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        "url": {"type": "url", "url": "https://example.com/a.png"},
        "file": {"type": "file", "file_id": "file_01attack"},
    }
    docs = {
        "base64": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
        "url": {"type": "url", "url": "https://example.com/a.pdf"},
        "file": {"type": "file", "file_id": "file_01attack"},
    }
    cjk = "".join(chr(0x4E00 + (i * 7) % 20000) for i in range(30_000))
    for model in (OPUS, SONNET, HAIKU):
        for kind, blocks, tokens in (
            ("image", sources, 1_600),
            ("document", docs, _window(model)),
        ):
            if tokens is None:
                continue
            for name, src in blocks.items():
                content = [{"type": kind, "source": src}, {"type": "text", "text": "?"}]
                est = _estimate({"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": content}]})
                need = _floor(model, tokens)
                got = est.usd if est else 0.0
                assert got >= need, (
                    f"{model}: worst case of one {kind} ({name} source) is ${got:.6f} < ${need:.6f} "
                    f"({tokens:,} input tokens)"
                )
        est = _estimate({"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": cjk}]})
        need, got = _floor(model, 30_000), est.usd if est else 0.0
        assert got >= need, f"{model}: worst case of 30,000 Chinese characters is ${got:.6f} < ${need:.6f}"

    cap = _floor(OPUS, 1_000)  # less than one standard image costs: an image call cannot fit
    with live_gateway(cap=cap) as (gw, up):
        up.replies.append(Reply(body=message("a picture", OPUS, 1_600, 1)))
        content = [{"type": "image", "source": sources["url"]}, {"type": "text", "text": "?"}]
        r = raw_call(
            gw.port,
            "POST",
            "/v1/messages",
            {"model": OPUS, "max_tokens": 1, "messages": [{"role": "user", "content": content}]},
        )
        assert r.status in (400, 402) and not up.received, (
            f"an image call with ${cap:.6f} left: {r.describe()}, forwarded {len(up.received)} time(s)"
        )


_PATHS = (
    "/v1/messages/",
    "/v1//messages",
    "/v1/./messages",
    "/V1/MESSAGES",
    "/v1/messages%2f",
    "/v1/messages/batches/",
)
_MAX_TOKENS = ("1e5", "100000.0", '"100000"', "true", "-1", "0")

_MAX_TOKENS = ("1e5", "100000.0", '"100000"', "true", "-1", "0")


def test_path_and_max_tokens_variants_cannot_bypass_the_budget() -> None:
    """{len(_PATHS)} path variants 404 and {len(_MAX_TOKENS)} max_tokens forms 400 locally; ?beta=true served."""
    cap = 0.001
    expensive = {"model": OPUS, "max_tokens": 64_000, "messages": [{"role": "user", "content": "hi"}]}
    with live_gateway(cap=cap) as (gw, up):
        up.replies.append(Reply(body=message("ok", HAIKU, 100, 50)))
        r = raw_call(gw.port, "POST", "/v1/messages?beta=true", SMALL)
        assert r.status == 200 and len(up.received) == 1, f"/v1/messages?beta=true: {r.describe()}"
        for path in _PATHS:
            n = len(up.received)
            up.replies[:] = [Reply(body=message("ok", OPUS, 100, 60_000))]  # what a bypass would be billed
            r = raw_call(gw.port, "POST", path, expensive)
            err = r.error() or {}
            assert r.status == 404 and err.get("type") == "not_found_error" and len(up.received) == n, (
                f"POST {path}: {r.describe()}" + (", forwarded" if len(up.received) > n else "")
            )
        for literal in _MAX_TOKENS:
            n = len(up.received)
            up.replies[:] = [Reply(body=message("ok", OPUS, 100, 60_000))]
            body = f'{{"model": "{OPUS}", "max_tokens": {literal}, "messages": [{{"role": "user", "content": "hi"}}]}}'
            r = raw_call(gw.port, "POST", "/v1/messages", body.encode())
            assert r.status == 400 and r.error() and len(up.received) == n, f"max_tokens {literal}: {r.describe()}" + (
                ", forwarded" if len(up.received) > n else ""
            )
        up.replies.clear()
        snap = gw.ledger.snapshot()
        held = snap["spent"] + snap["reserved"] + snap.get("unsettled", 0.0)
        assert held <= cap + 1e-12, f"the ledger holds ${held:.4f} against the ${cap} cap"


def test_an_unfetched_batch_counts_as_spent_after_24_hours() -> None:
    """An unfetched batch counts as spent after 24 h; late results replace it with the real charge."""
    now = [1_800_000_000.0]
    with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
        path = Path(tmp) / "ledger.json"
        try:
            ledger = Ledger(path, 1.0, clock=lambda: now[0])
        except TypeError as e:
            pytest.fail(f"Ledger(path, cap, clock=...) is not accepted ({e})")
            return ""
        ledger.hold_for_batch(ledger.reserve(Estimate(0.4, "attack batch")), "msgbatch_attack")
        snap = ledger.snapshot()
        assert abs(snap["left"] - 0.6) < 1e-9, f"a fresh batch hold of $0.40 leaves ${snap['left']:.2f}, not $0.60"
        now[0] += 24 * 3600 + 60  # past the API's processing limit, never fetched
        snap = ledger.snapshot()
        assert snap.get("unsettled", 0) >= 0.4 - 1e-9 and snap["left"] <= 0.6 + 1e-9, (
            f"a batch hold older than 24 h: unsettled ${snap.get('unsettled', 0):.2f}, left ${snap['left']:.2f}"
        )
        try:
            ledger.reserve(Estimate(0.7, "attack: more than is left"))
            pytest.fail("a $0.70 call was reserved although the expired batch's $0.40 still counts")
        except BudgetExceeded:
            pass
        ledger.settle_batch("msgbatch_attack", [Charge(HAIKU, 1000, 1000, 0.05, batch=True)])
        snap = ledger.snapshot()
        assert (
            abs(snap["spent"] - 0.05) < 1e-9 and snap.get("unsettled", 0) < 1e-9 and abs(snap["left"] - 0.95) < 1e-9
        ), (
            f"after metering the late results ($0.05): spent ${snap['spent']:.2f}, "
            f"unsettled ${snap.get('unsettled', 0):.2f}, left ${snap['left']:.2f}"
        )


_LEDGERS = {
    "a corrupt ledger": b"{not json",
    "a ledger holding []": b"[]",
    'a ledger with "spent_usd": "lots"': b'{"spent_usd": "lots"}',
    'a ledger with "reservations": []': b'{"reservations": []}',
    "a read-only ledger": b'{"by_model": {}, "reservations": {}, "spent_usd": 0.0}',
}


def test_a_broken_ledger_fails_closed_with_one_error() -> None:
    """Corrupt, wrong-shape and read-only ledgers: one 500 naming the file, nothing forwarded or rewritten."""
    for what, content in _LEDGERS.items():
        with tempfile.TemporaryDirectory(prefix="primer-attack-") as tmp:
            path = Path(tmp) / "ledger.json"
            path.write_bytes(content)
            if "read-only" in what:
                path.chmod(0o444)
            try:
                with live_gateway(ledger=path) as (gw, up):
                    up.replies.append(Reply(body=message("ok", HAIKU, 10, 5)))
                    r = raw_call(gw.port, "POST", "/v1/messages", SMALL)
                    msg = (r.error() or {}).get("message", "")
                    assert (
                        r.status == 500
                        and r.headers.get("x-should-retry") == "false"
                        and str(path) in msg
                        and "fix" in msg.lower()
                        and "delete" in msg.lower()
                    ), f"{what}: {r.describe()} (expected a 500, x-should-retry: false, naming the file)"
                    assert not up.received, f"{what}: the call was forwarded upstream"
                    with (
                        course_env(
                            PRIMER_MODE="live",
                            ANTHROPIC_API_KEY=fake_key(),
                            PRIMER_LEDGER=str(path),
                            PRIMER_UPSTREAM_URL=up.url,
                            PRIMER_REPLAY_SPEED="0",
                        ),
                        loopback_only(),
                    ):
                        err = run_setup()
                    assert isinstance(err, ConfigError) and "\n" not in str(err), f"{what}: live setup " + (
                        f"raised {type(err).__name__}: {clip(str(err), 80)}" if err else "started without a word"
                    )
                assert path.read_bytes() == content, f"{what}: the ledger file was rewritten"
            finally:
                path.chmod(0o644)
