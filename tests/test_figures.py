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


def test_a_course_figure_is_transparent_with_grey_ink_that_reads_on_light_and_dark() -> None:
    """Figures were white blocks in the dark theme (issue 32): the PNG is transparent where nothing is drawn,
    and its text is the one grey with at least 4:1 against white and against the dark theme's #111."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.image import imread

    from helpers.plots import INK, figure

    fig, ax = figure("A title", "x (s)", "y (characters)")
    ax.plot([0, 1], [0, 1], color="#8250df")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    pixels = imread(io.BytesIO(buf.getvalue()))
    assert pixels.shape[2] == 4 and pixels[0, 0, 3] == 0.0, "the corner (no drawing) is transparent"
    assert (pixels[..., 3] == 0).mean() > 0.5, "most of the figure lets the page's background through"

    def lum(hex_colour: str) -> float:
        c = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    ink = lum(INK)
    assert 1.05 / (ink + 0.05) >= 4.0 and (ink + 0.05) / (lum("#111111") + 0.05) >= 4.0
    assert ax.title.get_color() == INK and ax.xaxis.label.get_color() == INK


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_stored_figure_asks_for_a_white_background(nb: Path) -> None:
    """The inline backend marks a transparent figure whose tick labels are all dark "needs_background: light",
    and JupyterLab's dark theme then paints it on white (issue 32): the course's style leaves no such mark."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    marked = [i for i, c in enumerate(cells) for o in c.get("outputs", [])
              if "image/png" in o.get("data", {}) and o.get("metadata", {}).get("needs_background")]
    assert marked == [], f"{nb.name}: figures with needs_background in cells {marked}"
