"""Live mode with notebook 11's blocks: a PDF's pages are bounded by the API's own count (count_tokens bills
nothing), with a margin, and by the whole window when no count can be had; the Files API is forwarded as sent."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import anthropic
import pytest
from fake_upstream import Reply, message

from helpers.gateway.budget import COUNT_FIELDS, COUNT_MARGIN, count_request, worst_case
from helpers.models import HAIKU, model_info
from helpers.pricing import price_of

ROOT = Path(__file__).resolve().parents[2]
PDF = base64.b64encode((ROOT / "notebooks" / "data" / "invoice.pdf").read_bytes()).decode()


def pdf_request(max_tokens: int = 100) -> dict:
    block = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}
    return {"model": HAIKU, "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": [block, {"type": "text", "text": "Total?"}]}]}


def client(gw) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="sk-ant-test-fake", max_retries=0)


def test_the_count_body_holds_what_count_tokens_takes():
    sdk = set(anthropic.types.MessageCountTokensParams.__annotations__)
    assert set(COUNT_FIELDS) == sdk - {"user_profile_id", "workspace_id"}  # the two live mode refuses anyway
    assert count_request({"model": HAIKU, "max_tokens": 5, "messages": []}) is None  # nothing unseen to count
    wanted = count_request({**pdf_request(), "stream": True})
    assert set(wanted) == {"model", "messages"}  # max_tokens and stream are not count_tokens fields


def test_a_pdf_is_bounded_by_the_apis_count_plus_a_margin(live, upstream):
    gw = live(cap=2.0)
    upstream.replies = [Reply(body={"input_tokens": 3_000}), Reply(body=message(model=HAIKU, tokens_in=2_900))]
    client(gw).messages.create(**pdf_request())
    count, sent = upstream.received
    assert count["path"] == "/v1/messages/count_tokens" and "max_tokens" not in count["body"]
    assert count["body"]["messages"][0]["content"][0]["source"]["data"] == PDF  # the same pages
    assert sent["path"] == "/v1/messages"
    est = worst_case("POST", "/v1/messages", pdf_request(), counted=3_000)
    assert f"{math.ceil(3_000 * COUNT_MARGIN):,} input" in est.detail
    window = worst_case("POST", "/v1/messages", pdf_request())
    assert est.usd < window.usd / 20  # a counted PDF is priced as its pages, not as the whole window
    price = price_of(HAIKU)
    assert est.usd >= (3_000 * COUNT_MARGIN * price.input + 100 * price.output) / 1e6


@pytest.mark.parametrize("answer", [Reply(500, {"type": "error"}), Reply(200, {"input_tokens": "many"}),
                                    Reply(raw=b"<html>", headers={"Content-Type": "text/html"})])
def test_without_a_count_the_pdf_counts_as_the_whole_window(live, upstream, answer):
    gw = live(cap=worst_case("POST", "/v1/messages", pdf_request()).usd / 2)  # less than a whole window
    upstream.replies = [answer]
    with pytest.raises(anthropic.APIStatusError) as refused:
        client(gw).messages.create(**pdf_request())
    assert refused.value.status_code == 402
    assert len(upstream.received) == 1  # the count was asked; the message never went out
    assert f"{model_info(HAIKU).context_window:,} input (a PDF's pages)" in str(refused.value)


def test_the_files_api_is_forwarded_as_sent(live, upstream):
    gw = live()
    meta = {"id": "file_011CabcDEF", "type": "file", "filename": "invoice.pdf", "mime_type": "application/pdf",
            "size_bytes": 3, "created_at": "2026-12-08T00:00:00Z", "downloadable": False}
    upstream.replies = [Reply(body=meta), Reply(body={"data": [meta], "has_more": False, "first_id": meta["id"],
                                                      "last_id": meta["id"]}),
                        Reply(body={"id": meta["id"], "type": "file_deleted"})]
    sdk = client(gw)
    got = sdk.files.upload(file=("invoice.pdf", b"%PDF", "application/pdf"))
    assert got.id == meta["id"]
    assert [f.id for f in sdk.files.list(limit=5)] == [meta["id"]]
    sdk.files.delete(meta["id"])
    upload, listing, deleted = upstream.received
    assert upload["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert b"%PDF" in upload["body"] if isinstance(upload["body"], bytes) else False
    assert listing["path"].startswith("/v1/files?") and "limit=5" in listing["path"]
    assert deleted["method"] == "DELETE" and gw.ledger.snapshot()["spent"] == 0
