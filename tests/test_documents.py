"""Notebook 11 (images, PDFs, files, citations): its files, helpers, exercise checks, token estimates,
recording and live bound."""

from __future__ import annotations

import base64
import io
import math
import sys

import matplotlib
import pytest
from conftest import edited

from helpers.checks import documents as check
from helpers.config import RECORDINGS_DIR
from helpers.documents import CHART, INVOICE, PHOTO, citations_card, image_size, pdf_pages, tokens_figure
from helpers.gateway.budget import worst_case
from helpers.gateway.recordings import load_recording
from helpers.models import HAIKU, SONNET, model_info

matplotlib.use("Agg")
import authoring  # noqa: E402  (tools/ is on sys.path: conftest.py)
import make_assets  # noqa: E402

INVOICE_B64 = base64.standard_b64encode(INVOICE.read_bytes()).decode()


def png_bytes(width: int, height: int, fmt: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, fmt)
    return out.getvalue()


# --- the course's own files ---------------------------------------------------------------------------------


def test_the_files_are_small_and_what_the_notebook_says():
    assert image_size(CHART.read_bytes()) == (640, 400) and image_size(PHOTO.read_bytes()) == (480, 360)
    assert all(p.stat().st_size < 40_000 for p in (CHART, PHOTO, INVOICE))
    pages = pdf_pages(INVOICE.read_bytes())
    assert len(pages) == 2 and "Total due (GBP)" in pages[0] and "replaced free of charge" in pages[1]


def test_the_invoice_is_reproducible_and_a_valid_pdf_skeleton():
    data = make_assets.invoice_pdf()
    assert data == INVOICE.read_bytes()  # tools/make_assets.py --check in test form
    xref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref:].startswith(b"xref\n0 8\n")  # the cross-reference table is where the trailer says
    for n, line in enumerate(data[xref:].split(b"\n")[3:10], start=1):  # every object where xref says
        assert data[int(line[:10]) :].startswith(b"%d 0 obj" % n)


@pytest.mark.parametrize(
    ("fmt", "size"), [("PNG", (31, 17)), ("JPEG", (640, 7)), ("GIF", (5, 300)), ("WEBP", (99, 98))]
)
def test_image_size_reads_every_format_the_api_takes(fmt, size):
    assert image_size(png_bytes(*size, fmt)) == size


@pytest.mark.parametrize("data", [b"", b"BM not an image", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xd9"])
def test_image_size_refuses_what_it_cannot_read_in_one_line(data):
    with pytest.raises(ValueError, match="not a PNG, JPEG"):
        image_size(data)


def test_pdf_pages_refuses_a_file_that_is_not_a_pdf():
    with pytest.raises(ValueError, match="not a PDF"):
        pdf_pages(b"<html>")


# --- pictures -----------------------------------------------------------------------------------------------

CITED = check.EXERCISE_ANSWER


def test_citations_card_numbers_each_citation_and_says_where():
    card = citations_card(CITED)
    text = repr(card)
    assert "[1]" in text and "[3]" in text and "page 2" in text and "pages 1-2" in text
    assert "characters 0-33" in text and "Delivery note" in text
    assert "<sup>[2]</sup>" in card._repr_html_() and "<script" not in card._repr_html_()


def test_citations_card_escapes_text_and_says_when_there_are_none():
    plain = check._answer({"type": "text", "text": "<b>no sources</b>", "citations": None})
    card = citations_card(plain)
    assert "(no citations)" in repr(card) and "&lt;b&gt;" in card._repr_html_()


def test_tokens_figure_has_title_labels_and_three_series():
    fig = tokens_figure({"a.png": (342, 343, 6000), "b.jpg": (231, 231, 6400)})
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and "tokens" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 3


# --- exercise 1: image tokens -------------------------------------------------------------------------------

W, H = check.EXERCISE_IMAGE


@pytest.mark.parametrize("answer", [W * H / 750, round(W * H / 750), math.ceil(W * H / 750), int(W * H / 750), 1027.0])
def test_image_tokens_accepts_the_formula_rounded_or_not(answer):
    assert check.check_image_tokens(answer).ok


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (W * H, "divide by 750"),
        (len(base64.b64encode(png_bytes(W, H))) / 4 + 50_000, "not counted by their bytes"),
        (math.ceil(W / 28) * math.ceil(H / 28), "28-pixel patches"),
        (W * H / 1000, "divide by 750"),
        ("1027", "Give a number"),
        (True, "Give a number"),
        (..., "Replace ..."),
    ],
)
def test_image_tokens_refuses_wrong_answers_with_a_hint(answer, words):
    res = check.check_image_tokens(answer)
    assert not res.ok and words in repr(res)


# --- exercise 2: a document block ---------------------------------------------------------------------------

SOLUTION_BLOCK = {
    "type": "document",
    "source": {"type": "base64", "media_type": "application/pdf", "data": INVOICE_B64},
    "citations": {"enabled": True},
}




@pytest.mark.parametrize(
    "block",
    [
        SOLUTION_BLOCK,
        edited(SOLUTION_BLOCK, title="Invoice NT-2026-0417"),
        edited(SOLUTION_BLOCK, title="Invoice", context="From the shop's accounts system"),
        edited(SOLUTION_BLOCK, cache_control={"type": "ephemeral"}),
        edited(SOLUTION_BLOCK, source__data=base64.b64encode(INVOICE.read_bytes()).decode()),
        dict(reversed(list(SOLUTION_BLOCK.items()))),
    ],
)
def test_document_block_accepts_equivalent_forms(block):
    assert check.check_document_block(block).ok


def test_document_block_accepts_the_sdks_typed_dicts():
    from anthropic.types import Base64PDFSourceParam, CitationsConfigParam, DocumentBlockParam

    block = DocumentBlockParam(
        type="document",
        source=Base64PDFSourceParam(type="base64", media_type="application/pdf", data=INVOICE_B64),
        citations=CitationsConfigParam(enabled=True),
    )
    assert check.check_document_block(block).ok


@pytest.mark.parametrize(
    ("block", "words"),
    [
        (edited(SOLUTION_BLOCK, type="image"), 'type should be "document"'),
        (edited(SOLUTION_BLOCK, source__media_type="pdf"), "application/pdf"),
        (edited(SOLUTION_BLOCK, source__type="file"), '"base64"'),
        (edited(SOLUTION_BLOCK, source__data=INVOICE_B64.encode()), "must be a str"),
        (edited(SOLUTION_BLOCK, source__data="data:application/pdf;base64," + INVOICE_B64), "without a"),
        (edited(SOLUTION_BLOCK, source__data=base64.urlsafe_b64encode(INVOICE.read_bytes()).decode() + "-_"),
         "not base64"),
        (edited(SOLUTION_BLOCK, source__data=base64.b64encode(b"%PDF-1.4 another").decode()), "another file"),
        (edited(SOLUTION_BLOCK, source__data="not base64 at all!"), "not base64"),
        (edited(SOLUTION_BLOCK, citations=KeyError), "Enable citations"),
        (edited(SOLUTION_BLOCK, citations=True), '{"enabled": True}'),
        (edited(SOLUTION_BLOCK, citations={"enabled": "true"}), '{"enabled": True}'),
        (edited(SOLUTION_BLOCK, title=3), "optional text"),
        (edited(SOLUTION_BLOCK, pages=2), "has no ['pages']"),
        (edited(SOLUTION_BLOCK, source__filename="invoice.pdf"), "remove ['filename']"),
        ({"type": ..., "source": ..., "citations": ...}, "Replace each ..."),
        ("document", "Build a dict"),
    ],
)
def test_document_block_refuses_wrong_blocks_and_says_what_to_fix(block, words):
    res = check.check_document_block(block)
    assert not res.ok and words in repr(res)


# --- exercise 3: cited pages --------------------------------------------------------------------------------


def pages_loop(message):
    pages = set()
    for block in message.content:
        for c in getattr(block, "citations", None) or []:
            if c.type == "page_location":
                pages.update(range(c.start_page_number, c.end_page_number))
    return pages


def pages_comprehension(message):
    return sorted(
        {
            p
            for b in message.content
            if b.type == "text"
            for c in (b.citations or [])
            if c.type == "page_location"
            for p in range(c.start_page_number, c.end_page_number)
        }
    )


def pages_from_dump(message):
    out = []
    for b in message.model_dump()["content"]:
        for c in b.get("citations") or []:
            if c["type"] == "page_location":
                out += list(range(c["start_page_number"], c["end_page_number"]))
    return tuple(out)  # duplicates are fine: a set of pages is meant


@pytest.mark.parametrize("fn", [pages_loop, pages_comprehension, pages_from_dump])
def test_cited_pages_accepts_working_functions_in_several_forms(fn):
    assert check.check_cited_pages(fn).ok


def inclusive(message):
    return {p for p in pages_loop(message)} | {
        c.end_page_number for b in message.content for c in (b.citations or []) if c.type == "page_location"
    }


def zero_based(message):
    return {p - 1 for p in pages_loop(message)}


def starts_only(message):
    return {c.start_page_number for b in message.content for c in (b.citations or []) if c.type == "page_location"}


def crashes_on_none(message):
    return {c.start_page_number for b in message.content for c in b.citations}


def every_citation(message):
    out = set()
    for b in message.content:
        for c in b.citations or []:
            start = getattr(c, "start_page_number", None) or getattr(c, "start_char_index", 0)
            end = getattr(c, "end_page_number", None) or getattr(c, "end_char_index", 0)
            out.update(range(start, end))
    return out


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (inclusive, "exclusive"),
        (zero_based, "numbered from 1"),
        (starts_only, "up to, not including"),
        (crashes_on_none, "citations=None"),
        (every_citation, "Only page_location"),
        (lambda m: "1, 2", "Return a set"),
        (lambda m: {1.0, 2.0}, "Return a set"),
        (pages_loop(CITED), "Pass the function itself"),
        (..., "Replace ..."),
    ],
)
def test_cited_pages_refuses_wrong_functions_with_a_hint(fn, words):
    res = check.check_cited_pages(fn)
    assert not res.ok and words in repr(res)


# --- authored estimates -------------------------------------------------------------------------------------


def test_an_image_is_estimated_by_the_docs_formula_not_by_its_base64():
    data = png_bytes(1000, 1000)
    block = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(data).decode()},
    }
    assert authoring.media_tokens(block) == 1334  # 1000 x 1000 / 750, rounded up
    photo = {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/jpeg",
            "data": base64.b64encode(png_bytes(4000, 3000, "JPEG")).decode(),
        },
    }
    assert 1590 <= authoring.media_tokens(photo) <= 1600  # scaled to about 1,600 tokens first
    assert authoring.image_tokens(1568, 100) == math.ceil(1568 * 100 / 750)  # within limits: unchanged
    request = {
        "model": SONNET,
        "messages": [{"role": "user", "content": [photo, {"type": "text", "text": "What is it?"}]}],
    }
    assert authoring.estimate_input_tokens(request) < 1700


def test_a_pdf_page_is_its_text_plus_a_page_image():
    block = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": INVOICE_B64}}
    pages = pdf_pages(INVOICE.read_bytes())
    want = sum(authoring.estimate_tokens(t) + authoring.image_tokens(963, 1246) for t in pages)
    assert authoring.media_tokens(block) == want and 3000 < want < 4000
    by_file = {"type": "document", "source": {"type": "file", "file_id": "file_x"}, "title": "Invoice"}
    assert authoring.media_tokens(by_file, {"file_x": INVOICE.read_bytes()}) == want + authoring.estimate_tokens(
        "Invoice"
    )
    with pytest.raises(ValueError, match="media="):
        authoring.media_tokens(by_file)


def test_text_documents_and_search_results_count_as_text():
    doc = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x" * 400}}
    assert authoring.media_tokens(doc) == 100
    result = {"type": "search_result", "source": "s", "title": "t", "content": [{"type": "text", "text": "y" * 398}]}
    assert authoring.media_tokens(result) == 100
    assert authoring.media_tokens({"type": "text", "text": "z"}) is None


# --- the recording ------------------------------------------------------------------------------------------


def test_the_recording_holds_images_documents_files_and_cited_answers():
    rec = load_recording(RECORDINGS_DIR / "11_images_documents.json")
    assert rec.provenance["source"] == "authored" and "width x height / 750" in rec.provenance["note"]
    kinds, sources, citation_types, routes = set(), set(), set(), set()
    for ex in rec.exchanges:
        routes.add((ex.request.method, ex.request.path.split("/")[2] if ex.request.path.count("/") > 1 else ""))
        for msg in (ex.request.body or {}).get("messages", []) if isinstance(ex.request.body, dict) else []:
            for block in msg["content"] if isinstance(msg["content"], list) else []:
                kinds.add(block["type"])
                if "source" in block and isinstance(block["source"], dict):
                    sources.add((block["type"], block["source"]["type"]))
        body = ex.response.body
        for block in body.get("content", []) if isinstance(body, dict) else []:
            citation_types.update(c["type"] for c in block.get("citations") or [])
    assert {"image", "document", "search_result"} <= kinds
    assert {("image", "base64"), ("document", "base64"), ("document", "file"), ("document", "text")} <= sources
    assert {"page_location", "char_location", "search_result_location"} <= citation_types
    assert {("POST", "files"), ("GET", "files"), ("DELETE", "files")} <= routes
    upload = next(ex for ex in rec.exchanges if ex.request.method == "POST" and ex.request.path == "/v1/files")
    assert upload.request.body["multipart"]["file"]["size"] == INVOICE.stat().st_size


def test_no_estimate_counts_base64_as_text():
    rec = load_recording(RECORDINGS_DIR / "11_images_documents.json")
    for ex in rec.exchanges:
        body = ex.response.body if isinstance(ex.response.body, dict) else {}
        tokens = body.get("usage", {}).get("input_tokens", body.get("input_tokens"))
        if tokens is not None:
            assert tokens < 4_000, ex.label  # base64 / 4 would give 6,000 or more for each image


# --- the live bound -----------------------------------------------------------------------------------------


def big_request(model, *blocks):
    return {
        "model": model,
        "max_tokens": 300,
        "messages": [{"role": "user", "content": [*blocks, {"type": "text", "text": "?"}]}],
    }


def test_the_live_bound_covers_a_large_image_and_a_long_pdf():
    huge = base64.b64encode(png_bytes(4000, 3000, "JPEG")).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": huge}}
    request = big_request(HAIKU, image)
    price = pytest.importorskip("helpers.pricing").price_of(HAIKU)
    estimate = authoring.estimate_input_tokens(request)
    assert worst_case("POST", "/v1/messages", request).usd >= (estimate * price.input + 300 * price.output) / 1e6

    page = (make_assets.PAGE_1, make_assets.PAGE_2)
    saved = make_assets.PAGES
    try:
        make_assets.PAGES = [page[i % 2] for i in range(100)]
        long_pdf = base64.b64encode(make_assets.invoice_pdf()).decode()
    finally:
        make_assets.PAGES = saved
    doc = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": long_pdf}}
    request = big_request(HAIKU, doc)
    estimate = authoring.estimate_input_tokens(request)
    assert 100 * 1600 < estimate <= model_info(HAIKU).context_window
    assert worst_case("POST", "/v1/messages", request).usd >= (estimate * price.input + 300 * price.output) / 1e6
    by_file = big_request(HAIKU, {"type": "document", "source": {"type": "file", "file_id": "file_x"}})
    assert worst_case("POST", "/v1/messages", by_file).usd >= (estimate * price.input) / 1e6


assert "tools" in " ".join(sys.path)  # authoring and make_assets come from tools/ (conftest.py puts it there)
