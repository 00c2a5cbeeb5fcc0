"""The meter (JSON, SSE, batch lines) and the course bill computed from recordings."""

from __future__ import annotations

import json

import pytest
from conftest import make_recording

from helpers.bill import course_bill, format_bill, recording_bill
from helpers.gateway.meter import StreamMeter, Tally, charges_from_lines, charges_from_message
from helpers.gateway.upstream import SseSplitter


def msg(model="claude-opus-4-6", tokens_in=1000, tokens_out=100, **usage):
    return {
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out, **usage},
    }


def test_json_message_is_priced_and_other_bodies_are_not():
    (charge,) = charges_from_message(msg())
    assert charge.usd == pytest.approx((1000 * 5 + 100 * 25) / 1e6) and charge.input_tokens == 1000
    assert charges_from_message({"type": "error", "error": {}}) == []
    assert charges_from_message(None) == []


def test_dated_model_ids_are_grouped_under_their_alias():
    (charge,) = charges_from_message(msg(model="claude-haiku-4-5-20251001"))
    assert charge.model == "claude-haiku-4-5"


def test_stream_usage_is_cumulative_not_added():
    meter = StreamMeter()
    meter.feed(
        "message_start", {"message": {"model": "claude-sonnet-4-6", "usage": {"input_tokens": 200, "output_tokens": 1}}}
    )
    meter.feed("message_delta", '{"usage": {"output_tokens": 40}}')
    meter.feed("message_delta", {"usage": {"output_tokens": 90, "input_tokens": None}})
    assert not meter.complete
    meter.feed("message_stop", {})
    (charge,) = meter.charges()
    assert (charge.input_tokens, charge.output_tokens, meter.complete) == (200, 90, True)
    meter.feed("message_delta", "not json")  # ignored, never raises


def test_batch_lines_at_the_batch_rate_and_errors_free():
    lines = [
        {"custom_id": "a", "result": {"type": "succeeded", "message": msg()}},
        {"custom_id": "b", "result": {"type": "errored", "error": {}}},
        "garbage",
    ]
    (charge,) = charges_from_lines(lines)
    assert charge.batch and charge.usd == pytest.approx((1000 * 5 + 100 * 25) / 2e6)


def test_unknown_models_are_reported_not_zero():
    tally = Tally()
    tally.add(charges_from_message(msg(model="claude-someday-9")) + charges_from_message(msg()))
    assert tally.unpriced == {"claude-someday-9": 1} and list(tally.by_model) == ["claude-opus-4-6"]


def test_sse_splitter_handles_split_chunks_and_crlf():
    s = SseSplitter()
    assert s.feed(b'event: ping\r\ndata: {"type"') == []
    assert s.feed(b': "ping"}\r\n\r\nevent: x\ndata: 1\n\n') == [("ping", '{"type": "ping"}'), ("x", "1")]


def test_recording_bill_counts_every_exchange():
    ok = {
        "request": {"method": "POST", "path": "/v1/messages", "body": {}},
        "response": {"status": 200, "headers": {}, "body": msg()},
    }
    err = {
        "request": {"method": "POST", "path": "/v1/messages", "body": {}},
        "response": {"status": 429, "headers": {}, "body": {"type": "error", "error": {}}},
    }
    tally = recording_bill(make_recording([ok, ok, err]))
    assert tally.calls == {"claude-opus-4-6": 2}


def test_course_bill_covers_every_shipped_recording():
    bill = course_bill()
    assert "01_first_request" in bill and all(t.total >= 0 for t in bill.values())
    text = format_bill(bill)
    assert text.splitlines()[-1].startswith("total") and "01_first_request" in text


def test_readme_and_notebook_00_quote_the_current_full_run_cost():
    from helpers.config import NOTEBOOKS_DIR, REPO_ROOT

    total = f"${sum(t.total for t in course_bill().values()):.2f}"
    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())  # however it is wrapped
    assert f"about **{total}**" in readme, f"README should quote {total} (make cost; `make outputs` writes it)"
    cells = json.loads((NOTEBOOKS_DIR / "00_start_here.ipynb").read_text(encoding="utf-8"))["cells"]
    markdown = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert f"costs about \\\\{total}" in markdown, f"notebook 00: \\\\{total} (escaped: a bare $ renders as math)"


def test_the_quoted_cost_is_generated_from_the_bill_so_a_model_switch_updates_it():
    from types import SimpleNamespace

    import toc

    def paragraph(totals, titles=None, **kw):
        bill = {f"0{i}_nb": SimpleNamespace(total=usd) for i, usd in enumerate(totals)}
        return " ".join(toc.cost_paragraph(bill, titles or {}, **kw).split())

    totals = [0.2845, 0.1196, 0.09, 0.08, 0.0246, 0.001]
    text = paragraph(totals, {"00_nb": "00 · Prompt caching", "01_nb": "01 · System prompts and conversations"})
    assert "about **$0.60** for all six notebooks (prompt caching $0.28, system prompts $0.12, 02_nb $0.09" in text
    assert "03_nb $0.08, the rest under $0.03 each)" in text and "budget covers a full run three times." in text
    assert "the rest under $0.03 each" in paragraph([*totals[:4], 0.02])  # "under" is strict at a whole cent
    assert "covers a full run once." in paragraph(totals, budget=1.0)
    assert "$0.5 budget does not cover a full run." in paragraph(totals, budget=0.5)
    bill = {"00_nb": SimpleNamespace(total=0.6)}
    readme = toc.with_cost("intro\n\n**What a full live run costs**: about **$9.99**, old.\n\nnext", bill, {})
    assert readme.startswith("intro\n\n**What a full live run costs**") and readme.endswith(".\n\nnext")
    assert "**$0.60**" in readme and "$9.99" not in readme
