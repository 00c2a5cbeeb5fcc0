"""Authored recording for 11_images_documents: images, PDFs, the Files API, citations and search results.

Token counts follow tools/authoring.py: text by ESTIMATE_NOTE, images and PDF pages by MEDIA_NOTE (the vision
docs' width x height / 750), never characters / 4 of base64. A count_tokens answer carries the same estimate as
the message sent with the same prompt. Files API bodies follow SDK 2.17's FileMetadata, DeletedFile and
page types; the upload request is held in the boundary-free form of helpers/gateway/multipart.py. The 400s for
a file download and for citations in a user turn carry course-authored messages (no public capture shows
them); their error_code and type are the SDK's.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from authoring import MEDIA_NOTE, estimate_input_tokens, json_exchange, make_id, message_exchange, recording

from helpers.documents import CHART, INVOICE, PHOTO, pdf_pages
from helpers.models import HAIKU, SONNET

CHART_B64 = base64.standard_b64encode(CHART.read_bytes()).decode()
PHOTO_B64 = base64.standard_b64encode(PHOTO.read_bytes()).decode()
INVOICE_BYTES = INVOICE.read_bytes()
INVOICE_B64 = base64.standard_b64encode(INVOICE_BYTES).decode()
PAGES = pdf_pages(INVOICE_BYTES)
FILE_ID = make_id("file_", "invoice.pdf upload")
MEDIA = {FILE_ID: INVOICE_BYTES}

CHART_BLOCK = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": CHART_B64}}
PHOTO_BLOCK = {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": PHOTO_B64}}
PDF_BLOCK = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": INVOICE_B64}}
Q_CHART = "Which tea sold the most tins in September, and which grew fastest over the quarter?"
Q_TWO = "What does the second image show, and is anything wrong with it?"
Q_PDF = "What is the total due on this invoice, and by when must it be paid?"
Q_FILE = "List the invoice's line items with their quantities, one per line."
DELIVERY_NOTE = (
    "Delivery note DN-5521\n"
    "Order: invoice NT-2026-0417\n"
    "Delivered: 5 November 2026, 10:42, signed by R. Patel\n"
    "Parcels: 2 boxes, 28 items\n"
    "Driver's remark: box 1 corner crushed on arrival."
)
Q_CITE = "One Assam tin arrived dented. Can the cafe get a replacement, and how many Assam tins did they order?"
Q_SEARCH = "A customer asks: if I return an unopened tin, do I get the delivery charge back too?"
Q_FOLLOW = "Does this still hold if the tin has been opened?"
Q_TASK = (
    "Elm Street Cafe sent this photo of a tin from invoice NT-2026-0417 as it arrived. Which product is it most "
    "likely, is the damage covered by the terms, and what should we do?"
)


def user(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(blocks)}]


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


CHART_REQ = {"model": SONNET, "max_tokens": 300, "messages": user(CHART_BLOCK, text(Q_CHART))}
COUNT_TEXT = {"model": SONNET, "messages": user(text(Q_CHART))}
COUNT_CHART = {"model": SONNET, "messages": user(CHART_BLOCK, text(Q_CHART))}
COUNT_PHOTO = {"model": SONNET, "messages": user(PHOTO_BLOCK, text(Q_CHART))}
TWO_REQ = {
    "model": HAIKU,
    "max_tokens": 300,
    "messages": user(text("Image 1:"), CHART_BLOCK, text("Image 2:"), PHOTO_BLOCK, text(Q_TWO)),
}
COUNT_PDF = {"model": HAIKU, "messages": user(PDF_BLOCK, text(Q_PDF))}
PDF_REQ = {"model": HAIKU, "max_tokens": 300, "messages": user(PDF_BLOCK, text(Q_PDF))}
FILE_BLOCK = {"type": "document", "source": {"type": "file", "file_id": FILE_ID}}
FILE_REQ = {"model": HAIKU, "max_tokens": 300, "messages": user(FILE_BLOCK, text(Q_FILE))}
CITED_PDF = {**PDF_BLOCK, "title": "Invoice NT-2026-0417", "citations": {"enabled": True}}
NOTE_BLOCK = {
    "type": "document",
    "source": {"type": "text", "media_type": "text/plain", "data": DELIVERY_NOTE},
    "title": "Delivery note DN-5521",
    "citations": {"enabled": True},
}
CITE_REQ = {"model": HAIKU, "max_tokens": 400, "messages": user(CITED_PDF, NOTE_BLOCK, text(Q_CITE))}
RESULTS = [
    {
        "type": "search_result",
        "source": "https://help.northwind-tea.example/returns",
        "title": "Returns and refunds",
        "content": [
            text("Unopened goods can be returned within 30 days for a refund of the item price."),
            text("Delivery charges are not refunded."),
        ],
        "citations": {"enabled": True},
    },
    {
        "type": "search_result",
        "source": "https://help.northwind-tea.example/brewing-sencha",
        "title": "Brewing Sencha",
        "content": [
            text("Brew Sencha at 70 to 80 degrees Celsius for one to two minutes."),
            text("Water that is too hot makes green tea bitter."),
        ],
        "citations": {"enabled": True},
    },
]
SEARCH_REQ = {"model": HAIKU, "max_tokens": 300, "messages": user(*RESULTS, text(Q_SEARCH))}
TASK_FILE = {**FILE_BLOCK, "title": "Invoice NT-2026-0417", "citations": {"enabled": True}}
TASK_REQ = {"model": HAIKU, "max_tokens": 400, "messages": user(PHOTO_BLOCK, TASK_FILE, text(Q_TASK))}


def page_cite(cited: str, page: int, *, title: str = "Invoice NT-2026-0417", doc: int = 0, file_id=None) -> dict:
    assert cited in PAGES[page - 1], cited
    out = {"type": "page_location", "cited_text": cited, "document_index": doc, "document_title": title}
    if file_id:
        out["file_id"] = file_id
    return {**out, "start_page_number": page, "end_page_number": page + 1}


def char_cite(cited: str) -> dict[str, Any]:
    start = DELIVERY_NOTE.index(cited)
    return {
        "type": "char_location",
        "cited_text": cited,
        "document_index": 1,
        "document_title": "Delivery note DN-5521",
        "start_char_index": start,
        "end_char_index": start + len(cited),
    }


def cited(t: str, *citations: dict[str, Any]) -> dict[str, Any]:
    return {"type": "text", "text": t, "citations": list(citations)}


REPLACE = (
    "2. Goods damaged in transit are replaced free of charge if reported within 14 days\n"
    "of delivery, with a photograph of the damaged item."
)
ASSAM = "Assam breakfast blend, 250 g tin\n12"
CITE_ANSWER = [
    text("Yes. "),
    cited(
        "Goods damaged in transit are replaced free of charge if they are reported within 14 days of delivery, "
        "with a photograph of the damaged item",
        page_cite(REPLACE, 2),
    ),
    text(". "),
    cited("The order was delivered on 5 November 2026", char_cite("Delivered: 5 November 2026, 10:42")),
    text(", so the cafe has until 19 November to report it. "),
    cited("They ordered 12 tins of the Assam breakfast blend", page_cite(ASSAM, 1)),
    text(", so one replacement tin would make the order whole."),
]
FIRST_CITED = CITE_ANSWER[1]
FOLLOW_REQ = {
    "model": HAIKU,
    "max_tokens": 300,
    "messages": user(
        {
            "type": "text",
            "text": FIRST_CITED["text"],
            "citations": [
                # What Pydantic's model_dump() gives for the SDK's CitationPageLocation: every field, file_id None.
                {**c, "file_id": c.get("file_id")}
                for c in FIRST_CITED["citations"]
            ],
        },
        text(Q_FOLLOW),
    ),
}
SEARCH_ANSWER = [
    text("No. "),
    cited(
        "Unopened goods can be returned within 30 days for a refund of the item price",
        {
            "type": "search_result_location",
            "cited_text": RESULTS[0]["content"][0]["text"],
            "search_result_index": 0,
            "source": RESULTS[0]["source"],
            "title": RESULTS[0]["title"],
            "start_block_index": 0,
            "end_block_index": 1,
        },
    ),
    text(", but "),
    cited(
        "delivery charges are not refunded",
        {
            "type": "search_result_location",
            "cited_text": RESULTS[0]["content"][1]["text"],
            "search_result_index": 0,
            "source": RESULTS[0]["source"],
            "title": RESULTS[0]["title"],
            "start_block_index": 1,
            "end_block_index": 2,
        },
    ),
    text(". The customer gets the price of the tin back, not the delivery charge."),
]
TASK_ANSWER = [
    text(
        "The photo shows a green tin with a cream label and a dent near the top on the right: a metal tin, so it "
        "is one of the two tinned teas on the invoice, the Assam breakfast blend (250 g tins) or the Darjeeling "
        "first flush (100 g tins); the photo alone cannot tell which. "
    ),
    cited(
        "Damage in transit is covered: damaged goods are replaced free of charge if reported within 14 days of "
        "delivery, with a photograph",
        page_cite(REPLACE, 2, file_id=FILE_ID),
    ),
    text(
        ". The cafe has sent the photograph, so: ask them which tea the tin holds, send a free replacement of "
        "that tin, and "
    ),
    cited(
        "quote the invoice number",
        page_cite("5. Questions: accounts@northwind-tea.example, quoting the invoice number.", 2, file_id=FILE_ID),
    ),
    text(" NT-2026-0417 in the reply."),
]


def multipart_upload() -> dict[str, Any]:
    """The upload's request body in helpers/gateway/multipart.py's form (what the SDK sends, without boundary)."""
    file = {
        "filename": "invoice.pdf",
        "content_type": "application/pdf",
        "size": len(INVOICE_BYTES),
        "sha256": hashlib.sha256(INVOICE_BYTES).hexdigest(),
    }
    return {"multipart": {"file": file}}


META = {
    "type": "file",
    "id": FILE_ID,
    "size_bytes": len(INVOICE_BYTES),
    "created_at": "2026-11-24T09:00:49.512833Z",
    "filename": "invoice.pdf",
    "mime_type": "application/pdf",
    "downloadable": False,
}


def count(label: str, body: dict[str, Any]) -> dict[str, Any]:
    return json_exchange(label, "/v1/messages/count_tokens", body, 200, {"input_tokens": estimate_input_tokens(body)})


def error(label: str, path: str, body: Any, message: str, *, code: str | None = None, method: str = "POST") -> dict:
    err: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        err["details"] = {"error_code": code}
    envelope = {"type": "error", "error": err, "request_id": make_id("req_", label)}
    return json_exchange(label, path, body, 400, envelope, method=method)


def build() -> dict[str, Any]:
    assert len(PAGES) == 2
    return recording(
        [
            message_exchange(
                "a chart as a base64 image",
                CHART_REQ,
                "Assam sold the most tins in September: 455, against 310 of Sencha and 240 of Darjeeling. Sencha "
                "grew fastest over the quarter, from 150 tins in July to 310 in September, about twice as many; "
                "Assam dipped in August and recovered, and Darjeeling rose in August, then slipped back.",
            ),
            count("count the question alone", COUNT_TEXT),
            count("count the chart and the question", COUNT_CHART),
            count("count the photo and the question", COUNT_PHOTO),
            message_exchange(
                "two images in one turn",
                TWO_REQ,
                "The second image is a photo of a green tea tin with a cream label, standing on a wooden table. "
                "Yes: the upper right of the tin is dented; the metal is creased just below the lid, as if the "
                "tin had been knocked or crushed in transit. The first image, the sales chart, is fine.",
            ),
            count("count the invoice PDF and the question", COUNT_PDF),
            message_exchange(
                "a PDF as a base64 document",
                PDF_REQ,
                "The total due is 296.40 GBP (247.00 plus 49.40 VAT at 20%). Payment is due within 30 days of "
                "the invoice date, 2 November 2026, so by 2 December 2026, by bank transfer.",
            ),
            json_exchange("upload the invoice", "/v1/files", multipart_upload(), 200, META),
            json_exchange("list files", "/v1/files", None, 200, {"data": [META], "next_page": None}, method="GET"),
            json_exchange("file metadata", f"/v1/files/{FILE_ID}", None, 200, META, method="GET"),
            message_exchange(
                "the invoice by file_id",
                FILE_REQ,
                "Assam breakfast blend, 250 g tin: 12\nDarjeeling first flush, 100 g tin: 6\nSencha green tea, "
                "200 g pouch: 10\nDelivery, tracked: 1",
                media=MEDIA,
            ),
            error(
                "download an uploaded file",
                f"/v1/files/{FILE_ID}/content",
                None,
                f"File '{FILE_ID}' is not downloadable: only files created by a tool, such as code execution, can "
                "be downloaded (course-authored message).",
                code="file_not_downloadable",
                method="GET",
            ),
            message_exchange("documents with citations", CITE_REQ, CITE_ANSWER),
            message_exchange("search results with citations", SEARCH_REQ, SEARCH_ANSWER),
            error(
                "citations in a user turn",
                "/v1/messages",
                FOLLOW_REQ,
                "messages.0.content.0: text blocks with citations are not allowed in user messages in API version "
                "2026-10-21 (course-authored message).",
            ),
            message_exchange("the combined task", TASK_REQ, TASK_ANSWER, media=MEDIA),
            json_exchange(
                "delete the file",
                f"/v1/files/{FILE_ID}",
                None,
                200,
                {"id": FILE_ID, "type": "file_deleted"},
                method="DELETE",
            ),
        ],
        models=[SONNET, HAIKU],
        note=MEDIA_NOTE + " The upload is matched by the file's name, type, size and SHA-256, whatever the multipart "
        "boundary. Files API bodies and ids are written for the course in SDK 2.17's shapes.",
    )
