"""The tree shows what the course is: the gateway package depends on the core only, never on a lesson."""

from __future__ import annotations

import ast
from pathlib import Path

import helpers

HELPERS = Path(helpers.__file__).parent
CORE = {"helpers.config", "helpers.models", "helpers.pricing"}


def _imports(path: Path, package: str) -> set[str]:
    """Absolute names of the helpers modules a file imports (relative imports resolved)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {n for n in out if n == "helpers" or n.startswith("helpers.")}


def test_gateway_imports_only_the_core_and_itself():
    files = sorted((HELPERS / "gateway").glob("*.py"))
    assert len(files) >= 6, files
    for f in files:
        bad = {n for n in _imports(f, "helpers.gateway") if n not in CORE and not n.startswith("helpers.gateway")}
        assert not bad, f"{f.name} imports {bad}: the gateway may use only {sorted(CORE)} and itself"


def test_the_core_imports_no_lesson_module():
    for name in ("config", "models", "pricing"):
        bad = {n for n in _imports(HELPERS / f"{name}.py", "helpers") if n not in CORE}
        assert not bad, f"helpers/{name}.py imports {bad}"


def test_no_gateway_module_is_left_flat_among_the_lessons():
    flat = {"recordings", "meter", "budget", "upstream", "server"} & {p.stem for p in HELPERS.glob("*.py")}
    assert not flat, f"{flat} belong in helpers/gateway/"


def test_every_notebook_link_stays_inside_the_served_tree_and_its_anchor_exists():
    # `make lab` serves notebooks/ only: a link to ../README.md is a 404 there.
    import json
    import re

    from helpers.config import NOTEBOOKS_DIR

    def headings(path: Path) -> set[str]:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        return {m.group(1).strip().replace(" ", "-") for m in re.finditer(r"^#+\s+(.+)$", text, re.M)}

    checked = 0
    for nb in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web page
            name, _, anchor = target.partition("#")
            dest = (nb.parent / name).resolve() if name else nb
            assert NOTEBOOKS_DIR.resolve() in dest.parents or dest.parent == NOTEBOOKS_DIR.resolve(), (nb.name, target)
            assert dest.exists(), f"{nb.name}: {target} does not exist"
            if anchor and dest.suffix == ".ipynb":
                assert anchor in headings(dest), f"{nb.name}: {target} has no heading #{anchor}"
            checked += 1
    assert checked >= 30
