"""Every widget output stored in a notebook has a readable static view beside the widget: a text/html or
image/png form in the same output (GitHub, nbviewer, an untrusted notebook and Lab before the kernel runs
show it), never only the raw `VBox(children=...` repr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def widget_outputs(nb: Path) -> list[tuple[int, dict]]:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return [(i, o.get("data", {})) for i, c in enumerate(cells) for o in c.get("outputs", [])
            if WIDGET in o.get("data", {})]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_widget_output_has_a_readable_static_view(nb: Path) -> None:
    missing = []
    for i, data in widget_outputs(nb):
        html = "".join(data.get("text/html", ""))
        plain = "".join(data.get("text/plain", ""))
        if not (html.strip() or data.get("image/png")) or plain.startswith(("VBox(", "HBox(")) or "VBox(" in html:
            missing.append(i)
    assert missing == [], f"{nb.name}: widget outputs without a readable static view in cells {missing}"
