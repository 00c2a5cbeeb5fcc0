"""tools/normalize.py and prices in Markdown: JupyterLab, GitHub and nbviewer render `$...$` as LaTeX, so a
bare `$` before a digit turns "$2 unless you set it ... $0.62" into one line of italic math. The normalizer
escapes it outside code, as `\\\\$` (JupyterLab's Markdown eats a single backslash before MathJax reads the page,
jupyterlab#8645; tests/browser checks what each edition renders), and `--check` refuses one that comes back."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location("normalize", ROOT / "tools" / "normalize.py")
normalize = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(normalize)


E = "\\\\$"  # what a price's $ becomes: \\$, which reaches MathJax as an escaped dollar (jupyterlab#8645)


@pytest.mark.parametrize(("before", "after"), [
    ("costs $2 unless, at most $0.62.", f"costs {E}2 unless, at most {E}0.62."),
    ("Haiku $1/$5 per million", f"Haiku {E}1/{E}5 per million"),
    ("once escaped \\$3 is escaped again", f"once escaped {E}3 is escaped again"),
    (f"already {E}3 escaped", f"already {E}3 escaped"),
    ("a formula $x^2$ and $ 5 alone", "a formula $x^2$ and $ 5 alone"),  # not before a digit: left as written
    ("`$2` in a code span, $2 outside", f"`$2` in a code span, {E}2 outside"),
    ("``a `$1` b`` then $1", f"``a `$1` b`` then {E}1"),
    ("$2\n```python\nx = 1  # $0.0225\n```\nafter $3", f"{E}2\n```python\nx = 1  # $0.0225\n```\nafter {E}3"),
    ("~~~\n$4\n~~~\n$4", f"~~~\n$4\n~~~\n{E}4"),
    ("<details>\n\n```python\n# $661.50\n```\n</details> $5",
     f"<details>\n\n```python\n# $661.50\n```\n</details> {E}5"),
])
def test_escape_dollars_escapes_prices_outside_code_only(before: str, after: str) -> None:
    assert normalize.escape_dollars(before) == after
    assert normalize.escape_dollars(after) == after  # idempotent
    assert normalize.bare_dollars(after) == []


def _nb(markdown: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": markdown},
                      {"cell_type": "code", "metadata": {}, "source": "x = '$2'", "outputs": [], "execution_count": 1}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_normalize_escapes_markdown_and_leaves_code_cells_alone() -> None:
    nb = normalize.normalize(_nb("At $1 / $5 per million."))
    assert "".join(nb["cells"][0]["source"]) == f"At {E}1 / {E}5 per million."
    assert "".join(nb["cells"][1]["source"]) == "x = '$2'"


def test_check_refuses_a_bare_dollar_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "99_x.ipynb"
    path.write_text(normalize.dumps(_nb("Before each call, $2 unless you set it.")), encoding="utf-8")
    found = normalize.problems(path)
    assert any("cell 0: a price would render as math" in p and "$2 unless" in p for p in found), found
    path.write_text(normalize.dumps(normalize.normalize(json.loads(path.read_text(encoding="utf-8")))),
                    encoding="utf-8")
    assert not [p for p in normalize.problems(path) if "math" in p]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_has_a_price_that_renders_as_math(nb: Path) -> None:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    bare = [(i, b) for i, c in enumerate(cells) if c["cell_type"] == "markdown"
            for b in normalize.bare_dollars("".join(c["source"]))]
    assert bare == [], f"{nb.name}: escape these as {E} (tools/normalize.py does): {bare}"
