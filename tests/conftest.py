"""Shared fixtures: recordings built in memory and gateways on loopback that never sleep for real."""

from __future__ import annotations

import copy
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


def edited(base: dict, **changes: Any) -> dict:
    """A deep copy of `base` with `changes` applied: `a__b=v` sets base["a"]["b"], and the value KeyError deletes
    that key (the checks' tests build their wrong answers from a right one this way)."""
    out = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = out
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return out


# Right answers to two exercises, shared by the tests of their checks.
STOCK_TOOL = {  # notebook 04, Exercise 1
    "name": "get_stock_price",
    "description": "Returns the latest trade price of a stock, given its ticker symbol. Use it for share prices.",
    "input_schema": {
        "type": "object",
        "properties": {
            "ticker": {"type": "string", "description": "The stock's ticker symbol, e.g. AAPL"},
            "currency": {"type": "string", "enum": ["USD", "EUR", "JPY"], "description": "USD if not given"},
        },
        "required": ["ticker"],
    },
}
RETRY_CLASSES = {"a": "retry", "b": "fix", "c": "retry", "d": "fix", "e": "fix", "f": "retry", "g": "fix",
                 "h": "retry", "i": "fix"}  # notebook 10, Exercise 1
