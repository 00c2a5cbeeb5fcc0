"""Self-checks for 11_images_documents: an image's tokens, a PDF document block with citations, cited pages."""

from __future__ import annotations

import base64
import binascii
import numbers
from collections.abc import Callable
from typing import Any

from ..documents import INVOICE
from . import Result, close_to, result, unfilled

__all__ = [
    "EXERCISE_IMAGE",
    "check_image_tokens",
    "check_document_block",
    "EXERCISE_ANSWER",
    "check_cited_pages",
]

# Exercise 1: a screenshot of this size, in pixels (width, height); within the size the API keeps as it is.
EXERCISE_IMAGE = (1100, 700)


def check_image_tokens(tokens: Any) -> Result:
    """Exercise 1: the docs' estimate for an EXERCISE_IMAGE image, width x height / 750 (rounded or not)."""
    title = "Your image tokens"
    if unfilled(tokens):
        return result(title, ["Replace ... with a number of tokens."])
    w, h = EXERCISE_IMAGE
    exact = w * h / 750
    if isinstance(tokens, bool) or not isinstance(tokens, numbers.Real):
        return result(title, [f"Give a number (an int or a float), got {type(tokens).__name__}."])
    if exact - 1 <= tokens <= exact + 1:
        return result(title, [], f"about {exact:,.0f} tokens: width x height / 750, the vision docs' formula.")
    if close_to(tokens, w * h):
        hint = "That is the number of pixels: divide by 750 pixels per token."
    elif tokens > 20 * exact:
        hint = "Images are not counted by their bytes or base64 characters: use width x height / 750."
    elif close_to(tokens, w * h / 28**2, rel=0.01) or close_to(tokens, (-(-w // 28)) * (-(-h // 28)), rel=0.01):
        hint = "The docs' formula for the course's models is width x height / 750, not 28-pixel patches."
    else:
        hint = "Multiply width by height (in pixels), then divide by 750."
    return result(title, [f"{tokens!r} is not it. {hint}"])


def _invoice_b64() -> str:
    return base64.standard_b64encode(INVOICE.read_bytes()).decode("ascii")


def check_document_block(block: Any) -> Result:
    """Exercise 2: a document block that sends data/invoice.pdf as base64, with citations enabled."""
    title = "Your document block"
    if unfilled(block) or (isinstance(block, dict) and block and all(unfilled(v) for v in block.values())):
        return result(title, ["Replace each ... with a value: type, source and citations."])
    if not isinstance(block, dict):
        return result(title, ["Build a dict, the way a content block is written in messages=[...]."])
    problems = []
    if block.get("type") != "document":
        problems.append(f'type should be "document" (PDFs are documents, not images), got {block.get("type")!r}.')
    source = block.get("source")
    if not isinstance(source, dict):
        problems.append('source should be a dict: {"type": "base64", "media_type": ..., "data": ...}.')
    else:
        if source.get("type") != "base64":
            problems.append(
                f'source.type should be "base64" for bytes sent in the request, got {source.get("type")!r}.'
            )
        if source.get("media_type") != "application/pdf":
            problems.append(f'source.media_type should be "application/pdf", got {source.get("media_type")!r}.')
        data = source.get("data")
        if isinstance(data, (bytes, bytearray)):
            problems.append("source.data must be a str: add .decode() after base64.standard_b64encode(...).")
        elif not isinstance(data, str):
            problems.append("source.data should be the PDF's bytes as base64 text (a str).")
        elif data.startswith("data:"):
            problems.append('source.data is the base64 text alone, without a "data:application/pdf;base64," prefix.')
        elif data.strip() != _invoice_b64():
            try:
                decoded = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                decoded = None
            if decoded is None:
                problems.append("source.data is not base64: encode the file with base64.standard_b64encode(...).")
            elif decoded == INVOICE.read_bytes():
                problems.append("source.data uses another base64 alphabet: use base64.standard_b64encode.")
            else:
                problems.append("source.data is base64 of another file: read helpers.documents.INVOICE's bytes.")
        extra = set(source) - {"type", "media_type", "data"}
        if extra:
            problems.append(f"A base64 source has type, media_type and data only; remove {sorted(extra)}.")
    citations = block.get("citations")
    if citations is None:
        problems.append('Enable citations on the block: "citations": {"enabled": True}.')
    elif not isinstance(citations, dict) or citations.get("enabled") is not True:
        problems.append(f'citations should be the dict {{"enabled": True}}, got {citations!r}.')
    for key in ("title", "context"):
        if key in block and block[key] is not None and not isinstance(block[key], str):
            problems.append(f"{key} is optional text: a str, got {type(block[key]).__name__}.")
    extra = set(block) - {"type", "source", "citations", "title", "context", "cache_control"}
    if extra:
        problems.append(f"A document block has no {sorted(extra)}: remove them.")
    return result(title, problems, "Put it in a user message's content list, before your question.")


def _answer(*blocks: dict[str, Any]) -> Any:
    from anthropic.types import Message

    return Message.model_validate(
        {
            "id": "msg_011CExerciseExerciseExerc",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": list(blocks),
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 3900, "output_tokens": 60},
        }
    )


def _page(text: str, start: int, end: int) -> dict[str, Any]:
    return {
        "type": "page_location",
        "cited_text": text,
        "document_index": 0,
        "document_title": "Invoice NT-2026-0417",
        "start_page_number": start,
        "end_page_number": end,
    }


# Exercise 3: an answer citing the invoice (page 2; then pages 1 to 2) and a text document (characters).
EXERCISE_ANSWER = _answer(
    {"type": "text", "text": "Yes. ", "citations": None},
    {
        "type": "text",
        "text": "Damaged goods are replaced if reported within 14 days",
        "citations": [
            _page("2. Goods damaged in transit are replaced free of charge if reported within 14 days", 2, 3)
        ],
    },
    {
        "type": "text",
        "text": ", and the invoice's total is 296.40 GBP, with terms on page 2",
        "citations": [
            _page("Total due (GBP) 296.40 ... Terms and returns: page 2.", 1, 3),
            {
                "type": "char_location",
                "cited_text": "Order 4417 arrived on 5 November.",
                "document_index": 1,
                "document_title": "Delivery note",
                "start_char_index": 0,
                "end_char_index": 33,
            },
        ],
    },
    {"type": "text", "text": ".", "citations": None},
)
# Further answers the check runs your function on: (message, the pages it cites).
_CASES = [
    (EXERCISE_ANSWER, {1, 2}),
    (_answer({"type": "text", "text": "No document was cited.", "citations": None}), set()),
    (_answer({"type": "text", "text": "Pages three and four.", "citations": [_page("...", 3, 5)]}), {3, 4}),
]


def check_cited_pages(fn: Any) -> Result:
    """Exercise 3: `fn(message)` returns the set of PDF page numbers the answer cites (page_location only)."""
    title = "Your cited_pages"
    if unfilled(fn):
        return result(title, ["Replace ... with your function (def cited_pages(message): ...)."])
    if not isinstance(fn, Callable):  # type: ignore[arg-type]
        return result(title, ["Pass the function itself: check_cited_pages(cited_pages), without calling it."])
    for message, want in _CASES:
        try:
            got = fn(message)
        except Exception as e:  # noqa: BLE001 - a learner's function may fail any way; say how
            kinds = sorted({c.type for b in message.content if b.type == "text" for c in (b.citations or [])})
            return result(
                title,
                [
                    f"It raised {type(e).__name__}: {e} (on an answer whose citations are {kinds or 'None'}; "
                    "text blocks without citations have citations=None)."
                ],
            )
        if isinstance(got, (set, frozenset, list, tuple)) and all(
            isinstance(p, int) and not isinstance(p, bool) for p in got
        ):
            pages = set(got)
        else:
            return result(title, [f"Return a set of page numbers (ints), got {got!r}."])
        if pages == want:
            continue
        hint = "Collect start_page_number up to, not including, end_page_number of each page_location citation."
        if want and {p - 1 for p in want} == pages:
            hint = "Pages are numbered from 1, as printed: use the numbers as they are."
        elif 0 in pages or len(pages - want) > 5:
            hint = "Only page_location citations name pages; skip char_location and the others."
        elif want and pages > want and pages - want <= {max(want) + 1}:
            hint = "end_page_number is exclusive: a citation of page 2 alone says start 2, end 3."
        return result(
            title, [f"For an answer citing pages {sorted(want) or 'none'} it returned {sorted(pages)}. {hint}"]
        )
    return result(title, [], "Pages are 1-based and end_page_number is exclusive, like Python's range().")
