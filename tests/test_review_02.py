"""Review findings for 02_system_prompts (round of 2026-12-08)."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import pytest

from helpers.conversations import conversation_problems
from helpers.models import HAIKU, KNOWN, OPUS

RECORDING = Path(__file__).resolve().parents[1] / "notebooks" / "recordings" / "02_system_prompts.json"


def _retrieved(recording: dict) -> dict[str, dict]:
    """The Models API bodies the recording answers GET /v1/models/{id} with, by the id asked for."""
    found = {}
    for ex in recording["exchanges"]:
        req = ex["request"]
        if req.get("method") == "GET" and req["path"].startswith("/v1/models/"):
            found[req["path"].removeprefix("/v1/models/")] = ex["response"]["body"]
    return found


def _disagreements(asked: str, body: dict) -> list[str]:
    """How a models.retrieve body (parsed by the SDK's public ModelInfo type) differs from helpers.models."""
    info = anthropic.types.ModelInfo.model_validate(body)
    want = KNOWN[asked]
    got = (info.id, info.display_name, info.max_input_tokens, info.max_tokens)
    expected = (want.id, want.name, want.context_window, want.max_output)
    names = ("id", "name", "window", "max out")
    return [f"{n}: {g!r} != {e!r}" for n, g, e in zip(names, got, expected, strict=True) if g != e]


# 02-1: the recorded answers named Opus 4.6 / Haiku 4.5 for the ids of the 5.5 models.
def test_02_recorded_models_retrieve_agrees_with_helpers_models():
    bodies = _retrieved(json.loads(RECORDING.read_text(encoding="utf-8")))
    assert set(bodies) == {OPUS, HAIKU}
    for asked, body in bodies.items():
        assert _disagreements(asked, body) == [], asked


def test_02_a_stale_models_body_is_caught():
    body = {
        "type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5",
        "created_at": "2025-10-15T00:00:00Z", "lifecycle": "active", "deprecated_at": None, "retires_at": None,
        "line": "haiku", "max_input_tokens": 200_000, "max_tokens": 64_000,
    }  # fmt: skip
    assert len(_disagreements(HAIKU, body)) == 4


# 02-3: a system message is refused in first place; the check's message says where the prompt goes instead,
# and no longer claims the API has no system role at all (newer models take one mid-conversation).
@pytest.mark.parametrize("index", [0, 1])
def test_02_system_role_message_points_to_top_level_system(index):
    msgs = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    msgs.insert(index, {"role": "system", "content": "Be brief."})
    problems = conversation_problems(msgs)
    assert any("top-level system parameter" in p and "mid-conversation" in p for p in problems), problems
    assert not any("no system role" in p for p in problems)
