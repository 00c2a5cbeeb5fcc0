"""Look at sampled answers: count distinct ones, lay them side by side, explore them with a slider.

Samples are a mapping from (prompt name, temperature) to the answer texts collected at that setting, e.g.
``{("fruit", 0.0): ["Apple", "Apple", ...], ...}``. Nothing here sends requests: the notebook collects
the samples with plain SDK calls (from the recording in replay mode), and these functions only count,
show and plot what came back. ipywidgets is imported only when the explorer is built.
"""

from __future__ import annotations

import html
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .display import BORDER, MUTED, Card

__all__ = [
    "Samples",
    "normalize_answer",
    "distinct_count",
    "Spread",
    "length_spread",
    "temperatures_of",
    "prompts_of",
    "side_by_side",
    "explorer_html",
    "explorer",
]

Samples = Mapping[tuple[str, float], Sequence[str]]

# Trailing punctuation, quotes and surrounding space do not make an answer different.
_EDGE = re.compile(r"^[\s\"'“”‘’]+|[\s\"'“”‘’.!?,;:]+$")
_SPACE = re.compile(r"\s+")


def normalize_answer(text: str) -> str:
    """The form two answers are compared in: case-folded, inner whitespace collapsed, edge punctuation dropped."""
    if not isinstance(text, str):
        raise TypeError(f"an answer must be a str, got {type(text).__name__}")
    return _SPACE.sub(" ", _EDGE.sub("", text)).casefold()


def distinct_count(texts: Sequence[str]) -> int:
    """How many different answers there are, so "Apple." and "apple" count once."""
    return len({normalize_answer(t) for t in texts})


@dataclass(frozen=True)
class Spread:
    """Answer lengths in characters at one setting."""

    shortest: int
    longest: int
    mean: float

    @property
    def range(self) -> int:
        return self.longest - self.shortest


def length_spread(texts: Sequence[str]) -> Spread:
    """Shortest, longest and mean length in characters; a ValueError for no answers."""
    if not texts:
        raise ValueError("no answers to measure")
    lengths = [len(t) for t in texts]
    return Spread(min(lengths), max(lengths), statistics.fmean(lengths))


def _check(samples: Samples) -> None:
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("samples must be a non-empty mapping of (prompt, temperature) -> answers")
    for key in samples:
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str)):
            raise ValueError(f"sample keys are (prompt name, temperature) pairs, got {key!r}")


def temperatures_of(samples: Samples) -> list[float]:
    """Every temperature in the samples, lowest first."""
    _check(samples)
    return sorted({float(t) for _, t in samples})


def prompts_of(samples: Samples) -> list[str]:
    """Every prompt name in the samples, in first-seen order."""
    _check(samples)
    return list(dict.fromkeys(p for p, _ in samples))


def _answers(samples: Samples, prompt: str, temperature: float) -> Sequence[str]:
    for (p, t), texts in samples.items():
        if p == prompt and float(t) == float(temperature):
            return texts
    return []


def side_by_side(samples: Samples, prompt: str) -> Card:
    """A table of one prompt's samples: one column per temperature, one row per sample, distinct count below."""
    temps = [t for t in temperatures_of(samples) if _answers(samples, prompt, t)]
    if not temps:
        raise KeyError(f"no samples for prompt {prompt!r}; there are: {', '.join(prompts_of(samples))}")
    columns = [list(_answers(samples, prompt, t)) for t in temps]
    rows = max(len(c) for c in columns)
    # Plain text keeps each column readable in a terminal: as wide as its longest answer, at most 36.
    widths = [min(36, max(len("8 distinct"), *(len(s) for s in c))) for c in columns]

    def cell(col: list[str], i: int) -> str:
        return col[i] if i < len(col) else ""

    def fit(s: str, w: int) -> str:
        return (s if len(s) <= w else s[: w - 1] + "…").ljust(w)

    def line(first: str, parts: list[str]) -> str:
        return (first + " | ".join(fit(p, w) for p, w in zip(parts, widths, strict=True))).rstrip()

    lines = [line("  #  ", [f"t = {t:.1f}" for t in temps])]
    lines += [line(f"{i + 1:>3}  ", [cell(c, i) for c in columns]) for i in range(rows)]
    lines.append(line("     ", [f"{distinct_count(c)} distinct" for c in columns]))
    text = "\n".join(lines)

    esc = html.escape
    th = "".join(f'<th style="text-align:left;padding:2px 10px">temperature {t:.1f}</th>' for t in temps)
    trs = "".join(
        f'<tr><td style="color:{MUTED};padding:2px 6px">{i + 1}</td>'
        + "".join(f'<td style="text-align:left;padding:2px 10px">{esc(cell(c, i))}</td>' for c in columns)
        + "</tr>"
        for i in range(rows)
    )
    tf = "".join(
        f'<td style="text-align:left;padding:2px 10px"><b>{distinct_count(c)}</b> distinct of {len(c)}</td>'
        for c in columns
    )
    table = (
        f'<table style="border-collapse:collapse;font-size:13px"><thead><tr><th></th>{th}</tr></thead>'
        f'<tbody>{trs}</tbody><tfoot><tr style="border-top:1px solid {BORDER}"><td></td>{tf}</tr></tfoot></table>'
    )
    return Card(text, table)


def explorer_html(samples: Samples, prompt: str, temperature: float) -> str:
    """What the explorer shows for one prompt and temperature: the samples, numbered, and their distinct count."""
    texts = list(_answers(samples, prompt, temperature))
    esc = html.escape
    if not texts:
        missing = f"No samples recorded for {esc(prompt)} at temperature {temperature:.1f}."
        return f'<div style="color:var(--jp-error-color1, #cf222e)">{missing}</div>'
    spread = length_spread(texts)
    items = "".join(f"<li>{esc(t)}</li>" for t in texts)
    return (
        # line-height: ipywidgets' HTML widget inherits its 28 px control height, which double-spaces text.
        f'<div style="font-family:system-ui,sans-serif;font-size:13px;line-height:1.4">'
        f"<b>{esc(prompt)}</b> at temperature <b>{temperature:.1f}</b>: "
        f"<b>{distinct_count(texts)}</b> distinct of {len(texts)} samples; "
        f"lengths {spread.shortest}-{spread.longest} characters"
        f'<ol style="margin:4px 0">{items}</ol></div>'
    )


def explorer(samples: Samples, labels: Mapping[str, str] | None = None) -> Any:
    """A prompt picker and a temperature slider over recorded samples; the view updates on every change.

    Returns an ipywidgets VBox whose children are (picker, slider, view). It only reads `samples`, so it
    works offline and sends nothing. `labels` maps a prompt name to the text shown in the picker.
    """
    import ipywidgets as widgets

    prompts, temps = prompts_of(samples), temperatures_of(samples)
    labels = labels or {}
    picker = widgets.Dropdown(
        options=[(labels.get(p, p), p) for p in prompts],
        value=prompts[0],
        description="prompt",
        layout=widgets.Layout(width="640px"),
    )
    slider = widgets.SelectionSlider(
        options=[(f"{t:.1f}", t) for t in temps],
        value=temps[0],
        description="temperature",
        continuous_update=True,
        style={"description_width": "initial"},
    )
    view = widgets.HTML(explorer_html(samples, picker.value, slider.value))

    def update(_change: object = None) -> None:
        view.value = explorer_html(samples, picker.value, slider.value)

    picker.observe(update, names="value")
    slider.observe(update, names="value")
    box = widgets.VBox([picker, slider, view])

    def bundle(**kwargs: Any) -> dict[str, Any]:
        # The widget view where widgets run; a readable snapshot (not the VBox repr) where they cannot:
        # GitHub, nbviewer, an untrusted notebook, Lab before the kernel runs.
        data = dict(widgets.VBox._repr_mimebundle_(box, **kwargs) or {})
        data["text/html"] = explorer_static_html(samples, picker.value, slider.value)
        data["text/plain"] = explorer_text(samples, picker.value, slider.value)
        return data

    box._repr_mimebundle_ = bundle
    return box


_STATIC_NOTE = "Temperature explorer (a snapshot: run the notebook to pick a prompt and move the slider)"


def explorer_text(samples: Samples, prompt: str, temperature: float) -> str:
    """The explorer's view as plain text: what a notebook stores for readers without widgets."""
    texts = list(_answers(samples, prompt, temperature))
    count = f"{distinct_count(texts)} distinct of {len(texts)}"
    head = f"{_STATIC_NOTE}\n{prompt} at temperature {temperature:.1f}: {count}"
    return "\n".join([head, *(f"{i + 1:>3}. {t}" for i, t in enumerate(texts))])


def explorer_static_html(samples: Samples, prompt: str, temperature: float) -> str:
    """The explorer's view as HTML with a note that the controls need a running kernel."""
    note = f'<div style="color:{MUTED};font-size:12px;margin-bottom:4px">{html.escape(_STATIC_NOTE)}</div>'
    return f"<div>{note}{explorer_html(samples, prompt, temperature)}</div>"
