"""Generate the README's table of contents and each notebook's navigation line from the notebooks.

    python tools/toc.py          rewrite README.md's contents and every notebook's last (nav) cell
    python tools/toc.py --check  exit 1 if either is out of date

Safe to re-run: the contents live between <!-- toc --> markers, the nav line is a markdown cell that
starts with <!-- nav -->, and both are replaced, never duplicated.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from normalize import NOTEBOOKS, ROOT, dumps, normalize  # noqa: E402

README = ROOT / "README.md"
START, END, NAV = "<!-- toc -->", "<!-- /toc -->", "<!-- nav -->"
CONTENTS = "<!-- contents -->"  # notebook 00's contents cell: inside the tree `make lab` serves, unlike README.md
HOME = "00_start_here.ipynb"


def title(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.M)
            if m:
                return m.group(1).strip()
    raise SystemExit("toc: a notebook has no '# Title' in a markdown cell")


def notebooks() -> list[tuple[Path, dict, str]]:
    out = []
    for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(p.read_text(encoding="utf-8"))
        out.append((p, nb, title(nb)))
    return out


def contents(items: list[tuple[Path, dict, str]]) -> str:
    rows = [START]
    rows += [f"- [{t}](notebooks/{p.name})" for p, _, t in items]
    rows.append(END)
    return "\n".join(rows)


def nav_line(items: list[tuple[Path, dict, str]], i: int) -> str:
    parts = []
    if i > 0:
        prev = items[i - 1]
        parts.append(f"[← {prev[2]}]({prev[0].name})")
    parts.append(f"[Contents]({'' if items[i][0].name == HOME else HOME}#Contents)")
    if i + 1 < len(items):
        nxt = items[i + 1]
        parts.append(f"[{nxt[2]} →]({nxt[0].name})")
    return f"{NAV}\n" + " | ".join(parts)


def contents_cell(items: list[tuple[Path, dict, str]]) -> str:
    rows = [CONTENTS, "## Contents", ""]
    rows += [f"- [{t}]({p.name})" for p, _, t in items]
    return "\n".join(rows)


def _generated(cell: dict, marker: str) -> bool:
    return cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith(marker)


def with_nav(nb: dict, line: str, contents: str | None = None) -> dict:
    cells = [c for c in nb["cells"] if not _generated(c, NAV) and not _generated(c, CONTENTS)]
    if contents is not None:
        cells.append({"cell_type": "markdown", "id": "contents", "metadata": {}, "source": contents})
    cells.append({"cell_type": "markdown", "id": "nav", "metadata": {}, "source": line})
    return normalize(dict(nb, cells=cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/toc.py", description="README contents and notebook navigation")
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    args = parser.parse_args(argv)
    items = notebooks()
    stale = []
    readme = README.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        raise SystemExit(f"toc: README.md needs the markers {START} and {END}")
    new_readme = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: contents(items), readme, flags=re.S)
    if new_readme != readme:
        stale.append(README)
        if not args.check:
            README.write_text(new_readme, encoding="utf-8")
    for i, (p, nb, _) in enumerate(items):
        home = contents_cell(items) if p.name == HOME else None
        text = dumps(with_nav(nb, nav_line(items, i), home))
        if text != p.read_text(encoding="utf-8"):
            stale.append(p)
            if not args.check:
                p.write_text(text, encoding="utf-8")
    for p in stale:
        print(
            f"{'out of date' if args.check else 'updated'}: {p.relative_to(ROOT)}",
            file=sys.stderr if args.check else sys.stdout,
        )
    if args.check and stale:
        print("Fix with `make toc`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
