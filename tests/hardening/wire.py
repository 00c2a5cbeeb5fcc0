"""For the hardening tests: a live gateway in front of the one fake upstream (fixtures a test module imports
by name), and raw HTTP calls."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_upstream import FakeUpstream

from helpers.gateway import Gateway
from helpers.gateway.budget import Ledger
from helpers.gateway.upstream import Upstream

FAKE_KEY = "sk-ant-api03-" + "Qw7" * 30 + "-HgFdEaAA"  # shaped like a real key, never valid
ASK = {"model": "claude-opus-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    yield fake
    fake.stop()


@pytest.fixture
def live(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    started: list[Gateway] = []

    def _live(cap: float = 2.0, **kw: Any) -> Gateway:
        ledger = Ledger(tmp_path / "ledger.json", cap)
        gw = Gateway([], mode="live", upstream=Upstream(upstream.url), ledger=ledger, speed=0, **kw).start()
        started.append(gw)
        return gw

    yield _live
    for gw in started:
        gw.stop()


def call(
    gw: Gateway, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One raw request to the gateway: status, headers (lower-case names) and body bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    sent = {"content-type": "application/json", "x-api-key": FAKE_KEY, **(headers or {})}
    conn.request(method, path, body=data, headers=sent)
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def error_message(data: bytes) -> str:
    return str(json.loads(data)["error"]["message"])
