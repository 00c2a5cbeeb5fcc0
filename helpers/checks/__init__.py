"""Self-checks for the exercises: each returns a Result that says "correct" or exactly what is wrong.

One module per notebook topic (e.g. `helpers.checks.first_request`); this module holds what they share.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field

__all__ = ["Result", "result", "close_to", "rounded_ok", "ROUNDING", "unfilled"]


# The verdict's colour is a bar beside the text, not the text's: green or red text on the dark theme falls
# under 4.5:1, while theme-coloured text reads in both (the emoji and the words carry the meaning too).
_OK = "border-left:3px solid var(--jp-success-color1, #1a7f37);padding-left:6px"
_NOT_YET = "border-left:3px solid var(--jp-error-color1, #cf222e);padding-left:6px"
_TO_DO = "border-left:3px solid var(--jp-border-color1, #8c959f);padding-left:6px"
# A check's one problem while the exercise's placeholder is untouched starts so ("Replace ... with ...",
# "Replace each ... with ..."): an exercise not yet attempted, shown as a task, not as a failure.
_PLACEHOLDER = ("Replace ... ", "Replace each ... ")


@dataclass
class Result:
    """The outcome of a self-check: a green tick, a list of what to fix, or (placeholder untouched) a neutral
    "your turn" with what to replace, never a red mark for an exercise not yet attempted."""

    title: str
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    @property
    def attempted(self) -> bool:
        """False while the exercise's placeholder is still in place (the learner has not started)."""
        return not (len(self.problems) == 1 and self.problems[0].startswith(_PLACEHOLDER))

    def __repr__(self) -> str:
        if self.ok:
            return f"✅ {self.title}: correct." + (f" {self.note}" if self.note else "")
        if not self.attempted:
            return f"✏️ {self.title}: your turn. {self.problems[0]}"
        lines = [f"❌ {self.title}: not yet."] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self.ok:
            extra = f" {html.escape(self.note)}" if self.note else ""
            return f'<div style="{_OK}">✅ <b>{html.escape(self.title)}</b>: correct.{extra}</div>'
        if not self.attempted:
            hint = html.escape(self.problems[0])
            return f'<div style="{_TO_DO}">✏️ <b>{html.escape(self.title)}</b>: your turn. {hint}</div>'
        items = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems)
        return (
            f'<div style="{_NOT_YET}">❌ <b>{html.escape(self.title)}</b>: not yet.'
            f'<ul style="margin:2px 0">{items}</ul></div>'
        )


def result(title: str, problems: list[str], note: str = "") -> Result:
    return Result(title, list(problems), note)


def close_to(value: object, expected: float, rel: float = 1e-6) -> bool:
    """Whether `value` is a number within a relative tolerance of `expected`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return abs(value - expected) <= rel * max(abs(expected), 1e-12)


ROUNDING = "rounded to two significant figures or more (e.g. $0.042 for $0.0415) passes"


def rounded_ok(value: object, expected: float) -> bool:
    """Whether `value` is `expected` rounded to two significant figures or more: within half a unit of the
    second significant figure (0.041 or 0.042 for 0.0415; 660 or 662 for 661.5)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return False
    if expected == 0:
        return value == 0
    unit = 10 ** (math.floor(math.log10(abs(expected))) - 1)  # a unit of the second significant figure
    return abs(value - expected) <= unit / 2 * (1 + 1e-9)


def unfilled(value: object) -> bool:
    """Whether an exercise placeholder (`...`) is still in place."""
    return value is Ellipsis
