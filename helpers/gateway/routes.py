"""The API routes the course uses, in one table: method, pattern, what it bills, and what its answer is.

The server forwards nothing else in live mode (so no spelling of a billable route, a trailing slash, "//",
"./", %2f or upper case, can skip the budget), the budget bounds the billable ones, and the upstream relay
reads a results route's answer as JSONL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

__all__ = ["Route", "ROUTES", "find_route", "route_problem"]

_ID = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_QUERY_KEYS = ("beta", "limit", "before_id", "after_id", "page", "ids[]")  # ids[]: the Files API's list filter
_QUERY_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    billable: str  # "message" (one call), "batch" (many, at the batch rate), "results" (settles a batch), ""
    answer: str  # "message" (JSON, or SSE when streamed), "jsonl" (batch results), "json", "bytes" (a file)

    def matches(self, method: str, route: str) -> bool:
        return self.method == method and _COMPILED[self].fullmatch(route) is not None


ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/messages", "message", "message"),
    Route("POST", "/v1/messages/count_tokens", "", "json"),
    Route("POST", "/v1/messages/batches", "batch", "json"),
    Route("GET", "/v1/messages/batches", "", "json"),
    Route("GET", f"/v1/messages/batches/{_ID}", "", "json"),
    Route("GET", f"/v1/messages/batches/{_ID}/results", "results", "jsonl"),
    Route("POST", f"/v1/messages/batches/{_ID}/cancel", "", "json"),
    Route("DELETE", f"/v1/messages/batches/{_ID}", "", "json"),
    Route("GET", "/v1/models", "", "json"),
    Route("GET", f"/v1/models/{_ID}", "", "json"),
    # The Files API (notebook 11): storing a file bills nothing; a message that names its file_id is bounded
    # as any message with that block. The upload's body is multipart/form-data, forwarded as sent.
    Route("POST", "/v1/files", "", "json"),
    Route("GET", "/v1/files", "", "json"),
    Route("GET", f"/v1/files/{_ID}", "", "json"),
    Route("DELETE", f"/v1/files/{_ID}", "", "json"),
    Route("GET", f"/v1/files/{_ID}/content", "", "bytes"),
)
_COMPILED = {r: re.compile(r.pattern) for r in ROUTES}


def find_route(method: str, path: str) -> Route | None:
    """The route `method path` (query string ignored) takes, or None for one the course does not use."""
    route = path.split("?", 1)[0]
    return next((r for r in ROUTES if r.matches(method, route)), None)


def route_problem(method: str, path: str) -> tuple[int, str] | None:
    """Why the gateway will not forward `method path` (status, message), or None for a known API route."""
    route, _, query = path.partition("?")
    if find_route(method, route) is None:
        return 404, f"Course gateway: no API route {method} {route[:200]}."
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=110)
    except ValueError:
        return 400, "Course gateway: the query string is malformed."
    for k, v in pairs:
        if k not in _QUERY_KEYS or not _QUERY_VALUE.match(v):
            return 400, f"Course gateway: query parameter {k[:40]!r} is not one the API takes here; leave it out."
    return None
