"""Every response in every shipped recording parses with the SDK's own types."""

from __future__ import annotations

import re
from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import DeletedFile, FileMetadata, Message, MessageTokensCount, ModelInfo, RawMessageStreamEvent
from anthropic.types.messages import MessageBatch, MessageBatchIndividualResponse
from anthropic.types.shared import ErrorResponse
from pydantic import TypeAdapter

from helpers.config import RECORDINGS_DIR
from helpers.gateway.recordings import Exchange, load_recording

RECORDINGS = sorted(RECORDINGS_DIR.glob("*.json"))
EVENT = TypeAdapter(RawMessageStreamEvent)


def exchanges() -> list[Any]:
    out = []
    for path in RECORDINGS:
        for ex in load_recording(path).exchanges:
            out.append(pytest.param(ex, id=f"{path.stem}[{ex.index}]"))
    return out


def accumulate(events: list[dict[str, Any]]) -> Message | None:
    """Run the events through the SDK's own stream accumulator; stop at an error event."""
    snapshot = None
    bufs: dict[int, bytes] = {}
    for ev in events:
        if ev["event"] == "ping":
            continue
        if ev["event"] == "error":
            check_error(ev["data"])
            return None
        assert ev["data"]["type"] == ev["event"], "the SSE event name and the data's type must agree"
        snapshot = accumulate_event(event=EVENT.validate_python(ev["data"]), current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None and events[-1]["event"] == "message_stop", "a complete stream ends with message_stop"
    return Message.model_validate(snapshot.to_dict())


def check_error(body: Any) -> None:
    """The API's error envelope. SDK 2.12's ErrorObject union lacks some documented types (the 413's
    request_too_large), so those are checked by shape; the rest by the SDK's own type."""
    assert body["type"] == "error" and set(body["error"]) >= {"type", "message"}
    assert isinstance(body["error"]["message"], str) and isinstance(body.get("request_id", ""), str)
    if body["error"]["type"] != "request_too_large":
        ErrorResponse.model_validate(body)


def check_json(ex: Exchange) -> None:
    path, body = ex.request.path.split("?")[0], ex.response.body
    if ex.response.status >= 400:
        check_error(body)
    elif path == "/v1/messages":
        Message.model_validate(body)
    elif path == "/v1/messages/count_tokens":
        MessageTokensCount.model_validate(body)
    elif re.fullmatch(r"/v1/messages/batches(/[^/]+(/cancel)?)?", path) and "data" not in body:
        MessageBatch.model_validate(body)
    elif path == "/v1/messages/batches":
        [MessageBatch.model_validate(b) for b in body["data"]]
    elif path == "/v1/models":
        assert isinstance(body["has_more"], bool)
        [ModelInfo.model_validate(m) for m in body["data"]]
    elif re.fullmatch(r"/v1/models/[^/]+", path):
        ModelInfo.model_validate(body)
    elif path == "/v1/files" and ex.request.method == "GET":  # a page of SDK 2.17's SyncPageCursor
        assert set(body) == {"data", "next_page"}
        [FileMetadata.model_validate(f) for f in body["data"]]
    elif re.fullmatch(r"/v1/files(/[^/]+)?", path) and ex.request.method in ("POST", "GET"):
        FileMetadata.model_validate(body)
    elif re.fullmatch(r"/v1/files/[^/]+", path) and ex.request.method == "DELETE":
        DeletedFile.model_validate(body)
    else:
        pytest.fail(f"no SDK type known for {ex.request.method} {path}: extend this test")


def test_there_are_recordings():
    assert RECORDINGS, "notebooks/recordings holds no recordings"


@pytest.mark.parametrize("ex", exchanges())
def test_response_parses_with_sdk_types(ex: Exchange) -> None:
    kind = ex.response.kind
    if kind == "sse":
        message = accumulate(ex.response.events or [])
        if message is not None and ex.request.body:
            assert ex.request.body.get("stream") is True, "a streamed answer needs a request with stream: true"
    elif kind == "jsonl":
        for line in ex.response.lines or []:
            MessageBatchIndividualResponse.model_validate(line)
    else:
        check_json(ex)


@pytest.mark.parametrize("ex", exchanges())
def test_message_requests_carry_their_required_fields(ex: Exchange) -> None:
    if ex.request.path == "/v1/messages" and ex.request.method == "POST":
        body = ex.request.body
        assert isinstance(body, dict) and {"model", "max_tokens", "messages"} <= set(body)
