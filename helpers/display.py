"""Cards for responses in a notebook: text, tool calls, thinking, stop_reason, usage and cost.

`setup` registers these for the SDK's Message type, so evaluating a response shows a card. Both the HTML
and the plain-text forms are deterministic, because nbval compares them.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .pricing import UnknownPriceError, cost, format_usd

__all__ = [
    "usage_line",
    "message_text",
    "message_html",
    "markdown_html",
    "register_formatters",
    "banner_bundle",
    "Card",
    "card",
    "MUTED",
    "BORDER",
    "PANEL",
]

_PREVIEW = 300
# JupyterLab's theme variables, so cards read in the light and the dark theme; the fallbacks (GitHub's
# light palette) are what static views without those variables use: GitHub, nbviewer, nbconvert HTML.
MUTED = "var(--jp-content-font-color2, #57606a)"
BORDER = "var(--jp-border-color2, #d0d7de)"
RULE = "var(--jp-border-color3, #eaeef2)"
PANEL = "var(--jp-layout-color2, #f6f8fa)"
_md = None


def markdown_html(text: str) -> str:
    """Claude's Markdown rendered (raw HTML in it escaped, unsafe links neutralized, an image shown as its
    link, never loaded: a remote image would tell its host who read the answer), raw text a click away."""
    global _md
    if _md is None:
        import mistune  # maintained, and installed with Jupyter; loaded only when a card is drawn

        class _NoImages(mistune.HTMLRenderer):
            def image(self, text: str, url: str, title: str | None = None) -> str:
                return f'<a href="{self.safe_url(url)}">image: {text or html.escape(url)}</a>'

        _md = mistune.create_markdown(renderer=_NoImages(escape=True), plugins=["strikethrough", "table"])
    rendered = str(_md(text))
    return (
        f'<div style="margin:6px 0">{rendered}</div>'
        f'<details style="margin:2px 0;color:{MUTED};font-size:12px"><summary>raw text</summary>'
        f'<pre style="white-space:pre-wrap;margin:4px 0">{html.escape(text)}</pre></details>'
    )


# The banner's left edge: blue where answers are recordings, orange where calls cost money.
_MODE_EDGE = {"replay": "var(--jp-info-color1, #0969da)"}
_PAID_EDGE = "var(--jp-warn-color1, #bc4c00)"


def banner_bundle(banner: str, models: dict[str, str]) -> dict[str, str]:
    """setup()'s banner as a display bundle: a boxed note for Jupyter and GitHub, the same words as text.

    `models` ({"OPUS": "claude-opus-4-6", ...}) adds a line naming the course's model choices, so no cell has
    to spell a model id out."""
    mode, _, rest = banner.partition(": ")  # ": ", not ":": a shared gateway's URL holds "http://"
    choice = " · ".join(f"{name} = {model}" for name, model in models.items())
    edge = _MODE_EDGE.get(mode.split()[0] if mode else "", _PAID_EDGE)
    box = (
        f'<div style="border-left:4px solid {edge};background:{PANEL};padding:6px 12px;margin:2px 0;'
        f'font-family:system-ui,sans-serif;font-size:13px;line-height:1.4;max-width:900px">'
        f"<b>{html.escape(mode)}</b>: {html.escape(rest)}"
        # The theme's own text colour: the muted grey is under 4.5:1 on the panel in the light theme.
        f'<div style="font-size:12px;margin-top:2px">models: {html.escape(choice)} '
        f"(helpers/models.py)</div></div>"
    )
    return {"text/plain": f"{banner}\nmodels: {choice} (helpers/models.py)", "text/html": box}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def usage_line(usage: Any, model: str) -> str:
    """'12 in + 30 out tokens · $0.000810', with cache parts when present and 'batch' when batched."""
    parts = [f"{_get(usage, 'input_tokens', 0) or 0} in"]
    written = _get(usage, "cache_creation_input_tokens") or 0
    read = _get(usage, "cache_read_input_tokens") or 0
    if written:
        parts.append(f"{written} cache write")
    if read:
        parts.append(f"{read} cache read")
    parts.append(f"{_get(usage, 'output_tokens', 0) or 0} out")
    try:
        c = cost(usage, model)
        price = format_usd(c.total) + (" at the batch rate" if c.batch else "")
    except UnknownPriceError:
        price = f"no price known for {model} (see helpers/pricing.py)"
    return " + ".join(parts) + f" tokens · {price}"


def _one_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _block_text(block: Any) -> str:
    kind = _get(block, "type")
    if kind == "text":
        return "text: " + str(_get(block, "text", "")).replace("\n", "\n      ")
    if kind == "tool_use":
        return f"tool_use: {_get(block, 'name')}({_one_line(_get(block, 'input'))})  id={_get(block, 'id')}"
    if kind == "thinking":
        thought = str(_get(block, "thinking", ""))
        preview = thought if len(thought) <= _PREVIEW else thought[:_PREVIEW] + "..."
        return f"thinking ({len(thought)} chars): " + preview.replace("\n", "\n      ")
    if kind == "redacted_thinking":
        return f"redacted_thinking: {len(str(_get(block, 'data', '')))} chars of encrypted data"
    return f"{kind}: {_one_line(block.to_dict() if hasattr(block, 'to_dict') else block)}"


def message_text(message: Any) -> str:
    """A compact plain-text card of a Message."""
    model = _get(message, "model", "?")
    head = f"Message · {model} · stop_reason: {_get(message, 'stop_reason')}"
    if _get(message, "stop_sequence"):
        head += f" ({_get(message, 'stop_sequence')!r})"
    lines = [head]
    lines += ["  " + _block_text(b) for b in _get(message, "content", []) or []]
    lines.append("  usage: " + usage_line(_get(message, "usage"), model))
    return "\n".join(lines)


_CSS = (
    f"border:1px solid {BORDER};border-radius:6px;padding:8px 12px;margin:4px 0;"
    "font-family:system-ui,sans-serif;font-size:13px;max-width:900px"
)


def _block_html(block: Any) -> str:
    kind = _get(block, "type")
    esc = html.escape
    if kind == "text":
        return markdown_html(str(_get(block, "text", "")))
    if kind == "tool_use":
        args = esc(json.dumps(_get(block, "input"), ensure_ascii=False, indent=2))
        return (
            f'<div style="background:{PANEL};border-left:3px solid #8250df;padding:4px 8px;margin:6px 0">'
            f"<b>tool_use</b> <code>{esc(str(_get(block, 'name')))}</code> "
            # Body colour, not MUTED: grey on the panel is 4.4:1 in JupyterLab Light, under WCAG's 4.5.
            f'<span style="font-size:12px">id {esc(str(_get(block, "id")))}</span>'
            f'<pre style="margin:4px 0">{args}</pre></div>'
        )
    if kind == "thinking":
        thought = str(_get(block, "thinking", ""))
        return (
            f'<details style="margin:6px 0;color:{MUTED}"><summary>thinking ({len(thought)} chars)</summary>'
            f'<div style="white-space:pre-wrap">{esc(thought)}</div></details>'
        )
    if kind == "redacted_thinking":
        return (
            f'<div style="color:{MUTED}">redacted_thinking ({len(str(_get(block, "data", "")))} chars, encrypted)</div>'
        )
    data = block.to_dict() if hasattr(block, "to_dict") else block
    return f"<pre>{esc(kind or '')}: {esc(json.dumps(data, ensure_ascii=False, indent=2))}</pre>"


def message_html(message: Any) -> str:
    """An HTML card of a Message: answer first, thinking collapsed, usage and cost at the foot."""
    model = str(_get(message, "model", "?"))
    esc = html.escape
    stop = str(_get(message, "stop_reason"))
    if _get(message, "stop_sequence"):
        stop += f" ({_get(message, 'stop_sequence')!r})"
    blocks = _get(message, "content", []) or []
    ordered = [b for b in blocks if _get(b, "type") not in ("thinking", "redacted_thinking")]
    ordered += [b for b in blocks if _get(b, "type") in ("thinking", "redacted_thinking")]
    body = "".join(_block_html(b) for b in ordered)
    return (
        f'<div style="{_CSS}"><div style="color:{MUTED}">Message · <code>{esc(model)}</code> · '
        f"stop_reason <code>{esc(stop)}</code></div>{body}"
        f'<div style="color:{MUTED};border-top:1px solid {RULE};padding-top:4px">'
        f"{esc(usage_line(_get(message, 'usage'), model))}</div></div>"
    )


class Card:
    """Anything shown with both an HTML and a plain-text form."""

    def __init__(self, text: str, html_text: str):
        self.text, self.html = text, html_text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html


def card(message: Any) -> Card:
    """A Card of a Message (or a dict in its shape), e.g. for a message built from a stream."""
    return Card(message_text(message), message_html(message))


def register_formatters() -> None:
    """Show SDK Messages as cards in this IPython kernel (idempotent)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    from anthropic.types import Message

    formatters = ip.display_formatter.formatters
    formatters["text/html"].for_type(Message, message_html)
    formatters["text/plain"].for_type(Message, lambda m, p, cycle: p.text(message_text(m)))
