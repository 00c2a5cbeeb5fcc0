"""Generate the README's table of contents and each notebook's navigation line from the notebooks (with the
SDK version its outputs were made with, read from the lock), and the full-run cost that README.md and
notebook 00 quote from the recordings (what `make cost` prints).

    python tools/toc.py          rewrite README.md's contents and cost, notebook 00's cost and every
                                 notebook's last (nav) cell
    python tools/toc.py --check  exit 1 if any is out of date

Safe to re-run: the contents live between <!-- toc --> markers, the nav line is a markdown cell that
starts with <!-- nav -->, the cost is README's paragraph that starts with COST_HEAD and notebook 00's
"costs about $X at today's prices"; each is replaced, never duplicated.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lock import locked_version  # noqa: E402
from normalize import NOTEBOOKS, ROOT, dumps, normalize  # noqa: E402

sys.path.insert(0, str(ROOT))  # this checkout's helpers, not another one's editable install
from helpers.bill import course_bill  # noqa: E402
from helpers.gateway.budget import DEFAULT_BUDGET_USD  # noqa: E402

README = ROOT / "README.md"
START, END, NAV = "<!-- toc -->", "<!-- /toc -->", "<!-- nav -->"
CONTENTS = "<!-- contents -->"  # notebook 00's contents cell: inside the tree `make lab` serves, unlike README.md
HOME = "00_start_here.ipynb"
# The cost follows the recordings and the price table, so a model switch (`make authored outputs`) updates it.
COST_HEAD = "**What a full live run costs**"
COST_PARAGRAPH = re.compile(re.escape(COST_HEAD) + r".*?(?=\n\n|\Z)", re.S)
COST_IN_00 = re.compile(r"(costs about )\\{0,2}\$\d+\.\d\d( at today's prices)")  # \\$: not math (normalize.py)
_WORDS = "no one two three four five six seven eight nine ten eleven twelve".split()


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
    sdk = locked_version("anthropic")
    sdk_line = f"<sub>Outputs stored with anthropic {sdk}, the SDK version `requirements.txt` locks.</sub>"
    return f"{NAV}\n" + " | ".join(parts) + "\n\n" + sdk_line


def contents_cell(items: list[tuple[Path, dict, str]]) -> str:
    rows = [CONTENTS, "## Contents", ""]
    rows += [f"- [{t}]({p.name})" for p, _, t in items]
    return "\n".join(rows)


def _count(n: int) -> str:
    return _WORDS[n] if n < len(_WORDS) else str(n)


def _times(n: int) -> str:
    return {0: "does not cover a full run", 1: "covers a full run once", 2: "covers a full run twice"}.get(
        n, f"covers a full run {_count(n)} times"
    )


def cost_paragraph(bill: dict, titles: dict[str, str], budget: float = DEFAULT_BUDGET_USD) -> str:
    """README's cost paragraph: the total, the four dearest notebooks, a bound on the rest, the budget's cover.

    `bill` is course_bill() (notebook name -> Tally); `titles` maps a notebook name to its title.
    """
    total = sum(t.total for t in bill.values())
    ranked = sorted(bill.items(), key=lambda kv: -kv[1].total)
    top, rest = ranked[:4], ranked[4:]
    # "the rest under $X": the next whole cent above the dearest of the rest, so the bound is strict.
    parts = [f"{_label(titles.get(name, name))} ${t.total:.2f}" for name, t in top]
    if rest:
        parts.append(f"the rest under ${(math.floor(rest[0][1].total * 100) + 1) / 100:.2f} each")
    covers = _times(int(budget // total) if total else 99)
    text = (
        f"{COST_HEAD}, from the recordings' usage and the course's price table (`make cost`): about "
        f"**${total:.2f}** for all {_count(len(bill))} notebooks ({', '.join(parts)}). The shipped recordings are "
        f"authored, so these are estimates; the default ${budget:g} budget {covers}."
    )
    return textwrap.fill(text, width=110, break_on_hyphens=False, break_long_words=False)


def _label(title: str) -> str:
    """ "08 · Prompt caching" -> "prompt caching"; "02 · System prompts and conversations" -> "system prompts"."""
    name = title.split("·", 1)[-1].strip()
    return re.split(r",| and ", name, maxsplit=1)[0].strip().lower()


def with_cost(readme: str, bill: dict, titles: dict[str, str]) -> str:
    if not COST_PARAGRAPH.search(readme):
        raise SystemExit(f"toc: README.md needs a paragraph that starts with {COST_HEAD}")
    return COST_PARAGRAPH.sub(lambda _: cost_paragraph(bill, titles), readme, count=1)


def with_cost_in_00(nb: dict, bill: dict) -> dict:
    total = f"\\\\${sum(t.total for t in bill.values()):.2f}"
    cells, found = [], False
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown" and COST_IN_00.search(src):
            found = True
            cell = dict(cell, source=COST_IN_00.sub(lambda m: f"{m[1]}{total}{m[2]}", src))
        cells.append(cell)
    if not found:
        raise SystemExit(f'toc: {HOME} needs the sentence "costs about $X at today\'s prices"')
    return dict(nb, cells=cells)


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
    bill = course_bill()
    new_readme = with_cost(new_readme, bill, {p.stem: t for p, _, t in items})
    if new_readme != readme:
        stale.append(README)
        if not args.check:
            README.write_text(new_readme, encoding="utf-8")
    for i, (p, nb, _) in enumerate(items):
        home = contents_cell(items) if p.name == HOME else None
        if p.name == HOME:
            nb = with_cost_in_00(nb, bill)
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
