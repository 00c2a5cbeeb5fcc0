"""Raw HTTP calls for the hardening tests, and what they send."""

from __future__ import annotations

import http.client
import json
from typing import Any

from helpers.gateway import Gateway

FAKE_KEY = "sk-ant-api03-" + "Qw7" * 30 + "-HgFdEaAA"  # shaped like a real key, never valid
ASK = {"model": "claude-opus-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


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
