"""The gateway stays split by concern: no module over 600 lines, and one route table."""

from __future__ import annotations

from pathlib import Path

import helpers.gateway as gateway
from helpers.gateway.routes import ROUTES, find_route


def test_no_gateway_module_exceeds_600_lines():
    sizes = {
        p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in Path(gateway.__file__).parent.glob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_the_route_table_names_each_billable_route_once():
    assert [(r.method, r.pattern) for r in ROUTES if r.billable] == [
        ("POST", "/v1/messages"),
        ("POST", "/v1/messages/batches"),
        ("GET", "/v1/messages/batches/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}/results"),
    ]
    assert find_route("POST", "/v1/messages?beta=true").billable == "message"
    assert find_route("POST", "/v1/messages/") is None and find_route("GET", "/v1/messages") is None
