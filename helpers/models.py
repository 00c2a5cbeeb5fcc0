"""The course's model choices, in one place.

Every notebook takes its model ids from here, so retiring a model is a one-line change followed by
`make record`. Facts are from the model overview pages (see ../shared/api-facts.md, checked 2026-11-24).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["OPUS", "SONNET", "HAIKU", "ModelInfo", "MODELS", "model_info", "canonical_model_id"]

OPUS = "claude-opus-4-6"
SONNET = "claude-sonnet-4-6"
HAIKU = "claude-haiku-4-5"


@dataclass(frozen=True)
class ModelInfo:
    """What the course relies on about one model."""

    id: str
    name: str
    context_window: int
    max_output: int
    thinking: str  # "adaptive" or "manual"
    min_cacheable_tokens: int


MODELS: dict[str, ModelInfo] = {
    OPUS: ModelInfo(OPUS, "Claude Opus 4.6", 1_000_000, 128_000, "adaptive", 4096),
    SONNET: ModelInfo(SONNET, "Claude Sonnet 4.6", 1_000_000, 64_000, "adaptive", 2048),
    HAIKU: ModelInfo(HAIKU, "Claude Haiku 4.5", 200_000, 64_000, "manual", 4096),
}

_DATED = re.compile(r"^(?P<base>.+)-\d{8}$")


def canonical_model_id(model: str) -> str:
    """Map a dated id such as "claude-haiku-4-5-20251001" (what the API echoes back) to its alias."""
    m = _DATED.match(model)
    return m.group("base") if m else model


def model_info(model: str) -> ModelInfo:
    """Return the course's facts about `model`; a KeyError names the models the course knows."""
    try:
        return MODELS[canonical_model_id(model)]
    except KeyError:
        known = ", ".join(MODELS)
        raise KeyError(f"The course has no facts about model {model!r}; it knows: {known}.") from None
