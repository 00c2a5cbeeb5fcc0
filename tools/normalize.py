"""Store notebook outputs from a replay run and normalize notebooks so git holds no volatile state.

    python tools/normalize.py                 normalize every notebook in place
    python tools/normalize.py --execute [NB]  run notebooks in replay mode (all, or the named ones), then normalize
    python tools/normalize.py --check         exit 1 listing notebooks that are not normalized

Normalized: kernelspec python3, language_info reduced to its name, cell metadata reduced to tags,
sequential execution counts and cell ids, widget outputs reduced to their static form (no widget state),
tracebacks reduced to their last line, kernel temp paths replaced, and no absolute path of this machine in
any output. In Markdown, a `$` before a digit outside code is escaped as `\\\\$2`: JupyterLab and nbviewer
read `$...$` as LaTeX, so "$2 ... $0.62" would render as one line of math, and a single backslash does not
survive JupyterLab's Markdown (jupyterlab#8645); --check refuses an unescaped one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}  # ipykernel's own
_IPYKERNEL_PATH = re.compile(r"[^\s'\"]*ipykernel_\d+[/\\]\d+\.py")  # /tmp, /var/folders, C:\...\Temp
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1|`+", re.S)  # an inline code span (or a lone run of backticks)
# A price such as $2 or $0.62 not yet written \\$2. One backslash is not enough in JupyterLab: Markdown turns
# \$ into $ before MathJax reads the page (jupyterlab#8645); \\$ reaches MathJax as \$, an escaped dollar.
_BARE_DOLLAR = re.compile(r"(?<!\\\\)\$(?=\d)")
_ESCAPED_ONCE = re.compile(r"(?<!\\)\\?\$(?=\d)")


def _outside_code(markdown: str, fix: Any) -> str:
    """`markdown` with `fix` applied to each stretch of prose: fenced code blocks and code spans are kept."""
    out, prose, fence = [], [], ""

    def flush() -> None:
        text = "".join(prose)
        pos = 0
        for m in _CODE_SPAN.finditer(text):
            out.append(fix(text[pos : m.start()]) + m.group(0))
            pos = m.end()
        out.append(fix(text[pos:]))
        prose.clear()

    for line in markdown.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence:
            out.append(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip(" `~\r\n"):
                fence = ""
        elif m:
            flush()
            fence = m.group(1)
            out.append(line)
        else:
            prose.append(line)
    flush()
    return "".join(out)


def escape_dollars(markdown: str) -> str:
    """Markdown with every `$` before a digit outside code written `\\\\$`, so no price renders as math."""
    return _outside_code(markdown, lambda text: _ESCAPED_ONCE.sub(r"\\\\$", text))


def bare_dollars(markdown: str) -> list[str]:
    """The prices in `markdown` (outside code) whose `$` is not escaped, each with a little context."""
    found: list[str] = []

    def note(text: str) -> str:
        found.extend(text[max(0, m.start() - 20) : m.end() + 10].replace("\n", " ")
                     for m in _BARE_DOLLAR.finditer(text))
        return text

    _outside_code(markdown, note)
    return found


def _clean_output(out: dict[str, Any]) -> dict[str, Any]:
    kind = out.get("output_type")
    if kind == "error":
        evalue = _ANSI.sub("", out.get("evalue", ""))
        return {
            "output_type": "error",
            "ename": out.get("ename", ""),
            "evalue": evalue,
            "traceback": [f"{out.get('ename', '')}: {evalue}"],
        }
    if kind == "stream":
        return {
            "output_type": "stream",
            "name": out["name"],
            "text": _lines(_IPYKERNEL_PATH.sub("<cell>", _text(out["text"]))),
        }
    clean = dict(out)
    clean["metadata"] = out.get("metadata", {})
    return clean


def _merge_streams(outs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join consecutive stream outputs of the same name, as a reader sees them."""
    merged: list[dict[str, Any]] = []
    for o in outs:
        last = merged[-1] if merged else None
        if last and o["output_type"] == "stream" == last["output_type"] and o["name"] == last["name"]:
            last["text"] = _lines(_text(last["text"]) + _text(o["text"]))
        else:
            merged.append(o)
    return merged


def _static_view(out: dict[str, Any], cell: int) -> dict[str, Any]:
    """A widget output as git stores it: its static form (text/html or PNG, and text/plain) without the widget
    view, which cannot be drawn without the kernel that made it (Lab shows "Loading widget..." until the cell
    is run, nbconvert a blank). Running the cell shows the live widget again; nbval does not compare views."""
    data = out.get("data", {})
    if _WIDGET_VIEW not in data:
        return out
    plain = _text(data.get("text/plain", ""))
    if not (_text(data.get("text/html", "")).strip() or data.get("image/png")) or plain.startswith(("VBox(", "HBox(")):
        raise ValueError(
            f"cell {cell}: a widget output has no static view; display it with a text/html or PNG form beside "
            "the widget (as helpers/sampling.py's explorer does)"
        )
    return dict(out, data={k: v for k, v in data.items() if k != _WIDGET_VIEW})


def normalize(nb: dict[str, Any]) -> dict[str, Any]:
    """The normalized form of a notebook (a new dict)."""
    nb = json.loads(json.dumps(nb))
    # No widget state: stored widgets are reduced to their static form (_static_view), which needs none.
    nb["metadata"] = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    count = 0
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:03d}"
        tags = cell.get("metadata", {}).get("tags")
        cell["metadata"] = {"tags": tags} if tags else {}
        cell["source"] = _lines(_text(cell.get("source", "")))
        if cell["cell_type"] == "code":
            has_source = bool(_text(cell["source"]).strip())
            count += has_source
            cell["execution_count"] = count if has_source and cell.get("outputs") is not None else None
            outs = _merge_streams([_static_view(_clean_output(o), i) for o in cell.get("outputs", [])])
            for o in outs:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = cell["execution_count"]
            cell["outputs"] = outs
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            if cell["cell_type"] == "markdown":
                cell["source"] = _lines(escape_dollars(_text(cell["source"])))
    return nb


def dumps(nb: dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def problems(path: Path) -> list[str]:
    """Why a committed notebook is not clean (empty when it is)."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    found = []
    if dumps(normalize(nb)) != text:
        found.append("not normalized")
    for machine_path in {str(ROOT), os.path.expanduser("~")}:
        if len(machine_path) > 1 and machine_path in text:
            found.append(f"contains the absolute path {machine_path}")
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            found.extend(f"cell {i}: a price would render as math: {bare!r} (write \\\\$, or run tools/normalize.py)"
                         for bare in bare_dollars(_text(cell["source"])))
        if cell["cell_type"] != "code" or not _text(cell["source"]).strip():
            continue
        if not cell.get("outputs"):  # a definition cell prints a short check of what it defines
            found.append(f"cell {i} has no stored output (run `make outputs`, or end the cell with a short check)")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in cell["metadata"].get("tags", []):
                found.append(f"cell {i} stores an error but is not tagged raises-exception")
    return found


def execute(path: Path) -> dict[str, Any]:
    """Run a notebook top to bottom in replay mode, in its own folder, and return it with outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_ok = os.environ.get("PRIMER_MODE") == "replay"
    if not env_ok:
        raise SystemExit("normalize --execute stores replay outputs only: set PRIMER_MODE=replay (make outputs does).")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return json.loads(nbformat.writes(nb))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/normalize.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names (e.g. 01_first_request); default all")
    parser.add_argument("--execute", action="store_true", help="re-run in replay mode first")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if anything is not clean")
    args = parser.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        wanted = {n.removesuffix(".ipynb") for n in args.names}
        paths = [p for p in paths if p.stem in wanted]
        missing = wanted - {p.stem for p in paths}
        if missing:
            print(f"normalize: no notebook named {sorted(missing)[0]}", file=sys.stderr)
            return 2
    if args.check:
        bad = [(p, why) for p in paths for why in problems(p)]
        for p, why in bad:
            print(f"{p.relative_to(ROOT)}: {why}", file=sys.stderr)
        if bad:
            print("Fix with `make outputs` (re-run in replay mode and normalize).", file=sys.stderr)
        return 1 if bad else 0
    for p in paths:
        nb = execute(p) if args.execute else json.loads(p.read_text(encoding="utf-8"))
        p.write_text(dumps(normalize(nb)), encoding="utf-8")
        print(f"{'executed and ' if args.execute else ''}normalized {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
