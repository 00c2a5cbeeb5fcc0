"""Shared fixtures: recordings built in memory and gateways on loopback that never sleep for real."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from helpers.gateway import Gateway  # noqa: E402
from helpers.gateway.recordings import Recording, parse_recording  # noqa: E402


def make_recording(exchanges: list[dict[str, Any]], name: str = "test_rec") -> Recording:
    data = {"format": 1, "provenance": {"source": "authored", "note": "test"}, "exchanges": exchanges}
    return parse_recording(json.loads(json.dumps(data)), name, f"{name}.json")


class FakeClock:
    """A clock that only moves when something sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(exchanges, **gateway_kwargs) -> a started Gateway, stopped after the test."""
    started: list[Gateway] = []

    def _serve(exchanges: list[dict[str, Any]], **kw: Any) -> Gateway:
        kw.setdefault("speed", 0)
        gw = Gateway([make_recording(exchanges)], **kw).start()
        started.append(gw)
        return gw

    yield _serve
    for gw in started:
        gw.stop()
