"""Pictures for notebook 04 (tool use): the four-step flow, tool blocks as linked cards, tokens per round.

Nothing here calls the API or runs a tool: the notebook's cells do that in plain SDK code. These
functions only draw what happened, so a learner can see which `tool_result` answers which `tool_use`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from .display import BORDER, MUTED, Card
from .pricing import UnknownPriceError, cost, format_usd

__all__ = ["flow_figure", "blocks_card", "rounds_figure"]

# One colour per tool_use id, so a tool_result is visibly tied to its call.
_LINK_COLORS = ("#8250df", "#0969da", "#1a7f37", "#bf3989", "#9a6700", "#cf222e")


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def flow_figure() -> Any:
    """The primer's four steps as a sequence diagram: app, Claude and the tool, time running down."""
    import matplotlib.pyplot as plt

    from .plots import COLORS, figure

    fig, ax = figure("Tool use: four steps, two requests", "participant", "step (time runs down)", size=(8.0, 4.4))
    tool_x, app_x, claude_x = 0.0, 1.0, 2.0
    ax.grid(False)
    ax.set_xlim(-0.45, 2.45)
    ax.set_ylim(4.85, 0.45)
    ax.set_xticks([tool_x, app_x, claude_x], ["get_weather()\n(your code)", "your app", "Claude\n(Messages API)"])
    ax.set_yticks([1, 2, 3.2, 4.3], ["1 ask", "2 tool_use", "3 run it", "4 tool_result"])
    for x in (tool_x, app_x, claude_x):
        ax.axvline(x, color=COLORS["muted"], lw=1, ls=":", zorder=0)

    def arrow(y: float, x0: float, x1: float, label: str, color: str, *, dashed: bool = False) -> None:
        ax.annotate("", xy=(x1, y), xytext=(x0, y),
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.6, "ls": "--" if dashed else "-"})
        ax.text((x0 + x1) / 2, y - 0.08, label, ha="center", va="bottom", fontsize=8.5, color=color)

    arrow(1.0, app_x, claude_x, "request: tools + user question", COLORS["sonnet"])
    arrow(2.0, claude_x, app_x, 'stop_reason "tool_use"\ntool_use: get_weather {"city": "Tokyo"}, id', COLORS["opus"])
    arrow(2.95, app_x, tool_x, 'get_weather(city="Tokyo")', COLORS["haiku"])
    arrow(3.4, tool_x, app_x, "{temperature: 22, ...}", COLORS["haiku"], dashed=True)
    arrow(3.95, app_x, claude_x, "the conversation so far +\ntool_result with the same id", COLORS["sonnet"])
    arrow(4.6, claude_x, app_x, 'final answer, stop_reason "end_turn"', COLORS["opus"], dashed=True)
    fig.tight_layout()
    plt.close(fig)  # shown once, by the notebook evaluating it
    return fig


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _as_dict(block: Any) -> dict[str, Any]:
    if isinstance(block, dict):
        return block
    if hasattr(block, "to_dict"):
        return block.to_dict()
    raise TypeError(f"blocks_card() takes content blocks (SDK objects or dicts), got {type(block).__name__}")


def blocks_card(*blocks: Any) -> Card:
    """Tool blocks side by side: each tool_use with name, input and id; each tool_result with the call it answers.

    A tool_result is matched to a tool_use by `tool_use_id`; the card says which one, or that none
    matches (the API would reject that request).
    """
    items = [_as_dict(b) for b in blocks]
    calls: dict[str, tuple[int, str]] = {}
    for n, b in enumerate(items, 1):
        if b.get("type") == "tool_use":
            calls[str(b.get("id"))] = (n, str(b.get("name")))
    colors = {i: _LINK_COLORS[k % len(_LINK_COLORS)] for k, i in enumerate(calls)}
    lines: list[str] = []
    parts: list[str] = []
    for n, b in enumerate(items, 1):
        kind = b.get("type")
        if kind == "tool_use":
            i = str(b.get("id"))
            lines += [f"[{n}] tool_use     {b.get('name')}  id={i}", f"    input: {_json(b.get('input'))}"]
            rows = [("name", str(b.get("name"))), ("input", _json(b.get("input"))), ("id", i)]
            parts.append(_tile(f"[{n}] {kind}", colors[i], rows))
        elif kind == "tool_result":
            i = str(b.get("tool_use_id"))
            match = calls.get(i)
            link = f"answers [{match[0]}] {match[1]}" if match else "matches no tool_use shown"
            content = b.get("content")
            shown = content if isinstance(content, str) else _json(content)
            lines += [f"[{n}] tool_result  tool_use_id={i}  ({link})", f"    content: {shown}"]
            rows = [("tool_use_id", i), ("links to", link), ("content", shown)]
            if b.get("is_error"):
                lines.append("    is_error: true")
                rows.append(("is_error", "true"))
            parts.append(_tile(f"[{n}] {kind}", colors.get(i, "#cf222e"), rows))
        elif kind == "text":
            lines.append(f"[{n}] text         {b.get('text')}")
            parts.append(_tile(f"[{n}] text", "#8c959f", [("text", str(b.get("text")))]))
        else:
            lines.append(f"[{n}] {kind}: {_json(b)}")
            parts.append(_tile(f"[{n}] {kind}", "#8c959f", [("block", _json(b))]))
    body = "".join(parts)
    return Card("\n".join(lines), f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin:4px 0">{body}</div>')


def _tile(title: str, color: str, rows: list[tuple[str, str]]) -> str:
    esc = html.escape
    cells = "".join(
        f'<tr><td style="color:{MUTED};padding:1px 8px 1px 0;vertical-align:top">{esc(k)}</td>'
        f'<td style="padding:1px 0"><code style="white-space:pre-wrap">{esc(v)}</code></td></tr>'
        for k, v in rows
    )
    return (
        f'<div style="border:1px solid {BORDER};border-left:4px solid {color};border-radius:6px;padding:6px 10px;'
        f'font-family:system-ui,sans-serif;font-size:13px;max-width:440px">'
        f'<b style="color:{color}">{esc(title)}</b><table style="border-collapse:collapse">{cells}</table></div>'
    )


def rounds_figure(responses: Sequence[Any]) -> Any:
    """Input and output tokens of each round of a tool loop, with each round's cost above its bar."""
    import matplotlib.pyplot as plt

    from .plots import COLORS, figure

    if not responses:
        raise ValueError("rounds_figure() needs at least one response")
    ins = [int(_get(_get(r, "usage"), "input_tokens", 0) or 0) for r in responses]
    outs = [int(_get(_get(r, "usage"), "output_tokens", 0) or 0) for r in responses]
    rounds = list(range(1, len(responses) + 1))
    fig, ax = figure("Every round resends the whole conversation", "round of the tool loop", "tokens",
                     size=(7.0, 3.4))
    ax.bar(rounds, ins, color=COLORS["sonnet"], label="input (sent)")
    ax.bar(rounds, outs, bottom=ins, color=COLORS["opus"], label="output (generated)")
    for x, r, a, b in zip(rounds, responses, ins, outs, strict=True):
        try:
            label = format_usd(cost(_get(r, "usage"), str(_get(r, "model"))).total)
        except UnknownPriceError:
            label = "no price"
        ax.text(x, a + b, label, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(rounds, [f"{x}: {_get(r, 'stop_reason')}" for x, r in zip(rounds, responses, strict=True)])
    ax.set_ylim(0, max(a + b for a, b in zip(ins, outs, strict=True)) * 1.12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig
