"""Multipart uploads (the Files API) match a recording whatever boundary and part order the client chose."""

from __future__ import annotations

import hashlib

import anthropic
import pytest

from helpers.gateway.multipart import MAX_PARTS, form_body, is_multipart, request_body

PDF = b"%PDF-1.4\n% a tiny stand-in\n%%EOF\n"
CANONICAL = {
    "multipart": {
        "file": {
            "filename": "invoice.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    }
}
META = {
    "id": "file_011CTestTestTestTestTest",
    "type": "file",
    "filename": "invoice.pdf",
    "mime_type": "application/pdf",
    "size_bytes": len(PDF),
    "created_at": "2026-11-24T09:00:00Z",
    "downloadable": False,
}


def body(boundary: str, parts: list[tuple[str, bytes]]) -> bytes:
    out = b""
    for disposition, data in parts:
        out += f"--{boundary}\r\n{disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


FILE_PART = (
    'Content-Disposition: form-data; name="file"; filename="invoice.pdf"\r\nContent-Type: application/pdf',
    PDF,
)
TTL_PART = ('Content-Disposition: form-data; name="expires_in_seconds"', b"3600")


def test_the_same_upload_is_the_same_value_whatever_the_boundary_and_part_order():
    a, problem = form_body(body("abc123", [FILE_PART, TTL_PART]), "multipart/form-data; boundary=abc123")
    b, _ = form_body(body("x-9", [TTL_PART, FILE_PART]), 'multipart/form-data; boundary="x-9"')
    assert problem is None
    assert a == b == {"multipart": {**CANONICAL["multipart"], "expires_in_seconds": "3600"}}


def test_another_file_is_another_value():
    other = (FILE_PART[0], PDF + b" ")
    a, _ = form_body(body("b", [FILE_PART]), "multipart/form-data; boundary=b")
    c, _ = form_body(body("b", [other]), "multipart/form-data; boundary=b")
    assert a != c and a["multipart"]["file"]["sha256"] != c["multipart"]["file"]["sha256"]


@pytest.mark.parametrize(
    ("raw", "content_type", "words"),
    [
        (body("b", [FILE_PART]), "multipart/form-data", "no boundary"),
        (body("b", [FILE_PART]), "multipart/form-data; boundary=other", "does not start"),
        (body("b", [FILE_PART])[:-8], "multipart/form-data; boundary=b", "closing boundary"),
        (body("b", [("Content-Disposition: form-data", b"x")]), "multipart/form-data; boundary=b", "no form-data name"),
        (body("b", [("no colon here", b"x")]), "multipart/form-data; boundary=b", "malformed header"),
        (body("b", [FILE_PART, FILE_PART]), "multipart/form-data; boundary=b", "twice"),
        (
            body(
                "b", [TTL_PART] * 1 + [(f'Content-Disposition: form-data; name="f{i}"', b"1") for i in range(MAX_PARTS)]
            ),
            "multipart/form-data; boundary=b",
            "more than",
        ),
        (
            body("b", [('Content-Disposition: form-data; name="t"', b"\xff\xfe")]),
            "multipart/form-data; boundary=b",
            "not UTF-8",
        ),
        (b"", "multipart/form-data; boundary=b", "does not start"),
    ],
)
def test_a_malformed_body_is_refused_in_one_line(raw, content_type, words):
    value, problem = form_body(raw, content_type)
    assert value is None and words in problem and "\n" not in problem


def test_only_multipart_requests_are_read_as_forms():
    assert is_multipart("multipart/form-data; boundary=b") and is_multipart("Multipart/Form-Data;boundary=b")
    assert not is_multipart("application/json") and not is_multipart(None) and not is_multipart("")
    assert request_body(b"{}", {"content-type": "application/json"}) is None
    assert request_body(body("b", [FILE_PART]), {"Content-Type": "multipart/form-data; boundary=b"})[0] == CANONICAL


def exchanges():
    def ex(method, path, reply, req_body=None, status=200):
        request = {"method": method, "path": path}
        if req_body is not None:
            request["body"] = req_body
        return {"request": request, "response": {"status": status, "headers": {}, "body": reply}}

    not_downloadable = {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "not downloadable",
            "details": {"error_code": "file_not_downloadable"},
        },
    }
    return [
        ex("POST", "/v1/files", META, CANONICAL),
        ex("GET", "/v1/files", {"data": [META], "next_page": None}),
        ex("GET", f"/v1/files/{META['id']}", META),
        ex("GET", f"/v1/files/{META['id']}/content", not_downloadable, status=400),
        ex("DELETE", f"/v1/files/{META['id']}", {"id": META["id"], "type": "file_deleted"}),
    ]


def test_the_sdk_uploads_lists_retrieves_and_deletes_through_the_gateway(serve):
    gw = serve(exchanges())
    client = anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0)
    for _ in range(2):  # a second upload has another boundary and still matches
        uploaded = client.files.upload(file=("invoice.pdf", PDF, "application/pdf"))
        assert uploaded.id == META["id"] and uploaded.size_bytes == len(PDF)
    assert [f.id for f in client.files.list()] == [META["id"]]
    assert client.files.retrieve_metadata(META["id"]).filename == "invoice.pdf"
    with pytest.raises(anthropic.BadRequestError) as err:
        client.files.download(META["id"])
    assert err.value.error_code == "file_not_downloadable"
    assert client.files.delete(META["id"]).type == "file_deleted"


def test_a_different_file_misses_with_the_first_difference(serve):
    gw = serve(exchanges())
    client = anthropic.Anthropic(base_url=gw.url, api_key="test-key", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as err:
        client.files.upload(file=("invoice.pdf", PDF + b"changed", "application/pdf"))
    # A 404 until the route table lists /v1/files (the integrator's table); then the miss names the difference.
    assert err.value.status_code == 404 or "multipart.file" in str(err.value)
    changed, _ = form_body(body("b", [(FILE_PART[0], PDF + b"!")]), "multipart/form-data; boundary=b")
    assert "first difference at body.multipart.file." in gw.index.miss_message("POST", "/v1/files", changed)


def test_a_malformed_multipart_body_is_a_400_without_a_socket():
    from conftest import make_recording

    from helpers.gateway import Gateway

    gw = Gateway([make_recording(exchanges())], speed=0, serve=False)
    ans = gw.answer("127.0.0.1", "POST", "/v1/files", {"content-type": "multipart/form-data"}, b"--x\r\n")
    assert ans.status == 400 and b"no boundary" in ans.body


def test_the_browser_editions_transport_replays_notebook_11s_upload(monkeypatch):
    """helpers.inbrowser passes the request's headers and bytes to Gateway.answer: the upload matches there too."""
    from helpers import inbrowser
    from helpers.config import recordings_dir
    from helpers.documents import INVOICE
    from helpers.gateway.recordings import load_recording

    gw = inbrowser.make_gateway(load_recording(recordings_dir() / "11_images_documents.json"), 0.0)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "replay-mode-placeholder-not-a-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", inbrowser.BASE_URL)
    inbrowser.install(gw)
    try:
        client = anthropic.Anthropic(max_retries=0)
        uploaded = client.files.upload(file=("invoice.pdf", INVOICE.read_bytes(), "application/pdf"))
        assert uploaded.size_bytes == INVOICE.stat().st_size and uploaded.id.startswith("file_")
    finally:
        inbrowser.uninstall()
