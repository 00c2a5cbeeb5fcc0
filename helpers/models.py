"""The course's model choices, and the facts it relies on about each model, in one place.

Every notebook takes its model ids from here, so retiring a model is a one-line change followed by
`make authored outputs` (authored recordings) or `make record` (real ones).

OPUS, SONNET and HAIKU are today's recommended models, Claude Opus 5.5, Sonnet 5.5 and Haiku 5.5 (models
overview, https://platform.claude.com/docs/en/about-claude/models/overview: "start with Claude Opus 5.5 for
most workloads"); every cell a learner would copy uses them. PRIMER_OPUS, PRIMER_SONNET and PRIMER_HAIKU are
the primer's models, legacy since 2026 (still served, no longer recommended): a cell names one only where its
lesson is a behaviour that today's models refuse (temperature in notebook 03, a manual thinking budget in 06, a
forced tool choice in 04), and says why. LINEUP holds today's current models, for notebook 09's table.

Facts and their pages (docs corpus, read 2026-12-02; the pages carry release dates, not edit dates, so
"newest" means the version that lists the newest models):

- Lineup, context, max output, thinking: models overview, the version listing Claude Fable 5.2,
  https://platform.claude.com/docs/en/models/overview?model=claude-opus-5-5 ("Latest models" table).
- Opus 4.6: https://platform.claude.com/docs/en/models/opus-4-6/overview.md ("Legacy", released
  2026-02-05; 1M context, 128K output).
- Sonnet 4.6: https://platform.claude.com/docs/zh-CN/models/sonnet-4-6/overview.md (and pt-BR; "Legacy",
  released 2026-02-17; 1M context, **128K** output; its launch-time pages said 64K, now superseded).
- Haiku 4.5: https://platform.claude.com/docs/pt-BR/models/haiku-4-5/overview.md ("Legacy", released
  2025-10-15; 200K context, 64K output, extended (manual) thinking).
- Haiku 5.5: https://platform.claude.com/docs/en/models/haiku-5-5/overview.md (released 2026-10-07); manual
  thinking and sampling parameters are errors on it (migration guide,
  https://platform.claude.com/docs/zh-CN/models/haiku-5-5/migration-guide, checklist items 3 and 5).
- Mythos 5.2: invitation only, like Mythos 5 ("shares Claude Fable 5's specifications", per
  https://platform.claude.com/docs/en/models/fable-5/overview.md); listed by the fast-mode page
  https://platform.claude.com/docs/en/build-with-claude/fast-mode. Its own page is not in the corpus:
  its context and output are assumed equal to Fable 5.2's (uncertain).
- Minimum cacheable prompt: published for the primer's models (4,096 Opus 4.6 and Haiku 4.5; Sonnet 4.6: the
  docs as quoted in anthropics/anthropic-sdk-python#1194 say 1,024, that issue observed 2,048, orq.ai says
  2,048; the course keeps 2,048, the figure caching was seen to need). For the 5.5 models no page in the
  corpus gives one (the newest third-party list, dev.to "Claude's prompt cache fails silently below 1,024
  tokens", 2026, stops at Opus 5: 512, Sonnet 5: 1,024). The course ASSUMES the largest published minimum,
  4,096, for them (MIN_CACHEABLE_ASSUMED): a prefix the course calls cacheable is then cacheable on any of
  them, and notebook 08 says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "sdk_warnings",
    "OPUS",
    "SONNET",
    "HAIKU",
    "PRIMER_OPUS",
    "PRIMER_SONNET",
    "PRIMER_HAIKU",
    "MIN_CACHEABLE_ASSUMED",
    "ModelInfo",
    "MODELS",
    "LINEUP",
    "KNOWN",
    "OVERVIEW_URL",
    "model_info",
    "current_lineup",
    "canonical_model_id",
    "sdk_deprecations",
]

OPUS = "claude-opus-5-5"
SONNET = "claude-sonnet-5-5"
HAIKU = "claude-haiku-5-5"

# The primer's models (legacy): only for lessons about behaviour today's models refuse, named as such.
PRIMER_OPUS = "claude-opus-4-6"
PRIMER_SONNET = "claude-sonnet-4-6"
PRIMER_HAIKU = "claude-haiku-4-5"

# Assumed, not published: the minimum cacheable prompt of the 5.5 models (see the module docstring).
MIN_CACHEABLE_ASSUMED = 4096

OVERVIEW_URL = "https://platform.claude.com/docs/en/about-claude/models/overview"
_PAGE = "https://platform.claude.com/docs/en/models/{}/overview"


@dataclass(frozen=True)
class ModelInfo:
    """What the course relies on about one model."""

    id: str
    name: str
    context_window: int
    max_output: int
    thinking: str  # "adaptive", "adaptive (always on)" or "manual" (extended thinking with budget_tokens)
    min_cacheable_tokens: int | None = None  # None: not checked for this model
    status: str = "current"  # "current" or "legacy" (still served, no longer recommended)
    access: str = "everyone"  # or "invitation only"
    # Whether `thinking: {"type": "enabled", "budget_tokens": N}` is accepted: on the 4.6 models deprecated but
    # served; Claude 4.7 and later return a 400 (the Haiku 5.5 migration guide: "change thinking to adaptive").
    manual_thinking: bool = False
    # Whether temperature, top_p and top_k at non-default values are accepted on API version 2023-06-01
    # (notebook 03's escape hatch); Claude Opus 4.7 and later refuse them on any version.
    sampling_params: bool = False

    @property
    def page(self) -> str:
        """The model's page in the docs."""
        return _PAGE.format(self.id.removeprefix("claude-"))


# The primer's models, legacy since the 5.5 models (the worked examples call them today).
_MANUAL = {"manual_thinking": True, "sampling_params": True}  # all three predate Claude 4.7
_LEGACY = (
    ModelInfo("claude-opus-4-6", "Claude Opus 4.6", 1_000_000, 128_000, "adaptive", 4096, "legacy", **_MANUAL),
    ModelInfo("claude-sonnet-4-6", "Claude Sonnet 4.6", 1_000_000, 128_000, "adaptive", 2048, "legacy", **_MANUAL),
    ModelInfo("claude-haiku-4-5", "Claude Haiku 4.5", 200_000, 64_000, "manual", 4096, "legacy", **_MANUAL),
)

# Today's current lineup (models overview, read 2026-12-02), most capable first.
LINEUP: dict[str, ModelInfo] = {
    info.id: info
    for info in (
        ModelInfo("claude-fable-5-2", "Claude Fable 5.2", 1_000_000, 128_000, "adaptive (always on)"),
        ModelInfo(
            "claude-mythos-5-2",
            "Claude Mythos 5.2",
            1_000_000,
            128_000,
            "adaptive (always on)",
            access="invitation only",
        ),
        ModelInfo(
            "claude-opus-5-5", "Claude Opus 5.5", 1_000_000, 128_000, "adaptive (always on)", MIN_CACHEABLE_ASSUMED
        ),
        ModelInfo("claude-sonnet-5-5", "Claude Sonnet 5.5", 1_000_000, 128_000, "adaptive", MIN_CACHEABLE_ASSUMED),
        ModelInfo("claude-haiku-5-5", "Claude Haiku 5.5", 1_000_000, 128_000, "adaptive", MIN_CACHEABLE_ASSUMED),
    )
}

KNOWN: dict[str, ModelInfo] = {**{m.id: m for m in _LEGACY}, **LINEUP}  # every model the course names

# The three models the course's cells call by default: changing OPUS, SONNET or HAIKU above is the whole
# switch (then `make authored outputs`); their facts come from KNOWN.
MODELS: dict[str, ModelInfo] = {m: KNOWN[m] for m in (OPUS, SONNET, HAIKU)}

_DATED = re.compile(r"^(?P<base>.+)-\d{8}$")


def canonical_model_id(model: str) -> str:
    """Map a dated id such as "claude-haiku-4-5-20251001" (what the API echoes back) to its alias."""
    m = _DATED.match(model)
    return m.group("base") if m else model


def model_info(model: str) -> ModelInfo:
    """Return the course's facts about `model`; a KeyError names the models the course knows."""
    try:
        return KNOWN[canonical_model_id(model)]
    except KeyError:
        known = ", ".join(KNOWN)
        raise KeyError(f"The course has no facts about model {model!r}; it knows: {known}.") from None


def current_lineup(*, everyone: bool = False) -> list[ModelInfo]:
    """Today's current models, most capable first; `everyone=True` leaves out invitation-only ones."""
    return [m for m in LINEUP.values() if not everyone or m.access == "everyone"]


def sdk_warnings(model: str, **params: object) -> list[str]:
    """What the installed SDK warns about `messages.create(model=..., **params)` before it sends anything: its
    public behaviour (DeprecationWarning for a retiring model, UserWarning for a deprecated thinking form), asked
    on a client whose transport answers locally, so nothing leaves this machine."""
    import warnings

    import anthropic
    import httpx2

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"id": "msg_local", "type": "message", "role": "assistant", "content": [],
                                          "model": model, "stop_reason": "end_turn", "stop_sequence": None,
                                          "usage": {"input_tokens": 0, "output_tokens": 0}})

    local = anthropic.Anthropic(api_key="unused", base_url="http://sdk.local", max_retries=0,
                                http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))
    request = {"max_tokens": 2048, "messages": [{"role": "user", "content": "Hi"}], **params}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        local.messages.create(model=model, **request)  # type: ignore[arg-type, call-overload]
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def sdk_deprecations(
    models: Iterable[str] | None = None, deprecated: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The course models that the installed SDK warns are being retired, with the end-of-life date it gives.

    The SDK publishes no table of them as an API; it warns (DeprecationWarning) when a request names one, so
    each model is asked through `sdk_warnings`. `deprecated` replaces the SDK with a table {id: date} (tests);
    `models` defaults to every model the course names. Both dated ids and aliases are checked.
    """
    names = list(KNOWN) if models is None else list(models)
    found = {}
    for name in names:
        if deprecated is not None:
            for key, eol in deprecated.items():
                if key == name or canonical_model_id(key) == canonical_model_id(name):
                    found[name] = eol
            continue
        for said in sdk_warnings(name):
            date = re.search(r"DeprecationWarning: .*? end-of-life on (.+?)\.(?:\s|$)", said, re.S)
            if date:
                found[name] = date.group(1)
    return found
