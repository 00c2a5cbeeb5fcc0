"""Every widget output is stored as its readable static view: a text/html or image/png form (GitHub,
nbviewer, nbconvert HTML offline, an untrusted notebook and Lab before the kernel runs show it), never
the raw `VBox(children=...` repr and never a widget view that only a running kernel can draw."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def outputs(nb: Path) -> list[tuple[int, dict]]:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return [(i, o.get("data", {})) for i, c in enumerate(cells) for o in c.get("outputs", [])]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_output_is_a_widget_view_or_a_raw_widget_repr(nb: Path) -> None:
    views = [i for i, data in outputs(nb) if WIDGET in data]
    raw = [i for i, data in outputs(nb) if "".join(data.get("text/plain", "")).startswith(("VBox(", "HBox("))]
    assert views == [] and raw == [], f"{nb.name}: widget views in cells {views}, raw widget reprs in {raw}"


def test_the_normalizer_keeps_a_widgets_static_view_and_refuses_a_widget_without_one() -> None:
    spec = importlib.util.spec_from_file_location("normalize", NOTEBOOKS[0].parents[1] / "tools" / "normalize.py")
    normalize = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(normalize)
    view = {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}
    out = {"output_type": "display_data", "metadata": {},
           "data": {WIDGET: view, "text/html": "<b>3 of 8</b>", "text/plain": "3 of 8"}}
    nb = {"cells": [{"cell_type": "code", "source": "w", "outputs": [out], "metadata": {}}], "metadata": {}}
    assert normalize.normalize(nb)["cells"][0]["outputs"][0]["data"] == {"text/html": "<b>3 of 8</b>",
                                                                       "text/plain": "3 of 8"}
    out["data"] = {WIDGET: view, "text/plain": "VBox(children=(IntSlider(value=0),))"}
    with pytest.raises(ValueError, match="cell 0: a widget output has no static view"):
        normalize.normalize(nb)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_widget_state_is_stored(nb: Path) -> None:
    # With a state, nbconvert and nbviewer draw the widget from CDN scripts (blank offline) that cannot call
    # the kernel; without it they show the static view above.
    assert "widgets" not in json.loads(nb.read_text(encoding="utf-8"))["metadata"]


def test_nbconvert_html_shows_the_explorers_static_view_offline() -> None:
    from nbconvert import HTMLExporter

    nb = next(p for p in NOTEBOOKS if p.stem == "03_temperature")
    body, _ = HTMLExporter().from_filename(str(nb))
    assert "Temperature explorer (a snapshot" in body
    assert 'type="application/vnd.jupyter.widget-view+json"' not in body, "no widget view left blank offline"
