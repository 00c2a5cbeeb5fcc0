"""Helpers for notebook 11 (images, PDFs, the Files API, citations): the course's files, their sizes, and
pictures of cited answers and token counts.

Nothing here calls the API: the notebook's cells do that in plain SDK code. Stdlib only, apart from the figure
(matplotlib), so the browser edition runs it too.
"""

from __future__ import annotations

import html
import re
import struct
from typing import Any

from .config import NOTEBOOKS_DIR
from .display import BORDER, MUTED, Card

__all__ = ["CHART", "PHOTO", "INVOICE", "image_size", "pdf_pages", "citations_card", "tokens_figure"]

DATA = NOTEBOOKS_DIR / "data"
CHART = DATA / "sales_chart.png"  # drawn by tools/make_assets.py with matplotlib
PHOTO = DATA / "tin_photo.jpg"  # computed by tools/make_assets.py (numpy), a dented tea tin
INVOICE = DATA / "invoice.pdf"  # written by tools/make_assets.py: two pages, the invoice and its terms


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of a PNG, JPEG, GIF or WebP (VP8/VP8L/VP8X) image, read from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = data[12:16]
        if kind == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if kind == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if kind == b"VP8X":
            return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + length
    raise ValueError("not a PNG, JPEG, GIF or WebP image the course can read the size of")


_TJ = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj")


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF written like the course's invoice (uncompressed streams, `(...) Tj` text).

    Not a general PDF reader: enough for the course's own file (tools/make_assets.py writes it).
    """
    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF file (it does not start with %PDF-)")
    pages = []
    for stream in re.findall(rb"stream\n(.*?)endstream", data, re.S):
        parts = [re.sub(rb"\\(.)", rb"\1", m).decode("latin-1") for m in _TJ.findall(stream)]
        pages.append("\n".join(parts))
    return pages


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _where(c: Any) -> str:
    kind = _get(c, "type")
    if kind == "page_location":
        start, end = _get(c, "start_page_number"), _get(c, "end_page_number")
        return f"page {start}" if end == start + 1 else f"pages {start}-{end - 1}"
    if kind == "char_location":
        return f"characters {_get(c, 'start_char_index')}-{_get(c, 'end_char_index')}"
    if kind in ("content_block_location", "search_result_location"):
        start, end = _get(c, "start_block_index"), _get(c, "end_block_index")
        return f"block {start}" if end == start + 1 else f"blocks {start}-{end - 1}"
    return str(kind)


def _source(c: Any) -> str:
    if _get(c, "type") == "search_result_location":
        return f"search result {_get(c, 'search_result_index')}: {_get(c, 'title') or _get(c, 'source')}"
    title = _get(c, "document_title")
    return f"document {_get(c, 'document_index')}" + (f" ({title})" if title else "")


def citations_card(message: Any) -> Card:
    """An answer's text with a numbered mark after each cited passage, and the citations listed below it:
    what was cited, from which document or search result, and where (pages, characters or blocks)."""
    text_parts, html_parts, rows_text, rows_html = [], [], [], []
    n = 0
    for block in _get(message, "content", []) or []:
        if _get(block, "type") != "text":
            continue
        marks = []
        for c in _get(block, "citations", None) or []:
            n += 1
            marks.append(n)
            cited = " ".join(str(_get(c, "cited_text", "")).split())
            rows_text.append(f"[{n}] {_source(c)}, {_where(c)}: {cited!r}")
            rows_html.append(
                f"<tr><td>[{n}]</td><td>{html.escape(_source(c))}</td><td>{html.escape(_where(c))}</td>"
                f"<td><i>{html.escape(cited)}</i></td></tr>"
            )
        tag = "".join(f"[{m}]" for m in marks)
        text_parts.append(_get(block, "text", "") + tag)
        sup = "".join(f"<sup>[{m}]</sup>" for m in marks)
        html_parts.append(html.escape(_get(block, "text", "")) + sup)
    text = "".join(text_parts) + ("\n\n" + "\n".join(rows_text) if rows_text else "\n\n(no citations)")
    table = (
        f'<table style="font-size:90%;margin-top:6px"><tr><th></th><th>source</th><th>where</th>'
        f"<th>cited text</th></tr>{''.join(rows_html)}</table>"
        if rows_html
        else f'<div style="color:{MUTED}">(no citations)</div>'
    )
    body = "".join(html_parts).replace("\n", "<br>")
    return Card(text, f'<div style="border:1px solid {BORDER};padding:8px;border-radius:4px">{body}{table}</div>')


def tokens_figure(rows: dict[str, tuple[int, int, int]]) -> Any:
    """Bars per file: the docs' formula (or page rule), what count_tokens said, and the base64 text's
    characters / 4 (what a text-only estimate would guess). rows: name -> (formula, counted, naive)."""
    from .plots import COLORS, figure

    fig, ax = figure("What an image or a PDF costs, in input tokens", "file", "input tokens (log scale)")
    names = list(rows)
    xs = range(len(names))
    series = [
        ("docs' formula", 0, COLORS["sonnet"]),
        ("count_tokens", 1, COLORS["opus"]),
        ("base64 characters / 4", 2, COLORS["muted"]),
    ]
    for k, (label, i, color) in enumerate(series):
        values = [rows[n][i] for n in names]
        bars = ax.bar([x + (k - 1) * 0.26 for x in xs], values, width=0.26, color=color, label=label)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], fontsize=8, padding=2)
    ax.set_xticks(list(xs), names)
    ax.set_yscale("log")
    ax.legend(frameon=False, loc="upper left")
    return fig
