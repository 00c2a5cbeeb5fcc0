"""Fixtures for the hardening tests: a live gateway in front of the one fake upstream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_upstream import FakeUpstream

from helpers.gateway import Gateway
from helpers.gateway.budget import Ledger
from helpers.gateway.upstream import Upstream


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
