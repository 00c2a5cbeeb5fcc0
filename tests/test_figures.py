"""The notebooks' figures use the course palette (helpers.plots.COLORS): every drawing call in a notebook
names its colour, so a figure reads the same as the others and no series gets matplotlib's default cycle."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DRAW = re.compile(r"\bax\.(plot|step|bar|barh|fill_between|scatter|axvline|axhline)\(")


def drawing_calls(nb: Path) -> list[tuple[int, str]]:
    """(cell, call) for each drawing call, its arguments joined over continuation lines."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        for m in DRAW.finditer(src):
            depth, j = 1, m.end()
            while j < len(src) and depth:
                depth += {"(": 1, ")": -1}.get(src[j], 0)
                j += 1
            found.append((i, src[m.start() : j]))
    return found


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_drawing_call_names_a_palette_colour(nb: Path) -> None:
    bad = [(i, c) for i, c in drawing_calls(nb) if not re.search(r"\bcolor=(\[?(plots\.)?COLORS\[|color\b)", c)]
    assert bad == [], f"{nb.name}: drawing calls without color=COLORS[...]: {bad}"


def test_the_check_finds_the_calls_it_checks() -> None:
    # The figures of 08 and 10 (the examples) are among those checked.
    names = {nb.stem: len(drawing_calls(nb)) for nb in NOTEBOOKS}
    assert names["08_prompt_caching"] >= 5 and names["10_errors"] >= 3
