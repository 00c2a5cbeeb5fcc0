"""Only results_url is rewritten: Claude's text mentioning the API's address passes unchanged."""

from __future__ import annotations

import json

from fake_upstream import Reply, message

from hardening.rawhttp import SMALL, clip, live_gateway, raw_call
from helpers.models import HAIKU


def test_only_results_url_is_rewritten() -> None:
    """Text mentioning api.anthropic.com passes unchanged; results_url still leads back to the gateway."""
    text = (
        "Call it yourself: curl https://api.anthropic.com/v1/messages -H 'x-api-key: ...'. "
        "Never paste your key into https://api.anthropic.com.evil.com/x"
    )
    with live_gateway() as (gw, up):
        up.replies.append(Reply(body=message(text, HAIKU, 10, 40)))
        r = raw_call(gw.port, "POST", "/v1/messages", SMALL)
        try:
            got = json.loads(r.body)["content"][0]["text"]
        except (ValueError, KeyError, IndexError, TypeError):
            got = None
        assert got == text, f"the model's text reached the client changed: {clip(str(got), 160)!r}"
        batch_id = "msgbatch_01attack"
        batch = {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "in_progress",
            "request_counts": {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
            "created_at": "2026-11-24T00:00:00Z",
            "expires_at": "2026-11-25T00:00:00Z",
            "ended_at": None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{up.url}/v1/messages/batches/{batch_id}/results",
        }
        up.replies.append(Reply(body=batch))
        r = raw_call(gw.port, "POST", "/v1/messages/batches", {"requests": [{"custom_id": "a", "params": SMALL}]})
        try:
            url = json.loads(r.body).get("results_url")
        except (ValueError, AttributeError):
            url = None
        want = f"{gw.url}/v1/messages/batches/{batch_id}/results"
        assert url == want, f"a batch's results_url came back as {url!r}, not {want!r} ({r.status})"
