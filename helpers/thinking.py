"""Extended thinking: review a request's thinking settings offline, bound its cost, compare effort levels.

The rules are the API's as of 2026-12-02 (../shared/api-facts.md and the thinking docs): manual thinking,
`{"type": "enabled", "budget_tokens": N}`, needs 1024 <= N < max_tokens. Which thinking types and effort
levels a model accepts comes from `client.models.retrieve(model).capabilities` when `review` is given them
(the course's model table is only the fallback); the SDK's own list says where type "enabled" is deprecated.
Sampling parameters depend on the API version first: 2026-10-21, what SDK 2.x sends, has no temperature, top_p
or top_k field, so any value is a 400 with or without thinking
(https://platform.claude.com/docs/en/api/versioning; notebook 03). Only on a client pinned to 2023-06-01 does
the thinking rule apply: temperature may then only be 1 with thinking on, and top_k not at all. Manual thinking
does not combine with a tool_choice that forces a tool; Opus 5.5 and Sonnet 5.5 refuse forced tools outright.
Matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anthropic

from .models import model_info
from .pricing import Cost, cost

__all__ = [
    "MIN_BUDGET",
    "EFFORTS",
    "DISPLAYS",
    "Review",
    "review",
    "sdk_api_version",
    "PINNED_VERSION",
    "worst_case_cost",
    "thinking_chars",
    "effort_figure",
]

MIN_BUDGET = 1024
# The SDK's levels (anthropic 2.17 types/output_config_param.py; xhigh: types/effort_capability.py and
# https://platform.claude.com/docs/zh-CN/about-claude/models/whats-new-opus-5). Which of them a model takes,
# its capabilities say (review() with capabilities).
EFFORTS = ("low", "medium", "high", "xhigh", "max")
DISPLAYS = ("summarized", "omitted")
_THINKING_TYPES = ("adaptive", "enabled", "disabled", "between_tools")  # SDK 2.17 types/thinking_types.py
_FORCED_TOOL_CHOICES = ("any", "tool")
_SAMPLING = ("temperature", "top_p", "top_k")
# "Forced tool use returns an error" is among the breaking changes of Opus 5.5 and Sonnet 5.5
# (https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5,
# https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview).
# Haiku 5.5's pages in the corpus do not say, so it is not listed.
_REFUSE_FORCED_TOOLS = ("claude-opus-5-5", "claude-sonnet-5-5")
PINNED_VERSION = "2023-06-01"  # the API version that still has sampling fields (notebook 03's escape hatch)


def sdk_api_version() -> str:
    """The anthropic-version header the installed SDK sends by default (public API: a client's default headers)."""
    return str(anthropic.Anthropic(api_key="unused").default_headers.get("anthropic-version", ""))


@dataclass(frozen=True)
class Review:
    """What the API would reject (`errors`, a 400) and what works but deserves a second look (`warnings`)."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        if not self.errors and not self.warnings:
            return "ok: the thinking settings follow the rules"
        lines = [f"error: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sampling(request: Mapping[str, Any], name: str) -> Any:
    # SDK 2.x has no temperature/top_k keywords, so they travel in extra_body: look in both places.
    extra = request.get("extra_body")
    if isinstance(extra, Mapping) and name in extra:
        return extra[name]
    return request.get(name)


def _supported(caps: Any, *path: str) -> bool | None:
    """caps.<path...>.supported from a ModelCapabilities object or its dict; None when absent."""
    node = caps
    for name in path:
        node = _get(node, name)
        if node is None:
            return None
    flag = _get(node, "supported")
    return flag if isinstance(flag, bool) else None


def _sdk_warns_about_enabled(model: str) -> bool:
    """Whether the installed SDK warns about thinking type "enabled" on `model` (its public behaviour, asked
    locally through helpers.models.sdk_warnings)."""
    from .models import sdk_warnings

    try:
        said = sdk_warnings(model, thinking={"type": "enabled", "budget_tokens": 1024})
    except Exception:  # noqa: BLE001 - a model id the SDK's types refuse: nothing it warns about
        return False
    return any(w.startswith("UserWarning") and "thinking.type=enabled" in w for w in said)


def _form_from(capabilities: Any, model: Any) -> tuple[set[str] | None, bool | None, set[str]]:
    """(thinking types accepted, effort supported, effort levels) from the capabilities, else the model table."""
    if capabilities is not None:
        kinds = {k for k in _THINKING_TYPES if _supported(capabilities, "thinking", "types", k)}
        levels = {e for e in EFFORTS if _supported(capabilities, "effort", e)}
        return kinds, bool(_supported(capabilities, "effort")), levels
    try:
        form = model_info(model).thinking if isinstance(model, str) else None
    except KeyError:
        form = None
    if form is None:
        return None, None, set()
    if form == "manual":
        return {"enabled", "disabled"}, False, set()
    info = model_info(model)
    kinds = {"adaptive"} | ({"enabled"} if info.manual_thinking else set())
    kinds |= set() if form == "adaptive (always on)" else {"disabled"}  # always on: thinking cannot be disabled
    return kinds, True, set(EFFORTS)


def review(request: Mapping[str, Any], capabilities: Any = None, *, api_version: str | None = None) -> Review:
    """Check the thinking settings of `messages.create()` keyword arguments against the API's rules.

    `capabilities` is what `client.models.retrieve(model).capabilities` returned for the request's model
    (the object or its dict): which thinking types and effort levels the model accepts. Without it the
    course's model table stands in. `api_version` is the client's anthropic-version: by default the request's
    `extra_headers` one, else what the installed SDK sends.
    """
    if not isinstance(request, Mapping):
        raise TypeError(f"review() takes the request's keyword arguments as a dict, got {type(request).__name__}")
    errors: list[str] = []
    warnings: list[str] = []
    model = request.get("model")
    kinds, effort_ok, levels = _form_from(capabilities, model)
    if kinds is None:
        errors.append(f"model {model!r} is not one the course knows, so its thinking form is unknown")
    max_tokens = request.get("max_tokens")
    if not _is_int(max_tokens) or max_tokens < 1:
        errors.append(f"max_tokens must be a positive int, got {max_tokens!r}")
        max_tokens = None

    config = request.get("thinking")
    kind = config.get("type") if isinstance(config, Mapping) else None
    if config is not None and not isinstance(config, Mapping):
        errors.append(f"thinking must be a dict such as {{'type': 'adaptive'}}, got {config!r}")
    elif kind == "enabled":
        budget = config.get("budget_tokens")
        if not _is_int(budget):
            errors.append(f"thinking.budget_tokens must be an int for type 'enabled', got {budget!r}")
        elif budget < MIN_BUDGET:
            errors.append(f"thinking.budget_tokens is {budget}: the minimum is {MIN_BUDGET}")
        elif max_tokens is not None and budget >= max_tokens:
            errors.append(f"thinking.budget_tokens ({budget}) must be below max_tokens ({max_tokens})")
        if kinds is not None and "enabled" not in kinds:
            errors.append(f"{model} does not accept thinking type 'enabled': use {{'type': 'adaptive'}}")
        elif isinstance(model, str) and _sdk_warns_about_enabled(model):
            warnings.append(
                f"type 'enabled' is deprecated on {model}: the SDK warns; use {{'type': 'adaptive'}} with effort"
            )
    elif kind == "adaptive":
        if "budget_tokens" in config:
            errors.append("adaptive thinking takes no budget_tokens: output_config.effort sets the depth")
        if kinds is not None and "adaptive" not in kinds:
            errors.append(f"{model} has no adaptive thinking: use {{'type': 'enabled', 'budget_tokens': N}}")
    elif kind == "disabled":
        if kinds is not None and "disabled" not in kinds:
            errors.append(f"{model} does not accept thinking type 'disabled': its thinking is always on")
    elif kind == "between_tools":
        # Thinking off, with progress notes between tool calls (SDK types/thinking_config_between_tools_param.py);
        # only capabilities.thinking.types.between_tools says which models take it (types/thinking_types.py).
        if capabilities is None:
            warnings.append(
                f"the course's model table does not say whether {model} takes thinking type 'between_tools': "
                "pass review() the model's capabilities"
            )
        elif kinds is not None and "between_tools" not in kinds:
            errors.append(f"{model} does not accept thinking type 'between_tools' (its capabilities say so)")
    elif config is not None:
        errors.append(f"thinking.type must be one of {_THINKING_TYPES}, got {kind!r}")
    if isinstance(config, Mapping) and config.get("display") not in (None, *DISPLAYS):
        errors.append(f"thinking.display must be one of {DISPLAYS}, got {config.get('display')!r}")

    output_config = request.get("output_config")
    effort = output_config.get("effort") if isinstance(output_config, Mapping) else None
    if effort is not None:
        if effort not in EFFORTS:
            errors.append(f"output_config.effort must be one of {EFFORTS}, got {effort!r}")
        elif effort_ok is False:
            errors.append(f"{model} does not take output_config.effort; its thinking depth is budget_tokens")
        elif kinds is not None and effort not in levels:
            errors.append(f"{model} does not support effort {effort!r}")

    errors += _sampling_problems(request, model, kind, api_version)
    choice = request.get("tool_choice")
    forced = isinstance(choice, Mapping) and choice.get("type") in _FORCED_TOOL_CHOICES
    if forced and model in _REFUSE_FORCED_TOOLS:
        errors.append(f"{model} refuses a forced tool_choice ('any' or 'tool'): use 'auto' or 'none'")
    elif forced and kind == "enabled":
        errors.append("tool_choice 'any' or 'tool' forces a tool call: with manual thinking use 'auto' or 'none'")
    elif forced and kind == "adaptive":
        # Two versions of https://platform.claude.com/docs/build-with-claude/thinking-tool-workflows disagree:
        # one says adaptive thinking supports forced tool use, the other that forcing is an error with thinking on.
        warnings.append("a forced tool_choice with adaptive thinking: the docs disagree on whether it is accepted")
    return Review(errors, warnings)


def _sampling_problems(request: Mapping[str, Any], model: Any, kind: Any, api_version: str | None) -> list[str]:
    sent = {name: _sampling(request, name) for name in _SAMPLING if _sampling(request, name) is not None}
    if not sent:
        return []
    if api_version is None:
        headers = request.get("extra_headers")
        pinned = headers.get("anthropic-version") if isinstance(headers, Mapping) else None
        api_version = pinned or sdk_api_version()
    names = ", ".join(sent)
    if api_version != PINNED_VERSION:
        return [
            f"API version {api_version} has no {names} field: any value (1 included) is a 400, with or without "
            f"thinking; only a client pinned to anthropic-version {PINNED_VERSION} may send it (notebook 03)"
        ]
    try:
        samples = model_info(model).sampling_params if isinstance(model, str) else True
    except KeyError:
        samples = True
    if not samples:
        return [f"{model} refuses {names} at non-default values on every API version"]
    problems = []
    if kind in ("enabled", "adaptive"):
        temperature = sent.get("temperature")
        if temperature is not None and temperature != 1:
            problems.append(f"temperature {temperature!r} with thinking: leave it out (or 1)")
        if "top_k" in sent:
            problems.append("top_k does not combine with thinking: leave it out")
    return problems


def worst_case_cost(model: str, input_tokens: int, max_tokens: int) -> Cost:
    """The most a request can cost: its input plus `max_tokens` of output, thinking included, at list price."""
    for name, value in (("input_tokens", input_tokens), ("max_tokens", max_tokens)):
        if not _is_int(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return cost({"input_tokens": input_tokens, "output_tokens": max_tokens}, model)


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def thinking_chars(message: Any) -> int:
    """Characters of thinking text a response shows (0 when omitted or absent; redacted blocks count 0)."""
    blocks = _get(message, "content") or []
    return sum(len(_get(b, "thinking") or "") for b in blocks if _get(b, "type") == "thinking")


def effort_figure(responses: Mapping[str, Any]) -> Any:
    """Three panels, one bar per label: thinking shown (characters), output tokens, and cost (US cents)."""
    if not isinstance(responses, Mapping) or not responses:
        raise ValueError("effort_figure() needs a non-empty dict of label -> response")
    import matplotlib.pyplot  # noqa: F401 - a module that draws names matplotlib (tools/site/build.py)

    from .plots import COLORS, subplots

    labels = list(responses)
    values = [
        [thinking_chars(m) for m in responses.values()],
        [_get(_get(m, "usage"), "output_tokens") or 0 for m in responses.values()],
        [cost(_get(m, "usage"), _get(m, "model")).total * 100 for m in responses.values()],
    ]
    panels = [
        ("Thinking shown", "characters", "{:,.0f}"),
        ("Output tokens (billed)", "tokens", "{:,.0f}"),
        ("Cost of the call", "US cents", "{:.3f}¢"),
    ]
    fig, axes = subplots(1, 3, figsize=(10.0, 3.2), dpi=100)
    fig.suptitle(f"Adaptive thinking on {_get(next(iter(responses.values())), 'model')}, by effort")
    for ax, (title, unit, fmt), data in zip(axes, panels, values, strict=True):
        bars = ax.bar(labels, data, color=[COLORS["muted"], COLORS["opus"]])  # colours cycle past two
        ax.bar_label(bars, labels=[fmt.format(v) for v in data], padding=2, fontsize=9)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("effort")
        ax.set_ylabel(unit)
        ax.set_ylim(0, max(data) * 1.25 or 1)
        ax.grid(True, axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
